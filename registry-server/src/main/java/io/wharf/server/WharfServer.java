package io.wharf.server;

import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.core.storage.StoreSpace;
import io.wharf.proxy.ProxyMetrics;
import io.wharf.server.admin.ManagementPlane;
import io.wharf.server.admin.RepositoryDocument;
import io.wharf.server.admin.SettingsStore;
import io.wharf.server.auth.AccessControl;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.auth.TlsKeys;
import io.wharf.server.config.AddressRanges;
import io.wharf.server.config.Durations;
import io.wharf.server.config.RegistryFactory;
import io.wharf.server.config.EventsFactory;
import io.wharf.server.config.SecurityFactory;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.events.EventBus;
import io.wharf.server.events.EventSink;
import io.wharf.server.events.SystemEvents;
import io.wharf.server.http.MaintenanceServlet;
import io.wharf.server.http.OciErrorHandler;
import io.wharf.server.http.RegistryServlet;
import io.wharf.server.metrics.WharfMetrics;
import io.wharf.server.routing.RepositoryRouter;
import java.io.IOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.CustomRequestLog;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.SecureRequestCustomizer;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.Slf4jRequestLogWriter;
import org.eclipse.jetty.server.SslConnectionFactory;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.component.LifeCycle;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standalone server: Jetty with a {@link RegistryServlet} at the root, built from a {@link
 * WharfConfig}. Stops gracefully: in-flight requests get {@code server.shutdownTimeout} to finish.
 *
 * <pre>
 * try (WharfServer server = WharfServer.start(WharfConfig.defaults())) {
 *   System.out.println(server.url());
 * }
 * </pre>
 */
