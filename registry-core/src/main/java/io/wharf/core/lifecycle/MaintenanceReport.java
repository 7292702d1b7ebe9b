package io.wharf.core.lifecycle;

import io.wharf.core.gc.GcReport;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What one {@link MaintenanceJob} run did.
 *
 * @param store the blob store's name
 * @param dryRun nothing was changed; the reports say what would have been
 * @param started when the run began
 * @param duration wall time of the run
 * @param steps the steps that completed, in order
 * @param gc the garbage collection's report; null if it did not run (disabled, failed or skipped)
 * @param error why the run stopped early; null if it did not
 * @param skipped why the run did not start (another node holds the store's lease); null if it ran
 */
public record MaintenanceReport(
    String store,
    boolean dryRun,
    Instant started,
    Duration duration,
    List<StepReport> steps,
    GcReport gc,
    String error,
    String skipped) {

  /**
   * One completed step: its name, its report's summary, the first tags or images it removed (or
   * would remove, in a dry run), its wall time, the repository it worked on (null if none) and
   * its report ({@link CleanupReport}, {@link EvictionReport}, or what the step returned).
   *
   * @param name the step's name, e.g. {@code cleanup of docker-hosted}
   * @param summary its report's {@code toString}
   * @param sample the first tags or images it removed (or would remove)
   * @param duration its wall time
   * @param repository the repository it worked on, or null
   * @param report its report, or null
   */
  public record StepReport(String name, String summary, List<String> sample, Duration duration, String repository,
      Object report) {
    /**
     * A step report without repository or report object.
     *
     * @param name the step's name
     * @param summary its report's summary
     * @param sample the first tags or images it removed (or would remove)
     * @param duration its wall time
     */
    public StepReport(String name, String summary, List<String> sample, Duration duration) {
      this(name, summary, sample, duration, null, null);
    }
  }

  /** {@return true when the run completed every step (and the collection, when enabled)} */
  public boolean succeeded() {
    return error == null && skipped == null;
  }

  /** {@return true when the run was ended early by {@link MaintenanceJob#stop()}} */
  public boolean stopped() {
    return error != null && error.startsWith(MaintenanceJob.STOPPED);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("maintenance of blob store ").append(store);
    if (skipped != null) {
      return sb.append(": skipped: ").append(skipped).toString();
    }
    sb.append(dryRun ? " (dry run)" : "").append(" in ").append(duration.toMillis()).append(" ms");
    for (StepReport s : steps) {
      sb.append("\n  ").append(s.name()).append(": ").append(s.summary());
      s.sample().forEach(item -> sb.append("\n    ").append(dryRun ? "would remove " : "removed ").append(item));
    }
    if (gc != null) {
      sb.append("\n  garbage collection: ").append(gc);
    }
    if (error != null) {
      sb.append("\n  FAILED: ").append(error);
    }
    return sb.toString();
  }
}
