package io.wharf.server.events;

import io.wharf.core.storage.StorageDriver;
import java.net.http.HttpClient;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.util.component.AbstractLifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The registry's events: {@link #publish} records each event in the {@link AuditLog} and stores
 * it durably in the {@link Outbox} queue of every webhook endpoint whose filter accepts it
 * (before the request that caused it answers), and a {@link Deliverer} per endpoint sends them. Events are delivered at
 * least once, in order, and survive a crash: a restarted server delivers what its outbox still
 * holds. Each queue is bounded ({@code maxPending}): past it, new events go straight to the
 * dead letters (kept, listed, redeliverable) instead of growing the queue without end, and
 * {@link #health()} says so from 80 % on.
 *
 * <pre>
 * EventBus bus = EventBus.builder(driver).endpoint(new Webhook(...)).build();
 * bus.start();
 * new RegistryServlet(router, access, bus);
 * </pre>
 */
public final class EventBus extends AbstractLifeCycle implements EventSink {
  private static final Logger LOG = LoggerFactory.getLogger(EventBus.class);
  static final int DEFAULT_MAX_PENDING = 100_000;
  /** The share of {@code maxPending} from which a queue counts as filling up (health, a log line). */
  static final double FILLING = 0.8;
  /** How often a queue is looked at without a local signal: events stored by other nodes. */
  static final Duration POLL_INTERVAL = Duration.ofSeconds(5);
  /**
   * The delivery lease's settle delay: longer than the gap between one node's read of the lease
   * and its write, so that of two nodes taking it at once the loser sees it lost.
   */
  static final Duration LEASE_SETTLE = Duration.ofSeconds(1);

  private final Outbox outbox;
  private final AuditLog audit;
  private ScheduledExecutorService chores;
  /**
   * The endpoints now, replaced whole on each change ({@link #put}, {@link #remove}): publishing
   * reads one snapshot without a lock, so a change never delays a request.
   */
  private volatile Map<String, Deliverer> deliverers = Map.of();
  private final HttpClient http;
  private final Duration pollInterval;
  private final Duration leaseSettle;
  private final List<EndpointListener> listeners = new java.util.concurrent.CopyOnWriteArrayList<>();
  private boolean delivering; // started and not stopped: new endpoints start delivering at once
  private final int maxPending;
  private final String node;
  private final Clock clock;

  private EventBus(Builder b) {
    this.node = b.node;
    this.clock = b.clock;
    this.outbox = new Outbox(b.driver, node, clock);
    this.maxPending = b.maxPending;
    this.audit = b.auditKeep == null ? null : new AuditLog(b.driver, clock, b.auditKeep, b.auditPulls);
    this.http = HttpClient.newBuilder()
        .connectTimeout(Webhook.DEFAULT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER)
        .build();
    this.pollInterval = b.pollInterval;
    this.leaseSettle = b.leaseSettle;
    Map<String, Deliverer> initial = new LinkedHashMap<>();
    for (Webhook w : b.endpoints) {
      initial.put(w.name(), deliverer(w));
    }
    this.deliverers = java.util.Collections.unmodifiableMap(initial);
  }

  private Deliverer deliverer(Webhook w) {
    return new Deliverer(w, outbox, http, clock, pollInterval, leaseSettle);
  }

  /** Told when an endpoint comes or goes at run time (the metrics follow it). */
  public interface EndpointListener {
    /**
     * An endpoint was added at run time.
     *
     * @param endpoint its name
     */
    void added(String endpoint);

    /**
     * An endpoint was removed at run time.
     *
     * @param endpoint its name
     */
    void removed(String endpoint);
  }

  /**
   * Tells {@code listener} of every endpoint added or removed from now on (not of those there already).
   *
   * @param listener the listener; called on the thread that changes the endpoints
   */
  public void listen(EndpointListener listener) {
    listeners.add(listener);
  }

  /**
   * Adds endpoint {@code w}, or replaces the one of its name, at once: the next event is
   * filtered by {@code w}. A replaced endpoint keeps its queue: the events waiting (one in the
   * middle of an attempt included, sent again) go to {@code w}'s URL with its settings, in order.
   *
   * @param w the endpoint
   * @throws InterruptedException if interrupted while the replaced endpoint's deliverer stops
   */
  public void put(Webhook w) throws InterruptedException {
    Deliverer old;
    Deliverer next = deliverer(w);
    synchronized (this) {
      Map<String, Deliverer> m = new LinkedHashMap<>(deliverers);
      old = m.put(w.name(), next);
      deliverers = java.util.Collections.unmodifiableMap(m);
      if (old != null) {
        old.stop(); // releases the queue's lease, so that the new deliverer takes it
      }
      if (delivering) {
        next.start();
      }
    }
    if (old == null) {
      listeners.forEach(l -> l.added(w.name()));
    }
  }

  /**
   * Removes endpoint {@code name} at once, with the events still waiting for it and its dead
   * letters: nobody is left to receive them, and a later endpoint of the same name must not get
   * an old one's events (the audit trail keeps them).
   *
   * @return false if there is no such endpoint
   * @param name the endpoint's name
   * @throws InterruptedException if interrupted while its deliverer stops
   */
  public boolean remove(String name) throws InterruptedException {
    Deliverer old;
    synchronized (this) {
      Map<String, Deliverer> m = new LinkedHashMap<>(deliverers);
      old = m.remove(name);
      if (old == null) {
        return false;
      }
      deliverers = java.util.Collections.unmodifiableMap(m);
      old.stop();
      int dropped = outbox.drop(name);
      if (dropped > 0) {
        LOG.info("events to {}: the endpoint was removed with {} event(s) waiting and dead; they are dropped",
            name, dropped);
      }
    }
    listeners.forEach(l -> l.removed(name));
    return true;
  }

  /**
   * Starts an event bus whose outbox, dead letters, leases and audit trail live in {@code driver}.
   *
   * @param driver the store; shared by the nodes, which then deliver each event once between them
   * @return a builder with no endpoints, at most 100,000 events waiting per endpoint
   */
  public static Builder builder(StorageDriver driver) {
    return new Builder(driver);
  }

  /** This process's id in events ({@code source.instanceID}). */
  public String node() {
    return node;
  }

  @Override
  public java.time.Instant now() {
    return clock.instant();
  }

  @Override
  public boolean wants(Event.Action action) {
    if (audit != null && audit.wants(action)) {
      return true;
    }
    for (Deliverer d : deliverers.values()) {
      if (d.webhook().filter().wants(action)) {
        return true;
      }
    }
    return false;
  }

  @Override
  public void publish(Event event) {
    String key = outbox.newKey();
    if (audit != null) {
      audit.record(key, event);
    }
    for (Deliverer d : deliverers.values()) {
      if (!d.webhook().filter().accepts(event)) {
        continue;
      }
      outbox.append(d.webhook().name(), key, event);
      // this node's count is an estimate (other nodes deliver and store too): the store's count
      // decides when it says full
      if (d.full(maxPending)) {
        // kept, never lost: the API lists it and can send it again once the receiver catches up
        outbox.bury(d.webhook().name(), new Outbox.Entry(key, event),
            "the outbox of " + d.webhook().name() + " was full (" + maxPending + " events waiting)", 0);
        LOG.warn("events to {}: {} waiting, new events go to the dead letters", d.webhook().name(), d.pending());
      } else {
        d.appended();
        if (d.pending() == (int) Math.ceil(maxPending * FILLING)) { // said once, on the way up
          LOG.warn("events to {}: {} waiting, {} % of events.maxPending ({}); past it, new events go to the dead"
              + " letters", d.webhook().name(), d.pending(), (int) (FILLING * 100), maxPending);
        }
      }
    }
  }

  /**
   * The audit trail, if kept.
   *
   * @return the audit trail, or empty without {@code events.audit}
   */
  public Optional<AuditLog> audit() {
    return Optional.ofNullable(audit);
  }

  /**
   * The endpoints, the file's first, in order, then those added at run time.
   *
   * @return the endpoints
   */
  public List<Webhook> endpoints() {
    return deliverers.values().stream().map(Deliverer::webhook).toList();
  }

  /**
   * The endpoint named {@code name}.
   *
   * @param name the endpoint's name
   * @return the endpoint, or empty if there is none
   */
  public Optional<Webhook> endpoint(String name) {
    return Optional.ofNullable(deliverers.get(name)).map(Deliverer::webhook);
  }

  /**
   * Events waiting for {@code endpoint}, counted in the store (a listing: for the API and metrics, not per request).
   *
   * @param endpoint the endpoint's name
   * @return the number of events waiting, on every node
   * @throws IllegalArgumentException if there is no such endpoint
   */
  public int pending(String endpoint) {
    return deliverer(endpoint).recount();
  }

  /**
   * Since this node started: events delivered to {@code endpoint}, failed attempts, events given up on.
   *
   * @param endpoint the endpoint's name
   * @return {delivered, failed attempts, given up}
   * @throws IllegalArgumentException if there is no such endpoint
   */
  public long[] counts(String endpoint) {
    return deliverer(endpoint).counts();
  }

  /**
   * The last attempts to {@code endpoint}, oldest first.
   *
   * @param endpoint the endpoint's name
   * @return the latest attempts of this node
   * @throws IllegalArgumentException if there is no such endpoint
   */
  public List<DeliveryAttempt> history(String endpoint) {
    return deliverer(endpoint).history();
  }

  /**
   * The events given up on for {@code endpoint}, oldest first.
   *
   * @param endpoint the endpoint's name
   * @param max the most to return
   * @return at most {@code max} dead letters
   * @throws IllegalArgumentException if there is no such endpoint
   */
  public List<Outbox.DeadLetter> deadLetters(String endpoint, int max) {
    deliverer(endpoint);
    return outbox.dead(endpoint, max);
  }

  /**
   * Queues dead letter {@code key} again; false if there is none.
   *
   * @param endpoint the endpoint's name
   * @param key the dead letter's key
   * @return true when it is queued again
   * @throws IllegalArgumentException if there is no such endpoint
   */
  public boolean redeliver(String endpoint, String key) {
    Deliverer d = deliverer(endpoint);
    if (!outbox.redeliver(endpoint, key)) {
      return false;
    }
    d.appended();
    return true;
  }

  /**
   * Sends a ping to {@code endpoint} now, outside the queue, and says how it went.
   *
   * @param endpoint the endpoint's name
   * @return the attempt: the receiver's status, or why there was none
   * @throws IllegalArgumentException if there is no such endpoint
   */
  public DeliveryAttempt ping(String endpoint) {
    Deliverer d = deliverer(endpoint);
    Event ping = Event.of(Event.Action.PING, null, null, null, null, null, null, null, null, null, null, node,
        clock.instant());
    return d.send(ping, 1);
  }

  /**
   * Endpoints whose queue is at 80 % of {@code maxPending} or more, with their counts; empty when
   * all is well. A health check and a metric read it.
   *
   * @return the name and waiting count of each endpoint that is filling up
   */
  public Map<String, Integer> health() {
    Map<String, Integer> full = new LinkedHashMap<>();
    deliverers.forEach((name, d) -> {
      int waiting = d.recount(); // the store's count: events of every node, delivered by any
      if (waiting >= maxPending * FILLING) {
        full.put(name, waiting);
      }
    });
    return full;
  }

  /**
   * How many events may wait per endpoint; past that, new events go to the dead letters.
   *
   * @return the limit
   */
  public int maxPending() {
    return maxPending;
  }

  private Deliverer deliverer(String endpoint) {
    Deliverer d = deliverers.get(endpoint);
    if (d == null) {
      throw new IllegalArgumentException("no event endpoint named " + endpoint);
    }
    return d;
  }

  @Override
  protected void doStart() {
    synchronized (this) {
      delivering = true;
      deliverers.values().forEach(Deliverer::start);
    }
    if (audit != null) {
      chores = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "wharf-audit-expiry");
        t.setDaemon(true);
        return t;
      });
      chores.scheduleWithFixedDelay(() -> {
        try {
          audit.expire();
        } catch (RuntimeException e) {
          LOG.warn("expiring the audit trail: {}", e.toString());
        }
      }, 0, 1, TimeUnit.HOURS);
    }
  }

  @Override
  protected void doStop() throws InterruptedException {
    if (chores != null) {
      chores.shutdownNow();
    }
    synchronized (this) {
      delivering = false;
    }
    for (Deliverer d : deliverers.values()) {
      d.stop();
    }
  }

  /** Sets up an {@link EventBus}; see {@link EventBus#builder}. */
  public static final class Builder {
    private final StorageDriver driver;
    private final java.util.ArrayList<Webhook> endpoints = new java.util.ArrayList<>();
    private int maxPending = DEFAULT_MAX_PENDING;
    private String node = UUID.randomUUID().toString().substring(0, 8);
    private Clock clock = Clock.systemUTC();
    private Duration pollInterval = POLL_INTERVAL;
    private Duration leaseSettle = LEASE_SETTLE;
    private Duration auditKeep;
    private boolean auditPulls;

    private Builder(StorageDriver driver) {
      this.driver = driver;
    }

    /**
     * Adds an endpoint of the config file.
     *
     * @param w the endpoint
     * @return this builder
     * @throws IllegalArgumentException if an endpoint of that name was added already
     */
    public Builder endpoint(Webhook w) {
      if (endpoints.stream().anyMatch(e -> e.name().equals(w.name()))) {
        throw new IllegalArgumentException("two event endpoints are named " + w.name());
      }
      endpoints.add(w);
      return this;
    }

    /**
     * How many events may wait per endpoint (default 100,000).
     *
     * @param max the limit
     * @return this builder
     * @throws IllegalArgumentException if {@code max} is less than 1
     */
    public Builder maxPending(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxPending must be at least 1");
      }
      this.maxPending = max;
      return this;
    }

    /**
     * This node's id, in event keys and in the events themselves (default: random).
     *
     * @param node the id
     * @return this builder
     */
    public Builder node(String node) {
      this.node = node;
      return this;
    }

    /**
     * The clock of event times, retries and the audit trail's expiry (default: the system's).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /**
     * How often queues are looked at for events stored by other nodes (default 5 s).
     *
     * @param d the interval
     * @return this builder
     */
    public Builder pollInterval(Duration d) {
      this.pollInterval = d;
      return this;
    }

    /**
     * Keeps the audit trail for {@code keep} (null: none), pulls included if {@code pulls}.
     *
     * @param keep how long audit entries are kept, or null
     * @param pulls whether pulls are recorded (many, on a busy registry)
     * @return this builder
     */
    public Builder audit(Duration keep, boolean pulls) {
      this.auditKeep = keep;
      this.auditPulls = pulls;
      return this;
    }

    /**
     * How long a node waits after writing a delivery lease before it trusts it (default 1 s).
     *
     * @param d the wait
     * @return this builder
     */
    public Builder leaseSettle(Duration d) {
      this.leaseSettle = d;
      return this;
    }

    /**
     * The event bus; it delivers nothing until it is started (a Jetty life cycle).
     *
     * @return the event bus
     */
    public EventBus build() {
      return new EventBus(this);
    }
  }
}
