package io.wharf.core.lifecycle;

import io.wharf.core.gc.GarbageCollector;
import io.wharf.core.gc.GcLease;
import io.wharf.core.gc.GcReport;
import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The maintenance of one blob store, as one job: first its steps (the {@link CleanupJob}s of the
 * hosted repositories on the store, the {@link CacheEvictor}s of its proxies), then an online
 * {@link GarbageCollector} run that deletes what they left unreferenced and purges stale uploads,
 * then the after-run hooks (quotas re-read their usage).
 *
 * <p>The whole job holds the store's {@link GcLease}, so across all nodes sharing the store one
 * job runs at a time; a node that finds the lease held skips its run ({@link
 * MaintenanceReport#skipped()}). The lease is renewed while the steps run and handed to the
 * collector (same owner), which releases it at the end. Everything is safe while clients push
 * and pull: the steps only remove tags and links, and the collector protects pushes in
 * progress (its grace period) and pushes that reuse what it is deleting (see {@link GarbageCollector}).
 *
 * <p>A dry run changes nothing: each step and the collector report what they would remove. The
 * collector's dry run cannot see what the steps would have untagged, so its numbers are those of
 * a collection right now.
 */
public final class MaintenanceJob {
  private static final Logger LOG = LoggerFactory.getLogger(MaintenanceJob.class);
  private static final ScheduledExecutorService RENEWER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "wharf-maintenance-lease");
    t.setDaemon(true);
    return t;
  });

  /** One step before the collection; returns its report (its {@code toString} is the summary). */
  public interface Step {
    /** {@return what the step does, for reports: {@code cleanup of docker-hosted}} */
    String name();

    /** {@return the repository the step works on, for reports; null if none} */
    default String repository() {
      return null;
    }

    /**
     * Does the step's work, or (dry run) finds what it would do.
     *
     * @param dryRun true to change nothing and report what would be done
     * @return the step's report; its {@code toString} is the summary
     * @throws IOException if storage fails; the job stops there
     */
    Object run(boolean dryRun) throws IOException;
  }

  /** What a step does, given whether this is a dry run; returns its report. */
  @FunctionalInterface
  public interface Work {
    /**
     * Does the work, or (dry run) finds what it would do.
     *
     * @param dryRun true to change nothing and report what would be done
     * @return the report; its {@code toString} is the summary
     * @throws IOException if storage fails; the job stops there
     */
    Object run(boolean dryRun) throws IOException;
  }

  /**
   * A step named {@code name} that does {@code work}.
   *
   * @param name what the step does, for reports
   * @param work the work
   * @return the step
   */
  public static Step step(String name, Work work) {
    return step(name, null, work);
  }

  /**
   * A step named {@code name} that does {@code work} on {@code repository} (null: none).
   *
   * @param name what the step does, for reports
   * @param repository the repository it works on, for reports; null for none
   * @param work the work
   * @return the step
   */
  public static Step step(String name, String repository, Work work) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(work, "work");
    return new Step() {
      @Override
      public String name() {
        return name;
      }

      @Override
      public String repository() {
        return repository;
      }

      @Override
      public Object run(boolean dryRun) throws IOException {
        return work.run(dryRun);
      }
    };
  }

  private final String store;
  private final StorageDriver driver;
  private final List<Step> steps;
  private final boolean gc;
  private final Duration grace;
  private final boolean deleteUntagged;
  private final Duration purgeUploadsAfter;
  private final Duration tagHistory;
  private final List<Runnable> afterRun;
  private final Duration leaseTtl;
  private final Duration leaseSettle;
  private final Clock clock;
  /** Set by {@link #stop()}, read between steps; cleared when a run ends. */
  private volatile boolean stopRequested;

  private MaintenanceJob(Builder b) {
    this.store = b.store;
    this.driver = b.driver;
    this.steps = List.copyOf(b.steps);
    this.gc = b.gc;
    this.grace = b.grace;
    this.deleteUntagged = b.deleteUntagged;
    this.purgeUploadsAfter = b.purgeUploadsAfter;
    this.tagHistory = b.tagHistory;
    this.afterRun = List.copyOf(b.afterRun);
    this.leaseTtl = b.leaseTtl;
    this.leaseSettle = b.leaseSettle;
    this.clock = b.clock;
  }

  /**
   * A job for the blob store named {@code store}, with the collector's defaults (grace 1 h).
   *
   * @param store the blob store's name, for reports and logs
   * @param driver the blob store's storage, which holds the lease
   * @return a builder with no steps
   */
  public static Builder builder(String store, StorageDriver driver) {
    return new Builder(store, driver);
  }

  /** {@return the name of the blob store this job maintains} */
  public String store() {
    return store;
  }

  /**
   * Whether a run ends with a garbage collection.
   *
   * @return true if it does (the default)
   */
  public boolean collects() {
    return gc;
  }

  /**
   * Whether that collection purges stale uploads (null: it keeps them; always null without
   * collection).
   *
   * @return the age after which uploads are purged, or null
   */
  public Duration purgesUploadsAfter() {
    return gc ? purgeUploadsAfter : null;
  }

  /**
   * The names of the steps, in the order they run.
   *
   * @return the names
   */
  public List<String> stepNames() {
    return steps.stream().map(Step::name).toList();
  }

  /**
   * Asks the run in progress to stop: it ends before its next step (or before the garbage
   * collection), with an {@link MaintenanceReport#error()} that starts with {@link #STOPPED}. A
   * step or a collection already under way completes first (each leaves storage consistent at
   * any point, but stopping one halfway would waste the work). No effect when nothing runs.
   */
  public void stop() {
    stopRequested = true;
  }

  /** How the error of a run ended by {@link #stop()} begins. */
  public static final String STOPPED = "stopped on request";

  /**
   * Runs the job once. Never throws for a failed step: the report says which step failed and
   * the job stops there (a cleanup that failed halfway leaves nothing inconsistent, and the next
   * run continues).
   *
   * @param dryRun true to change nothing and report what would be removed
   * @return what the run did, or why it was skipped or failed
   */
  public MaintenanceReport run(boolean dryRun) {
    Instant started = clock.instant();
    long t0 = System.nanoTime();
    String owner = GcLease.newOwnerId();
    List<MaintenanceReport.StepReport> done = new ArrayList<>();
    GcReport gcReport = null;
    String error = null;
    GcLease lease;
    try {
      lease = GcLease.acquire(driver, owner, leaseTtl, leaseSettle, clock);
    } catch (GcLease.HeldException e) {
      LOG.info("maintenance of blob store {} skipped: {}", store, e.getMessage());
      return new MaintenanceReport(store, dryRun, started, elapsed(t0), List.of(), null, null, e.getMessage());
    } catch (IOException | RuntimeException e) {
      return new MaintenanceReport(store, dryRun, started, elapsed(t0), List.of(), null,
          "could not take the lease: " + e, null);
    }
    long period = Math.max(10, leaseTtl.toMillis() / 3);
    ScheduledFuture<?> renewal = RENEWER.scheduleAtFixedRate(() -> renew(lease), period, period, TimeUnit.MILLISECONDS);
    try {
      for (Step step : steps) {
        if (lease.lost()) {
          throw new IllegalStateException("the lease was taken by another node; stopping before " + step.name());
        }
        if (stopRequested) {
          error = STOPPED + " before " + step.name();
          break;
        }
        long s0 = System.nanoTime();
        Object report = step.run(dryRun);
        done.add(new MaintenanceReport.StepReport(step.name(), String.valueOf(report), sample(report), elapsed(s0),
            step.repository(), report));
        LOG.info("maintenance of blob store {}: {}: {}", store, step.name(), report);
      }
      if (gc && error == null && stopRequested) {
        error = STOPPED + " before garbage collection";
      } else if (gc && error == null) {
        // Same owner: the collector takes the lease over and releases it when it is done.
        gcReport = GarbageCollector.builder(driver)
            .grace(grace)
            .deleteUntagged(deleteUntagged)
            .purgeUploadsAfter(purgeUploadsAfter)
            .tagHistory(tagHistory)
            .dryRun(dryRun)
            .owner(owner)
            .leaseTtl(leaseTtl)
            .leaseSettle(Duration.ZERO)
            .clock(clock)
            .build()
            .run();
      }
    } catch (IOException | RuntimeException e) {
      error = (done.size() < steps.size() ? steps.get(done.size()).name() : "garbage collection") + " failed: " + e;
      LOG.warn("maintenance of blob store {}: {}", store, error, e);
    } finally {
      renewal.cancel(false);
      try {
        lease.close();
      } catch (IOException e) {
        LOG.warn("could not release the maintenance lease of {}: {}", store, e.toString());
      }
      // Cleared at the end, not the start: a stop asked for just after the run was launched holds.
      stopRequested = false;
    }
    if (!dryRun) {
      for (Runnable hook : afterRun) {
        hook.run();
      }
    }
    return new MaintenanceReport(store, dryRun, started, elapsed(t0), done, gcReport, error, null);
  }

  /** The tags or images a step's report names, for previews. */
  private static List<String> sample(Object report) {
    if (report instanceof CleanupReport c) {
      return c.deletedSample();
    }
    if (report instanceof EvictionReport e) {
      return e.evictedSample();
    }
    return List.of();
  }

  private void renew(GcLease lease) {
    try {
      lease.renew();
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not renew the maintenance lease of {}: {}", store, e.toString());
    }
  }

  private static Duration elapsed(long t0) {
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  /** Sets up a {@link MaintenanceJob}; from {@link MaintenanceJob#builder}. Not thread-safe. */
  public static final class Builder {
    private final String store;
    private final StorageDriver driver;
    private final List<Step> steps = new ArrayList<>();
    private boolean gc = true;
    private Duration grace = Duration.ofHours(1);
    private boolean deleteUntagged;
    private Duration purgeUploadsAfter;
    private Duration tagHistory = GarbageCollector.DEFAULT_TAG_HISTORY;
    private final List<Runnable> afterRun = new ArrayList<>();
    private Duration leaseTtl = Duration.ofMinutes(2);
    private Duration leaseSettle = Duration.ofSeconds(2);
    private Clock clock = Clock.systemUTC();

    private Builder(String store, StorageDriver driver) {
      this.store = Objects.requireNonNull(store, "store");
      this.driver = Objects.requireNonNull(driver, "driver");
    }

    /**
     * Adds a step; steps run in the order they were added, before the collection.
     *
     * @param step the step
     * @return this builder
     */
    public Builder step(Step step) {
      steps.add(Objects.requireNonNull(step));
      return this;
    }

    /**
     * Whether the job ends with a garbage collection (default true).
     *
     * @param gc false for a job of steps only
     * @return this builder
     */
    public Builder gc(boolean gc) {
      this.gc = gc;
      return this;
    }

    /**
     * See {@link GarbageCollector.Builder#grace}.
     *
     * @param grace how old unreferenced content must be before it is deleted
     * @return this builder
     */
    public Builder grace(Duration grace) {
      this.grace = Objects.requireNonNull(grace);
      return this;
    }

    /**
     * See {@link GarbageCollector.Builder#deleteUntagged}.
     *
     * @param deleteUntagged true to delete manifests no tag points at
     * @return this builder
     */
    public Builder deleteUntagged(boolean deleteUntagged) {
      this.deleteUntagged = deleteUntagged;
      return this;
    }

    /**
     * See {@link GarbageCollector.Builder#purgeUploadsAfter}; null keeps stale uploads.
     *
     * @param age how old an upload must be to be purged, or null
     * @return this builder
     */
    public Builder purgeUploadsAfter(Duration age) {
      this.purgeUploadsAfter = age;
      return this;
    }

    /**
     * See {@link GarbageCollector.Builder#tagHistory}.
     *
     * @param window how long old targets of a tag are kept
     * @return this builder
     */
    public Builder tagHistory(Duration window) {
      this.tagHistory = Objects.requireNonNull(window);
      return this;
    }

    /**
     * Runs after every run that was not a dry run, even a failed one (e.g. quotas re-read usage).
     *
     * @param hook what to run
     * @return this builder
     */
    public Builder afterRun(Runnable hook) {
      afterRun.add(Objects.requireNonNull(hook));
      return this;
    }

    /**
     * How long the lease lasts without renewal, and how long to wait after writing it before
     * checking that it is still ours (see {@link GcLease#acquire}); for tests.
     *
     * @param ttl how long the lease lasts without renewal
     * @param settle how long to wait before checking the lease is still ours
     * @return this builder
     */
    public Builder lease(Duration ttl, Duration settle) {
      this.leaseTtl = Objects.requireNonNull(ttl);
      this.leaseSettle = Objects.requireNonNull(settle);
      return this;
    }

    /**
     * The clock of the lease and the reports (default: the system's UTC clock); for tests.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** {@return the job} */
    public MaintenanceJob build() {
      return new MaintenanceJob(this);
    }
  }
}
