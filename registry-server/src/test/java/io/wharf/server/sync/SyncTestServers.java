package io.wharf.server.sync;

import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.proxy.RegistrySource;
import io.wharf.server.WharfServer;
import io.wharf.server.http.RegistryHttp;
import java.net.URI;
import java.time.Duration;

/** A Wharf server on a free loopback port serving one hosted repository: the source of sync tests. */
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
}
