package io.wharf.server.admin;

import io.wharf.core.lifecycle.MaintenanceScheduler;
import io.wharf.core.repository.Registry;
import io.wharf.core.storage.StorageDriver;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.metrics.MetricsServlet;
import io.wharf.server.metrics.WharfMetrics;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
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
 * ManagementPlane plane = ManagementPlane.install(jetty, context, config, registry, security, drivers, ...);
 * jetty.setHandler(new GracefulHandler(plane.measure(context)));
 * </pre>
 */
public final class ManagementPlane extends AbstractLifeCycle {
  private final WharfMetrics metrics;
  private final RepositoryService repositories;
  private final HealthService health;
  private final SettingsStore settings;
  private final SecurityService security;

  private ManagementPlane(WharfMetrics metrics, RepositoryService repositories, HealthService health,
      SettingsStore settings, SecurityService security) {
    this.metrics = metrics;
    this.repositories = repositories;
    this.health = health;
    this.settings = settings;
    this.security = security;
  }

  /** The metrics of a server with {@code config}; null when {@code management.metrics.enabled} is false. */
  public static WharfMetrics metrics(WharfConfig config) {
    WharfConfig.Management m = config.withDefaults().management();
    return Boolean.TRUE.equals(m.metrics().enabled()) ? new WharfMetrics() : null;
  }

  /**
   * Builds the services and mounts their faces on {@code context}.
   *
   * @param security null: an open server
   * @param drivers the blob stores' drivers, probed for health (empty for a caller's registry)
   * @param repositoryConnectors each repository's own listener, for the ports its settings show
   * @param maintenance the blob stores' maintenance jobs, whose runs are counted; null for none
   * @param metrics from {@link #metrics}; null: no metrics
   */
  public static ManagementPlane install(Server jetty, ServletContextHandler context, WharfConfig config,
      Registry registry, RegistrySecurity security, Map<String, StorageDriver> drivers,
      Map<String, ServerConnector> repositoryConnectors, MaintenanceScheduler maintenance, WharfMetrics metrics) {
    config = config.withDefaults();
    // API changes live in the first blob store (every node of an S3 setup sees them); an
    // embedder's registry has no store of ours: its changes last until it stops.
    SettingsStore settings = drivers.isEmpty() ? SettingsStore.inMemory()
        : SettingsStore.in(drivers.values().iterator().next());
    Permissions permissions = Permissions.of(security);
    RepositoryService repositories = new RepositoryService(registry, config, permissions, name -> {
      ServerConnector c = repositoryConnectors.get(name);
      return c == null || c.getLocalPort() <= 0 ? null : c.getLocalPort();
    });
    HealthService.Builder health = HealthService.builder(registry, permissions);
    drivers.forEach(health::store);
    if (security != null) {
      health.signingKey(security::checkSigningKey);
    }
    // users, roles, realms and anonymous access changed through the API: applied (and loaded) here
    SecurityService users = new SecurityService(security, settings, name -> registry.repository(name).isPresent());
    ManagementPlane plane = new ManagementPlane(metrics, repositories, health.build(), settings, users);

    URI publicUrl = config.server().publicUrl() == null ? null : URI.create(config.server().publicUrl());
    // Endpoint groups, in the order they are asked; each new group is one line here.
    List<RestEndpoints> nexus = List.of(
        new StatusEndpoints(plane.health),
        new RepositoryEndpoints(plane.repositories),
        new SecurityEndpoints(plane.security));
    List<RestEndpoints> wharf = List.of();
    context.addServlet(new ServletHolder("nexus-rest", new NexusRestServlet(nexus, security, publicUrl)),
        NexusRestServlet.PATH + "/*");
    context.addServlet(new ServletHolder("wharf-api", new WharfApiServlet(wharf, security, publicUrl)),
        WharfApiServlet.PATH + "/*");
    context.addServlet(new ServletHolder("health", new HealthServlet(plane.health)), HealthServlet.PATH + "/*");
    if (metrics != null) {
      context.addServlet(new ServletHolder("metrics", new MetricsServlet(metrics)), config.management().metrics().path());
      metrics.bind(jetty);
      drivers.keySet().forEach(metrics::store);
      if (security != null) {
        security.observeLogins(metrics.logins());
      }
      if (maintenance != null) {
        maintenance.onReport(metrics.maintenance());
      }
    }
    jetty.addBean(plane, true);
    return plane;
  }

  /** {@code handler} measured by the request metrics (itself when metrics are off). */
  public Handler measure(Handler handler) {
    if (metrics == null) {
      return handler;
    }
    Handler.Wrapper w = metrics.requests().handler();
    w.setHandler(handler);
    return w;
  }

  public RepositoryService repositories() {
    return repositories;
  }

  public HealthService health() {
    return health;
  }

  /** Users, roles, realms and anonymous access. */
  public SecurityService security() {
    return security;
  }

  /** Where the API's changes are kept. */
  public SettingsStore settings() {
    return settings;
  }

  @Override
  protected void doStop() {
    if (metrics != null) {
      metrics.close();
    }
  }
}
