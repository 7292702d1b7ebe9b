package io.wharf.storage.lifecycle;

import io.wharf.core.testing.MutableClock;
import static io.wharf.storage.gc.Images.assertPullsIntact;
import static io.wharf.storage.gc.Images.blobPath;
import static io.wharf.storage.gc.Images.pushImage;
import static io.wharf.storage.gc.Images.random;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.gc.GarbageCollector;
import io.wharf.core.lifecycle.AccessLog;
import io.wharf.core.lifecycle.CacheEvictor;
import io.wharf.core.lifecycle.CacheLimits;
import io.wharf.core.lifecycle.CleanupJob;
import io.wharf.core.lifecycle.CleanupPolicy;
import io.wharf.core.lifecycle.CleanupReport;
import io.wharf.core.lifecycle.EvictionReport;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.storage.gc.Images;
import io.wharf.storage.gc.Images.Pushed;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Cleanup policies, the access log and proxy cache eviction, run by every driver's subclass. Ages
 * are set with the jobs' clocks; where the order of pushes matters the test waits {@link
 * #pushGap()} between them, so that their links get distinct modification times.
 */
abstract class LifecycleContract {
  static final ImageName APP = ImageName.of("team/app");
  static final ImageName OTHER = ImageName.of("library/base");
  static final String NS = "hosted-a";
  static final String CACHE = "cache";
  static final String ACCESS_ROOT = "/docker/registry/v2/_wharf/access";

  protected StorageDriver driver;
  final Random rnd = new Random(7);

  protected abstract StorageDriver newDriver() throws IOException;

  /** A wait after which a new link is strictly newer than the last one (S3 keeps whole seconds). */
  protected Duration pushGap() {
    return Duration.ofMillis(30);
  }

  @BeforeEach
  void setUp() throws IOException {
    driver = newDriver();
  }

  // ---- fixtures

  HostedRepository repo(String namespace) {
    return repo(namespace, null);
  }

  HostedRepository repo(String namespace, AccessLog log) {
    return HostedRepository.builder(namespace == null ? "hosted" : namespace, driver).namespace(namespace).metadataCacheTtl(Duration.ZERO)
        .accessLog(log).build();
  }

  AccessLog log(String namespace, Clock clock) {
    return AccessLog.builder(driver).namespace(namespace).clock(clock).build();
  }

  /** A new image of one config and two layers (one given, shared, or random), tagged {@code tag}. */
  Pushed push(HostedRepository repo, ImageName image, String tag, byte[]... shared) throws IOException {
    List<byte[]> layers = new ArrayList<>(List.of(shared));
    layers.add(random(rnd, 500));
    return pushImage(repo, image, tag, layers, rnd);
  }

  /** Waits until a link written now is strictly newer than the last one written. */
  void gap() throws InterruptedException {
    Thread.sleep(pushGap().toMillis());
  }

  /** Points one more tag at an existing manifest, as {@code crane tag} does. */
  static void tag(HostedRepository repo, ImageName image, String tag, Digest digest) throws IOException {
    Manifest m = repo.getManifest(image, digest).orElseThrow();
    repo.putManifest(image, Tag.of(tag), m.mediaType(), m.bytes());
  }

  Instant pushedAt(String namespace, ImageName image, String tag) throws IOException {
    return driver.stat(new StorageLayout(namespace).tagCurrentLink(image, Tag.of(tag))).orElseThrow().modified();
  }

