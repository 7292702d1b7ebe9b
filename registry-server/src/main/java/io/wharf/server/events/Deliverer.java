package io.wharf.server.events;

import io.wharf.core.gc.GcLease;
import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers one endpoint's queue, on a thread of its own, so one slow or dead receiver never
 * delays another or the registry's requests. Events go out one at a time, oldest first; the
 * next waits until the one before was delivered or given up on, which keeps the order per
 * repository (and overall). A failed attempt is retried after a backoff that doubles from
 * {@link Webhook#initialBackoff()} up to {@link Webhook#maxBackoff()}, with up to 50 % random
 * jitter so that many registries do not retry in step; an answer of 4xx other than 408 and 429
 * is final (the receiver refuses that event; sending it again will not help), as is an event older
 * than {@link Webhook#maxAge()}: both go to the dead letters.
 */
final class Deliverer implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Deliverer.class);
  /** GitHub's style: {@code sha256=<hex>} over the exact body bytes. */
  static final String SIGNATURE_HEADER = "X-Wharf-Signature-256";
  static final String EVENT_ID_HEADER = "X-Wharf-Event-Id";
  static final String ATTEMPT_HEADER = "X-Wharf-Delivery-Attempt";
  /** How many attempts the API shows per endpoint. */
  static final int HISTORY = 50;
  /** How long a node's claim on delivering a queue lasts unless renewed. */
  static final Duration LEASE_TTL = Duration.ofSeconds(30);
  /** Events read from the outbox at a time. */
  private static final int BATCH = 100;

  private final Webhook webhook;
  private final Outbox outbox;
  private final HttpClient http;
  private final Clock clock;
  private final Duration pollInterval;
  private final AtomicInteger pending;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong failedAttempts = new AtomicLong();
  private final AtomicLong buried = new AtomicLong();
  private final Deque<DeliveryAttempt> history = new ArrayDeque<>();
  private final Object signal = new Object();
  private final Duration leaseSettle;
  private GcLease lease;
  private Instant leaseRenewAt = Instant.MIN;
  private volatile Instant recountedAt;
  private boolean signalled;
  private volatile boolean running = true;
  private volatile Thread thread;

  Deliverer(Webhook webhook, Outbox outbox, HttpClient http, Clock clock, Duration pollInterval,
      Duration leaseSettle) {
    this.leaseSettle = leaseSettle;
    this.webhook = webhook;
    this.outbox = outbox;
    this.http = http;
    this.clock = clock;
    this.pollInterval = pollInterval;
    this.pending = new AtomicInteger(outbox.count(webhook.name()));
    this.recountedAt = clock.instant();
  }

  Webhook webhook() {
    return webhook;
  }

  /** Events waiting, as this node counts them (exact on one node). */
  int pending() {
    return Math.max(0, pending.get());
  }

  /** Events delivered, attempts that failed, events given up on: since this node started. */
  long[] counts() {
    return new long[] {delivered.get(), failedAttempts.get(), buried.get()};
  }

  /**
   * Counts the events waiting in the store and takes that as {@link #pending()}: on a node that
   * does not deliver this queue, events another node delivered are never counted down, nor
   * those other nodes stored counted up; the store is the truth (DESIGN: storage stays the truth).
   */
  int recount() {
    int n = outbox.count(webhook.name());
    pending.set(n);
    recountedAt = clock.instant();
    return n;
  }

  /** {@link #recount()} if the last was longer ago than the poll interval, else the count as it is. */
  int recountIfStale() {
    return stale() ? recount() : pending();
  }

  private boolean stale() {
    return !clock.instant().isBefore(recountedAt.plus(pollInterval));
  }

  /**
   * Whether the queue was full before the event just appended to it ({@link #pending()} at least
   * {@code max}), by the store's count when this node's is stale; the caller then buries the
   * event, or else counts it with {@link #appended()}. The store is listed at most once a poll
   * interval: a queue that is full stays cheap for the requests that find it so.
   */
  boolean full(int max) {
    if (pending() < max) {
      return false;
    }
    if (!stale()) {
      return true;
    }
    int stored = recount(); // the event just appended included: the caller counts it (or buries it)
    pending.decrementAndGet();
    return stored > max;
  }

  void appended() {
    pending.incrementAndGet();
    wake();
  }

  void wake() {
    synchronized (signal) {
      signalled = true;
      signal.notifyAll();
    }
  }

  void start() {
    Thread t = new Thread(this, "wharf-events-" + webhook.name());
    t.setDaemon(true);
    thread = t;
    t.start();
  }

  void stop() throws InterruptedException {
    running = false;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
      t.join(webhook.timeout().toMillis() + 10_000);
    }
  }

  synchronized List<DeliveryAttempt> history() {
    return List.copyOf(history);
  }

  @Override
  public void run() {
    try {
      loop();
    } finally {
      release();
    }
  }

  private void loop() {
    while (running) {
      try {
        // this node's count misses what other nodes store and deliver: the store's, now and then
        recountIfStale();
        if (!holdLease()) {
          awaitSignal(); // another node delivers; look again later (it may die)
          continue;
        }
        List<Outbox.Entry> batch = outbox.pending(webhook.name(), BATCH);
        for (Outbox.Entry e : batch) {
          // an event not done (the lease was lost while it was retried) must not be passed over:
          // the queue is read again from its oldest, by whichever node holds it, so order holds
          if (!running || !holdLease() || !deliver(e)) {
            break;
          }
        }
        if (batch.size() < BATCH) {
          awaitSignal();
        }
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // storage trouble: the events stay where they are; try again after a while
        LOG.warn("events for {}: {}", webhook.name(), e.toString());
        try {
          sleep(webhook.initialBackoff());
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  /**
   * Whether this node may deliver the queue now: it holds the endpoint's lease, renewed once a
   * third of its time to live has passed, or takes it if it is free. Of nodes sharing a store,
   * one delivers; the others take over when its lease expires (it died or stalled).
   */
  private boolean holdLease() {
    try {
      if (lease != null && !lease.lost()) {
        if (clock.instant().isBefore(leaseRenewAt) || lease.renew()) {
          if (!clock.instant().isBefore(leaseRenewAt)) {
            leaseRenewAt = clock.instant().plus(LEASE_TTL.dividedBy(3));
          }
          return true;
        }
        LOG.info("events for {}: another node took over the deliveries", webhook.name());
      }
      lease = outbox.lease(webhook.name(), LEASE_TTL, leaseSettle);
      leaseRenewAt = clock.instant().plus(LEASE_TTL.dividedBy(3));
      return true;
    } catch (GcLease.HeldException held) {
      lease = null;
      return false;
    } catch (IOException e) {
      LOG.warn("events for {}: could not take the delivery lease: {}", webhook.name(), e.toString());
      lease = null;
      return false;
    }
  }

  private void release() {
    GcLease l = lease;
    lease = null;
    if (l != null) {
      try {
        l.close();
      } catch (IOException e) {
        LOG.debug("events for {}: releasing the lease: {}", webhook.name(), e.toString());
      }
    }
  }

  /**
   * Sends one event until it is delivered or given up on, or until this node no longer holds the
   * queue's lease (then the node that took it over sends the event: retrying here too would
   * deliver it twice).
   *
   * @return whether the event is done with (delivered or given up on); false: it is still waiting
   */
  private boolean deliver(Outbox.Entry entry) throws InterruptedException {
    Duration backoff = webhook.initialBackoff();
    for (int attempt = 1; running; attempt++) {
      DeliveryAttempt r = send(entry.event(), attempt);
      if (r.delivered()) {
        outbox.delivered(webhook.name(), entry.key());
        pending.decrementAndGet();
        delivered.incrementAndGet();
        return true;
      }
      failedAttempts.incrementAndGet();
      String why = r.status() > 0 ? "HTTP " + r.status() : r.error();
      if (r.refused()) {
        bury(entry, "refused by the receiver: " + why, attempt);
        return true;
      }
      if (age(entry.event()).compareTo(webhook.maxAge()) > 0) {
        bury(entry, "not delivered within " + webhook.maxAge() + ", last: " + why, attempt);
        return true;
      }
      if (!waitHoldingLease(jitter(backoff))) {
        return false; // another node took the queue over while this one waited: it sends this event now
      }
      backoff = backoff.multipliedBy(2);
      if (backoff.compareTo(webhook.maxBackoff()) > 0) {
        backoff = webhook.maxBackoff();
      }
    }
    return false; // stopping: the event waits for the next start (or node)
  }

  private void bury(Outbox.Entry entry, String reason, int attempts) {
    LOG.warn("event {} to {} given up on after {} attempt(s): {}", entry.event().id(), webhook.name(), attempts, reason);
    outbox.bury(webhook.name(), entry, reason, attempts);
    pending.decrementAndGet();
    buried.incrementAndGet();
  }

  /** One attempt (also the ping's). */
  DeliveryAttempt send(Event event, int attempt) {
    byte[] body = webhook.format().encode(event);
    HttpRequest.Builder req = HttpRequest.newBuilder(webhook.url())
        .timeout(webhook.timeout())
        .header("Content-Type", webhook.format().contentType())
        .header("User-Agent", "Wharf-Events")
        .header(EVENT_ID_HEADER, event.id())
        .header(ATTEMPT_HEADER, String.valueOf(attempt))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    webhook.headers().forEach(req::header);
    if (webhook.secret() != null) {
      req.header(SIGNATURE_HEADER, signature(webhook.secret(), body));
    }
    long start = System.nanoTime();
    int status = 0;
    String error = null;
    try {
      status = http.send(req.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      error = e.toString();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      error = "interrupted: the server is stopping";
    }
    DeliveryAttempt a = new DeliveryAttempt(clock.instant().toString(), event.id(), event.action().wire(), attempt,
        status, (System.nanoTime() - start) / 1_000_000, error);
    record(a);
    return a;
  }

  private synchronized void record(DeliveryAttempt a) {
    if (history.size() >= HISTORY) {
      history.removeFirst();
    }
    history.addLast(a);
  }

  /** {@code sha256=<hex>}: HMAC-SHA256 of {@code body} with {@code secret}. */
  static String signature(String secret, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
      return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
    } catch (NoSuchAlgorithmException | InvalidKeyException e) {
      throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
    }
  }

  private Duration age(Event e) {
    try {
      return Duration.between(Instant.parse(e.timestamp()), clock.instant());
    } catch (DateTimeParseException bad) {
      return Duration.ZERO;
    }
  }

  /** {@code d} plus up to half of it again, at random. */
  private static Duration jitter(Duration d) {
    long ms = Math.max(1, d.toMillis());
    return Duration.ofMillis(ms + ThreadLocalRandom.current().nextLong(ms / 2 + 1));
  }

  /** Waits for a new event of this node, or the poll interval (events other nodes stored). */
  private void awaitSignal() throws InterruptedException {
    synchronized (signal) {
      if (!signalled) {
        signal.wait(Math.max(1, pollInterval.toMillis()));
      }
      signalled = false;
    }
  }

  /**
   * Waits {@code d} between attempts, renewing the lease as it goes: a receiver that is down for
   * longer than the lease lives must not hand the queue to another node while this one still
   * retries. Returns false if the lease was lost.
   */
  private boolean waitHoldingLease(Duration d) throws InterruptedException {
    long until = System.nanoTime() + d.toNanos(); // real time, as the sleep is: the clock may be a test's
    long step = LEASE_TTL.dividedBy(3).toNanos();
    while (running) {
      long left = until - System.nanoTime();
      if (left <= 0) {
        return holdLease();
      }
      sleep(Duration.ofNanos(Math.min(left, step)));
      if (!holdLease()) {
        return false;
      }
    }
    return false;
  }

  private void sleep(Duration d) throws InterruptedException {
    Thread.sleep(Math.max(1, d.toMillis()));
  }
}
