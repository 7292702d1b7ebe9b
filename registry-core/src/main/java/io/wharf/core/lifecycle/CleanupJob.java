package io.wharf.core.lifecycle;

import io.wharf.core.lifecycle.StoredImage.TagLink;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.storage.Catalog;
import io.wharf.core.storage.CheckedStorageDriver;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link CleanupPolicy} to the images of one hosted repository (its storage and
 * namespace), one image at a time.
 *
 * <p>For each image it deletes the tags the policy selects, then unlinks the manifests that only
 * those tags used: the targets of the deleted tags, their index children and their OCI
 * referrers, except those that a remaining tag points at or that a kept manifest (a remaining
 * tag's target, or any other revision of the image, untagged ones included) reaches as an
 * index child. So a tag whose manifest another tag or an index still uses goes alone. Blob
 * bytes are never touched: the {@link io.wharf.core.gc.GarbageCollector} reclaims them once no
 * kept manifest references them; untagged manifests that were already there are the collector's
 * business too ({@code deleteUntagged}).
 *
 * <p><b>While serving.</b> A tag is deleted only if its link is unchanged since it was read, so a
 * push of that tag during the run wins. A manifest is unlinked only if its revision link was
 * written more than {@link #LINK_WINDOW} before the run started: a push that uses it rewrites
 * that link. After unlinking, the image's tags are read again and any manifest a tag now reaches
 * is linked back. What remains is a push in the instant between that last read and the unlink,
 * which leaves a tag whose manifest is unknown until it is pushed again. Other nodes (and this
 * node's repository) may serve a deleted tag from their metadata cache for its TTL (default 5 s).
 * Runs are idempotent; run them on one node.
 *
 * <p><b>Memory</b>: the image names, and one image's tags and manifest digests at a time.
 */
public final class CleanupJob {
  private static final Logger LOG = LoggerFactory.getLogger(CleanupJob.class);
  /** Manifests whose revision link is younger than this at the start of a run are left for the next one. */
  static final Duration LINK_WINDOW = Duration.ofMinutes(1);

  private final StorageDriver driver;
  private final StorageLayout layout;
  private final CleanupPolicy policy;
  private final AccessLog accessLog;
  private final boolean dryRun;
  private final Clock clock;

  private CleanupJob(Builder b) {
    this.driver = CheckedStorageDriver.wrap(b.driver);
    this.layout = new StorageLayout(b.namespace);
    this.policy = b.policy;
    this.accessLog = b.accessLog;
    this.dryRun = b.dryRun;
    this.clock = b.clock;
  }

  /**
   * A job for the repository whose images are on {@code driver} (set its namespace with {@link
   * Builder#namespace}).
   *
   * @param driver the repository's storage
   * @param policy what to remove
   * @return a builder
   */
  public static Builder builder(StorageDriver driver, CleanupPolicy policy) {
    return new Builder(driver, policy);
  }

  /**
   * Runs the cleanup once: deletes the tags the policy selects and unlinks the manifests only
   * they used, or in a dry run only reports them. The bytes stay until the next garbage collection.
   *
   * @return what was removed (or would be)
   * @throws IOException if storage fails; what was removed so far stays removed, and the next
   *     run continues
   */
  public CleanupReport run() throws IOException {
    long started = System.nanoTime();
    Run run = new Run(clock.instant());
    for (String name : new Catalog(driver, layout).images()) {
      run.image(StoredImage.read(driver, layout, ImageName.of(name)));
    }
    CleanupReport report = new CleanupReport(dryRun, run.images, run.tags, run.manifests, List.copyOf(run.sample),
        Duration.ofNanos(System.nanoTime() - started));
    LOG.info("cleanup of {}{}: {}", driver.name(), layout.repositoriesRoot(), report);
    return report;
  }

  private final class Run {
    private final Instant now;
    private final Instant cutoff;
    private final Predicate<String> filter = policy.tagFilter();
    private final List<String> sample = new ArrayList<>();
    private long images;
    private long tags;
    private long manifests;

    Run(Instant now) {
      this.now = now;
      this.cutoff = now.minus(LINK_WINDOW);
    }

    void image(StoredImage image) throws IOException {
      images++;
      List<TagLink> selected = select(image);
      if (selected.isEmpty()) {
        return;
      }
      Set<TagLink> deleted = new HashSet<>();
      for (TagLink t : selected) {
        if (dryRun || image.untag(t)) {
          deleted.add(t);
          tags++;
          if (sample.size() < CleanupReport.SAMPLE_SIZE) {
            sample.add(image.name() + ":" + t.tag().value());
          }
          if (!dryRun && accessLog != null) {
            accessLog.forget(image.name(), t.tag());
          }
        }
      }
      Set<Digest> remainingTargets = new LinkedHashSet<>();
      Set<Digest> untaggedTargets = new LinkedHashSet<>();
      for (TagLink t : image.tags()) {
        (deleted.contains(t) ? untaggedTargets : remainingTargets).add(t.target());
      }
      removeUnused(image, untaggedTargets, remainingTargets);
    }

    /** The tags of {@code image} the policy deletes. */
    private List<TagLink> select(StoredImage image) throws IOException {
      List<TagLink> candidates = new ArrayList<>();
      for (TagLink t : image.tags()) {
        if (filter.test(t.tag().value())) {
          candidates.add(t);
        }
      }
      // Newest first; equal push times (S3 keeps whole seconds) ordered by name for a stable answer.
      candidates.sort(Comparator.comparing(TagLink::written).thenComparing(t -> t.tag().value()).reversed());
      List<TagLink> out = new ArrayList<>();
      for (int i = policy.keepLatest(); i < candidates.size(); i++) {
        TagLink t = candidates.get(i);
        if (policy.olderThan() != null && !t.written().isBefore(now.minus(policy.olderThan()))) {
          continue;
        }
        if (policy.notPulledFor() != null && !lastUse(image, t).isBefore(now.minus(policy.notPulledFor()))) {
          continue;
        }
        out.add(t);
      }
      return out;
    }

    /**
     * A tag's last use: its last push, its last pull by tag, and the last pull by digest of its
     * manifest or, for an index, of any child (a platform's pull names the child).
     */
    private Instant lastUse(StoredImage image, TagLink t) throws IOException {
      Instant last = t.written();
      List<Optional<Instant>> pulls = new ArrayList<>();
      pulls.add(accessLog.lastPulled(image.name(), t.tag()));
      Set<Digest> manifests = new LinkedHashSet<>(List.of(t.target()));
      manifests.addAll(image.reachable(List.of(t.target())));
      for (Digest d : manifests) {
        pulls.add(accessLog.lastPulled(image.name(), d));
      }
      for (Optional<Instant> pulled : pulls) {
        if (pulled.isPresent() && pulled.get().isAfter(last)) {
          last = pulled.get();
        }
      }
      return last;
    }

    /**
     * Unlinks what only the deleted tags used: their targets, index children and referrers, less
     * what the remaining tags and the image's other revisions reach.
     */
    private void removeUnused(StoredImage image, Set<Digest> untaggedTargets, Set<Digest> remainingTargets)
        throws IOException {
      Set<Digest> candidates = image.reachable(untaggedTargets);
      if (candidates.isEmpty()) {
        return;
      }
      // A referrer (signature, SBOM) lives as long as its subject: the referrers of what goes are
      // candidates too, which can only shrink what is kept, so this ends.
      Set<Digest> unused;
      while (true) {
        Set<Digest> roots = new LinkedHashSet<>(remainingTargets);
        for (Digest d : image.revisions()) {
          if (!candidates.contains(d)) {
            roots.add(d);
          }
        }
        unused = new LinkedHashSet<>(candidates);
        unused.removeAll(image.reachable(roots));
        List<Digest> referrers = new ArrayList<>();
        for (Digest d : unused) {
          for (Digest r : image.referrers(d)) {
            if (image.revisions().contains(r) && !candidates.contains(r)) {
              referrers.add(r);
            }
          }
        }
        if (referrers.isEmpty()) {
          break;
        }
        candidates.addAll(image.reachable(referrers));
      }
      Set<Digest> removed = new LinkedHashSet<>();
      for (Digest d : unused) {
        if (dryRun ? image.isRevisionOlderThan(d, cutoff) : image.unlinkManifest(d, cutoff)) {
          removed.add(d);
        }
      }
      if (!dryRun && !removed.isEmpty()) {
        relinkWhatTagsReachNow(image, removed);
        for (Digest d : removed) {
          if (accessLog != null) {
            accessLog.forget(image.name(), d);
          }
        }
      }
      manifests += removed.size();
    }

    /** A push that tagged one of the removed manifests during the run gets it back. */
    private void relinkWhatTagsReachNow(StoredImage image, Set<Digest> removed) throws IOException {
      List<Digest> targets = new ArrayList<>();
      for (TagLink t : StoredImage.readTags(driver, layout, image.name())) {
        targets.add(t.target());
      }
      for (Digest d : image.reachable(targets)) {
        if (removed.remove(d)) {
          image.relinkManifest(d);
          LOG.info("cleanup: {}@{} was tagged again during the run; linked it back", image.name(), d);
        }
      }
    }
  }

  /** Sets up a {@link CleanupJob}; from {@link CleanupJob#builder}. Not thread-safe. */
  public static final class Builder {
    private final StorageDriver driver;
    private final CleanupPolicy policy;
    private String namespace;
    private AccessLog accessLog;
    private boolean dryRun;
    private Clock clock = Clock.systemUTC();

    private Builder(StorageDriver driver, CleanupPolicy policy) {
      this.driver = Objects.requireNonNull(driver, "driver");
      this.policy = Objects.requireNonNull(policy, "policy");
    }

    /**
     * The namespace of the repository (as given to its builder); default none.
     *
     * @param namespace the namespace, or null or empty for none
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /**
     * The repository's access log: needed for {@code notPulledFor}; also forgets the pulls of
     * what the job deletes, so the log does not grow with deleted tags.
     *
     * @param accessLog the repository's access log
     * @return this builder
     */
    public Builder accessLog(AccessLog accessLog) {
      this.accessLog = accessLog;
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
     * The clock the ages are measured against (tests move it).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Builds the job.
     *
     * @return the job
     * @throws IllegalArgumentException if the policy needs pull times ({@code notPulledFor}) and no
     *     access log was given, or
   *     the access log is another namespace's
     */
    public CleanupJob build() {
      if (policy.notPulledFor() != null && accessLog == null) {
        throw new IllegalArgumentException("a cleanup policy with notPulledFor needs the repository's access log");
      }
      if (accessLog != null) {
        accessLog.requireNamespace(namespace, "the cleanup");
      }
      return new CleanupJob(this);
    }
  }
}
