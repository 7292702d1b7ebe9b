package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.repository.HostedRepository;
import io.wharf.proxy.RegistrySource;
import io.wharf.proxy.sync.HostedTarget;
import io.wharf.proxy.sync.ImageCopier;
import io.wharf.proxy.sync.Platform;
import io.wharf.proxy.sync.RepositorySource;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.server.WharfServer;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
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
  HostedRepository upstream;
  WharfServer server;
  RegistrySource source;
  HostedRepository mirror;
  SourceImages images;
  SyncReport report;

  @BeforeEach
  void start() throws Exception {
    upstream = HostedRepository.builder("upstream", new InMemoryDriver()).build();
    server = SyncTestServers.serve(upstream);
    source = SyncTestServers.source(server);
    mirror = HostedRepository.builder("mirror", new InMemoryDriver()).build();
    images = new SourceImages(upstream);
    report = new SyncReport("test", Instant.now());
  }

  @AfterEach
  void stop() throws Exception {
    source.close();
    server.close();
  }

  ImageCopier copier() {
    return new ImageCopier(source, new HostedTarget(mirror), report);
  }

  static ImageCopier.Options platforms(String... p) {
    return new ImageCopier.Options(java.util.Arrays.stream(p).map(Platform::parse).toList(), false);
  }

  byte[] mirrored(String image, String reference) throws IOException {
    return SourceImages.manifestBytes(mirror, image, reference);
  }

  static byte[] blobBytes(HostedRepository repo, String image, Digest d) throws IOException {
    return SourceImages.blobBytes(repo, image, d);
  }

  @Test
  void copyTag_image_sameManifestBytesAndBlobs() throws Exception {
    SourceImages.Pushed app = images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        1000, 70_000);

    assertThat(copier().copyTag("team/app", "1.0", "copy/app", ImageCopier.Options.ALL)).isTrue();

    assertThat(mirrored("copy/app", "1.0")).isEqualTo(app.bytes());
    for (Digest blob : app.blobs()) {
      assertThat(blobBytes(mirror, "copy/app", blob)).isEqualTo(blobBytes(upstream, "team/app", blob));
    }
    SyncReport.Snapshot s = report.snapshot();
    assertThat(s.blobsCopied()).isEqualTo(3);
    assertThat(s.bytesCopied()).isGreaterThan(71_000);
    assertThat(s.manifestsCopied()).isEqualTo(1);
  }

  @Test
  void copyTag_again_skipsWithoutCopying() throws Exception {
    images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 1000);
    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);
    SyncReport.Snapshot first = report.snapshot();

    assertThat(copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL)).isFalse();

    SyncReport.Snapshot second = report.snapshot();
    assertThat(second.blobsCopied()).isEqualTo(first.blobsCopied());
    assertThat(second.manifestsCopied()).isEqualTo(first.manifestsCopied());
  }

  @Test
  void copyTag_blobsAlreadyThere_areSkippedNotFetched() throws Exception {
    SourceImages.Pushed v1 = images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        5000, 6000);
    // what a killed run leaves: some blobs stored, no manifest, no tag
    new SourceImages(mirror).blob("team/app", blobBytes(upstream, "team/app", v1.blobs().get(1)));

    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);

    SyncReport.Snapshot s = report.snapshot();
    assertThat(s.blobsSkipped()).isEqualTo(1);
    assertThat(s.blobsCopied()).isEqualTo(2); // config and the other layer
    assertThat(mirrored("team/app", "1.0")).isEqualTo(v1.bytes());
  }

  @Test
  void copyTag_index_withReferrers_copiesChildrenAndSignatureWithSameDigests() throws Exception {
    SourceImages.MultiArch multi = images.multiArch("team/multi", "2.0");
    SourceImages.Pushed amd = multi.amd64();
    SourceImages.Pushed arm = multi.arm64();
    SourceImages.Pushed index = multi.index();
    SourceImages.Pushed sig = images.signature("team/multi", index);

    copier().copyTag("team/multi", "2.0", "team/multi", new ImageCopier.Options(List.of(), true));

    assertThat(mirrored("team/multi", "2.0")).isEqualTo(index.bytes());
    assertThat(mirrored("team/multi", amd.digest().value())).isEqualTo(amd.bytes());
    assertThat(mirrored("team/multi", arm.digest().value())).isEqualTo(arm.bytes());
    assertThat(mirrored("team/multi", sig.digest().value())).isEqualTo(sig.bytes());
    assertThat(mirror.referrers(ImageName.of("team/multi"), index.digest(), null))
        .extracting(r -> r.descriptor().digest()).containsExactly(sig.digest());
  }

  @Test
  void copyTag_platformsFiltered_indexKeepsItsDigest_leftOutChildIsNotCopied() throws Exception {
    SourceImages.MultiArch multi = images.multiArch("team/multi", "2.0");
    SourceImages.Pushed amd = multi.amd64();
    SourceImages.Pushed arm = multi.arm64();
    SourceImages.Pushed index = multi.index();

    copier().copyTag("team/multi", "2.0", "team/multi", platforms("linux/amd64"));

    assertThat(mirrored("team/multi", "2.0")).isEqualTo(index.bytes());
    assertThat(mirrored("team/multi", amd.digest().value())).isEqualTo(amd.bytes());
    assertThat(mirrored("team/multi", arm.digest().value())).isNull();
    for (Digest blob : arm.blobs()) {
      assertThat(mirror.getBlob(ImageName.of("team/multi"), blob)).isEmpty();
    }
  }

  @Test
  void copyTag_unknownTag_throwsNotFound() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> copier().copyTag("team/none", "1", "team/none",
        ImageCopier.Options.ALL)).isInstanceOf(ImageCopier.NotFoundException.class).hasMessageContaining("team/none:1");
  }

  @Test
  void copyTag_indexHeldWithoutAChild_fromARemote_fails_fromARepository_isCopiedAsItIs() throws Exception {
    SourceImages.MultiArch multi = images.multiArch("team/multi", "2.0");
    HostedRepository partial = HostedRepository.builder("partial", new InMemoryDriver()).build();
    new ImageCopier(new RepositorySource(upstream), new HostedTarget(partial), report)
        .copyTag("team/multi", "2.0", "team/multi", platforms("linux/amd64"));

    // a remote registry serving an index without a child: a broken image, not copied
    WharfServer partialServer = SyncTestServers.serve(partial);
    try (RegistrySource remote = SyncTestServers.source(partialServer)) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ImageCopier(remote, new HostedTarget(mirror), report)
          .copyTag("team/multi", "2.0", "team/multi", ImageCopier.Options.ALL))
          .isInstanceOf(ImageCopier.NotFoundException.class).hasMessageContaining(multi.arm64().digest().value());
    } finally {
      SyncTestServers.stop(partialServer);
    }
    assertThat(mirrored("team/multi", "2.0")).isNull();

    // a repository of this server holds it so on purpose: what it has is copied, the index as it is
    assertThat(new ImageCopier(new RepositorySource(partial), new HostedTarget(mirror), report)
        .copyTag("team/multi", "2.0", "team/multi", ImageCopier.Options.ALL)).isTrue();
    assertThat(mirrored("team/multi", "2.0")).isEqualTo(multi.index().bytes());
    assertThat(mirrored("team/multi", multi.amd64().digest().value())).isEqualTo(multi.amd64().bytes());
    assertThat(mirrored("team/multi", multi.arm64().digest().value())).isNull();
  }
}
