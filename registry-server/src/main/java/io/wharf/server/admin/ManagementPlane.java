package io.wharf.server.admin;

import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StoreSpace;
import io.wharf.proxy.ProxyRepository;
import io.wharf.proxy.sync.PausingSource;
import io.wharf.server.auth.ApiCredentials;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.config.Durations;
import io.wharf.server.config.LifecycleConfig;
import io.wharf.server.config.RegistryFactory;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.events.EventBus;
import io.wharf.server.events.SystemEvents;
import io.wharf.server.metrics.MetricsServlet;
import io.wharf.server.metrics.WharfMetrics;
import io.wharf.server.sync.ReplicationService;
import io.wharf.server.sync.SyncService;
import jakarta.servlet.DispatcherType;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jetty.ee10.servlet.FilterHolder;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.component.AbstractLifeCycle;

/**
 * Everything the management plane adds to a server, in one place: the services (repositories,
 * health) built from the running registry, their faces mounted on the main context (Nexus's REST
 * API at {@value NexusRestServlet#PATH}, the probes at {@value HealthServlet#PATH}, Prometheus
 * metrics at {@code management.metrics.path}), and the request measurement around the whole
 * server. Managed by Jetty: it stops with the server.
 *
 * <pre>
 * WharfMetrics metrics = ManagementPlane.metrics(config);             // before the registry: proxies report to it
 * ...
 * ManagementPlane plane = ManagementPlane.install(jetty, context, config, repositories, security, drivers, ...);
 * jetty.setHandler(new GracefulHandler(plane.measure(context)));
 * </pre>
 */
public final class ManagementPlane extends AbstractLifeCycle {
  private final WharfMetrics metrics;
  private final RepositoryService repositories;
  private final HealthService health;
  private final SettingsStore settings;
  private final ImageIndex index;
  private final SearchService search;
  private final ImageService images;
  private final SecurityService security;

  private ManagementPlane(WharfMetrics metrics, RepositoryService repositories, HealthService health,
      SettingsStore settings, ImageIndex index, SearchService search, ImageService images, SecurityService security) {
    this.metrics = metrics;
    this.repositories = repositories;
    this.health = health;
    this.settings = settings;
    this.index = index;
    this.search = search;
    this.images = images;
    this.security = security;
  }

  /**
   * The metrics of a server, made before its registry so the proxies can report to them.
   *
   * @param config the server's configuration
   * @return new metrics; null when {@code management.metrics.enabled} is false
   */
  public static WharfMetrics metrics(WharfConfig config) {
    WharfConfig.Management m = config.withDefaults().management();
    return Boolean.TRUE.equals(m.metrics().enabled()) ? new WharfMetrics() : null;
  }

