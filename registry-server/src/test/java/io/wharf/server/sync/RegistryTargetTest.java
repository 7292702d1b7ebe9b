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
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A push rule's target: a second Wharf server over HTTP as the remote registry, this side's
 * hosted repository as the source. {@link CopyScenarios}, and what the remote answers about a
 * copy, a blob known under another image mounted rather than uploaded, deletes, and refusals that
 * name the remote and the credentials without their secret.
 */
class RegistryTargetTest extends CopyScenarios {
  RegistryTarget target;

  RegistryTargetTest() {
    super(CopyFixture.Served.DESTINATION);
  }

  @BeforeEach
  void openTarget() {
    target = ends.client().buildTarget();
  }

  @AfterEach
  void closeTarget() throws Exception {
    target.close();
  }

  @Override
  ImageCopier copier() {
    return new ImageCopier(new RepositorySource(ends.source), target, ends.report);
  }

  @Test
  void afterACopy_theRemoteAnswersForTheTagAndTheManifest() throws Exception {
    SourceImages.Pushed app = ends.images.image("team/app", "1.0", "linux/amd64",
        Instant.parse("2026-01-01T00:00:00Z"), 1000);

    copier().copyTag("team/app", "1.0", "site/app", ImageCopier.Options.ALL);

    assertThat(target.tagged("site/app", "1.0")).contains(app.digest());
    assertThat(target.hasManifest("site/app", app.digest())).isTrue();
    assertThat(target.tagged("site/app", "2.0")).isEmpty();
    assertThat(target.tags("site/app")).contains(List.of("1.0"));
  }

