package io.wharf.server.sync;

import io.wharf.core.gc.GcLease;
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
import io.wharf.server.config.SyncConfig;
import io.wharf.server.config.WharfConfig;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

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

  /**
   * A rule and what it did last (or does now).
   *
   * @param repository the repository
   * @param rule the rule's name
   * @param source where the rule copies from: a registry's URL (never credentials), {@code
   *     repository <name>}, or a proxy's own cache
   * @param schedule the rule's schedule, or null
   * @param next the next scheduled run on this node; null without a schedule
   * @param running whether a run goes on on this node now
   * @param last the last (or current) run's report; null before any run
   */
  public record RuleStatus(String repository, String rule, String source, String schedule, Instant next,
      boolean running, SyncReport.Snapshot last) {}

  /** Hears runs, for events and metrics. */
  public interface Observer {
    /**
     * A run of a rule of {@code repository} ended.
     *
     * @param repository the repository
     * @param report the run's final report
     */
    void finished(String repository, SyncReport.Snapshot report);

    /** Hears nothing. */
    Observer NONE = (repository, report) -> {};
  }

  private final Supplier<WharfConfig> config;
  private final Function<String, Optional<Repository>> repositories;
  private final Clock clock;
  private final PausingSource.Pauser pauser;
  private final List<Observer> observers = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final RuleRunner runner;

  /**
   * A service for the rules of the configuration {@code config} gives.
   *
   * @param config the server's configuration as it is now (with the rules created through the API)
   * @param repositories the running repositories by name
   * @param clock for reports, schedules and leases
   * @param pauser waits out rate limits and the bandwidth limit, {@link PausingSource.Pauser#SLEEP}
   *     in production
   */
  public SyncService(Supplier<WharfConfig> config, Function<String, Optional<Repository>> repositories, Clock clock,
      PausingSource.Pauser pauser) {
    this.config = config;
    this.repositories = repositories;
    this.clock = clock;
    this.pauser = pauser;
    this.runner = new RuleRunner("sync", clock, this::run);
  }

  /**
   * Adds an observer of runs.
   *
   * @param observer told of each run's end
   */
  public void observe(Observer observer) {
    observers.add(observer);
  }

  /**
   * Schedules every rule that has a schedule (from the configuration as it is now).
   *
   * @return this service
   */
  public SyncService start() {
    reschedule();
    return this;
  }

  /**
   * Makes the schedules follow the configuration as it is now: a rule added with a schedule is
   * scheduled, one deleted or without a schedule now is no longer, one whose schedule changed is
   * scheduled anew. Runs going on are left alone.
   */
  public void reschedule() {
    runner.reschedule(config.get().repositories(), WharfConfig.Repository::pullRules);
  }

  /**
   * The rules of {@code repository} with their last runs.
   *
   * @param repository the repository
   * @return each rule's status, in order
   * @throws IOException if a stored report cannot be read
   * @throws NoSuchElementException if there is no such repository
   */
  public List<RuleStatus> rules(String repository) throws IOException {
    WharfConfig.Repository r = declared(repository);
    List<RuleStatus> out = new ArrayList<>();
    for (SyncConfig.Rule rule : r.pullRules()) {
      out.add(status(r, rule));
    }
    return out;
  }

  /**
   * One rule with its last run.
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
   * Starts a run of the rule unless this node runs it already (then it answers that run). The run
   * goes on in the background; another node holding the rule's lease ends it at once, as
   * {@code FAILED} with the holder named.
   *
   * @param repository the repository
   * @param ruleName the rule's name
   * @return its status
   * @throws IOException if a stored report cannot be read
   * @throws NoSuchElementException naming what is unknown, or a repository that is not running
   * @throws IllegalStateException if the repository takes no rules (neither hosted nor proxy)
   */
  public RuleStatus run(String repository, String ruleName) throws IOException {
    WharfConfig.Repository r = declared(repository);
    SyncConfig.Rule rule = declaredRule(r, ruleName);
    runner.startUnlessRunning(repository, ruleName, report -> {
      Repository target = repositories.apply(repository)
          .orElseThrow(() -> new NoSuchElementException("repository " + repository + " is not running"));
      if (storageOf(target) == null) {
        throw new IllegalStateException("repository " + repository + " is no hosted or proxy repository; pull"
            + " rules write into hosted repositories and warm proxies' caches");
      }
      return () -> runGuarded(r, rule, target, report);
    });
    return status(r, rule);
  }

  /** Where a rule of {@code r} keeps its lease and reports: its storage; null for a repository that takes no rules. */
  private static StorageDriver storageOf(Repository r) {
    return r instanceof HostedRepository h ? h.storage() : r instanceof ProxyRepository p ? p.storage() : null;
  }

  private void runGuarded(WharfConfig.Repository r, SyncConfig.Rule rule, Repository repository, SyncReport report) {
    StorageDriver target = storageOf(repository);
    SyncReport.Snapshot done = runner.underLease(r.name(), rule.name(), target, report, () -> {
          try (Source source = source(rule, repository)) {
            List<SyncContent> content = contentOf(rule);
            // a proxy's rule reads through the proxy itself, which caches what is read, as a pull would
            SyncTarget into = repository instanceof ProxyRepository proxy ? new ProxyCacheTarget(proxy)
                : new HostedTarget((HostedRepository) repository);
            return SyncRun.run(report, content, source.source(), into, clock, pauser, SyncRun.Listener.NONE,
                rule.options());
          }
        });
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
    RegistrySource source = registry(config.get(), s.url(), s.credentials(), clock).build();
    return new Source(source, source);
  }

  /**
   * A client of a remote registry with the server's outbound settings ({@code http}: timeouts,
   * retries, user agent, proxy) and the named credentials; pull rules read through it, push rules
   * write ({@link RegistrySource.Builder#buildTarget()}).
   *
   * @param c the configuration (its {@code http} section and credentials)
   * @param url the registry's base URL
   * @param credentials the name of the credentials to use, or null for anonymous access
   * @param clock for tokens and rate limits
   * @return the client's builder
   * @throws ConfigException if there are no credentials of that name
   */
  static RegistrySource.Builder registry(WharfConfig c, String url, String credentials, Clock clock) {
    WharfConfig.Outbound out = c.http();
    RegistrySource.Builder b = RegistrySource.builder(URI.create(url))
        .connectTimeout(Durations.parse(out.connectTimeout(), "http.connectTimeout"))
        .readTimeout(Durations.parse(out.timeout(), "http.timeout"))
        .retries(out.retries())
        .userAgent(out.userAgent())
        .outboundProxy(outboundProxy(out))
        .clock(clock);
    if (credentials != null) {
      SyncConfig.Declared cred = Optional.ofNullable(SyncConfig.credentials(c).get(credentials))
          .orElseThrow(() -> new ConfigException("credentials: no entry named \"" + credentials + "\""));
      b.credentials(cred.credential().username(), SyncConfig.password(cred.credential(), cred.key()))
          .credentialsName(cred.credential().name());
    }
    return b;
  }

  private static OutboundProxy outboundProxy(WharfConfig.Outbound out) {
    return new OutboundProxy(endpoint(out.proxy()), endpoint(out.httpsProxy()), out.nonProxyHosts());
  }

  private static OutboundProxy.Endpoint endpoint(WharfConfig.ProxyServer p) {
    return p == null ? null : new OutboundProxy.Endpoint(p.host(), p.port(), p.username(), p.password());
  }

  private RuleStatus status(WharfConfig.Repository r, SyncConfig.Rule rule) throws IOException {
    StorageDriver storage = repositories.apply(r.name()).map(SyncService::storageOf).orElse(null);
    RuleRunner.Status s = runner.status(r.name(), rule.name(), storage);
    String source = rule.source() == null ? "the cache of " + r.name() + " from " + r.remoteUrl()
        : rule.source().url() != null ? rule.source().url() : "repository " + rule.source().repository();
    return new RuleStatus(r.name(), rule.name(), source, rule.schedule(), s.next(), s.running(), s.last());
  }

  private WharfConfig.Repository declared(String repository) {
    return config.get().repositories().stream().filter(r -> r.name().equals(repository)).findFirst()
        .orElseThrow(() -> new NoSuchElementException("no repository named " + repository));
  }

  private static SyncConfig.Rule declaredRule(WharfConfig.Repository r, String rule) {
    return r.pullRules().stream().filter(x -> x.name().equals(rule))
        .findFirst().orElseThrow(() -> new NoSuchElementException("repository " + r.name() + " has no sync rule named "
            + rule));
  }

  /**
   * Waits up to {@code timeout} for the rule's run on this node to end; for tests and shutdown.
   *
   * @param repository the repository
   * @param rule the rule's name
   * @param timeout how long to wait at most
   * @return whether no run of the rule goes on now
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean awaitIdle(String repository, String rule, Duration timeout) throws InterruptedException {
    return runner.awaitIdle(repository, rule, timeout);
  }

  /**
   * Stops the schedules and interrupts the runs (each stops at its next image, or its next pause,
   * and stores its report), waiting up to half a minute for them: a run must not write into
   * storage after the server that owns it has stopped.
   */
  @Override
  public void close() {
    runner.close();
  }
}