  /**
   * Builds the services and mounts their faces on {@code context}: Nexus's REST API, Wharf's
   * {@code /wharf/api}, the health probes, the web UI, the JWKS of a secured server and the
   * metrics. Also starts the pull rules and registers with {@code jetty} what must stop with it
   * (the sync, the API credentials' last uses, the webhook endpoints).
   *
   * @param jetty the server, which manages the plane's lifecycle beans
   * @param context the main context the servlets and the manifest-change filter are added to
   * @param config the running configuration
   * @param repositories the running repositories, changed through the API (read them on each
   *     call: {@link RepositoryService#registry()})
   * @param security null: an open server
   * @param drivers the blob stores' drivers, probed for health (empty for a caller's registry)
   * @param maintenance the blob stores' maintenance jobs, whose runs are counted; null for none
   * @param metrics from {@link #metrics}; null: no metrics
   * @param events the webhooks' bus; null: none configured
   * @return the plane, already a managed bean of {@code jetty} (stopping closes the search index
   *     and the metrics); wrap the server's handler with {@link #measure}
   */
  public static ManagementPlane install(Server jetty, ServletContextHandler context, WharfConfig config,
      RepositoryDeployment repositories, RegistrySecurity security, Map<String, StorageDriver> drivers,
      MaintenanceScheduler maintenance, WharfMetrics metrics, EventBus events) {
    config = config.withDefaults();
    // API changes live in the first blob store (every node of an S3 setup sees them); an
    // embedder's registry has no store of ours: its changes last until it stops.
    SettingsStore settings = drivers.isEmpty() ? SettingsStore.inMemory()
        : SettingsStore.in(drivers.values().iterator().next());
    Permissions permissions = Permissions.of(security);
    // the events that are not about an artifact: the services' changes, logins, maintenance runs
    SystemEvents system = new SystemEvents(events);
    RepositoryService repositoryService = new RepositoryService(repositories, permissions, settings, system);
    HealthService.Builder health = HealthService.builder(repositories::registry, permissions);
    drivers.forEach(health::store);
    List<BlobStoreService.Store> stores = new ArrayList<>();
    for (Map.Entry<String, StorageDriver> d : drivers.entrySet()) {
      WharfConfig.BlobStore declared = config.blobStores().get(d.getKey());
      StoreSpace space = RegistryFactory.space(d.getKey(), declared, d.getValue());
      health.readiness(HealthService.freeSpace(space));
      String store = d.getKey();
      stores.add(new BlobStoreService.Store(store, nexusType(declared.type()), space,
          () -> repositoriesOn(store, repositories.config(), repositories.registry())));
    }
    if (security != null) {
      health.signingKey(security::checkSigningKey);
    }
    if (events != null) {
      // Not a readiness check: a receiver that is down must not take the registry out of service.
      health.check(new HealthCheck() {
        @Override
        public String name() {
          return "Event outbox";
        }

        @Override
        public HealthCheck.Result check() {
          Map<String, Integer> filling = events.health();
          return filling.isEmpty()
              ? HealthCheck.Result.healthy("every endpoint's queue is below 80 % of " + events.maxPending(), null)
              : HealthCheck.Result.unhealthy("event queues filling up (events waiting, limit " + events.maxPending()
                  + "): " + filling, Map.copyOf(filling));
        }
      });
    }
    // Search and browse answer from an index derived from storage (see ImageIndex); it asks the
    // deployment for its repositories on every refresh, so repositories changed live are followed.
    ManifestFacts facts = new ManifestFacts(200_000);
    ImageIndex index = ImageIndex.start(() -> repositories.registry().repositories(), facts);
    SearchService search = new SearchService(repositoryService, permissions, index, facts,
        name -> repositories.config().repositories().stream().filter(r -> r.name().equals(name))
            .map(r -> r.blobStore() == null ? "default" : r.blobStore()).findFirst().orElse("default"));
    ImageService images = new ImageService(repositoryService, permissions, index, facts);
    // users, roles, realms and anonymous access changed through the API: applied (and loaded) here
    SecurityService users = new SecurityService(security, settings,
        name -> repositories.registry().repository(name).isPresent(), system);
    ManagementPlane plane = new ManagementPlane(metrics, repositoryService, health.build(), settings, index, search,
        images, users);
    // What the operations services cover: the repositories running now (they change live).
    Supplier<Collection<Repository>> all = () -> repositories.registry().repositories();
    BlobStoreService blobStores = new BlobStoreService(stores, permissions, all, Clock.systemUTC());
    TaskService tasks = new TaskService(maintenance, taskParts(config), permissions, all);
    ProxyService proxies = new ProxyService(all, repositoryService::readable, permissions, metrics);
    CleanupPreview cleanup = new CleanupPreview(maintenance, permissions, all, search);
    // Pull rules (docs/sync.md): on their schedules and on demand; their runs as events and metrics.
    // Rules and credentials created through the API: in the settings, read now (their schedules
    // start with the server) and again by every node as they change; the runs see them through
    // the effective configuration.
    RuleSettingsService ruleSettings = new RuleSettingsService(settings, repositories::config);
    ruleSettings.sync();
    SyncService sync = new SyncService(() -> ruleSettings.effective(repositories.config()),
        name -> repositories.registry().repository(name), Clock.systemUTC(), PausingSource.Pauser.SLEEP);
    ruleSettings.onChange(sync::reschedule);
    jetty.addBean(ruleSettings, true);
    sync.observe(system.sync());
    if (metrics != null) {
      sync.observe(metrics.sync());
    }
    jetty.addBean(alongside(sync::start, sync::close), true);
    // Push rules (docs/sync.md): each push copied on, reconciles on their schedules and on demand;
    // those created through the API as the pull rules are (the effective configuration).
    ReplicationService replication = new ReplicationService(() -> ruleSettings.effective(repositories.config()),
        name -> repositories.registry().repository(name), Clock.systemUTC(), PausingSource.Pauser.SLEEP);
    ruleSettings.onChange(replication::reschedule);
    replication.observe(system.replication());
    if (metrics != null) {
      replication.observe(metrics.replication());
    }
    jetty.addBean(alongside(replication::start, replication::close), true);
    // Pushes and deletes through the registry API reach the index and the push rules as they happen.
    context.addFilter(new FilterHolder(new ManifestChangeFilter(search, replication)), "/*",
        EnumSet.of(DispatcherType.REQUEST));
    OpenApiSpec openApi = OpenApiSpec.load();
    // who reads which events: the API's audit trail and the UI's recent activity
    AuditTrail audit = new AuditTrail(events, permissions, name -> repositories.registry().repository(name), all);
    if (maintenance != null) {
      maintenance.onReport(report -> blobStores.refresh());
      // cleanup and eviction delete tags without a request: browse and search see it after a walk
      maintenance.onReport(report -> {
        if (!report.dryRun()) {
          index.walkAgain();
        }
      });
    }

    // Robot accounts and API tokens: kept beside the other settings, checked by the security on
    // every registry request; their last uses are written once more when the server stops.
    ApiCredentials credentials = security == null ? null
        : new ApiCredentials(ApiCredentials.Storage.of(settings::read, settings::write), security.clock(),
            new ApiCredentials.Policy(Durations.parse(config.security().robots().defaultExpiry(),
                "security.robots.defaultExpiry"), config.security().robots().allowNeverExpire()));
    if (credentials != null) {
      security.credentials(credentials);
      jetty.addBean(alongside(() -> { }, credentials::flush), true);
      context.addServlet(new ServletHolder("jwks", new JwksServlet(security)), JwksServlet.PATH);
    }

    // Webhook endpoints created through the API: in the settings beside the repositories, read
    // now (they deliver from the start) and again by every node as they change.
    EventEndpointService eventEndpoints = events == null ? null
        : new EventEndpointService(events, settings, config.events().endpoints());
    if (eventEndpoints != null) {
      eventEndpoints.sync();
      jetty.addBean(eventEndpoints, true);
    }

    URI publicUrl = config.server().publicUrl() == null ? null : URI.create(config.server().publicUrl());
    // Endpoint groups, in the order they are asked; each new group is one line here.
    List<RestEndpoints> nexus = List.of(
        new OpenApiEndpoints(openApi),
        new StatusEndpoints(plane.health),
        // before the repository group, which reads /v1/repositories/{format}/{type} for any two segments
        ProxyEndpoints.nexus(proxies),
        new RepositoryEndpoints(plane.repositories),
        new SearchEndpoints(plane.search),
        new SecurityEndpoints(plane.security),
        new BlobStoreEndpoints(blobStores),
        new TaskEndpoints(tasks));
    List<RestEndpoints> wharf = List.of(
        new WharfRepositoryEndpoints(plane.repositories),
        new ImageEndpoints(plane.images),
        new TagHistoryEndpoints(plane.repositories, permissions, events),
        new SyncEndpoints(ruleSettings,
            caller -> permissions.requireServerAdmin(caller, repositories.registry().repositories(), "outbound credentials")),
        new RuleEndpoints<>(ApiRules.PULL, sync::rules, sync::rule, sync::run, plane.repositories, permissions, ruleSettings,
            caller -> permissions.requireServerAdmin(caller, repositories.registry().repositories(), "sync rules")),
        new RuleEndpoints<>(ApiRules.PUSH, replication::rules, replication::rule, replication::run, plane.repositories,
            permissions, ruleSettings,
            caller -> permissions.requireServerAdmin(caller, repositories.registry().repositories(), "replication rules")),
        new EventEndpoints(events, eventEndpoints,
            caller -> permissions.requireServerAdmin(caller, repositories.registry().repositories(), "event endpoints"),
            audit::mayAudit),
        ProxyEndpoints.wharf(proxies),
        new WharfOpsEndpoints(cleanup, eventEndpoints == null ? () -> ruleSettings.effective(repositories.config())
            : () -> ruleSettings.effective(eventEndpoints.effective(repositories.config())), permissions, all),
        new CredentialEndpoints(security, credentials));
    context.addServlet(new ServletHolder("nexus-rest", new NexusRestServlet(nexus, security, publicUrl)),
        NexusRestServlet.PATH + "/*");
    context.addServlet(new ServletHolder("wharf-api", new WharfApiServlet(wharf, security, publicUrl)),
        WharfApiServlet.PATH + "/*");
    context.addServlet(new ServletHolder("health", new HealthServlet(plane.health)), HealthServlet.PATH + "/*");
    io.wharf.server.ui.UiServlet.install(context, config, new io.wharf.server.ui.UiServices(plane.repositories,
        plane.health, plane.images, plane.search, blobStores, tasks, cleanup, plane.security, permissions, audit,
        new CredentialService(security, credentials)),
        security, repositories::boundPort);
    if (metrics != null) {
      context.addServlet(new ServletHolder("metrics", new MetricsServlet(metrics)), config.management().metrics().path());
      metrics.bind(jetty);
      drivers.keySet().forEach(metrics::store);
      for (String store : drivers.keySet()) {
        metrics.storage(store, () -> blobStores.numbers(store).blobCount(),
            () -> blobStores.numbers(store).totalSizeInBytes(), () -> {
              Long free = blobStores.numbers(store).availableSpaceInBytes();
              return free == null ? Double.NaN : free;
            });
      }
      for (Repository r : repositories.registry().repositories()) {
        if (r instanceof ProxyRepository p) {
          metrics.repositoryStorage(r.name(), () -> bytes(p::cachedBytes));
        } else if (r instanceof HostedRepository h && h.quota().isPresent()) {
          metrics.repositoryStorage(r.name(), () -> bytes(h.quota().get()::usedBytes));
        }
      }
      if (security != null) {
        security.observeLogins(metrics.logins());
      }
      if (maintenance != null) {
        maintenance.onReport(metrics.maintenance());
      }
      if (events != null) {
        metrics.events(events);
      }
    }
    if (events != null) {
      if (security != null) { // besides the metrics' observer, set above
        security.observeLogins(system.logins(metrics == null ? null : metrics.logins()));
      }
      if (maintenance != null) {
        maintenance.onReport(system.maintenance());
      }
    }
    jetty.addBean(plane, true);
    return plane;
  }

