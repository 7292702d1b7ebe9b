package io.wharf.core.gc;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.repository.TagRevision;
import io.wharf.core.storage.BlobStore;
import io.wharf.core.storage.CheckedStorageDriver;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.PathNotFoundException;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.storage.TagHistory;
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
 * needs the registry stopped or read-only; this one does not, and all it coordinates through is
 * the storage itself, so it is as safe with several nodes on one S3 bucket as with one node.
 *
 * <p><b>What is kept.</b> Every image under {@code /docker/registry/v2/repositories}, namespaced
 * ones included (a directory with {@code _manifests} is an image, as for {@link
 * io.wharf.core.storage.Catalog}), contributes its kept manifests: the targets of all tags and,
 * unless {@code deleteUntagged}, every manifest in {@code _manifests/revisions}. For each kept
 * manifest the manifest itself (a blob too), its config, its layers (not foreign ones) and the
 * children of an index (recursively) are marked. With {@code deleteUntagged}, a manifest is kept
 * when a tag reaches it, directly or as an index child or as a referrer of a kept manifest
 * (OCI: a referrer lives as long as its subject); the other revisions that are older than the
 * window are unlinked first. Untagged revisions younger than that are kept with all they
 * reference (a multi-arch push uploads its children before the index).
 *
 * <p><b>One window: {@code grace}.</b> What was written or linked in the last {@code grace}
 * before the run started stays: blobs whose bytes are younger, and blobs with a link (or, for
 * untagged manifests, a revision link) younger. The link side never goes below {@link
 * #LINK_WINDOW_FLOOR} (10 s), whatever {@code grace} says, because the handshake below needs it;
 * so {@code grace: 0s} right after a delete reclaims everything nothing references except what
 * was linked in the last ten seconds.
 *
 * <p><b>The phases.</b>
 * <ol>
 *   <li>Take the {@link GcLease} (one collection per storage across all nodes; renewed while
 *       running). The start time {@code T} fixes the cutoffs: {@code T - grace} for blobs and
 *       uploads, {@code T - max(grace, LINK_WINDOW_FLOOR)} for links. Put back what a crashed
 *       run left in the trash ({@code _wharf/gc-trash}): that was never confirmed unreferenced.
 *   <li>Mark: walk every image (one {@code list} per directory, nothing loaded whole), unlinking
 *       old untagged manifests first when asked and purging old uploads on the way.
 *   <li>Candidates: walk {@code blobs/<alg>/<xx>/<hex>/data}; an unmarked blob whose modification
 *       time is before {@code T - grace} is a candidate.
 *   <li>Links: walk the images once more and note, for each candidate, the {@code _layers} and
 *       {@code _manifests/revisions} links that name it (a cheap first filter).
 *   <li>Sweep, in batches ({@link #SWEEP_BATCH_MIN}): a candidate with a noted link newer than the
 *       link cutoff is kept; the others, after one more look at their own time, are moved into
 *       the trash. Then <em>every</em> image is walked again, images created since the run
 *       started included, for links to the trashed blobs: a blob with a link newer than the
 *       cutoff goes back, the others are deleted from the trash (with their old links). A lease
 *       found lost stops the sweep; what is in the trash then is put back by the next run.
 * </ol>
 *
 * <p><b>Why no push that was answered success loses a blob.</b> The mark runs before the sweep,
 * and bytes written after the mark started are newer than the cutoff, so they are never
 * candidates. What the mark cannot see is a manifest pushed <em>after</em> it passed the image
 * that references an old, unreferenced blob: a layer of a deleted manifest pushed again (the
 * client's {@code HEAD} finds it), or mounted into any image, even a new one ({@code POST
 * ?mount=&from=}, which skopeo and docker do on their own), or uploaded again. Every write that
 * makes a blob referenced follows one rule ({@link BlobStore}): write or refresh the link first,
 * then look at the bytes in {@code blobs/} (strictly: the trash does not count) or write them.
 * The sweep follows the mirror rule: bytes out of {@code blobs/} first, then look at the links.
 * That is Dekker's handshake, through the storage:
 * <ul>
 *   <li>a writer that found the bytes in {@code blobs/} looked before the sweep moved them, so
 *       its link was written before the move, so the walk after the move lists it, with a time
 *       newer than the cutoff, and the bytes go back;
 *   <li>a writer that looks after the move finds them gone: a manifest push fails with {@code
 *       MANIFEST_BLOB_UNKNOWN}, a mount answers {@code 202} (and removes the link it wrote), and
 *       the client uploads the blob; an upload, a manifest's own bytes and a proxy's download
 *       are written after their link, so they end in place whatever the sweep does with its
 *       copy (it only ever deletes the trash, never {@code blobs/}).
 * </ul>
 * "Newer than the cutoff" needs the writer's link to be younger than the window when the sweep
 * looks. The manifest landed after {@code T} (the mark missed it); its references were checked
 * at most {@link BlobStore#REFERENCE_CHECK_VALID_FOR} (3 s) before (a push that took longer
 * checks again); the check left each link younger than {@link BlobStore#LINK_REFRESH_AFTER}
 * (1 s); S3 keeps times in whole seconds (1 s). That is 5 s; the floor of 10 s leaves 5 s for
 * the clocks of the nodes and of the storage to disagree: keep them in sync (NTP).
 *
 * <p>Why not a per-blob deletion state that writers must respect (Harbor's blob status)? It
 * needs a compare-and-set the storage SPI does not have (nor every S3-compatible store), and a
 * state write per blob on every push. The handshake costs a push nothing for fresh layers, one
 * link rewrite per layer older than a second, and one stat; the collector pays instead, one walk
 * of every image's links per batch.
 *
 * <p><b>Pulls</b> of a blob in the trash (between its move and the walk's verdict) read it from
 * there ({@link BlobStore#get}), so an image that stays never blinks.
 *
 * <p><b>Untagged manifests</b> ({@code deleteUntagged}) use the same handshake on revision
 * links: the collector deletes an old untagged revision link, then looks at the manifest's bytes
 * and links it again (and keeps it) if they were written within the window, which a push of that
 * manifest does; a push writes the revision link and the bytes, and after its tag checks that
 * the revision link is still there, rewriting it if not.
 *
 * <p><b>Memory</b> is the set of marked digests (bounded by the number of blobs, not their
 * bytes), the candidates and their links, and one directory listing at a time.
 */
public final class GarbageCollector {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);
  /**
   * The shortest link window, whatever {@code grace} says: the sum of what a link's time may lag
   * behind the moment its writer relied on it (see the class comment: 3 s from a push's check
   * to its manifest landing, 1 s link refresh age, 1 s of S3's whole-second times) and 5 s of
   * clock skew between the nodes and the storage.
   */
  public static final Duration LINK_WINDOW_FLOOR = Duration.ofSeconds(10);

  /**
   * The fewest candidates moved to the trash before the links are walked again. Each batch
   * costs one walk of every image's links, so batches are large; they grow with the number of
   * candidates ({@link #MAX_SWEEP_WALKS}) so that a big collection walks a bounded number of
   * times. Being in the trash costs a blob little: pulls read it there, and a crashed run's
   * trash is put back by the next run.
   */
  static final int SWEEP_BATCH_MIN = 1000;

  /** At most about this many walks of the links per sweep (see {@link #SWEEP_BATCH_MIN}). */
  static final int MAX_SWEEP_WALKS = 10;

  private static final String REPOSITORIES = new StorageLayout().repositoriesRoot();
  /** How long tag history keeps manifests restorable unless configured. */
  public static final Duration DEFAULT_TAG_HISTORY = Duration.ofDays(14);
  private static final ScheduledExecutorService RENEWER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "wharf-gc-lease");
    t.setDaemon(true);
    return t;
  });

  private final StorageDriver driver;
  private final StorageLayout layout = new StorageLayout();
  private final Duration grace;
  private final boolean deleteUntagged;
  private final boolean dryRun;
  private final Duration purgeUploadsAfter;
  private final Duration tagHistory;
  private final Clock clock;
  private final String owner;
  private final Duration leaseTtl;
  private final Duration leaseSettle;

  private GarbageCollector(Builder b) {
    this.driver = CheckedStorageDriver.wrap(b.driver);
    this.grace = b.grace;
    this.deleteUntagged = b.deleteUntagged;
    this.dryRun = b.dryRun;
    this.purgeUploadsAfter = b.purgeUploadsAfter;
    this.tagHistory = b.tagHistory;
    this.clock = b.clock;
    this.owner = b.owner;
    this.leaseTtl = b.leaseTtl;
    this.leaseSettle = b.leaseSettle;
  }

  /**
   * A collector of the blob store on {@code driver}: every repository whose links live there is
   * walked.
   *
   * @param driver the storage
   * @return a builder with the defaults
   */
  public static Builder builder(StorageDriver driver) {
    return new Builder(driver);
  }

  /**
   * Runs one collection.
   *
   * @return what was deleted (or, in a dry run, would be), and what was kept
   * @throws IOException if storage fails; what was moved to the trash is put back by the next run
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
    /** Links (layers and revisions) written since then keep their blob, or their untagged manifest. */
    private final Instant linkCutoff;
    private final Instant uploadCutoff;
    /** Tag history entries since then keep the manifest they name; older ones are removed. */
    private final Instant historyCutoff;
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
      this.linkCutoff = start.minus(grace.compareTo(LINK_WINDOW_FLOOR) > 0 ? grace : LINK_WINDOW_FLOOR);
      this.uploadCutoff = purgeUploadsAfter == null ? null : start.minus(purgeUploadsAfter);
      this.historyCutoff = start.minus(tagHistory);
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
      // Only manifests still in the image: one deleted by digest was removed on purpose (a leaked
      // secret must be purgeable), whatever its history says.
      for (Digest d : historyRoots(image)) {
        if (revisions.contains(d)) {
          roots.add(d);
        }
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

    /**
     * The manifests the image's tag history names within the window, so a tag can be restored to
     * them (with {@code deleteUntagged} they would otherwise go as untagged, e.g. after the tag
     * moved or was deleted). Entries older than the
     * window are removed, except each tag's newest (who last moved it stays known).
     */
    private List<Digest> historyRoots(String image) throws IOException {
      List<Digest> roots = new ArrayList<>();
      for (String tagDir : driver.list(image + "/" + TagHistory.DIR)) {
        List<String> entries = driver.list(tagDir);
        for (int i = 0; i < entries.size(); i++) {
          String entry = entries.get(i);
          Optional<TagRevision> r = driver.getContent(entry).flatMap(TagHistory::parse);
          if (r.isEmpty()) {
            continue;
          }
          boolean newest = i == entries.size() - 1;
          if (!newest && Instant.parse(r.get().time()).isBefore(historyCutoff)) {
            if (!dryRun) {
              driver.delete(entry);
            }
            continue;
          }
          if (r.get().digest() != null) {
            try {
              roots.add(Digest.parse(r.get().digest()));
            } catch (RuntimeException malformed) {
              LOG.warn("ignoring a tag history entry with a malformed digest: {}", entry);
            }
          }
        }
      }
      return roots;
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
      String referrer = subject.map(s -> image + "/_referrers/" + s.digest().algorithm() + "/" + s.digest().hex()
          + "/" + d.algorithm() + "/" + d.hex()).orElse(null);
      if (referrer != null) {
        driver.delete(referrer);
      }
      deleteRacing(parent(link));
      // The other half of the handshake with a push of this manifest (which writes its revision
      // link, then its bytes, then checks the link): bytes written within the window mean a push
      // rewrote them around the delete; link it again and keep it (ManifestStore#ensureLinked).
      if (isYoung(layout.blobData(d))) {
        byte[] target = d.value().getBytes(StandardCharsets.US_ASCII);
        if (referrer != null) {
          driver.putContent(referrer + "/link", target);
        }
        driver.putContent(link, target);
        untagged--;
        keep(image, List.of(d), kept);
        return;
      }
      LOG.debug("unlinked untagged manifest {} from {}", d, image);
    }

    private boolean isYoung(String path) throws IOException {
      Optional<FileInfo> info = driver.stat(path);
      return info.isPresent() && !info.get().modified().isBefore(linkCutoff);
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
      noteAllLinks(candidates.keySet(), links);
    }

    /** Walks every image and notes, into {@code links}, the link paths that name one of {@code digests}. */
    private void noteAllLinks(Set<Digest> digests, Map<Digest, List<String>> links) throws IOException {
      walkImages(REPOSITORIES, (image, kinds) -> {
        if (kinds.contains("_layers")) {
          noteLinks(image + "/_layers", digests, links);
        }
        if (kinds.contains("_manifests")) {
          noteLinks(image + "/_manifests/revisions", digests, links);
        }
      });
    }

    private void noteLinks(String dir, Set<Digest> digests, Map<Digest, List<String>> links) throws IOException {
      for (String algDir : driver.list(dir)) {
        String alg = StorageLayout.lastSegment(algDir);
        for (String hexDir : driver.list(algDir)) {
          Digest d = digest(alg, StorageLayout.lastSegment(hexDir));
          if (d != null && digests.contains(d)) {
            links.computeIfAbsent(d, k -> new ArrayList<>(1)).add(hexDir + "/link");
          }
        }
      }
    }

    // ---- phase 4: sweep

    /** A candidate moved into the trash, waiting for the walk that decides its fate. */
    private record Trashed(Digest digest, long size, String path) {}

    void sweep() throws IOException {
      int batchSize = Math.max(SWEEP_BATCH_MIN, (candidates.size() + MAX_SWEEP_WALKS - 1) / MAX_SWEEP_WALKS);
      List<Trashed> batch = new ArrayList<>();
      for (Map.Entry<Digest, Long> c : candidates.entrySet()) {
        Digest d = c.getKey();
        if (anyNewerThan(links.getOrDefault(d, List.of()), linkCutoff)) {
          relinked++; // linked again since the run started: kept without a trip to the trash
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
        // Out of blobs/ first, links looked at after (see the class comment).
        String trashed = layout.gcTrash(d);
        try {
          driver.move(layout.blobData(d), trashed);
        } catch (PathNotFoundException e) {
          continue;
        }
        batch.add(new Trashed(d, data.get().size(), trashed));
        if (batch.size() >= batchSize) {
          settle(batch);
        }
      }
      settle(batch);
    }

    /**
     * Walks every image (those created since the run started too) for links to the trashed
     * blobs: a blob with a link newer than the cutoff goes back, the others are deleted, with
     * their old links.
     */
    private void settle(List<Trashed> batch) throws IOException {
      if (batch.isEmpty()) {
        return;
      }
      Set<Digest> trashed = new HashSet<>();
      batch.forEach(t -> trashed.add(t.digest()));
      Map<Digest, List<String>> trashedLinks = new HashMap<>();
      noteAllLinks(trashed, trashedLinks);
      for (Trashed t : batch) {
        List<String> its = trashedLinks.getOrDefault(t.digest(), List.of());
        if (anyNewerThan(its, linkCutoff)) {
          restore(t.digest(), t.path());
          relinked++;
          continue;
        }
        requireLease();
        driver.delete(t.path());
        count(t.digest(), t.size());
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
        LOG.debug("deleted unreferenced blob {} ({} bytes)", t.digest(), t.size());
      }
      batch.clear();
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
      for (String entry : driver.list(layout.gcTrashDir())) {
        Optional<Digest> d = StorageLayout.trashedDigest(entry);
        if (d.isEmpty()) {
          driver.delete(entry);
        } else if (!dryRun) {
          restore(d.get(), entry);
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

  private static String revisionLink(String image, Digest d) {
    return image + "/_manifests/revisions/" + d.algorithm() + "/" + d.hex() + "/link";
  }

  private static String parent(String path) {
    return path.substring(0, path.lastIndexOf('/'));
  }

  /** Sets up a {@link GarbageCollector}; from {@link GarbageCollector#builder}. Not thread-safe. */
  public static final class Builder {
    private final StorageDriver driver;
    private Duration grace = Duration.ofHours(1);
    private boolean deleteUntagged;
    private boolean dryRun;
    private Duration purgeUploadsAfter;
    private Duration tagHistory = DEFAULT_TAG_HISTORY;
    private Clock clock = Clock.systemUTC();
    private String owner = GcLease.newOwnerId();
    private Duration leaseTtl = Duration.ofMinutes(5);
    private Duration leaseSettle = Duration.ofSeconds(1);

    private Builder(StorageDriver driver) {
      this.driver = Objects.requireNonNull(driver, "driver");
    }

    /**
     * Unreferenced blobs younger than this survive (pushes upload blobs before their manifest),
     * and so do blobs linked, and untagged manifests linked, more recently than this or than
     * {@link #LINK_WINDOW_FLOOR}, whichever is longer. Default 1 h.
     *
     * @param grace the grace period
     * @return this builder
     */
    public Builder grace(Duration grace) {
      this.grace = requireNonNegative(grace, "grace");
      return this;
    }

    /**
     * Also unlink manifests no tag reaches (older than the grace period). Default off.
     *
     * @param deleteUntagged true to unlink untagged manifests
     * @return this builder
     */
    public Builder deleteUntagged(boolean deleteUntagged) {
      this.deleteUntagged = deleteUntagged;
      return this;
    }

    /**
     * Report what would go, delete nothing.
     *
     * @param dryRun true to delete nothing
     * @return this builder
     */
    public Builder dryRun(boolean dryRun) {
      this.dryRun = dryRun;
      return this;
    }

    /**
     * Purge incomplete uploads with no activity for this long; null (default): keep them.
     *
     * @param age the idle time after which an upload is purged, or null
     * @return this builder
     */
    public Builder purgeUploadsAfter(Duration age) {
      this.purgeUploadsAfter = age == null ? null : requireNonNegative(age, "purgeUploadsAfter");
      return this;
    }

    /**
     * How long the manifests a tag pointed at stay restorable: tag history entries younger than
     * this keep their manifest (and its blobs); older ones are removed. Default 14 days.
     *
     * @param window the window
     * @return this builder
     */
    public Builder tagHistory(Duration window) {
      this.tagHistory = requireNonNegative(window, "tagHistory");
      return this;
    }

    /**
     * The clock for cutoffs and the lease (tests move it).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /**
     * This collector's lease owner id; default one unique per collector.
     *
     * @param owner the owner id, as {@link GcLease} records it
     * @return this builder
     */
    public Builder owner(String owner) {
      this.owner = Objects.requireNonNull(owner);
      return this;
    }

    /**
     * How long the lease lasts without renewal (renewed every third of it). Default 5 min.
     *
     * @param ttl the lease's lifetime
     * @return this builder
     */
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
     *
     * @param settle the wait
     * @return this builder
     */
    public Builder leaseSettle(Duration settle) {
      this.leaseSettle = requireNonNegative(settle, "leaseSettle");
      return this;
    }

    /** {@return the collector, ready to {@link GarbageCollector#run()}} */
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
