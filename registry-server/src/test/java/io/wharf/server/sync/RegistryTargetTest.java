package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.RegistryException;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.repository.HostedRepository;
import io.wharf.proxy.RegistrySource;
import io.wharf.proxy.RegistryTarget;
import io.wharf.proxy.sync.HostedTarget;
import io.wharf.proxy.sync.ImageCopier;
import io.wharf.proxy.sync.Platform;
import io.wharf.proxy.sync.RepositorySource;
import io.wharf.proxy.sync.SyncReport;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A push rule's target: a second Wharf server over HTTP as the remote registry, this side's
 * hosted repository as the source. Digests kept, what the remote has skipped, a blob known under
 * another image mounted rather than uploaded, referrers, deletes, and refusals that name the
 * remote and the credentials without their secret.
 */
class RegistryTargetTest {
  HostedRepository local;
  HostedRepository remote;
  WharfServer server;
  RegistryTarget target;
  SourceImages images;
  SyncReport report;

  @BeforeEach
  void start() throws Exception {
    local = HostedRepository.builder("local", new InMemoryDriver()).build();
    remote = HostedRepository.builder("remote", new InMemoryDriver()).build();
    server = SyncTestServers.serve(remote);
    target = target(server.url());
    images = new SourceImages(local);
    report = new SyncReport("test", Instant.now());
  }

  @AfterEach
  void stop() throws Exception {
    target.close();
    SyncTestServers.stop(server);
  }

  static RegistryTarget target(URI url) {
    return RegistrySource.builder(url).connectTimeout(Duration.ofSeconds(30)).readTimeout(Duration.ofSeconds(120))
        .retries(0).buildTarget();
  }

  ImageCopier copier() {
    return new ImageCopier(new RepositorySource(local), target, report);
  }

  byte[] remoteManifest(String image, String reference) throws IOException {
    return SourceImages.manifestBytes(remote, image, reference);
  }

  static byte[] blobBytes(HostedRepository repo, String image, Digest d) throws IOException {
    return SourceImages.blobBytes(repo, image, d);
  }

  @Test
  void copyTag_image_arrivesWithItsBytes_andTheRemoteSaysSo() throws Exception {
    SourceImages.Pushed app = images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        1000, 300_000);

    assertThat(copier().copyTag("team/app", "1.0", "site/app", ImageCopier.Options.ALL)).isTrue();

