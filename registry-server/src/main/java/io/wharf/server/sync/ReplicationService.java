package io.wharf.server.sync;

import io.wharf.core.gc.GcLease;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Repository;
import io.wharf.proxy.RegistryTarget;
import io.wharf.proxy.sync.ImageCopier;
import io.wharf.proxy.sync.PausingSource;
import io.wharf.proxy.sync.RepositorySource;
import io.wharf.proxy.sync.SyncContent;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.proxy.sync.SyncRun;
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
    /**
     * A reconcile of a rule of {@code repository} ended.
     *
     * @param repository the repository
     * @param report the reconcile's final report
     */
    void finished(String repository, SyncReport.Snapshot report);

    /**
     * An image was handled on push.
     *
     * @param repository the repository
     * @param rule the rule's name
     * @param outcome {@code copied}, {@code skipped} (the remote had it) or {@code failed}
     */
    default void pushed(String repository, String rule, String outcome) {}
  }

  private final Supplier<WharfConfig> config;
  private final Function<String, Optional<Repository>> repositories;
  private final Clock clock;
  private final PausingSource.Pauser pauser;
  private final List<Observer> observers = new CopyOnWriteArrayList<>();
  /** Reconciles, their schedules, and the threads copies on push drain their queues on. */
  private final RuleRunner runner;
  /** Guarded by {@code this}, by {@code repository/rule}. */
  private final Map<String, Queue> queues = new HashMap<>();

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
    this.runner = new RuleRunner("replication", clock, this::run);
  }

  /**
   * Adds an observer of reconciles and copies on push.
   *
   * @param observer told of each reconcile's end and each image handled on push
   */
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
  public void reschedule() {
    runner.reschedule(config.get().repositories(), WharfConfig.Repository::pushRules);
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
    for (ReplicationConfig.Rule rule : r.get().pushRules()) {
      if (rule.copiesOnPush()) {
        enqueue(r.get().name(), rule.name(), image);
      }
    }
  }

  private synchronized void enqueue(String repository, String rule, String image) {
    Queue q = queues.computeIfAbsent(key(repository, rule), k -> new Queue());
    q.pending.add(image);
    if (!q.draining) {
      q.draining = runner.submit(() -> drain(repository, rule, q));
      if (!q.draining) {
        q.pending.clear(); // stopped: the reconcile copies it after the restart
      }
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
          Optional<ReplicationConfig.Rule> current = r.pushRules().stream().filter(x -> x.name().equals(ruleName))
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
   * @param repository the repository
   * @return each rule's status, in order
   * @throws IOException if a stored report cannot be read
   * @throws NoSuchElementException if there is no such repository
   */
  public List<RuleStatus> rules(String repository) throws IOException {
    WharfConfig.Repository r = declared(repository);
    List<RuleStatus> out = new ArrayList<>();
    for (ReplicationConfig.Rule rule : r.pushRules()) {
      out.add(status(r, rule));
    }
    return out;
  }

  /**
   * One rule with its last reconcile.
   *
   * @param repository the repository
   * @param rule the rule's name
   * @return its status
   * @throws IOException if a stored report cannot be read
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
   * @param repository the repository
   * @param ruleName the rule's name
   * @return its status
   * @throws IOException if a stored report cannot be read
   * @throws NoSuchElementException naming what is unknown, or a repository that is not running
   * @throws IllegalStateException if the repository is no hosted repository
   */
  public RuleStatus run(String repository, String ruleName) throws IOException {
    WharfConfig.Repository r = declared(repository);
    ReplicationConfig.Rule rule = declaredRule(r, ruleName);
    runner.startUnlessRunning(repository, ruleName, report -> {
      HostedRepository hosted = hosted(repository);
      return () -> reconcile(r, rule, hosted, report);
    });
    return status(r, rule);
  }

  private void reconcile(WharfConfig.Repository r, ReplicationConfig.Rule rule, HostedRepository hosted,
      SyncReport report) {
    SyncReport.Snapshot done = runner.underLease(r.name(), rule.name(), hosted.storage(), report, () -> {
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
    OnPush pushes;
    synchronized (this) {
      Queue q = queues.get(key);
      pushes = q == null ? new OnPush(0, false, 0, 0, 0, 0, null, null)
          : new OnPush(q.pending.size(), q.draining, q.handled, q.copied, q.deleted, q.failed, q.lastFailure, q.lastAt);
    }
    Optional<Repository> repo = repositories.apply(r.name());
    RuleRunner.Status s = runner.status(r.name(), rule.name(),
        repo.isPresent() && repo.get() instanceof HostedRepository hosted ? hosted.storage() : null);
    return new RuleStatus(r.name(), rule.name(), rule.target().url(), rule.schedule(), s.next(), rule.copiesOnPush(),
        rule.propagatesDeletes(), s.running(), s.last(), pushes);
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

  private static ReplicationConfig.Rule declaredRule(WharfConfig.Repository r, String rule) {
    return r.pushRules().stream().filter(x -> x.name().equals(rule)).findFirst().orElseThrow(
        () -> new NoSuchElementException("repository " + r.name() + " has no replication rule named " + rule));
  }

  private static String key(String repository, String rule) {
    return RuleRunner.key(repository, rule);
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
   * @param repository the repository
   * @param rule the rule's name
   * @param timeout how long to wait at most
   * @return whether both are idle
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitIdle(String repository, String rule, Duration timeout) throws InterruptedException {
    Instant until = Instant.now().plus(timeout);
    if (!runner.awaitIdle(repository, rule, timeout)) {
      return false;
    }
    String key = key(repository, rule);
    while (true) {
      boolean draining;
      synchronized (this) {
        Queue q = queues.get(key);
        draining = q != null && (q.draining || !q.pending.isEmpty());
      }
      if (!draining) {
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
    runner.close();
  }
}
