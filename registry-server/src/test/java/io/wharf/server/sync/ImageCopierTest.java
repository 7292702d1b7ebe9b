package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.proxy.RegistrySource;
import io.wharf.proxy.sync.HostedTarget;
import io.wharf.proxy.sync.ImageCopier;
import io.wharf.proxy.sync.Platform;
import io.wharf.proxy.sync.SyncReport;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The copy engine between a real Wharf server (the source, over HTTP through the proxy's client)
 * and a hosted repository: digests kept, blobs present skipped, platforms and referrers.
 */
class ImageCopierTest {
  CopyFixture ends;
  RegistrySource source;

  @BeforeEach
  void start() throws Exception {
    ends = new CopyFixture(CopyFixture.Served.SOURCE);
    source = ends.client().build();
  }

  @AfterEach
  void stop() throws Exception {
    source.close();
    ends.close();
  }

  ImageCopier copier() {
    return new ImageCopier(source, new HostedTarget(ends.destination), ends.report);
  }

  static ImageCopier.Options platforms(String... p) {
    return new ImageCopier.Options(java.util.Arrays.stream(p).map(Platform::parse).toList(), false);
  }

  @Test
  void copyTag_image_sameManifestBytesAndBlobs() throws Exception {
    SourceImages.Pushed app = ends.images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        1000, 70_000);

    assertThat(copier().copyTag("team/app", "1.0", "copy/app", ImageCopier.Options.ALL)).isTrue();

    assertThat(ends.copied("copy/app", "1.0")).isEqualTo(app.bytes());
    ends.assertBlobsCopied(app, "team/app", "copy/app");
    SyncReport.Snapshot s = ends.report.snapshot();
    assertThat(s.blobsCopied()).isEqualTo(3);
    assertThat(s.bytesCopied()).isGreaterThan(71_000);
    assertThat(s.manifestsCopied()).isEqualTo(1);
  }

  @Test
  void copyTag_again_skipsWithoutCopying() throws Exception {
    ends.images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 1000);
    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);
    SyncReport.Snapshot first = ends.report.snapshot();

    assertThat(copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL)).isFalse();

    SyncReport.Snapshot second = ends.report.snapshot();
    assertThat(second.blobsCopied()).isEqualTo(first.blobsCopied());
    assertThat(second.manifestsCopied()).isEqualTo(first.manifestsCopied());
  }

  @Test
  void copyTag_blobsAlreadyThere_areSkippedNotFetched() throws Exception {
    SourceImages.Pushed v1 = ends.images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        5000, 6000);
    // what a killed run leaves: some blobs stored, no manifest, no tag
    ends.copiedAlready("team/app", v1.blobs().get(1));

    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);

    SyncReport.Snapshot s = ends.report.snapshot();
    assertThat(s.blobsSkipped()).isEqualTo(1);
    assertThat(s.blobsCopied()).isEqualTo(2); // config and the other layer
    assertThat(ends.copied("team/app", "1.0")).isEqualTo(v1.bytes());
  }

  @Test
  void copyTag_index_withReferrers_copiesChildrenAndSignatureWithSameDigests() throws Exception {
    Instant t = Instant.parse("2026-02-01T00:00:00Z");
    SourceImages.Pushed amd = ends.images.image("team/multi", "sha256:x", "linux/amd64", t, 300);
    SourceImages.Pushed arm = ends.images.image("team/multi", "sha256:x", "linux/arm64", t, 400);
    SourceImages.Pushed index = ends.images.index("team/multi", "2.0", List.of(amd, arm),
        List.of("linux/amd64", "linux/arm64"));
    SourceImages.Pushed sig = ends.images.signature("team/multi", index);

    copier().copyTag("team/multi", "2.0", "team/multi", new ImageCopier.Options(List.of(), true));

    assertThat(ends.copied("team/multi", "2.0")).isEqualTo(index.bytes());
    assertThat(ends.copied("team/multi", amd.digest().value())).isEqualTo(amd.bytes());
    assertThat(ends.copied("team/multi", arm.digest().value())).isEqualTo(arm.bytes());
    assertThat(ends.copied("team/multi", sig.digest().value())).isEqualTo(sig.bytes());
    assertThat(ends.destination.referrers(ImageName.of("team/multi"), index.digest(), null))
        .extracting(r -> r.descriptor().digest()).containsExactly(sig.digest());
  }

  @Test
  void copyTag_platformsFiltered_indexKeepsItsDigest_leftOutChildIsNotCopied() throws Exception {
    Instant t = Instant.parse("2026-02-01T00:00:00Z");
    SourceImages.Pushed amd = ends.images.image("team/multi", "sha256:x", "linux/amd64", t, 300);
    SourceImages.Pushed arm = ends.images.image("team/multi", "sha256:x", "linux/arm64", t, 400);
    SourceImages.Pushed index = ends.images.index("team/multi", "2.0", List.of(amd, arm),
        List.of("linux/amd64", "linux/arm64"));

    copier().copyTag("team/multi", "2.0", "team/multi", platforms("linux/amd64"));

    assertThat(ends.copied("team/multi", "2.0")).isEqualTo(index.bytes());
    assertThat(ends.copied("team/multi", amd.digest().value())).isEqualTo(amd.bytes());
    assertThat(ends.copied("team/multi", arm.digest().value())).isNull();
    for (Digest blob : arm.blobs()) {
      assertThat(ends.destination.getBlob(ImageName.of("team/multi"), blob)).isEmpty();
    }
  }

  @Test
  void copyTag_unknownTag_throwsNotFound() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> copier().copyTag("team/none", "1", "team/none",
        ImageCopier.Options.ALL)).isInstanceOf(ImageCopier.NotFoundException.class).hasMessageContaining("team/none:1");
  }
}
