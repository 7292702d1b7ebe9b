package io.wharf.proxy.sync;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * What one run of a rule did, filled in while it runs (thread-safe) and read as a
 * {@link Snapshot}: images copied, skipped (already there) and failed with why, blobs and bytes
 * copied, and whether the run is paused by the source's rate limit.
 *
 * <p>Make one per run and hand it to {@link SyncRun#run} (or to {@link ImageCopier} and
 * {@link PausingSource}), which count into it; read {@link #snapshot()} from any thread while the
 * run goes on, e.g. to store or show its progress.
 */
public final class SyncReport {
  /**
   * A run's state: {@code RUNNING} (or {@code PAUSED} by a rate limit while it runs), then
   * {@code SUCCEEDED}, {@code PARTIAL} (finished, some images failed) or {@code FAILED} (stopped:
   * the source could not be listed, or the run was interrupted).
   */
  public enum State {
    /** Started and not finished; not paused now. */
    RUNNING,
    /** Waiting out the source's or the target's rate limit until {@code pausedUntil}; then {@code RUNNING} again. */
    PAUSED,
    /** Finished; every selected image was copied or already there. */
    SUCCEEDED,
    /** Finished; some images failed, listed in {@code failures}; the others were copied or there. */
    PARTIAL,
    /** Stopped early, or never started, with {@code error}. */
    FAILED
  }

  /**
   * One image that could not be copied, and why.
   *
   * @param image the image at the source, {@code name:tag}
   * @param reason why, e.g. the source's or the target's error message
   */
  public record Failure(String image, String reason) {}

  /**
   * The report at one moment; immutable, and what the server stores and shows as the rule's last
   * run.
   *
   * @param rule the rule's name
   * @param state the run's state
   * @param started when the run started
   * @param finished when it finished, or null while it runs
   * @param pausedUntil when the current rate-limit pause ends, or null if not paused
   * @param imagesSelected images selected by the rule's filters so far
   * @param imagesCopied images copied (their tag now points at the source's digest)
   * @param imagesSkipped images skipped because the target's tag pointed at that digest already
   * @param imagesFailed images that failed
   * @param manifestsCopied manifests stored (top manifests, index children and referrers)
   * @param blobsCopied blobs fetched from the source and stored
   * @param blobsSkipped blobs not fetched because the target held them already
   * @param bytesCopied the bytes of the blobs copied
   * @param pauses how often the run paused for a rate limit
   * @param failures the first 100 failed images with why
   * @param error why the run failed, or null if it did not (yet)
   * @param tagsDeleted tags deleted at the target because the source no longer has them ({@code deleteMissing})
   * @param deleted the first 100 of those, as {@code name:tag} at the target
   */
  public record Snapshot(String rule, State state, Instant started, Instant finished, Instant pausedUntil,
      int imagesSelected, int imagesCopied, int imagesSkipped, int imagesFailed, int manifestsCopied,
      int blobsCopied, int blobsSkipped, long bytesCopied, int pauses, List<Failure> failures, String error,
      int tagsDeleted, List<String> deleted) {}

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
  private int tagsDeleted;
  private final List<String> deleted = new ArrayList<>();

  /**
   * A report for a run that starts now, {@code RUNNING} with every count at 0.
   *
   * @param rule the rule's name, as reports show it
   * @param started when the run starts
   */
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

  synchronized void tagDeleted(String image) {
    tagsDeleted++;
    if (deleted.size() < MAX_FAILURES_KEPT) {
      deleted.add(image);
    }
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

  /**
   * Ends the run; {@link SyncRun#run} calls it, and a caller for a run that could not start (e.g.
   * the rule's lease is held elsewhere). The state becomes {@code FAILED} with an error, else
   * {@code PARTIAL} if an image failed, else {@code SUCCEEDED}.
   *
   * @param at when the run ended
   * @param error why the run failed, or null if it did not
   */
  public synchronized void finished(Instant at, String error) {
    this.finished = at;
    this.pausedUntil = null;
    this.error = error;
    this.state = error != null ? State.FAILED : imagesFailed > 0 ? State.PARTIAL : State.SUCCEEDED;
  }

  /**
   * Tells whether the run has ended.
   *
   * @return whether {@link #finished} was called
   */
  public synchronized boolean isDone() {
    return finished != null;
  }

  /**
   * Reads the report as it is now; safe while the run goes on.
   *
   * @return a consistent copy of every count, the state and the failures
   */
  public synchronized Snapshot snapshot() {
    return new Snapshot(rule, state, started, finished, pausedUntil, imagesSelected, imagesCopied, imagesSkipped,
        imagesFailed, manifestsCopied, blobsCopied, blobsSkipped, bytesCopied, pauses, List.copyOf(failures), error,
        tagsDeleted, List.copyOf(deleted));
  }
}
