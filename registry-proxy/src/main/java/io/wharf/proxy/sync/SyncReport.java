package io.wharf.proxy.sync;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What one run of a rule did, filled in while it runs (thread-safe) and read as a
 * {@link Snapshot}: images copied, skipped (already there) and failed with why, blobs and bytes
 * copied, and whether the run is paused by the source's rate limit.
 */
public final class SyncReport {
  /**
   * A run's state: {@code RUNNING} (or {@code PAUSED} by a rate limit while it runs), then
   * {@code SUCCEEDED}, {@code PARTIAL} (finished, some images failed) or {@code FAILED} (stopped:
   * the source could not be listed, or the run was interrupted).
   */
  public enum State { RUNNING, PAUSED, SUCCEEDED, PARTIAL, FAILED }

  /** One image that could not be copied, and why. */
  public record Failure(String image, String reason) {}

  /** The report at one moment. {@code finished} and {@code pausedUntil} may be null. */
  public record Snapshot(String rule, State state, Instant started, Instant finished, Instant pausedUntil,
      int imagesSelected, int imagesCopied, int imagesSkipped, int imagesFailed, int manifestsCopied,
      int blobsCopied, int blobsSkipped, long bytesCopied, int pauses, List<Failure> failures, String error) {}

  private static final int MAX_FAILURES_KEPT = 100;

  private final String rule;
  private final Instant started;
  private State state = State.RUNNING;
  private Instant finished;
  private Instant pausedUntil;
  private int imagesSelected;
  private int imagesCopied;
  private int imagesSkipped;
  private int imagesFailed;
  private int manifestsCopied;
  private int blobsCopied;
  private int blobsSkipped;
  private long bytesCopied;
  private int pauses;
  private String error;
  private final List<Failure> failures = new ArrayList<>();

  public SyncReport(String rule, Instant started) {
    this.rule = rule;
    this.started = started;
  }

  synchronized void selected(int n) {
    imagesSelected += n;
  }

  synchronized void imageCopied() {
    imagesCopied++;
  }

  synchronized void imageSkipped() {
    imagesSkipped++;
  }

  synchronized void imageFailed(String image, String reason) {
    imagesFailed++;
    if (failures.size() < MAX_FAILURES_KEPT) {
      failures.add(new Failure(image, reason));
    }
  }

  synchronized void manifestCopied() {
    manifestsCopied++;
  }

  synchronized void blobCopied(long bytes) {
    blobsCopied++;
    bytesCopied += bytes;
  }

  synchronized void blobSkipped() {
    blobsSkipped++;
  }

  synchronized void paused(Instant until) {
    pauses++;
    pausedUntil = until;
    state = State.PAUSED;
  }

  synchronized void resumed() {
    pausedUntil = null;
    state = State.RUNNING;
  }

  /** Ends the run: with {@code error} (null: none) it failed; also for a run that could not start. */
  public synchronized void finished(Instant at, String error) {
    this.finished = at;
    this.pausedUntil = null;
    this.error = error;
    this.state = error != null ? State.FAILED : imagesFailed > 0 ? State.PARTIAL : State.SUCCEEDED;
  }

  public synchronized boolean isDone() {
    return finished != null;
  }

  public synchronized Snapshot snapshot() {
    return new Snapshot(rule, state, started, finished, pausedUntil, imagesSelected, imagesCopied, imagesSkipped,
        imagesFailed, manifestsCopied, blobsCopied, blobsSkipped, bytesCopied, pauses, List.copyOf(failures), error);
  }
}
