package io.wharf.server.proxy;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.proxy.ProxyRepository;
import io.wharf.server.WharfServer;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.fs.FilesystemDriver;
import io.wharf.storage.memory.InMemoryDriver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Wharf proxy in front of a real registry (a Wharf hosted server on loopback): Jib pulls
 * through it, and once the upstream is gone the proxy still serves everything it cached.
 */
class ProxyEndToEndTest {
  @TempDir Path work;
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void jibPullsThroughProxy_thenUpstreamStops_cachedImageStillServed() throws Exception {
    WharfConfig local = WharfConfig.defaults().override("127.0.0.1", 0, null);
    WharfServer upstream = WharfServer.start(local, Registry.of(HostedRepository.builder("up", new InMemoryDriver()).build()));
    String upstreamHost = "127.0.0.1:" + upstream.port();
    JibContainer pushed = Jib.fromScratch()
        .addLayer(List.of(randomFile("layer.bin", 1_500_000, 1)), AbsoluteUnixPath.get("/app"))
        .containerize(Containerizer.to(RegistryImage.named(upstreamHost + "/team/app:1.0")).setAllowInsecureRegistries(true));

    ProxyRepository proxyRepo = ProxyRepository.builder("cache", new FilesystemDriver(work.resolve("cache")),
            URI.create("http://" + upstreamHost))
        .metadataMaxAge(Duration.ZERO) // every tag request revalidates: shows the stale fallback below
        .spoolDirectory(work.resolve("spool"))
        .retries(0)
        .build();
    try (WharfServer proxy = WharfServer.start(local, Registry.of(proxyRepo))) {
      String proxyHost = "127.0.0.1:" + proxy.port();

      JibContainer first = pullWithJib(proxyHost + "/team/app:1.0", "first");
      assertThat(first.getImageId()).isEqualTo(pushed.getImageId());

      upstream.close();

      JibContainer second = pullWithJib(proxyHost + "/team/app:1.0", "second");
      assertThat(second.getImageId()).isEqualTo(pushed.getImageId());

      HttpResponse<Void> manifest = http.send(HttpRequest.newBuilder(
              URI.create("http://" + proxyHost + "/v2/team/app/manifests/1.0")).method("HEAD", HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.discarding());
      assertThat(manifest.statusCode()).isEqualTo(200);
      assertThat(manifest.headers().firstValue("Docker-Content-Digest")).hasValue(pushed.getDigest().toString());
      assertThat(manifest.headers().firstValue("Warning")).hasValueSatisfying(w ->
          assertThat(w).startsWith("299 - \"").contains("served from the cache of cache"));

      HttpResponse<String> unknown = http.send(HttpRequest.newBuilder(
          URI.create("http://" + proxyHost + "/v2/team/other/manifests/1.0")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(unknown.statusCode()).isEqualTo(503);
      assertThat(unknown.body()).contains("\"code\":\"UNAVAILABLE\"").contains(upstreamHost);
    } finally {
      proxyRepo.close();
    }
  }

  @Test
  void pushToProxy_isUnsupported() throws Exception {
    ProxyRepository proxyRepo = ProxyRepository.builder("cache", new InMemoryDriver(), URI.create("http://127.0.0.1:1"))
        .spoolDirectory(work.resolve("spool")).build();
    try (WharfServer proxy = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, null), Registry.of(proxyRepo))) {
      HttpResponse<String> post = http.send(HttpRequest.newBuilder(
              URI.create(proxy.url() + "/v2/team/app/blobs/uploads/")).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(post.statusCode()).isEqualTo(405);
      assertThat(post.body()).contains("\"code\":\"UNSUPPORTED\"").contains("proxy repository");
    } finally {
      proxyRepo.close();
    }
  }

  private JibContainer pullWithJib(String image, String label) throws Exception {
    return Jib.from(RegistryImage.named(image))
        .containerize(Containerizer.to(TarImage.at(work.resolve(label + ".tar")).named("x"))
            .setAllowInsecureRegistries(true)
            .setBaseImageLayersCache(work.resolve("jib-" + label + "-base"))
            .setApplicationLayersCache(work.resolve("jib-" + label + "-app")));
  }

  private Path randomFile(String name, int size, long seed) throws Exception {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    Path dir = Files.createDirectories(work.resolve("src" + seed));
    return Files.write(dir.resolve(name), b);
  }
}
