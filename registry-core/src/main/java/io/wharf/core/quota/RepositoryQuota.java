package io.wharf.core.quota;

import io.wharf.core.model.Descriptor;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.repository.Warnings;
import io.wharf.core.storage.BlobStore;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.core.upload.UploadStore;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Enforces one hosted repository's {@link Quota} on its pushes; {@link
 * io.wharf.core.repository.HostedRepository} calls it when a quota is set (and not at all
 * otherwise).
 *
 * <p><b>Hard limit.</b> A push is refused with {@code DENIED} when the repository's {@link
 * RepositoryUsage}, plus the bytes that pushes in progress on this node have reserved, plus what
 * this push adds would exceed it. An upload request reserves the bytes its upload already holds
 * plus the ones it declares ({@code Content-Length}, {@code Content-Range}), and is refused before
 * its body is read if they do not fit; a body of unknown length is counted as it arrives, and the
 * request is refused before the bytes that would not fit are written. A refused upload is
 * cancelled, so no partial data stays in storage. Manifests reserve their size, blobs linked from
 * storage ({@code linkIfStored}) theirs. A cross-repository mount from another image of the same
 * repository links a blob the repository already stores, so it costs nothing and is never
 * refused. Before refusing, a usage that may be out of date is rescanned ({@link
 * RepositoryUsage#recheck()}).
 *
 * <p><b>Soft limit.</b> A push that leaves usage above it succeeds with a {@link Warnings} entry
 * (a {@code Warning: 299} header) and a log line (at most one a minute per repository at WARN,
 * the rest at DEBUG). The {@link QuotaListener} hears of the first push over it (again after
 * usage was seen back under it) and of every refusal.
 *
 * <p>Reservations live in this JVM for the duration of a request: nodes sharing storage see each
 * other's pushes at the next scan, so together they may overshoot by what they push in parallel.
 */
public final class RepositoryQuota {
  private static final Logger LOG = LoggerFactory.getLogger(RepositoryQuota.class);
  private static final long SOFT_LOG_EVERY = TimeUnit.MINUTES.toNanos(1);

  private final String repository;
  private final Quota quota;
  private final RepositoryUsage usage;
  /** Bytes of pushes in progress on this node, not yet in {@link #usage}. */
  private final AtomicLong reserved = new AtomicLong();
  private final AtomicLong lastSoftLog = new AtomicLong(System.nanoTime() - SOFT_LOG_EVERY);
  private final QuotaListener listener;
  /** Whether the last soft-limit check found usage over it: the listener hears of crossings only. */
  private final AtomicBoolean overSoft = new AtomicBoolean();

  /**
   * The quota of a repository, told to no listener.
   *
   * @param repository the repository's name, for messages
   * @param quota the limits
   * @param usage the repository's usage accounting
   */
  public RepositoryQuota(String repository, Quota quota, RepositoryUsage usage) {
    this(repository, quota, usage, QuotaListener.NONE);
  }

  /**
   * The quota of a repository.
   *
   * @param repository the repository's name, for messages
   * @param quota the limits
   * @param usage the repository's usage accounting
   * @param listener hears of soft-limit crossings and refusals
   */
  public RepositoryQuota(String repository, Quota quota, RepositoryUsage usage, QuotaListener listener) {
    this.repository = Objects.requireNonNull(repository, "repository");
    this.quota = Objects.requireNonNull(quota, "quota");
    this.usage = Objects.requireNonNull(usage, "usage");
    this.listener = Objects.requireNonNull(listener, "listener");
  }

  /** {@return the limits} */
  public Quota quota() {
    return quota;
  }

  /** {@return the repository's usage accounting} */
  public RepositoryUsage usage() {
    return usage;
  }

  /**
   * {@return the repository's usage in bytes (see {@link RepositoryUsage#bytes()})}
   *
   * @throws IOException if a rescan of storage fails
   */
  public long usedBytes() throws IOException {
    return usage.bytes();
  }

  /** {@return bytes reserved by pushes in progress on this node} */
  public long reservedBytes() {
    return reserved.get();
  }

  /** Rescan on next need: call after garbage collection or cleanup changed the repository. */
  public void refresh() {
    usage.refresh();
  }

  // ---- the enforcement points

  /**
   * {@link UploadStore#append} under the quota.
   *
   * @param uploads the repository's uploads
   * @param image the image the blob is for
   * @param id the upload's id
   * @param body the chunk's bytes
   * @param chunk where the client says the chunk goes
   * @return the upload, with the bytes it holds now
   * @throws QuotaExceededException if the upload would take usage over the hard limit; the upload
   *     is cancelled
   * @throws IOException if storage fails
   */
  public UploadSession append(UploadStore uploads, ImageName image, String id, InputStream body, Chunk chunk)
      throws IOException {
    if (!quota.hasHard()) {
      return uploads.append(image, id, body, chunk);
    }
    long declared = Math.max(0, chunk.length());
    try (Reservation r = reserve(uploads.status(image, id).size() + declared)) {
      return uploads.append(image, id, r.meter(body, declared), chunk);
    } catch (QuotaExceededException e) {
      cancelQuietly(uploads, image, id);
      throw e;
    }
  }

  /**
   * {@link UploadStore#finish} under the quota; counts the blob if it is new in {@code image}.
   *
   * @param uploads the repository's uploads
   * @param blobs the repository's blobs
   * @param image the image the blob is for
   * @param id the upload's id
   * @param body the last chunk's bytes
   * @param chunk where the client says the chunk goes
   * @param digest the digest the client says the blob has
   * @return the stored blob
   * @throws QuotaExceededException if the blob would take usage over the hard limit; the upload is
   *     cancelled
   * @throws IOException if storage fails
   */
  public Descriptor finish(UploadStore uploads, BlobStore blobs, ImageName image, String id, InputStream body,
      Chunk chunk, Digest digest) throws IOException {
    boolean newLink = !blobs.isLinked(image, digest);
    Descriptor stored;
    if (!quota.hasHard() || !newLink) { // a blob the image already links adds nothing: never refused
      stored = uploads.finish(image, id, body, chunk, digest);
      usage.add(newLink ? stored.size() : 0);
    } else {
      long declared = Math.max(0, chunk.length());
      try (Reservation r = reserve(uploads.status(image, id).size() + declared)) {
        stored = uploads.finish(image, id, r.meter(body, declared), chunk, digest);
        r.commit(newLink ? stored.size() : 0);
      } catch (QuotaExceededException e) {
        cancelQuietly(uploads, image, id);
        throw e;
      }
    }
    warnIfOverSoft();
    return stored;
  }

  /**
   * Runs {@code store}, which adds {@code newBytes} to the repository (a manifest, a blob linked
   * from storage; 0 if what it links is linked already), refusing it first if they do not fit.
   *
   * @param newBytes the bytes it adds; 0 or less to add nothing
   * @param store the write
   * @throws QuotaExceededException if the bytes would take usage over the hard limit; nothing is
   *     written
   * @throws IOException if storage or the write fails
   */
  public void store(long newBytes, Store store) throws IOException {
    if (!quota.hasHard() || newBytes <= 0) {
      store.run();
      usage.add(newBytes);
    } else {
      try (Reservation r = reserve(newBytes)) {
        store.run();
        r.commit(newBytes);
      }
    }
    warnIfOverSoft();
  }

  /** Notes that something was deleted from the repository: the next refusal rescans first. */
  public void deleted() {
    usage.changed();
  }

  /** A write that {@link #store} guards. */
  @FunctionalInterface
  public interface Store {
    /**
     * Writes.
     *
     * @throws IOException if storage fails
     */
    void run() throws IOException;
  }

  // ---- internals

  private Reservation reserve(long bytes) throws IOException {
    Reservation r = new Reservation();
    try {
      r.grow(bytes, false);
    } catch (IOException | RuntimeException e) {
      r.close();
      throw e;
    }
    return r;
  }

  /**
   * Adds the soft-limit warning. Runs after the write succeeded, so it never fails the push: if
   * usage cannot be read now (a rescan hitting a storage error), the warning waits for a later push.
   */
  private void warnIfOverSoft() {
    if (!quota.hasSoft()) {
      return;
    }
    long used;
    try {
      used = usage.bytes();
    } catch (IOException | RuntimeException e) {
      LOG.debug("quota of {}: usage not readable for the soft-limit check: {}", repository, e.toString());
      return;
    }
    if (used <= quota.softBytes()) {
      overSoft.set(false);
      return;
    }
    String text = "quota warning: repository \"" + repository + "\" uses " + Quota.format(used)
        + ", over its soft limit of " + Quota.format(quota.softBytes())
        + (quota.hasHard() ? " (hard limit " + Quota.format(quota.hardBytes()) + ")" : "");
    Warnings.add(text);
    if (overSoft.compareAndSet(false, true)) {
      long over = used;
      tell(() -> listener.softLimitPassed(repository, over, quota));
    }
    long now = System.nanoTime();
    long last = lastSoftLog.get();
    if (now - last >= SOFT_LOG_EVERY && lastSoftLog.compareAndSet(last, now)) {
      LOG.warn("{} ({} bytes)", text, used);
    } else {
      LOG.debug("{} ({} bytes)", text, used);
    }
  }

  private QuotaExceededException exceeded(long used, long push, long others, boolean atLeast) {
    String message = "quota exceeded: repository \"" + repository + "\" uses " + Quota.format(used) + " of its "
        + Quota.format(quota.hardBytes()) + " limit; this push needs " + (atLeast ? "at least " : "")
        + Quota.format(push) + " more"
        + (others > 0 ? " and pushes in progress hold " + Quota.format(others) : "");
    Map<String, Object> detail = new LinkedHashMap<>();
    detail.put("repository", repository);
    detail.put("usedBytes", used);
    detail.put("limitBytes", quota.hardBytes());
    detail.put("pushBytes", push);
    detail.put("reservedBytes", others);
    LOG.info("push refused: {}", message);
    QuotaExceededException refusal = new QuotaExceededException(message, detail);
    tell(() -> listener.refused(repository, refusal));
    return refusal;
  }

  /** Tells the listener; what it throws is logged, never the push's outcome. */
  private void tell(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.warn("quota of {}: a listener failed: {}", repository, e.toString());
    }
  }

  private static void cancelQuietly(UploadStore uploads, ImageName image, String id) {
    try {
      uploads.cancel(image, id);
    } catch (IOException | RuntimeException e) {
      LOG.debug("cancelling upload {} of {} after a quota refusal: {}", id, image, e.toString());
    }
  }

  /** Bytes one request holds against the limit until it commits them to usage or ends. */
  private final class Reservation implements AutoCloseable {
    private long held;

    void grow(long bytes, boolean streaming) throws IOException {
      held += bytes;
      long total = reserved.addAndGet(bytes);
      long used = usage.bytes();
      if (used + total > quota.hardBytes()) {
        used = usage.recheck();
        total = reserved.get();
        if (used + total > quota.hardBytes()) {
          throw exceeded(used, held, total - held, streaming);
        }
      }
    }

    /** {@code body}, counted as it is read; bytes beyond {@code declared} grow the reservation. */
    InputStream meter(InputStream body, long declared) {
      return new FilterInputStream(body) {
        private long read;
        private long grown;

        @Override
        public int read() throws IOException {
          int b = in.read();
          if (b >= 0) {
            count(1);
          }
          return b;
        }

        @Override
        public int read(byte[] buf, int off, int len) throws IOException {
          int n = in.read(buf, off, len);
          if (n > 0) {
            count(n);
          }
          return n;
        }

        private void count(int n) throws IOException {
          read += n;
          long excess = read - declared;
          if (excess > grown) {
            // before the bytes are handed on: what does not fit is never written
            grow(excess - grown, true);
            grown = excess;
          }
        }
      };
    }

    void commit(long bytes) {
      usage.add(bytes); // first: no moment where the bytes count neither here nor there
      close();
    }

    @Override
    public void close() {
      reserved.addAndGet(-held);
      held = 0;
    }
  }
}
