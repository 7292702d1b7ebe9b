package io.wharf.server.events;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * One receiver of events, as configured ({@code events.endpoints[]}).
 *
 * @param name unique; names its queue in the outbox
 * @param url where events are POSTed
 * @param headers sent with every delivery (e.g. an {@code Authorization} the receiver wants)
 * @param secret null: unsigned; else every delivery carries {@value Deliverer#SIGNATURE_HEADER}
 *     {@code sha256=<hex HMAC-SHA256 of the body>}
 * @param filter which events the endpoint gets
 * @param format how events are put on the wire
 * @param timeout for one delivery attempt, connecting included
 * @param initialBackoff the wait after the first failure; it doubles (with jitter) up to {@code maxBackoff}
 * @param maxBackoff the longest wait between two attempts
 * @param maxAge an event still undelivered this long after it happened goes to the dead letters
 */
public record Webhook(String name, URI url, Map<String, String> headers, String secret, EventFilter filter,
    EventFormat format, Duration timeout, Duration initialBackoff, Duration maxBackoff, Duration maxAge) {

  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  static final Duration DEFAULT_INITIAL_BACKOFF = Duration.ofSeconds(1);
  static final Duration DEFAULT_MAX_BACKOFF = Duration.ofMinutes(5);
  static final Duration DEFAULT_MAX_AGE = Duration.ofDays(1);

  /**
   * Checks the name and URL and fills in the defaults.
   *
   * @param name unique; names its queue in the outbox
   * @param url where events are POSTed
   * @param headers sent with every delivery; null: none
   * @param secret the HMAC key of the signature header; null: unsigned
   * @param filter which events it gets; null: the defaults of {@code format}
   * @param format the wire format; null: {@link EventFormat#DISTRIBUTION}
   * @param timeout for one attempt; null: 5 seconds
   * @param initialBackoff the wait after the first failure; null: 1 second
   * @param maxBackoff the longest wait between attempts; null: 5 minutes
   * @param maxAge how long an event is tried; null: 1 day
   * @throws NullPointerException if {@code name} or {@code url} is null
   */
  public Webhook {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(url, "url");
    headers = headers == null ? Map.of() : Map.copyOf(headers);
    format = format == null ? EventFormat.DISTRIBUTION : format;
    filter = filter == null ? EventFilter.defaults(format) : filter;
    timeout = timeout == null ? DEFAULT_TIMEOUT : timeout;
    initialBackoff = initialBackoff == null ? DEFAULT_INITIAL_BACKOFF : initialBackoff;
    maxBackoff = maxBackoff == null ? DEFAULT_MAX_BACKOFF : maxBackoff;
    maxAge = maxAge == null ? DEFAULT_MAX_AGE : maxAge;
  }

  /** What the API shows: everything but the secret, and the header values (they often hold credentials). */
  @Override
  public String toString() {
    return "Webhook[" + name + " -> " + url + ", " + format + "]";
  }
}
