package io.wharf.server.config;

import io.wharf.core.lifecycle.AccessLog;
import io.wharf.core.lifecycle.CacheEvictor;
import io.wharf.core.lifecycle.CacheLimits;
import io.wharf.core.lifecycle.CleanupJob;
import io.wharf.core.lifecycle.CleanupPolicy;
import io.wharf.core.lifecycle.MaintenanceJob;
import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.quota.QuotaListener;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StoreSpace;
import io.wharf.proxy.OutboundProxy;
import io.wharf.proxy.ProxyMetrics;
import io.wharf.proxy.ProxyRepository;
import io.wharf.proxy.UpstreamListener;
import io.wharf.storage.fs.FilesystemDriver;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.LoggerFactory;

/**
 * Builds the {@link Registry} a validated {@link WharfConfig} describes, and the maintenance
 * jobs of its blob stores.
 */
public final class RegistryFactory {
  /** How often repositories' pull times are written to storage (see {@link AccessLog}). */
  static final Duration ACCESS_LOG_FLUSH = Duration.ofMinutes(1);

  private RegistryFactory() {}

  /**
   * What a configuration builds: the registry, a maintenance job per blob store (armed by
   * {@link #startMaintenance()}), which repositories each store holds, the access logs that
   * record pulls for cleanup policies and proxy cache limits (by repository), the storage driver
   * of each blob store (for health checks), and what {@link #build} needs to build more
   * repositories over the same stores while the server runs.
   *
   * @param registry the repositories
   * @param maintenance one maintenance job per blob store
   * @param repositoriesByStore the repositories whose content each blob store holds
   * @param accessLogs the pull times of each repository
   * @param drivers each blob store's storage driver
   * @param spaces each blob store's driver with its reserve of free space
   * @param observers who hears what the repositories do
   */
  public record Assembly(Registry registry, List<MaintenanceScheduler.Entry> maintenance,
      Map<String, List<Repository>> repositoriesByStore, Map<String, AccessLog> accessLogs,
      Map<String, StorageDriver> drivers, Map<String, StoreSpace> spaces, Observers observers) {

    /**
     * Starts the schedules and a chore that flushes the access logs every minute; close the
     * returned scheduler to stop both (it flushes once more).
     *
     * @return the running scheduler
     */
    public MaintenanceScheduler startMaintenance() {
      MaintenanceScheduler scheduler = new MaintenanceScheduler(maintenance);
      // always: repositories created while the server runs may bring access logs of their own
      scheduler.every(ACCESS_LOG_FLUSH, "flushing pull times", this::flushAccessLogs);
      scheduler.atClose(this::flushAccessLogs);
      return scheduler.start();
    }

    void flushAccessLogs() {
      accessLogs.values().forEach(RegistryFactory::flush);
    }

    /**
     * Builds the repositories {@code names} of {@code config} (a validated configuration over
     * this assembly's blob stores), members first; a member in {@code kept} is reused as it is.
     * Their access logs replace those of the same names (the old ones are flushed first).
     *
     * @return every repository built, by name
     * @param config the whole configuration, the new repositories included
     * @param names the repositories to build
     * @param kept repositories built before, by name, that members may be
     */
    public Map<String, Repository> build(WharfConfig config, Collection<String> names, Map<String, Repository> kept) {
      Map<String, WharfConfig.Repository> declared = new LinkedHashMap<>();
      config.repositories().forEach(r -> declared.put(r.name(), r));
      Map<String, Repository> built = new LinkedHashMap<>(kept);
      names.forEach(built::remove);
      Map<String, AccessLog> logs = new LinkedHashMap<>();
      for (String name : names) {
        RegistryFactory.build(declared.get(name), declared, built, spaces, logs, config, observers);
      }
      for (String name : names) {
        AccessLog old = logs.containsKey(name) ? accessLogs.put(name, logs.get(name)) : accessLogs.remove(name);
        if (old != null) {
          flush(old);
        }
      }
      Map<String, Repository> out = new LinkedHashMap<>();
      names.forEach(n -> out.put(n, built.get(n)));
      return out;
    }

    /**
     * Forgets the access log of a deleted repository, after writing what it holds.
     *
     * @param name the repository's name
     */
    public void forget(String name) {
      AccessLog old = accessLogs.remove(name);
      if (old != null) {
        flush(old);
      }
    }

    /**
     * The maintenance job of blob store {@code store} for the repositories of {@code config}
     * ({@code built}: all of them, by name).
     *
     * @param store the blob store's name
     * @param config the configuration
     * @param built every repository, by name
     * @return the job, to give the scheduler in place of the store's old one
     */
    public MaintenanceScheduler.Entry maintenance(String store, WharfConfig config, Map<String, Repository> built) {
      return RegistryFactory.maintenance(store, config.blobStores().get(store), drivers.get(store), config, built,
          accessLogs);
    }
  }

