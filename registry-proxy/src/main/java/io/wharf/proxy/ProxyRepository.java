package io.wharf.proxy;

import com.google.common.base.Ticker;
import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.error.UpstreamIOException;
import io.wharf.core.lifecycle.AccessLog;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.manifest.ManifestParser;
import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.quota.RepositoryUsage;
import io.wharf.core.repository.Blob;
import io.wharf.core.repository.Page;
import io.wharf.core.repository.Referrer;
import io.wharf.core.repository.Repository;
import io.wharf.core.repository.RepositoryType;
import io.wharf.core.repository.StorageBacked;
import io.wharf.core.repository.Warnings;
import io.wharf.core.storage.BlobStore;
import io.wharf.core.storage.Catalog;
import io.wharf.core.storage.CheckedStorageDriver;
import io.wharf.core.storage.ManifestStore;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import io.wharf.core.storage.TagStore;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A pull-through cache of one upstream registry (Docker Hub, gcr.io, quay.io, a private one).
 *
 * <ul>
 *   <li><b>Manifests by digest and blobs</b> are content-addressed: once cached, served from
 *       storage forever, without asking the upstream.
 *   <li><b>Tags</b> are served from the cache while younger than {@code metadataMaxAge}; after
 *       that a {@code HEAD} revalidates them, so an unchanged tag costs no GET against the
 *       upstream's pull limit.
 *   <li><b>Blob misses</b> stream to the client as the bytes arrive while they are written to
 *       storage; concurrent requests for the same blob share one download ({@link BlobFetch});
 *       the digest is verified before the blob is committed, so a corrupt or cut-off download
 *       caches nothing. The download runs detached: a client that disconnects does not cancel it.
 *   <li><b>Upstream failures</b> (unreachable, timeouts, 5xx, 429) serve what is cached, with a
 *       {@code Warning} header; with nothing cached the client gets the real cause (rate limit
 *       with {@code Retry-After}, refused credentials naming the upstream), not "manifest
 *       unknown". Repeated outages auto-block the upstream for a back-off period ({@link AutoBlock}).
 *   <li>Upstream {@code 404}s are remembered for {@code negativeCacheTtl}.
 *   <li><b>Referrers</b> (signatures, SBOMs) are the upstream's answer, from its referrers API or
 *       the referrers tag schema, kept as the cache's referrers index and revalidated like a tag;
 *       each listed manifest is fetched by digest and verified before it is listed ({@link
 *       #referrers}).
 * </ul>
 *
 * <p>The cache uses the same storage layout as a hosted repository, so everything cached is
 * ordinary content to a group or to garbage collection. Push and delete are {@code UNSUPPORTED}.
 */
public final class ProxyRepository implements Repository, StorageBacked, Closeable {
  private static final Logger LOG = LoggerFactory.getLogger(ProxyRepository.class);
  private static final AtomicInteger THREADS = new AtomicInteger();
  private static final int DOWNLOAD_BUFFER = 128 * 1024;
  /** How long a scan of the cache's size is reused by {@link #cachedBytes()}. */
  private static final Duration CACHE_SIZE_RESCAN = Duration.ofMinutes(1);

  private final String name;
  private final IndexMode indexMode;
  private final Duration metadataMaxAge;
  private final Clock clock;
  private final UpstreamClient upstream;
  private final AutoBlock autoBlock;
  private final StorageDriver driver;
  private final BlobStore blobs;
  private final ManifestStore manifests;
  private final TagStore tags;
  private final StorageLayout layout;
  private final Catalog catalog;
  private final Path spoolDirectory;
  private final Duration stallTimeout;
  /** {@link #clock} as nanoseconds, for caches and stall detection. */
  private final Ticker ticker;
  private final Cache<String, Boolean> notFound;
  private final Cache<ImageName, List<String>> upstreamTags;
  /** When this node last validated a tag, by its clock; falls back to the link's time in storage. */
  private final Cache<String, Instant> validatedAt = CacheBuilder.newBuilder().maximumSize(100_000).build();
  private final ConcurrentMap<Digest, CompletableFuture<BlobFetch>> blobFetches = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, CompletableFuture<Optional<Manifest>>> manifestFetches = new ConcurrentHashMap<>();
  private final ConcurrentMap<String, CompletableFuture<Void>> referrerChecks = new ConcurrentHashMap<>();
  private final ExecutorService downloads;
  /** Null unless pulls are recorded (for cache eviction by last use). */
  private final AccessLog accessLog;
  private final ProxyMetrics metrics;
  private final UpstreamListener upstreamListener;
  /** The cache's size, scanned on demand (see {@link #cachedBytes()}). */
  private final RepositoryUsage usage;
  /** Tags validated before this are stale, whatever their age ({@link #invalidateCache()}). */
  private volatile Instant invalidatedAt = Instant.MIN;

  private ProxyRepository(Builder b) {
    this.name = b.name;
    this.indexMode = b.indexMode;
    this.metadataMaxAge = b.metadataMaxAge;
    this.clock = b.clock;
    this.upstream = new UpstreamClient(b.remoteUrl, b.username, b.password, b.connectTimeout, b.readTimeout,
        b.retries, b.userAgent, b.outboundProxy, b.clock);
    this.autoBlock = new AutoBlock(b.clock, b.autoBlockThreshold, b.autoBlockInitial, b.autoBlockMax);
    this.driver = CheckedStorageDriver.wrap(b.driver);
    this.layout = new StorageLayout(b.namespace);
    this.blobs = new BlobStore(driver, layout);
    // Local writes are the only writes to a proxy's cache, so the short memory cache is exact.
    this.manifests = new ManifestStore(driver, layout, blobs, Duration.ofSeconds(5));
    this.tags = new TagStore(driver, layout, Duration.ZERO);
    this.catalog = new Catalog(driver, layout);
    this.usage = new RepositoryUsage(driver, layout, CACHE_SIZE_RESCAN, clock);
    this.spoolDirectory = b.spoolDirectory;
    this.accessLog = b.accessLog;
    this.metrics = b.metrics;
    this.upstreamListener = b.upstreamListener;
    this.stallTimeout = b.readTimeout;
    this.ticker = new Ticker() {
      @Override
      public long read() {
        Instant now = clock.instant();
        return TimeUnit.SECONDS.toNanos(now.getEpochSecond()) + now.getNano();
      }
    };
    this.notFound = CacheBuilder.newBuilder().ticker(ticker).expireAfterWrite(b.negativeCacheTtl).maximumSize(100_000).build();
    this.upstreamTags = CacheBuilder.newBuilder().ticker(ticker).expireAfterWrite(b.metadataMaxAge).maximumSize(10_000).build();
    this.downloads = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "wharf-proxy-" + b.name + "-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * A proxy repository named {@code name} that caches {@code remoteUrl} on {@code driver}.
   *
   * @param name the repository's name, unique in its registry
   * @param driver the cache's storage
   * @param remoteUrl the upstream's base URL, e.g. {@code https://registry-1.docker.io}
   * @return a builder with the defaults (see each setter)
   */
  public static Builder builder(String name, StorageDriver driver, URI remoteUrl) {
    return new Builder(name, driver, remoteUrl);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public RepositoryType type() {
    return RepositoryType.PROXY;
  }

  /** The storage of this proxy's cache (already path-checked). */
  @Override
  public StorageDriver storage() {
    return driver;
  }

  @Override
  public StorageLayout layout() {
    return layout;
  }

  /** {@return the upstream this repository caches, e.g. {@code https://registry-1.docker.io}} */
  public URI remoteUrl() {
    return upstream.base();
  }

  /**
   * Whether the upstream is auto-blocked, and why.
   *
   * @return the upstream's status
   */
  public UpstreamStatus status() {
    return autoBlock.status();
  }

  /**
   * The bytes the cache holds: the distinct blobs (layers, configs, manifests) linked into its
   * images, as a quota counts them. Scanned from storage (a {@code list} per directory, a
   * {@code stat} per blob) at most once a minute; between scans this node's downloads are not
   * added, so the number may lag a minute behind.
   *
   * @return the bytes cached
   * @throws IOException if a scan of storage fails
   */
  public long cachedBytes() throws IOException {
    return usage.bytes();
  }

  /**
   * Drops what this node remembers of the upstream's metadata, as Nexus's "invalidate cache"
   * does: every cached tag counts as stale (the next pull of it asks the upstream with a
   * {@code HEAD}), as does every cached referrers list, and the remembered "not found" answers
   * and tag lists are forgotten. Cached content (manifests by digest, blobs) stays: it cannot
   * change. Other nodes keep their own memory until their {@code metadataMaxAge} passes.
   */
  public void invalidateCache() {
    invalidatedAt = clock.instant();
    validatedAt.invalidateAll();
    notFound.invalidateAll();
    upstreamTags.invalidateAll();
  }

  /**
   * The name under which the upstream knows (and the cache stores) {@code image}: with {@link
   * IndexMode#HUB}, {@code alpine} is {@code library/alpine}.
   *
   * @param image the name a client asked for
   * @return the upstream's name for it
   */
  public ImageName upstreamName(ImageName image) {
    if (indexMode == IndexMode.HUB && image.value().indexOf('/') < 0) {
      return ImageName.of("library/" + image.value());
    }
    return image;
  }

  // ---- manifests

  @Override
  public Optional<Manifest> getManifest(ImageName requested, Reference reference) throws IOException {
    ImageName image = upstreamName(requested);
    metrics.request(ProxyMetrics.Kind.MANIFEST);
    Optional<Manifest> manifest = lookUpManifest(image, reference);
    if (accessLog != null && manifest.isPresent()) {
      accessLog.recordPull(image, reference); // under the cached name, as the evictor sees it
    }
    return manifest;
  }

  private Optional<Manifest> lookUpManifest(ImageName image, Reference reference) throws IOException {
    if (reference instanceof Digest digest) {
      Optional<Manifest> cached = manifests.get(image, digest);
      if (cached.isPresent()) {
        metrics.hit(ProxyMetrics.Kind.MANIFEST);
        return cached;
      }
      return fetchManifest(image, digest);
    }
    Tag tag = (Tag) reference;
    Optional<Instant> validated = lastValidated(image, tag);
    Optional<Digest> cachedDigest = validated.isPresent() ? tags.resolve(image, tag) : Optional.empty();
    Optional<Manifest> cached = cachedDigest.isPresent() ? manifests.get(image, cachedDigest.get()) : Optional.empty();
    if (cached.isPresent() && isFresh(validated.get())) {
      metrics.hit(ProxyMetrics.Kind.MANIFEST);
      return cached;
    }
    try {
      return cached.isPresent() ? revalidate(image, tag, cached.get()) : fetchManifest(image, tag);
    } catch (UpstreamException e) {
      if (cached.isPresent()) {
        Warnings.add("served from the cache of " + name + ": upstream " + upstream.host() + " failed ("
            + e.getMessage() + "); tag last validated " + validated.get());
        metrics.hit(ProxyMetrics.Kind.MANIFEST);
        return cached;
      }
      throw e;
    }
  }

  private Optional<Instant> lastValidated(ImageName image, Tag tag) throws IOException {
    Optional<Instant> stored = tags.lastWritten(image, tag);
    Instant here = validatedAt.getIfPresent(image + ":" + tag.value());
    return here != null && stored.isPresent() ? Optional.of(here) : stored;
  }

  private void markValidated(ImageName image, Tag tag, Digest digest) throws IOException {
    tags.tag(image, tag, digest); // the link's time tells other nodes (and this one after a restart)
    validatedAt.put(image + ":" + tag.value(), clock.instant());
  }

  private boolean isFresh(Instant validated) {
    return validated.plus(metadataMaxAge).isAfter(clock.instant()) && !validated.isBefore(invalidatedAt);
  }

  /** A stale tag: one HEAD; refetch only if the upstream moved the tag. */
  private Optional<Manifest> revalidate(ImageName image, Tag tag, Manifest cached) throws IOException {
    Optional<UpstreamClient.ManifestHead> head = guarded(() -> upstream.headManifest(image.value(), tag.value()));
    if (head.isEmpty()) {
      // The upstream no longer has the tag, or its HEAD lacks a digest: ask with a GET.
      return fetchManifest(image, tag);
    }
    if (head.get().digest().equals(cached.digest())) {
      markValidated(image, tag, cached.digest());
      metrics.hit(ProxyMetrics.Kind.MANIFEST);
      return Optional.of(cached);
    }
    Optional<Manifest> moved = manifests.get(image, head.get().digest());
    if (moved.isEmpty()) {
      moved = fetchManifest(image, head.get().digest());
    } else {
      metrics.hit(ProxyMetrics.Kind.MANIFEST); // the tag moved to content already cached
    }
    if (moved.isPresent()) {
      markValidated(image, tag, moved.get().digest());
    }
    return moved;
  }

  /** GET from upstream, single-flight per image and reference; stores the manifest (and the tag). */
  private Optional<Manifest> fetchManifest(ImageName image, Reference reference) throws IOException {
    String key = image + "@" + reference.value();
    if (notFound.getIfPresent(key) != null) {
      return Optional.empty();
    }
    metrics.miss(ProxyMetrics.Kind.MANIFEST);
    CompletableFuture<Optional<Manifest>> mine = new CompletableFuture<>();
    CompletableFuture<Optional<Manifest>> running = manifestFetches.putIfAbsent(key, mine);
    if (running != null) {
      return join(running);
    }
    try {
      Optional<Manifest> m = downloadManifest(image, reference);
      if (m.isEmpty()) {
        notFound.put(key, Boolean.TRUE);
      }
      mine.complete(m);
      return m;
    } catch (RuntimeException | IOException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      manifestFetches.remove(key, mine);
    }
  }

  private Optional<Manifest> downloadManifest(ImageName image, Reference reference) throws IOException {
    Optional<UpstreamClient.UpstreamManifest> fetched =
        guarded(() -> upstream.getManifest(image.value(), reference.value()));
    if (fetched.isEmpty()) {
      return Optional.empty();
    }
    byte[] bytes = fetched.get().bytes();
    metrics.pulled(ProxyMetrics.Kind.MANIFEST, bytes.length);
    verify(image, reference, fetched.get());
    Manifest manifest;
    try {
      manifest = ManifestParser.parse(bytes, fetched.get().mediaType());
    } catch (RegistryException e) {
      // Something we would not accept in a push (an old schema 1 image): still serve it as it is.
      manifest = ManifestParser.parseStored(bytes);
    }
    manifests.put(image, manifest);
    if (reference instanceof Tag tag) {
      markValidated(image, tag, manifest.digest());
    }
    return Optional.of(manifest);
  }

  /**
   * A manifest is cached only as the content the upstream named: by the digest asked for, or by
   * the {@code Docker-Content-Digest} it stated for a tag. Anything else (a body corrupted on the
   * way, a header that names other content) is the upstream's error, and nothing is cached, so
   * a tag never points at a manifest the upstream does not have.
   */
  private void verify(ImageName image, Reference reference, UpstreamClient.UpstreamManifest fetched) {
    Digest stated;
    if (reference instanceof Digest d) {
      stated = d;
    } else if (fetched.digestHeader() == null) {
      return; // nothing stated to check against: the body's own digest is all there is
    } else {
      try {
        stated = Digest.parse(fetched.digestHeader().trim());
      } catch (RegistryException e) {
        throw upstream.invalid("sent an invalid Docker-Content-Digest \"" + fetched.digestHeader() + "\" for "
            + image + ":" + reference.value(), e);
      }
    }
    if (!stated.matches(fetched.bytes())) {
      Digest actual = Digest.of(stated.algorithm(), stated.newMessageDigest().digest(fetched.bytes()));
      throw UpstreamException.wrongContent("upstream " + upstream.host() + " sent a manifest for " + image
          + (reference instanceof Digest ? "@" : ":") + reference.value() + " whose content hashes to " + actual
          + ", not to the " + stated + (reference instanceof Digest ? " asked for" : " it stated") + "; not cached",
          Map.of("upstream", upstream.host()));
    }
  }

  // ---- blobs

  @Override
  public Optional<Blob> getBlob(ImageName requested, Digest digest) throws IOException {
    ImageName image = upstreamName(requested);
    metrics.request(ProxyMetrics.Kind.BLOB);
    Optional<Blob> cached = cachedBlob(image, digest);
    if (cached.isPresent()) {
      metrics.hit(ProxyMetrics.Kind.BLOB);
      return cached;
    }
    String key = image + "@" + digest.value();
    if (notFound.getIfPresent(key) != null) {
      return Optional.empty();
    }
    metrics.miss(ProxyMetrics.Kind.BLOB);
    BlobFetch fetch = startOrJoin(image, digest);
    if (fetch == null) {
      // the upstream does not have it, or another request just finished caching it
      Optional<Blob> now = cachedBlob(image, digest);
      if (now.isEmpty()) {
        notFound.put(key, Boolean.TRUE);
      }
      return now;
    }
    if (fetch.size < 0) {
      // No Content-Length from upstream, so no Content-Length for the client: serve once cached.
      try {
        fetch.awaitDone();
      } catch (UpstreamIOException e) {
        throw e.error(); // nothing sent yet: the client gets the upstream's error
      }
      return cachedBlob(image, digest);
    }
    return Optional.of(new FetchingBlob(image, fetch));
  }

  /** Cached here, or stored for another image of this cache (content-addressed: link it and serve). */
  private Optional<Blob> cachedBlob(ImageName image, Digest digest) throws IOException {
    Optional<Blob> linked = blobs.get(image, digest);
    if (linked.isPresent() || blobs.stat(digest).isEmpty()) {
      return linked;
    }
    // link first, then look (strictly): safe against a garbage collection deleting the blob now
    return blobs.linkIfStored(image, digest).isPresent() ? blobs.get(image, digest) : Optional.empty();
  }

  /** The running download of {@code digest}, a new one, or {@code null} if the upstream lacks it. */
  private BlobFetch startOrJoin(ImageName image, Digest digest) throws IOException {
    CompletableFuture<BlobFetch> mine = new CompletableFuture<>();
    CompletableFuture<BlobFetch> running;
    while ((running = blobFetches.putIfAbsent(digest, mine)) != null) {
      BlobFetch fetch = join(running);
      if (fetch != null && fetch.isDone() && fetch.failure() != null) {
        blobFetches.remove(digest, running); // a failed download on its way out: start afresh
        continue;
      }
      if (fetch != null && !fetch.addImage(image) && fetch.failure() == null) {
        blobs.linkIfStored(image, digest); // finished meanwhile: the bytes are stored
      }
      return fetch;
    }
    UpstreamClient.BlobStream stream = null;
    try {
      if (blobs.stat(digest).isPresent()) { // cached by a download that just ended
        mine.complete(null);
        blobFetches.remove(digest, mine);
        return null;
      }
      Optional<UpstreamClient.BlobStream> opened = guarded(() -> upstream.openBlob(image.value(), digest));
      if (opened.isEmpty()) {
        mine.complete(null);
        blobFetches.remove(digest, mine);
        return null;
      }
      stream = opened.get();
      BlobFetch fetch = new BlobFetch(digest, stream.size(), spoolDirectory, stallTimeout, ticker, upstream.host(),
          image);
      UpstreamClient.BlobStream body = stream;
      downloads.execute(() -> download(fetch, body, mine));
      mine.complete(fetch);
      return fetch;
    } catch (IOException | RuntimeException e) {
      closeQuietly(stream);
      mine.completeExceptionally(e);
      blobFetches.remove(digest, mine);
      throw e;
    }
  }

  /**
   * Runs detached from the request that started it: copies the upstream body into the spool that
   * clients read, hashing it on the way, verifies the digest, takes the spool into storage as the
   * blob (a rename on a filesystem store, so every byte is written once) and only then lets
   * clients have the last byte.
   */
  private void download(BlobFetch fetch, UpstreamClient.BlobStream body, CompletableFuture<BlobFetch> entry) {
    try (body) {
      receive(fetch, body.body());
      // Linked and stored before any client gets the last byte: a client that has the whole
      // blob finds it in the cache from then on. Links first, as every write that references a
      // blob (see BlobStore): these bytes end in place whatever a garbage collection does now.
      Set<ImageName> linked = fetch.images();
      for (ImageName image : linked) {
        blobs.link(image, fetch.digest);
      }
      driver.importFile(fetch.commitSpool(), layout.blobData(fetch.digest));
      for (ImageName image : fetch.images()) {
        if (!linked.contains(image)) { // asked for it while the bytes were being stored
          blobs.linkIfStored(image, fetch.digest);
        }
      }
      succeeded();
      fetch.succeeded();
    } catch (IOException | RuntimeException e) {
      LOG.warn("proxy {}: download of {} from {} failed: {}", name, fetch.digest, upstream.host(), e.getMessage());
      // Out of the map before anyone hears of the failure, so a retry starts a new download.
      blobFetches.remove(fetch.digest, entry);
      fetch.failed(e);
    } finally {
      blobFetches.remove(fetch.digest, entry);
    }
  }

  /**
   * Copies the upstream body into the spool, hashing it, and checks size and digest. A failure to
   * read, a short body or the wrong bytes are the upstream's ({@link UpstreamIOException}).
   */
  private void receive(BlobFetch fetch, InputStream in) throws IOException {
    MessageDigest md = fetch.digest.newMessageDigest();
    byte[] buf = new byte[DOWNLOAD_BUFFER];
    long received = 0;
    while (true) {
      int n;
      try {
        n = in.read(buf);
      } catch (IOException e) {
        throw new UpstreamIOException(upstream.failure("the body of " + fetch.digest + " after " + received
            + (fetch.size >= 0 ? " of " + fetch.size : "") + " bytes", e));
      }
      if (n < 0) {
        break;
      }
      md.update(buf, 0, n);
      fetch.append(buf, 0, n);
      received += n;
      metrics.pulled(ProxyMetrics.Kind.BLOB, n);
    }
    if (fetch.size >= 0 && received != fetch.size) {
      throw new UpstreamIOException(upstream.invalid("sent " + received + " of the " + fetch.size + " bytes it announced for "
          + fetch.digest, null));
    }
    Digest actual = Digest.of(fetch.digest.algorithm(), md.digest());
    if (!actual.equals(fetch.digest)) {
      throw new UpstreamIOException(upstream.invalid("sent " + received + " bytes hashing to " + actual + " for "
          + fetch.digest + "; not cached", null));
    }
  }

  /** A blob being downloaded: readers follow the spool; after the download they read the cache. */
  private final class FetchingBlob implements Blob {
    private final ImageName image;
    private final BlobFetch fetch;

    FetchingBlob(ImageName image, BlobFetch fetch) {
      this.image = image;
      this.fetch = fetch;
    }

    @Override
    public Descriptor descriptor() {
      return new Descriptor(null, fetch.digest, fetch.size);
    }

    @Override
    public SeekableByteChannel open() throws IOException {
      SeekableByteChannel spool = fetch.openReader();
      if (spool != null) {
        return spool;
      }
      if (fetch.failure() != null) {
        throw fetch.failureForReader();
      }
      Blob stored = cachedBlob(image, fetch.digest)
          .orElseThrow(() -> new IOException("blob " + fetch.digest + " vanished from the cache"));
      return stored.open();
    }
  }

  // ---- listings

  @Override
  public Page listTags(ImageName requested, int n, String last) throws IOException {
    ImageName image = upstreamName(requested);
    List<String> cached = upstreamTags.getIfPresent(image);
    if (cached == null) {
      try {
        Optional<List<String>> fromUpstream = guarded(() -> upstream.listTags(image.value()));
        if (fromUpstream.isEmpty()) {
          throw ErrorCode.NAME_UNKNOWN.exception("image " + requested + " is unknown to upstream " + upstream.host(),
              Map.of("name", requested.value()));
        }
        cached = new ArrayList<>(fromUpstream.get());
        cached.sort(null);
        cached = List.copyOf(cached);
        upstreamTags.put(image, cached);
      } catch (UpstreamException e) {
        cached = tags.list(image);
        if (cached.isEmpty()) {
          throw e;
        }
        Warnings.add("tags of " + requested + " from the cache of " + name + ": upstream " + upstream.host()
            + " failed (" + e.getMessage() + ")");
      }
    }
    return Page.of(cached, n, last);
  }

  /** The images this cache holds (the upstream's catalog is not asked: Docker Hub has none). */
  @Override
  public Page catalog(int n, String last) throws IOException {
    return Page.of(catalog.images(), n, last);
  }

  // ---- referrers

  /**
   * The referrers of {@code subject}, as the upstream lists them (its referrers API, else the
   * referrers tag schema), under the same freshness rule as a tag: answered from the cache's
   * referrers index while it was checked less than {@code metadataMaxAge} ago, else checked again;
   * if the upstream fails then, the last answer is served with a {@code Warning}. Every entry is a
   * manifest this cache fetched by digest and verified, whose {@code subject} is {@code subject},
   * described from its own bytes: what the upstream's list says about it is not trusted.
   */
  @Override
  public List<Referrer> referrers(ImageName requested, Digest subject, String artifactType) throws IOException {
    ImageName image = upstreamName(requested);
    Optional<Instant> checked = referrersChecked(image, subject);
    if (checked.isEmpty() || !isFresh(checked.get())) {
      try {
        refreshReferrers(image, subject);
      } catch (UpstreamException e) {
        if (checked.isEmpty()) {
          throw e;
        }
        Warnings.add("referrers of " + requested + "@" + subject + " from the cache of " + name + ": upstream "
            + upstream.host() + " failed (" + e.getMessage() + "); last checked " + checked.get());
      }
    }
    return Referrer.indexed(manifests, image, subject, artifactType);
  }

  /** Single-flight per image and subject: concurrent askers wait for one upstream check. */
  private void refreshReferrers(ImageName image, Digest subject) throws IOException {
    String key = image + "@" + subject.value();
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> running = referrerChecks.putIfAbsent(key, mine);
    if (running != null) {
      join(running);
      return;
    }
    try {
      syncReferrers(image, subject);
      mine.complete(null);
    } catch (RuntimeException | IOException e) {
      mine.completeExceptionally(e);
      throw e;
    } finally {
      referrerChecks.remove(key, mine);
    }
  }

  /**
   * Makes the cache's referrers index of {@code subject} say what the upstream lists: each listed
   * manifest is fetched by digest like any other (verified, cached, so clients then pull it from
   * here) and indexed only if its subject is {@code subject}; a listed manifest the upstream does
   * not have, or sends with the wrong bytes, is left out. Entries the upstream no longer lists are
   * taken out of the index. Any other upstream failure aborts, leaving the previous answer.
   */
  private void syncReferrers(ImageName image, Digest subject) throws IOException {
    List<Digest> listed = guarded(() -> upstream.listReferrers(image.value(), subject));
    Set<Digest> indexed = new HashSet<>(manifests.referrers(image, subject));
    Set<Digest> kept = new HashSet<>();
    for (Digest d : new LinkedHashSet<>(listed)) {
      Optional<Manifest> m;
      try {
        m = lookUpManifest(image, d);
      } catch (UpstreamException e) {
        if (!e.isWrongContent()) {
          throw e;
        }
        LOG.warn("proxy {}: referrer {} of {}@{} left out: {}", name, d, image, subject, e.getMessage());
        continue;
      }
      if (m.isEmpty() || !m.get().subject().map(s -> s.digest().equals(subject)).orElse(false)) {
        continue; // dangling, or refers to something else: the upstream's list is not evidence
      }
      kept.add(d);
      if (!indexed.contains(d)) {
        manifests.put(image, m.get()); // cached earlier, then dropped from the index; listed again now
      }
    }
    for (Digest d : indexed) {
      if (!kept.contains(d)) {
        manifests.unlinkReferrer(image, subject, d);
      }
    }
    driver.putContent(layout.referrersChecked(image, subject),
        clock.instant().toString().getBytes(StandardCharsets.US_ASCII));
  }

  /** When the referrers of {@code subject} were last checked upstream; empty if never (or unreadable). */
  private Optional<Instant> referrersChecked(ImageName image, Digest subject) throws IOException {
    Optional<byte[]> content = driver.getContent(layout.referrersChecked(image, subject));
    if (content.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(new String(content.get(), StandardCharsets.US_ASCII).trim()));
    } catch (DateTimeParseException e) {
      return Optional.empty(); // torn or foreign: check again
    }
  }

  // ---- upstream calls

  private interface UpstreamCall<T> {
    T call() throws IOException;
  }

  /**
   * Runs an upstream call through the auto-block: refused while blocked (503 with {@code
   * Retry-After}: the seconds until the block ends, at least 1, and the failure that caused it),
   * outcomes recorded.
   */
  private <T> T guarded(UpstreamCall<T> call) throws IOException {
    if (!autoBlock.allows()) {
      UpstreamStatus s = autoBlock.status();
      Instant until = s.blockedUntil() == null ? clock.instant() : s.blockedUntil();
      long millis = Duration.between(clock.instant(), until).toMillis();
      long retryAfter = Math.max(1, (millis + 999) / 1000);
      Map<String, Object> detail = new LinkedHashMap<>();
      detail.put("upstream", upstream.host());
      detail.put("blockedUntil", until.toString());
      detail.put("retryAfter", retryAfter);
      throw new UpstreamException(ErrorCode.UNAVAILABLE, "upstream " + upstream.host() + " is auto-blocked for "
          + retryAfter + " s more (until " + until + ") after " + s.consecutiveFailures()
          + " consecutive failures; last: " + s.lastError(), detail, false, null);
    }
    try {
      T result = call.call();
      succeeded();
      return result;
    } catch (UpstreamException e) {
      if (e.countsAsOutage()) {
        boolean blocked = autoBlock.failure(e.getMessage());
        if (!autoBlock.allows()) {
          LOG.warn("proxy {}: upstream {} auto-blocked until {}: {}", name, upstream.host(),
              autoBlock.status().blockedUntil(), e.getMessage());
        }
        if (blocked) {
          tell(() -> upstreamListener.blocked(name, upstream.host(), autoBlock.status()));
        }
      }
      throw e;
    }
  }

  /** Records an upstream success; tells the listener if it lifted a block. */
  private void succeeded() {
    if (autoBlock.success()) {
      LOG.info("proxy {}: upstream {} answers again; no longer blocked", name, upstream.host());
      tell(() -> upstreamListener.unblocked(name, upstream.host()));
    }
  }

  private void tell(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.warn("proxy {}: an upstream listener failed: {}", name, e.toString());
    }
  }

  private static <T> T join(CompletableFuture<T> f) throws IOException {
    try {
      return f.join();
    } catch (CompletionException e) {
      Throwable c = e.getCause();
      if (c instanceof RuntimeException r) {
        throw r;
      }
      if (c instanceof IOException io) {
        throw io;
      }
      throw e;
    }
  }

  private static void closeQuietly(Closeable c) {
    if (c != null) {
      try {
        c.close();
      } catch (IOException ignored) {
        // nothing to do
      }
    }
  }

  @Override
  public void close() throws IOException {
    downloads.shutdownNow();
    upstream.close();
  }

  @Override
  public String toString() {
    return "proxy(" + name + " -> " + upstream.base() + ")";
  }

  /** Sets up a {@link ProxyRepository}; from {@link ProxyRepository#builder}. Not thread-safe. */
  public static final class Builder {
    private final String name;
    private final StorageDriver driver;
    private final URI remoteUrl;
    private IndexMode indexMode = IndexMode.REGISTRY;
    private String username;
    private String password;
    private Duration metadataMaxAge = Duration.ofHours(24);
    private Duration negativeCacheTtl = Duration.ofMinutes(5);
    private Duration connectTimeout = Duration.ofSeconds(10);
    private Duration readTimeout = Duration.ofSeconds(60);
    private int retries = 2;
    private String userAgent = "wharf-proxy";
    private OutboundProxy outboundProxy = OutboundProxy.DIRECT;
    private Path spoolDirectory = Path.of(System.getProperty("java.io.tmpdir"), "wharf-proxy-spool");
    private Clock clock = Clock.systemUTC();
    private int autoBlockThreshold = 3;
    private Duration autoBlockInitial = Duration.ofSeconds(10);
    private Duration autoBlockMax = Duration.ofMinutes(10);
    private String namespace;
    private AccessLog accessLog;
    private ProxyMetrics metrics = ProxyMetrics.NONE;
    private UpstreamListener upstreamListener = UpstreamListener.NONE;

    private Builder(String name, StorageDriver driver, URI remoteUrl) {
      this.name = Objects.requireNonNull(name, "name");
      this.driver = Objects.requireNonNull(driver, "driver");
      this.remoteUrl = Objects.requireNonNull(remoteUrl, "remoteUrl");
    }

    /**
     * How image names map onto the upstream's (default {@link IndexMode#REGISTRY}: unchanged).
     *
     * @param mode {@link IndexMode#HUB} for Docker Hub
     * @return this builder
     */
    public Builder indexMode(IndexMode mode) {
      this.indexMode = Objects.requireNonNull(mode);
      return this;
    }

    /**
     * Credentials for the upstream (token endpoint or Basic); none means anonymous.
     *
     * @param username the upstream user, or null for anonymous
     * @param password that user's password or token
     * @return this builder
     */
    public Builder credentials(String username, String password) {
      this.username = username;
      this.password = password;
      return this;
    }

    /**
     * How long a cached tag is served without asking the upstream (default 24 h).
     *
     * @param d the age
     * @return this builder
     */
    public Builder metadataMaxAge(Duration d) {
      this.metadataMaxAge = Objects.requireNonNull(d);
      return this;
    }

    /**
     * How long an upstream 404 is remembered (default 5 min).
     *
     * @param d how long
     * @return this builder
     */
    public Builder negativeCacheTtl(Duration d) {
      this.negativeCacheTtl = Objects.requireNonNull(d);
      return this;
    }

    /**
     * How long a connection to the upstream may take (default 10 s).
     *
     * @param d the timeout
     * @return this builder
     */
    public Builder connectTimeout(Duration d) {
      this.connectTimeout = Objects.requireNonNull(d);
      return this;
    }

    /**
     * Socket read timeout; also how long a client waits on a stalled download (default 60 s).
     *
     * @param d the timeout
     * @return this builder
     */
    public Builder readTimeout(Duration d) {
      this.readTimeout = Objects.requireNonNull(d);
      return this;
    }

    /**
     * Retries of a failed upstream call (connection errors, 5xx; never 429), default 2.
     *
     * @param n the retries; 0 for none
     * @return this builder
     */
    public Builder retries(int n) {
      this.retries = n;
      return this;
    }

    /**
     * The {@code User-Agent} of upstream calls (default {@code wharf-proxy}).
     *
     * @param ua the user agent
     * @return this builder
     */
    public Builder userAgent(String ua) {
      this.userAgent = Objects.requireNonNull(ua);
      return this;
    }

    /**
     * The HTTP proxies upstream calls go through (default {@link OutboundProxy#DIRECT}).
     *
     * @param proxy the proxies
     * @return this builder
     */
    public Builder outboundProxy(OutboundProxy proxy) {
      this.outboundProxy = Objects.requireNonNull(proxy);
      return this;
    }

    /**
     * Where downloads in progress are spooled for concurrent readers (default: the temp directory).
     *
     * @param dir the directory, created as needed
     * @return this builder
     */
    public Builder spoolDirectory(Path dir) {
      this.spoolDirectory = Objects.requireNonNull(dir);
      return this;
    }

    /**
     * The clock for max ages, negative caching, token expiry and auto-block (tests move it).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /**
     * Auto-block after {@code threshold} consecutive outages (0: never), for {@code initial}
     * doubling up to {@code max}; default 3, 10 s, 10 min.
     *
     * @param threshold consecutive outages before the upstream is blocked; 0 never blocks
     * @param initial the first block's length
     * @param max the longest block
     * @return this builder
     */
    public Builder autoBlock(int threshold, Duration initial, Duration max) {
      this.autoBlockThreshold = threshold;
      this.autoBlockInitial = Objects.requireNonNull(initial);
      this.autoBlockMax = Objects.requireNonNull(max);
      return this;
    }

    /**
     * Keeps the cached images under {@code namespace} in storage (see {@code StorageLayout});
     * default none.
     *
     * @param namespace the namespace (usually the repository's name), or null for none
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /**
     * Records manifest pulls in {@code accessLog}, for cache eviction by last use ({@code
     * CacheEvictor}); the log must be built with this repository's namespace, and its owner
     * flushes it. Default: none.
     *
     * @param accessLog the access log, or null for none
     * @return this builder
     */
    public Builder accessLog(AccessLog accessLog) {
      this.accessLog = accessLog;
      return this;
    }

    /**
     * Tells {@code listener} when the upstream is auto-blocked and unblocked; default none.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder upstreamListener(UpstreamListener listener) {
      this.upstreamListener = Objects.requireNonNull(listener);
      return this;
    }

    /**
     * Tells {@code metrics} about requests, cache hits and misses and upstream bytes; default none.
     *
     * @param metrics the observer
     * @return this builder
     */
    public Builder metrics(ProxyMetrics metrics) {
      this.metrics = Objects.requireNonNull(metrics);
      return this;
    }

    /**
     * Builds the repository; its upstream client and download threads start now (close it to stop
     * them).
     *
     * @return the repository
     * @throws IllegalArgumentException if the access log is another namespace's
     */
    public ProxyRepository build() {
      if (accessLog != null) {
        accessLog.requireNamespace(namespace, "proxy repository " + name);
      }
      return new ProxyRepository(this);
    }
  }
}
