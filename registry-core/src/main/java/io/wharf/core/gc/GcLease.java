package io.wharf.core.gc;

import io.wharf.core.storage.StorageDriver;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * The "one garbage collection at a time per blob store" lease, kept in the storage itself so that
 * every node sharing the storage sees it: {@value #PATH}, two lines {@code owner=<id>} and
 * {@code expires=<instant>}. distribution ignores the directory.
 *
 * <p>Taking it: read; if another owner holds an unexpired lease, give up ({@link HeldException});
 * else write ours with {@link StorageDriver#putContent}, wait a settle delay and read it back. The
 * SPI has no compare-and-set, so two nodes that both found it free both write it; the last write
 * wins, and the settle delay (longer than the gap between one node's read and its write) lets
 * the loser see that it lost. The holder renews it while running ({@link #renew}); a holder that
 * stalls past the expiry may find it taken and then must stop ({@link #lost()}). {@link #close()}
 * deletes it if it is still ours.
 *
 * <p>Times are the nodes' clocks: nodes sharing a store need clocks in sync to well within the
 * lease's time to live.
 */
public final class GcLease implements AutoCloseable {
  /** Where the lease lives, beside distribution's {@code blobs} and {@code repositories}. */
  public static final String PATH = "/docker/registry/v2/_wharf/gc.lease";

  /**
   * Who holds a lease, until when.
   *
   * @param owner the owner's id, e.g. from {@link GcLease#newOwnerId()}
   * @param expires when the lease ends unless renewed
   */
  public record Holder(String owner, Instant expires) {
    byte[] encode() {
      return ("owner=" + owner + "\nexpires=" + expires + "\n").getBytes(StandardCharsets.UTF_8);
    }

    static Optional<Holder> decode(byte[] content) {
      String owner = null;
      Instant expires = null;
      for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
        int eq = line.indexOf('=');
        if (eq < 0) {
          continue;
        }
        String key = line.substring(0, eq).trim();
        String value = line.substring(eq + 1).trim();
        try {
          if (key.equals("owner")) {
            owner = value;
          } else if (key.equals("expires")) {
            expires = Instant.parse(value);
          }
        } catch (DateTimeParseException e) {
          return Optional.empty();
        }
      }
      // A torn or foreign file is treated as no lease: it cannot name anyone to wait for.
      return owner == null || expires == null ? Optional.empty() : Optional.of(new Holder(owner, expires));
    }
  }

  /** Another owner holds the lease. */
  public static final class HeldException extends IllegalStateException {
    private final transient Holder holder;

    HeldException(Holder holder) {
      super(holder == null
          ? "another garbage collection took the lease at the same time"
          : "another garbage collection holds the lease: " + holder.owner() + " until " + holder.expires());
      this.holder = holder;
    }

    /**
     * The holder, if known.
     *
     * @return the holder, or empty if the lease was taken at the same time by an owner not yet
     *     known
     */
    public Optional<Holder> holder() {
      return Optional.ofNullable(holder);
    }
  }

  private final StorageDriver driver;
  private final String path;
  private final String owner;
  private final Duration ttl;
  private final Clock clock;
  private volatile boolean lost;
  private volatile boolean closed;

  private GcLease(StorageDriver driver, String path, String owner, Duration ttl, Clock clock) {
    this.driver = driver;
    this.path = path;
    this.owner = owner;
    this.ttl = ttl;
    this.clock = clock;
  }

  /**
   * Takes the lease for {@code ttl}, or throws {@link HeldException}. A lease of the same owner
   * (a previous run of this collector that did not release it) is taken over.
   *
   * @param driver the storage whose garbage collection the lease guards
   * @param owner who takes it
   * @param ttl how long it lasts without renewal
   * @param settle how long to wait after writing it before reading it back
   * @param clock the clock of the expiry
   * @return the lease; close it to release it
   * @throws HeldException if another owner holds it, or took it at the same time
   * @throws IOException if storage fails
   */
  public static GcLease acquire(StorageDriver driver, String owner, Duration ttl, Duration settle, Clock clock)
      throws IOException {
    return acquire(driver, PATH, owner, ttl, settle, clock);
  }

  /**
   * As {@link #acquire(StorageDriver, String, Duration, Duration, Clock)}, for another job that
   * must run on one node at a time (e.g. one webhook endpoint's deliveries), its lease at {@code path}.
   *
   * @param driver the storage
   * @param path where the lease lives
   * @param owner who takes it
   * @param ttl how long it lasts without renewal
   * @param settle how long to wait after writing it before reading it back
   * @param clock the clock of the expiry
   * @return the lease; close it to release it
   * @throws HeldException if another owner holds it, or took it at the same time
   * @throws java.io.InterruptedIOException if the thread is interrupted while settling; the lease
   *     written is released then, and the thread keeps its interrupt
   * @throws IOException if storage fails
   */
  public static GcLease acquire(StorageDriver driver, String path, String owner, Duration ttl, Duration settle,
      Clock clock) throws IOException {
    Objects.requireNonNull(owner, "owner");
    Optional<Holder> current = read(driver, path);
    if (current.isPresent() && !current.get().owner().equals(owner)
        && current.get().expires().isAfter(clock.instant())) {
      throw new HeldException(current.get());
    }
    GcLease lease = new GcLease(driver, path, owner, ttl, clock);
    lease.write();
    try {
      sleep(settle, path);
    } catch (InterruptedIOException e) {
      // Stopped while settling (a node shutting down): left in place, the lease would hold every
      // node off, this one restarted included, until it expires.
      lease.releaseInterrupted(e);
      throw e;
    }
    Optional<Holder> after = read(driver, path);
    if (after.isEmpty() || !after.get().owner().equals(owner)) {
      throw new HeldException(after.orElse(null));
    }
    return lease;
  }

  /**
   * The current holder, if any (expired or not).
   *
   * @param driver the storage
   * @return the holder, or empty if there is no lease (or it cannot be read)
   * @throws IOException if storage fails
   */
  public static Optional<Holder> read(StorageDriver driver) throws IOException {
    return read(driver, PATH);
  }

  /**
   * The current holder of the lease at {@code path}, if any.
   *
   * @param driver the storage
   * @param path where the lease lives
   * @return the holder, or empty if there is no lease (or it cannot be read)
   * @throws IOException if storage fails
   */
  public static Optional<Holder> read(StorageDriver driver, String path) throws IOException {
    return driver.getContent(path).flatMap(Holder::decode);
  }

  /**
   * A default owner id: process id, host and a random part (one per collector instance).
   *
   * @return a new owner id
   */
  public static String newOwnerId() {
    return ManagementFactory.getRuntimeMXBean().getName() + "/" + UUID.randomUUID().toString().substring(0, 8);
  }

  /** {@return who holds this lease} */
  public String owner() {
    return owner;
  }

  /**
   * Extends the lease by its time to live, if it is still ours; otherwise marks it {@link #lost()}
   * and returns false. Synchronised with {@link #close()}, so a renewal never brings a released
   * lease back.
   *
   * @return true if it was renewed, false if it is lost or closed
   * @throws IOException if storage fails
   */
  public synchronized boolean renew() throws IOException {
    if (lost || closed) {
      return false;
    }
    Optional<Holder> current = read(driver, path);
    if (current.isEmpty() || !current.get().owner().equals(owner)) {
      lost = true;
      return false;
    }
    write();
    return true;
  }

  /**
   * True once another owner was seen holding the lease: the job must stop deleting.
   *
   * @return true if the lease was lost
   */
  public boolean lost() {
    return lost;
  }

  /** Releases the lease if it is still ours. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    Optional<Holder> current = read(driver, path);
    if (current.isPresent() && current.get().owner().equals(owner)) {
      driver.delete(path);
    }
  }

  private void write() throws IOException {
    driver.putContent(path, new Holder(owner, clock.instant().plus(ttl)).encode());
  }

  /** Releases the lease for a thread interrupted while taking it, keeping its interrupt; a failure joins {@code e}. */
  private void releaseInterrupted(InterruptedIOException e) {
    Thread.interrupted(); // cleared for the release: an interruptible file channel refuses an interrupted thread
    try {
      close();
    } catch (IOException | RuntimeException failure) {
      e.addSuppressed(failure);
    } finally {
      Thread.currentThread().interrupt();
    }
  }

  private static void sleep(Duration d, String path) throws InterruptedIOException {
    if (d.isZero() || d.isNegative()) {
      return;
    }
    try {
      Thread.sleep(d.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while taking the lease " + path);
    }
  }
}