  private static void flush(AccessLog log) {
    try {
      log.flush();
    } catch (IOException | RuntimeException e) {
      LoggerFactory.getLogger(RegistryFactory.class).warn("could not write pull times of {}: {}", log, e.toString());
    }
  }

  /**
   * The registry of {@code config} (tests, and tools that need no maintenance).
   *
   * @param config a validated configuration
   * @return the registry
   */
  static Registry build(WharfConfig config) {
    return assemble(config).registry();
  }

  /**
   * Everything {@code config} describes, with no metrics or listeners: what {@code wharf gc} uses.
   *
   * @param config a validated configuration
   * @return the assembly
   */
  public static Assembly assemble(WharfConfig config) {
    return assemble(config, name -> ProxyMetrics.NONE);
  }

  /**
   * Who hears what the repositories built do: each proxy's metrics ({@code proxyMetrics.apply(name)}),
   * proxies' upstreams blocked and unblocked, hosted repositories' quota warnings and refusals.
   *
   * @param proxyMetrics each proxy repository's metrics, by name
   * @param upstreams hears of upstreams blocked and unblocked
   * @param quotas hears of quota warnings and refusals
   */
  public record Observers(Function<String, ProxyMetrics> proxyMetrics, UpstreamListener upstreams,
      QuotaListener quotas) {
    /**
     * Checks the metrics and fills in the listeners.
     *
     * @param proxyMetrics each proxy repository's metrics, by name
     * @param upstreams hears of upstreams blocked and unblocked; null: nobody
     * @param quotas hears of quota warnings and refusals; null: nobody
     * @throws NullPointerException if {@code proxyMetrics} is null
     */
    public Observers {
      java.util.Objects.requireNonNull(proxyMetrics);
      upstreams = upstreams == null ? UpstreamListener.NONE : upstreams;
      quotas = quotas == null ? QuotaListener.NONE : quotas;
    }
  }

  /**
   * As {@link #assemble(WharfConfig)}, with each proxy repository reporting to {@code proxyMetrics.apply(name)}.
   *
   * @param config a validated configuration
   * @param proxyMetrics each proxy repository's metrics, by name
   * @return the assembly
   */
  public static Assembly assemble(WharfConfig config, Function<String, ProxyMetrics> proxyMetrics) {
    return assemble(config, spaces(config), proxyMetrics);
  }

  /**
   * The blob stores of {@code config}: each one's driver and reserve of free space.
   *
   * @param config a validated configuration
   * @return the blob stores by name; their drivers are open
   */
  public static Map<String, StoreSpace> spaces(WharfConfig config) {
    Map<String, StoreSpace> spaces = new LinkedHashMap<>();
    config.blobStores().forEach((name, store) -> spaces.put(name, space(name, store, driver(store))));
    return spaces;
  }

  /**
   * As {@link #assemble(WharfConfig, Function)}, over blob stores already opened ({@link #spaces}).
   *
   * @param config a validated configuration
   * @param spaces the blob stores, opened by {@link #spaces}
   * @param proxyMetrics each proxy repository's metrics, by name
   * @return the assembly
   */
  public static Assembly assemble(WharfConfig config, Map<String, StoreSpace> spaces,
      Function<String, ProxyMetrics> proxyMetrics) {
    return assemble(config, spaces, new Observers(proxyMetrics, null, null));
  }

