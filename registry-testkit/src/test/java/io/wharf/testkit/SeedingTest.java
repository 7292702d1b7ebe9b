package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Seeding a registry from fixtures, OCI image layouts and {@code docker save} archives. */
@WharfRegistry
class SeedingTest {
  @TempDir Path work;

  @Test
  void pushOciLayout_pushesEveryTag_byteForByte(TestRegistry registry) {
    TestImage multi = TestImages.seeded(1).layers(2, 1024).platforms("linux/amd64", "linux/arm64").build();
    TestImage single = TestImages.seeded(2).dockerFormat().build();
    Path layout = work.resolve("layout");
    multi.writeOciLayout(layout, "1.0");
    single.writeOciLayout(layout, "2.0");

    Map<String, Digest> pushed = registry.pushOciLayout(layout, "team/app");

    assertThat(pushed).containsExactly(Map.entry("1.0", multi.digest()), Map.entry("2.0", single.digest()));
    assertThat(registry.tags("team/app")).containsExactly("1.0", "2.0");
    assertThat(registry.manifest("team/app:1.0").orElseThrow().bytes()).isEqualTo(multi.manifest().bytes());
    assertThat(registry.manifest("team/app:2.0").orElseThrow().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    assertThat(registry.blobs()).containsAll(multi.digests()).containsAll(single.digests());
  }

  @Test
  void pushOciLayout_notALayout_saysSo(TestRegistry registry) {
    assertThatThrownBy(() -> registry.pushOciLayout(work, "team/app"))
        .isInstanceOf(UncheckedIOException.class).hasMessageContaining("not an OCI image layout");
  }

  @Test
  void pushDockerArchive_usesTheArchivesNamesAndTags_layersUncompressed(TestRegistry registry) {
    TestImage image = TestImages.seeded(3).layers(2, 3000).build();
    Path archive = image.writeDockerArchive(work.resolve("app.tar"), "docker.io/team/app:1.0");

    Map<String, Digest> pushed = registry.pushDockerArchive(archive);

    assertThat(pushed).containsOnlyKeys("team/app:1.0");
    StoredManifest m = registry.manifest("team/app:1.0").orElseThrow();
    assertThat(m.digest()).isEqualTo(pushed.get("team/app:1.0"));
    assertThat(m.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(m.config().digest()).isEqualTo(image.image().config().digest());
    assertThat(m.layers()).extracting(Described::digest)
        .containsExactlyElementsOf(image.image().layers().stream().map(TestImage.Layer::diffId).toList());
    assertThat(m.layers()).extracting(Described::mediaType).containsOnly("application/vnd.oci.image.layer.v1.tar");
  }

  @Test
  void pushDockerArchive_gzipped_underAnotherName(TestRegistry registry) throws IOException {
    TestImage image = TestImages.seeded(4).build();
    Path tar = image.writeDockerArchive(work.resolve("app.tar"), "app:7");
    Path gz = work.resolve("app.tar.gz");
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(gz))) {
      Files.copy(tar, out);
    }

    Map<String, Digest> pushed = registry.pushDockerArchive(gz, "mirror/app");

    assertThat(pushed).containsOnlyKeys("mirror/app:7");
    assertThat(registry.catalog()).containsExactly("mirror/app");
  }

  @Test
  void pushDockerArchive_entryOutsideTheArchive_isRefused(TestRegistry registry) throws IOException {
    Path evil = work.resolve("evil.tar");
    try (OutputStream out = Files.newOutputStream(evil)) {
      Tar.writeEntry(out, "../escaped.txt", "boo".getBytes());
      Tar.writeEnd(out);
    }
    assertThatThrownBy(() -> registry.pushDockerArchive(evil)).hasMessageContaining("outside the archive");
  }

  @Test
  void splitRepoTag_dropsTheRegistryHost() {
    assertThat(Seeder.splitRepoTag("alpine:3.20")).containsExactly("alpine", "3.20");
    assertThat(Seeder.splitRepoTag("docker.io/library/alpine")).containsExactly("library/alpine", "latest");
    assertThat(Seeder.splitRepoTag("localhost:5000/team/app:1")).containsExactly("team/app", "1");
    assertThat(Seeder.splitRepoTag("team/app:1")).containsExactly("team/app", "1");
  }

  @Test
  void writeDockerArchive_multiPlatform_refusesAndNamesTheMethodsThatWriteOne() {
    TestImage multi = TestImages.seeded(5).platforms("linux/amd64", "linux/arm64").build();
    Path file = work.resolve("multi.tar");

    assertThatThrownBy(() -> multi.writeDockerArchive(file, "team/app:1.0"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("[linux/amd64, linux/arm64]")
        .hasMessageContaining("writeDockerArchive(file, repoTag, \"linux/amd64\")")
        .hasMessageContaining("image(platform).writeDockerArchive(file, repoTag)");
    assertThat(file).doesNotExist();
  }

  @Test
  void writeDockerArchive_onePlatformOfSeveral_isThatPlatformsImage(TestRegistry registry) throws IOException {
    TestImage multi = TestImages.seeded(6).layers(2, 1500).platforms("linux/amd64", "linux/arm64").build();
    TestImage.Image arm = multi.image("linux/arm64");
    Path archive = multi.writeDockerArchive(work.resolve("arm.tar"), "team/app:arm", "linux/arm64");

    Path unpacked = work.resolve("unpacked");
    try (var in = Files.newInputStream(archive)) {
      Tar.extract(in, unpacked);
    }
    var manifest = TestImages.JSON.readTree(Files.readAllBytes(unpacked.resolve("manifest.json")));
    assertThat(manifest.size()).isEqualTo(1);
    assertThat(manifest.get(0).path("Config").asString()).isEqualTo(arm.config().digest().hex() + ".json");
    assertThat(manifest.get(0).path("RepoTags").get(0).asString()).isEqualTo("team/app:arm");
    assertThat(manifest.get(0).path("Layers").valueStream().map(n -> n.asString()).toList())
        .containsExactlyElementsOf(arm.layers().stream().map(l -> l.diffId().hex() + "/layer.tar").toList());
    assertThat(Files.readAllBytes(unpacked.resolve(arm.config().digest().hex() + ".json"))).isEqualTo(arm.config().bytes());
    assertThat(TestImages.JSON.readTree(arm.config().bytes()).path("architecture").asString()).isEqualTo("arm64");
    for (TestImage.Layer l : arm.layers()) {
      assertThat(Files.readAllBytes(unpacked.resolve(l.diffId().hex() + "/layer.tar"))).isEqualTo(l.tar());
    }

    registry.pushDockerArchive(archive);
    assertThat(registry.manifest("team/app:arm").orElseThrow().config().digest()).isEqualTo(arm.config().digest());

    // the per-platform image writes the same archive
    Path same = arm.writeDockerArchive(work.resolve("arm-too.tar"), "team/app:arm");
    assertThat(Files.readAllBytes(same)).isEqualTo(Files.readAllBytes(archive));
  }
}
