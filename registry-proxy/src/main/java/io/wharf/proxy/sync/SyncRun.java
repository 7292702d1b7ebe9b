package io.wharf.proxy.sync;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One run of a pull rule: selects the images of each {@link SyncContent} entry at the source and
 * copies them ({@link ImageCopier}), one by one or {@link Options#concurrency} at a time, held to
 * a bandwidth ({@link Bandwidth}), waiting out the source's and the target's rate limits
 * ({@link PausingSource}, {@link PausingTarget}), and with {@link Options#deleteMissing} deletes
 * the tags the source no longer has.
 * An image that fails is recorded with why and the run goes on; a source that cannot be listed,
 * or an interrupt, ends the run. Everything lands in the {@link SyncReport}.
 */
public final class SyncRun {
  private static final AtomicInteger COPY_THREADS = new AtomicInteger();

  /** Hears what a run does, for events and metrics. */
  public interface Listener {
    /**
     * An image was copied and {@code targetName:tag} now points at it; not called for an image
     * skipped as already there. With parallel copies, called on the copy's thread.
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
   * How a run copies, beyond what it copies.
   *
   * @param concurrency how many images are copied at once, at least 1
   * @param bytesPerSecond a rate limit over the run's blob bytes, shared by its parallel copies;
   *     0: none
   * @param deleteMissing whether to delete the target's tags, within the names an entry selects and
   *     the tags its filters admit, that the source no longer lists (only for a name whose tag
   *     listing the source answered with at least one tag)
   */
  public record Options(int concurrency, long bytesPerSecond, boolean deleteMissing) {
    /** One image at a time, no rate limit, nothing deleted. */
    public static final Options DEFAULT = new Options(1, 0, false);

    /**
     * Checks the values.
     *
     * @param concurrency at least 1
     * @param bytesPerSecond 0 or more
     * @param deleteMissing whether to delete tags the source no longer has
     * @throws IllegalArgumentException if a value is out of range
     */
    public Options {
      if (concurrency < 1 || bytesPerSecond < 0) {
        throw new IllegalArgumentException("concurrency must be at least 1 and bytesPerSecond not negative: "
            + concurrency + ", " + bytesPerSecond);
      }
    }
  }

  /**
   * Runs with {@link Options#DEFAULT}: see {@link #run(SyncReport, List, SyncSource, SyncTarget,
   * Clock, PausingSource.Pauser, Listener, Options)}.
   *
   * @param report the run's report, new; finished when this returns
   * @param content the rule's entries, selected and copied in this order
   * @param source where to read
   * @param target where to write; wrapped in a {@link PausingTarget} here, so its rate limits pause
   *     the run too
   * @param clock for pause ends and the finish time
   * @param pauser waits out rate limits
   * @param listener told of each copied image and of the end
   * @return the final report
   */
  public static SyncReport.Snapshot run(SyncReport report, List<SyncContent> content, SyncSource source,
      SyncTarget target, Clock clock, PausingSource.Pauser pauser, Listener listener) {
    return run(report, content, source, target, clock, pauser, listener, Options.DEFAULT);
  }

  /**
   * Runs to the end (or the first interrupt) on the calling thread, and with
   * {@code options.concurrency()} above 1 on as many copy threads of its own, filling
   * {@code report}. Never throws for what the source or target does: an image that fails is a
   * failure in the report, a source that cannot be listed (or an interrupt) ends the run
   * {@code FAILED} with why. An interrupt of the calling thread stops the copy threads too.
   *
   * @param report the run's report, new ({@link SyncReport#SyncReport}); finished when this returns
   * @param content the rule's entries, selected and copied in this order (in parallel: started in it)
   * @param source where to read; wrapped in a {@link PausingSource} here, so rate limits pause
   * @param target where to write; wrapped in a {@link PausingTarget} here, so its rate limits pause
   *     the run too
   * @param clock for pause ends, the bandwidth limit and the finish time
   * @param pauser waits out rate limits and the bandwidth limit, {@link PausingSource.Pauser#SLEEP}
   *     in production
   * @param listener told of each copied image (on the thread that copied it) and of the end, e.g.
   *     {@link Listener#NONE}
   * @param options concurrency, bandwidth and whether to delete what the source no longer has
   * @return the final report: {@code SUCCEEDED}, {@code PARTIAL} or {@code FAILED}
   */
  public static SyncReport.Snapshot run(SyncReport report, List<SyncContent> content, SyncSource source,
      SyncTarget target, Clock clock, PausingSource.Pauser pauser, Listener listener, Options options) {
    SyncSource paced = new PausingSource(source, report, clock, pauser);
    Bandwidth bandwidth = options.bytesPerSecond() > 0 ? new Bandwidth(options.bytesPerSecond(), clock, pauser) : null;
    SyncTarget pacedTarget = new PausingTarget(target, report, clock, pauser);
    ImageCopier copier = new ImageCopier(paced, pacedTarget, report, bandwidth);
    ExecutorService pool = options.concurrency() > 1 ? Executors.newFixedThreadPool(options.concurrency(), r -> {
      Thread t = new Thread(r, Thread.currentThread().getName() + "-copy-" + COPY_THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    }) : null;
    String error = null;
    List<Future<?>> copies = new ArrayList<>();
    try {
      Map<SyncContent, List<SyncContent.Listing>> listed = new LinkedHashMap<>();
      for (SyncContent entry : content) {
        List<SyncContent.Listing> listings = entry.listings(paced);
        listed.put(entry, listings);
        List<SyncContent.Selected> selected = entry.select(paced, listings);
        report.selected(selected.size());
        for (SyncContent.Selected s : selected) {
          if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedIOException("interrupted");
          }
          if (pool == null) {
            copyOne(copier, entry, s, report, listener);
          } else {
            copies.add(pool.submit(() -> {
              copyOne(copier, entry, s, report, listener);
              return null;
            }));
          }
        }
      }
      for (Future<?> f : copies) {
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted");
        } catch (ExecutionException e) {
          if (e.getCause() instanceof InterruptedIOException stopped) {
            throw stopped;
          }
          throw new IOException(e.getCause().getMessage(), e.getCause());
        }
      }
      if (options.deleteMissing()) {
        for (Map.Entry<SyncContent, List<SyncContent.Listing>> e : listed.entrySet()) {
          deleteMissing(e.getKey(), e.getValue(), pacedTarget, report);
        }
      }
    } catch (IOException | RuntimeException e) {
      error = why(e);
    } finally {
      if (pool != null) {
        // a later entry that could not be listed ends the run, but the copies started go on to
        // their end, as they would have one by one; an interrupted run stops them at their next
        // read or wait
        awaitCopies(copies);
        pool.shutdownNow();
        awaitCopies(pool);
      }
    }
    report.finished(clock.instant(), error);
    SyncReport.Snapshot done = report.snapshot();
    listener.finished(done);
    return done;
  }

  /** Waits for the copies started, unless the run is interrupted; their failures are in the report already. */
  private static void awaitCopies(List<Future<?>> copies) {
    for (Future<?> f : copies) {
      if (Thread.currentThread().isInterrupted()) {
        return;
      }
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (ExecutionException e) {
        // counted as the image's failure, or the run's error, where it happened
      }
    }
  }

  /** Waits a while for the copy threads to stop: a run must not write after it reported its end. */
  private static void awaitCopies(ExecutorService pool) {
    boolean interrupted = Thread.interrupted();
    try {
      pool.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** Copies one image; a failure is recorded in the report, an interrupt is thrown. */
  private static void copyOne(ImageCopier copier, SyncContent entry, SyncContent.Selected s, SyncReport report,
      Listener listener) throws InterruptedIOException {
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
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedIOException("interrupted");
      }
      report.imageFailed(s.toString(), why(e));
    }
  }

  /**
   * Deletes the target's tags of each listed name that {@code entry}'s tag filters admit and the
   * source no longer lists. A name the source did not list (unknown to it, or an error, which
   * ended the run before this) is not touched, nor one it listed with no tag at all: an empty
   * answer is too often a source that lost or hides its content.
   */
  private static void deleteMissing(SyncContent entry, List<SyncContent.Listing> listings, SyncTarget target,
      SyncReport report) throws IOException {
    for (SyncContent.Listing l : listings) {
      if (l.tags().isEmpty()) {
        continue;
      }
      Set<String> atSource = new HashSet<>(l.tags());
      for (String tag : target.tags(l.targetName()).orElse(List.of())) {
        if (atSource.contains(tag) || !entry.admits(tag)) {
          continue;
        }
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedIOException("interrupted");
        }
        String image = l.targetName() + ":" + tag;
        try {
          target.deleteTag(l.targetName(), tag);
          report.tagDeleted(image);
        } catch (InterruptedIOException e) {
          throw e;
        } catch (IOException | RuntimeException e) {
          report.imageFailed(image, "not deleted (the source no longer has it): " + why(e));
        }
      }
    }
  }

  private static String why(Throwable e) {
    return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
  }
}