  /**
   * As {@link #assemble(WharfConfig, Map, Function)}, with every observer.
   *
   * @param config a validated configuration
   * @param spaces the blob stores, opened by {@link #spaces}
   * @param observers who hears what the repositories do
   * @return the assembly
   */
  public static Assembly assemble(WharfConfig config, Map<String, StoreSpace> spaces, Observers observers) {
    Map<String, StorageDriver> drivers = new LinkedHashMap<>();
    spaces.forEach((name, space) -> drivers.put(name, space.driver()));
    Map<String, WharfConfig.Repository> declared = new LinkedHashMap<>();
    config.repositories().forEach(r -> declared.put(r.name(), r));
    Map<String, Repository> built = new LinkedHashMap<>();
    Map<String, AccessLog> accessLogs = new ConcurrentHashMap<>();
    for (WharfConfig.Repository r : config.repositories()) {
      build(r, declared, built, spaces, accessLogs, config, observers);
    }
    Registry.Builder registry = Registry.builder();
    config.repositories().forEach(r -> registry.add(built.get(r.name())));
    if (config.server().defaultRepository() != null) {
      registry.defaultRepository(config.server().defaultRepository());
    }
    Map<String, List<Repository>> byStore = new LinkedHashMap<>();
    config.blobStores().keySet().forEach(store -> byStore.put(store, new ArrayList<>()));
    config.repositories().stream().filter(r -> !r.isGroup())
        .forEach(r -> byStore.get(r.blobStore()).add(built.get(r.name())));
    List<MaintenanceScheduler.Entry> jobs = new ArrayList<>();
    config.blobStores().forEach((store, bs) -> jobs.add(maintenance(store, bs, drivers.get(store), config, built,
        accessLogs)));
    return new Assembly(registry.build(), jobs, byStore, accessLogs, Collections.unmodifiableMap(drivers),
        Collections.unmodifiableMap(spaces), observers);
  }

  /**
   * {@code config} with every hosted and proxy repository's namespace written out as
   * {@link #namespace} decides it for {@code config} ({@code ""}: none). Repositories added later
   * (through the management API) then cannot move the images of those already there: without
   * this, a second repository on a store would move the first one's images from the store's root
   * to a namespace of its own, and they would vanish from view.
   *
   * @param config a validated configuration
   * @return the configuration with every namespace explicit
   */
  public static WharfConfig pinNamespaces(WharfConfig config) {
    List<WharfConfig.Repository> pinned = new ArrayList<>();
    for (WharfConfig.Repository r : config.repositories()) {
      if (r.isGroup() || r.namespace() != null) {
        pinned.add(r);
      } else {
        String ns = namespace(r, config);
        pinned.add(r.withNamespace(ns == null ? "" : ns));
      }
    }
    return config.withRepositories(pinned);
  }

  /**
   * The job of one blob store: the cleanup policy of each hosted repository on it, the cache
   * limits of each proxy on it, then garbage collection as {@code maintenance:} says (defaults
   * without that section; the job then runs on demand only).
   */
  static MaintenanceScheduler.Entry maintenance(String store, WharfConfig.BlobStore bs, StorageDriver driver,
      WharfConfig config, Map<String, Repository> built, Map<String, AccessLog> accessLogs) {
    String key = "blobStores." + store + ".maintenance";
    WharfConfig.Maintenance m = bs.maintenance() != null ? bs.maintenance()
        : new WharfConfig.Maintenance(null, null, null, null, null, null).withDefaults();
    MaintenanceJob.Builder job = MaintenanceJob.builder(store, driver)
        .gc(m.gc())
        .grace(Durations.parse(m.grace(), key + ".grace"))
        .deleteUntagged(m.deleteUntagged())
        .purgeUploadsAfter(LifecycleConfig.purgeUploads(m.purgeUploads(), key + ".purgeUploads"))
        .tagHistory(Durations.parse(m.tagHistory() == null ? WharfConfig.Maintenance.DEFAULT_TAG_HISTORY
            : m.tagHistory(), key + ".tagHistory"));
    for (WharfConfig.Repository r : config.repositories()) {
      if (r.isGroup() || !r.blobStore().equals(store)) {
        continue;
      }
      String rkey = "repositories (" + r.name() + ")";
      String namespace = namespace(r, config);
      AccessLog log = accessLogs.get(r.name());
      CleanupPolicy policy = LifecycleConfig.cleanup(r.cleanup(), rkey + ".cleanup");
      if (policy != null) {
        job.step(MaintenanceJob.step("cleanup of " + r.name(), r.name(), dryRun -> CleanupJob.builder(driver, policy)
            .namespace(namespace).accessLog(log).dryRun(dryRun).build().run()));
      }
      CacheLimits limits = LifecycleConfig.cache(r.cache(), rkey + ".cache");
      if (limits != null) {
        job.step(MaintenanceJob.step("cache limits of " + r.name(), r.name(), dryRun -> CacheEvictor.builder(driver, limits)
            .namespace(namespace).accessLog(log).dryRun(dryRun).build().run()));
      }
      if (built.get(r.name()) instanceof HostedRepository hosted && hosted.quota().isPresent()) {
        job.afterRun(hosted.quota().get()::refresh);
      }
    }
    return new MaintenanceScheduler.Entry(job.build(), LifecycleConfig.schedule(m.schedule(), key + ".schedule"),
        m.dryRun());
  }

