package io.wharf.proxy;

import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.repository.GrowingFile;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Set;

/**
 * One upstream blob download in progress, shared by every client that asks for the blob while it
 * runs (single flight). The bytes go to a spool file as they arrive; each client reads the spool
 * behind the download ({@link #openReader()}), so the first bytes reach every client long before
 * the download ends, in constant memory.
 *
 * <p>The last byte is held back until the download's digest has been verified: a client can only
 * complete a response for a blob the cache would keep. If verification fails, readers fail, and
 * the server aborts their connections, so no client mistakes a corrupt blob for a good one.
 */
final class BlobFetch {
  final Digest digest;
  /** Size the upstream announced; the download must match it. */
  final long size;
  private final Path spool;
  private final FileChannel spoolOut;
  private final Duration stallTimeout;
  private final Set<ImageName> images = new LinkedHashSet<>();
  private long written;
  private boolean done;
  private boolean spoolDeleted;
  /** Bytes appended since the last fsync; touched by the download thread only. */
  private long unsynced;
  private static final long SYNC_EVERY = 32L * 1024 * 1024;
  private IOException failure;

  BlobFetch(Digest digest, long size, Path spoolDir, Duration stallTimeout, ImageName image) throws IOException {
    this.digest = digest;
    this.size = size;
    this.stallTimeout = stallTimeout;
    Files.createDirectories(spoolDir);
    this.spool = Files.createTempFile(spoolDir, digest.hex().substring(0, 12) + "-", ".spool");
    this.spoolOut = FileChannel.open(spool, StandardOpenOption.WRITE);
    this.images.add(image);
  }

  // ---- the download's side

  void append(byte[] b, int off, int len) throws IOException {
    ByteBuffer buf = ByteBuffer.wrap(b, off, len);
    while (buf.hasRemaining()) {
      spoolOut.write(buf);
    }
    // Flush to disk as the download goes, so that the fsync before the blob is committed (and
    // before clients get the last byte) has little left to do.
    unsynced += len;
    if (unsynced >= SYNC_EVERY) {
      spoolOut.force(false);
      unsynced = 0;
    }
    synchronized (this) {
      written += len;
      notifyAll();
    }
  }

  /**
   * Makes the spool durable and hands it over to be moved into storage: it is the blob now.
   * Readers that have it open keep reading it (a rename keeps the file); new ones read the cache.
   */
  Path commitSpool() throws IOException {
    spoolOut.force(false);
    return spool;
  }

  /** The download is verified and stored: readers may see the last byte, late readers use the cache. */
  void succeeded() {
    finish(null);
  }

  void failed(Throwable cause) {
    finish(cause instanceof IOException io ? io : new IOException(cause.getMessage(), cause));
  }

  private void finish(IOException cause) {
    synchronized (this) {
      failure = cause;
      done = true;
      spoolDeleted = true; // open readers keep their file handle; new ones go to the cache
      notifyAll();
    }
    try {
      spoolOut.close();
      Files.deleteIfExists(spool); // nothing there once it was moved into storage
    } catch (IOException ignored) {
      // a leftover spool file in a temp directory is harmless
    }
  }

  /** Images that asked for the blob while it was downloading; each gets a link to it. */
  synchronized Set<ImageName> images() {
    return Set.copyOf(images);
  }

  /** Adds an image to link when the download completes; false if it has already completed. */
  synchronized boolean addImage(ImageName image) {
    if (done) {
      return false;
    }
    images.add(image);
    return true;
  }

  synchronized boolean isDone() {
    return done;
  }

  synchronized IOException failure() {
    return failure;
  }

  /** Waits for the end of the download (for clients that cannot stream, e.g. unknown size). */
  synchronized void awaitDone() throws IOException {
    long seen = -1;
    long deadline = 0;
    while (!done) {
      if (written != seen) { // progress restarts the stall clock
        seen = written;
        deadline = System.nanoTime() + stallTimeout.toNanos();
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IOException("upstream download of " + digest + " stalled for " + stallTimeout);
      }
      waitNanos(left);
    }
    if (failure != null) {
      throw failure;
    }
  }


  // ---- the clients' side

  /** A reader of the spool behind the download, or {@code null} if it is over (read the cache). */
  synchronized SeekableByteChannel openReader() throws IOException {
    if (spoolDeleted) {
      return null;
    }
    try {
      return new TailReader(FileChannel.open(spool, StandardOpenOption.READ));
    } catch (java.nio.file.NoSuchFileException e) {
      return null; // just moved into storage: read it there
    }
  }

  /**
   * Blocks until bytes beyond {@code position} may be read and returns how many bytes may be
   * read in all, or -1 at the end. Throws if the download failed or stalled.
   */
  private synchronized long readable(long position, long wanted) throws IOException {
    long deadline = System.nanoTime() + stallTimeout.toNanos();
    while (true) {
      if (failure != null) {
        throw new IOException("upstream download of " + digest + " failed: " + failure.getMessage(), failure);
      }
      long limit = done ? written : Math.min(written, size - 1);
      // Enough to be worth a write, or all there will be before the verdict on the digest.
      if (position < limit && (done || limit - position >= wanted || limit >= size - 1)) {
        return limit;
      }
      if (done) {
        return -1;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IOException("upstream download of " + digest + " stalled for " + stallTimeout);
      }
      waitNanos(left);
    }
  }

  private void waitNanos(long nanos) throws IOException {
    try {
      wait(Math.max(1, nanos / 1_000_000));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while waiting for upstream bytes", e);
    }
  }

  /** Reads the spool up to what the download has written, waiting for more. */
  private final class TailReader implements SeekableByteChannel, GrowingFile {
    private final FileChannel file;
    private long position;

    TailReader(FileChannel file) {
      this.file = file;
    }

    @Override
    public FileChannel file() {
      return file;
    }

    @Override
    public long awaitReadable(long from, long wanted) throws IOException {
      return readable(from, wanted);
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      long limit = readable(position, 1);
      if (limit < 0) {
        return -1;
      }
      int max = (int) Math.min(dst.remaining(), limit - position);
      ByteBuffer slice = dst.slice();
      slice.limit(max);
      int n = file.read(slice, position);
      if (n > 0) {
        dst.position(dst.position() + n);
        position += n;
      }
      return n;
    }

    @Override
    public int write(ByteBuffer src) {
      throw new NonWritableChannelException();
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public SeekableByteChannel position(long newPosition) {
      position = newPosition;
      return this;
    }

    @Override
    public long size() {
      return size;
    }

    @Override
    public SeekableByteChannel truncate(long s) {
      throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
      return file.isOpen();
    }

    @Override
    public void close() throws IOException {
      file.close();
    }
  }
}
