package io.wharf.core.gc;

import java.time.Duration;
import java.util.List;

/**
 * What one garbage collection run did (or, in a dry run, would have done).
 *
 * @param dryRun nothing was deleted; the counts say what would have gone
 * @param imagesScanned images walked (directories with {@code _manifests}, {@code _layers} or {@code _uploads})
 * @param blobsMarked distinct blobs (manifests included) reachable from a kept manifest
 * @param blobsDeleted unreferenced blobs older than the grace period that were deleted
 * @param bytesDeleted their total size
 * @param blobsKeptRelinked unreferenced old blobs kept because a push linked them again during the run
 * @param manifestsUntagged untagged manifests unlinked (with {@code deleteUntagged})
 * @param uploadsPurged incomplete uploads removed
 * @param deletedSample the first deleted (or would-be deleted) blob digests, at most {@link #SAMPLE_SIZE}
 * @param duration wall time of the run
 */
public record GcReport(
    boolean dryRun,
    long imagesScanned,
    long blobsMarked,
    long blobsDeleted,
    long bytesDeleted,
    long blobsKeptRelinked,
    long manifestsUntagged,
    long uploadsPurged,
    List<String> deletedSample,
    Duration duration) {

  /** The most digests {@link #deletedSample()} lists. */
  public static final int SAMPLE_SIZE = 100;

  @Override
  public String toString() {
    return (dryRun ? "dry run (nothing deleted): " : "")
        + "images " + imagesScanned
        + ", blobs marked " + blobsMarked
        + ", blobs " + (dryRun ? "to delete " : "deleted ") + blobsDeleted + " (" + bytesDeleted + " bytes)"
        + ", kept because re-linked " + blobsKeptRelinked
        + ", untagged manifests " + (dryRun ? "to remove " : "removed ") + manifestsUntagged
        + ", uploads " + (dryRun ? "to purge " : "purged ") + uploadsPurged
        + ", in " + duration.toMillis() + " ms";
  }
}
