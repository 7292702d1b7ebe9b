package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.ImageName;
import io.wharf.core.repository.Page;
import io.wharf.proxy.sync.ImageCopier;
import io.wharf.proxy.sync.SyncReport;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What an image copy does whichever end of it goes over HTTP: the same bytes and digests arrive,
 * a second copy sends nothing, blobs the destination has are skipped, an index arrives with its
 * children and its signature. {@link ImageCopierTest} runs these with the source served (a pull
 * rule's copy), {@link RegistryTargetTest} with the destination served (a push rule's), each
 * adding what only its end does.
 */
abstract class CopyScenarios {
  private final CopyFixture.Served served;
  CopyFixture ends;

  CopyScenarios(CopyFixture.Served served) {
    this.served = served;
  }

  /** A copier from the source to the destination, counting into the fixture's report. */
  abstract ImageCopier copier();

  @BeforeEach
  void startEnds() throws Exception {
    ends = new CopyFixture(served);
  }

  @AfterEach
  void stopEnds() throws Exception {
    ends.close();
  }

  @Test
  void copyTag_image_arrivesWithItsBytesAndDigests() throws Exception {
    SourceImages.Pushed app = ends.images.image("team/app", "1.0", "linux/amd64",
        Instant.parse("2026-01-01T00:00:00Z"), 1000, 300_000);

    assertThat(copier().copyTag("team/app", "1.0", "copy/app", ImageCopier.Options.ALL)).isTrue();

    assertThat(ends.copied("copy/app", "1.0")).isEqualTo(app.bytes());
    ends.assertBlobsCopied(app, "team/app", "copy/app");
    SyncReport.Snapshot s = ends.report.snapshot();
    assertThat(s.blobsCopied()).isEqualTo(3);
    assertThat(s.bytesCopied()).isGreaterThan(301_000);
    assertThat(s.manifestsCopied()).isEqualTo(1);
  }

  @Test
  void copyTag_again_copiesNothing() throws Exception {
    ends.images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 1000);
    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);
    SyncReport.Snapshot first = ends.report.snapshot();

    assertThat(copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL)).isFalse();

    SyncReport.Snapshot second = ends.report.snapshot();
    assertThat(second.blobsCopied()).isEqualTo(first.blobsCopied());
    assertThat(second.bytesCopied()).isEqualTo(first.bytesCopied());
    assertThat(second.manifestsCopied()).isEqualTo(first.manifestsCopied());
  }

  @Test
  void copyTag_blobsTheDestinationHas_areSkipped() throws Exception {
    SourceImages.Pushed v1 = ends.images.image("team/app", "1.0", "linux/amd64",
        Instant.parse("2026-01-01T00:00:00Z"), 5000, 6000);
    ends.copiedAlready("team/app", v1.blobs().get(1)); // what a copy cut off leaves

    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);

    SyncReport.Snapshot s = ends.report.snapshot();
    assertThat(s.blobsSkipped()).isEqualTo(1);
    assertThat(s.blobsCopied()).isEqualTo(2); // config and the other layer
    assertThat(ends.copied("team/app", "1.0")).isEqualTo(v1.bytes());
  }

  @Test
  void copyTag_indexWithSignature_childrenAndSignatureArriveWithTheirDigests() throws Exception {
    SourceImages.MultiArch multi = ends.images.multiArch("team/multi", "2.0");
    SourceImages.Pushed index = multi.index();
    SourceImages.Pushed sig = ends.images.signature("team/multi", index);

    copier().copyTag("team/multi", "2.0", "team/multi", new ImageCopier.Options(List.of(), true));

    assertThat(ends.copied("team/multi", "2.0")).isEqualTo(index.bytes());
    for (SourceImages.Pushed m : List.of(multi.amd64(), multi.arm64(), sig)) {
      assertThat(ends.copied("team/multi", m.digest().value())).as("%s", m.digest()).isEqualTo(m.bytes());
    }
    assertThat(ends.destination.referrers(ImageName.of("team/multi"), index.digest(), null))
        .extracting(r -> r.descriptor().digest()).containsExactly(sig.digest());
    // the destination has the referrers API (over HTTP it answers OCI-Subject): no referrers tag schema
    assertThat(ends.destination.listTags(ImageName.of("team/multi"), Page.UNLIMITED, null).items())
        .containsExactly("2.0");
  }
}
