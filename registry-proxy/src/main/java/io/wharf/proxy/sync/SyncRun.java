package io.wharf.proxy.sync;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.util.List;

/**
 * One run of a pull rule: selects the images of each {@link SyncContent} entry at the source and
 * copies them one by one ({@link ImageCopier}), waiting out rate limits ({@link PausingSource}).
 * An image that fails is recorded with why and the run goes on; a source that cannot be listed,
 * or an interrupt, ends the run. Everything lands in the {@link SyncReport}.
 */
public final class SyncRun {

  /** Hears what a run does, for events and metrics; called on the run's thread. */
  public interface Listener {
    /**
     * An image was copied and {@code targetName:tag} now points at it; not called for an image
     * skipped as already there.
     *
     * @param selected the image copied
     */
    default void imageCopied(SyncContent.Selected selected) {}

    /**
     * The run ended, whatever its outcome; called once, after the report is final.
     *
     * @param report the run's final report
     */
    default void finished(SyncReport.Snapshot report) {}

    /** Hears nothing. */
    Listener NONE = new Listener() {};
  }

  private SyncRun() {}

  /**
   * Runs to the end (or the first interrupt) on the calling thread, filling {@code report}. Never
   * throws for what the source or target does: an image that fails is a failure in the report, a
   * source that cannot be listed (or an interrupt) ends the run {@code FAILED} with why.
   *
   * @param report the run's report, new ({@link SyncReport#SyncReport}); finished when this returns
   * @param content the rule's entries, selected and copied in this order
   * @param source where to read; wrapped in a {@link PausingSource} here, so rate limits pause
   * @param target where to write
   * @param clock for pause ends and the finish time
   * @param pauser waits out rate limits, {@link PausingSource.Pauser#SLEEP} in production
   * @param listener told of each copied image and of the end, e.g. {@link Listener#NONE}
   * @return the final report: {@code SUCCEEDED}, {@code PARTIAL} or {@code FAILED}
   */
  public static SyncReport.Snapshot run(SyncReport report, List<SyncContent> content, SyncSource source,
      SyncTarget target, Clock clock, PausingSource.Pauser pauser, Listener listener) {
    SyncSource paced = new PausingSource(source, report, clock, pauser);
    ImageCopier copier = new ImageCopier(paced, target, report);
    String error = null;
    try {
      for (SyncContent entry : content) {
        List<SyncContent.Selected> selected = entry.select(paced);
        report.selected(selected.size());
        for (SyncContent.Selected s : selected) {
          if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException("interrupted");
          }
          try {
            if (copier.copyTag(s.sourceName(), s.tag(), s.targetName(), entry.copyOptions())) {
              report.imageCopied();
              listener.imageCopied(s);
            } else {
              report.imageSkipped();
            }
          } catch (InterruptedIOException e) {
            throw e;
          } catch (IOException | RuntimeException e) {
            report.imageFailed(s.toString(), why(e));
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      error = why(e);
    }
    report.finished(clock.instant(), error);
    SyncReport.Snapshot done = report.snapshot();
    listener.finished(done);
    return done;
  }

  private static String why(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
