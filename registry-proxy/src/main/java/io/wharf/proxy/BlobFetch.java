package io.wharf.proxy;

import com.google.common.base.Ticker;
import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.UpstreamIOException;
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
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One upstream blob download in progress, shared by every client that asks for the blob while it
 * runs (single flight). The bytes go to a spool file as they arrive; each client reads the spool
 * behind the download ({@link #openReader()}), so the first bytes reach every client long before
 * the download ends, in constant memory.
 *
 * <p>The last byte is held back until the download's digest has been verified: a client can only
 * complete a response for a blob the cache would keep. If verification fails, readers fail, and
 * the server aborts their connections, so no client mistakes a corrupt blob for a good one.
 *
 * <p>A reader waiting for bytes gives up when the download has received nothing for the stall
 * timeout (the read timeout): progress, however slow, keeps it waiting, so a trickling upstream
 * delivers the whole blob however long it takes. Time is read from a {@link Ticker}, which tests
 * move by hand; a waiting reader checks it at least every {@link #POLL_NANOS}.
 */
final class BlobFetch {
  final Digest digest;
  /** Size the upstream announced; the download must match it. */
  final long size;
  private final Path spool;
  private final FileChannel spoolOut;
  private final Duration stallTimeout;
  private final Ticker ticker;
  private final String upstream;
  private final Set<ImageName> images = new LinkedHashSet<>();
  private long written;
  /** When the download last received bytes (or started), by {@link #ticker}. */
  private long lastProgress;
  private boolean done;
  private boolean spoolDeleted;
  /** Bytes appended since the last fsync; touched by the download thread only. */
  private long unsynced;
  private static final long SYNC_EVERY = 32L * 1024 * 1024;
  /** The longest a waiting reader goes without looking at the ticker. */
  private static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private IOException failure;

  /**
   * @param stallTimeout how long readers wait without a byte arriving
   * @param ticker the time for the stall timeout
   * @param upstream {@code host[:port]} of the upstream, for messages
   */
  BlobFetch(Digest digest, long size, Path spoolDir, Duration stallTimeout, Ticker ticker, String upstream,
      ImageName image) throws IOException {
    this.digest = digest;
    this.size = size;
    this.stallTimeout = stallTimeout;
    this.ticker = ticker;
    this.upstream = upstream;
    this.lastProgress = ticker.read();
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
      lastProgress = ticker.read();
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

  /** Fails the download: an {@link UpstreamIOException} if the upstream was at fault. */
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
    while (!done) {
      awaitProgress();
    }
    if (failure != null) {
      throw failureForReader();
    }
  }

  /**
   * What a reader of the failed download throws: the upstream's error as it is (so the client
   * is told 502/503/504), or a plain I/O error for a local failure.
   */
  synchronized IOException failureForReader() {
    if (failure instanceof UpstreamIOException u) {
      return new UpstreamIOException(u.error());
    }
    return new IOException("upstream download of " + digest + " failed: " + failure.getMessage(), failure);
  }

  /** Waits a little for news; throws if the download has received nothing for the stall timeout. */
  private void awaitProgress() throws IOException {
    long left = stallTimeout.toNanos() - (ticker.read() - lastProgress);
    if (left <= 0) {
      throw new UpstreamIOException(new UpstreamException(ErrorCode.UPSTREAM_TIMEOUT, "upstream " + upstream
          + " sent no byte of " + digest + " for " + UpstreamClient.seconds(stallTimeout) + " (" + written + " of "
          + size + " bytes arrived)", Map.of("upstream", upstream), false, null));
    }
    waitNanos(Math.min(left, POLL_NANOS));
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
    while (true) {
      if (failure != null) {
        throw failureForReader();
      }
      long limit = done ? written : Math.min(written, size - 1);
      // Enough to be worth a write, or all there will be before the verdict on the digest. A
      // reader that wants everything up to the end waits for the verdict: its one write then
      // carries a verified blob, and any failure before is still an error response.
      boolean wantsTheRest = wanted >= size - position;
      if (position < limit && (done || limit - position >= wanted || (limit >= size - 1 && !wantsTheRest))) {
        return limit;
      }
      if (done) {
        return -1;
      }
      awaitProgress();
    }
  }

  private void waitNanos(long nanos) throws IOException {
    try {
      TimeUnit.NANOSECONDS.timedWait(this, Math.max(1, nanos));
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
      if (!dst.hasRemaining()) {
        return 0;
      }
      // Waits to fill the buffer: a small blob reaches the client in one write, once verified.
      long limit = readable(position, dst.remaining());
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