  @Test
  void copyTag_blobKnownUnderAnotherImage_isMounted_notUploaded() throws Exception {
    SourceImages.Pushed app = ends.images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        200_000);
    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);
    long bytesBefore = ends.report.snapshot().bytesCopied();

    // a target that knows of no holder: the remote has no such blob in "fresh/app", so it is uploaded
    SyncReport other = new SyncReport("other", Instant.now());
    try (RegistryTarget fresh = ends.client().buildTarget()) {
      new ImageCopier(new RepositorySource(ends.source), fresh, other).copyTag("team/app", "1.0", "fresh/app",
          ImageCopier.Options.ALL);
    }
    assertThat(other.snapshot().blobsCopied()).as("uploaded without a known holder").isEqualTo(2);

    // the same target: it saw the blobs under team/app, so the remote mounts them into copy/app
    assertThat(copier().copyTag("team/app", "1.0", "copy/app", ImageCopier.Options.ALL)).isTrue();

    SyncReport.Snapshot s = ends.report.snapshot();
    assertThat(s.bytesCopied()).as("nothing uploaded again").isEqualTo(bytesBefore);
    assertThat(s.blobsSkipped()).isEqualTo(2);
    assertThat(ends.copied("copy/app", "1.0")).isEqualTo(app.bytes());
    for (Digest blob : app.blobs()) {
      assertThat(ends.destination.getBlob(ImageName.of("copy/app"), blob)).isPresent();
    }
  }

  /**
   * The remote with token auth and a user who may push to its repository: the token of the mount
   * has the pull scope of its source (a Wharf server checks it, and without it ignores the mount
   * and starts an upload), so the second image's blobs are mounted, not uploaded again.
   */
  @Test
  void copyTag_tokenAuthRemote_blobKnownUnderAnotherImage_isMounted_notUploaded() throws Exception {
    SourceImages.Pushed app = ends.images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        200_000);
    try (WharfServer secured = WharfServer.start(ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, shutdownTimeout: 100ms}
        blobStores: {default: {type: memory}}
        security:
          realms: [docker-token]
          anonymous: false
          users:
            - {name: pusher, passwordHash: "%s", roles: [site-push]}
          roles:
            - {name: site-push, privileges: ["site:read", "site:write"]}
        repositories:
          - {name: site}
        """.formatted(PasswordHashes.hash("push-pw".toCharArray(), 4)), "token.yaml"));
        RegistryTarget pusher = SyncTestServers.client(secured.url()).credentials("pusher", "push-pw")
            .credentialsName("site-push").buildTarget()) {
      ImageCopier copier = new ImageCopier(new RepositorySource(ends.source), pusher, ends.report);
      copier.copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);
      double uploadsBefore = requests(secured, "blob_upload_chunk", "PUT", "201");
      long bytesBefore = ends.report.snapshot().bytesCopied();
      assertThat(uploadsBefore).as("the first image's two blobs uploaded").isEqualTo(2);

      assertThat(copier.copyTag("team/app", "1.0", "copy/app", ImageCopier.Options.ALL)).isTrue();

      assertThat(requests(secured, "blob_upload", "POST", "201")).as("mounts").isEqualTo(2);
      assertThat(requests(secured, "blob_upload_chunk", "PUT", "201")).as("uploads").isEqualTo(uploadsBefore);
      assertThat(ends.report.snapshot().bytesCopied()).as("nothing uploaded again").isEqualTo(bytesBefore);
      assertThat(pusher.tagged("copy/app", "1.0")).contains(app.digest());
    }
  }

  /** How many requests {@code server} answered with {@code code} for {@code method} on {@code handler}, from its metrics. */
  static double requests(WharfServer server, String handler, String method, String code) throws Exception {
    HttpResponse<String> metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
        URI.create(server.url() + "/metrics")).timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(metrics.statusCode()).as(metrics.body()).isEqualTo(200);
    List<String> labels = List.of("code=\"" + code + "\"", "handler=\"" + handler + "\"", "method=\"" + method + "\"");
    return metrics.body().lines().filter(l -> l.startsWith("registry_http_requests_total{"))
        .filter(l -> labels.stream().allMatch(l::contains)).mapToDouble(l -> Double.parseDouble(l.substring(
            l.lastIndexOf(' ') + 1))).sum();
  }

  @Test
  void delete_removesTheTag_andAnAbsentTagIsNoError() throws Exception {
    ends.images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 100);
    copier().copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL);

    target.deleteTag("team/app", "1.0");

    assertThat(target.tagged("team/app", "1.0")).isEmpty();
    target.deleteTag("team/app", "1.0"); // gone already: no error
  }

  @Test
  void refusal_namesTheRemoteAndTheCredentials_neverThePassword() throws Exception {
    ends.images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 100);
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

      assertThatThrownBy(() -> new ImageCopier(new RepositorySource(ends.source), wrong, ends.report)
          .copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL))
          .isInstanceOf(RegistryException.class)
          .hasMessageContaining("remote registry " + host)
          .hasMessageContaining("credentials \"site-push\"")
          .hasMessageNotContaining("wrong-pw-123");

      assertThat(new ImageCopier(new RepositorySource(ends.source), right, ends.report)
          .copyTag("team/app", "1.0", "team/app", ImageCopier.Options.ALL)).isTrue();
      assertThat(right.tagged("team/app", "1.0")).isPresent();
    }
  }

  /** An index of two platforms, synced into the source with only amd64 (as a pull rule with platforms). */
  SourceImages.MultiArch partialIndexInSource() throws IOException {
    HostedRepository full = HostedRepository.builder("full", new InMemoryDriver()).build();
    SourceImages.MultiArch multi = new SourceImages(full).multiArch("team/multi", "2.0");
    new ImageCopier(new RepositorySource(full), new HostedTarget(ends.source), new SyncReport("pull", Instant.now()))
        .copyTag("team/multi", "2.0", "team/multi", new ImageCopier.Options(List.of(Platform.parse("linux/amd64")),
            false));
    return multi;
  }

  @Test
  void copyTag_indexHeldWithoutAChild_childCopied_indexRefusedWithItsDigestPlatformAndWhy() throws Exception {
    SourceImages.MultiArch p = partialIndexInSource();
    String host = ends.server.url().getHost() + ":" + ends.server.url().getPort();

    // a Wharf server over its API checks an index's children as distribution does
    assertThatThrownBy(() -> copier().copyTag("team/multi", "2.0", "site/multi", ImageCopier.Options.ALL))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("index " + p.index().digest() + " (site/multi:2.0) not stored: it lacks linux/arm64, "
            + "synced with a platforms filter; " + host + " refuses an index whose manifests it does not have (400 "
            + "MANIFEST_BLOB_UNKNOWN")
        .hasMessageNotContaining("linux/amd64");

    assertThat(ends.copied("site/multi", p.amd64().digest().value())).as("the child held here")
        .isEqualTo(p.amd64().bytes());
    assertThat(ends.copied("site/multi", p.arm64().digest().value())).isNull();
    assertThat(target.tagged("site/multi", "2.0")).isEmpty();
  }

  @Test
  void copyTag_platformFilterOfThePushRule_indexRefusedWithTheLeftOutPlatform() throws Exception {
    SourceImages.MultiArch multi = ends.images.multiArch("team/multi", "2.0");

    assertThatThrownBy(() -> copier().copyTag("team/multi", "2.0", "team/multi",
        new ImageCopier.Options(List.of(Platform.parse("linux/amd64")), false)))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("index " + multi.index().digest() + " (team/multi:2.0) not stored: it lacks linux/arm64, "
            + "synced with a platforms filter;");
    assertThat(ends.copied("team/multi", multi.amd64().digest().value())).isEqualTo(multi.amd64().bytes());
  }
}
