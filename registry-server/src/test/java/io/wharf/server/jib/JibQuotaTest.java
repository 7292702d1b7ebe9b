package io.wharf.server.jib;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import io.wharf.core.quota.Quota;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.server.WharfServer;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.fs.FilesystemDriver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Jib core pushing into a repository whose hard quota is too small: the push fails and says why. */
class JibQuotaTest {
  @TempDir Path data;
  @TempDir Path work;

  @Test
  void jibPush_layerOverHardQuota_failsWithQuotaMessage_nothingStored() throws Exception {
    HostedRepository repo = HostedRepository.builder("hosted", new FilesystemDriver(data))
        .quota(Quota.hard(100 * 1024)).build();
    byte[] bytes = new byte[300_000];
    new Random(5).nextBytes(bytes); // incompressible: the layer stays ~300 kB
    Path layer = Files.write(work.resolve("app.bin"), bytes);

    try (WharfServer server = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, null), Registry.of(repo))) {
      String image = "127.0.0.1:" + server.port() + "/team/jib-quota:1.0";
      assertThatThrownBy(() -> Jib.fromScratch()
          .addLayer(List.of(layer), AbsoluteUnixPath.get("/app"))
          .containerize(Containerizer.to(RegistryImage.named(image)).setAllowInsecureRegistries(true)))
          .rootCause()
          .hasMessageContaining("DENIED")
          .hasMessageContaining("quota exceeded: repository")
          .hasMessageContaining("of its 100 KiB limit");
    }

    assertThat(repo.quota().orElseThrow().usedBytes()).isLessThan(100 * 1024);
    // Not a byte of the refused layer stayed, as a blob or as upload data. (Jib may abandon its
    // config upload, a few hundred bytes, when the layer fails: that one is the client's, for the
    // upload purge.)
    try (Stream<Path> files = Files.walk(data)) {
      assertThat(files.filter(Files::isRegularFile).filter(p -> p.toFile().length() > 4096)
          .map(p -> p + " (" + p.toFile().length() + " bytes)")).isEmpty();
    }
  }
}
