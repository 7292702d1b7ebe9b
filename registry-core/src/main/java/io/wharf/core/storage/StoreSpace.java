package io.wharf.core.storage;

import io.wharf.core.quota.Quota;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One blob store's free space: the reserve that keeps room for small writes, and the name that
 * a "storage full" error carries. {@link io.wharf.core.repository.HostedRepository} asks it before
 * and while it takes an upload's bytes; everything else only meets it through {@link #driver()}.
 *
 * <p><b>The reserve</b> ({@code minFree}): an upload request (starting an upload, a chunk, the
 * closing or a monolithic {@code PUT}) is refused with {@link StorageFullException} when the store
 * has less than the reserve free, before its body is read when its length is known and would cross
 * it, and as its bytes stream otherwise. So a store fills up to the reserve and no further with
 * uploads, and manifests, tags, links, deletes and garbage collection (small writes that are never
 * refused here) still work when it is nearly full; reads never ask. Default: the smaller of 1 GiB
 * and 5 % of the store ({@link #defaultMinFree}); 0 turns the reserve off. Stores whose driver
 * cannot tell how full it is (S3, see {@link StorageDriver#space()}) have no reserve.
 *
 * <p><b>How fresh the numbers are.</b> Free space is read from the driver at most once a second:
 * on a filesystem that is a pair of {@code statvfs} calls, 10-20 µs on the (loaded) build machine,
 * where an upload's bytes arrive in thousands of reads a second. Every byte written through
 * {@link #driver()} since the last reading (upload data, manifests, links, proxy cache fills) is
 * subtracted from it, so nothing this node writes can run past the reserve between two readings;
 * what other processes or nodes write shows within a second. A refusal is only ever made on a
 * fresh reading: space that a delete and a garbage collection (or anyone else) just freed is seen
 * by the very next push, with no restart and no wait.
 *
 * <p><b>Naming.</b> {@link #driver()} is the store's driver, whose {@link StorageFullException}s
 * are rethrown naming this store and its free space, whichever write hit them (an upload's
 * bytes, a manifest, a tag, a link).
 */
public final class StoreSpace {
  /** The largest default reserve: 5 % of a big disk is more than small writes will ever need. */
  public static final long MAX_DEFAULT_MIN_FREE = 1L << 30;
  /** How long a reading of the driver's free space stands (less what uploads took since). */
  static final Duration READING_LASTS = Duration.ofSeconds(1);
  private static final String ADVICE = "; delete images and run garbage collection";

  /** Free space as read at {@code atMillis}, with the reserve that applies to a store of this size. */
  private record Reading(long free, long total, long minFree, long atMillis) {}

  private final String store;
  private final StorageDriver raw;
  private final StorageDriver named;
  /** Null: the default for the store's size. */
  private final Long minFree;
  private final Clock clock;
  private volatile Reading reading;
  /** Bytes written through {@link #driver()} since {@link #reading} was made. */
  private final AtomicLong takenSinceReading = new AtomicLong();

  private StoreSpace(Builder b) {
    this.store = b.store;
    this.raw = b.driver;
    this.minFree = b.minFree;
    this.clock = b.clock;
    this.named = new NamedDriver();
  }

  /**
   * The reserve of the blob store named {@code store} on {@code driver}.
   *
   * @param store the blob store's name, as the configuration calls it
   * @param driver the store's own driver
   * @return a builder with the default reserve
   */
  public static Builder builder(String store, StorageDriver driver) {
    return new Builder(store, driver);
  }

  /**
   * The default reserve of a store of {@code totalBytes}: the smaller of 1 GiB and 5 % of it.
   *
   * @param totalBytes the store's size in bytes
   * @return the reserve in bytes
   */
  public static long defaultMinFree(long totalBytes) {
    return Math.min(MAX_DEFAULT_MIN_FREE, Math.max(0, totalBytes) / 20);
  }

  /** {@return the blob store's name, as the configuration calls it} */
  public String store() {
    return store;
  }

  /**
   * {@return the store's driver, whose out-of-space errors name this store: give this one to
   * repositories}
   */
  public StorageDriver driver() {
    return named;
  }

  /**
   * {@return the reserve in bytes (0 if off, or if the driver cannot tell how full it is)}
   *
   * @throws IOException if the driver fails to tell its space
   */
  public long minFreeBytes() throws IOException {
    Reading r = read(false);
    return r == null ? 0 : r.minFree();
  }

  /**
   * Refuses an upload request that would leave less than the reserve free: {@code bytes} is what
   * it declares (0 if it declares nothing, e.g. a POST that starts an upload or a body of unknown
   * length, which {@link #meter} then follows).
   *
   * @param bytes the bytes the request declares, or 0
   * @throws IOException if the driver fails to tell its space
   * @throws StorageFullException naming the store, its free space and the reserve
   */
  public void requireRoom(long bytes) throws IOException {
    require(bytes, true);
  }

  private void require(long bytes, boolean declared) throws IOException {
    if (minFree != null && minFree == 0) {
      return;
    }
    Reading r = read(false);
    if (r == null || fits(r, bytes)) {
      return;
    }
    r = read(true); // never refuse on an old reading: the space may have been freed since
    if (r != null && !fits(r, bytes)) {
      throw refused(r, declared ? bytes : 0);
    }
  }

  /**
   * {@code body}, watched as it is read: the read whose bytes would take the store below its
   * reserve fails with {@link StorageFullException}, before those bytes are written. (They count
   * against the free space when they are written, through {@link #driver()}.)
   *
   * @param body the request body
   * @return the body, metered (or {@code body} itself when the reserve is off)
   */
  public InputStream meter(InputStream body) {
    if (minFree != null && minFree == 0) {
      return body;
    }
    return new FilterInputStream(body) {
      @Override
      public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
          require(1, false);
        }
        return b;
      }

      @Override
      public int read(byte[] buf, int off, int len) throws IOException {
        int n = in.read(buf, off, len);
        if (n > 0) {
          require(n, false);
        }
        return n;
      }
    };
  }

  /** Forgets the last reading: call when space was freed (garbage collection). */
  public void refresh() {
    reading = null;
  }

  /** Counts bytes written through {@link #driver()}. */
  private void took(long n) {
    takenSinceReading.addAndGet(n);
  }

  private boolean fits(Reading r, long bytes) {
    return r.free() - takenSinceReading.get() - bytes >= r.minFree();
  }

  /** The current reading: a new one if asked, or if the last is older than {@link #READING_LASTS}. */
  private Reading read(boolean fresh) throws IOException {
    long now = clock.millis();
    Reading r = reading;
    if (!fresh && r != null && now - r.atMillis() < READING_LASTS.toMillis()) {
      return r;
    }
    Optional<StorageDriver.Space> space = raw.space();
    if (space.isEmpty()) {
      return null;
    }
    long total = space.get().totalBytes();
    r = new Reading(space.get().freeBytes(), total, minFree != null ? minFree : defaultMinFree(total), now);
    // The reading includes what was written so far; what is written from now on counts anew.
    takenSinceReading.set(0);
    reading = r;
    return r;
  }

  private StorageFullException refused(Reading r, long bytes) {
    String message = "blob store " + store + " is nearly full: " + StorageFullException.numbers(r.free(), r.total())
        + ", and uploads must leave " + Quota.format(r.minFree()) + " free (blobStores." + store + ".minFree)"
        + (bytes > 0 ? "; this upload needs " + Quota.format(bytes) : "") + ADVICE;
    return new StorageFullException(store, message, r.free(), r.total(), r.minFree(), null);
  }

  /** A driver's out-of-space error, told with this store's name and the space free right now. */
  private StorageFullException named(StorageFullException e) {
    if (e.store() != null) {
      return e;
    }
    long free = e.freeBytes();
    long total = e.totalBytes();
    try {
      Reading r = read(true);
      if (r != null) {
        free = r.free();
        total = r.total();
      }
    } catch (IOException | RuntimeException ignored) {
      // the driver's own numbers, then
    }
    String message = "blob store " + store + " is full: " + StorageFullException.numbers(free, total) + ADVICE;
    return new StorageFullException(store, message, free, total, 0, e);
  }

  @FunctionalInterface
  private interface Call<T> {
    T call() throws IOException;
  }

  private <T> T naming(Call<T> call) throws IOException {
    try {
      return call.call();
    } catch (StorageFullException e) {
      throw named(e);
    }
  }

  /** {@link #raw}, with out-of-space errors {@link #named}. */
  private final class NamedDriver implements StorageDriver {
    @Override
    public String name() {
      return raw.name();
    }

    @Override
    public Optional<FileInfo> stat(String path) throws IOException {
      return raw.stat(path);
    }

    @Override
    public Optional<byte[]> getContent(String path) throws IOException {
      return raw.getContent(path);
    }

    @Override
    public void putContent(String path, byte[] content) throws IOException {
      naming(() -> {
        raw.putContent(path, content);
        return null;
      });
      took(content.length);
    }

    @Override
    public SeekableByteChannel reader(String path) throws IOException {
      return raw.reader(path);
    }

    @Override
    public FileWriter writer(String path, boolean append) throws IOException {
      return new NamedWriter(naming(() -> raw.writer(path, append)));
    }

    @Override
    public List<String> list(String dir) throws IOException {
      return raw.list(dir);
    }

    @Override
    public void move(String from, String to) throws IOException {
      naming(() -> {
        raw.move(from, to);
        return null;
      });
    }

    @Override
    public void delete(String path) throws IOException {
      raw.delete(path);
    }

    @Override
    public Optional<URI> redirectUrl(String path) throws IOException {
      return raw.redirectUrl(path);
    }

    @Override
    public void importFile(Path local, String to) throws IOException {
      long size = java.nio.file.Files.size(local);
      naming(() -> {
        raw.importFile(local, to);
        return null;
      });
      took(size); // a rename on a filesystem: the bytes were written to the spool before, uncounted
    }

    @Override
    public Optional<Space> space() throws IOException {
      return raw.space();
    }

    @Override
    public String toString() {
      return raw.toString();
    }
  }

  private final class NamedWriter implements StorageDriver.FileWriter {
    private final StorageDriver.FileWriter w;
    private final OutputStream stream;

    NamedWriter(StorageDriver.FileWriter w) {
      this.w = w;
      OutputStream out = w.stream();
      this.stream = new OutputStream() {
        @Override
        public void write(int b) throws IOException {
          naming(() -> {
            out.write(b);
            return null;
          });
          took(1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
          naming(() -> {
            out.write(b, off, len);
            return null;
          });
          took(len);
        }

        @Override
        public void flush() throws IOException {
          naming(() -> {
            out.flush();
            return null;
          });
        }

        @Override
        public void close() throws IOException {
          naming(() -> {
            out.close();
            return null;
          });
        }
      };
    }

    @Override
    public OutputStream stream() {
      return stream;
    }

    @Override
    public long size() {
      return w.size();
    }

    @Override
    public void commit() throws IOException {
      naming(() -> {
        w.commit();
        return null;
      });
    }

    @Override
    public void cancel() throws IOException {
      w.cancel();
    }

    @Override
    public void close() throws IOException {
      naming(() -> {
        w.close();
        return null;
      });
    }
  }

  /** Sets up a {@link StoreSpace}; from {@link StoreSpace#builder}. Not thread-safe. */
  public static final class Builder {
    private final String store;
    private final StorageDriver driver;
    private Long minFree;
    private Clock clock = Clock.systemUTC();

    private Builder(String store, StorageDriver driver) {
      this.store = Objects.requireNonNull(store, "store");
      this.driver = Objects.requireNonNull(driver, "driver");
    }

    /**
     * The reserve in bytes; 0 turns it off. Default: {@link #defaultMinFree} of the store's size.
     *
     * @param bytes the reserve, 0 or more
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public Builder minFree(long bytes) {
      if (bytes < 0) {
        throw new IllegalArgumentException("minFree must not be negative, got " + bytes);
      }
      this.minFree = bytes;
      return this;
    }

    /**
     * The clock that ages readings of the free space. Default: the system clock.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** {@return the reserve} */
    public StoreSpace build() {
      return new StoreSpace(this);
    }
  }
}
