package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class TestImagesTest {

  @Test
  void build_sameSeed_sameBytes_differentSeed_differentBytes() {
    TestImage a = TestImages.seeded(42).layers(3, 4096).platforms("linux/amd64", "linux/arm64").build();
    TestImage b = TestImages.random().seed(42).layers(3, 4096).platforms("linux/amd64", "linux/arm64").build();
    TestImage c = TestImages.seeded(43).layers(3, 4096).platforms("linux/amd64", "linux/arm64").build();

    assertThat(a.digests()).isEqualTo(b.digests());
    assertThat(a.digest()).isEqualTo(b.digest()).isNotEqualTo(c.digest());
    assertThat(a.blobs()).extracting(TestImage.Content::digest).doesNotContainAnyElementsOf(
        c.blobs().stream().map(TestImage.Content::digest).toList());
  }

  @Test
  void build_twoPlatforms_indexOverTwoManifestsWithOwnLayersAndConfigs() {
    TestImage image = TestImages.seeded(7).layers(3, 4096).platforms("linux/amd64", "linux/arm64/v8").build();

    assertThat(image.isIndex()).isTrue();
    assertThat(image.mediaType()).isEqualTo(MediaTypes.OCI_INDEX);
    assertThat(image.images()).hasSize(2);
    assertThat(image.blobs()).hasSize(2 * (3 + 1));
    assertThat(image.manifests()).hasSize(3).last().isEqualTo(image.index().orElseThrow());

    Manifest index = ManifestParser.parse(image.manifest().bytes(), image.mediaType());
    assertThat(index.children()).extracting(d -> d.digest())
        .containsExactly(image.images().get(0).digest(), image.images().get(1).digest());
    JsonNode platform = TestImages.JSON.readTree(image.manifest().bytes()).path("manifests").get(1).path("platform");
    assertThat(platform.path("architecture").asString()).isEqualTo("arm64");
    assertThat(platform.path("variant").asString()).isEqualTo("v8");
    assertThat(image.image("linux/arm64").platform().variant()).isEqualTo("v8");
  }

  @Test
  void build_layersAreGzippedTarsWhoseDigestsMatchTheConfigDiffIds() throws IOException {
    TestImage image = TestImages.seeded(1).layers(2, 10_000).file("app/hello.txt", "hello").build();
    TestImage.Image only = image.image();

    assertThat(image.isIndex()).isFalse();
    assertThat(only.layers()).hasSize(3);
    JsonNode config = TestImages.JSON.readTree(only.config().bytes());
    assertThat(config.path("architecture").asString()).isEqualTo("amd64");
    assertThat(config.path("config").path("Labels").path("io.wharf.testkit.seed").asString()).isEqualTo("1");
    for (int i = 0; i < only.layers().size(); i++) {
      TestImage.Layer layer = only.layers().get(i);
      byte[] tar = new GZIPInputStream(new ByteArrayInputStream(layer.blob().bytes())).readAllBytes();
      assertThat(tar).isEqualTo(layer.tar());
      assertThat(Digest.sha256(tar)).isEqualTo(layer.diffId());
      assertThat(config.path("rootfs").path("diff_ids").get(i).asString()).isEqualTo(layer.diffId().value());
      assertThat(layer.blob().digest().matches(layer.blob().bytes())).isTrue();
    }
    assertThat(new String(only.layers().get(2).tar(), 512, 5)).isEqualTo("hello");

    Manifest manifest = ManifestParser.parse(only.manifest().bytes(), only.manifest().mediaType());
    assertThat(manifest.config().orElseThrow().digest()).isEqualTo(only.config().digest());
    assertThat(manifest.layers()).extracting(l -> l.descriptor().digest())
        .containsExactlyElementsOf(only.layers().stream().map(TestImage.Layer::digest).toList());
  }

  @Test
  void build_dockerFormat_usesDockerMediaTypes() {
    TestImage image = TestImages.seeded(3).dockerFormat().platforms("linux/amd64", "linux/arm64").build();

    assertThat(image.mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST_LIST);
    assertThat(image.images().get(0).manifest().mediaType()).isEqualTo(MediaTypes.DOCKER_MANIFEST);
    assertThat(image.images().get(0).config().mediaType()).isEqualTo(MediaTypes.DOCKER_CONFIG);
    assertThat(image.images().get(0).layers().get(0).blob().mediaType()).isEqualTo(MediaTypes.DOCKER_LAYER);
  }

  @Test
  void image_ofAnIndex_needsAPlatform() {
    TestImage image = TestImages.seeded(3).platforms("linux/amd64", "linux/arm64").build();

    assertThatThrownBy(image::image).isInstanceOf(IllegalStateException.class).hasMessageContaining("2 platforms");
    assertThatThrownBy(() -> image.image("linux/s390x")).hasMessageContaining("no image for linux/s390x");
    assertThatThrownBy(() -> TestImages.random().platforms("linux")).hasMessageContaining("os/architecture");
  }
}