    assertThat(remoteManifest("site/app", "1.0")).isEqualTo(app.bytes());
    for (Digest blob : app.blobs()) {
      assertThat(blobBytes(remote, "site/app", blob)).isEqualTo(blobBytes(local, "team/app", blob));
    }
    assertThat(target.tagged("site/app", "1.0")).contains(app.digest());
    assertThat(target.hasManifest("site/app", app.digest())).isTrue();
    assertThat(target.tagged("site/app", "2.0")).isEmpty();
    assertThat(target.tags("site/app")).contains(List.of("1.0"));
    SyncReport.Snapshot s = report.snapshot();
    assertThat(s.blobsCopied()).isEqualTo(3);
    assertThat(s.bytesCopied()).isGreaterThan(301_000);
  }

  @Test
  void copyTag_again_skips_andBlobsTheRemoteHas_areNotSent() throws Exception {
    SourceImages.Pushed v1 = images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        5000, 6000);
    // the remote holds one layer already (an earlier copy cut off)
    new SourceImages(remote).blob("team/app", blobBytes(local, "team/app", v1.blobs().get(1)));

    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);
    SyncReport.Snapshot first = report.snapshot();
    assertThat(first.blobsSkipped()).isEqualTo(1);
    assertThat(first.blobsCopied()).isEqualTo(2);

    assertThat(copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL)).isFalse();
    SyncReport.Snapshot second = report.snapshot();
    assertThat(second.blobsCopied()).isEqualTo(first.blobsCopied());
    assertThat(second.bytesCopied()).isEqualTo(first.bytesCopied());
    assertThat(second.manifestsCopied()).isEqualTo(first.manifestsCopied());
  }

  @Test
  void copyTag_blobKnownUnderAnotherImage_isMounted_notUploaded() throws Exception {
    SourceImages.Pushed app = images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        200_000);
    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);
    long bytesBefore = report.snapshot().bytesCopied();

    // a target that knows of no holder: the remote has no such blob in "fresh/app", so it is uploaded
    SyncReport other = new SyncReport("other", Instant.now());
    try (RegistryTarget fresh = target(server.url())) {
      new ImageCopier(new RepositorySource(local), fresh, other).copyTag("team/app", "1.0", "fresh/app",
          ImageCopier.Options.ALL);
    }
    assertThat(other.snapshot().blobsCopied()).as("uploaded without a known holder").isEqualTo(2);

    // the same target: it saw the blobs under team/app, so the remote mounts them into copy/app
    assertThat(copier().copyTag("team/app", "1.0", "copy/app", ImageCopier.Options.ALL)).isTrue();

    SyncReport.Snapshot s = report.snapshot();
    assertThat(s.bytesCopied()).as("nothing uploaded again").isEqualTo(bytesBefore);
    assertThat(s.blobsSkipped()).isEqualTo(2);
    assertThat(remoteManifest("copy/app", "1.0")).isEqualTo(app.bytes());
    for (Digest blob : app.blobs()) {
      assertThat(remote.getBlob(ImageName.of("copy/app"), blob)).isPresent();
    }
  }

  @Test
  void copyTag_indexWithSignature_sameDigests_referrerListedAtTheRemote() throws Exception {
    SourceImages.MultiArch multi = images.multiArch("team/multi", "2.0");
    SourceImages.Pushed amd = multi.amd64();
    SourceImages.Pushed arm = multi.arm64();
    SourceImages.Pushed index = multi.index();
    SourceImages.Pushed sig = images.signature("team/multi", index);

    copier().copyTag("team/multi", "2.0", "team/multi", new ImageCopier.Options(List.of(), true));

    assertThat(remoteManifest("team/multi", "2.0")).isEqualTo(index.bytes());
    assertThat(remoteManifest("team/multi", amd.digest().value())).isEqualTo(amd.bytes());
    assertThat(remoteManifest("team/multi", arm.digest().value())).isEqualTo(arm.bytes());
    assertThat(remoteManifest("team/multi", sig.digest().value())).isEqualTo(sig.bytes());
    assertThat(remote.referrers(ImageName.of("team/multi"), index.digest(), null))
        .extracting(r -> r.descriptor().digest()).containsExactly(sig.digest());
    // Wharf has the referrers API (it answers OCI-Subject): no referrers tag schema written there
    assertThat(target.tags("team/multi").orElseThrow()).containsExactly("2.0");
  }

  @Test
  void delete_removesTheTag_andAnAbsentTagIsNoError() throws Exception {
    images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 100);
    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);

    target.deleteTag("team/app", "1.0");

    assertThat(target.tagged("team/app", "1.0")).isEmpty();
    target.deleteTag("team/app", "1.0"); // gone already: no error
  }

  @Test
  void refusal_namesTheRemoteAndTheCredentials_neverThePassword() throws Exception {
    images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 100);
    try (WharfServer secured = WharfServer.start(ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, shutdownTimeout: 100ms}
        blobStores: {default: {type: memory}}
        security:
          anonymous: true
          users:
            - {name: pusher, passwordHash: "%s", roles: [admins]}
          roles:
            - {name: admins, privileges: ["*:*"]}
        repositories:
          - {name: site}
        """.formatted(PasswordHashes.hash("right-pw".toCharArray(), 4)), "secured.yaml"));
        RegistryTarget wrong = RegistrySource.builder(secured.url()).retries(0).credentials("pusher", "wrong-pw-123")
            .credentialsName("site-push").buildTarget();
        RegistryTarget right = RegistrySource.builder(secured.url()).retries(0).credentials("pusher", "right-pw")
            .credentialsName("site-push").buildTarget()) {
      String host = secured.url().getHost() + ":" + secured.url().getPort();

      assertThatThrownBy(() -> new ImageCopier(new RepositorySource(local), wrong, report)
          .copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("remote registry " + host)
          .hasMessageContaining("credentials \"site-push\"")
          .hasMessageNotContaining("wrong-pw-123");

      assertThat(new ImageCopier(new RepositorySource(local), right, report)
          .copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL)).isTrue();
      assertThat(right.tagged("team/app", "1.0")).isPresent();
    }
  }

  /** An index of two platforms, synced into {@code local} with only amd64 (as a pull rule with platforms). */
  SourceImages.MultiArch partialIndexInLocal() throws IOException {
    HostedRepository full = HostedRepository.builder("full", new InMemoryDriver()).build();
    SourceImages.MultiArch multi = new SourceImages(full).multiArch("team/multi", "2.0");
    new ImageCopier(new RepositorySource(full), new HostedTarget(local), new SyncReport("pull", Instant.now()))
        .copyTag("team/multi", "2.0", "team/multi", new ImageCopier.Options(List.of(Platform.parse("linux/amd64")),
            false));
    return multi;
  }

  @Test
  void copyTag_indexHeldWithoutAChild_childCopied_indexRefusedWithItsDigestPlatformAndWhy() throws Exception {
    SourceImages.MultiArch p = partialIndexInLocal();
    String host = server.url().getHost() + ":" + server.url().getPort();

    // a Wharf server over its API checks an index's children as distribution does
    assertThatThrownBy(() -> copier().copyTag("team/multi", "2.0", "site/multi", ImageCopier.Options.ALL))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("index " + p.index().digest() + " (site/multi:2.0) not stored: it lacks linux/arm64, "
            + "synced with a platforms filter; " + host + " refuses an index whose manifests it does not have (400 "
            + "MANIFEST_BLOB_UNKNOWN")
        .hasMessageNotContaining("linux/amd64");

    assertThat(remoteManifest("site/multi", p.amd64().digest().value())).as("the child held here")
        .isEqualTo(p.amd64().bytes());
    assertThat(remoteManifest("site/multi", p.arm64().digest().value())).isNull();
    assertThat(target.tagged("site/multi", "2.0")).isEmpty();
  }

  @Test
  void copyTag_platformFilterOfThePushRule_indexRefusedWithTheLeftOutPlatform() throws Exception {
    SourceImages.MultiArch multi = images.multiArch("team/multi", "2.0");

    assertThatThrownBy(() -> copier().copyTag("team/multi", "2.0", "team/multi",
        new ImageCopier.Options(List.of(Platform.parse("linux/amd64")), false)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("index " + multi.index().digest() + " (team/multi:2.0) not stored: it lacks linux/arm64, "
            + "synced with a platforms filter;");
    assertThat(remoteManifest("team/multi", multi.amd64().digest().value())).isEqualTo(multi.amd64().bytes());
  }
}
