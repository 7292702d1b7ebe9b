package io.wharf.server;

import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.server.admin.ManagementPlane;
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
import io.wharf.server.http.MaintenanceServlet;
import io.wharf.server.http.OciErrorHandler;
import io.wharf.server.http.RegistryServlet;
import io.wharf.server.metrics.WharfMetrics;
import io.wharf.server.routing.RepositoryRouter;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
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
  private final Map<String, ServerConnector> repositoryConnectors;
  private final Registry registry;
  private final MaintenanceScheduler maintenance;
  private final Thread shutdownHook = new Thread(this::closeQuietly, "wharf-shutdown");

  private WharfServer(Server jetty, ServerConnector connector, Map<String, ServerConnector> repositoryConnectors,
      Registry registry, MaintenanceScheduler maintenance) {
    this.jetty = jetty;
    this.connector = connector;
    this.repositoryConnectors = repositoryConnectors;
    this.registry = registry;
    this.maintenance = maintenance;
  }

  /**
   * Builds the registry the config describes and starts serving it, with the maintenance jobs
   * of its blob stores on their schedules and the maintenance API at {@value MaintenanceServlet#PATH}.
   */
  public static WharfServer start(WharfConfig config) throws Exception {
    config = config.withDefaults();
    WharfMetrics metrics = ManagementPlane.metrics(config); // first: the proxies report to it
    RegistryFactory.Assembly assembly = metrics == null ? RegistryFactory.assemble(config)
        : RegistryFactory.assemble(config, metrics::proxy);
    return start(config, assembly.registry(), assembly, metrics);
  }

  /**
   * Serves {@code registry} with the listener settings of {@code config}: the main port, plus a
   * port for each repository of {@code config} that declares {@code http.port} and exists in
   * {@code registry}, and host-name routing for those that declare {@code hosts}. No maintenance
   * jobs: the caller owns {@code registry}'s storage.
   */
  public static WharfServer start(WharfConfig config, Registry registry) throws Exception {
    return start(config, registry, null, ManagementPlane.metrics(config));
  }

  private static WharfServer start(WharfConfig config, Registry registry, RegistryFactory.Assembly assembly,
      WharfMetrics metrics) throws Exception {
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
    ServerConnector connector = connector(jetty, http, s.bind(), s.port(), "main", tls(s.tls(), "server.tls"), limits);
    Map<String, ServerConnector> repositoryConnectors = new LinkedHashMap<>();
    Map<String, Repository> byHost = new HashMap<>();
    for (WharfConfig.Repository r : config.repositories()) {
      Optional<Repository> repo = registry.repository(r.name());
      if (repo.isEmpty()) {
        continue;
      }
      if (r.http() != null && r.http().port() != null) {
        // a repository's own TLS, else the main port's
        SslContextFactory.Server ssl = r.http().tls() != null
            ? tls(r.http().tls(), "repositories (" + r.name() + ").http.tls") : tls(s.tls(), "server.tls");
        Limits own = r.http().maxConnections() == null ? limits : limits.withMaxConnections(r.http().maxConnections());
        repositoryConnectors.put(r.name(),
            connector(jetty, http, s.bind(), r.http().port(), "repository:" + r.name(), ssl, own));
      }
      for (String host : r.hosts()) {
        byHost.put(host.toLowerCase(Locale.ROOT), repo.get());
      }
    }
    Repository mainDefault = s.defaultRepository() == null ? registry.defaultRepository()
        : registry.repository(s.defaultRepository()).orElse(registry.defaultRepository());
    RepositoryRouter router = new RepositoryRouter(registry, mainDefault, byHost);
    RegistrySecurity security = SecurityFactory.build(config, registry);
    if (security == null && !isLoopback(s.bind())) {
      LOG.warn("no security section in the configuration: anyone who reaches {} can push and delete", s.bind());
    }
    if (security != null && s.tls() == null && s.publicUrl() == null && !isLoopback(s.bind())) {
      LOG.warn("security is on but the main port speaks plain HTTP on {}: passwords and tokens cross the network"
          + " readable; set server.tls, or put a TLS proxy in front and set server.publicUrl", s.bind());
    }
    AccessControl access = security == null ? AccessControl.ALLOW_ALL : security;

    // Webhooks: the outbox lives in the first blob store, beside the API's settings, where every
    // node sharing that store sees it. A caller's registry has no store of ours: no events.
    EventBus events = assembly == null || assembly.drivers().isEmpty() ? null
        : EventsFactory.build(config, assembly.drivers().values().iterator().next());
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
      context.addServlet(new ServletHolder("maintenance",
          new MaintenanceServlet(maintenance, assembly.repositoriesByStore(), security)), MaintenanceServlet.PATH + "/*");
    }
    // The management plane (REST API, health, metrics): mounted and measured in one place.
    ManagementPlane management = ManagementPlane.install(jetty, context, config, registry, security,
        assembly == null ? Map.of() : assembly.drivers(), repositoryConnectors, maintenance, metrics, events);
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
    repositoryConnectors.forEach((name, c) -> router.bindPort(c.getLocalPort(), registry.repository(name).orElseThrow()));
    WharfServer server = new WharfServer(jetty, connector, repositoryConnectors, registry, maintenance);
    // On SIGTERM: the same graceful close as close(), maintenance included (its last flush of
    // pull times). One hook for both, not Jetty's own beside it: two stoppers race.
    Runtime.getRuntime().addShutdownHook(server.shutdownHook);
    LOG.info("Wharf listening on {} (default repository {}; repositories: {})", server.url(), mainDefault.name(),
        registry.repositories());
    repositoryConnectors.forEach((name, c) ->
        LOG.info("repository {} listening on {}", name, server.url(name)));
    return server;
  }

  /** What one listener allows a client: see {@link WharfConfig.Server}. */
  private record Limits(Duration idleTimeout, Duration headerTimeout, int maxConnections) {
    Limits withMaxConnections(int max) {
      return new Limits(idleTimeout, headerTimeout, max);
    }
  }

  private static ServerConnector connector(Server jetty, HttpConfiguration http, String bind, int port, String name,
      SslContextFactory.Server ssl, Limits limits) {
    ServerConnector c;
    if (ssl == null) {
      c = new ServerConnector(jetty, ACCEPTORS, -1, new HttpConnectionFactory(http));
    } else {
      HttpConfiguration https = new HttpConfiguration(http);
      // clients check the certificate against the host they asked for; the server need not
      https.addCustomizer(new SecureRequestCustomizer(false));
      c = new ServerConnector(jetty, ACCEPTORS, -1, new SslConnectionFactory(ssl, "http/1.1"), new HttpConnectionFactory(https));
    }
    c.setHost(bind);
    c.setPort(port);
    c.setName(name);
    c.setAcceptQueueSize(ACCEPT_QUEUE);
    c.setIdleTimeout(limits.idleTimeout().toMillis());
    c.addEventListener(new HeaderTimeout(limits.headerTimeout(), c.getScheduler()));
    // At the cap the listener stops accepting; further clients wait in the accept queue.
    jetty.addBean(new NetworkConnectionLimit(limits.maxConnections(), c));
    jetty.addConnector(c);
    return c;
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

  /** The port actually bound (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** {@code http://host:port} (or {@code https://}) of the main listener. */
  public URI url() {
    return url(connector);
  }

  /** The port of a repository's own listener. */
  public int port(String repository) {
    ServerConnector c = repositoryConnectors.get(repository);
    if (c == null) {
      throw new IllegalArgumentException("repository " + repository + " has no listener of its own");
    }
    return c.getLocalPort();
  }

  /** {@code http://host:port} of a repository's own listener. */
  public URI url(String repository) {
    port(repository);
    return url(repositoryConnectors.get(repository));
  }

  private static URI url(ServerConnector c) {
    String host = c.getHost() == null || c.getHost().equals("0.0.0.0") ? "127.0.0.1" : c.getHost();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    String scheme = c.getConnectionFactory(SslConnectionFactory.class) != null ? "https" : "http";
    return URI.create(scheme + "://" + host + ":" + c.getLocalPort());
  }

  public Registry registry() {
    return registry;
  }

  /** The maintenance jobs of the blob stores; empty for a server of a caller's registry. */
  public Optional<MaintenanceScheduler> maintenance() {
    return Optional.ofNullable(maintenance);
  }

  /** Blocks until the server stops. */
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
    } finally {
      if (maintenance != null) {
        maintenance.close(); // after the last request: its pulls are in the final flush
      }
    }
  }

  private void closeQuietly() {
    try {
      close();
    } catch (Exception e) {
      LOG.warn("stopping: {}", e.toString());
    }
  }
}
