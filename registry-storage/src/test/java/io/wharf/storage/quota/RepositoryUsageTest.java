package io.wharf.storage.quota;

import io.wharf.core.testing.MutableClock;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Tag;
import io.wharf.core.quota.Quota;
import io.wharf.core.quota.RepositoryQuota;
import io.wharf.core.quota.RepositoryUsage;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Usage accounting of a repository: the scan, counting new links only, rescans after TTL, refresh and deletes. */
class RepositoryUsageTest {
  static final ImageName APP = ImageName.of("team/app");
  static final ImageName TOOLS = ImageName.of("team/tools");
  private final Random rnd = new Random(42);
  private final StorageDriver driver = new InMemoryDriver();

  private HostedRepository repo(String namespace, Quota quota) {
    return HostedRepository.builder(namespace, driver).namespace(namespace).quota(quota).build();
  }

  private byte[] random(int size) {
    byte[] b = new byte[size];
    rnd.nextBytes(b);
    return b;
  }

  static Digest upload(HostedRepository repo, ImageName image, byte[] bytes) throws IOException {
    UploadSession s = repo.startUpload(image);
    Digest d = Digest.sha256(bytes);
    repo.finishUpload(image, s.id(), new ByteArrayInputStream(bytes), Chunk.STREAMED, d);
    return d;
  }

  /** A manifest naming {@code config} and {@code layer}; returns its bytes. */
  static byte[] pushManifest(HostedRepository repo, ImageName image, String tag, byte[] config, byte[] layer)
      throws IOException {
    byte[] m = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + Digest.sha256(layer)
        + "\",\"size\":" + layer.length + "}]}").getBytes(UTF_8);
    repo.putManifest(image, Tag.of(tag), MediaTypes.OCI_MANIFEST, m);
    return m;
  }

  @Test
  void scan_twoImagesSharingALayer_sumsDistinctBlobsAndManifests() throws IOException {
    HostedRepository repo = repo("hosted", null);
    byte[] config = "{\"os\":\"linux\"}".getBytes(UTF_8);
    byte[] shared = random(1000);
    byte[] own = random(300);
    upload(repo, APP, config);
    upload(repo, APP, shared);
    byte[] m1 = pushManifest(repo, APP, "1", config, shared);
    upload(repo, TOOLS, config);
    upload(repo, TOOLS, shared);
    upload(repo, TOOLS, own);
    byte[] m2 = pushManifest(repo, TOOLS, "1", config, own);
    // neither another repository on the same storage nor an upload in progress counts
    upload(repo("other", null), APP, random(5000));
    UploadSession pending = repo.startUpload(APP);
    repo.appendUpload(APP, pending.id(), new ByteArrayInputStream(random(7000)), Chunk.STREAMED);

    RepositoryUsage usage = new RepositoryUsage(driver, new StorageLayout("hosted"), Duration.ofMinutes(5));

    assertThat(usage.bytes()).isEqualTo(config.length + shared.length + own.length + m1.length + m2.length);
    assertThat(usage.scans()).isEqualTo(1);
  }

  @Test
  void scan_emptyRepository_zero() throws IOException {
    assertThat(new RepositoryUsage(driver, new StorageLayout("nothing"), Duration.ofMinutes(5)).bytes()).isZero();
  }

  @Test
  void push_newLinkCounted_sameLinkAgainNot_withoutRescan() throws IOException {
    HostedRepository repo = repo("hosted", Quota.soft(1 << 30));
    RepositoryQuota quota = repo.quota().orElseThrow();
    byte[] first = random(1000);
    upload(repo, APP, first);
    long afterFirst = quota.usedBytes();
    assertThat(afterFirst).isEqualTo(1000);

    upload(repo, APP, first); // the same blob again: its link exists already
    byte[] second = random(200);
    upload(repo, APP, second);

    assertThat(quota.usedBytes()).isEqualTo(1200);
    assertThat(quota.usage().scans()).isEqualTo(1);
  }

  @Test
  void manifestPush_counted_onceForTheSameManifest() throws IOException {
    HostedRepository repo = repo("hosted", Quota.soft(1 << 30));
    RepositoryUsage usage = repo.quota().orElseThrow().usage();
    byte[] config = "{}".getBytes(UTF_8);
    byte[] layer = random(100);
    upload(repo, APP, config);
    upload(repo, APP, layer);
    assertThat(usage.bytes()).isEqualTo(102);

    byte[] m = pushManifest(repo, APP, "1", config, layer);
    pushManifest(repo, APP, "2", config, layer); // same bytes, same digest, another tag

    assertThat(usage.bytes()).isEqualTo(102 + m.length);
    assertThat(usage.scans()).isEqualTo(1);
  }

  @Test
  void delete_showsAfterRefresh() throws IOException {
    HostedRepository repo = repo("hosted", Quota.soft(1 << 30));
    RepositoryUsage usage = repo.quota().orElseThrow().usage();
    Digest big = upload(repo, APP, random(5000));
    upload(repo, APP, random(100));
    assertThat(usage.bytes()).isEqualTo(5100);

    repo.deleteBlob(APP, big);
    assertThat(usage.bytes()).as("kept until a rescan").isEqualTo(5100);
    usage.refresh();

    assertThat(usage.bytes()).isEqualTo(100);
    assertThat(usage.scans()).isEqualTo(2);
  }

  @Test
  void otherNodesPush_showsAfterRescanTtl() throws IOException {
    MutableClock clock = new MutableClock(Instant.parse("2026-08-01T00:00:00Z"));
    RepositoryUsage usage = new RepositoryUsage(driver, new StorageLayout("hosted"), Duration.ofMinutes(5), clock);
    HostedRepository otherNode = repo("hosted", null);
    upload(otherNode, APP, random(100));
    assertThat(usage.bytes()).isEqualTo(100);

    upload(otherNode, APP, random(50));
    clock.advance(Duration.ofMinutes(4));
    assertThat(usage.bytes()).isEqualTo(100);
    clock.advance(Duration.ofMinutes(2));

    assertThat(usage.bytes()).isEqualTo(150);
    assertThat(usage.scans()).isEqualTo(2);
  }

  @Test
  void recheck_exactAndRecent_noRescan_afterChange_rescans() throws IOException {
    MutableClock clock = new MutableClock(Instant.parse("2026-08-01T00:00:00Z"));
    RepositoryUsage usage = new RepositoryUsage(driver, new StorageLayout("hosted"), Duration.ofMinutes(5), clock);
    HostedRepository repo = repo("hosted", null);
    Digest d = upload(repo, APP, random(100));
    assertThat(usage.bytes()).isEqualTo(100);

    assertThat(usage.recheck()).isEqualTo(100);
    assertThat(usage.scans()).as("exact and recent: trusted").isEqualTo(1);

    usage.add(40); // e.g. a blob another image already links: may be counted twice
    assertThat(usage.bytes()).isEqualTo(140);
    assertThat(usage.recheck()).isEqualTo(100);
    assertThat(usage.scans()).isEqualTo(2);

    repo.deleteBlob(APP, d);
    usage.changed();
    assertThat(usage.recheck()).isZero();
    assertThat(usage.scans()).isEqualTo(3);
  }
}
