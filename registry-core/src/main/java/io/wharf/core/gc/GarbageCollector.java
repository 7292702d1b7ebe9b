package io.wharf.core.gc;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.storage.BlobStore;
import io.wharf.core.storage.CheckedStorageDriver;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.PathNotFoundException;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.upload.UploadIds;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Online garbage collection of one storage (a blob store): deletes the blobs that no kept manifest
 * of any image references, while clients keep pushing and pulling. distribution's collector
 * needs the registry stopped or read-only; this one does not.
 *
 * <p><b>What is kept.</b> Every image under {@code /docker/registry/v2/repositories}, namespaced
 * ones included (a directory with {@code _manifests} is an image, as for {@link
 * io.wharf.core.storage.Catalog}), contributes its kept manifests: the targets of all tags and,
 * unless {@code deleteUntagged}, every manifest in {@code _manifests/revisions}. For each kept
 * manifest the manifest itself (a blob too), its config, its layers (not foreign ones) and the
 * children of an index (recursively) are marked. With {@code deleteUntagged}, a manifest is kept
 * when a tag reaches it, directly or as an index child or as a referrer of a kept manifest
 * (OCI: a referrer lives as long as its subject); the other revisions that are older than the
 * grace period are unlinked first. Untagged revisions younger than that are kept with all they
 * reference (a multi-arch push uploads its children before the index).
 *
 * <p><b>The phases.</b>
 * <ol>
 *   <li>Take the {@link GcLease} (one collection per storage across all nodes; renewed while
 *       running). The start time {@code T} fixes the cutoffs: {@code T - grace} for blobs and
 *       uploads' age, {@code T - linkWindow} for links.
 *   <li>Mark: walk every image (one {@code list} per directory, nothing loaded whole), unlinking
 *       old untagged manifests first when asked and purging old uploads on the way.
 *   <li>Candidates: walk {@code blobs/<alg>/<xx>/<hex>/data}; an unmarked blob whose modification
 *       time is before {@code T - grace} is a candidate.
 *   <li>Links: walk the images once more and note, for each candidate, the {@code _layers} and
 *       {@code _manifests/revisions} links that name it.
 *   <li>Sweep, one candidate at a time: skip it if one of its links was written after
 *       {@code T - linkWindow}; re-check the blob's own modification time; move its data into
 *       {@code _wharf/gc-trash}; look at its links once more (put it back if one is new now); then
 *       delete it (and its old links). A lease found lost stops the sweep. A run restores what a
 *       crashed run left in the trash before it starts.
 * </ol>
 *
 * <p><b>Why it is safe while serving.</b> The mark runs before the sweep, and a blob written after
 * the mark started is newer than the cutoff, so it is never a candidate; the grace period covers
 * pushes in progress whose blobs were uploaded before it (their manifest comes later). The race
 * that remains is a manifest pushed <em>after</em> the mark that references an <em>old</em>,
 * unreferenced blob its image still links (a layer of a deleted tag, pushed again: the client's
 * {@code HEAD} finds the blob, so it is not uploaded again). The mark missed that manifest. It is
 * closed in two halves:
 * <ul>
 *   <li>{@link io.wharf.core.repository.HostedRepository#putManifest} rewrites the links of the
 *       blobs and child manifests it references when they are older than {@link
 *       BlobStore#LINK_REFRESH_AFTER}, <em>before</em> it checks that their bytes are stored;
 *   <li>the sweep keeps a candidate with a link newer than {@code T - linkWindow} (at least that
 *       refresh age), and checks the links again <em>after</em> moving the bytes out of sight.
 * </ul>
 * A push whose link rewrite comes before that second check gets the blob put back; one whose
 * rewrite comes after it finds the bytes gone and fails with {@code MANIFEST_BLOB_UNKNOWN}, and
 * the client uploads the blob again. Bytes stored again (an upload of a blob the store already
 * holds, a manifest pushed again) replace the old copy and so get a new modification time, which
 * the sweep's re-check sees. What is left: a pull of that blob in the instant it sits in the
 * trash gets a 404; and a blob linked for the first time into an image that the link walk had
 * already passed (a cross-repository mount, or bytes stored again between the sweep's time check
 * and its move, of exactly that garbage blob) is not re-checked, so a manifest pushed in that
 * instant can still lose it. On S3 the move to the trash is a server-side copy, and modification
 * times have one-second resolution: keep the grace period well above that (the default is 1 h).
 * Clocks of the nodes must agree to well within {@code linkWindow} (default 1 min).
 *
 * <p><b>Memory</b> is the set of marked digests (bounded by the number of blobs, not their
 * bytes), the candidates and their links, and one directory listing at a time.
 */
public final class GarbageCollector {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
  private static final String REPOSITORIES = new StorageLayout().repositoriesRoot();
  /** Where the sweep moves a blob for its last check before deleting it. */
  private static final String TRASH = "/docker/registry/v2/_wharf/gc-trash";
  private static final ScheduledExecutorService RENEWER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "wharf-gc-lease");
    t.setDaemon(true);
    return t;
  });

  private final StorageDriver driver;
  private final StorageLayout layout = new StorageLayout();
  private final Duration grace;
  private final Duration linkWindow;
  private final boolean deleteUntagged;
  private final boolean dryRun;
  private final Duration purgeUploadsAfter;
  private final Clock clock;
  private final String owner;
  private final Duration leaseTtl;
  private final Duration leaseSettle;

  private GarbageCollector(Builder b) {
    this.driver = CheckedStorageDriver.wrap(b.driver);
    this.grace = b.grace;
    this.linkWindow = b.linkWindow;
    this.deleteUntagged = b.deleteUntagged;
    this.dryRun = b.dryRun;
    this.purgeUploadsAfter = b.purgeUploadsAfter;
    this.clock = b.clock;
    this.owner = b.owner;
    this.leaseTtl = b.leaseTtl;
    this.leaseSettle = b.leaseSettle;
  }

  public static Builder builder(StorageDriver driver) {
    return new Builder(driver);
  }

  /**
   * Runs one collection.
   *
   * @throws GcLease.HeldException if another collection holds this storage's lease
   * @throws IllegalStateException if the lease was lost while running (the sweep stopped)
   */
  public GcReport run() throws IOException {
    long started = System.nanoTime();
    try (GcLease lease = GcLease.acquire(driver, owner, leaseTtl, leaseSettle, clock)) {
      long period = Math.max(10, leaseTtl.toMillis() / 3);
      ScheduledFuture<?> renewal = RENEWER.scheduleAtFixedRate(() -> renewQuietly(lease), period, period,
          TimeUnit.MILLISECONDS);
      try {
        Run run = new Run(lease, clock.instant());
        run.restoreTrash();
        run.mark();
        run.findCandidates();
        run.findLinks();
        run.sweep();
        GcReport report = run.report(Duration.ofNanos(System.nanoTime() - started));
        LOG.info("garbage collection of {}: {}", driver.name(), report);
        return report;
      } finally {
        renewal.cancel(false);
      }
    }
  }

  private static void renewQuietly(GcLease lease) {
    try {
      if (!lease.renew() && lease.lost()) {
        LOG.warn("garbage collection lease of {} was taken by another node; stopping", lease.owner());
      }
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not renew the garbage collection lease: {}", e.toString());
    }
  }

  /** The state of one run. */
  private final class Run {
    private final GcLease lease;
    private final Instant blobCutoff;
    private final Instant linkCutoff;
    private final Instant untaggedCutoff;
    private final Instant uploadCutoff;
    private final Set<Digest> marked = new HashSet<>();
    private final Map<Digest, Long> candidates = new HashMap<>();
    private final Map<Digest, List<String>> links = new HashMap<>();
    private final List<String> sample = new ArrayList<>();
    private long images;
    private long deleted;
    private long bytes;
    private long relinked;
    private long untagged;
    private long uploads;

    Run(GcLease lease, Instant start) {
      this.lease = lease;
      this.blobCutoff = start.minus(grace);
      this.linkCutoff = start.minus(linkWindow);
      this.untaggedCutoff = blobCutoff.isBefore(linkCutoff) ? blobCutoff : linkCutoff;
      this.uploadCutoff = purgeUploadsAfter == null ? null : start.minus(purgeUploadsAfter);
    }

    // ---- phase 1: mark (and unlink old untagged manifests, purge old uploads)

    void mark() throws IOException {
      walkImages(REPOSITORIES, this::markImage);
    }

    private void markImage(String image, Set<String> kinds) throws IOException {
      images++;
      if (kinds.contains("_uploads") && uploadCutoff != null) {
        purgeUploads(image);
      }
      if (!kinds.contains("_manifests")) {
        return;
      }
      Set<Digest> revisions = new LinkedHashSet<>(digestsUnder(image + "/_manifests/revisions"));
      Set<Digest> roots = new LinkedHashSet<>();
      for (String tagDir : driver.list(image + "/_manifests/tags")) {
        readLink(tagDir + "/current/link").ifPresent(roots::add);
      }
      if (!deleteUntagged) {
        roots.addAll(revisions);
      }
      Set<Digest> kept = new HashSet<>();
      keep(image, roots, kept);
      if (!deleteUntagged) {
        return;
      }
      // Untagged revisions still being written or linked (young) are kept, with what they reach.
      List<Digest> young = new ArrayList<>();
      for (Digest d : revisions) {
        if (!kept.contains(d) && isYoung(revisionLink(image, d))) {
          young.add(d);
        }
      }
      keep(image, young, kept);
      for (Digest d : revisions) {
        if (!kept.contains(d)) {
          unlinkUntagged(image, d, kept);
        }
      }
    }

    /** Marks {@code roots} and everything they reach, adding the manifests to {@code kept}. */
    private void keep(String image, Collection<Digest> roots, Set<Digest> kept) throws IOException {
      Deque<Digest> todo = new ArrayDeque<>(roots);
      while (!todo.isEmpty()) {
        Digest d = todo.pop();
        if (!kept.add(d)) {
          continue;
        }
        marked.add(d);
        Optional<byte[]> bytes = driver.getContent(layout.blobData(d));
        if (bytes.isEmpty()) {
          continue; // a dangling link: nothing to keep
        }
        Manifest m = ManifestParser.parseStored(bytes.get());
        marked.addAll(m.storedBlobs());
        for (Descriptor child : m.children()) {
          todo.push(child.digest());
        }
        if (deleteUntagged) {
          // Without deleteUntagged every revision is a root already, referrers included.
          todo.addAll(digestsUnder(image + "/_referrers/" + d.algorithm() + "/" + d.hex()));
        }
      }
    }

    private void unlinkUntagged(String image, Digest d, Set<Digest> kept) throws IOException {
      String link = revisionLink(image, d);
      requireLease();
      // Re-checked right before the delete: a push may have written the revision again meanwhile.
      if (isYoung(link)) {
        keep(image, List.of(d), kept);
        return;
      }
      untagged++;
      if (dryRun) {
        return;
      }
      Optional<byte[]> bytes = driver.getContent(layout.blobData(d));
      Optional<Descriptor> subject = bytes.flatMap(b -> ManifestParser.parseStored(b).subject());
      if (subject.isPresent()) {
        Digest s = subject.get().digest();
        driver.delete(image + "/_referrers/" + s.algorithm() + "/" + s.hex() + "/" + d.algorithm() + "/" + d.hex());
      }
      deleteRacing(parent(link));
      LOG.debug("unlinked untagged manifest {} from {}", d, image);
    }

    private boolean isYoung(String path) throws IOException {
      Optional<FileInfo> info = driver.stat(path);
      return info.isPresent() && !info.get().modified().isBefore(untaggedCutoff);
    }

    private void purgeUploads(String image) throws IOException {
      for (String upload : driver.list(image + "/_uploads")) {
        Optional<FileInfo> info = driver.stat(upload);
        if (info.isEmpty()) {
          continue; // finished or cancelled meanwhile
        }
        // Wharf's uploads are one file, written at the start and by every chunk; distribution's
        // (and older Wharf's) are a directory with startedat and data files.
        Instant last = info.get().directory() ? lastActivityOfDirectory(upload) : lastActivityOfFile(upload, info.get());
        if (last.isBefore(uploadCutoff)) {
          uploads++;
          if (!dryRun) {
            requireLease();
            deleteRacing(upload);
          }
        }
      }
    }

    /** Its last write, or its start where that is later: some stores keep times to the second. */
    private Instant lastActivityOfFile(String upload, FileInfo info) {
      Instant modified = info.modified();
      return UploadIds.startedAt(StorageLayout.lastSegment(upload)).filter(modified::isBefore).orElse(modified);
    }

    private Instant lastActivityOfDirectory(String upload) throws IOException {
      Instant last = startedAt(upload);
      Optional<FileInfo> data = driver.stat(upload + "/data");
      if (data.isPresent() && data.get().modified().isAfter(last)) {
        last = data.get().modified(); // still receiving chunks: not abandoned
      }
      return last;
    }

    private Instant startedAt(String upload) throws IOException {
      Optional<byte[]> content = driver.getContent(upload + "/startedat");
      if (content.isPresent()) {
        try {
          return Instant.parse(new String(content.get(), StandardCharsets.US_ASCII).trim());
        } catch (DateTimeParseException e) {
          // another tool's format, or torn: fall back to the directory's time
        }
      }
      return driver.stat(upload).map(FileInfo::modified).orElse(Instant.EPOCH);
    }

    // ---- phase 2: candidates

    void findCandidates() throws IOException {
      for (String algDir : driver.list(layout.blobsRoot())) {
        String alg = StorageLayout.lastSegment(algDir);
        if (!Digest.isSupportedAlgorithm(alg)) {
          continue;
        }
        for (String prefixDir : driver.list(algDir)) {
          for (String blobDir : driver.list(prefixDir)) {
            Digest d = digest(alg, StorageLayout.lastSegment(blobDir));
            if (d == null || marked.contains(d)) {
              continue;
            }
            Optional<FileInfo> data = driver.stat(blobDir + "/data");
            if (data.isPresent() && !data.get().directory() && data.get().modified().isBefore(blobCutoff)) {
              candidates.put(d, data.get().size());
            }
          }
        }
      }
    }

    // ---- phase 3: the links that name a candidate

    void findLinks() throws IOException {
      if (candidates.isEmpty()) {
        return;
      }
      walkImages(REPOSITORIES, (image, kinds) -> {
        if (kinds.contains("_layers")) {
          noteLinks(image + "/_layers");
        }
        if (kinds.contains("_manifests")) {
          noteLinks(image + "/_manifests/revisions");
        }
      });
    }

    private void noteLinks(String dir) throws IOException {
      for (String algDir : driver.list(dir)) {
        String alg = StorageLayout.lastSegment(algDir);
        for (String hexDir : driver.list(algDir)) {
          Digest d = digest(alg, StorageLayout.lastSegment(hexDir));
          if (d != null && candidates.containsKey(d)) {
            links.computeIfAbsent(d, k -> new ArrayList<>(1)).add(hexDir + "/link");
          }
        }
      }
    }

    // ---- phase 4: sweep

    void sweep() throws IOException {
      for (Map.Entry<Digest, Long> c : candidates.entrySet()) {
        Digest d = c.getKey();
        List<String> its = links.getOrDefault(d, List.of());
        if (anyNewerThan(its, linkCutoff)) {
          relinked++;
          continue;
        }
        requireLease();
        Optional<FileInfo> data = driver.stat(layout.blobData(d));
        if (data.isEmpty() || !data.get().modified().isBefore(blobCutoff)) {
          continue; // gone already, or written again since the candidates were listed
        }
        if (dryRun) {
          count(d, data.get().size());
          continue;
        }
        // Out of sight first, then one more look at its links: a push that rewrote a link before
        // the move gets its blob back; one that rewrites it after finds the blob gone and fails
        // with MANIFEST_BLOB_UNKNOWN (the client uploads it again). Nothing is lost silently.
        String trashed = trashPath(d);
        try {
          driver.move(layout.blobData(d), trashed);
        } catch (PathNotFoundException e) {
          continue;
        }
        if (anyNewerThan(its, linkCutoff)) {
          restore(d, trashed);
          relinked++;
          continue;
        }
        driver.delete(trashed);
        count(d, data.get().size());
        // The emptied blobs/<alg>/<xx>/<hex>/ directory stays (on a filesystem): deleting it could
        // race with an upload of the same bytes moving its data in; nothing reads a directory
        // without data as a blob.
        // Tidy the links too (only those still old): a dangling link answers "unknown" as well, it
        // is only clutter.
        for (String link : its) {
          if (!anyNewerThan(List.of(link), linkCutoff)) {
            deleteRacing(parent(link));
          }
        }
        LOG.debug("deleted unreferenced blob {} ({} bytes)", d, data.get().size());
      }
    }

    private void count(Digest d, long size) {
      deleted++;
      bytes += size;
      if (sample.size() < GcReport.SAMPLE_SIZE) {
        sample.add(d.value());
      }
    }

    /**
     * Puts a trashed blob back, unless the same bytes were stored again meanwhile. Also used at
     * start for what a crashed run left in the trash: that was never confirmed unreferenced.
     */
    private void restore(Digest d, String trashed) throws IOException {
      if (driver.stat(layout.blobData(d)).isPresent()) {
        driver.delete(trashed);
      } else {
        driver.move(trashed, layout.blobData(d));
      }
    }

    void restoreTrash() throws IOException {
      for (String entry : driver.list(TRASH)) {
        String name = StorageLayout.lastSegment(entry);
        int dash = name.indexOf('-');
        Digest d = dash < 0 ? null : digest(name.substring(0, dash), name.substring(dash + 1));
        if (d == null) {
          driver.delete(entry);
        } else if (!dryRun) {
          restore(d, entry);
        }
      }
    }

    private boolean anyNewerThan(List<String> paths, Instant cutoff) throws IOException {
      for (String p : paths) {
        Optional<FileInfo> info = driver.stat(p);
        if (info.isPresent() && !info.get().modified().isBefore(cutoff)) {
          return true;
        }
      }
      return false;
    }

    private void requireLease() {
      if (lease.lost()) {
        throw new IllegalStateException("garbage collection stopped: another node took the lease "
            + GcLease.PATH + " (this run stalled past its expiry)");
      }
    }

    GcReport report(Duration duration) {
      return new GcReport(dryRun, images, marked.size(), deleted, bytes, relinked, untagged, uploads,
          List.copyOf(sample), duration);
    }
  }

  // ---- walking the layout

  private interface ImageVisitor {
    void visit(String imageDir, Set<String> kinds) throws IOException;
  }

  /**
   * Depth-first over {@code dir}: a directory holding {@code _manifests}, {@code _layers} or
   * {@code _uploads} is an image; its other children that do not start with {@code _} may be
   * images too (nested names, namespaces).
   */
  private void walkImages(String dir, ImageVisitor visitor) throws IOException {
    Set<String> kinds = new HashSet<>(4);
    for (String child : driver.list(dir)) {
      String name = StorageLayout.lastSegment(child);
      if (name.equals("_manifests") || name.equals("_layers") || name.equals("_uploads")) {
        kinds.add(name);
      } else if (!name.startsWith("_")) {
        walkImages(child, visitor);
      }
    }
    if (!kinds.isEmpty()) {
      visitor.visit(dir, kinds);
    }
  }

  /** The digests named by {@code <dir>/<alg>/<hex>} entries. */
  private List<Digest> digestsUnder(String dir) throws IOException {
    return StorageLayout.digestsUnder(driver, dir);
  }


  private Optional<Digest> readLink(String path) throws IOException {
    Optional<Digest> target = StorageLayout.readLink(driver, path);
    if (target.isEmpty() && driver.stat(path).isPresent()) {
      LOG.warn("ignoring unreadable link {}", path);
    }
    return target;
  }

  private static Digest digest(String alg, String hex) {
    return StorageLayout.digest(alg, hex).orElse(null);
  }


  /**
   * Deletes a directory that a client may be writing into right now (a link rewritten by a push,
   * a chunk appended to an "abandoned" upload). If the delete loses that race, what the client
   * wrote stays and this run moves on; the next run looks again.
   */
  private void deleteRacing(String dir) {
    try {
      driver.delete(dir);
    } catch (IOException e) {
      LOG.debug("left {} in place: written to while it was deleted ({})", dir, e.toString());
    }
  }

  private static String trashPath(Digest d) {
    return TRASH + "/" + d.algorithm() + "-" + d.hex();
  }

  private static String revisionLink(String image, Digest d) {
    return image + "/_manifests/revisions/" + d.algorithm() + "/" + d.hex() + "/link";
  }

  private static String parent(String path) {
    return path.substring(0, path.lastIndexOf('/'));
  }

  public static final class Builder {
    private final StorageDriver driver;
    private Duration grace = Duration.ofHours(1);
    private Duration linkWindow = Duration.ofMinutes(1);
    private boolean deleteUntagged;
    private boolean dryRun;
    private Duration purgeUploadsAfter;
    private Clock clock = Clock.systemUTC();
    private String owner = GcLease.newOwnerId();
    private Duration leaseTtl = Duration.ofMinutes(5);
    private Duration leaseSettle = Duration.ofSeconds(1);

    private Builder(StorageDriver driver) {
      this.driver = Objects.requireNonNull(driver, "driver");
    }

    /** Unreferenced blobs younger than this survive (pushes upload blobs before their manifest). Default 1 h. */
    public Builder grace(Duration grace) {
      this.grace = requireNonNegative(grace, "grace");
      return this;
    }

    /**
     * A blob with a link younger than this is treated as referenced (see the class comment); at
     * least {@link BlobStore#LINK_REFRESH_AFTER}, plus the clock skew between nodes. Default 1 min.
     */
    public Builder linkWindow(Duration window) {
      Objects.requireNonNull(window, "linkWindow");
      if (window.compareTo(BlobStore.LINK_REFRESH_AFTER) < 0) {
        throw new IllegalArgumentException("linkWindow must be at least " + BlobStore.LINK_REFRESH_AFTER
            + " (the age at which pushes refresh links), got " + window);
      }
      this.linkWindow = window;
      return this;
    }

    /** Also unlink manifests no tag reaches (older than the grace period). Default off. */
    public Builder deleteUntagged(boolean deleteUntagged) {
      this.deleteUntagged = deleteUntagged;
      return this;
    }

    /** Report what would go, delete nothing. */
    public Builder dryRun(boolean dryRun) {
      this.dryRun = dryRun;
      return this;
    }

    /** Purge incomplete uploads with no activity for this long; null (default): keep them. */
    public Builder purgeUploadsAfter(Duration age) {
      this.purgeUploadsAfter = age == null ? null : requireNonNegative(age, "purgeUploadsAfter");
      return this;
    }

    /** The clock for cutoffs and the lease (tests move it). */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /** This collector's lease owner id; default one unique per collector. */
    public Builder owner(String owner) {
      this.owner = Objects.requireNonNull(owner);
      return this;
    }

    /** How long the lease lasts without renewal (renewed every third of it). Default 5 min. */
    public Builder leaseTtl(Duration ttl) {
      Objects.requireNonNull(ttl);
      if (ttl.toMillis() < 30) {
        throw new IllegalArgumentException("leaseTtl must be at least 30ms, got " + ttl);
      }
      this.leaseTtl = ttl;
      return this;
    }

    /**
     * How long to wait after writing the lease before reading it back; longer than the storage's
     * write latency. Default 1 s.
     */
    public Builder leaseSettle(Duration settle) {
      this.leaseSettle = requireNonNegative(settle, "leaseSettle");
      return this;
    }

    public GarbageCollector build() {
      return new GarbageCollector(this);
    }

    private static Duration requireNonNegative(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative: " + d);
      }
      return d;
    }
  }
}
