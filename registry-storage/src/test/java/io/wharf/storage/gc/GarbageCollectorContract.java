package io.wharf.storage.gc;

import static io.wharf.storage.gc.Images.assertPullsIntact;
import static io.wharf.storage.gc.Images.blobPath;
import static io.wharf.storage.gc.Images.pushImage;
import static io.wharf.storage.gc.Images.pushWithRetry;
import static io.wharf.storage.gc.Images.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.gc.GarbageCollector;
import io.wharf.core.gc.GcLease;
import io.wharf.core.gc.GcReport;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Referrer;
import io.wharf.core.repository.TagRevision;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.testing.AgingDriver;
import io.wharf.core.testing.ForwardingDriver;
import io.wharf.core.testing.MutableClock;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.storage.gc.Images.Pushed;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The garbage collector's behaviour, run by every driver's subclass. Ages are controlled with the
 * collector's clock: {@link #later()} makes everything in storage look two hours old, and a clock
 * fixed at a {@link #storageBoundary()} puts the cutoff between what was written before and after
 * it, however long the run takes. The lease runs on a {@link MutableClock}. A few tests still let
 * real time pass where an age must be at least something; none depends on how fast the machine is.
 */
abstract class GarbageCollectorContract {
  static final ImageName APP = ImageName.of("team/app");
  static final ImageName OTHER = ImageName.of("library/base");

  static final String ROOT = "/docker/registry/v2";
  /** Older than any grace period and link window the tests use. */
  static final Duration OLD = Duration.ofHours(1);

  protected StorageDriver driver;
  /** {@link #driver} with ages the tests set ({@link AgingDriver}): for tests about time, without sleeping. */
  AgingDriver aging;
  final Random rnd = new Random(42);

  protected abstract StorageDriver newDriver() throws IOException;

  @BeforeEach
  void setUp() throws IOException {
    driver = newDriver();
    aging = new AgingDriver(driver);
  }

  HostedRepository repo(String namespace) {
    return repoOn(driver, namespace);
  }

  /** A repository on {@link #aging}: what it stores can be made to look old. */
  HostedRepository agedRepo() {
    return repoOn(aging, null);
  }

  static HostedRepository repoOn(StorageDriver storage, String namespace) {
    return HostedRepository.builder(namespace == null ? "hosted" : namespace, storage)
        .namespace(namespace)
        .metadataCacheTtl(Duration.ZERO)
        .build();
  }

  GarbageCollector.Builder gc() {
    return GarbageCollector.builder(driver).leaseSettle(Duration.ZERO);
  }

  /** A clock two hours ahead: every blob, link and upload in storage is older than the default grace. */
  static Clock later() {
    return Clock.offset(Clock.systemUTC(), Duration.ofHours(2));
  }

  /**
   * A moment of the storage's own clock that every write so far is older than and no later write
   * is: writes a probe until its modification time moves past the first probe's (at once on most
   * drivers; up to a second on S3, which keeps whole seconds). A collector whose clock stands at
   * {@code boundary + grace} then sees exactly the earlier writes as old.
   */
  Instant storageBoundary() throws Exception {
    String probe = "/docker/registry/v2/_wharf/test-clock-probe";
    driver.putContent(probe, new byte[0]);
    Instant first = driver.stat(probe).orElseThrow().modified();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      driver.putContent(probe, new byte[0]);
      Instant stamp = driver.stat(probe).orElseThrow().modified();
      if (stamp.isAfter(first)) {
        driver.delete(probe);
        return stamp;
      }
      assertThat(System.nanoTime() - deadline).as("the storage's clock moved within 60 s").isNegative();
      Thread.sleep(10); // polling the storage's clock, not waiting for a guessed amount of time
    }
  }

  /** A collector whose clock stands still {@code grace} after {@code boundary}: its cutoff is the boundary. */
  static Clock standingAt(Instant boundary, Duration grace) {
    return Clock.fixed(boundary.plus(grace), ZoneOffset.UTC);
  }

  List<byte[]> layers(int n, int size) {
    List<byte[]> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      out.add(random(rnd, size));
    }
    return out;
  }

  // ---- what is kept

  @Test
  void run_taggedImagesInEveryNamespace_surviveWithEveryBlob_orphanGoes() throws Exception {
    HostedRepository a = repo("hosted-a");
    HostedRepository b = repo("hosted-b");
    HostedRepository plain = repo(null);
    Pushed pa = pushImage(a, APP, "1.0", layers(2, 1000), rnd);
    Pushed pb = pushImage(b, OTHER, "latest", layers(3, 500), rnd);
    Pushed pc = pushImage(plain, ImageName.of("nested/deep/name"), "v1", layers(1, 100), rnd);
    byte[] orphan = random(rnd, 777);
    Digest o = Images.upload(a, APP, orphan); // uploaded, linked, never referenced

    GcReport report = gc().clock(later()).build().run();

    assertThat(report.blobsDeleted()).isEqualTo(1);
    assertThat(report.bytesDeleted()).isEqualTo(777);
    assertThat(report.deletedSample()).containsExactly(o.value());
    assertThat(report.blobsMarked()).isEqualTo(pa.blobs().size() + pb.blobs().size() + pc.blobs().size());
    assertThat(assertPullsIntact(a, APP, Tag.of("1.0"))).containsExactlyInAnyOrderElementsOf(pa.blobs());
    assertThat(assertPullsIntact(b, OTHER, Tag.of("latest"))).containsExactlyInAnyOrderElementsOf(pb.blobs());
    assertPullsIntact(plain, ImageName.of("nested/deep/name"), Tag.of("v1"));
    assertThat(a.getBlob(APP, o)).isEmpty();
    assertThat(driver.stat(blobPath(o))).isEmpty();
    assertThat(Images.storedBlobs(driver)).doesNotContain(o);
  }

  @Test
  void run_sharedLayers_stayWhileOneImageStillUsesThem() throws Exception {
    HostedRepository repo = repo(null);
    List<byte[]> shared = layers(2, 400);
    Pushed one = pushImage(repo, APP, "1", shared, rnd);
    Pushed two = pushImage(repo, OTHER, "2", shared, rnd);
    repo.deleteManifest(APP, one.manifest());

    GcReport report = gc().clock(later()).build().run();

    assertPullsIntact(repo, OTHER, Tag.of("2"));
    // Only APP's manifest and its own config went; the shared layers are still OTHER's.
    assertThat(report.blobsDeleted()).isEqualTo(2);
    assertThat(Images.storedBlobs(driver)).containsExactlyInAnyOrderElementsOf(two.blobs());
  }

  @Test
  void run_untaggedManifests_surviveUnlessDeleteUntagged() throws Exception {
    HostedRepository repo = repo(null);
    Pushed tagged = pushImage(repo, APP, "stable", layers(1, 300), rnd);
    Pushed untagged = pushImage(repo, APP, null, layers(2, 300), rnd);

    GcReport keep = gc().clock(later()).build().run();

    assertThat(keep.blobsDeleted()).isZero();
    assertThat(keep.manifestsUntagged()).isZero();
    assertPullsIntact(repo, APP, untagged.manifest());

    GcReport drop = gc().clock(later()).deleteUntagged(true).build().run();

    assertThat(drop.manifestsUntagged()).isEqualTo(1);
    assertThat(repo.getManifest(APP, untagged.manifest())).isEmpty();
    assertThat(drop.blobsDeleted()).isEqualTo(untagged.blobs().size()); // manifest, config, 2 layers
    assertPullsIntact(repo, APP, Tag.of("stable"));
    assertThat(Images.storedBlobs(driver)).containsExactlyInAnyOrderElementsOf(tagged.blobs());
  }

  @Test
  void run_deleteUntagged_keepsWhatTheTagHistoryNamesWithinItsWindow_thenLetsItGo() throws Exception {
    HostedRepository repo = repo(null);
    Tag one = Tag.of("1");
    Pushed first = pushImage(repo, APP, "1", layers(1, 300), rnd);
    Pushed second = pushImage(repo, APP, "1", layers(1, 300), rnd); // the tag moves: first is untagged

    GcReport within = gc().clock(later()).deleteUntagged(true).build().run(); // 2 h later; window 14 days

    assertThat(within.manifestsUntagged()).isZero();
    assertPullsIntact(repo, APP, first.manifest());
    repo.restoreTag(APP, one, first.manifest());
    assertThat(repo.getManifest(APP, one).orElseThrow().digest()).isEqualTo(first.manifest());
    assertThat(repo.tagHistory(APP, one)).extracting(TagRevision::action).containsExactly("push", "push", "restore");
    assertThat(repo.tagHistory(APP, one)).extracting(TagRevision::digest)
        .containsExactly(first.manifest().value(), second.manifest().value(), first.manifest().value());

    // second is untagged now, named only by history entries older than a 1 h window: it goes
    GcReport after = gc().clock(later()).deleteUntagged(true).tagHistory(Duration.ofHours(1)).build().run();

    assertThat(after.manifestsUntagged()).isEqualTo(1);
    assertThat(repo.getManifest(APP, second.manifest())).isEmpty();
    assertPullsIntact(repo, APP, one);
    assertThat(repo.tagHistory(APP, one)).as("each tag's newest entry stays").extracting(TagRevision::action)
        .containsExactly("restore");
  }

  @Test
  void run_deleteUntagged_keepsYoungUntaggedManifests() throws Exception {
    HostedRepository repo = repo(null);
    Pushed untagged = pushImage(repo, APP, null, layers(1, 300), rnd); // a multi-arch push half done

    GcReport report = gc().deleteUntagged(true).build().run(); // real clock: it is seconds old

    assertThat(report.manifestsUntagged()).isZero();
    assertThat(report.blobsDeleted()).isZero();
    assertPullsIntact(repo, APP, untagged.manifest());
  }

  @Test
  void run_index_keepsItsChildrenAndTheirBlobs_evenWhenUntaggedAreDeleted() throws Exception {
    HostedRepository repo = repo(null);
    Pushed amd64 = pushImage(repo, APP, null, layers(2, 200), rnd);
    Pushed arm64 = pushImage(repo, APP, null, layers(2, 200), rnd);
    Pushed index = Images.pushIndex(repo, APP, "multi", List.of(amd64, arm64));
    Pushed stray = pushImage(repo, APP, null, layers(1, 200), rnd);

    GcReport report = gc().clock(later()).deleteUntagged(true).build().run();

    assertThat(assertPullsIntact(repo, APP, Tag.of("multi"))).containsExactlyInAnyOrderElementsOf(index.blobs());
    assertPullsIntact(repo, APP, amd64.manifest());
    assertThat(report.manifestsUntagged()).isEqualTo(1);
    assertThat(repo.getManifest(APP, stray.manifest())).isEmpty();
    assertThat(Images.storedBlobs(driver)).containsExactlyInAnyOrderElementsOf(index.blobs());
  }

  @Test
  void run_referrersOfKeptManifests_survive_referrersOfDroppedOnesGo() throws Exception {
    HostedRepository repo = repo(null);
    Pushed image = pushImage(repo, APP, "1.0", layers(1, 200), rnd);
    Pushed signature = Images.pushReferrer(repo, APP, image.descriptor(), rnd);
    Pushed sbomOfSignature = Images.pushReferrer(repo, APP, signature.descriptor(), rnd);
    Pushed untagged = pushImage(repo, APP, null, layers(1, 200), rnd);
    Pushed orphanSignature = Images.pushReferrer(repo, APP, untagged.descriptor(), rnd);

    GcReport report = gc().clock(later()).deleteUntagged(true).build().run();

    assertPullsIntact(repo, APP, signature.manifest());
    assertPullsIntact(repo, APP, sbomOfSignature.manifest());
    assertThat(repo.referrers(APP, image.manifest(), null)).extracting(r -> r.descriptor().digest())
        .containsExactly(signature.manifest());
    assertThat(report.manifestsUntagged()).isEqualTo(2);
    assertThat(repo.getManifest(APP, untagged.manifest())).isEmpty();
    assertThat(repo.getManifest(APP, orphanSignature.manifest())).isEmpty();
    List<Referrer> gone = repo.referrers(APP, untagged.manifest(), null);
    assertThat(gone).isEmpty();
    Set<Digest> kept = new HashSet<>(image.blobs());
    kept.addAll(signature.blobs());
    kept.addAll(sbomOfSignature.blobs());
    assertThat(Images.storedBlobs(driver)).containsExactlyInAnyOrderElementsOf(kept);
  }

  // ---- grace period, dry run, uploads

  @Test
  void run_orphanOlderThanGrace_goes_youngerOneStays() throws Exception {
    HostedRepository repo = agedRepo();
    Digest old = Images.upload(repo, APP, random(rnd, 100));
    Instant boundary = storageBoundary();
    Digest young = Images.upload(repo, APP, random(rnd, 100));

    Duration grace = Duration.ofMinutes(10);
    GcReport report = gc().clock(standingAt(boundary, grace)).grace(grace).build().run();

    assertThat(report.deletedSample()).containsExactly(old.value());
    assertThat(driver.stat(blobPath(old))).isEmpty();
    assertThat(repo.getBlob(APP, young)).isPresent();
  }

  @Test
  void run_defaultGrace_keepsBlobsOfAPushInProgress() throws Exception {
    HostedRepository repo = repo(null);
    Digest layer = Images.upload(repo, APP, random(rnd, 100)); // its manifest is not pushed yet

    GcReport report = gc().build().run();

    assertThat(report.blobsDeleted()).isZero();
    assertThat(repo.getBlob(APP, layer)).isPresent();
  }

  @Test
  void run_dryRun_deletesNothing_reportsWhatWouldGo() throws Exception {
    HostedRepository repo = repo(null);
    Pushed kept = pushImage(repo, APP, "1", layers(1, 100), rnd);
    Pushed untagged = pushImage(repo, APP, null, layers(1, 1000), rnd);
    Digest orphan = Images.upload(repo, APP, random(rnd, 5000));
    UploadSession stale = repo.startUpload(APP);
    Set<Digest> before = Images.storedBlobs(driver);

    GcReport report = gc().clock(later()).dryRun(true).deleteUntagged(true)
        .purgeUploadsAfter(Duration.ofHours(1)).build().run();

    assertThat(report.dryRun()).isTrue();
    assertThat(report.manifestsUntagged()).isEqualTo(1);
    assertThat(report.uploadsPurged()).isEqualTo(1);
    assertThat(report.blobsDeleted()).isEqualTo(untagged.blobs().size() + 1);
    long untaggedBytes = 0;
    for (Digest d : untagged.blobs()) {
      untaggedBytes += driver.stat(blobPath(d)).orElseThrow().size();
    }
    assertThat(report.bytesDeleted()).isEqualTo(untaggedBytes + 5000);
    assertThat(report.deletedSample()).contains(orphan.value());
    assertThat(Images.storedBlobs(driver)).isEqualTo(before);
    assertPullsIntact(repo, APP, untagged.manifest());
    assertPullsIntact(repo, APP, kept.manifest());
    assertThat(repo.uploadStatus(APP, stale.id())).isNotNull();
    assertThat(report.toString()).contains("dry run").contains("(" + report.bytesDeleted() + " bytes)");
  }

  @Test
  void run_purgeUploads_removesOnlyStaleUploads() throws Exception {
    HostedRepository repo = repo(null);
    UploadSession stale = repo.startUpload(APP);
    repo.appendUpload(APP, stale.id(), new ByteArrayInputStream(random(rnd, 50)), Chunk.STREAMED);
    UploadSession onlyUpload = repo.startUpload(ImageName.of("fresh/image")); // an image with nothing else yet
    Instant boundary = storageBoundary();
    UploadSession active = repo.startUpload(APP);

    Duration purgeAfter = Duration.ofHours(1);
    GcReport report = gc().clock(standingAt(boundary, purgeAfter)).purgeUploadsAfter(purgeAfter).build().run();

    assertThat(report.uploadsPurged()).isEqualTo(2);
    assertThatThrownBy(() -> repo.uploadStatus(APP, stale.id()))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN));
    assertThatThrownBy(() -> repo.uploadStatus(ImageName.of("fresh/image"), onlyUpload.id()))
        .isInstanceOf(RegistryException.class);
    assertThat(repo.uploadStatus(APP, active.id()).id()).isEqualTo(active.id());

    GcReport withoutOption = gc().clock(later()).build().run();
    assertThat(withoutOption.uploadsPurged()).isZero();
    assertThat(repo.uploadStatus(APP, active.id()).id()).isEqualTo(active.id());
  }

  /**
   * Uploads in distribution's layout ({@code _uploads/<uuid>/{startedat,data}}, as a data
   * directory taken over from {@code registry:2} holds them) are purged by their start time and
   * last chunk, beside Wharf's one-file uploads.
   */
  @Test
  void run_purgeUploads_distributionLayoutDirectories_purgedByTheirStartAndLastChunk() throws Exception {
    HostedRepository repo = repo(null);
    pushImage(repo, APP, "1", layers(1, 100), rnd);
    String uploads = "/docker/registry/v2/repositories/" + APP.value() + "/_uploads/";
    String old = uploads + "0d7c8c5e-1d6a-4b8e-9d3e-6a1f4f1c2b3a"; // started long ago, never got a chunk
    driver.putContent(old + "/startedat", "2020-01-01T00:00:00Z".getBytes(StandardCharsets.US_ASCII));
    String resumed = uploads + "5e2f9a41-8f1b-4c2d-a6e7-3b9c0d1e2f3a"; // old start, chunk just now
    driver.putContent(resumed + "/startedat", "2020-01-01T00:00:00Z".getBytes(StandardCharsets.US_ASCII));
    driver.putContent(resumed + "/data", random(rnd, 10));
    UploadSession wharfUpload = repo.startUpload(APP);

    GcReport report = gc().purgeUploadsAfter(Duration.ofHours(1)).build().run();

    assertThat(report.uploadsPurged()).isEqualTo(1);
    assertThat(driver.list(old)).isEmpty();
    assertThat(driver.stat(resumed + "/data")).isPresent();
    assertThat(repo.uploadStatus(APP, wharfUpload.id()).size()).isZero();
  }

  // ---- safety while serving

  /**
   * The race the class comment describes: a manifest pushed after the mark that references an old,
   * unreferenced blob its image still links. The push happens exactly between mark and sweep
   * (when the collector starts listing blobs); the blob must survive and the image pull intact.
   */
  @Test
  void run_manifestPushedAfterTheMark_referencingAnOldUnreferencedBlob_keepsIt() throws Exception {
    HostedRepository repo = agedRepo();
    List<byte[]> base = layers(2, 300);
    Pushed first = pushImage(repo, APP, null, base, rnd);
    repo.deleteManifest(APP, first.manifest()); // the base layers are unreferenced but still linked
    aging.ageAll(ROOT, OLD); // older than BlobStore.LINK_REFRESH_AFTER and the link window

    AtomicBoolean pushed = new AtomicBoolean();
    List<Pushed> second = new ArrayList<>();
    StorageDriver hooked = new HookedDriver(aging, path -> {
      if (path.equals("/docker/registry/v2/blobs") && pushed.compareAndSet(false, true)) {
        second.add(pushImage(repo, APP, "2.0", base, rnd)); // HEAD finds the layers: no upload
      }
    });
    GcReport report = GarbageCollector.builder(hooked).leaseSettle(Duration.ZERO).grace(Duration.ZERO)
        .build().run();

    assertThat(pushed).isTrue();
    assertPullsIntact(repo, APP, Tag.of("2.0"));
    // 2: the base layers. S3's one-second timestamps can make the second push's own new blobs
    // (written after the mark, with grace 0) look old too; their fresh links keep them the same way.
    assertThat(report.blobsKeptRelinked()).isBetween(2L, 4L);
    assertThat(report.blobsDeleted()).isEqualTo(2); // the first manifest and its config
  }

  @Test
  void run_crashedRunsTrash_isRestoredFirst() throws Exception {
    HostedRepository repo = repo(null);
    Pushed image = pushImage(repo, APP, "1", layers(1, 100), rnd);
    Digest layer = image.blobs().get(2);
    driver.move(blobPath(layer), "/docker/registry/v2/_wharf/gc-trash/sha256-" + layer.hex());

    gc().clock(later()).build().run();

    assertPullsIntact(repo, APP, Tag.of("1"));
  }

  // ---- the handshake: a blob re-referenced while the sweep deletes it (issue 14, item 0)

  /**
   * Garbage the sweep will take: an image pushed, its manifest deleted (its config and layers
   * still linked in {@link #APP}, unreferenced), everything made older than any window.
   */
  private Garbage garbage(HostedRepository repo) throws IOException {
    List<byte[]> layers = layers(2, 300);
    Pushed old = pushImage(repo, APP, "v1", layers, rnd);
    byte[] manifest = repo.getManifest(APP, old.manifest()).orElseThrow().bytes();
    repo.deleteManifest(APP, old.manifest());
    aging.ageAll(ROOT, OLD);
    return new Garbage(old, manifest, layers);
  }

  private record Garbage(Pushed image, byte[] manifest, List<byte[]> layers) {
    Digest layer() {
      return image.blobs().get(2); // manifest, config, layer 0, layer 1
    }
  }

  /** A collector with grace 0 on {@link #aging}, with {@code events} around its storage calls. */
  GarbageCollector racedCollector(HookedDriver.Events events) {
    return GarbageCollector.builder(new HookedDriver(aging, events)).leaseSettle(Duration.ZERO)
        .grace(Duration.ZERO).build();
  }

  /** Runs {@code action} once, just before the sweep moves {@code digest}'s bytes to the trash. */
  static HookedDriver.Events beforeTrashing(Digest digest, ThrowingAction action) {
    AtomicBoolean done = new AtomicBoolean();
    return new HookedDriver.Events() {
      @Override
      public void beforeMove(String from, String to) throws IOException {
        if (from.equals(blobPath(digest)) && to.contains("/gc-trash/") && done.compareAndSet(false, true)) {
          action.run();
        }
      }
    };
  }

  interface ThrowingAction {
    void run() throws IOException;
  }

  @Test
  void sweep_candidateMountedIntoANewImageAndPushedBeforeItsMove_staysWhole() throws Exception {
    HostedRepository repo = agedRepo();
    Garbage g = garbage(repo);
    ImageName fresh = ImageName.of("team/new");
    List<Pushed> accepted = new ArrayList<>();

    GcReport report = racedCollector(beforeTrashing(g.layer(), () -> {
      // the mark and the link walk are done: neither saw team/new
      assertThat(repo.mountBlob(fresh, g.layer(), APP)).isPresent();
      accepted.add(pushImage(repo, fresh, "v1", List.of(g.layers().get(0)), rnd)); // HEAD finds it: no upload
    })).run();

    assertThat(accepted).hasSize(1);
    assertThat(assertPullsIntact(repo, fresh, Tag.of("v1"))).contains(g.layer());
    assertThat(report.blobsDeleted()).isEqualTo(3); // the old manifest, its config, its other layer
  }

  @Test
  void sweep_candidateUploadedAgainIntoANewImageAndPushedBeforeItsMove_staysWhole() throws Exception {
    HostedRepository repo = agedRepo();
    Garbage g = garbage(repo);
    ImageName fresh = ImageName.of("team/new");
    List<Pushed> accepted = new ArrayList<>();

    racedCollector(beforeTrashing(g.layer(), () -> {
      Images.upload(repo, fresh, g.layers().get(0)); // the same bytes: replaces the stored copy
      accepted.add(pushImage(repo, fresh, "v1", List.of(g.layers().get(0)), rnd));
    })).run();

    assertThat(accepted).hasSize(1);
    assertThat(assertPullsIntact(repo, fresh, Tag.of("v1"))).contains(g.layer());
  }

  @Test
  void sweep_deletedManifestPushedAgainIntoANewImageBeforeItsMove_staysWhole() throws Exception {
    HostedRepository repo = agedRepo();
    Garbage g = garbage(repo);
    ImageName fresh = ImageName.of("team/new");

    racedCollector(beforeTrashing(g.image().manifest(), () -> {
      for (Digest blob : g.image().blobs().subList(1, g.image().blobs().size())) {
        assertThat(repo.mountBlob(fresh, blob, APP)).isPresent();
      }
      repo.putManifest(fresh, Tag.of("again"), g.image().mediaType(), g.manifest());
    })).run();

    assertThat(assertPullsIntact(repo, fresh, Tag.of("again")))
        .containsExactlyInAnyOrderElementsOf(g.image().blobs());
  }

  @Test
  void sweep_candidatePushedAgainInItsOwnImageBeforeItsMove_staysWhole() throws Exception {
    HostedRepository repo = agedRepo();
    Garbage g = garbage(repo);

    racedCollector(beforeTrashing(g.layer(), () -> pushImage(repo, APP, "v2", List.of(g.layers().get(0)), rnd)))
        .run();

    assertThat(assertPullsIntact(repo, APP, Tag.of("v2"))).contains(g.layer());
  }

  /**
   * Right after the move: a pull of an image that still links the blob reads it from the trash;
   * a mount finds it gone (the client uploads it: 202) and leaves no link; the blob, garbage, goes.
   */
  @Test
  void sweep_blobInTheTrash_isPulledFromThere_mountFindsItGone_thenItGoes() throws Exception {
    HostedRepository repo = agedRepo();
    Garbage g = garbage(repo);
    ImageName fresh = ImageName.of("team/new");
    AtomicBoolean checked = new AtomicBoolean();

    GcReport report = racedCollector(new HookedDriver.Events() {
      @Override
      public void afterMove(String from, String to) throws IOException {
        if (from.equals(blobPath(g.layer())) && checked.compareAndSet(false, true)) {
          assertThat(driver.stat(blobPath(g.layer()))).isEmpty();
          Images.assertBlobIntact(repo, APP, g.layer()); // APP still links it
          assertThat(repo.mountBlob(fresh, g.layer(), APP)).isEmpty();
          assertThat(repo.getBlob(fresh, g.layer())).isEmpty();
        }
      }
    }).run();

    assertThat(checked).isTrue();
    assertThat(report.blobsDeleted()).isEqualTo(4);
    assertThat(Images.storedBlobs(driver)).doesNotContain(g.layer());
    assertThat(driver.list(ROOT + "/_wharf/gc-trash")).isEmpty();
    assertThat(repo.getBlob(fresh, g.layer())).isEmpty();
  }

  /** deleteUntagged's side race: the manifest is tagged (pushed again) just before its revision link is deleted. */
  @Test
  void deleteUntagged_manifestTaggedJustBeforeItsRevisionLinkIsDeleted_isLinkedAgainAndKept() throws Exception {
    HostedRepository repo = agedRepo();
    Pushed untagged = pushImage(repo, APP, null, layers(2, 300), rnd);
    byte[] bytes = repo.getManifest(APP, untagged.manifest()).orElseThrow().bytes();
    aging.ageAll(ROOT, OLD);
    String revisionDir = new StorageLayout().manifestRevisionDir(APP, untagged.manifest());
    AtomicBoolean pushed = new AtomicBoolean();

    GcReport report = GarbageCollector.builder(new HookedDriver(aging, new HookedDriver.Events() {
      @Override
      public void beforeDelete(String path) throws IOException {
        if (path.equals(revisionDir) && pushed.compareAndSet(false, true)) {
          repo.putManifest(APP, Tag.of("now-tagged"), untagged.mediaType(), bytes);
        }
      }
    })).leaseSettle(Duration.ZERO).grace(Duration.ZERO).deleteUntagged(true).build().run();

    assertThat(pushed).isTrue();
    assertThat(assertPullsIntact(repo, APP, Tag.of("now-tagged")))
        .containsExactlyInAnyOrderElementsOf(untagged.blobs());
    assertThat(report.manifestsUntagged()).isZero();
  }

  /** The push's half of that handshake: the revision link deleted while the tag is written. */
  @Test
  void putManifest_revisionLinkDeletedWhileTagging_isLinkedAgain() throws Exception {
    StorageLayout layout = new StorageLayout();
    List<byte[]> base = layers(1, 200);
    HostedRepository plain = repo(null);
    Pushed first = pushImage(plain, APP, null, base, rnd);
    byte[] bytes = plain.getManifest(APP, first.manifest()).orElseThrow().bytes();
    String tagLink = layout.tagCurrentLink(APP, Tag.of("v1"));
    HostedRepository repo = repoOn(new ForwardingDriver(driver) {
      @Override
      public void putContent(String path, byte[] content) throws IOException {
        if (path.equals(tagLink)) { // as a collector unlinking the "untagged" manifest would, now
          delegate.delete(layout.manifestRevisionDir(APP, first.manifest()));
        }
        delegate.putContent(path, content);
      }
    }, null);

    repo.putManifest(APP, Tag.of("v1"), first.mediaType(), bytes);

    assertPullsIntact(plain, APP, Tag.of("v1"));
  }

  /** Issue 14: one setting. With grace 0, links older than the floor no longer keep a deleted image's layers. */
  @Test
  void run_graceZeroRightAfterADelete_reclaimsTheLayersToo() throws Exception {
    HostedRepository repo = agedRepo();
    Pushed kept = pushImage(repo, OTHER, "1", layers(1, 100), rnd);
    Pushed deleted = pushImage(repo, APP, "1", layers(2, 100), rnd);
    repo.deleteManifest(APP, deleted.manifest());
    aging.ageAll(ROOT, GarbageCollector.LINK_WINDOW_FLOOR.plusSeconds(5));

    GcReport report = GarbageCollector.builder(aging).leaseSettle(Duration.ZERO).grace(Duration.ZERO).build().run();

    assertThat(report.blobsDeleted()).isEqualTo(4); // manifest, config and both layers
    assertThat(Images.storedBlobs(driver)).containsExactlyInAnyOrderElementsOf(kept.blobs());
  }

  /** ...while blobs linked within the floor stay, whatever grace says: the handshake needs that much. */
  @Test
  void run_graceZero_keepsBlobsLinkedWithinTheFloor() throws Exception {
    HostedRepository repo = agedRepo();
    Pushed deleted = pushImage(repo, APP, "1", layers(2, 100), rnd);
    repo.deleteManifest(APP, deleted.manifest());
    // every link exactly 5 s old when the collector starts, however long the push took on a busy
    // machine: older than grace zero, within the floor; the blobs' data long unlinked-old
    Instant now = Instant.now();
    aging.ageAll(ROOT + "/blobs", Duration.ofHours(1));
    aging.ageAllTo(ROOT + "/repositories", now, Duration.ofSeconds(5));

    GcReport report = GarbageCollector.builder(aging).clock(Clock.fixed(now, ZoneOffset.UTC))
        .leaseSettle(Duration.ZERO).grace(Duration.ZERO).build().run();

    assertThat(report.blobsDeleted()).isEqualTo(1); // only the manifest: its revision link went with the delete
    assertThat(report.deletedSample()).containsExactly(deleted.manifest().value());
  }

  // ---- the lease

  @Test
  void lease_keepsASecondCollectorOut_untilItExpires() throws Exception {
    MutableClock clock = new MutableClock();
    GcLease held = GcLease.acquire(driver, "node-a", Duration.ofMinutes(5), Duration.ZERO, clock);

    assertThatThrownBy(() -> gc().clock(clock).owner("node-b").build().run())
        .isInstanceOf(GcLease.HeldException.class).hasMessageContaining("node-a");

    clock.advance(Duration.ofMinutes(6)); // node-a stalled: never renewed
    GcReport report = gc().clock(clock).owner("node-b").build().run();
    assertThat(report).isNotNull();
    assertThat(held.renew()).isFalse();
    assertThat(held.lost()).isTrue();
    assertThat(GcLease.read(driver)).isEmpty(); // node-b released it at the end
  }

  @Test
  void lease_twoNodesStartingTogether_onlyOneRuns() throws Exception {
    pushImage(repo(null), APP, "1", layers(1, 100), rnd);
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      List<Future<GcReport>> runs = new ArrayList<>();
      for (String node : List.of("node-a", "node-b")) {
        // The settle must outlast the time between a node's read of the lease and its write, which
        // on a loaded machine is a scheduling delay: a second, not the few ms it takes when idle.
        GarbageCollector c = GarbageCollector.builder(driver).owner(node).leaseSettle(Duration.ofSeconds(1)).build();
        runs.add(pool.submit(() -> {
          go.await();
          return c.run();
        }));
      }
      go.countDown();
      int ran = 0;
      int refused = 0;
      for (Future<GcReport> f : runs) {
        try {
          f.get(60, TimeUnit.SECONDS);
          ran++;
        } catch (java.util.concurrent.ExecutionException e) {
          assertThat(e.getCause()).isInstanceOf(GcLease.HeldException.class);
          refused++;
        }
      }
      assertThat(ran).isEqualTo(1);
      assertThat(refused).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void lease_isRenewedWhileRunning() throws Exception {
    MutableClock clock = new MutableClock();
    GcLease lease = GcLease.acquire(driver, "node-a", Duration.ofMinutes(5), Duration.ZERO, clock);
    clock.advance(Duration.ofMinutes(3));
    assertThat(lease.renew()).isTrue();
    clock.advance(Duration.ofMinutes(3)); // past the first expiry, within the renewed one
    assertThatThrownBy(() -> gc().clock(clock).owner("node-b").build().run()).isInstanceOf(GcLease.HeldException.class);
    lease.close();
    assertThat(gc().clock(clock).owner("node-b").build().run()).isNotNull();
  }

  @Test
  void lease_interruptedWhileSettling_isReleased() throws Exception {
    // a node stopped while it takes the lease must not leave it to expire: every node would wait
    java.util.concurrent.atomic.AtomicReference<Throwable> thrown = new java.util.concurrent.atomic.AtomicReference<>();
    Thread taker = new Thread(() -> {
      try {
        GcLease.acquire(driver, "node-a", Duration.ofMinutes(5), Duration.ofMinutes(5), new MutableClock());
      } catch (Throwable e) {
        thrown.set(e);
      }
      thrown.compareAndSet(null, new AssertionError("acquired"));
    });
    taker.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (GcLease.read(driver).isEmpty() && taker.isAlive()) {
      assertThat(System.nanoTime()).as("the lease written").isLessThan(deadline);
      Thread.sleep(10); // a poll interval; the deadline bounds the wait
    }
    taker.interrupt();
    taker.join(TimeUnit.SECONDS.toMillis(60));

    assertThat(thrown.get()).isInstanceOf(java.io.InterruptedIOException.class).hasNoSuppressedExceptions();
    assertThat(GcLease.read(driver)).as("released").isEmpty();
    GcLease.acquire(driver, "node-b", Duration.ofMinutes(5), Duration.ZERO, new MutableClock()).close();
  }

  // ---- stress

  /**
   * Pushes, pulls, deletes and orphan uploads from three threads while the collector runs again and
   * again with a one-second grace period; then every tag pulls intact and no unreachable blob
   * older than that remains.
   */
  @Test
  @Timeout(300) // a hang, not slowness: a loaded machine may take a minute
  void stress_pushPullDeleteAndGcInterleaved_tagsPullIntact_noGarbageLeft() throws Exception {
    HostedRepository repo = agedRepo();
    List<byte[]> base = layers(4, 1024);
    int workers = 3;
    AtomicBoolean stop = new AtomicBoolean();
    List<Throwable> errors = Collections.synchronizedList(new ArrayList<>());
    List<Map<String, Digest>> expected = new ArrayList<>();
    AtomicInteger retries = new AtomicInteger();
    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      ImageName image = ImageName.of("stress/w" + w);
      Map<String, Digest> tags = new ConcurrentHashMap<>();
      expected.add(tags);
      Random r = new Random(w);
      threads.add(new Thread(() -> {
        try {
          while (!stop.get()) {
            int op = r.nextInt(10);
            if (op < 6) {
              String tag = "t" + r.nextInt(4);
              List<byte[]> layers = new ArrayList<>();
              layers.add(base.get(r.nextInt(base.size())));
              layers.add(random(r, 200 + r.nextInt(800)));
              Pushed p = pushWithRetry(repo, image, tag, layers, r, retries);
              tags.put(tag, p.manifest());
              assertPullsIntact(repo, image, Tag.of(tag));
            } else if (op < 8 && !tags.isEmpty()) {
              String tag = new ArrayList<>(tags.keySet()).get(r.nextInt(tags.size()));
              Digest d = tags.get(tag);
              repo.deleteManifest(image, d); // its tags go with it
              tags.values().removeIf(d::equals);
            } else if (op < 9) {
              Images.upload(repo, image, random(r, 300)); // never referenced
            } else if (!tags.isEmpty()) {
              String tag = new ArrayList<>(tags.keySet()).get(r.nextInt(tags.size()));
              assertPullsIntact(repo, image, Tag.of(tag));
            }
          }
        } catch (Throwable t) {
          errors.add(t);
        }
      }, "stress-" + w));
    }
    AtomicInteger runs = new AtomicInteger();
    AtomicLong deleted = new AtomicLong();
    Thread collector = new Thread(() -> {
      // A short grace period: it only has to cover a manifest's bytes being written just before a
      // run starts and its revision link just after the run's link walk; 2 s rather than 1 because
      // S3 keeps modification times in whole seconds.
      GarbageCollector gc = GarbageCollector.builder(aging).leaseSettle(Duration.ZERO).grace(Duration.ofSeconds(2))
          .build();
      try {
        while (!stop.get()) {
          deleted.addAndGet(gc.run().blobsDeleted());
          runs.incrementAndGet();
        }
      } catch (Throwable t) {
        errors.add(t);
      }
    }, "stress-gc");
    threads.forEach(Thread::start);
    collector.start();
    // At least 3.5 s of interleaving and at least two whole collections during it, however slow
    // the machine: a fixed sleep gave a loaded machine one run or none.
    long minimum = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3500);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while ((System.nanoTime() < minimum || runs.get() < 2) && System.nanoTime() < deadline && errors.isEmpty()) {
      Thread.sleep(20);
    }
    stop.set(true);
    for (Thread t : threads) {
      t.join(60_000);
    }
    collector.join(60_000);
    assertThat(errors).isEmpty();
    assertThat(runs.get()).isGreaterThan(1);

    // nothing writes any more: a clock two hours ahead makes every blob and link old
    GcReport last = gc().clock(later()).build().run();
    deleted.addAndGet(last.blobsDeleted());
    assertThat(deleted.get()).isPositive();

    Set<Digest> reachable = new HashSet<>();
    for (int w = 0; w < workers; w++) {
      ImageName image = ImageName.of("stress/w" + w);
      for (Map.Entry<String, Digest> tag : expected.get(w).entrySet()) {
        assertThat(repo.getManifest(image, Tag.of(tag.getKey())).orElseThrow().digest()).isEqualTo(tag.getValue());
        reachable.addAll(assertPullsIntact(repo, image, Tag.of(tag.getKey())));
      }
      // Untagged manifests that were not deleted are kept (deleteUntagged is off): reachable too.
      for (String alg : driver.list("/docker/registry/v2/repositories/stress/w" + w + "/_manifests/revisions")) {
        for (String hex : driver.list(alg)) {
          reachable.addAll(assertPullsIntact(repo, image, new Digest(Images.last(alg), Images.last(hex))));
        }
      }
    }
    assertThat(Images.storedBlobs(driver)).as("blobs left after the last run (%d runs, %d retries)", runs.get(),
        retries.get()).isEqualTo(reachable);
  }
}
