package io.wharf.storage.memory;

import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.PathNotFoundException;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageFullException;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentNavigableMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A driver that keeps every object on the heap: for tests, the test kit and small embedded
 * registries, not for data that must survive the JVM. Directories are implied by the paths of
 * the objects below them, as in an object store, so an empty directory does not exist.
 *
 * <p>With a size limit ({@link #InMemoryDriver(long)}) it behaves as a small disk: a write that
 * would take the bytes of all objects past it throws {@link StorageFullException}, and {@link
 * #space()} reports what is left, so a full store can be tested without a filesystem to fill.
 */
public final class InMemoryDriver implements StorageDriver {
  private static final byte[] EMPTY = new byte[0];
  private static final int MAX_SIZE = Integer.MAX_VALUE - 8;

  // Sorted, so everything below a directory "/a" is the key range ["/a/", "/a0"): '0' follows '/'.
  private final ConcurrentNavigableMap<String, Entry> objects = new ConcurrentSkipListMap<>();
  /** The size limit in bytes; {@code Long.MAX_VALUE} for none. */
  private final long limit;
  /** Bytes of all objects. Against the limit, concurrent writers may overshoot by a write each. */
  private final AtomicLong used = new AtomicLong();

  /** No size limit: as much as the heap holds. */
  public InMemoryDriver() {
    this(Long.MAX_VALUE);
  }

  /**
   * At most {@code limitBytes} of object data (directories cost nothing).
   *
   * @param limitBytes the limit, positive; writes beyond it fail with {@code StorageFullException}
   * @throws IllegalArgumentException if {@code limitBytes} is not positive
   */
  public InMemoryDriver(long limitBytes) {
    if (limitBytes <= 0) {
      throw new IllegalArgumentException("the size limit must be positive, got " + limitBytes);
    }
    this.limit = limitBytes;
  }

  @Override
  public String name() {
    return "inmemory";
  }

  @Override
  public Optional<FileInfo> stat(String path) {
    Entry e = objects.get(path);
    if (e != null) {
      return Optional.of(new FileInfo(path, e.length, e.modified, false));
    }
    Instant newest = null;
    for (Entry below : below(path).values()) {
      if (newest == null || below.modified.isAfter(newest)) {
        newest = below.modified;
      }
    }
    return newest == null ? Optional.empty() : Optional.of(new FileInfo(path, 0, newest, true));
  }

  @Override
  public Optional<byte[]> getContent(String path) {
    Entry e = objects.get(path);
    return e == null ? Optional.empty() : Optional.of(Arrays.copyOf(e.data, e.length));
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    Entry old = objects.get(path);
    reserve(path, content.length - length(old));
    old = objects.put(path, new Entry(content.clone(), content.length));
    used.addAndGet(content.length - length(old));
  }

  @Override
  public SeekableByteChannel reader(String path) throws IOException {
    Entry e = objects.get(path);
    if (e == null) {
      throw new PathNotFoundException(path);
    }
    return new EntryChannel(e);
  }

  @Override
  public FileWriter writer(String path, boolean append) throws IOException {
    return new MemoryWriter(path, append);
  }

  @Override
  public List<String> list(String dir) {
    String prefix = prefix(dir);
    TreeSet<String> children = new TreeSet<>();
    for (String key : below(dir).keySet()) {
      int slash = key.indexOf('/', prefix.length());
      children.add(slash < 0 ? key : key.substring(0, slash));
    }
    return List.copyOf(children);
  }

  @Override
  public void move(String from, String to) throws IOException {
    Entry e = objects.get(from);
    if (e == null) {
      throw new PathNotFoundException(from);
    }
    if (from.equals(to)) {
      return;
    }
    // Entries are immutable, so the target is replaced in one step; readers see old or new.
    Entry replaced = objects.put(to, e);
    used.addAndGet(e.length - length(replaced));
    if (objects.remove(from, e)) {
      used.addAndGet(-e.length);
    }
  }

  @Override
  public void delete(String path) {
    Entry e = objects.remove(path);
    used.addAndGet(-length(e));
    for (var below : below(path).entrySet()) {
      if (objects.remove(below.getKey(), below.getValue())) {
        used.addAndGet(-below.getValue().length);
      }
    }
  }

  /** With a limit: what is left of it, and the limit. */
  @Override
  public Optional<Space> space() {
    return limit == Long.MAX_VALUE ? Optional.empty() : Optional.of(new Space(Math.max(0, limit - used.get()), limit));
  }

  /**
   * Bytes of all objects (what {@link #space()} counts against the limit).
   *
   * @return the byte count
   */
  public long usedBytes() {
    return used.get();
  }

  /** Refuses a write of {@code more} bytes that does not fit under the limit. */
  private void reserve(String path, long more) throws StorageFullException {
    if (more > 0 && limit != Long.MAX_VALUE && used.get() + more > limit) {
      long free = Math.max(0, limit - used.get());
      throw new StorageFullException("inmemory", free, limit,
          new IOException("no room for " + more + " more bytes at " + path));
    }
  }

  private static long length(Entry e) {
    return e == null ? 0 : e.length;
  }

  @Override
  public String toString() {
    return "inmemory";
  }

  private ConcurrentNavigableMap<String, Entry> below(String dir) {
    String prefix = prefix(dir);
    return objects.subMap(prefix, true, prefix.substring(0, prefix.length() - 1) + '0', false);
  }

  private static String prefix(String dir) {
    return dir.endsWith("/") ? dir : dir + "/";
  }

  /**
   * An immutable view of the first {@code length} bytes of {@code data}. A writer may share its
   * buffer with the entries it published: it only ever writes past their length.
   */
  private static final class Entry {
    final byte[] data;
    final int length;
    final Instant modified = Instant.now();

    Entry(byte[] data, int length) {
      this.data = data;
      this.length = length;
    }
  }

  /**
   * Publishes a new entry after every write, so the bytes are visible (and survive close without
   * commit) just as they would be in a file. It publishes only over its own last entry: once the
   * object was moved, deleted or replaced, the writer stops touching the path (like a file
   * descriptor to a renamed or unlinked file), so closing it after a move cannot resurrect it.
   */
  private final class MemoryWriter implements FileWriter {
    private final String path;
    private final OutputStream stream = new Stream();
    private byte[] buf;
    private int length;
    private Entry published; // null once someone else owns the path
    private boolean closed;

    MemoryWriter(String path, boolean append) {
      this.path = path;
      if (append) {
        published = objects.computeIfAbsent(path, p -> new Entry(EMPTY, 0));
        // Copy rather than share: another writer may hold the same entry's buffer.
        buf = Arrays.copyOf(published.data, Math.max(published.length, 8192));
        length = published.length;
      } else {
        published = new Entry(EMPTY, 0);
        used.addAndGet(-length(objects.put(path, published)));
        buf = new byte[8192];
      }
    }

    @Override
    public OutputStream stream() {
      return stream;
    }

    @Override
    public long size() {
      return length;
    }

    @Override
    public void commit() throws IOException {
      ensureOpen(); // every write is already published; there is nothing to make durable
    }

    @Override
    public void cancel() {
      closed = true;
      if (published != null) {
        if (objects.remove(path, published)) {
          used.addAndGet(-published.length);
        }
        published = null;
      }
    }

    @Override
    public void close() {
      closed = true;
    }

    private void ensureOpen() throws IOException {
      if (closed) {
        throw new IOException("writer closed: " + path);
      }
    }

    private void append(byte[] b, int off, int len) throws IOException {
      ensureOpen();
      if (len > MAX_SIZE - length) {
        throw new IOException("object too large for the in-memory driver: " + path);
      }
      if (published != null) {
        reserve(path, len);
      }
      if (length + len > buf.length) {
        buf = Arrays.copyOf(buf, (int) Math.min(MAX_SIZE, Math.max(length + len, 2L * buf.length)));
      }
      System.arraycopy(b, off, buf, length, len);
      length += len;
      if (published != null) {
        Entry next = new Entry(buf, length);
        if (objects.replace(path, published, next)) {
          used.addAndGet(len);
          published = next;
        } else {
          published = null;
        }
      }
    }

    private final class Stream extends OutputStream {
      @Override
      public void write(int b) throws IOException {
        append(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        append(b, off, len);
      }
    }
  }

  /** A read-only channel over one entry: later writes to the path do not show through. */
  private static final class EntryChannel implements SeekableByteChannel {
    private final Entry entry;
    private long position;
    private boolean open = true;

    EntryChannel(Entry entry) {
      this.entry = entry;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      ensureOpen();
      if (position >= entry.length) {
        return -1;
      }
      int n = (int) Math.min(dst.remaining(), entry.length - position);
      dst.put(entry.data, (int) position, n);
      position += n;
      return n;
    }

    @Override
    public int write(ByteBuffer src) {
      throw new NonWritableChannelException();
    }

    @Override
    public long position() throws IOException {
      ensureOpen();
      return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
      ensureOpen();
      if (newPosition < 0) {
        throw new IllegalArgumentException("negative position: " + newPosition);
      }
      position = newPosition;
      return this;
    }

    @Override
    public long size() throws IOException {
      ensureOpen();
      return entry.length;
    }

    @Override
    public SeekableByteChannel truncate(long size) {
      throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      open = false;
    }

    private void ensureOpen() throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
    }
  }
}