  @FunctionalInterface
  private interface Bytes {
    long get() throws java.io.IOException;
  }

  /** A bean that runs {@code start} and {@code stop} as the server starts and stops. */
  private static AbstractLifeCycle alongside(Runnable start, Runnable stop) {
    return new AbstractLifeCycle() {
      @Override
      protected void doStart() {
        start.run();
      }

      @Override
      protected void doStop() {
        stop.run();
      }
    };
  }

  private static double bytes(Bytes b) {
    try {
      return b.get();
    } catch (java.io.IOException e) {
      return Double.NaN;
    }
  }

  /** Nexus's name of a blob store type: {@code File}, {@code S3}, {@code Memory}. */
  private static String nexusType(String type) {
    return switch (type == null ? "file" : type) {
      case "s3" -> "S3";
      case "memory" -> "Memory";
      default -> "File";
    };
  }

  /** The configured repositories whose content {@code store} holds (groups hold none). */
  private static List<Repository> repositoriesOn(String store, WharfConfig config, Registry registry) {
    List<Repository> out = new ArrayList<>();
    for (WharfConfig.Repository r : config.repositories()) {
      if (!r.isGroup() && store.equals(r.blobStore())) {
        registry.repository(r.name()).ifPresent(out::add);
      }
    }
    return out;
  }

