package io.wharf.server.sync;

import io.wharf.core.gc.GcLease;
import io.wharf.core.lifecycle.Schedule;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Repository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.proxy.OutboundProxy;
import io.wharf.proxy.ProxyRepository;
import io.wharf.proxy.RegistrySource;
import io.wharf.proxy.sync.HostedTarget;
import io.wharf.proxy.sync.PausingSource;
import io.wharf.proxy.sync.ProxyCacheTarget;
import io.wharf.proxy.sync.RepositorySource;
import io.wharf.proxy.sync.SyncContent;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.proxy.sync.SyncRun;
import io.wharf.proxy.sync.SyncSource;
import io.wharf.proxy.sync.SyncTarget;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.Durations;
import io.wharf.server.config.LifecycleConfig;
import io.wharf.server.config.SyncConfig;
import io.wharf.server.config.WharfConfig;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
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
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * Runs the pull rules of the hosted and proxy repositories ({@code repositories[].sync[]}; a proxy's
 * rule warms its cache through the proxy itself, {@link ProxyCacheTarget}): on demand
 * ({@link #run}) and on their schedules, one run per rule at a time, also across nodes that share
 * the storage (the rule's lease in the repository's storage, {@link GcLease}, as maintenance and
 * webhook deliveries hold theirs). Each run's report is kept in the repository's storage
 * ({@code _wharf/sync/<repository>/<rule>.json}), written when the run starts, every half minute
 * while it runs (with the lease's renewal) and when it ends, so every node answers the same for
 * it and a restart keeps the last one.
 */
public final class SyncService implements Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(SyncService.class);
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final AtomicInteger THREADS = new AtomicInteger();
  /** How long a node that died running a rule keeps others from running it. */
  static final Duration LEASE_TTL = Duration.ofMinutes(1);
  static final Duration LEASE_SETTLE = Duration.ofSeconds(1);

  /** A rule and what it did last (or does now). {@code next} is null without a schedule; {@code last} null before any run. */
  public record RuleStatus(String repository, String rule, String source, String schedule, Instant next,
      boolean running, SyncReport.Snapshot last) {}

  /** Hears runs, for events and metrics. */
  public interface Observer {
    void finished(String repository, SyncReport.Snapshot report);

    Observer NONE = (repository, report) -> {};
  }

  private final Supplier<WharfConfig> config;
  private final Function<String, Optional<Repository>> repositories;
  private final Clock clock;
  private final PausingSource.Pauser pauser;
  private final List<Observer> observers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final String node = GcLease.newOwnerId();
  private final ExecutorService runs = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "wharf-sync-" + THREADS.incrementAndGet());
    t.setDaemon(true);
    return t;
  });
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "wharf-sync-timer");
    t.setDaemon(true);
    return t;
  });
  /** The runs of this node, by {@code repository/rule}; guarded by {@code this}. */
  private final Map<String, Running> running = new HashMap<>();
  private final Map<String, ScheduledFuture<?>> scheduled = new HashMap<>();
  private final Map<String, Instant> nextRuns = new HashMap<>();
  /** The schedule of each scheduled rule, by {@code repository/rule}; a chain of runs goes on while its plan is here. */
  private final Map<String, Plan> schedules = new HashMap<>();

  private record Plan(String text, Schedule schedule) {}

  private record Running(SyncReport report, Future<?> future) {}

  public SyncService(Supplier<WharfConfig> config, Function<String, Optional<Repository>> repositories, Clock clock,
      PausingSource.Pauser pauser) {
    this.config = config;
    this.repositories = repositories;
    this.clock = clock;
    this.pauser = pauser;
  }

  public void observe(Observer observer) {
    observers.add(observer);
  }

  /** Schedules every rule that has a schedule (from the configuration as it is now). */
  public SyncService start() {
    reschedule();
    return this;
  }

  /**
   * Makes the schedules follow the configuration as it is now: a rule added with a schedule is
   * scheduled, one deleted or without a schedule now is no longer, one whose schedule changed is
   * scheduled anew. Runs going on are left alone.
   */
  public synchronized void reschedule() {
    Map<String, String> wanted = new HashMap<>();
    for (WharfConfig.Repository r : config.get().repositories()) {
      for (SyncConfig.Rule rule : r.sync() == null ? List.<SyncConfig.Rule>of() : r.sync()) {
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
        Plan plan = new Plan(text, LifecycleConfig.schedule(text, "sync " + rule + ".schedule"));
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
        LOG.warn("sync {}/{}: scheduled run not started: {}", repository, rule, e.getMessage());
      }
      scheduleNext(repository, rule, plan);
    }, Math.max(0, Duration.between(now, next).toMillis()), TimeUnit.MILLISECONDS));
  }

  /** The rules of {@code repository} with their last runs. */
  public List<RuleStatus> rules(String repository) throws IOException {
    WharfConfig.Repository r = declared(repository);
    List<RuleStatus> out = new ArrayList<>();
    for (SyncConfig.Rule rule : r.sync() == null ? List.<SyncConfig.Rule>of() : r.sync()) {
      out.add(status(r, rule));
    }
    return out;
  }

  /** One rule with its last run; {@link NoSuchElementException} naming what is unknown. */
  public RuleStatus rule(String repository, String rule) throws IOException {
    WharfConfig.Repository r = declared(repository);
    return status(r, declaredRule(r, rule));
  }

  /**
   * Starts a run of the rule unless this node runs it already (then it answers that run). The run
   * goes on in the background; another node holding the rule's lease ends it at once, as
   * {@code FAILED} with the holder named.
   */
  public RuleStatus run(String repository, String ruleName) throws IOException {
    WharfConfig.Repository r = declared(repository);
    SyncConfig.Rule rule = declaredRule(r, ruleName);
    String key = key(repository, ruleName);
    synchronized (this) {
      Running current = running.get(key);
      if (current == null || current.future().isDone()) {
        Repository target = repositories.apply(repository)
            .orElseThrow(() -> new NoSuchElementException("repository " + repository + " is not running"));
        if (storageOf(target) == null) {
          throw new IllegalStateException("repository " + repository + " is no hosted or proxy repository; pull"
              + " rules write into hosted repositories and warm proxies' caches");
        }
        SyncReport report = new SyncReport(ruleName, clock.instant());
        Future<?> f = runs.submit(() -> runGuarded(r, rule, target, report));
        running.put(key, new Running(report, f));
      }
    }
    return status(r, rule);
  }

  /** Where a rule of {@code r} keeps its lease and reports: its storage; null for a repository that takes no rules. */
  private static StorageDriver storageOf(Repository r) {
    return r instanceof HostedRepository h ? h.storage() : r instanceof ProxyRepository p ? p.storage() : null;
  }

  private void runGuarded(WharfConfig.Repository r, SyncConfig.Rule rule, Repository repository, SyncReport report) {
    StorageDriver target = storageOf(repository);
    // a pooled thread: an interrupt a previous run's lease renewal sent as that run ended is stale
    Thread.interrupted();
    String path = "/docker/registry/v2/_wharf/sync/" + r.name() + "/" + rule.name() + ".lease";
    SyncReport.Snapshot done;
    try (GcLease lease = GcLease.acquire(target, path, node, LEASE_TTL, LEASE_SETTLE, clock)) {
      Thread worker = Thread.currentThread();
      ScheduledFuture<?> renewal = timer.scheduleAtFixedRate(() -> {
        try {
          if (!lease.renew()) {
            worker.interrupt(); // another node took the rule over: stop here
          }
        } catch (IOException e) {
          LOG.warn("sync {}/{}: lease not renewed: {}", r.name(), rule.name(), e.getMessage());
        }
        store(r.name(), target, report.snapshot());
      }, LEASE_TTL.toMillis() / 4, LEASE_TTL.toMillis() / 4, TimeUnit.MILLISECONDS);
      try (Source source = source(rule, repository)) {
        store(r.name(), target, report.snapshot());
        List<SyncContent> content = contentOf(rule);
        // a proxy's rule reads through the proxy itself, which caches what is read, as a pull would
        SyncTarget into = repository instanceof ProxyRepository proxy ? new ProxyCacheTarget(proxy)
            : new HostedTarget((HostedRepository) repository);
        done = SyncRun.run(report, content, source.source(), into, clock, pauser, SyncRun.Listener.NONE,
            rule.options());
      } finally {
        renewal.cancel(false);
      }
    } catch (GcLease.HeldException held) {
      report.finished(clock.instant(), "another node runs this rule now"
          + held.holder().map(h -> " (" + h.owner() + ", lease until " + h.expires() + ")").orElse(""));
      done = report.snapshot();
      notify(r.name(), done);
      return; // the holder's report stays the stored one
    } catch (IOException | RuntimeException e) {
      if (!report.isDone()) {
        report.finished(clock.instant(), e.getMessage() == null ? e.toString() : e.getMessage());
      }
      done = report.snapshot();
      LOG.warn("sync {}/{} failed: {}", r.name(), rule.name(), done.error());
    }
    store(r.name(), target, done);
    notify(r.name(), done);
  }

  private void notify(String repository, SyncReport.Snapshot done) {
    for (Observer o : observers) {
      try {
        o.finished(repository, done);
      } catch (RuntimeException e) {
        LOG.warn("sync observer failed: {}", e.toString());
      }
    }
  }

  private static List<SyncContent> contentOf(SyncConfig.Rule rule) {
    boolean hub = rule.source() != null && "hub".equals(rule.source().index());
    List<SyncContent> out = new ArrayList<>();
    for (int i = 0; i < rule.content().size(); i++) {
      out.add(SyncConfig.content(rule.content().get(i), hub, "sync " + rule.name() + ".content[" + i + "]"));
    }
    return out;
  }

  /** A source and how to let go of it (a registry client's connections). */
  private record Source(SyncSource source, Closeable closer) implements Closeable {
    @Override
    public void close() throws IOException {
      closer.close();
    }
  }

  private Source source(SyncConfig.Rule rule, Repository holder) {
    if (holder instanceof ProxyRepository) {
      return new Source(new RepositorySource(holder), () -> {});
    }
    SyncConfig.Source s = rule.source();
    if (s.repository() != null) {
      Repository from = repositories.apply(s.repository())
          .orElseThrow(() -> new NoSuchElementException("source repository " + s.repository() + " is not running"));
      return new Source(new RepositorySource(from), () -> {});
    }
    WharfConfig c = config.get();
    WharfConfig.Outbound out = c.http();
    RegistrySource.Builder b = RegistrySource.builder(URI.create(s.url()))
        .connectTimeout(Durations.parse(out.connectTimeout(), "http.connectTimeout"))
        .readTimeout(Durations.parse(out.timeout(), "http.timeout"))
        .retries(out.retries())
        .userAgent(out.userAgent())
        .outboundProxy(outboundProxy(out))
        .clock(clock);
    if (s.credentials() != null) {
      SyncConfig.Declared cred = Optional.ofNullable(SyncConfig.credentials(c).get(s.credentials()))
          .orElseThrow(() -> new ConfigException("credentials: no entry named \"" + s.credentials() + "\""));
      b.credentials(cred.credential().username(), SyncConfig.password(cred.credential(), cred.key()));
    }
    RegistrySource source = b.build();
    return new Source(source, source);
  }

  private static OutboundProxy outboundProxy(WharfConfig.Outbound out) {
    return new OutboundProxy(endpoint(out.proxy()), endpoint(out.httpsProxy()), out.nonProxyHosts());
  }

  private static OutboundProxy.Endpoint endpoint(WharfConfig.ProxyServer p) {
    return p == null ? null : new OutboundProxy.Endpoint(p.host(), p.port(), p.username(), p.password());
  }

  private RuleStatus status(WharfConfig.Repository r, SyncConfig.Rule rule) throws IOException {
    String key = key(r.name(), rule.name());
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
    if (!isRunning) {
      // another node's run, or one from before a restart, may be newer than what this node remembers
      Optional<SyncReport.Snapshot> stored = readStored(r.name(), rule.name());
      if (stored.isPresent() && (last == null || !stored.get().started().isBefore(last.started()))) {
        last = stored.get();
      }
    }
    String source = rule.source() == null ? "the cache of " + r.name() + " from " + r.remoteUrl()
        : rule.source().url() != null ? rule.source().url() : "repository " + rule.source().repository();
    return new RuleStatus(r.name(), rule.name(), source, rule.schedule(), next, isRunning, last);
  }

  /** The stored report of a rule, if one was written (by this node or another). */
  private Optional<SyncReport.Snapshot> readStored(String repository, String rule) throws IOException {
    Optional<Repository> r = repositories.apply(repository);
    StorageDriver storage = r.map(SyncService::storageOf).orElse(null);
    if (storage == null) {
      return Optional.empty();
    }
    Optional<byte[]> bytes = storage.getContent(reportPath(repository, rule));
    if (bytes.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readValue(bytes.get(), SyncReport.Snapshot.class));
    } catch (RuntimeException unreadable) {
      return Optional.empty(); // torn or from another version: as if never run
    }
  }

  private void store(String repository, StorageDriver target, SyncReport.Snapshot report) {
    try {
      target.putContent(reportPath(repository, report.rule()),
          JSON.writeValueAsString(report).getBytes(StandardCharsets.UTF_8));
    } catch (IOException | RuntimeException e) {
      LOG.warn("sync {}/{}: report not stored: {}", repository, report.rule(), e.toString());
    }
  }

  private static String reportPath(String repository, String rule) {
    return "/docker/registry/v2/_wharf/sync/" + repository + "/" + rule + ".json";
  }

  private WharfConfig.Repository declared(String repository) {
    return config.get().repositories().stream().filter(r -> r.name().equals(repository)).findFirst()
        .orElseThrow(() -> new NoSuchElementException("no repository named " + repository));
  }

  private static SyncConfig.Rule declaredRule(WharfConfig.Repository r, String rule) {
    return (r.sync() == null ? List.<SyncConfig.Rule>of() : r.sync()).stream().filter(x -> x.name().equals(rule))
        .findFirst().orElseThrow(() -> new NoSuchElementException("repository " + r.name() + " has no sync rule named "
            + rule));
  }

  private static String key(String repository, String rule) {
    return repository + "/" + rule;
  }

  /** Waits up to {@code timeout} for the rule's run on this node to end; for tests and shutdown. */
  public boolean awaitIdle(String repository, String rule, Duration timeout) throws InterruptedException {
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
    } catch (java.util.concurrent.ExecutionException e) {
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
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
      runs.shutdownNow();
    }
    try {
      if (!runs.awaitTermination(30, TimeUnit.SECONDS)) {
        LOG.warn("sync runs still going 30 s after the stop; they end with the process");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
