package io.wharf.server;

import io.wharf.core.repository.Registry;
import io.wharf.server.config.Durations;
import io.wharf.server.config.RegistryFactory;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.http.RegistryServlet;
import java.net.URI;
import java.time.Duration;
import org.eclipse.jetty.ee10.servlet.ServletContextHandler;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.server.CustomRequestLog;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.Slf4jRequestLogWriter;
import org.eclipse.jetty.server.handler.GracefulHandler;
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

  private final Server jetty;
  private final ServerConnector connector;
  private final Registry registry;

  private WharfServer(Server jetty, ServerConnector connector, Registry registry) {
    this.jetty = jetty;
    this.connector = connector;
    this.registry = registry;
  }

  /** Builds the registry the config describes and starts serving it. */
  public static WharfServer start(WharfConfig config) throws Exception {
    return start(config, RegistryFactory.build(config));
  }

  /** Serves {@code registry} with the listener settings of {@code config}. */
  public static WharfServer start(WharfConfig config, Registry registry) throws Exception {
    WharfConfig.Server s = config.withDefaults().server();
    QueuedThreadPool threads = new QueuedThreadPool(256, 8);
    threads.setName("wharf");
    Server jetty = new Server(threads);

    HttpConfiguration http = new HttpConfiguration();
    http.setSendServerVersion(false);
    http.setSendXPoweredBy(false);
    http.setRequestHeaderSize(16 * 1024);
    ServerConnector connector = new ServerConnector(jetty, new HttpConnectionFactory(http));
    connector.setHost(s.bind());
    connector.setPort(s.port());
    connector.setIdleTimeout(Duration.ofMinutes(5).toMillis()); // slow clients pushing big layers
    jetty.addConnector(connector);

    ServletContextHandler context = new ServletContextHandler("/");
    context.addServlet(new ServletHolder("registry", new RegistryServlet(registry)), "/*");
    jetty.setHandler(new GracefulHandler(context));
    if (Boolean.TRUE.equals(s.accessLog())) {
      jetty.setRequestLog(new CustomRequestLog(new Slf4jRequestLogWriter() {
        {
          setLoggerName(ACCESS_LOG);
        }
      }, CustomRequestLog.EXTENDED_NCSA_FORMAT));
    }
    jetty.setStopTimeout(Durations.parse(s.shutdownTimeout(), "server.shutdownTimeout").toMillis());
    jetty.setStopAtShutdown(true);
    jetty.start();
    WharfServer server = new WharfServer(jetty, connector, registry);
    LOG.info("Wharf listening on {} (repositories: {})", server.url(), registry.repositories());
    return server;
  }

  /** The port actually bound (useful with port 0). */
  public int port() {
    return connector.getLocalPort();
  }

  /** {@code http://host:port} of the main listener. */
  public URI url() {
    String host = connector.getHost() == null || connector.getHost().equals("0.0.0.0") ? "127.0.0.1" : connector.getHost();
    if (host.contains(":") && !host.startsWith("[")) {
      host = "[" + host + "]";
    }
    return URI.create("http://" + host + ":" + port());
  }

  public Registry registry() {
    return registry;
  }

  /** Blocks until the server stops. */
  public void join() throws InterruptedException {
    jetty.join();
  }

  @Override
  public void close() throws Exception {
    jetty.stop();
  }
}