  static List<String> tags(HostedRepository repo, ImageName image) throws IOException {
    try {
      return repo.listTags(image, -1, null).items();
    } catch (RegistryException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.NAME_UNKNOWN); // everything of it went (in-memory storage)
      return List.of();
    }
  }

  /** A clock {@code age} after the instant halfway between two pushes: the first is older than {@code age}, the second not. */
  static Clock between(Instant older, Instant newer, Duration age) {
    Instant mid = older.plus(Duration.between(older, newer).dividedBy(2));
    return Clock.fixed(mid.plus(age), ZoneOffset.UTC);
  }

  /** Two hours ahead: every link in storage is older than the jobs' one-minute window and the GC's grace. */
  static Clock later() {
    return Clock.offset(Clock.systemUTC(), Duration.ofHours(2));
  }

  CleanupJob.Builder cleanup(CleanupPolicy policy) {
    return CleanupJob.builder(driver, policy).namespace(NS).clock(later());
  }

  long size(Collection<Digest> blobs) throws IOException {
    long n = 0;
    for (Digest d : new HashSet<>(blobs)) {
      n += driver.stat(blobPath(d)).orElseThrow().size();
    }
    return n;
  }

  static Set<Digest> union(Pushed... images) {
    Set<Digest> out = new HashSet<>();
    for (Pushed p : images) {
      out.addAll(p.blobs());
    }
    return out;
  }

  /** Every object in storage with its content, to show a dry run wrote nothing. */
  Map<String, String> snapshot() throws IOException {
    Map<String, String> out = new TreeMap<>();
    walk("/docker", out);
    return out;
  }

  private void walk(String dir, Map<String, String> out) throws IOException {
    for (String child : driver.list(dir)) {
      FileInfo info = driver.stat(child).orElseThrow();
      if (info.directory()) {
        walk(child, out);
      } else {
        out.put(child, Digest.sha256(driver.getContent(child).orElseThrow()).value() + "@" + info.modified());
      }
    }
  }

  // ---- cleanup policies

  @Test
  void cleanup_keepLatest_deletesAllButTheNewestTagsOfEachImage() throws Exception {
    HostedRepository repo = repo(NS);
    Pushed v1 = push(repo, APP, "v1");
    push(repo, OTHER, "a");
    gap();
    Pushed v2 = push(repo, APP, "v2");
    push(repo, OTHER, "b");
    gap();
    Pushed v3 = push(repo, APP, "v3");
    gap();
    push(repo, APP, "v4");

    CleanupReport report = cleanup(new CleanupPolicy(2, null, null, null, null)).build().run();

    assertThat(tags(repo, APP)).containsExactly("v3", "v4");
    assertThat(tags(repo, OTHER)).containsExactly("a", "b");
    assertThat(report.deletedSample()).containsExactlyInAnyOrder("team/app:v1", "team/app:v2");
    assertThat(report.tagsDeleted()).isEqualTo(2);
    assertThat(report.manifestsRemoved()).isEqualTo(2);
    assertThat(report.imagesScanned()).isEqualTo(2);
    assertThat(repo.getManifest(APP, v1.manifest())).isEmpty();
    assertThat(repo.getManifest(APP, v2.manifest())).isEmpty();
    assertPullsIntact(repo, APP, v3.manifest());
    assertPullsIntact(repo, APP, Tag.of("v4"));
  }

  @Test
  void cleanup_olderThan_deletesOnlyTagsPushedBeforeTheCutoff() throws Exception {
    HostedRepository repo = repo(NS);
    push(repo, APP, "old1");
    push(repo, APP, "old2");
    gap();
    push(repo, APP, "new1");
    Duration age = Duration.ofDays(10);

    CleanupReport report = cleanup(new CleanupPolicy(0, age, null, null, null))
        .clock(between(pushedAt(NS, APP, "old2"), pushedAt(NS, APP, "new1"), age)).build().run();

    assertThat(tags(repo, APP)).containsExactly("new1");
    assertThat(report.deletedSample()).containsExactlyInAnyOrder("team/app:old1", "team/app:old2");
  }

  @Test
  void cleanup_notPulledFor_countsPullsByTagAndByDigest() throws Exception {
    Instant t0 = Instant.now();
    MutableClock pulls = new MutableClock(t0);
    AccessLog node1 = log(NS, pulls);
    HostedRepository repo = repo(NS, node1);
    push(repo, APP, "pulled-by-tag");
    push(repo, APP, "never-pulled");
    Pushed byDigest = push(repo, APP, "pulled-by-digest");
    push(repo, APP, "pulled-long-ago");
    repo.getManifest(APP, Tag.of("pulled-long-ago"));
    pulls.set(t0.plus(Duration.ofDays(20)));
    repo.getManifest(APP, Tag.of("pulled-by-tag"));
    repo.getManifest(APP, byDigest.manifest());
    node1.flush();

    // Another node's log: the job reads what node 1 flushed to storage.
    AccessLog node2 = log(NS, pulls);
    Clock runAt = Clock.fixed(t0.plus(Duration.ofDays(25)), ZoneOffset.UTC);
    CleanupReport report = CleanupJob.builder(driver, new CleanupPolicy(0, null, Duration.ofDays(10), null, null))
        .namespace(NS).accessLog(node2).clock(runAt).build().run();

    assertThat(tags(repo, APP)).containsExactly("pulled-by-digest", "pulled-by-tag");
    assertThat(report.deletedSample()).containsExactlyInAnyOrder("team/app:never-pulled", "team/app:pulled-long-ago");
    // The deleted tags' pull records went with them.
    assertThat(node2.lastPulled(APP, Tag.of("pulled-long-ago"))).isEmpty();
    assertThat(node2.lastPulled(APP, Tag.of("pulled-by-tag"))).contains(t0.plus(Duration.ofDays(20)));
  }

  @Test
  void cleanup_notPulledFor_countsPullsOfAnIndexsChildren() throws Exception {
    Instant t0 = Instant.now();
    MutableClock pulls = new MutableClock(t0);
    AccessLog log = log(NS, pulls);
    HostedRepository repo = repo(NS, log);
    Pushed amd64 = pushImage(repo, APP, null, List.of(random(rnd, 300)), rnd);
    Pushed arm64 = pushImage(repo, APP, null, List.of(random(rnd, 300)), rnd);
    Images.pushIndex(repo, APP, "multi", List.of(amd64, arm64));
    Pushed single = push(repo, APP, "single");
    // A daemon pulls by tag once, then its platform's manifest by digest every day.
    pulls.set(t0.plus(Duration.ofDays(20)));
    repo.getManifest(APP, amd64.manifest());
    log.flush();

    Clock runAt = Clock.fixed(t0.plus(Duration.ofDays(25)), ZoneOffset.UTC);
    CleanupJob.builder(driver, new CleanupPolicy(0, null, Duration.ofDays(10), null, null))
        .namespace(NS).accessLog(log).clock(runAt).build().run();

    assertThat(tags(repo, APP)).containsExactly("multi");
    assertThat(repo.getManifest(APP, single.manifest())).isEmpty();
    Images.assertPullsIntact(repo, APP, Tag.of("multi"));
  }

  @Test
  void cleanup_notPulledFor_withoutAnAccessLog_isRefused() {
    CleanupPolicy policy = new CleanupPolicy(0, null, Duration.ofDays(1), null, null);
    assertThatThrownBy(() -> CleanupJob.builder(driver, policy).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("access log");
    assertThatThrownBy(() -> CleanupJob.builder(driver, policy).namespace("other").accessLog(log(NS, later())).build())
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("namespace");
  }

  @Test
  void cleanup_exclude_protectsLatestAndReleaseTags_matchingWholeTags() throws Exception {
    HostedRepository repo = repo(NS);
    for (String t : List.of("latest", "v1.0.0", "v1.2.3", "v1.0", "v1.0.0-rc1", "dev-1", "pr-7")) {
      push(repo, APP, t);
    }

    CleanupReport report = cleanup(new CleanupPolicy(0, Duration.ofHours(1), null, null, "latest|v\\d+\\.\\d+\\.\\d+"))
        .build().run();

    assertThat(tags(repo, APP)).containsExactly("latest", "v1.0.0", "v1.2.3");
    assertThat(report.deletedSample())
        .containsExactlyInAnyOrder("team/app:v1.0", "team/app:v1.0.0-rc1", "team/app:dev-1", "team/app:pr-7");
  }

  @Test
  void cleanup_combination_includeKeepLatestAndAge_allMustHold() throws Exception {
    HostedRepository repo = repo(NS);
    push(repo, APP, "release");
    push(repo, APP, "dev-1");
    gap();
    push(repo, APP, "dev-2");
    gap();
    push(repo, APP, "dev-3");
    Duration age = Duration.ofDays(7);
    Clock clock = between(pushedAt(NS, APP, "dev-2"), pushedAt(NS, APP, "dev-3"), age);

    // Age alone would take dev-1 and dev-2 (and release, were it included) ...
    CleanupReport ageOnly = cleanup(new CleanupPolicy(0, age, null, "dev-.*", null)).clock(clock).dryRun(true)
        .build().run();
    assertThat(ageOnly.deletedSample()).containsExactlyInAnyOrder("team/app:dev-1", "team/app:dev-2");

    // ... but the newest two dev tags are kept whatever their age: only dev-1 goes.
    CleanupReport report = cleanup(new CleanupPolicy(2, age, null, "dev-.*", null)).clock(clock).build().run();

    assertThat(report.deletedSample()).containsExactly("team/app:dev-1");
    assertThat(tags(repo, APP)).containsExactly("dev-2", "dev-3", "release");
  }

  @Test
  void cleanup_dryRun_changesNothing_andReportsWhatTheRealRunDoes() throws Exception {
    HostedRepository repo = repo(NS);
    Pushed shared = push(repo, APP, "a");
    tag(repo, APP, "b", shared.manifest());
    push(repo, APP, "c");
    push(repo, OTHER, "x");
    gap();
    push(repo, APP, "d");
    push(repo, OTHER, "y");
    Map<String, String> before = snapshot();
    CleanupPolicy policy = new CleanupPolicy(1, Duration.ofMinutes(30), null, null, null);

    CleanupReport dry = cleanup(policy).dryRun(true).build().run();

    assertThat(snapshot()).isEqualTo(before);
    assertThat(dry.dryRun()).isTrue();
    assertThat(dry.toString()).startsWith("dry run");
    CleanupReport real = cleanup(policy).build().run();
    assertThat(real.dryRun()).isFalse();
    assertThat(real.deletedSample()).containsExactlyInAnyOrderElementsOf(dry.deletedSample()).hasSize(4);
    assertThat(real.tagsDeleted()).isEqualTo(dry.tagsDeleted());
    assertThat(real.manifestsRemoved()).isEqualTo(dry.manifestsRemoved()).isEqualTo(3);
    assertThat(snapshot()).isNotEqualTo(before);
  }

  @Test
  void cleanup_tagDeleted_whoseManifestAnotherTagUses_keepsTheManifest() throws Exception {
    HostedRepository repo = repo(NS);
    Pushed v1 = push(repo, APP, "v1");
    tag(repo, APP, "stable", v1.manifest());
    Pushed v2 = push(repo, APP, "v2");
    CleanupPolicy policy = new CleanupPolicy(0, Duration.ofHours(1), null, null, "stable");

    assertThat(cleanup(policy).dryRun(true).build().run().manifestsRemoved()).isEqualTo(1);
    CleanupReport report = cleanup(policy).build().run();

    assertThat(tags(repo, APP)).containsExactly("stable");
    assertThat(report.tagsDeleted()).isEqualTo(2);
    assertThat(report.manifestsRemoved()).isEqualTo(1); // v2's; v1's is still stable's
    assertPullsIntact(repo, APP, Tag.of("stable"));
    assertPullsIntact(repo, APP, v1.manifest());
    assertThat(repo.getManifest(APP, v2.manifest())).isEmpty();
  }

  @Test
  void cleanup_tagDeleted_whoseManifestAnIndexUses_keepsIt_untilTheIndexGoes() throws Exception {
    HostedRepository repo = repo(NS);
    Pushed c1 = push(repo, APP, "c1-tag");
    Pushed c2 = push(repo, APP, null);
    Pushed c3 = push(repo, APP, "c3-tag");
    Pushed multi = Images.pushIndex(repo, APP, "multi", List.of(c1, c2));
    Pushed untaggedIndex = Images.pushIndex(repo, APP, null, List.of(c3));
    CleanupPolicy childTags = new CleanupPolicy(0, Duration.ofHours(1), null, "c.-tag", null);

    CleanupReport dry = cleanup(childTags).dryRun(true).build().run();
    CleanupReport first = cleanup(childTags).build().run();

    assertThat(first.tagsDeleted()).isEqualTo(dry.tagsDeleted()).isEqualTo(2);
    assertThat(first.manifestsRemoved()).isEqualTo(dry.manifestsRemoved()).isZero();
    assertPullsIntact(repo, APP, c1.manifest()); // a tagged index uses it
    assertPullsIntact(repo, APP, c3.manifest()); // an untagged index uses it
    assertPullsIntact(repo, APP, Tag.of("multi"));

    // The index's tag goes: the index and its children (nothing else uses them) go too.
    CleanupReport second = cleanup(new CleanupPolicy(0, Duration.ofHours(1), null, "multi", null)).build().run();

    assertThat(second.manifestsRemoved()).isEqualTo(3);
    for (Pushed p : List.of(multi, c1, c2)) {
      assertThat(repo.getManifest(APP, p.manifest())).isEmpty();
    }
    assertPullsIntact(repo, APP, untaggedIndex.manifest());
  }

  @Test
  void cleanup_thenGarbageCollection_reclaimsTheDeletedImagesOwnBlobs_keepsEverythingElse() throws Exception {
    HostedRepository repo = repo(NS);
    byte[] base = random(rnd, 3000);
    Pushed v1 = push(repo, APP, "v1", base);
    Pushed signature = Images.pushReferrer(repo, APP, v1.descriptor(), rnd);
    Pushed v2 = push(repo, APP, "v2", base);
    gap();
    Pushed v3 = push(repo, APP, "v3", base);
    Pushed other = push(repo(null), OTHER, "kept"); // another repository on the same storage

    CleanupReport report = cleanup(new CleanupPolicy(1, null, null, null, null)).build().run();

    assertThat(report.tagsDeleted()).isEqualTo(2);
    assertThat(report.manifestsRemoved()).isEqualTo(3); // v1, its signature, v2
    assertThat(repo.getManifest(APP, signature.manifest())).isEmpty();
    assertThat(repo.referrers(APP, v1.manifest(), null)).isEmpty();

    GarbageCollector.builder(driver).leaseSettle(Duration.ZERO).clock(later()).build().run();

    assertThat(Images.storedBlobs(driver)).containsExactlyInAnyOrderElementsOf(union(v3, other));
    assertPullsIntact(repo, APP, Tag.of("v3"));
    assertPullsIntact(repo(null), OTHER, Tag.of("kept"));
    assertThat(v2.blobs()).isNotEmpty();
  }

  @Test
  void cleanup_ofOneNamespace_leavesTheOtherRepositoriesOnTheStorageAlone() throws Exception {
    HostedRepository mine = repo(NS);
    HostedRepository theirs = repo("hosted-b");
    for (String t : List.of("1", "2", "3")) {
      push(mine, APP, t);
      push(theirs, APP, t);
      gap();
    }

    cleanup(new CleanupPolicy(1, null, null, null, null)).build().run();

    assertThat(tags(mine, APP)).containsExactly("3");
    assertThat(tags(theirs, APP)).containsExactly("1", "2", "3");
  }

  @Test
  void cleanupPolicy_withoutACriterion_orWithBadValues_isInvalid() {
    assertThatThrownBy(() -> new CleanupPolicy(0, null, null, "dev-.*", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keepLatest, olderThan or notPulledFor");
    assertThatThrownBy(() -> new CleanupPolicy(-1, Duration.ofDays(1), null, null, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CleanupPolicy(0, Duration.ZERO, null, null, null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CleanupPolicy(1, null, null, "(", null))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("include");
    assertThat(new CleanupPolicy(1, null, null, null, "latest").tagFilter().test("latest2")).isTrue();
  }

  // ---- the access log

  @Test
  void accessLog_manyPulls_costOneWritePerKeyPerResolution() throws Exception {
    CountingDriver counting = new CountingDriver(driver, ACCESS_ROOT);
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    MutableClock clock = new MutableClock(t0);
    AccessLog log = AccessLog.builder(counting).namespace(NS).clock(clock).build();
    HostedRepository repo = HostedRepository.builder(NS, counting).namespace(NS).accessLog(log).build();
    Pushed image = push(repo, APP, "v1");

    // 50 minutes of a pull every 5 seconds, by tag and by digest, flushed every minute.
    for (int i = 1; i <= 600; i++) {
      repo.getManifest(APP, Tag.of("v1"));
      repo.getManifest(APP, image.manifest());
      clock.advance(Duration.ofSeconds(5));
      if (i % 12 == 0) {
        log.flush();
      }
    }
    assertThat(counting.writes.get()).isEqualTo(2);
    assertThat(counting.reads.get()).isEqualTo(2); // the first flush looked; later ones knew

    clock.set(t0.plus(Duration.ofMinutes(65)));
    repo.getManifest(APP, Tag.of("v1"));
    assertThat(log.flush()).isEqualTo(1);
    assertThat(counting.writes.get()).isEqualTo(3);
    assertThat(log.lastPulled(APP, Tag.of("v1"))).contains(t0.plus(Duration.ofMinutes(65)));
    // The digest's later pulls were within the resolution of the first flushed one: never written.
    assertThat(log.lastPulled(APP, image.manifest())).contains(t0.plus(Duration.ofSeconds(55)));
    assertThat(driver.getContent(ACCESS_ROOT + "/" + NS + "/team/app/_tags/v1")).isPresent();
  }

  @Test
  void accessLog_recordsOnlyManifestsThatExist() throws Exception {
    AccessLog log = log(NS, Clock.systemUTC());
    HostedRepository repo = repo(NS, log);

    assertThat(repo.getManifest(APP, Tag.of("nope"))).isEmpty();
    assertThat(repo.getManifest(APP, Digest.sha256("nothing"))).isEmpty();

    assertThat(log.flush()).isZero();
    assertThat(driver.list(ACCESS_ROOT)).isEmpty();
  }

  @Test
  void accessLog_twoNodesOnOneStorage_seeEachOthersFlushedPulls_andTimeOnlyMovesForward() throws Exception {
    Instant t0 = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    MutableClock clockA = new MutableClock(t0);
    MutableClock clockB = new MutableClock(t0);
    AccessLog a = log(NS, clockA);
    AccessLog b = log(NS, clockB);
    AccessLog otherRepository = log("hosted-b", clockA);
    Tag tag = Tag.of("v1");

    a.recordPull(APP, tag);
    assertThat(a.lastPulled(APP, tag)).contains(t0); // memory counts at once on its own node
    assertThat(b.lastPulled(APP, tag)).isEmpty();
    a.flush();
    assertThat(b.lastPulled(APP, tag)).contains(t0);
    assertThat(otherRepository.lastPulled(APP, tag)).isEmpty();

    clockB.set(t0.plus(Duration.ofHours(3)));
    b.recordPull(APP, tag);
    b.flush();
    assertThat(a.lastPulled(APP, tag)).contains(t0.plus(Duration.ofHours(3)));

    // Node A's pull is older than what node B stored: A does not write it back over B's.
    clockA.set(t0.plus(Duration.ofHours(2)));
    a.recordPull(APP, tag);
    assertThat(a.flush()).isZero();
    assertThat(b.lastPulled(APP, tag)).contains(t0.plus(Duration.ofHours(3)));
  }

  // ---- proxy cache eviction (the cache's namespace filled as a proxy would: the same layout)

  @Test
  void evict_overMaxSize_removesLeastRecentlyUsedUnits_countingSharedBlobsOnce() throws Exception {
    Instant t0 = Instant.now();
    MutableClock clock = new MutableClock(t0);
    AccessLog log = log(CACHE, clock);
    HostedRepository cache = repo(CACHE, log);
    byte[] base = random(rnd, 2000);
    Pushed u1 = push(cache, APP, "1", base);
    Pushed u2 = push(cache, APP, "2", base);
    gap();
    Pushed u3 = push(cache, OTHER, "3", base);
    clock.set(t0.plus(Duration.ofHours(1)));
    cache.getManifest(APP, Tag.of("1")); // u1 is now the most recently used; u2 the least
    long total = size(union(u1, u2, u3));
    Set<Digest> onlyU2 = new HashSet<>(u2.blobs());
    onlyU2.remove(Digest.sha256(base));
    long u2Size = size(onlyU2);

    EvictionReport report = CacheEvictor.builder(driver, new CacheLimits(total - u2Size, null)).namespace(CACHE)
        .accessLog(log).clock(clock).build().run();

    assertThat(report.sizeBefore()).isEqualTo(total);
    assertThat(report.sizeAfter()).isEqualTo(total - u2Size);
    assertThat(report.bytesFreed()).isEqualTo(u2Size);
    assertThat(report.unitsScanned()).isEqualTo(3);
    assertThat(report.unitsEvicted()).isEqualTo(1);
    assertThat(report.evictedSample()).containsExactly("team/app:2@" + u2.manifest());
    assertThat(tags(cache, APP)).containsExactly("1");
    assertThat(cache.getManifest(APP, u2.manifest())).isEmpty();
    assertThat(cache.getBlob(APP, u2.blobs().get(3))).isEmpty(); // its own layer: unlinked
    assertThat(cache.getBlob(APP, Digest.sha256(base))).isPresent(); // still u1's
    assertPullsIntact(cache, APP, Tag.of("1"));
    assertPullsIntact(cache, OTHER, Tag.of("3"));

    GarbageCollector.builder(driver).leaseSettle(Duration.ZERO).clock(later()).build().run();
    assertThat(Images.storedBlobs(driver)).containsExactlyInAnyOrderElementsOf(union(u1, u3));

    // A limit below the smallest unit empties the cache.
    EvictionReport all = CacheEvictor.builder(driver, new CacheLimits(1L, null)).namespace(CACHE).accessLog(log)
        .clock(clock).build().run();
    assertThat(all.unitsEvicted()).isEqualTo(2);
    assertThat(all.sizeAfter()).isZero();
    assertThat(tags(cache, APP)).isEmpty();
  }

  @Test
  void evict_maxUnusedAge_removesUnitsNotPulledSince_andLooseBlobs() throws Exception {
    Instant t0 = Instant.now();
    MutableClock clock = new MutableClock(t0);
    AccessLog log = log(CACHE, clock);
    HostedRepository cache = repo(CACHE, log);
    Pushed old = push(cache, APP, "old");
    Pushed used = push(cache, APP, "used");
    Digest loose = Images.upload(cache, OTHER, random(rnd, 700)); // a blob no cached manifest uses
    clock.set(t0.plus(Duration.ofDays(20)));
    cache.getManifest(APP, used.manifest());
    log.flush();
    clock.set(t0.plus(Duration.ofDays(30)));

    EvictionReport report = CacheEvictor.builder(driver, new CacheLimits(null, Duration.ofDays(15)))
        .namespace(CACHE).accessLog(log(CACHE, clock)).clock(clock).build().run();

    assertThat(report.unitsEvicted()).isEqualTo(2);
    assertThat(report.tagsRemoved()).isEqualTo(1);
    assertThat(report.manifestsRemoved()).isEqualTo(1);
    assertThat(report.bytesFreed()).isEqualTo(size(old.blobs()) + 700);
    assertThat(tags(cache, APP)).containsExactly("used");
    assertThat(cache.getManifest(APP, old.manifest())).isEmpty();
    assertThat(cache.getBlob(OTHER, loose)).isEmpty();
    assertPullsIntact(cache, APP, Tag.of("used"));
  }

  @Test
  void evict_anIndex_goesWithItsChildren_exceptThoseAnotherUnitUses() throws Exception {
    Instant t0 = Instant.now();
    MutableClock clock = new MutableClock(t0);
    AccessLog log = log(CACHE, clock);
    HostedRepository cache = repo(CACHE, log);
    Pushed amd64 = push(cache, APP, null);
    Pushed arm64 = push(cache, APP, null);
    Pushed index = Images.pushIndex(cache, APP, "multi", List.of(amd64, arm64));
    tag(cache, APP, "amd64", amd64.manifest());
    clock.set(t0.plus(Duration.ofDays(20)));
    cache.getManifest(APP, Tag.of("amd64"));
    clock.set(t0.plus(Duration.ofDays(30)));

    EvictionReport report = CacheEvictor.builder(driver, new CacheLimits(null, Duration.ofDays(15)))
        .namespace(CACHE).accessLog(log).clock(clock).build().run();

    assertThat(report.unitsScanned()).isEqualTo(2);
    assertThat(report.evictedSample()).containsExactly("team/app:multi@" + index.manifest());
    assertThat(report.manifestsRemoved()).isEqualTo(2); // the index and arm64; amd64 is tagged itself
    assertThat(cache.getManifest(APP, index.manifest())).isEmpty();
    assertThat(cache.getManifest(APP, arm64.manifest())).isEmpty();
    for (Digest d : arm64.blobs().subList(1, arm64.blobs().size())) {
      assertThat(cache.getBlob(APP, d)).isEmpty();
    }
    assertPullsIntact(cache, APP, Tag.of("amd64"));
  }

  @Test
  void evict_dryRun_changesNothing_andReportsWhatTheRealRunDoes() throws Exception {
    HostedRepository cache = repo(CACHE);
    Pushed a = push(cache, APP, "a");
    gap();
    push(cache, APP, "b");
    gap();
    push(cache, OTHER, "c");
    CacheLimits limits = new CacheLimits(size(a.blobs()) + 100, null); // one unit fits (configs differ by a few bytes)
    Map<String, String> before = snapshot();

    EvictionReport dry = CacheEvictor.builder(driver, limits).namespace(CACHE).clock(later()).dryRun(true).build().run();

    assertThat(snapshot()).isEqualTo(before);
    assertThat(dry.dryRun()).isTrue();
    assertThat(dry.unitsEvicted()).isEqualTo(2);
    EvictionReport real = CacheEvictor.builder(driver, limits).namespace(CACHE).clock(later()).build().run();
    assertThat(real.evictedSample()).isEqualTo(dry.evictedSample());
    assertThat(List.of(real.unitsEvicted(), real.tagsRemoved(), real.manifestsRemoved(), real.bytesFreed(),
        real.sizeBefore(), real.sizeAfter())).isEqualTo(List.of(dry.unitsEvicted(), dry.tagsRemoved(),
        dry.manifestsRemoved(), dry.bytesFreed(), dry.sizeBefore(), dry.sizeAfter()));
    // Least recently cached first (no access log): a and b go, c stays.
    assertThat(tags(cache, OTHER)).containsExactly("c");
    assertThat(tags(cache, APP)).isEmpty();
  }

  @Test
  void cacheLimits_needALimit() {
    assertThatThrownBy(() -> new CacheLimits(null, null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CacheLimits(0L, null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new CacheLimits(null, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }
}
