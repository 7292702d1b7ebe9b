package io.wharf.server.events;

/**
 * Where the registry's endpoints hand their events. {@link #publish} returns once the event is
 * stored durably (or found uninteresting to every endpoint): the request that caused it answers
 * success only after that, so a crash right after the answer loses no event.
 */
@FunctionalInterface
public interface EventSink {
  /** No endpoints: events go nowhere, at no cost. */
  EventSink NONE = event -> { };

  /**
   * Stores {@code event} for delivery.
   *
   * @throws java.io.UncheckedIOException if it could not be stored; the request then fails and the
   *     client retries (every action that emits events is idempotent)
   * @param event the event
   */
  void publish(Event event);

  /**
   * The id of this process in events ({@code source.instanceID}).
   *
   * @return the node id; {@code -} for a sink of no process
   */
  default String node() {
    return "-";
  }

  /**
   * The time events are stamped with.
   *
   * @return the current time of the sink's clock
   */
  default java.time.Instant now() {
    return java.time.Instant.now();
  }

  /**
   * Whether any endpoint may want events of {@code action}: lets callers skip building them.
   *
   * @param action the action
   * @return false when no event of {@code action} would go anywhere
   */
  default boolean wants(Event.Action action) {
    return this != NONE;
  }
}
