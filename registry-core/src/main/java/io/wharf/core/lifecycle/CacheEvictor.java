package io.wharf.core.lifecycle;

import io.wharf.core.lifecycle.StoredImage.TagLink;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.storage.Catalog;
import io.wharf.core.storage.CheckedStorageDriver;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a proxy repository's cache (its namespace of a blob store) within {@link CacheLimits}.
 *
 * <p><b>The unit</b> of eviction is a cached root manifest, a tag target or an untagged manifest
 * that no cached index lists, with its index children: what one {@code docker pull} brings in.
 * Its size is that of its distinct cached blobs (the manifests themselves, configs and layers
 * linked into the image); its last use is the latest of when it was cached (its revision link
 * and its tags' links, which the proxy rewrites when it revalidates a tag) and of the pulls the
 * repository's {@link AccessLog} recorded of its tags, its root and its children. Blobs linked
 * into an image that no cached manifest uses form one more unit of that image, last used when
 * the newest of them was linked.
 *
 * <p><b>A run</b> evicts the units unused for longer than {@code maxUnusedAge}, then the least
 * recently used ones until the distinct blobs of the whole namespace (a blob shared by several
 * images or units counts once) add up to at most {@code maxSize}. Evicting a unit removes its
 * tags, the revision links of its manifests and the {@code _layers} links of its blobs that no
 * remaining manifest of the image uses. The next pull then fetches from the upstream again, and
 * the {@link io.wharf.core.gc.GarbageCollector} reclaims the bytes once nothing links them.
 *
 * <p><b>While serving</b> nothing breaks: a proxy serves a manifest it no longer finds by fetching
 * it again, and links a blob whose bytes are still stored. A pull during the run may still lose
 * its unit (it was least recently used when the run looked); links written less than a minute
 * before the run started are left alone. Without an access log, last use is when the unit was
 * cached, so the eviction is least recently cached first.
 *
 * <p><b>Memory</b>: the digests of every cached manifest and blob of the namespace with their sizes
 * (the size limit is over the whole namespace), one image's listings at a time; no blob bytes.
 */
public final class CacheEvictor {
  private static final Logger LOG = LoggerFactory.getLogger(CacheEvictor.class);

  private final StorageDriver driver;
  private final StorageLayout layout;
  private final CacheLimits limits;
  private final AccessLog accessLog;
  private final boolean dryRun;
  private final Clock clock;

  private CacheEvictor(Builder b) {
    this.driver = CheckedStorageDriver.wrap(b.driver);
    this.layout = new StorageLayout(b.namespace);
    this.limits = b.limits;
    this.accessLog = b.accessLog;
    this.dryRun = b.dryRun;
    this.clock = b.clock;
  }

  /**
   * An evictor for the proxy repository whose cache is on {@code driver} (set its namespace with
   * {@link Builder#namespace}).
   *
   * @param driver the proxy repository's storage
   * @param limits how much the cache may hold
   * @return a builder
   */
  public static Builder builder(StorageDriver driver, CacheLimits limits) {
    return new Builder(driver, limits);
  }

  /**
   * One root manifest and its children ({@code root} null: the image's blobs no manifest uses).
   * {@code blobs} are the cached blobs linked into the image, apart from the manifests.
   */
  private record Unit(ImageName image, Digest root, List<TagLink> tags, Set<Digest> manifests, Set<Digest> blobs,
      Instant lastUse) {
    String describe() {
      if (root == null) {
        return image + " (blobs no cached manifest uses)";
      }
      String names = tags.stream().map(t -> t.tag().value()).sorted().collect(Collectors.joining(","));
      return image + (names.isEmpty() ? "" : ":" + names) + "@" + root;
    }
  }

  /**
   * Runs the eviction once (see "A run" above), or in a dry run only reports what it would
   * evict. The bytes stay until the next garbage collection.
   *
   * @return what was evicted (or would be)
   * @throws IOException if storage fails; what was evicted so far stays evicted
   */
  public EvictionReport run() throws IOException {
    long started = System.nanoTime();
    Instant now = clock.instant();
    Map<ImageName, List<Unit>> byImage = new LinkedHashMap<>();
    Map<Digest, Long> sizes = new HashMap<>();
    Map<Digest, Integer> users = new HashMap<>();
    for (String name : new Catalog(driver, layout).images()) {
      ImageName image = ImageName.of(name);
      List<Unit> units = scan(StoredImage.read(driver, layout, image), sizes);
      byImage.put(image, units);
      for (Unit u : units) {
        union(u.manifests(), u.blobs()).forEach(d -> users.merge(d, 1, Integer::sum));
      }
    }
    long sizeBefore = 0;
    for (Digest d : users.keySet()) {
      sizeBefore += sizes.getOrDefault(d, 0L);
    }

    // Choose: too old first, then least recently used while over the size limit.
    List<Unit> all = new ArrayList<>();
    byImage.values().forEach(all::addAll);
    all.sort(Comparator.comparing(Unit::lastUse).thenComparing(Unit::describe));
    Set<Unit> evicted = Collections.newSetFromMap(new IdentityHashMap<>());
    List<Unit> order = new ArrayList<>();
    long size = sizeBefore;
    for (Unit u : all) {
      boolean tooOld = limits.maxUnusedAge() != null && u.lastUse().isBefore(now.minus(limits.maxUnusedAge()));
      boolean tooBig = limits.maxSize() != null && size > limits.maxSize();
      if (!tooOld && !tooBig) {
        break; // the units after this one are used more recently still, and the size only went down
      }
      evicted.add(u);
      order.add(u);
      for (Digest d : union(u.manifests(), u.blobs())) {
        if (users.merge(d, -1, Integer::sum) == 0) {
          size -= sizes.getOrDefault(d, 0L);
        }
      }
    }

    Counts counts = new Counts();
    for (Map.Entry<ImageName, List<Unit>> e : byImage.entrySet()) {
      List<Unit> gone = e.getValue().stream().filter(evicted::contains).toList();
      if (!gone.isEmpty()) {
        evict(e.getKey(), gone, e.getValue().stream().filter(u -> !evicted.contains(u)).toList(), now, counts);
      }
    }
    List<String> sample = order.stream().limit(EvictionReport.SAMPLE_SIZE).map(Unit::describe).toList();
    EvictionReport report = new EvictionReport(dryRun, byImage.size(), all.size(), evicted.size(), counts.tags,
        counts.manifests, sizeBefore - size, sizeBefore, size, sample, Duration.ofNanos(System.nanoTime() - started));
    LOG.info("cache eviction of {}{}: {}", driver.name(), layout.repositoriesRoot(), report);
    return report;
  }

  /** The units of one image; notes the size of every cached blob and manifest in {@code sizes}. */
  private List<Unit> scan(StoredImage image, Map<Digest, Long> sizes) throws IOException {
    Set<Digest> linked = new LinkedHashSet<>();
    for (Digest d : image.linkedBlobs()) {
      Optional<Long> size = image.blobSize(d);
      if (size.isPresent()) { // a link without bytes caches nothing
        linked.add(d);
        sizes.put(d, size.get());
      }
    }
    Set<Digest> children = new HashSet<>();
    for (Digest d : image.revisions()) {
      StoredImage.Refs refs = image.refs(d);
      children.addAll(refs.children());
      if (refs.size() > 0) {
        sizes.put(d, refs.size());
      }
    }
    Map<Digest, List<TagLink>> tagsOf = new LinkedHashMap<>();
    for (TagLink t : image.tags()) {
      if (image.revisions().contains(t.target())) {
        tagsOf.computeIfAbsent(t.target(), k -> new ArrayList<>()).add(t);
      }
    }
    Set<Digest> roots = new LinkedHashSet<>(tagsOf.keySet());
    for (Digest d : image.revisions()) {
      if (!children.contains(d)) {
        roots.add(d);
      }
    }
    List<Unit> units = new ArrayList<>();
    Set<Digest> used = new HashSet<>();
    for (Digest root : roots) {
      List<TagLink> tags = tagsOf.getOrDefault(root, List.of());
      Set<Digest> manifests = image.reachable(List.of(root));
      Set<Digest> blobs = new LinkedHashSet<>();
      Instant last = image.revisionWritten(root).orElse(Instant.EPOCH);
      for (TagLink t : tags) {
        last = latest(last, Optional.of(t.written()));
        last = latest(last, pulled(image.name(), t.tag()));
      }
      for (Digest m : manifests) {
        last = latest(last, pulled(image.name(), m));
        for (Digest b : image.refs(m).blobs()) {
          if (linked.contains(b)) {
            blobs.add(b);
          }
        }
      }
      used.addAll(blobs);
      units.add(new Unit(image.name(), root, tags, manifests, blobs, last));
    }
    Set<Digest> loose = new LinkedHashSet<>(linked);
    loose.removeAll(used);
    if (!loose.isEmpty()) {
      Instant last = Instant.EPOCH;
      for (Digest d : loose) {
        last = latest(last, image.layerLinkWritten(d));
      }
      units.add(new Unit(image.name(), null, List.of(), Set.of(), loose, last));
    }
    return units;
  }

  private static final class Counts {
    long tags;
    long manifests;
  }

  /** Removes the {@code gone} units of one image, keeping what its {@code kept} units use. */
  private void evict(ImageName name, List<Unit> gone, List<Unit> kept, Instant now, Counts counts) throws IOException {
    Instant cutoff = now.minus(CleanupJob.LINK_WINDOW);
    StoredImage image = StoredImage.read(driver, layout, name); // fresh: what was unlinked since the scan is gone
    Set<Digest> keptManifests = new HashSet<>();
    Set<Digest> keptBlobs = new HashSet<>();
    for (Unit u : kept) {
      keptManifests.addAll(u.manifests());
      keptBlobs.addAll(u.blobs());
    }
    Set<Digest> manifests = new LinkedHashSet<>();
    Set<Digest> blobs = new LinkedHashSet<>();
    for (Unit u : gone) {
      for (TagLink t : u.tags()) {
        if (dryRun || image.untag(t)) {
          counts.tags++;
          if (!dryRun && accessLog != null) {
            accessLog.forget(name, t.tag());
          }
        }
      }
      manifests.addAll(u.manifests());
      blobs.addAll(u.blobs());
    }
    manifests.removeAll(keptManifests);
    blobs.removeAll(keptBlobs);
    for (Digest d : manifests) {
      if (dryRun ? image.isRevisionOlderThan(d, cutoff) : image.unlinkManifest(d, cutoff)) {
        counts.manifests++;
        if (!dryRun && accessLog != null) {
          accessLog.forget(name, d);
        }
      }
    }
    if (!dryRun) {
      for (Digest d : blobs) {
        image.unlinkBlob(d, cutoff);
      }
    }
  }

  private Optional<Instant> pulled(ImageName image, Reference ref) throws IOException {
    return accessLog == null ? Optional.empty() : accessLog.lastPulled(image, ref);
  }

  private static Instant latest(Instant a, Optional<Instant> b) {
    return b.isPresent() && b.get().isAfter(a) ? b.get() : a;
  }

  private static Set<Digest> union(Set<Digest> a, Set<Digest> b) {
    Set<Digest> out = new HashSet<>(a);
    out.addAll(b);
    return out;
  }

  /** Sets up a {@link CacheEvictor}; from {@link CacheEvictor#builder}. Not thread-safe. */
  public static final class Builder {
    private final StorageDriver driver;
    private final CacheLimits limits;
    private String namespace;
    private AccessLog accessLog;
    private boolean dryRun;
    private Clock clock = Clock.systemUTC();

    private Builder(StorageDriver driver, CacheLimits limits) {
      this.driver = Objects.requireNonNull(driver, "driver");
      this.limits = Objects.requireNonNull(limits, "limits");
    }

    /**
     * The namespace of the proxy repository (as given to its builder); default none.
     *
     * @param namespace the namespace, or null or empty for none
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /**
     * The proxy repository's access log; without one, last use is when a unit was cached.
     *
     * @param accessLog the repository's access log
     * @return this builder
     */
    public Builder accessLog(AccessLog accessLog) {
      this.accessLog = accessLog;
      return this;
    }

    /**
     * Report what would go, remove nothing.
     *
     * @param dryRun true to remove nothing
     * @return this builder
     */
    public Builder dryRun(boolean dryRun) {
      this.dryRun = dryRun;
      return this;
    }

    /**
     * The clock ages are measured against (tests move it).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the evictor.
     *
     * @return the evictor
     * @throws IllegalArgumentException if the access log is another namespace's
     */
    public CacheEvictor build() {
      if (accessLog != null) {
        accessLog.requireNamespace(namespace, "the cache evictor");
      }
      return new CacheEvictor(this);
    }
  }
}
