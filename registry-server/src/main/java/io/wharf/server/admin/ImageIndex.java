package io.wharf.server.admin;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.Repository;
import io.wharf.core.repository.StorageBacked;
import io.wharf.core.storage.Catalog;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The tags of every image of every storage-backed repository, in memory, so search and browse
 * answer from memory instead of walking storage (100,000 tags are a few seconds of walking on a
 * filesystem and minutes on S3, but microseconds to look up here).
 *
 * <p><b>Derived, never the source of truth.</b> Storage is: the index is built by walking it
 * ({@link Catalog}, the tags' {@code current/link} files and their modification times), and can
 * be thrown away and rebuilt at any time. It follows storage three ways:
 * <ol>
 *   <li>this node's writes: the registry API marks each request that changed an image ({@link
 *       io.wharf.server.http.ManifestChange}); {@link #changed} re-reads that image at once;
 *   <li>other nodes' writes: {@link #changed} also leaves a hint in the store's {@link
 *       StorageLayout#indexJournalDir() index journal}; every node lists the journal each
 *       {@code poll} and re-reads the images named by hints it has not seen. Hints expire after
 *       {@code hintTtl}; a node that could not poll for that long walks everything again;
 *   <li>everything else (a proxy caching a tag on pull, cleanup, another tool writing the
 *       storage): a full walk every {@code walkEvery}.
 * </ol>
 *
 * <p>The set of repositories is asked of {@code repositories} on every poll and never kept:
 * repositories come and go while the server runs. Groups have no storage and no index of their
 * own: their members' indexes answer for them.
 */
final class ImageIndex implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ImageIndex.class);
  /** How long a query waits for a repository's first walk before answering 503. */
  private static final Duration FIRST_WALK_WAIT = Duration.ofSeconds(60);

  /** A tag as indexed: what it points at and when its link was written (its last push). */
  record TagState(Digest digest, Instant pushed) {}

  private final Supplier<Collection<Repository>> repositories;
  private final ManifestFacts facts;
  private final Clock clock;
  private final Duration hintTtl;
  private final Duration walkEvery;
  private final Map<String, RepoIndex> indexes = new ConcurrentHashMap<>();
  /** One journal per storage (by identity: the repositories of one blob store share its driver). */
  private final Map<StorageDriver, Journal> journals = Collections.synchronizedMap(new IdentityHashMap<>());
  private final ScheduledExecutorService poller;
  private final ExecutorService walker;
  private volatile Instant lastPoll;

  /**
   * @param repositories the registry's repositories now (asked on every poll)
   * @param facts read for every tag after a walk, so the first page of a listing is as fast as the next
   * @param poll how often the journal is read and the repository set compared
   * @param hintTtl how long a hint stays in the journal
   * @param walkEvery how often everything is walked again
   */
  ImageIndex(Supplier<Collection<Repository>> repositories, ManifestFacts facts, Clock clock, Duration poll,
      Duration hintTtl, Duration walkEvery) {
    this.repositories = repositories;
    this.facts = facts;
    this.clock = clock;
    this.hintTtl = hintTtl;
    this.walkEvery = walkEvery;
    this.lastPoll = clock.instant();
    this.poller = Executors.newSingleThreadScheduledExecutor(daemon("wharf-index-poll"));
    this.walker = Executors.newSingleThreadExecutor(daemon("wharf-index-walk"));
    poller.execute(this::syncRepositories);
    poller.scheduleWithFixedDelay(this::poll, poll.toMillis(), poll.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The index with the defaults: hints read each second, kept five minutes, everything walked every ten. */
  static ImageIndex start(Supplier<Collection<Repository>> repositories, ManifestFacts facts) {
    return new ImageIndex(repositories, facts, Clock.systemUTC(), Duration.ofSeconds(1), Duration.ofMinutes(5),
        Duration.ofMinutes(10));
  }

  private static java.util.concurrent.ThreadFactory daemon(String name) {
    return r -> {
      Thread t = new Thread(r, name);
      t.setDaemon(true);
      return t;
    };
  }

  // ---------------------------------------------------------------- queries

  /**
   * The indexed images of {@code repository} (image name to its tags, both sorted), waiting for
   * its first walk if it is new; empty for a repository without storage (a group).
   *
   * @throws ManagementException {@code UNAVAILABLE} if the first walk takes too long
   */
  NavigableMap<String, NavigableMap<String, TagState>> images(Repository repository) {
    RepoIndex index = indexOf(repository);
    return index == null ? Collections.emptyNavigableMap() : index.awaitReady();
  }

  /** The repository's storage and layout, or null for one without storage. */
  StorageBacked storage(Repository repository) {
    return repository instanceof StorageBacked s ? s : null;
  }

  private RepoIndex indexOf(Repository repository) {
    if (!(repository instanceof StorageBacked stored)) {
      return null;
    }
    RepoIndex existing = indexes.get(repository.name());
    if (existing != null && existing.repository == repository) {
      return existing;
    }
    // New, or replaced by a repository of the same name (changed live): walk it.
    RepoIndex fresh = new RepoIndex(repository, stored.storage(), stored.layout());
    RepoIndex won = indexes.compute(repository.name(),
        (k, v) -> v != null && v.repository == repository ? v : fresh);
    if (won == fresh) {
      journal(fresh.driver); // start following other nodes before the walk: nothing falls between
      walker.execute(fresh::walk);
    }
    return won;
  }

  // ---------------------------------------------------------------- changes

  /**
   * This node changed {@code image} in {@code repository} (for a group: in one of its members):
   * re-reads it now and tells the other nodes sharing the storage.
   */
  void changed(Repository repository, ImageName image) {
    if (repository instanceof GroupRepository g) {
      g.members().forEach(m -> changed(m, image));
      return;
    }
    RepoIndex index = indexOf(repository);
    if (index == null) {
      return;
    }
    try {
      index.reread(image.value());
    } catch (IOException | RuntimeException e) {
      LOG.warn("could not re-read {} in {} for the search index; the next walk will: {}", image,
          repository.name(), e.toString());
    }
    Journal journal = journal(index.driver);
    String root = index.layout.repositoriesRoot();
    poller.execute(() -> journal.write(root, image.value()));
  }

  private Journal journal(StorageDriver driver) {
    synchronized (journals) {
      return journals.computeIfAbsent(driver, d -> new Journal(d, new StorageLayout().indexJournalDir()));
    }
  }

  // ---------------------------------------------------------------- refresh

  private void poll() {
    try {
      Instant now = clock.instant();
      boolean stalled = Duration.between(lastPoll, now).compareTo(hintTtl.dividedBy(2)) > 0;
      lastPoll = now;
      syncRepositories();
      List<Journal> all;
      synchronized (journals) {
        all = List.copyOf(journals.values());
      }
      for (Journal j : all) {
        j.read(now);
      }
      for (RepoIndex index : indexes.values()) {
        // A stalled node may have missed expired hints: walk again, as after walkEvery.
        if (index.walked != null && (stalled || Duration.between(index.walked, now).compareTo(walkEvery) > 0)) {
          index.walked = null;
          walker.execute(index::walk);
        }
      }
    } catch (RuntimeException e) {
      LOG.warn("search index refresh failed; retrying: {}", e.toString());
    }
  }

  /**
   * Walks every repository again soon (in the background; queries answer from the current index
   * meanwhile): after this node's maintenance deleted tags, which no request marked as changed.
   */
  void walkAgain() {
    for (RepoIndex index : indexes.values()) {
      if (index.walked != null) {
        index.walked = null;
        walker.execute(index::walk);
      }
    }
  }

  /** Indexes the repositories that appeared, forgets those that are gone. */
  private void syncRepositories() {
    Set<String> names = new HashSet<>();
    for (Repository r : repositories.get()) {
      names.add(r.name());
      indexOf(r);
    }
    indexes.keySet().retainAll(names);
  }

  /**
   * Stops polling and walking. Hints already queued are still written (other nodes learn of this
   * node's last changes), and this returns only once nothing of this index touches storage any
   * more: a server that has stopped leaves its store alone.
   */
  @Override
  public void close() {
    walker.shutdownNow();
    poller.shutdown(); // the periodic poll ends; queued hint writes run
    try {
      if (!poller.awaitTermination(30, TimeUnit.SECONDS)) {
        poller.shutdownNow();
      }
      walker.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      poller.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------- one repository

  private final class RepoIndex {
    final Repository repository;
    final StorageDriver driver;
    final StorageLayout layout;
    final ConcurrentSkipListMap<String, NavigableMap<String, TagState>> images = new ConcurrentSkipListMap<>();
    /** When each image was last re-read for a change (nanoTime), so a walk never puts back an older read. */
    final Map<String, Long> reread = new ConcurrentHashMap<>();
    final CompletableFuture<Void> ready = new CompletableFuture<>();
    /** When the last walk started; null while one is queued or running. */
    volatile Instant walked;

    RepoIndex(Repository repository, StorageDriver driver, StorageLayout layout) {
      this.repository = repository;
      this.driver = driver;
      this.layout = layout;
    }

    NavigableMap<String, NavigableMap<String, TagState>> awaitReady() {
      try {
        ready.get(FIRST_WALK_WAIT.toSeconds(), TimeUnit.SECONDS);
      } catch (TimeoutException e) {
        throw new ManagementException(ManagementException.Reason.UNAVAILABLE,
            "the search index of repository " + repository.name() + " is still being built; try again shortly");
      } catch (ExecutionException e) {
        throw new ManagementException(ManagementException.Reason.UNAVAILABLE,
            "the search index of repository " + repository.name() + " could not be built: " + e.getCause());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ManagementException(ManagementException.Reason.UNAVAILABLE, "interrupted");
      }
      return images;
    }

    void walk() {
      Instant started = clock.instant();
      long startedNanos = System.nanoTime();
      try {
        List<String> found = new Catalog(driver, layout).images();
        for (String image : found) {
          NavigableMap<String, TagState> tags = readTags(ImageName.of(image));
          Long touched = reread.get(image);
          if (touched == null || touched < startedNanos) {
            images.put(image, tags);
          }
        }
        Set<String> present = new HashSet<>(found);
        images.keySet().removeIf(i -> !present.contains(i) && reread.getOrDefault(i, 0L) < startedNanos);
        reread.values().removeIf(t -> t < startedNanos);
        ready.complete(null);
        LOG.debug("search index of {}: {} images walked in {} ms", repository.name(), found.size(),
            (System.nanoTime() - startedNanos) / 1_000_000);
        warm();
      } catch (IOException | RuntimeException e) {
        LOG.warn("walking repository {} for the search index failed; retrying at the next walk: {}",
            repository.name(), e.toString());
      } finally {
        walked = started;
      }
    }

    /**
     * Reads what every indexed manifest says (cached by digest: after the first walk only new
     * manifests are read), so paging through a repository never waits for storage. Stops with
     * the index.
     */
    private void warm() {
      StorageBacked stored = (StorageBacked) repository;
      for (NavigableMap<String, TagState> tags : images.values()) {
        for (TagState t : tags.values()) {
          if (Thread.currentThread().isInterrupted()) {
            return;
          }
          try {
            facts.of(stored, t.digest());
          } catch (IOException | RuntimeException e) {
            LOG.debug("could not read manifest {} of {}: {}", t.digest(), repository.name(), e.toString());
          }
        }
      }
    }

    void reread(String image) throws IOException {
      reread.put(image, System.nanoTime());
      ImageName name = ImageName.of(image);
      if (driver.stat(layout.manifestsDir(name)).isEmpty()) {
        images.remove(image);
      } else {
        images.put(image, readTags(name));
      }
    }

    private NavigableMap<String, TagState> readTags(ImageName image) throws IOException {
      TreeMap<String, TagState> out = new TreeMap<>();
      for (String dir : driver.list(layout.tagsDir(image))) {
        String name = StorageLayout.lastSegment(dir);
        if (!Tag.isValid(name)) {
          continue;
        }
        String link = layout.tagCurrentLink(image, Tag.of(name));
        Optional<Digest> target = StorageLayout.readLink(driver, link);
        Optional<FileInfo> info = target.isEmpty() ? Optional.empty() : driver.stat(link);
        if (target.isPresent() && info.isPresent()) {
          out.put(name, new TagState(target.get(), info.get().modified()));
        }
      }
      return Collections.unmodifiableNavigableMap(out);
    }
  }

  // ---------------------------------------------------------------- the journal of one storage

  /** The hints of one storage: written for this node's changes, read for the others'. */
  private final class Journal {
    private final StorageDriver driver;
    private final String dir;
    /** Hints already applied (or written here); forgotten once they leave the journal. */
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    Journal(StorageDriver driver, String dir) {
      this.driver = driver;
      this.dir = dir;
    }

    void write(String root, String image) {
      String name = clock.millis() + "-" + UUID.randomUUID();
      seen.add(name);
      try {
        driver.putContent(dir + "/" + name, (root + "\n" + image).getBytes(StandardCharsets.UTF_8));
      } catch (IOException | RuntimeException e) {
        LOG.warn("could not leave a search index hint for {} (other nodes see it at their next walk): {}", image,
            e.toString());
      }
    }

    /** Applies the hints not seen yet; drops expired ones. Runs on the poller only. */
    void read(Instant now) {
      List<String> listed;
      try {
        listed = driver.list(dir);
      } catch (IOException | RuntimeException e) {
        LOG.debug("could not list the search index journal: {}", e.toString());
        return;
      }
      Set<String> names = new HashSet<>();
      for (String path : listed) {
        String name = StorageLayout.lastSegment(path);
        names.add(name);
        if (expired(name, now)) {
          delete(path);
          continue;
        }
        if (seen.add(name)) {
          apply(path);
        }
      }
      seen.retainAll(names);
    }

    private boolean expired(String name, Instant now) {
      int dash = name.indexOf('-');
      try {
        return dash > 0 && Instant.ofEpochMilli(Long.parseLong(name.substring(0, dash))).plus(hintTtl).isBefore(now);
      } catch (NumberFormatException e) {
        return false; // not a hint; leave it alone
      }
    }

    private void apply(String path) {
      try {
        Optional<byte[]> content = driver.getContent(path);
        if (content.isEmpty()) {
          return;
        }
        String[] hint = new String(content.get(), StandardCharsets.UTF_8).split("\n", 2);
        if (hint.length != 2 || !ImageName.isValid(hint[1])) {
          return;
        }
        for (RepoIndex index : indexes.values()) {
          if (index.driver == driver && index.layout.repositoriesRoot().equals(hint[0])) {
            index.reread(hint[1]);
          }
        }
      } catch (IOException | RuntimeException e) {
        LOG.debug("could not apply search index hint {}: {}", path, e.toString());
      }
    }

    private void delete(String path) {
      try {
        driver.delete(path);
      } catch (IOException | RuntimeException e) {
        LOG.debug("could not delete expired search index hint {}: {}", path, e.toString());
      }
    }
  }
}
