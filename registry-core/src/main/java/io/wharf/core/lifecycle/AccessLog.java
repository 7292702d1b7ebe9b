package io.wharf.core.lifecycle;

import com.google.common.cache.Cache;
import com.google.common.cache.CacheBuilder;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Reference;
import io.wharf.core.model.Tag;
import io.wharf.core.storage.CheckedStorageDriver;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * When the manifests of one repository were last pulled, by tag and by digest: the input of the
 * {@link CleanupPolicy#notPulledFor} criterion and of proxy cache eviction ({@link CacheEvictor}).
 *
 * <p><b>Cheap on the pull path.</b> A storage write per pull would double what a pull costs (an S3
 * PUT per manifest GET) and turn every pull into a write to shared storage. {@link #recordPull}
 * only keeps the latest instant per key in memory; {@link #flush()} writes them in one batch. The
 * owner calls {@code flush()} periodically (every minute, say) and once on shutdown. A key is
 * written only when its time is at least {@code resolution} (default 1 h) later than what storage
 * holds, so a busy tag costs at most one small write per resolution per node, plus one read
 * before it. Pulls recorded since the last flush are lost if the JVM dies: the stored time is
 * then up to the flush interval plus the resolution too old, which errs on the side of cleaning
 * up, so keep {@code notPulledFor} and {@code maxUnusedAge} well above both.
 *
 * <p><b>Storage.</b> One small object per key under Wharf's private {@code _wharf/access}
 * (see {@link StorageLayout#accessTagRecord} and {@link StorageLayout#accessDigestRecord}),
 * holding an RFC 3339 instant. distribution ignores that directory, and nothing in it is needed
 * to serve an image: losing it only makes images look unused.
 *
 * <p><b>Several nodes on one storage</b> each keep their own memory and flush on their own. Before
 * writing, a node reads what is stored and never writes a time that is not at least {@code
 * resolution} newer, so the stored time only moves forward, except when two nodes write the same
 * key at once: then the last writer wins, and the time may step back by less than the flush
 * interval. That is acceptable for a record whose precision is the resolution anyway.
 * {@link #lastPulled} combines storage with this node's unflushed pulls, so it is exact for
 * this node and at most one flush interval behind for the others.
 *
 * <p><b>Memory</b>: one entry per key pulled since the last flush (only manifests that exist are
 * recorded, so this is bounded by what the repository holds), plus a bounded cache of stored
 * times that saves a read per flush for keys already written. Thread-safe.
 *
 * <p>One {@code AccessLog} serves one repository: build it with the repository's namespace and
 * storage, and pass it to the repository's builder and to its cleanup or eviction job.
 */
public final class AccessLog {
  private static final Logger LOG = LoggerFactory.getLogger(AccessLog.class);
  /** The default resolution: one write per key per hour at most. */
  public static final Duration DEFAULT_RESOLUTION = Duration.ofHours(1);
  private static final int STORED_CACHE_SIZE = 100_000;

  private record Key(ImageName image, Reference reference) {}

  private final StorageDriver driver;
  private final StorageLayout layout;
  private final String namespace;
  private final Duration resolution;
  private final Clock clock;
  private final ConcurrentMap<Key, Instant> pending = new ConcurrentHashMap<>();
  /** The time storage held (or this node wrote) per key, so a flush need not read it every time. */
  private final Cache<Key, Instant> stored = CacheBuilder.newBuilder().maximumSize(STORED_CACHE_SIZE).build();

  private AccessLog(Builder b) {
    this.driver = CheckedStorageDriver.wrap(b.driver);
    this.namespace = b.namespace == null ? "" : b.namespace;
    this.layout = new StorageLayout(namespace);
    this.resolution = b.resolution;
    this.clock = b.clock;
  }

  /**
   * A log that keeps its records on {@code driver}, the storage of the repository it serves.
   *
   * @param driver the repository's storage
   * @return a builder with no namespace and the default resolution
   */
  public static Builder builder(StorageDriver driver) {
    return new Builder(driver);
  }

  /**
   * The namespace of the repository this log belongs to; empty for none.
   *
   * @return the namespace, or empty
   */
  public String namespace() {
    return namespace;
  }

  /**
   * Throws unless this log is for {@code namespace} (null or empty: none): {@code user} (a
   * repository, a job) would otherwise read and write another repository's pull times.
   *
   * @param namespace the namespace of the user
   * @param user who is checking, for the message
   * @throws IllegalArgumentException if the namespaces differ
   */
  public void requireNamespace(String namespace, String user) {
    String ns = namespace == null ? "" : namespace;
    if (!this.namespace.equals(ns)) {
      throw new IllegalArgumentException(user + " has namespace '" + ns + "' but its access log '" + this.namespace + "'");
    }
  }

  /**
   * Notes that {@code image:tag} or {@code image@digest} was pulled now. Memory only; never blocks
   * on storage.
   *
   * @param image the image pulled
   * @param reference the tag or digest it was pulled by
   */
  public void recordPull(ImageName image, Reference reference) {
    pending.merge(new Key(image, reference), clock.instant(), AccessLog::later);
  }

  /**
   * The last recorded pull of {@code image:tag} or {@code image@digest}: this node's unflushed
   * pulls or storage.
   *
   * @param image the image
   * @param reference the tag or digest
   * @return when it was last pulled, or empty if no pull is recorded
   * @throws IOException if storage fails
   */
  public Optional<Instant> lastPulled(ImageName image, Reference reference) throws IOException {
    Key key = new Key(image, reference);
    Instant here = pending.get(key);
    Optional<Instant> there = read(key);
    if (here == null) {
      return there;
    }
    return Optional.of(there.isPresent() ? later(here, there.get()) : here);
  }

  /**
   * Writes the pulls recorded since the last flush that are at least one resolution newer than
   * what storage holds. On a storage error the unwritten pulls stay for the next flush.
   *
   * @return the number of records written
   * @throws IOException if storage fails
   */
  public synchronized int flush() throws IOException {
    int written = 0;
    for (Key key : pending.keySet()) {
      Instant time = pending.get(key);
      if (time == null) {
        continue;
      }
      // Stays pending until written, so lastPulled never misses it in between; a newer pull
      // recorded meanwhile replaces it and stays for the next flush.
      if (write(key, time)) { // a storage error leaves everything pending for the next flush
        written++;
      }
      pending.remove(key, time);
    }
    return written;
  }

  /**
   * Drops what is known about {@code image:tag} or {@code image@digest} (its tag or manifest was
   * removed).
   *
   * @param image the image
   * @param reference the removed tag or digest
   * @throws IOException if storage fails
   */
  public synchronized void forget(ImageName image, Reference reference) throws IOException {
    Key key = new Key(image, reference);
    pending.remove(key);
    stored.invalidate(key);
    driver.delete(path(key));
  }

  private boolean write(Key key, Instant time) throws IOException {
    Instant known = stored.getIfPresent(key);
    if (known != null && time.isBefore(known.plus(resolution))) {
      return false;
    }
    // Read again even when this node wrote last: another node may have written a newer time.
    Optional<Instant> current = read(key);
    if (current.isPresent()) {
      stored.put(key, current.get());
      if (time.isBefore(current.get().plus(resolution))) {
        return false;
      }
    }
    driver.putContent(path(key), time.toString().getBytes(StandardCharsets.US_ASCII));
    stored.put(key, time);
    return true;
  }

  private Optional<Instant> read(Key key) throws IOException {
    String path = path(key);
    Optional<byte[]> content = driver.getContent(path);
    if (content.isEmpty()) {
      return Optional.empty();
    }
    try {
      return Optional.of(Instant.parse(new String(content.get(), StandardCharsets.US_ASCII).trim()));
    } catch (DateTimeParseException e) {
      LOG.debug("ignoring unreadable access record {}", path);
      return Optional.empty();
    }
  }

  private String path(Key key) {
    if (key.reference() instanceof Tag t) {
      return layout.accessTagRecord(key.image(), t);
    }
    return layout.accessDigestRecord(key.image(), (Digest) key.reference());
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  @Override
  public String toString() {
    return "access log(" + (namespace.isEmpty() ? "" : namespace + ", ") + driver.name() + ")";
  }

  /** Sets up an {@link AccessLog}; from {@link AccessLog#builder}. Not thread-safe. */
  public static final class Builder {
    private final StorageDriver driver;
    private String namespace;
    private Duration resolution = DEFAULT_RESOLUTION;
    private Clock clock = Clock.systemUTC();

    private Builder(StorageDriver driver) {
      this.driver = Objects.requireNonNull(driver, "driver");
    }

    /**
     * The namespace of the repository whose pulls this log records (the same as the repository's);
     * default none.
     *
     * @param namespace the namespace, or null or empty for none
     * @return this builder
     */
    public Builder namespace(String namespace) {
      this.namespace = namespace;
      return this;
    }

    /**
     * A key is written again only when its time moved at least this much. Default 1 h; zero writes
     * every flush.
     *
     * @param resolution the resolution; zero or more
     * @return this builder
     * @throws IllegalArgumentException if it is negative
     */
    public Builder resolution(Duration resolution) {
      Objects.requireNonNull(resolution, "resolution");
      if (resolution.isNegative()) {
        throw new IllegalArgumentException("resolution must not be negative: " + resolution);
      }
      this.resolution = resolution;
      return this;
    }

    /**
     * The clock that stamps pulls (tests move it).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** {@return the access log} */
    public AccessLog build() {
      return new AccessLog(this);
    }
  }
}
