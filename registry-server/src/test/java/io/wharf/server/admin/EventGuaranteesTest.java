package io.wharf.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.testing.ForwardingDriver;
import io.wharf.server.events.AuditLog;
import io.wharf.server.events.Event;
import io.wharf.server.events.EventBus;
import io.wharf.server.events.EventFilter;
import io.wharf.server.events.EventFormat;
import io.wharf.server.events.Webhook;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * What the events promise beyond delivery itself: order holds across retries even when the
 * delivering node loses its lease for a moment; the outbox bound counts what the store holds,
 * not what one node saw (a node that does not deliver a queue must neither fill it up in its own
 * eyes nor miss it filling up); the audit trail shows nothing older than it keeps. Real buses on
 * one store, a real receiver, a test clock.
 */
class EventGuaranteesTest {
  static {
    ManagementHttp.quietLogs();
  }

  private static final int MAX = 10;
  private final ImageIndexTest.TestClock clock = new ImageIndexTest.TestClock(Instant.parse("2026-12-02T10:00:00Z"));

  private static Webhook hook(Receiver receiver) {
    return new Webhook("hook", receiver.url(), null, null, EventFilter.defaults(EventFormat.CLOUDEVENTS),
        EventFormat.CLOUDEVENTS, null, Duration.ofMillis(20), Duration.ofMillis(100), null);
  }

  private EventBus node(StorageDriver store, String name, Receiver receiver) {
    return EventBus.builder(store).node(name).clock(clock).maxPending(MAX).pollInterval(Duration.ofMillis(100))
        .leaseSettle(Duration.ofMillis(1)).endpoint(hook(receiver)).audit(Duration.ofHours(1), false).build();
  }

  private Event push(String tag) {
    return Event.of(Event.Action.PUSH, "hosted", "app", tag, null, null, null, null, null, null, null, "a",
        clock.instant());
  }

  @Test
  void anEventRetried_isNotOvertakenByTheNext_whenTheLeaseFailsForAMoment() throws Exception {
    try (Receiver receiver = new Receiver()) {
      AtomicBoolean failLease = new AtomicBoolean();
      StorageDriver store = new ForwardingDriver(new InMemoryDriver()) {
        @Override
        public void putContent(String path, byte[] content) throws IOException {
          if (path.contains("/events/lease/") && failLease.compareAndSet(true, false)) {
            receiver.answer(200); // the receiver is back just as the store fails once
            throw new IOException("the store failed for a moment");
          }
          super.putContent(path, content);
        }
      };
      receiver.answer(503);
      EventBus bus = node(store, "a", receiver);
      bus.publish(push("first"));
      bus.publish(push("second")); // both wait when the deliveries start: one batch
      bus.start();
      try {
        awaitCondition(() -> !bus.history("hook").isEmpty()); // "first" failed: retried after a backoff
        failLease.set(true);
        clock.advance(Duration.ofSeconds(11)); // the lease is renewed after its next retry: that write fails
        List<Receiver.Delivery> got = receiver.await(d -> d.size() >= 2);
        assertThat(got).extracting(d -> ManagementHttp.JSON.readTree(d.body()).get("data").get("tag").asString())
            .containsExactly("first", "second");
        assertThat(failLease).as("the lease write failed").isFalse();
      } finally {
        bus.stop();
      }
    }
  }

  private static void awaitCondition(java.util.function.BooleanSupplier done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!done.getAsBoolean()) {
      assertThat(System.nanoTime()).as("not seen in 60 s").isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  @Test
  void aNodeThatDoesNotDeliver_countsWhatTheStoreHolds_andBuriesNothingAnotherNodeDelivered() throws Exception {
    InMemoryDriver store = new InMemoryDriver();
    try (Receiver receiver = new Receiver()) {
      EventBus delivering = node(store, "b", receiver);
      EventBus accepting = node(store, "a", receiver); // not started: node b delivers the queue
      delivering.start();
      try {
        int events = MAX + 5;
        for (int i = 0; i < events; i++) {
          clock.advance(Duration.ofSeconds(1)); // a poll interval: this node's count may be stale now
          accepting.publish(push("t" + i));
          int n = i + 1;
          receiver.await(got -> got.size() >= n);
        }
        // every event reached the receiver: none went to the dead letters for a queue that was never full
        assertThat(receiver.received()).hasSize(events);
        assertThat(accepting.deadLetters("hook", 100)).isEmpty();
      } finally {
        delivering.stop();
      }
    }
  }

  @Test
  void theOutboxFillingUp_isReportedByEveryNode_beforeItIsFull() throws Exception {
    InMemoryDriver store = new InMemoryDriver();
    try (Receiver receiver = new Receiver()) {
      receiver.answer(503); // down: events wait
      EventBus delivering = node(store, "b", receiver);
      EventBus accepting = node(store, "a", receiver);
      delivering.start();
      try {
        for (int i = 0; i < 8; i++) { // 80 % of MAX
          accepting.publish(push("t" + i));
        }
        // node b stored none of them, yet its health check and metric see the queue filling up
        assertThat(delivering.health()).containsEntry("hook", 8);
        assertThat(delivering.pending("hook")).isEqualTo(8);
        assertThat(accepting.health()).containsEntry("hook", 8);
        assertThat(accepting.deadLetters("hook", 100)).isEmpty();
      } finally {
        delivering.stop();
      }
    }
  }

  @Test
  void theAuditTrail_showsNothingOlderThanItKeeps_evenBeforeItsDayIsDeleted() {
    InMemoryDriver store = new InMemoryDriver();
    EventBus bus = EventBus.builder(store).node("a").clock(clock).audit(Duration.ofHours(1), false).build();
    bus.publish(push("old"));
    clock.advance(Duration.ofMinutes(90)); // the same day: expiry deletes whole days and keeps this one
    bus.publish(push("new"));
    AuditLog audit = bus.audit().orElseThrow();
    assertThat(audit.expire()).isZero();
    AuditLog.Query all = new AuditLog.Query(null, null, null, null, null, null);
    assertThat(audit.query(all, e -> true, 100, null).items()).extracting(Event::tag).containsExactly("new");
    AuditLog.Query since = new AuditLog.Query(null, null, null, null, Instant.parse("2026-12-02T00:00:00Z"), null);
    assertThat(audit.query(since, e -> true, 100, null).items()).extracting(Event::tag).containsExactly("new");
  }
}
