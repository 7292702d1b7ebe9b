package io.wharf.core.lifecycle;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@link MaintenanceJob}s on their {@link Schedule}s and on demand, at most one run per job
 * at a time in this process (the job's lease keeps other nodes out), and keeps the last report of
 * each. Every node of a cluster may run the same schedules: the node that takes a store's lease
 * runs the job and the others skip it. Periodic hooks ({@link #every}) serve small chores such as
 * flushing access logs.
 */
public final class MaintenanceScheduler implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceScheduler.class);

  /**
   * A job and its schedule ({@code null}: on demand only); {@code dryRun} applies to scheduled
   * runs.
   *
   * @param job the job
   * @param schedule when it runs, or {@code null} for on demand only
   * @param dryRun true if scheduled runs only report what they would remove
   */
  public record Entry(MaintenanceJob job, Schedule schedule, boolean dryRun) {
    /**
     * Creates an entry.
     *
     * @param job the job
     * @param schedule when it runs, or {@code null} for on demand only
     * @param dryRun true if scheduled runs only report what they would remove
     * @throws NullPointerException if {@code job} is null
     */
    public Entry {
      Objects.requireNonNull(job, "job");
    }
  }

  /**
   * What a caller can see of a job: its schedule, whether it runs now, its next and last run.
   *
   * @param store the blob store the job maintains
   * @param schedule the schedule as written, or {@code null} for on demand only
   * @param running true if a run is in progress on this node
   * @param next when the next scheduled run starts, or {@code null}
   * @param last the report of the last run on this node, or {@code null}
   * @param steps the names of the job's steps, in order
   */
  public record Status(String store, String schedule, boolean running, Instant next, MaintenanceReport last,
      List<String> steps) {}

  /** How long {@link #close} waits for a run in progress to reach its next step and end. */
  private static final Duration CLOSE_WAIT = Duration.ofSeconds(30);
  private final Map<String, Slot> slots = new LinkedHashMap<>();
  private final Clock clock;
  private final ScheduledExecutorService timer;
  private final ExecutorService runner;
  private final List<Runnable> closeHooks = new ArrayList<>();
  private final List<java.util.function.Consumer<MaintenanceReport>> reportListeners =
      new java.util.concurrent.CopyOnWriteArrayList<>();
  private volatile boolean closed;

  private static final class Slot {
    volatile Entry entry; // replaced when the store's repositories change (see replace)
    CompletableFuture<MaintenanceReport> running;
    boolean runningDryRun;
    Instant next;
    MaintenanceReport last;

    Slot(Entry entry) {
      this.entry = entry;
    }
  }

  /**
   * A scheduler of these jobs, not yet started ({@link #start()}); close it to stop it.
   *
   * @param entries the jobs, at most one per blob store
   * @param clock the clock of the schedules
   * @throws IllegalArgumentException if two jobs maintain the same blob store
   */
  public MaintenanceScheduler(List<Entry> entries, Clock clock) {
    this.clock = Objects.requireNonNull(clock);
    for (Entry e : entries) {
      if (slots.putIfAbsent(e.job().store(), new Slot(e)) != null) {
        throw new IllegalArgumentException("two maintenance jobs for blob store " + e.job().store());
      }
    }
    this.timer = Executors.newSingleThreadScheduledExecutor(daemon("wharf-maintenance-timer"));
    this.runner = Executors.newCachedThreadPool(daemon("wharf-maintenance"));
  }

  /**
   * A scheduler of these jobs on the system's UTC clock, not yet started ({@link #start()}).
   *
   * @param entries the jobs, at most one per blob store
   * @throws IllegalArgumentException if two jobs maintain the same blob store
   */
  public MaintenanceScheduler(List<Entry> entries) {
    this(entries, Clock.systemUTC());
  }

  /**
   * Arms every scheduled job.
   *
   * @return this scheduler
   */
  public synchronized MaintenanceScheduler start() {
    for (Slot slot : slots.values()) {
      if (slot.entry.schedule() != null) {
        arm(slot, clock.instant());
      }
    }
    return this;
  }

  /**
   * Runs {@code chore} every {@code period} until closed; failures are logged, not fatal.
   *
   * @param period the delay between the end of one run and the start of the next
   * @param name what the chore is, for the log
   * @param chore the chore
   */
  public void every(Duration period, String name, Chore chore) {
    timer.scheduleWithFixedDelay(() -> {
      try {
        chore.run();
      } catch (Exception | Error e) {
        LOG.warn("{} failed: {}", name, e.toString());
      }
    }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Runs {@code hook} when the scheduler is closed (e.g. a last flush).
   *
   * @param hook what to run
   */
  public synchronized void atClose(Runnable hook) {
    closeHooks.add(Objects.requireNonNull(hook));
  }

  /**
   * Hands every finished run's report to {@code listener} (metrics, audit), on the thread that
   * ran it; a listener that throws is logged and does not affect the run.
   *
   * @param listener receives each report
   */
  public void onReport(java.util.function.Consumer<MaintenanceReport> listener) {
    reportListeners.add(Objects.requireNonNull(listener));
  }

  /** A periodic chore. */
  @FunctionalInterface
  public interface Chore {
    /**
     * Does the chore once.
     *
     * @throws Exception anything; it is logged and the chore runs again next period
     */
    void run() throws Exception;
  }

  /**
   * Replaces the job of {@code entry}'s store, e.g. after repositories on it were created or
   * deleted while the server runs: a run in progress finishes with the old job, the next one
   * uses the new. The schedule stays as it was armed; the last report is kept.
   *
   * @param entry the store's new job (its schedule and dry-run setting are ignored)
   * @throws IllegalArgumentException if the store has no job
   */
  public synchronized void replace(Entry entry) {
    Slot slot = slots.get(entry.job().store());
    if (slot == null) {
      throw new IllegalArgumentException("no maintenance job for blob store " + entry.job().store());
    }
    slot.entry = new Entry(entry.job(), slot.entry.schedule(), slot.entry.dryRun());
  }

  /**
   * The stores that have a job.
   *
   * @return the stores' names, in the order of the entries
   */
  public synchronized List<String> stores() {
    return List.copyOf(slots.keySet());
  }

  /**
   * Starts a run of {@code store}'s job now, or returns the run of the same kind (dry or not)
   * already in progress on this node; a run of the other kind starts when that one ends. Empty if
   * the store has no job. The future completes after the report is recorded ({@link #status()})
   * and handed to the {@link #onReport} listeners.
   *
   * @param store the blob store's name
   * @param dryRun true to only report what would be removed
   * @return the run's report to come, or empty if the store has no job
   */
  public synchronized Optional<CompletableFuture<MaintenanceReport>> runNow(String store, boolean dryRun) {
    Slot slot = slots.get(store);
    if (slot == null) {
      return Optional.empty();
    }
    return Optional.of(launch(slot, dryRun));
  }

  /**
   * The job of {@code store}, if it has one.
   *
   * @param store the blob store's name
   * @return its job, or empty
   */
  public synchronized Optional<MaintenanceJob> job(String store) {
    Slot slot = slots.get(store);
    return slot == null ? Optional.empty() : Optional.of(slot.entry.job());
  }

  /**
   * True if {@code store}'s job is running on this node.
   *
   * @param store the blob store's name
   * @return true while a run is in progress
   */
  public synchronized boolean running(String store) {
    Slot slot = slots.get(store);
    return slot != null && slot.running != null && !slot.running.isDone();
  }

  /**
   * Asks {@code store}'s run in progress on this node to stop before its next step ({@link
   * MaintenanceJob#stop()}); a run queued behind it still starts.
   *
   * @return false if no run of that store is in progress here
   * @param store the blob store's name
   */
  public synchronized boolean stop(String store) {
    Slot slot = slots.get(store);
    if (slot == null || slot.running == null || slot.running.isDone()) {
      return false;
    }
    slot.entry.job().stop();
    return true;
  }

  /** {@return the status of every job, in the order of the entries} */
  public synchronized List<Status> status() {
    List<Status> out = new ArrayList<>();
    slots.forEach((store, s) -> out.add(new Status(store,
        s.entry.schedule() == null ? null : s.entry.schedule().toString(),
        s.running != null && !s.running.isDone(), s.next, s.last, s.entry.job().stepNames())));
    return out;
  }

  private CompletableFuture<MaintenanceReport> launch(Slot slot, boolean dryRun) {
    MaintenanceJob job = slot.entry.job(); // the job as it is now, even if replaced during the run
    CompletableFuture<MaintenanceReport> f;
    if (slot.running != null && !slot.running.isDone()) {
      if (slot.runningDryRun == dryRun) {
        return slot.running; // the same run is already under way: join it
      }
      // A dry run asked for during a real one (or the reverse) runs right after it.
      f = slot.running.handle((r, e) -> null)
          .thenApplyAsync(ignored -> job.run(dryRun), runner);
    } else {
      f = CompletableFuture.supplyAsync(() -> job.run(dryRun), runner);
    }
    // The run counts as done once its report is recorded and the listeners have it, so a caller
    // that waits for it (wait=true, a task's lastRun) sees the metrics and counts it changed.
    CompletableFuture<MaintenanceReport> done = f.whenComplete((report, failure) -> {
      synchronized (MaintenanceScheduler.this) {
        if (report != null) {
          slot.last = report;
          LOG.info("{}", report);
          for (java.util.function.Consumer<MaintenanceReport> l : reportListeners) {
            try {
              l.accept(report);
            } catch (RuntimeException e) {
              LOG.warn("a maintenance report listener failed: {}", e.toString());
            }
          }
        } else {
          LOG.warn("maintenance of blob store {} failed: {}", slot.entry.job().store(), String.valueOf(failure));
        }
      }
    });
    slot.running = done;
    slot.runningDryRun = dryRun;
    return done;
  }

  private void arm(Slot slot, Instant after) {
    if (closed) {
      return;
    }
    Instant next = slot.entry.schedule().next(after);
    slot.next = next;
    long delay = Math.max(0, Duration.between(clock.instant(), next).toMillis());
    timer.schedule(() -> fire(slot), delay, TimeUnit.MILLISECONDS);
  }

  private void fire(Slot slot) {
    CompletableFuture<MaintenanceReport> f;
    synchronized (this) {
      if (closed) {
        return;
      }
      f = launch(slot, slot.entry.dryRun());
    }
    // The next run is counted from the end of this one, so a run longer than the period never
    // overlaps the next, and a periodic schedule keeps its rhythm from the previous end.
    f.whenComplete((r, e) -> {
      synchronized (MaintenanceScheduler.this) {
        // Never before the slot that just fired, even if the wall clock stepped back meanwhile.
        Instant now = clock.instant();
        arm(slot, slot.next != null && slot.next.isAfter(now) ? slot.next : now);
      }
    });
  }

  @Override
  public void close() {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      timer.shutdownNow();
      // A run in progress stops before its next step; waited for (outside the lock, which its
      // report listeners take), so that nothing it or its listeners (events) write lands in
      // storage after close returns, when the store may be gone.
      slots.values().forEach(s -> s.entry.job().stop());
      runner.shutdown();
    }
    try {
      if (!runner.awaitTermination(CLOSE_WAIT.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("a maintenance run still works after {} s; closing without it", CLOSE_WAIT.toSeconds());
        runner.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      runner.shutdownNow();
    }
    for (Runnable hook : closeHooks) {
      try {
        hook.run();
      } catch (RuntimeException e) {
        LOG.warn("closing the maintenance scheduler: {}", e.toString());
      }
    }
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }
}
