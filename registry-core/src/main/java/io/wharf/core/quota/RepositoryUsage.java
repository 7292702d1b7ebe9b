package io.wharf.core.quota;

import io.wharf.core.model.Digest;
import io.wharf.core.storage.BlobStore;
import io.wharf.core.storage.FileInfo;
import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageLayout;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many bytes one repository (the images of one {@link StorageLayout}) stores: the sum of the
 * sizes of the distinct blobs its images link, through {@code _layers} links (layers, configs)
 * and {@code _manifests/revisions} links (manifests). A blob linked into several images counts
 * once; uploads in progress do not count.
 *
 * <p>The number comes from a scan of the repository's storage (one {@code list} per directory,
 * one {@code stat} per distinct blob), done on first need and again when it is older than {@code
 * rescanAfter} or {@link #refresh()} was called; between scans, this node's pushes {@link #add}
 * the bytes of the links they create. Deletes, garbage collection and other nodes' pushes show at
 * the next scan. A push may count a blob another image of the repository already links (this
 * node cannot tell without a scan), so between scans the number errs high, never low for this
 * node's pushes; {@link #recheck()} rescans before a quota refuses anything on such a number.
 *
 * <p>Memory: two numbers between scans; during a scan, the set of the repository's distinct
 * digests (as garbage collection holds).
 */
public final class RepositoryUsage {
  /** A refusal trusts a scan at most this old, if nothing changed since. */
  static final Duration RECHECK_AFTER = Duration.ofSeconds(10);

  private final StorageDriver driver;
  private final StorageLayout layout;
  private final BlobStore blobs;
  private final Duration rescanAfter;
  private final Clock clock;
  private final ReentrantLock scanLock = new ReentrantLock();

  /** Bytes found by the last scan; -1 before the first. */
  private volatile long scanned = -1;
  /** Bytes {@link #add}ed since the last scan started. */
  private final AtomicLong added = new AtomicLong();
  private volatile Instant scannedAt = Instant.MIN;
  /** A scan was asked for ({@link #refresh()}). */
  private volatile boolean stale;
  /** Nothing was added or deleted since the last scan started. */
  private volatile boolean exact;
  private final AtomicLong scans = new AtomicLong();

  /**
   * The usage of the repository whose storage and layout these are, on the system's UTC clock.
   *
   * @param driver the repository's storage
   * @param layout the repository's layout
   * @param rescanAfter how long a scan is trusted
   */
  public RepositoryUsage(StorageDriver driver, StorageLayout layout, Duration rescanAfter) {
    this(driver, layout, rescanAfter, Clock.systemUTC());
  }

  /**
   * The usage of the repository whose storage and layout these are.
   *
   * @param driver the repository's storage
   * @param layout the repository's layout
   * @param rescanAfter how long a scan is trusted
   * @param clock the clock that ages scans
   * @throws NullPointerException if any argument is null
   */
  public RepositoryUsage(StorageDriver driver, StorageLayout layout, Duration rescanAfter, Clock clock) {
    this.driver = Objects.requireNonNull(driver, "driver");
    this.layout = Objects.requireNonNull(layout, "layout");
    this.blobs = new BlobStore(driver, layout);
    this.rescanAfter = Objects.requireNonNull(rescanAfter, "rescanAfter");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * The bytes used. Scans first if there was no scan yet, or {@link #refresh()} was called, or
   * the last scan is older than {@code rescanAfter} (unless another thread is scanning already:
   * then the previous number is returned rather than waiting).
   *
   * @return the bytes used: the last scan's, plus what was added since
   * @throws IOException if the scan fails
   */
  public long bytes() throws IOException {
    if (scanned < 0) {
      scan(true);
    } else if (stale || isOlderThan(rescanAfter)) {
      scan(false);
    }
    return current();
  }

  /**
   * The bytes used, rescanned first unless the last scan is exact (nothing added or deleted
   * since) and younger than a few seconds. For the moment before a push is refused.
   *
   * @return the bytes used
   * @throws IOException if the scan fails
   */
  public long recheck() throws IOException {
    if (scanned < 0 || stale || !exact || isOlderThan(RECHECK_AFTER)) {
      scan(true);
    }
    return current();
  }

  /**
   * Counts {@code bytes} of newly linked blobs (pushed, mounted) until the next scan.
   *
   * @param bytes the bytes added; 0 or less adds nothing
   */
  public void add(long bytes) {
    if (bytes > 0) {
      added.addAndGet(bytes);
      exact = false;
    }
  }

  /** Notes a local delete: usage may be lower now; the next refusal rescans first. */
  public void changed() {
    exact = false;
  }

  /** Makes the next {@link #bytes()} scan: after garbage collection, cleanup, a bulk delete. */
  public void refresh() {
    stale = true;
  }

  /** {@return when the last scan started; {@link Instant#MIN} before the first} */
  public Instant scannedAt() {
    return scannedAt;
  }

  /** {@return how many scans ran (for tests and metrics)} */
  public long scans() {
    return scans.get();
  }

  private long current() {
    return Math.max(0, scanned) + added.get();
  }

  private boolean isOlderThan(Duration age) {
    return scannedAt.isBefore(clock.instant().minus(age));
  }

  /**
   * One scan at a time. {@code wait}: wait for a running scan and, if one finished meanwhile, use
   * its result; else, if another thread is scanning, return at once (the caller uses the old number).
   */
  private void scan(boolean wait) throws IOException {
    long before = scans.get();
    if (wait) {
      scanLock.lock();
    } else if (!scanLock.tryLock()) {
      return;
    }
    try {
      if (scans.get() != before) {
        return; // another thread scanned while this one waited
      }
      Instant started = clock.instant();
      long addedAtStart = added.get();
      stale = false; // a refresh() during the scan asks for another
      exact = true; // an add() or delete during the scan makes it inexact
      long total;
      try {
        total = sum();
      } catch (IOException | RuntimeException e) {
        stale = true;
        throw e;
      }
      // scanned first, then added: a reader in between sees too much, never too little
      scanned = total;
      added.addAndGet(-addedAtStart);
      scannedAt = started;
      scans.incrementAndGet();
    } finally {
      scanLock.unlock();
    }
  }

  private long sum() throws IOException {
    Set<Digest> seen = new HashSet<>();
    long[] total = {0};
    walk(layout.repositoriesRoot(), seen, total);
    return total[0];
  }

  /** As {@link io.wharf.core.storage.Catalog}: directories below the root are images or hold images. */
  private void walk(String dir, Set<Digest> seen, long[] total) throws IOException {
    for (String child : driver.list(dir)) {
      String name = StorageLayout.lastSegment(child);
      if (name.equals("_layers")) {
        count(StorageLayout.digestsUnder(driver, child), seen, total);
      } else if (name.equals("_manifests")) {
        count(StorageLayout.digestsUnder(driver, child + "/revisions"), seen, total);
      } else if (!name.startsWith("_")) {
        walk(child, seen, total);
      }
    }
  }

  private void count(Iterable<Digest> digests, Set<Digest> seen, long[] total) throws IOException {
    for (Digest d : digests) {
      if (seen.add(d)) {
        Optional<FileInfo> info = blobs.stat(d);
        if (info.isPresent()) { // a dangling link stores nothing
          total[0] += info.get().size();
        }
      }
    }
  }
}