  /** Builds {@code r}, members first (the config was checked for cycles). */
  private static Repository build(WharfConfig.Repository r, Map<String, WharfConfig.Repository> declared,
      Map<String, Repository> built, Map<String, StoreSpace> spaces, Map<String, AccessLog> accessLogs,
      WharfConfig config, Observers observers) {
    Repository existing = built.get(r.name());
    if (existing != null) {
      return existing;
    }
    Repository repo;
    if (r.isGroup()) {
      List<Repository> members = new ArrayList<>();
      for (String m : r.members()) {
        members.add(build(declared.get(m), declared, built, spaces, accessLogs, config, observers));
      }
      repo = new GroupRepository(r.name(), members, r.writableMember() == null ? null : built.get(r.writableMember()));
    } else {
      StoreSpace space = spaces.get(r.blobStore());
      StorageDriver driver = space.driver();
      String namespace = namespace(r, config);
      // Pull times are recorded only where a policy reads them: zero cost otherwise.
      boolean readsPulls = r.cache() != null || r.cleanup() != null && r.cleanup().notPulledFor() != null;
      AccessLog log = readsPulls ? AccessLog.builder(driver).namespace(namespace).build() : null;
      if (log != null) {
        accessLogs.put(r.name(), log);
      }
      repo = r.isProxy() ? proxy(r, driver, config.http(), namespace, log, observers.proxyMetrics().apply(r.name()),
          observers.upstreams())
          : hosted(r, space, namespace, metadataCacheTtl(r, config), log, observers.quotas());
    }
    built.put(r.name(), repo);
    return repo;
  }

  /**
   * How long a hosted repository may serve manifests and tags from memory: as configured, else
   * 5 s on a file or memory store (one node: its own writes invalidate at once) and 0 on S3,
   * where several nodes share the bucket and a tag moved on one must show on the others at once.
   */
  static Duration metadataCacheTtl(WharfConfig.Repository r, WharfConfig config) {
    if (r.metadataCacheTtl() != null) {
      return Durations.parse(r.metadataCacheTtl(), "repositories (" + r.name() + ").metadataCacheTtl");
    }
    return "s3".equals(config.blobStores().get(r.blobStore()).type()) ? Duration.ZERO : Duration.ofSeconds(5);
  }

  /**
   * Where a repository keeps its images in its blob store: an explicit {@code namespace} (empty
   * means none); else none when it is the only repository on the store (a plain distribution
   * {@code rootdirectory}), else its own name, so repositories sharing a store share blob bytes
   * but not images.
   */
  static String namespace(WharfConfig.Repository r, WharfConfig config) {
    if (r.namespace() != null) {
      return r.namespace().isEmpty() ? null : r.namespace();
    }
    long sharing = config.repositories().stream()
        .filter(o -> !o.isGroup() && r.blobStore().equals(o.blobStore()))
        .count();
    return sharing > 1 ? r.name() : null;
  }

