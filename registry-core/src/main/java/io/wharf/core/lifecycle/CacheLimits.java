package io.wharf.core.lifecycle;

import java.time.Duration;

/**
 * How much a proxy repository may keep cached; enforced by a {@link CacheEvictor} run.
 *
 * @param maxSize the most bytes of distinct blobs (layers, configs, manifests) the cache may hold
 *     after a run; null: no size limit
 * @param maxUnusedAge cached images not pulled (nor cached) for longer than this are evicted;
 *     null: no age limit
 */
public record CacheLimits(Long maxSize, Duration maxUnusedAge) {

  /**
   * Checks the limits.
   *
   * @param maxSize the most bytes of distinct blobs the cache may hold, or null
   * @param maxUnusedAge the age after which unused cached images are evicted, or null
   * @throws IllegalArgumentException if a limit is not positive, or both are null
   */
  public CacheLimits {
    if (maxSize != null && maxSize <= 0) {
      throw new IllegalArgumentException("maxSize must be positive: " + maxSize);
    }
    if (maxUnusedAge != null && (maxUnusedAge.isNegative() || maxUnusedAge.isZero())) {
      throw new IllegalArgumentException("maxUnusedAge must be positive: " + maxUnusedAge);
    }
    if (maxSize == null && maxUnusedAge == null) {
      throw new IllegalArgumentException("cache limits need maxSize, maxUnusedAge or both");
    }
  }
}