public final class WharfServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(WharfServer.class);
  /** Logger name of the access log, one line per request (NCSA extended format). */
  public static final String ACCESS_LOG = "io.wharf.access";
  /**
   * One acceptor thread per listener. Without one the selector accepts, which saved a wake-up per
   * connection (small-image pushes 48.2 -> 51.4 img/s, docs/benchmarks.md); but it accepts all
   * that is queued at once, and a listener at its {@code maxConnections} then resets the
   * connections over the cap, requests and all, instead of leaving them queued: under a
   * slowloris, normal pulls were reset. An acceptor thread stops accepting at the cap. (Jetty's
   * reserved threads stay: without them the p99 of keep-alive GETs doubled.)
   */
  private static final int ACCEPTORS = 1;
  /**
   * Connections the kernel queues for a listener at its cap (capped in turn by
   * {@code net.core.somaxconn}); Java's default of 50 would drop new clients' SYNs at once.
   */
  private static final int ACCEPT_QUEUE = 1024;

  private final Server jetty;
  private final ServerConnector connector;
  private final LiveRepositories repositories;
  private final MaintenanceScheduler maintenance;
  private final Thread shutdownHook = new Thread(this::closeQuietly, "wharf-shutdown");

  private WharfServer(Server jetty, ServerConnector connector, LiveRepositories repositories,
      MaintenanceScheduler maintenance) {
    this.jetty = jetty;
    this.connector = connector;
    this.repositories = repositories;
    this.maintenance = maintenance;
  }

  /**
   * Builds the registry the config describes, plus the repositories created through the
   * management API (kept in the first blob store; the file's win a name in both), and starts
   * serving it, with the maintenance jobs of its blob stores on their schedules and the
   * maintenance API at {@value MaintenanceServlet#PATH}. Repositories can then be created,
   * changed and deleted through the management API while it runs.
   *
   * @param config the configuration, as {@code ConfigLoader} reads it
   * @return the running server; close it to stop it
   * @throws Exception if the configuration is invalid, storage cannot be opened or a port cannot be
   *     bound
   */
  public static WharfServer start(WharfConfig config) throws Exception {
    return start(config, Clock.systemUTC());
  }

  /**
   * As {@link #start(WharfConfig)}, with the clock that security reads: the expiry of robot
   * accounts and API tokens, of bearer tokens, and the rotation of the token signing keys (tests
   * move it instead of waiting).
   *
   * @param config the configuration
   * @param clock the clock of security's expiries
   * @return the running server; close it to stop it
   * @throws Exception if the configuration is invalid, storage cannot be opened or a port cannot be
   *     bound
   */
  public static WharfServer start(WharfConfig config, Clock clock) throws Exception {
    config = config.withDefaults();
    WharfMetrics metrics = ManagementPlane.metrics(config); // first: the proxies report to it
    Map<String, StoreSpace> spaces = RegistryFactory.spaces(config);
    SettingsStore settings = SettingsStore.in(spaces.values().iterator().next().driver());
    WharfConfig running = RepositoryDocument.merge(config, RepositoryDocument.read(settings), LOG::warn);
    // Events: the outbox lives in the first blob store, beside the API's settings, where every
    // node sharing that store sees it. Built before the repositories, whose quotas and upstreams it hears.
    EventBus events = EventsFactory.build(running, spaces.values().iterator().next().driver());
    SystemEvents system = new SystemEvents(events);
    RegistryFactory.Assembly assembly = RegistryFactory.assemble(running, spaces, new RegistryFactory.Observers(
        metrics == null ? name -> ProxyMetrics.NONE : metrics::proxy, system.upstreams(), system.quotas()));
    Set<String> pinned = new LinkedHashSet<>();
    config.repositories().forEach(r -> pinned.add(r.name()));
    return start(running, pinned, assembly.registry(), assembly, metrics, events, clock);
  }

  /**
   * Serves {@code registry} with the listener settings of {@code config}: the main port, plus a
   * port for each repository of {@code config} that declares {@code http.port} and exists in
   * {@code registry}, and host-name routing for those that declare {@code hosts}. No maintenance
   * jobs: the caller owns {@code registry}'s storage.
   *
   * @param config the listener settings (its repositories and storage are not built)
   * @param registry the repositories to serve
   * @return the running server; close it to stop it
   * @throws Exception if the configuration is invalid or a port cannot be bound
   */
  public static WharfServer start(WharfConfig config, Registry registry) throws Exception {
    config = config.withDefaults();
    Set<String> pinned = new LinkedHashSet<>();
    config.repositories().forEach(r -> pinned.add(r.name()));
    return start(config, pinned, registry, null, ManagementPlane.metrics(config), null, Clock.systemUTC());
  }

  /** @param events null: none (a caller's registry has no store of ours) */
  private static WharfServer start(WharfConfig config, Set<String> pinned, Registry registry,
      RegistryFactory.Assembly assembly, WharfMetrics metrics, EventBus events, Clock clock) throws Exception {
    config = config.withDefaults();
    WharfConfig.Server s = config.server();
    QueuedThreadPool threads = new QueuedThreadPool(256, 8);
    threads.setName("wharf");
    Server jetty = new Server(threads);

    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(16 * 1024);
    // Behind a reverse proxy (server.trustedProxies): Forwarded / X-Forwarded-* become the
    // request's client address, scheme, host and port, so lockouts, logs, host routing and the
    // URLs we send back are right. From anyone else those headers are ignored.
    TrustedProxies proxies = new TrustedProxies(AddressRanges.parse(s.trustedProxies(), "server.trustedProxies"));
    if (!proxies.isEmpty()) {
      http.addCustomizer(proxies);
    }
    // Every refusal, Jetty's own included, in the OCI error envelope.
    OciErrorHandler errors = new OciErrorHandler();
    jetty.setErrorHandler(errors);
    Limits limits = new Limits(Durations.parse(s.idleTimeout(), "server.idleTimeout"),
        Durations.parse(s.headerTimeout(), "server.headerTimeout"), s.maxConnections());
    Listeners listeners = new Listeners(jetty, http, s.bind(), s.tls(), limits);
    ServerConnector connector = listeners.add("main", s.port(), tls(s.tls(), "server.tls"), limits).connector();
    Map<String, Repository> byHost = new HashMap<>();
    for (WharfConfig.Repository r : config.repositories()) {
      Optional<Repository> repo = registry.repository(r.name());
      for (String host : repo.isEmpty() ? List.<String>of() : r.hosts()) {
        byHost.put(host.toLowerCase(Locale.ROOT), repo.get());
      }
    }
    Repository mainDefault = s.defaultRepository() == null ? registry.defaultRepository()
        : registry.repository(s.defaultRepository()).orElse(registry.defaultRepository());
    RepositoryRouter router = new RepositoryRouter(registry, mainDefault, byHost);
    // the token keys rotate in the first blob store, beside the API's settings, shared by every node
    RegistrySecurity security = SecurityFactory.build(config, registry, clock,
        assembly == null || assembly.drivers().isEmpty() ? null : assembly.drivers().values().iterator().next());
    if (security != null) { // the directory's connection pool goes with the server
      jetty.addEventListener(new LifeCycle.Listener() {
        @Override
        public void lifeCycleStopped(LifeCycle event) {
          security.sources().close();
        }
      });
    }
    if (security == null && !isLoopback(s.bind())) {
      LOG.warn("no security section in the configuration: anyone who reaches {} can push and delete", s.bind());
    }
    if (security != null && s.tls() == null && s.publicUrl() == null && !isLoopback(s.bind())) {
      LOG.warn("security is on but the main port speaks plain HTTP on {}: passwords and tokens cross the network"
          + " readable; set server.tls, or put a TLS proxy in front and set server.publicUrl", s.bind());
    }
    AccessControl access = security == null ? AccessControl.ALLOW_ALL : security;
    LiveRepositories repositories = new LiveRepositories(listeners, config, pinned, registry, assembly, router,
        security);
    repositories.openAtStart();

    if (events != null) {
      jetty.addBean(events, true);
    }
    ServletContextHandler context = new ServletContextHandler("/");
    context.setErrorHandler(errors);
    context.addServlet(new ServletHolder("registry",
        new RegistryServlet(router, access, events == null ? EventSink.NONE : events)), "/*");
    MaintenanceScheduler maintenance = null;
    if (assembly != null) {
      maintenance = assembly.startMaintenance();
      repositories.maintenance(maintenance);
      context.addServlet(new ServletHolder("maintenance",
          new MaintenanceServlet(maintenance, assembly.repositoriesByStore(), security)), MaintenanceServlet.PATH + "/*");
    }
    // The management plane (REST API, health, metrics): mounted and measured in one place.
    ManagementPlane management = ManagementPlane.install(jetty, context, config, repositories, security,
        assembly == null ? Map.of() : assembly.drivers(), maintenance, metrics, events);
    jetty.setHandler(new GracefulHandler(management.measure(context)));
    if (Boolean.TRUE.equals(s.accessLog())) {
      jetty.setRequestLog(new CustomRequestLog(new Slf4jRequestLogWriter() {
        {
          setLoggerName(ACCESS_LOG);
        }
      }, CustomRequestLog.EXTENDED_NCSA_FORMAT));
    }
    jetty.setStopTimeout(Durations.parse(s.shutdownTimeout(), "server.shutdownTimeout").toMillis());
    try {
      jetty.start();
    } catch (Exception e) {
      if (maintenance != null) {
        maintenance.close();
      }
      throw e;
    }
    if (security != null) {
      security.mainPort(connector.getLocalPort());
    }
    repositories.bindStartedPorts();
    WharfServer server = new WharfServer(jetty, connector, repositories, maintenance);
    // On SIGTERM: the same graceful close as close(), maintenance included (its last flush of
    // pull times). One hook for both, not Jetty's own beside it: two stoppers race.
    Runtime.getRuntime().addShutdownHook(server.shutdownHook);
    LOG.info("Wharf listening on {} (version {}; default repository {}; repositories: {})", server.url(),
        WharfVersion.current(), mainDefault.name(), registry.repositories());
    repositories.listeners().forEach((name, l) ->
        LOG.info("repository {} listening on {}", name, server.url(name)));
    return server;
  }

  /** What one listener allows a client: see {@link WharfConfig.Server}. */
  private record Limits(Duration idleTimeout, Duration headerTimeout, int maxConnections) {
    Limits withMaxConnections(int max) {
      return new Limits(idleTimeout, headerTimeout, max);
    }
  }

  /** A listener: its connector and the cap on its connections (a Jetty bean of its own). */
  record Listener(ServerConnector connector, NetworkConnectionLimit limit) {}

  /**
   * Makes the server's listeners, the main one and each repository's own, all alike: at start
   * ({@link #add}, started with the server) and while it runs ({@link #start}, {@link #remove}).
   */
  static final class Listeners {
    private final Server jetty;
    private final HttpConfiguration http;
    private final String bind;
    private final WharfConfig.Tls serverTls;
    private final Limits limits;

    Listeners(Server jetty, HttpConfiguration http, String bind, WharfConfig.Tls serverTls, Limits limits) {
      this.jetty = jetty;
      this.http = http;
      this.bind = bind;
      this.serverTls = serverTls;
      this.limits = limits;
    }

    /** Adds repository {@code r}'s own listener to the server (not started yet). */
    Listener add(WharfConfig.Repository r) {
      // a repository's own TLS, else the main port's
      SslContextFactory.Server ssl = r.http().tls() != null
          ? tls(r.http().tls(), "repositories (" + r.name() + ").http.tls") : tls(serverTls, "server.tls");
      Limits own = r.http().maxConnections() == null ? limits : limits.withMaxConnections(r.http().maxConnections());
      return add("repository:" + r.name(), r.http().port(), ssl, own);
    }

    /**
     * Adds and starts repository {@code r}'s own listener on the running server.
     *
     * @throws IOException if its port cannot be opened (then nothing is left of it)
     */
    Listener start(WharfConfig.Repository r) throws IOException {
      Listener l = add(r);
      // added to a running server, the beans are neither managed nor started: do both, so the
      // listener also stops with the server
      jetty.manage(l.connector());
      jetty.manage(l.limit());
      try {
        l.limit().start();
        l.connector().start();
        return l;
      } catch (Exception e) {
        remove(l);
        if (e instanceof IOException io) {
          throw io;
        }
        Throwable cause = e.getCause() instanceof IOException io ? io : e;
        throw new IOException(cause.getMessage() == null ? cause.toString() : cause.getMessage(), cause);
      }
    }

    /** Stops {@code l} (its port closes, its connections end) and takes it off the server; null: nothing. */
    void remove(Listener l) {
      if (l == null) {
        return;
      }
      jetty.removeConnector(l.connector());
      jetty.removeBean(l.limit());
      try {
        l.connector().stop();
      } catch (Exception e) {
        LOG.warn("closing listener {}: {}", l.connector().getName(), e.toString());
      }
      try {
        l.limit().stop();
      } catch (Exception e) {
        LOG.warn("stopping the connection limit of {}: {}", l.connector().getName(), e.toString());
      }
    }

    Listener add(String name, int port, SslContextFactory.Server ssl, Limits limits) {
      ServerConnector c;
      if (ssl == null) {
        c = new ServerConnector(jetty, ACCEPTORS, -1, new HttpConnectionFactory(http));
      } else {
        HttpConfiguration https = new HttpConfiguration(http);
        // clients check the certificate against the host they asked for; the server need not
        https.addCustomizer(new SecureRequestCustomizer(false));
        c = new ServerConnector(jetty, ACCEPTORS, -1, new SslConnectionFactory(ssl, "http/1.1"),
            new HttpConnectionFactory(https));
      }
      c.setHost(bind);
      c.setPort(port);
      c.setName(name);
      c.setAcceptQueueSize(ACCEPT_QUEUE);
      c.setIdleTimeout(limits.idleTimeout().toMillis());
      c.addEventListener(new HeaderTimeout(limits.headerTimeout(), limits.maxConnections(), c.getScheduler()));
      // At the cap the listener stops accepting; further clients wait in the accept queue.
      NetworkConnectionLimit limit = new NetworkConnectionLimit(limits.maxConnections(), c);
      jetty.addBean(limit);
      jetty.addConnector(c);
      return new Listener(c, limit);
    }
  }

  /** HTTPS settings for a listener from {@code tls} (null: plain HTTP). */
  private static SslContextFactory.Server tls(WharfConfig.Tls tls, String key) {
    if (tls == null) {
      return null;
    }
    TlsKeys keys = SecurityFactory.tls(tls, key);
    SslContextFactory.Server ssl = new SslContextFactory.Server();
    ssl.setKeyStore(keys.keyStore());
    ssl.setKeyStorePassword(new String(keys.password()));
    return ssl;
  }

  private static boolean isLoopback(String bind) {
    try {
      return InetAddress.getByName(bind).isLoopbackAddress();
    } catch (UnknownHostException e) {
      return false;
    }
  }

  /**
   * The port actually bound (useful with port 0).
   *
   * @return the port
   */
  public int port() {
    return connector.getLocalPort();
  }

  /**
   * {@code http://host:port} (or {@code https://}) of the main listener.
   *
   * @return the URL
   */
  public URI url() {
    return url(connector);
  }

  /**
   * The port of a repository's own listener.
   *
   * @param repository the repository's name
   * @return the port
   * @throws IllegalArgumentException if the repository has no listener of its own
   */
  public int port(String repository) {
    return listener(repository).getLocalPort();
  }

  /**
   * {@code http://host:port} of a repository's own listener.
   *
   * @param repository the repository's name
   * @return the URL
   * @throws IllegalArgumentException if the repository has no listener of its own
   */
  public URI url(String repository) {
    return url(listener(repository));
  }

  private ServerConnector listener(String repository) {
    Listener l = repositories.listeners().get(repository);
    if (l == null) {
      throw new IllegalArgumentException("repository " + repository + " has no listener of its own");
    }
    return l.connector();
  }

  private static URI url(ServerConnector c) {
    String host = c.getHost() == null || c.getHost().equals("0.0.0.0") ? "127.0.0.1" : c.getHost();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    String scheme = c.getConnectionFactory(SslConnectionFactory.class) != null ? "https" : "http";
    return URI.create(scheme + "://" + host + ":" + c.getLocalPort());
  }

  /**
   * The repositories served now (they change when the management API changes them).
   *
   * @return the registry
   */
  public Registry registry() {
    return repositories.registry();
  }

  /**
   * The maintenance jobs of the blob stores; empty for a server of a caller's registry.
   *
   * @return the scheduler, or empty
   */
  public Optional<MaintenanceScheduler> maintenance() {
    return Optional.ofNullable(maintenance);
  }

  /**
   * Blocks until the server stops.
   *
   * @throws InterruptedException if the waiting thread is interrupted
   */
  public void join() throws InterruptedException {
    jetty.join();
  }

  @Override
  public void close() throws Exception {
    try {
      Runtime.getRuntime().removeShutdownHook(shutdownHook);
    } catch (IllegalStateException e) {
      // the JVM is shutting down: this is the hook running, or it runs next and finds us stopped
    }
    try {
      jetty.stop();
    } catch (Exception e) {
      // The graceful part ran out: a client's idle keep-alive connection is enough for that, and
      // Jetty stops the rest anyway, so the server is stopped; anything else is a failure.
      if (!causedBy(e, java.util.concurrent.TimeoutException.class)) {
        throw e;
      }
      LOG.debug("graceful stop timed out; stopped anyway: {}", e.toString());
    } finally {
      if (maintenance != null) {
        maintenance.close(); // after the last request: its pulls are in the final flush
      }
    }
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private void closeQuietly() {
    try {
      close();
    } catch (Exception e) {
      LOG.warn("stopping: {}", e.toString());
    }
  }
}