  private static Repository hosted(WharfConfig.Repository r, StoreSpace space, String namespace, Duration cacheTtl,
      AccessLog accessLog, QuotaListener quotas) {
    String key = "repositories (" + r.name() + ")";
    return HostedRepository.builder(r.name(), space.driver())
        .space(space)
        .namespace(namespace)
        .writePolicy(ConfigLoader.writePolicy(r.writePolicy(), key + ".writePolicy"))
        .allowLatestRedeploy(Boolean.TRUE.equals(r.allowLatestRedeploy()))
        .metadataCacheTtl(cacheTtl)
        .quota(LifecycleConfig.quota(r.quota(), key + ".quota"))
        .quotaListener(quotas)
        .accessLog(accessLog)
        .build();
  }

  private static Repository proxy(WharfConfig.Repository r, StorageDriver driver, WharfConfig.Outbound serverWide,
      String namespace, AccessLog accessLog, ProxyMetrics metrics, UpstreamListener upstreams) {
    String key = "repositories (" + r.name() + ")";
    WharfConfig.Outbound out = r.outbound() == null ? serverWide : r.outbound().over(serverWide);
    ProxyRepository.Builder b = ProxyRepository.builder(r.name(), driver, ConfigLoader.remoteUrl(r.remoteUrl(), key + ".remoteUrl"))
        .namespace(namespace)
        .indexMode(ConfigLoader.indexMode(r.index(), key + ".index"))
        .metadataMaxAge(Durations.parse(r.metadataMaxAge(), key + ".metadataMaxAge"))
        .negativeCacheTtl(Durations.parse(r.negativeCacheTtl(), key + ".negativeCacheTtl"))
        .connectTimeout(Durations.parse(out.connectTimeout(), key + ".outbound.connectTimeout"))
        .readTimeout(Durations.parse(out.timeout(), key + ".outbound.timeout"))
        .retries(out.retries())
        .autoBlock(out.autoBlock().after(), Durations.parse(out.autoBlock().initial(), key + ".outbound.autoBlock.initial"),
            Durations.parse(out.autoBlock().max(), key + ".outbound.autoBlock.max"))
        .userAgent(out.userAgent())
        .outboundProxy(new OutboundProxy(endpoint(out.proxy()), endpoint(out.httpsProxy()), out.nonProxyHosts()))
        .accessLog(accessLog)
        .metrics(metrics)
        .upstreamListener(upstreams);
    if (r.username() != null) {
      b.credentials(r.username(), r.password());
    }
    return b.build();
  }

  private static OutboundProxy.Endpoint endpoint(WharfConfig.ProxyServer p) {
    return p == null ? null : new OutboundProxy.Endpoint(p.host(), p.port(), p.username(), p.password());
  }

  /**
   * The free space of one configured blob store: its reserve ({@code minFree}) and the driver that
   * repositories, proxies and maintenance write through, whose out-of-space errors name the store.
   * Proxy cache fills go through that driver but are not held to the reserve: to their client they
   * are pulls, which must not fail while the disk still has room; {@code cache.maxSize} bounds them.
   *
   * @param name the blob store's name
   * @param store its configuration ({@code minFree})
   * @param driver its driver
   * @return the store's space
   */
  public static StoreSpace space(String name, WharfConfig.BlobStore store, StorageDriver driver) {
    StoreSpace.Builder b = StoreSpace.builder(name, driver);
    if (store.minFree() != null) {
      b.minFree(Sizes.parse(store.minFree(), "blobStores." + name + ".minFree"));
    }
    return b.build();
  }

  /**
   * The driver of one configured blob store.
   *
   * @param store the blob store's configuration
   * @return a new driver: file system, S3 or in memory
   */
  static StorageDriver driver(WharfConfig.BlobStore store) {
    return switch (store.type()) {
      case "memory" -> store.maxSize() == null ? new InMemoryDriver()
          : new InMemoryDriver(Sizes.parse(store.maxSize(), "blobStores.<memory>.maxSize"));
      case "s3" -> S3Stores.driver(store);
      default -> new FilesystemDriver(Path.of(store.path()).toAbsolutePath().normalize());
    };
  }
}