  /** Per store, the repositories with a cleanup policy and those with cache limits (the same test as the job's). */
  private static Map<String, TaskService.Parts> taskParts(WharfConfig config) {
    Map<String, Map<TaskService.Part, List<String>>> byStore = new LinkedHashMap<>();
    for (WharfConfig.Repository r : config.repositories()) {
      if (r.isGroup()) {
        continue;
      }
      String key = "repositories (" + r.name() + ")";
      Map<TaskService.Part, List<String>> parts = byStore.computeIfAbsent(r.blobStore(),
          s -> new EnumMap<>(TaskService.Part.class));
      if (LifecycleConfig.cleanup(r.cleanup(), key + ".cleanup") != null) {
        parts.computeIfAbsent(TaskService.Part.CLEANUP, p -> new ArrayList<>()).add(r.name());
      }
      if (LifecycleConfig.cache(r.cache(), key + ".cache") != null) {
        parts.computeIfAbsent(TaskService.Part.CACHE_EVICTION, p -> new ArrayList<>()).add(r.name());
      }
    }
    Map<String, TaskService.Parts> out = new LinkedHashMap<>();
    byStore.forEach((store, parts) -> out.put(store, new TaskService.Parts(parts)));
    return out;
  }

  /**
   * Wraps the server's handler so every request (registry, API, UI) is counted and timed.
   *
   * @param handler the server's whole handler
   * @return a wrapper that measures it; {@code handler} itself when metrics are off
   */
  public Handler measure(Handler handler) {
    if (metrics == null) {
      return handler;
    }
    Handler.Wrapper w = metrics.requests().handler();
    w.setHandler(handler);
    return w;
  }

  RepositoryService repositories() {
    return repositories;
  }

  HealthService health() {
    return health;
  }

  /** Search and browse in Nexus's model (components, assets). */
  SearchService search() {
    return search;
  }

  /** Images, tags and manifest detail, as the web UI shows them. */
  ImageService images() {
    return images;
  }

  /** Users, roles, realms and anonymous access. */
  SecurityService security() {
    return security;
  }

  /** Where the API's changes are kept. */
  SettingsStore settings() {
    return settings;
  }

  @Override
  protected void doStop() {
    index.close();
    if (metrics != null) {
      metrics.close();
    }
  }
}
