package io.wharf.storage.fs;

import static java.nio.file.StandardCopyOption.ATOMIC_MOVE;
import static java.nio.file.StandardCopyOption.REPLACE_EXISTING;
import static java.nio.file.StandardOpenOption.CREATE;
import static java.nio.file.StandardOpenOption.CREATE_NEW;
import static java.nio.file.StandardOpenOption.READ;
import static java.nio.file.StandardOpenOption.TRUNCATE_EXISTING;
import static java.nio.file.StandardOpenOption.WRITE;

import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.PathNotFoundException;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageFullException;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The default driver: the SPI path {@code /a/b} is the file {@code <root>/a/b}. That is the layout
 * of CNCF distribution's filesystem driver, so its {@code rootdirectory} works as {@code root} and
 * an existing registry's data ({@code <root>/docker/registry/v2/...}) reads as-is.
 *
 * <p>Small objects are written to a temp file, fsynced and renamed over the target, so a reader or
 * a crash sees the old object or the new one. Temp files are named {@code .tmp-<random>}, live next
 * to their target (a rename is only atomic within one filesystem) and are never listed. A crash can
 * leave one behind; it is garbage, safe to delete.
 *
 * <p>Misses are answered through {@code java.io.File} ({@code exists}, {@code isFile}, {@code
 * mkdir}): one stat call. NIO reports a missing file with two exceptions, each filling in a
 * stack trace that is 80 frames deep under Jetty; clients check for blobs they are about to push
 * all the time (skopeo twice per layer), and each such miss cost about 60 µs of CPU.
 *
 * <p>A write that fails for lack of space ({@code ENOSPC}, or {@code EDQUOT} under a disk quota)
 * throws {@link StorageFullException} with the free and total space of the filesystem under the
 * root ({@link #space()}).
 */
public final class FilesystemDriver implements StorageDriver {
  static final String TMP_PREFIX = ".tmp-";
  /** How often {@link #putContent} writes again when a concurrent delete took its directory. */
  private static final int PUT_ATTEMPTS = 5;
  private static final int BUFFER_SIZE = 64 * 1024;
  /** A writer that has written this much since its last flush starts flushing it in the background. */
  private static final long EARLY_FLUSH_BYTES = 64L * 1024 * 1024;
  /** Runs the early flushes; at most one per writer at a time, so as many threads as big uploads. */
  private static final Executor EARLY_FLUSHES = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "wharf-fs-flush");
    t.setDaemon(true);
    return t;
  });

  private final Path root;

  /**
   * A driver that stores path {@code /a/b} as the file {@code <root>/a/b}.
   *
   * @param root the storage's root directory (a distribution {@code rootdirectory})
   */
  public FilesystemDriver(Path root) {
    this.root = root.toAbsolutePath().normalize();
  }

  @Override
  public String name() {
    return "filesystem";
  }

  @Override
  public Optional<FileInfo> stat(String path) throws IOException {
    Path file = resolve(path);
    if (!file.toFile().exists()) { // a miss without exceptions, see the class comment
      return Optional.empty();
    }
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      boolean dir = a.isDirectory();
      return Optional.of(new FileInfo(path, dir ? 0 : a.size(), a.lastModifiedTime().toInstant(), dir));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  @Override
  public Optional<byte[]> getContent(String path) throws IOException {
    Path file = resolve(path);
    if (!file.toFile().isFile()) { // absent or a directory: a miss without exceptions
      return Optional.empty();
    }
    try {
      return Optional.of(Files.readAllBytes(file));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      if (Files.isDirectory(file)) { // checked only on failure: this is the hot path for links
        return Optional.empty();
      }
      throw e;
    }
  }

  @Override
  public void putContent(String path, byte[] content) throws IOException {
    Path file = resolve(path);
    for (int attempt = 1; ; attempt++) {
      Path tmp = file.resolveSibling(TMP_PREFIX + Long.toHexString(ThreadLocalRandom.current().nextLong()));
      try {
        createDirectories(file.getParent()); // usually new: a link, a manifest, a tag
      } catch (IOException e) {
        throw whenFull(e);
      }
      try {
        try (FileChannel ch = FileChannel.open(tmp, CREATE_NEW, WRITE)) {
          ByteBuffer buf = ByteBuffer.wrap(content);
          while (buf.hasRemaining()) {
            ch.write(buf);
          }
          // Data before the rename: otherwise a crash could leave the new name on empty content.
          ch.force(true);
        }
        Files.move(tmp, file, ATOMIC_MOVE, REPLACE_EXISTING);
        break;
      } catch (NoSuchFileException e) {
        // A delete of the directory ran between our steps (the collector tidying a link that a
        // push rewrites now, an upload being cancelled) and took the temp file or the directory.
        // This put comes after that delete, so it writes again; only a directory deleted over
        // and over gives up.
        deleteQuietly(tmp);
        if (attempt == PUT_ATTEMPTS) {
          throw e;
        }
      } catch (IOException e) {
        deleteQuietly(tmp);
        throw whenFull(e);
      } catch (RuntimeException e) {
        deleteQuietly(tmp);
        throw e;
      }
    }
    syncDirectory(file.getParent());
  }

  @Override
  public SeekableByteChannel reader(String path) throws IOException {
    Path file = resolve(path);
    FileChannel ch;
    try {
      ch = FileChannel.open(file, READ);
    } catch (NoSuchFileException e) {
      throw new PathNotFoundException(path);
    }
    // Unix lets you open a directory for reading; only reads fail, with EISDIR.
    if (Files.isDirectory(file)) {
      ch.close();
      throw new PathNotFoundException(path);
    }
    return ch;
  }

  @Override
  public FileWriter writer(String path, boolean append) throws IOException {
    Path file = resolve(path);
    FileChannel ch;
    try {
      // Not APPEND: positioning once at the end is all a resuming upload needs.
      ch = append
          ? openCreatingParents(file, CREATE, WRITE)
          : openCreatingParents(file, CREATE, WRITE, TRUNCATE_EXISTING);
    } catch (IOException e) {
      throw whenFull(e);
    }
    try {
      long start = append ? ch.size() : 0;
      ch.position(start);
      return new ChannelWriter(file, ch, start);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /** Creates the parents only when they are missing: saves two syscalls on every write. */
  private static FileChannel openCreatingParents(Path file, OpenOption... options) throws IOException {
    try {
      return FileChannel.open(file, options);
    } catch (NoSuchFileException e) {
      createDirectories(file.getParent());
      return FileChannel.open(file, options);
    }
  }

  /**
   * Creates {@code dir} and its missing parents, through {@code java.io.File}: NIO's
   * {@code Files.createDirectories} throws and catches an exception for every missing level, and
   * blobs, links and tags each start in a directory of their own. So {@code mkdir} comes first:
   * every caller expects the directory to be new.
   */
  private static void createDirectories(Path dir) throws IOException {
    File d = dir.toFile();
    if (d.mkdir() || d.isDirectory()) { // created, or there already (maybe by a concurrent writer)
      return;
    }
    // Not File.mkdirs: it canonicalizes the path, a stat for every component, at every level.
    Path parent = dir.getParent();
    if (parent != null) {
      createDirectories(parent);
    }
    if (!d.mkdir() && !d.isDirectory()) {
      Files.createDirectories(dir); // fails, and says why
    }
  }

  @Override
  public List<String> list(String dir) throws IOException {
    String prefix = dir.endsWith("/") ? dir : dir + "/";
    List<String> children = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(resolve(dir))) {
      for (Path child : entries) {
        String name = child.getFileName().toString();
        if (!name.startsWith(TMP_PREFIX)) {
          children.add(prefix + name);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      return List.of();
    }
    Collections.sort(children);
    return children;
  }

  @Override
  public void move(String from, String to) throws IOException {
    try {
      doMove(from, to);
    } catch (IOException e) {
      throw whenFull(e);
    }
  }

  private void doMove(String from, String to) throws IOException {
    Path source = resolve(from);
    Path target = resolve(to);
    if (!target.getParent().toFile().isDirectory()) { // the rule for a new blob
      // Parents are created only after the source is known to exist: a failed move leaves no trace.
      if (!source.toFile().exists()) {
        throw new PathNotFoundException(from);
      }
      createDirectories(target.getParent());
    }
    try {
      Files.move(source, target, ATOMIC_MOVE, REPLACE_EXISTING);
    } catch (NoSuchFileException e) {
      if (!source.toFile().exists()) {
        throw new PathNotFoundException(from);
      }
      throw e;
    }
    // rename(2) replaces the target in one step, so two uploads of the same blob moving to the same
    // content-addressed path both succeed and the last one wins with identical bytes.
    syncDirectory(target.getParent());
  }

  /** A rename when {@code local} is on the same filesystem (no second write), else a copy. */
  @Override
  public void importFile(Path local, String to) throws IOException {
    try {
      doImportFile(local, to);
    } catch (IOException e) {
      throw whenFull(e);
    }
  }

  private void doImportFile(Path local, String to) throws IOException {
    Path target = resolve(to);
    createDirectories(target.getParent());
    try {
      Files.move(local, target, ATOMIC_MOVE, REPLACE_EXISTING);
    } catch (java.nio.file.FileSystemException e) { // AtomicMoveNotSupportedException: another filesystem
      if (!Files.exists(local)) {
        throw e;
      }
      StorageDriver.super.importFile(local, to); // another filesystem: copy, fsync, rename
      return;
    }
    syncDirectory(target.getParent());
  }

  @Override
  public void delete(String path) throws IOException {
    // walkFileTree rather than Files.walk: it reports entries that vanish under it (a concurrent
    // delete, an upload being cancelled) to the visitor instead of aborting the whole walk.
    Files.walkFileTree(resolve(path), new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        Files.deleteIfExists(file);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
        if (e instanceof NoSuchFileException) {
          return FileVisitResult.CONTINUE;
        }
        throw e;
      }

      @Override
      public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
        if (e != null && !(e instanceof NoSuchFileException)) {
          throw e;
        }
        Files.deleteIfExists(dir);
        return FileVisitResult.CONTINUE;
      }
    });
  }

  /**
   * The filesystem that holds the root (or would: the nearest existing parent), as {@code statvfs}
   * reports it to this process: bytes it may still write, and the filesystem's size.
   */
  @Override
  public Optional<Space> space() {
    File dir = root.toFile();
    while (dir != null && !dir.exists()) {
      dir = dir.getParentFile();
    }
    return dir == null ? Optional.empty() : Optional.of(new Space(dir.getUsableSpace(), dir.getTotalSpace()));
  }

  /**
   * {@code e} as a {@link StorageFullException} if it reports ENOSPC or EDQUOT, else {@code e}.
   * The JDK gives the C library's message, which is localised with the process's locale; so a
   * plain I/O error in other words also counts as "full" when the filesystem has no space left.
   */
  IOException whenFull(IOException e) {
    if (e instanceof StorageFullException) {
      return e;
    }
    String message = String.valueOf(e.getMessage());
    boolean full = message.contains("No space left on device") || message.contains("Disk quota exceeded");
    if (!full && (e.getClass() == IOException.class || e.getClass() == FileSystemException.class)) {
      full = space().map(s -> s.freeBytes() == 0).orElse(false);
    }
    if (!full) {
      return e;
    }
    Space space = space().orElse(new Space(-1, -1));
    return new StorageFullException(root.toString(), space.freeBytes(), space.totalBytes(), e);
  }

  @Override
  public String toString() {
    return "filesystem(" + root + ")";
  }

  private Path resolve(String path) {
    return root.resolve(path.substring(1));
  }

  /**
   * Makes a rename durable: without it, a crash can forget the new directory entry although the
   * client was told the write succeeded. Failure only loses that durability, never atomicity, and
   * some platforms cannot open a directory at all, so errors are ignored.
   */
  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, READ)) {
      ch.force(true);
    } catch (IOException | RuntimeException ignored) {
      // best effort, see above
    }
  }

  private static void deleteQuietly(Path file) {
    try {
      Files.deleteIfExists(file);
    } catch (IOException ignored) {
      // the caller's exception matters more; a leftover temp file is invisible and harmless
    }
  }

  /**
   * Writes through a 64 KiB buffer (uploads arrive in small network reads); large arrays bypass
   * it and go straight to the channel. The buffer is drained on flush, commit and close, so bytes
   * written before a close are in the file for the next (appending) writer.
   *
   * <p>Every {@link #EARLY_FLUSH_BYTES} a flush to disk starts in the background, so a big blob
   * reaches the disk while it is still arriving and {@link #commit()} has only the tail left to
   * flush: a 1 GiB push otherwise waited about 0.4 s for its final fdatasync on the benchmark
   * machine, a tenth of the whole push.
   */
  private final class ChannelWriter implements FileWriter {
    private final Path file;
    private final FileChannel channel;
    private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER_SIZE);
    private final OutputStream stream = new Stream();
    private long size;
    private boolean closed;
    private long unflushed;
    private CompletableFuture<Void> earlyFlush = CompletableFuture.completedFuture(null);

    ChannelWriter(Path file, FileChannel channel, long size) {
      this.file = file;
      this.channel = channel;
      this.size = size;
    }

    @Override
    public OutputStream stream() {
      return stream;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public void commit() throws IOException {
      ensureOpen();
      try {
        drain();
        awaitEarlyFlush();
        // Data only: the size is covered by fdatasync; the name becomes durable with the later move.
        channel.force(false);
      } catch (IOException e) {
        throw whenFull(e);
      }
    }

    private void awaitEarlyFlush() throws IOException {
      try {
        earlyFlush.join();
      } catch (CompletionException e) {
        throw e.getCause() instanceof IOException io ? io : new IOException("flush of " + file + " failed", e.getCause());
      }
    }

    @Override
    public void cancel() throws IOException {
      closed = true;
      buffer.clear();
      try {
        channel.close();
      } finally {
        Files.deleteIfExists(file);
      }
    }

    @Override
    public void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try (channel) {
        drain();
      } catch (IOException e) {
        throw whenFull(e);
      }
    }

    private void ensureOpen() throws IOException {
      if (closed) {
        throw new IOException("writer closed: " + file);
      }
    }

    private void drain() throws IOException {
      buffer.flip();
      try {
        writeFully(buffer);
      } finally {
        buffer.clear(); // written or refused (out of space): never written twice
      }
    }

    private void writeFully(ByteBuffer src) throws IOException {
      unflushed += src.remaining();
      while (src.hasRemaining()) {
        channel.write(src);
      }
      // A failed flush stays in place for commit() to report: a later fsync may not repeat the error.
      if (unflushed >= EARLY_FLUSH_BYTES && earlyFlush.isDone() && !earlyFlush.isCompletedExceptionally()) {
        unflushed = 0;
        // A failure is reported by commit(); after close() nobody asks, and nothing was promised.
        earlyFlush = CompletableFuture.runAsync(() -> {
          try {
            channel.force(false);
          } catch (IOException e) {
            throw new CompletionException(e);
          }
        }, EARLY_FLUSHES);
      }
    }

    /** Closing the stream only flushes it: the writer owns the channel and closes it. */
    private final class Stream extends OutputStream {
      @Override
      public void write(int b) throws IOException {
        ensureOpen();
        if (!buffer.hasRemaining()) {
          flush();
        }
        buffer.put((byte) b);
        size++;
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        Objects.checkFromIndexSize(off, len, b.length);
        ensureOpen();
        try {
          if (len > buffer.remaining()) {
            drain();
          }
          if (len >= BUFFER_SIZE) {
            writeFully(ByteBuffer.wrap(b, off, len));
          } else {
            buffer.put(b, off, len);
          }
        } catch (IOException e) {
          throw whenFull(e);
        }
        size += len;
      }

      @Override
      public void flush() throws IOException {
        if (!closed) {
          try {
            drain();
          } catch (IOException e) {
            throw whenFull(e);
          }
        }
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    }
  }
}
