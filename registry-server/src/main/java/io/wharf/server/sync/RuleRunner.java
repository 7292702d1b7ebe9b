package io.wharf.server.sync;

import io.wharf.core.gc.GcLease;
import io.wharf.core.lifecycle.Schedule;
import io.wharf.core.storage.StorageDriver;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.server.config.LifecycleConfig;
import io.wharf.server.config.ScheduledRule;
import io.wharf.server.config.WharfConfig;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What running a repository's rules takes on one node, a pull rule's ({@link SyncService}) and a
 * push rule's ({@link ReplicationService}) alike: the schedules (following the rules as they
 * change), one run per rule at a time on this node (a second start answers the run going on), the
 * rule's lease and stored report across nodes ({@link RuleRuns}), what a rule's status shows of
 * its runs, waiting for a run, and the stop. The services say what a run does and which rules
 * there are.
 */
final class RuleRunner implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(RuleRunner.class);
  private static final AtomicInteger THREADS = new AtomicInteger();
  /** How long a node that died running a rule keeps others from running it. */
  static final Duration LEASE_TTL = Duration.ofMinutes(1);
  /** How long a node waits after writing the lease before reading it back. */
  static final Duration LEASE_SETTLE = Duration.ofSeconds(1);

  /** Starts a run of a rule, as its schedule comes due: the service's {@code run}. */
  @FunctionalInterface
  interface Trigger {
    /**
     * Starts a run of {@code rule} of {@code repository} (unless one runs).
     *
     * @param repository the repository
     * @param rule the rule's name
     * @throws IOException if the rule's status cannot be read
     */
    void run(String repository, String rule) throws IOException;
  }

  /** Prepares a run, once it is clear that none runs: checks what it needs and returns the run itself. */
  @FunctionalInterface
  interface Starter {
    /**
     * The run, to go on in the background and fill {@code report}.
     *
     * @param report the run's report, new
     * @return the run
     * @throws RuntimeException if the run cannot start (nothing starts then)
     */
    Runnable prepare(SyncReport report);
  }

  /**
   * What this node and the storage know of a rule's runs.
   *
   * @param running whether a run of the rule goes on on this node
   * @param next the rule's next scheduled run on this node, or null
   * @param last the last (or current) run's report, this node's or a newer stored one; null before any
   */
  record Status(boolean running, Instant next, SyncReport.Snapshot last) {}

  private record Plan(String text, Schedule schedule) {}

  private record Running(SyncReport report, Future<?> future) {}

  private final String kind;
  private final Clock clock;
  private final Trigger trigger;
  private final String node = GcLease.newOwnerId();
  private final ExecutorService pool;
  private final ScheduledExecutorService timer;
  /** Guarded by {@code this}, each by {@code repository/rule}. */
  private final Map<String, Running> running = new HashMap<>();
  private final Map<String, ScheduledFuture<?>> scheduled = new HashMap<>();
  private final Map<String, Instant> nextRuns = new HashMap<>();
  /** The schedule of each scheduled rule; a chain of runs goes on while its plan is here. */
  private final Map<String, Plan> schedules = new HashMap<>();

  /**
   * A runner for one kind of rules.
   *
   * @param kind {@code sync} or {@code replication}: names threads, log lines and the paths of
   *     leases and reports
   * @param clock for schedules, leases and reports
   * @param trigger starts a run as its schedule comes due
   */
  RuleRunner(String kind, Clock clock, Trigger trigger) {
    this.kind = kind;
    this.clock = clock;
    this.trigger = trigger;
    this.pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "wharf-" + kind + "-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "wharf-" + kind + "-timer");
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * The key of a rule in the runner's maps.
   *
   * @param repository the repository
   * @param rule the rule's name
   * @return {@code repository/rule}
   */
  static String key(String repository, String rule) {
    return repository + "/" + rule;
  }

  /**
   * Makes the schedules follow the rules as they are now: a rule added with a schedule is
   * scheduled, one deleted or without a schedule now is no longer, one whose schedule changed is
   * scheduled anew. Runs going on are left alone.
   *
   * @param repositories the repositories as configured now
   * @param rules a repository's rules of this runner's kind
   * @throws io.wharf.server.config.ConfigException if a schedule cannot be read
   */
  synchronized void reschedule(List<WharfConfig.Repository> repositories,
      Function<WharfConfig.Repository, List<? extends ScheduledRule>> rules) {
    Map<String, String> wanted = new HashMap<>();
    for (WharfConfig.Repository r : repositories) {
      for (ScheduledRule rule : rules.apply(r)) {
        if (rule.schedule() != null) {
          wanted.put(key(r.name(), rule.name()), rule.schedule());
        }
      }
    }
    for (String key : List.copyOf(schedules.keySet())) {
      if (!schedules.get(key).text().equals(wanted.get(key))) {
        schedules.remove(key);
        nextRuns.remove(key);
        ScheduledFuture<?> f = scheduled.remove(key);
        if (f != null) {
          f.cancel(false);
        }
      }
    }
    wanted.forEach((key, text) -> {
      if (!schedules.containsKey(key)) {
        int slash = key.indexOf('/');
        String rule = key.substring(slash + 1);
        Plan plan = new Plan(text, LifecycleConfig.schedule(text, kind + " " + rule + ".schedule"));
        schedules.put(key, plan);
        scheduleNext(key.substring(0, slash), rule, plan);
      }
    });
  }

  private synchronized void scheduleNext(String repository, String rule, Plan plan) {
    String key = key(repository, rule);
    if (timer.isShutdown() || schedules.get(key) != plan) {
      return; // stopped, or the rule's schedule changed or went away meanwhile
    }
    Instant now = clock.instant();
    Instant next = plan.schedule().next(now);
    nextRuns.put(key, next);
    scheduled.put(key, timer.schedule(() -> {
      try {
        trigger.run(repository, rule);
      } catch (IOException | RuntimeException e) {
        LOG.warn("{} {}/{}: scheduled run not started: {}", kind, repository, rule, e.getMessage());
      }
      scheduleNext(repository, rule, plan);
    }, Math.max(0, Duration.between(now, next).toMillis()), TimeUnit.MILLISECONDS));
  }

  /**
   * Starts a run of the rule unless this node runs one already (then that one goes on alone).
   *
   * @param repository the repository
   * @param rule the rule's name
   * @param starter prepares the run; called only if none runs, under this runner's lock
   * @throws RuntimeException as {@code starter} throws it: nothing starts
   */
  synchronized void startUnlessRunning(String repository, String rule, Starter starter) {
    String key = key(repository, rule);
    Running current = running.get(key);
    if (current == null || current.future().isDone()) {
      SyncReport report = new SyncReport(rule, clock.instant());
      Runnable run = starter.prepare(report);
      Future<?> f = pool.submit(() -> {
        // a pooled thread: an interrupt a previous run's lease renewal sent as that run ended is stale
        Thread.interrupted();
        run.run();
      });
      running.put(key, new Running(report, f));
    }
  }

  /**
   * Runs {@code body} under the rule's lease, storing {@code report} as it goes
   * ({@link RuleRuns#underLease}).
   *
   * @param repository the repository
   * @param rule the rule's name
   * @param storage the repository's storage, where the lease and the report are kept
   * @param report the run's report
   * @param body the run itself
   * @return the final report
   */
  SyncReport.Snapshot underLease(String repository, String rule, StorageDriver storage, SyncReport report,
      RuleRuns.Body body) {
    return RuleRuns.underLease(kind, repository, rule, storage, node, LEASE_TTL, LEASE_SETTLE, clock, timer, report,
        body);
  }

  /**
   * What this node and the storage know of a rule's runs: a run going on here, or else the newer
   * of the last run here and the stored report (another node's run, or one from before a restart).
   *
   * @param repository the repository
   * @param rule the rule's name
   * @param storage the repository's storage, or null if it has none (then only this node's runs)
   * @return the status
   * @throws IOException if the stored report cannot be read
   */
  Status status(String repository, String rule, StorageDriver storage) throws IOException {
    String key = key(repository, rule);
    SyncReport.Snapshot last;
    boolean isRunning;
    Instant next;
    synchronized (this) {
      Running current = running.get(key);
      // done once its report is stored and observers heard it, not when the report says finished
      isRunning = current != null && !current.future().isDone();
      last = current == null ? null : current.report().snapshot();
      next = nextRuns.get(key);
    }
    if (!isRunning && storage != null) {
      Optional<SyncReport.Snapshot> stored = RuleRuns.read(storage, RuleRuns.path(kind, repository, rule, "json"),
          SyncReport.Snapshot.class);
      if (stored.isPresent() && (last == null || !stored.get().started().isBefore(last.started()))) {
        last = stored.get();
      }
    }
    return new Status(isRunning, next, last);
  }

  /**
   * Runs {@code task} on the runner's threads (a push rule's copies on push), unless it stopped.
   *
   * @param task the task
   * @return whether it was taken
   */
  synchronized boolean submit(Runnable task) {
    if (pool.isShutdown()) {
      return false;
    }
    pool.submit(task);
    return true;
  }

  /**
   * Waits up to {@code timeout} for the rule's run on this node to end; for tests and shutdown.
   *
   * @param repository the repository
   * @param rule the rule's name
   * @param timeout how long to wait at most
   * @return whether no run goes on now
   * @throws InterruptedException if interrupted while waiting
   */
  boolean awaitIdle(String repository, String rule, Duration timeout) throws InterruptedException {
    Future<?> f;
    synchronized (this) {
      Running current = running.get(key(repository, rule));
      f = current == null ? null : current.future();
    }
    if (f == null) {
      return true;
    }
    try {
      f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      return true;
    } catch (TimeoutException e) {
      return false;
    }
  }

  /**
   * Stops the schedules and interrupts the runs (each stops at its next image, or its next pause,
   * and stores its report), waiting up to half a minute for them: a run must not write into
   * storage after the server that owns it has stopped.
   */
  @Override
  public void close() {
    synchronized (this) {
      timer.shutdownNow();
      pool.shutdownNow();
    }
    try {
      if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("{} runs still going 30 s after the stop; they end with the process", kind);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
