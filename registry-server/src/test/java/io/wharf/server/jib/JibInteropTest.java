package io.wharf.server.jib;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import com.google.cloud.tools.jib.event.EventHandlers;
import com.google.cloud.tools.jib.http.FailoverHttpClient;
import com.google.cloud.tools.jib.image.json.ManifestTemplate;
import com.google.cloud.tools.jib.registry.ManifestAndDigest;
import com.google.cloud.tools.jib.registry.RegistryClient;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.server.WharfServer;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.fs.FilesystemDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jib core, in process, as a real registry client: push an image, read its manifest, pull it back. */
class JibInteropTest {
  @TempDir static Path data;
  @TempDir static Path work;
  static WharfServer server;
  static String hostPort;

  @BeforeAll
  static void start() throws Exception {
    Registry registry = Registry.of(HostedRepository.builder("hosted", new FilesystemDriver(data)).build());
    server = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, null), registry);
    hostPort = "127.0.0.1:" + server.port();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  @Test
  void jibPush_thenPullManifest_returnsSameDigest() throws Exception {
    Path layerFile = writeRandomFile("app.bin", 300_000, 1);
    JibContainer pushed = Jib.fromScratch()
        .addLayer(List.of(layerFile), AbsoluteUnixPath.get("/app"))
        .setEntrypoint("/app/app.bin")
        .containerize(Containerizer.to(RegistryImage.named(hostPort + "/team/jib-app:1.0"))
            .setAllowInsecureRegistries(true));

    FailoverHttpClient http = new FailoverHttpClient(true, true, event -> {});
    RegistryClient client = RegistryClient.factory(EventHandlers.NONE, hostPort, "team/jib-app", http).newRegistryClient();
    ManifestAndDigest<ManifestTemplate> pulled = client.pullManifest("1.0");

    assertThat(pulled.getDigest().toString()).isEqualTo(pushed.getDigest().toString());
    assertThat(Files.list(data.resolve("docker/registry/v2/repositories/team/jib-app/_manifests/tags")))
        .extracting(p -> p.getFileName().toString()).containsExactly("1.0");
  }

  @Test
  void jibBuildFromWharfImage_pullsEveryLayerBack() throws Exception {
    Path layerFile = writeRandomFile("base.bin", 2_000_000, 2);
    Jib.fromScratch()
        .addLayer(List.of(layerFile), AbsoluteUnixPath.get("/base"))
        .containerize(Containerizer.to(RegistryImage.named(hostPort + "/team/jib-base:1"))
            .setAllowInsecureRegistries(true));

    // Using the pushed image as a base makes Jib download its layers from Wharf and verify them.
    Path tar = work.resolve("derived.tar");
    JibContainer derived = Jib.from(RegistryImage.named(hostPort + "/team/jib-base:1"))
        .addLayer(List.of(writeRandomFile("more.bin", 1000, 3)), AbsoluteUnixPath.get("/more"))
        .containerize(Containerizer.to(TarImage.at(tar).named("derived"))
            .setAllowInsecureRegistries(true)
            .setBaseImageLayersCache(work.resolve("cache-base"))
            .setApplicationLayersCache(work.resolve("cache-app")));

    assertThat(derived.getDigest()).isNotNull();
    assertThat(Files.size(tar)).isGreaterThan(2_000_000);
  }

  private static Path writeRandomFile(String name, int size, long seed) throws Exception {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    Path dir = Files.createDirectories(work.resolve("src-" + seed));
    return Files.write(dir.resolve(name), bytes);
  }
}
