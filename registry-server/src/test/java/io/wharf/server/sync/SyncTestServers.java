package io.wharf.server.sync;

import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.proxy.RegistrySource;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.http.RegistryHttp;
import io.wharf.storage.memory.InMemoryDriver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A Wharf server on a free loopback port serving one hosted repository: the source of sync tests
 * (the remote of push rule tests); and {@link RuleServers}, such a server with a server under test
 * whose rules name it.
 */
final class SyncTestServers {
  static {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "wharf-logback.xml");
    }
  }

  private SyncTestServers() {}

  /**
   * Serves {@code repository} with {@link RegistryHttp#config}: its short graceful stop is what
   * {@link WharfServer#close} takes, timing out on a JDK {@code HttpClient}'s idle keep-alive
   * connection, for the stop it is.
   */
  static WharfServer serve(HostedRepository repository) throws Exception {
    return WharfServer.start(RegistryHttp.config(), Registry.of(repository));
  }

  /** A client of {@code server} as a sync source, with generous timeouts (a loaded machine). */
  static RegistrySource source(WharfServer server) {
    return client(server.url()).build();
  }

  /**
   * A client of the registry at {@code url} with generous timeouts (a loaded machine) and no
   * retries (a failure shows at once): {@code build()} reads, {@code buildTarget()} writes.
   */
  static RegistrySource.Builder client(URI url) {
    return RegistrySource.builder(url).connectTimeout(Duration.ofSeconds(30)).readTimeout(Duration.ofSeconds(120))
        .retries(0);
  }

  /**
   * The two servers of a rule API test: the other end of the rules ({@link #other}, a hosted
   * repository on an in-memory driver, {@linkplain #serve served}: a pull rule's source, a push
   * rule's remote), then the server under test ({@link #start}), from a config file on a memory
   * store whose {@code repositories:} section names the other end's {@link #otherUrl}. Close it
   * after each test: it stops both.
   */
  static final class RuleServers implements AutoCloseable {
    // named as no test's image: a first path segment naming a repository routes to it
    final HostedRepository other = HostedRepository.builder("served", new InMemoryDriver()).build();
    final WharfServer otherServer;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
    WharfServer server;

    /** Serves {@link #other}; put into it what the rules read before {@link #start}. */
    RuleServers() throws Exception {
      otherServer = serve(other);
    }

    /** The other end's URL, for the rules' {@code source} or {@code target}. */
    URI otherUrl() {
      return otherServer.url();
    }

    /** Starts the server under test with {@code repositories} (the config file's {@code repositories:} section). */
    WharfServer start(String repositories) throws Exception {
      server = WharfServer.start(ConfigLoader.parse("""
          server: {bind: 127.0.0.1, port: 0, shutdownTimeout: 100ms}
          blobStores: {default: {type: memory}}
          """ + repositories, "test.yaml"));
      return server;
    }

    /** Sends {@code method path} without a body to the server under test (a generous timeout: a loaded machine). */
    HttpResponse<String> send(String method, String path) throws Exception {
      return http.send(HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(120))
          .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Stops the server under test, then the other end. */
    @Override
    public void close() throws Exception {
      try {
        if (server != null) {
          server.close();
        }
      } finally {
        otherServer.close();
      }
    }
  }
}
