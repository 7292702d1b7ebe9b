package io.wharf.server.sync;

import io.wharf.core.gc.GcLease;
import io.wharf.core.lifecycle.Schedule;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Repository;
import io.wharf.proxy.RegistryTarget;
import io.wharf.proxy.sync.ImageCopier;
import io.wharf.proxy.sync.PausingSource;
import io.wharf.proxy.sync.RepositorySource;
import io.wharf.proxy.sync.SyncContent;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.proxy.sync.SyncRun;
import io.wharf.server.config.LifecycleConfig;
import io.wharf.server.config.ReplicationConfig;
import io.wharf.server.config.WharfConfig;
import java.io.Closeable;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the push rules of the hosted repositories ({@code repositories[].replication[]}): copies
 * their images to remote registries with the sync engine ({@link ImageCopier} from a
 * {@link RepositorySource} to a {@link RegistryTarget}), digests intact.
 *
 * <ul>
 *   <li><b>On push</b> ({@link #changed}): each change of an image (a manifest pushed, a tag or
 *       manifest deleted) is queued for every rule with {@code onPush}; one worker per rule drains
 *       its queue, so repeated pushes of one image while it is busy are copied once. The image is
 *       reconciled: its selected tags the remote lacks or has stale are copied, and with
 *       {@code deletes}, its tags the remote has and this repository no longer has are deleted
 *       there. A failed copy is counted and left to the reconcile.
 *   <li><b>Reconcile</b> ({@link #run}, and on the rule's schedule): the same for every selected
 *       image, one run per rule across nodes (the rule's lease, {@link GcLease}, as pull rules),
 *       with its report kept in the repository's storage
 *       ({@code _wharf/replication/<repository>/<rule>.json}).
 * </ul>
 */
public final class ReplicationService implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(ReplicationService.class);
  private static final AtomicInteger THREADS = new AtomicInteger();

  /**
   * What the copies on push did on this node since it started.
   *
   * @param pending images waiting to be copied
   * @param busy whether an image is being copied now (or the queue is being drained)
   * @param imagesHandled images taken from the queue and handled (copied, skipped or failed)
   * @param imagesCopied images copied (skipped ones, already at the remote, not counted)
   * @param tagsDeleted tags deleted at the remote
   * @param failed images whose copy (or delete) failed; the reconcile copies them
   * @param lastFailure the last failure, {@code image: why}, or null
   * @param lastAt when the last image was handled, or null
   */
  public record OnPush(int pending, boolean busy, long imagesHandled, long imagesCopied, long tagsDeleted, long failed, String lastFailure,
      Instant lastAt) {}

  /**
   * A rule and what it did.
   *
   * @param repository the repository
   * @param rule the rule's name
   * @param target the remote registry's URL (never credentials)
   * @param schedule the reconcile's schedule, or null
   * @param next the next scheduled reconcile on this node, or null
   * @param onPush whether pushes are copied at once
   * @param deletes whether deletes are propagated
   * @param running whether a reconcile runs on this node now
   * @param last the last (or current) reconcile's report, or null before any
   * @param pushes what the copies on push did on this node
   */
  public record RuleStatus(String repository, String rule, String target, String schedule, Instant next,
      boolean onPush, boolean deletes, boolean running, SyncReport.Snapshot last, OnPush pushes) {}

  /** Hears reconciles and copies on push, for events and metrics. */
  public interface Observer {
    /** A reconcile of a rule of {@code repository} ended; {@code report} is its final report. */
    void finished(String repository, SyncReport.Snapshot report);

    /** An image was handled on push: {@code outcome} is {@code copied}, {@code skipped} or {@code failed}. */
    default void pushed(String repository, String rule, String outcome) {}
  }

  private final Supplier<WharfConfig> config;
  private final Function<String, Optional<Repository>> repositories;
  private final Clock clock;
  private final PausingSource.Pauser pauser;
  private final List<Observer> observers = new CopyOnWriteArrayList<>();
  private final String node = GcLease.newOwnerId();
  private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "wharf-replication-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "wharf-replication-timer");
    t.setDaemon(true);
    return t;
  });
  /** Guarded by {@code this}, by {@code repository/rule}. */
  private final Map<String, Reconcile> running = new HashMap<>();
  private final Map<String, Queue> queues = new HashMap<>();
  private final Map<String, Instant> nextRuns = new HashMap<>();
  private final Map<String, ScheduledFuture<?>> scheduled = new HashMap<>();
  /** The schedule of each scheduled rule; a chain of reconciles goes on while its plan is here. */
  private final Map<String, Plan> schedules = new HashMap<>();

  private record Plan(String text, Schedule schedule) {}

  private record Reconcile(SyncReport report, Future<?> future) {}

  /** The images of one rule waiting to be copied on push, and its counts; guarded by the service. */
  private static final class Queue {
    final Set<String> pending = new LinkedHashSet<>();
    boolean draining;
    long handled;
    long copied;
    long deleted;
    long failed;
    String lastFailure;
    Instant lastAt;
  }

  /**
   * A service for the rules of the configuration {@code config} gives.
   *
   * @param config the server's configuration as it is now
   * @param repositories the running repositories by name
   * @param clock for reports and schedules
   * @param pauser waits out a source's rate limit (a hosted repository has none)
   */
  public ReplicationService(Supplier<WharfConfig> config, Function<String, Optional<Repository>> repositories,
      Clock clock, PausingSource.Pauser pauser) {
    this.config = config;
    this.repositories = repositories;
    this.clock = clock;
    this.pauser = pauser;
  }

  /** Adds an observer of reconciles and copies on push. */
  public void observe(Observer observer) {
    observers.add(observer);
  }

  /**
   * Schedules the reconcile of every rule that has a schedule (from the configuration as it is now).
   *
   * @return this service
   */
  public ReplicationService start() {
    reschedule();
    return this;
  }

  /**
   * Makes the schedules follow the configuration as it is now: a rule added with a schedule is
   * scheduled, one deleted or without a schedule now is no longer, one whose schedule changed is
   * scheduled anew. Reconciles and copies on push going on are left alone; a deleted rule copies
   * no more pushes (each push reads the rules as they are then).
   */
  public synchronized void reschedule() {
    Map<String, String> wanted = new HashMap<>();
    for (WharfConfig.Repository r : config.get().repositories()) {
      for (ReplicationConfig.Rule rule : rulesOf(r)) {
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
        Plan plan = new Plan(text, LifecycleConfig.schedule(text, "replication " + rule + ".schedule"));
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
        run(repository, rule);
      } catch (IOException | RuntimeException e) {
        LOG.warn("replication {}/{}: scheduled reconcile not started: {}", repository, rule, e.getMessage());
      }
      scheduleNext(repository, rule, plan);
    }, Math.max(0, Duration.between(now, next).toMillis()), TimeUnit.MILLISECONDS));
  }

  // ---------------------------------------------------------------- on push

  /**
   * An image of a repository changed (pushed, a tag or manifest deleted): queues it for every rule
   * with {@code onPush} of that repository (of a group: of its writable member, where pushes
   * land). Returns at once; the copy follows within seconds.
   *
   * @param repository the repository the request addressed
   * @param image the image's name in it
   */
  public void changed(String repository, String image) {
    WharfConfig c = config.get();
    Optional<WharfConfig.Repository> r = c.repositories().stream().filter(x -> x.name().equals(repository)).findFirst();
    if (r.isPresent() && r.get().isGroup() && r.get().writableMember() != null) {
      String member = r.get().writableMember();
      r = c.repositories().stream().filter(x -> x.name().equals(member)).findFirst();
    }
    if (r.isEmpty()) {
      return;
    }
    for (ReplicationConfig.Rule rule : rulesOf(r.get())) {
      if (rule.copiesOnPush()) {
        enqueue(r.get().name(), rule.name(), image);
      }
    }
  }

  private synchronized void enqueue(String repository, String rule, String image) {
    if (workers.isShutdown()) {
      return;
    }
    Queue q = queues.computeIfAbsent(key(repository, rule), k -> new Queue());
    q.pending.add(image);
    if (!q.draining) {
      q.draining = true;
      workers.submit(() -> drain(repository, rule, q));
    }
  }

  private synchronized String next(Queue q) {
    Iterator<String> it = q.pending.iterator();
    if (!it.hasNext()) {
      q.draining = false;
      return null;
    }
    String image = it.next();
    it.remove();
    return image;
  }

  /** Copies the queued images of one rule until the queue is empty; one drain per rule at a time. */
  private void drain(String repository, String ruleName, Queue q) {
    RegistryTarget target = null;
    ReplicationConfig.Target targetOf = null;
    try {
      for (String image = next(q); image != null; image = next(q)) {
        String outcome;
        try {
          WharfConfig.Repository r = declared(repository);
          Optional<ReplicationConfig.Rule> current = rulesOf(r).stream().filter(x -> x.name().equals(ruleName))
              .findFirst();
          if (current.isEmpty() || !current.get().copiesOnPush()) {
            synchronized (this) {
              q.pending.clear(); // the rule was deleted, or no longer copies pushes: what it queued goes too
            }
            continue;
          }
          ReplicationConfig.Rule rule = current.get();
          HostedRepository hosted = hosted(repository);
          if (target == null || !rule.target().equals(targetOf)) { // a rule changed meanwhile: its new target
            closeQuietly(target);
            target = null;
            target = target(rule);
            targetOf = rule.target();
          }
          SyncReport.Snapshot done = copyImage(rule, hosted, target, image);
          List<String> failures = new ArrayList<>();
          done.failures().forEach(f -> failures.add(f.image() + ": " + f.reason()));
          if (done.error() != null) {
            failures.add(image + ": " + done.error());
          }
          synchronized (this) {
            q.handled++;
            q.copied += done.imagesCopied();
            q.deleted += done.tagsDeleted();
            q.lastAt = clock.instant();
            if (!failures.isEmpty()) {
              q.failed++;
              q.lastFailure = String.join("; ", failures);
            }
          }
          if (!failures.isEmpty()) {
            LOG.warn("replication {}/{}: {} not copied on push (the reconcile will): {}", repository, ruleName, image,
                String.join("; ", failures));
          }
          outcome = !failures.isEmpty() ? "failed" : done.imagesCopied() > 0 ? "copied" : "skipped";
        } catch (RuntimeException e) {
          String why = e.getMessage() == null ? e.toString() : e.getMessage();
          LOG.warn("replication {}/{}: {} not copied on push (the reconcile will): {}", repository, ruleName, image,
              why);
          synchronized (this) {
            q.handled++;
            q.failed++;
            q.lastFailure = image + ": " + why;
            q.lastAt = clock.instant();
          }
          outcome = "failed";
        }
        for (Observer o : observers) {
          try {
            o.pushed(repository, ruleName, outcome);
          } catch (RuntimeException e) {
            LOG.warn("replication observer failed: {}", e.toString());
          }
        }
      }
    } finally {
      closeQuietly(target);
    }
  }

  /**
   * One image by one rule, as a reconcile of the rule's entries narrowed to that image: its
   * selected tags the remote lacks or has stale are copied, and with {@code deletes}, its tags the
   * remote has and this repository no longer lists are deleted there.
   */
  private SyncReport.Snapshot copyImage(ReplicationConfig.Rule rule, HostedRepository hosted, RegistryTarget target,
      String image) {
    List<SyncContent> narrowed = new ArrayList<>();
    for (SyncContent entry : ReplicationConfig.content(rule)) {
      if (entry.matches(image)) {
        narrowed.add(entry.only(image));
      }
    }
    return SyncRun.run(new SyncReport(rule.name(), clock.instant()), narrowed, new RepositorySource(hosted), target,
        clock, pauser, SyncRun.Listener.NONE, rule.options());
  }

  // ---------------------------------------------------------------- reconcile

  /**
   * The rules of {@code repository} with their last reconciles.
   *
   * @throws NoSuchElementException if there is no such repository
   */
  public List<RuleStatus> rules(String repository) throws IOException {
    WharfConfig.Repository r = declared(repository);
    List<RuleStatus> out = new ArrayList<>();
    for (ReplicationConfig.Rule rule : rulesOf(r)) {
      out.add(status(r, rule));
    }
    return out;
  }

  /**
   * One rule with its last reconcile.
   *
   * @throws NoSuchElementException naming what is unknown
   */
  public RuleStatus rule(String repository, String rule) throws IOException {
    WharfConfig.Repository r = declared(repository);
    return status(r, declaredRule(r, rule));
  }

  /**
   * Starts a reconcile of the rule unless this node runs one already (then it answers that one).
   * Another node holding the rule's lease ends it at once, as {@code FAILED} with the holder named.
   *
   * @throws NoSuchElementException naming what is unknown
   */
  public RuleStatus run(String repository, String ruleName) throws IOException {
    WharfConfig.Repository r = declared(repository);
    ReplicationConfig.Rule rule = declaredRule(r, ruleName);
    String key = key(repository, ruleName);
    synchronized (this) {
      Reconcile current = running.get(key);
      if (current == null || current.future().isDone()) {
        HostedRepository hosted = hosted(repository);
        SyncReport report = new SyncReport(ruleName, clock.instant());
        Future<?> f = workers.submit(() -> reconcile(r, rule, hosted, report));
        running.put(key, new Reconcile(report, f));
      }
    }
    return status(r, rule);
  }

  private void reconcile(WharfConfig.Repository r, ReplicationConfig.Rule rule, HostedRepository hosted,
      SyncReport report) {
    Thread.interrupted(); // a pooled thread: a stale interrupt of a previous run's lease renewal
    SyncReport.Snapshot done = RuleRuns.underLease("replication", r.name(), rule.name(), hosted.storage(), node,
        SyncService.LEASE_TTL, SyncService.LEASE_SETTLE, clock, timer, report, () -> {
          try (RegistryTarget target = target(rule)) {
            return SyncRun.run(report, ReplicationConfig.content(rule), new RepositorySource(hosted), target, clock,
                pauser, SyncRun.Listener.NONE, rule.options());
          }
        });
    notify(r.name(), done);
  }

  private void notify(String repository, SyncReport.Snapshot done) {
    for (Observer o : observers) {
      try {
        o.finished(repository, done);
      } catch (RuntimeException e) {
        LOG.warn("replication observer failed: {}", e.toString());
      }
    }
  }

  private RegistryTarget target(ReplicationConfig.Rule rule) {
    return SyncService.registry(config.get(), rule.target().url(), rule.target().credentials(), clock).buildTarget();
  }

  private RuleStatus status(WharfConfig.Repository r, ReplicationConfig.Rule rule) throws IOException {
    String key = key(r.name(), rule.name());
    SyncReport.Snapshot last;
    boolean isRunning;
    Instant next;
    OnPush pushes;
    synchronized (this) {
      Reconcile current = running.get(key);
      isRunning = current != null && !current.future().isDone();
      last = current == null ? null : current.report().snapshot();
      next = nextRuns.get(key);
      Queue q = queues.get(key);
      pushes = q == null ? new OnPush(0, false, 0, 0, 0, 0, null, null)
          : new OnPush(q.pending.size(), q.draining, q.handled, q.copied, q.deleted, q.failed, q.lastFailure, q.lastAt);
    }
    if (!isRunning) {
      Optional<Repository> repo = repositories.apply(r.name());
      Optional<SyncReport.Snapshot> stored = repo.isPresent() && repo.get() instanceof HostedRepository hosted
          ? RuleRuns.read(hosted.storage(), RuleRuns.path("replication", r.name(), rule.name(), "json"),
              SyncReport.Snapshot.class)
          : Optional.empty();
      if (stored.isPresent() && (last == null || !stored.get().started().isBefore(last.started()))) {
        last = stored.get();
      }
    }
    return new RuleStatus(r.name(), rule.name(), rule.target().url(), rule.schedule(), next, rule.copiesOnPush(),
        rule.propagatesDeletes(), isRunning, last, pushes);
  }

  private HostedRepository hosted(String repository) {
    Repository repo = repositories.apply(repository)
        .orElseThrow(() -> new NoSuchElementException("repository " + repository + " is not running"));
    if (!(repo instanceof HostedRepository hosted)) {
      throw new IllegalStateException("repository " + repository + " is no hosted repository; push rules copy"
          + " hosted repositories");
    }
    return hosted;
  }

  private WharfConfig.Repository declared(String repository) {
    return config.get().repositories().stream().filter(r -> r.name().equals(repository)).findFirst()
        .orElseThrow(() -> new NoSuchElementException("no repository named " + repository));
  }

  private static List<ReplicationConfig.Rule> rulesOf(WharfConfig.Repository r) {
    return r.replication() == null ? List.of() : r.replication();
  }

  private static ReplicationConfig.Rule declaredRule(WharfConfig.Repository r, String rule) {
    return rulesOf(r).stream().filter(x -> x.name().equals(rule)).findFirst().orElseThrow(
        () -> new NoSuchElementException("repository " + r.name() + " has no replication rule named " + rule));
  }

  private static String key(String repository, String rule) {
    return repository + "/" + rule;
  }

  private static void closeQuietly(Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // connections are released with the client
      }
    }
  }

  /**
   * Waits up to {@code timeout} for the rule's reconcile and its copies on push on this node to
   * end; for tests and shutdown.
   *
   * @return whether both are idle
   */
  public boolean awaitIdle(String repository, String rule, Duration timeout) throws InterruptedException {
    Instant until = Instant.now().plus(timeout);
    String key = key(repository, rule);
    while (true) {
      Future<?> f;
      boolean draining;
      synchronized (this) {
        Reconcile current = running.get(key);
        f = current == null ? null : current.future();
        Queue q = queues.get(key);
        draining = q != null && (q.draining || !q.pending.isEmpty());
      }
      if ((f == null || f.isDone()) && !draining) {
        return true;
      }
      if (Instant.now().isAfter(until)) {
        return false;
      }
      Thread.sleep(20);
    }
  }

  /**
   * Stops the schedules and the workers (a reconcile stops at its next image and stores its
   * report), waiting up to half a minute: nothing may write after the server stopped.
   */
  @Override
  public void close() {
    synchronized (this) {
      timer.shutdownNow();
      workers.shutdownNow();
    }
    try {
      if (!workers.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("replication still going 30 s after the stop; it ends with the process");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
