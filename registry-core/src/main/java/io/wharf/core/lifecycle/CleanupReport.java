package io.wharf.core.lifecycle;

import java.time.Duration;
import java.util.List;

/**
 * What one {@link CleanupJob} run did (or, in a dry run, would have done).
 *
 * @param dryRun nothing was deleted; the counts say what would have gone
 * @param imagesScanned images of the repository looked at
 * @param tagsDeleted tags the policy selected and that were deleted
 * @param manifestsRemoved manifests unlinked because no remaining tag or kept manifest used them
 *     (their blobs are reclaimed by the next garbage collection)
 * @param deletedSample the first deleted (or would-be deleted) tags as {@code image:tag}, at most {@link #SAMPLE_SIZE}
 * @param duration wall time of the run
 */
public record CleanupReport(
    boolean dryRun,
    long imagesScanned,
    long tagsDeleted,
    long manifestsRemoved,
    List<String> deletedSample,
    Duration duration) {

  /** The most tags a report's sample lists. */
  public static final int SAMPLE_SIZE = 100;

  @Override
  public String toString() {
    return (dryRun ? "dry run (nothing deleted): " : "")
        + "images " + imagesScanned
        + ", tags " + (dryRun ? "to delete " : "deleted ") + tagsDeleted
        + ", manifests " + (dryRun ? "to remove " : "removed ") + manifestsRemoved
        + ", in " + duration.toMillis() + " ms";
  }
}
