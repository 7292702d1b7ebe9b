package io.wharf.core.lifecycle;

import java.time.Duration;
import java.util.List;

/**
 * What one {@link CacheEvictor} run did (or, in a dry run, would have done).
 *
 * @param dryRun nothing was removed; the counts say what would have gone
 * @param imagesScanned cached images looked at
 * @param unitsScanned cached units (root manifests with their index children) found
 * @param unitsEvicted units evicted, for age or for size
 * @param tagsRemoved tags removed with them
 * @param manifestsRemoved manifests unlinked
 * @param bytesFreed bytes of distinct blobs the cache no longer holds; an estimate of what the
 *     next garbage collection reclaims (less if another repository on the storage shares them)
 * @param sizeBefore bytes of distinct blobs the cache held before the run
 * @param sizeAfter and after it
 * @param evictedSample the first evicted units as {@code image[:tag,...]@digest}, at most {@link #SAMPLE_SIZE}
 * @param duration wall time of the run
 */
public record EvictionReport(
    boolean dryRun,
    long imagesScanned,
    long unitsScanned,
    long unitsEvicted,
    long tagsRemoved,
    long manifestsRemoved,
    long bytesFreed,
    long sizeBefore,
    long sizeAfter,
    List<String> evictedSample,
    Duration duration) {

  /** The most units a report's sample lists. */
  public static final int SAMPLE_SIZE = 100;

  @Override
  public String toString() {
    return (dryRun ? "dry run (nothing evicted): " : "")
        + "images " + imagesScanned
        + ", units " + unitsScanned
        + ", " + (dryRun ? "to evict " : "evicted ") + unitsEvicted
        + " (tags " + tagsRemoved + ", manifests " + manifestsRemoved + ")"
        + ", size " + sizeBefore + " -> " + sizeAfter + " bytes (" + bytesFreed + " freed)"
        + ", in " + duration.toMillis() + " ms";
  }
}
