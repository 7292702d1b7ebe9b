package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.MediaTypes;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A fixture and what a registry holds of it are read with the same accessors. */
@WharfRegistry
class InspectionModelTest {
  static final TestImage SINGLE = TestImages.seeded(7).layers(3, 2048).build();
  static final TestImage MULTI = TestImages.seeded(8).layers(2, 1024).platforms("linux/amd64", "linux/arm64/v8").build();

  @Test
  void imageManifest_readBack_hasTheFixturesAccessors(TestRegistry registry) {
    registry.push("team/app", "1.0", SINGLE);

    StoredManifest stored = registry.manifest("team/app:1.0").orElseThrow();
    TestImage.Image built = SINGLE.image();

    assertThat(stored.digest()).isEqualTo(built.digest());
    assertThat(stored.mediaType()).isEqualTo(built.mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(stored.size()).isEqualTo(built.size());
    assertThat(stored.bytes()).isEqualTo(built.manifest().bytes());
    assertThat(stored.isIndex()).isFalse();
    assertThat(stored.config().digest()).isEqualTo(built.config().digest());
    assertThat(stored.config().size()).isEqualTo(built.config().size());
    assertThat(stored.layers()).extracting(Described::digest, Described::mediaType, Described::size)
        .containsExactlyElementsOf(built.layers().stream()
            .map(l -> org.assertj.core.groups.Tuple.tuple(l.digest(), l.mediaType(), l.size())).toList());
    assertThat(stored.children()).isEmpty();
  }

  @Test
  void index_readBack_namesItsPlatforms_andHasNoConfig(TestRegistry registry) {
    registry.push("team/app", "2.0", MULTI);

    StoredManifest index = registry.manifest("team/app:2.0").orElseThrow();

    assertThat(index.isIndex()).isTrue();
    assertThat(index.digest()).isEqualTo(MULTI.digest());
    assertThat(index.layers()).isEmpty();
    assertThat(index.children()).extracting(Described::digest)
        .containsExactly(MULTI.images().get(0).digest(), MULTI.images().get(1).digest());
    assertThat(index.children()).extracting(c -> c.platform().orElseThrow().toString())
        .containsExactly("linux/amd64", "linux/arm64/v8");
    assertThat(index.child("linux/arm64").digest()).isEqualTo(MULTI.image("linux/arm64").digest());
    assertThatThrownBy(index::config).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("is an index").hasMessageContaining("child(platform)");
    assertThatThrownBy(() -> index.child("windows/amd64")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[linux/amd64, linux/arm64/v8]");

    StoredManifest arm = registry.manifest("team/app@" + index.child("linux/arm64").digest()).orElseThrow();
    assertThat(arm.layers()).extracting(Described::digest)
        .containsExactlyElementsOf(MULTI.image("linux/arm64").layers().stream().map(Described::digest).toList());
  }

  @Test
  void everyKindOfContent_isDescribed() {
    List<Described> all = List.of(SINGLE, SINGLE.image(), SINGLE.image().config(), SINGLE.image().layers().get(0),
        SINGLE.manifest());
    assertThat(all).allSatisfy(d -> {
      assertThat(d.digest()).isNotNull();
      assertThat(d.mediaType()).startsWith("application/vnd.");
      assertThat(d.size()).isPositive();
    });
  }
}
