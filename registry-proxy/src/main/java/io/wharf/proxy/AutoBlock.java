package io.wharf.proxy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * Stops calling an upstream that keeps failing, as Nexus's "auto-block" does, but lifts itself:
 * after {@code threshold} consecutive outages (unreachable, timeouts, 5xx, 429) the upstream is
 * not called for a back-off period that doubles on each renewed failure up to a maximum; the
 * first call after the period is a probe, and one success clears everything. Refusals (401/403)
 * do not count: they are answers, and a credentials fix must take effect at once. A threshold of
 * 0 turns blocking off. {@link #success} and {@link #failure} say whether they changed the state
 * (blocked, or answering again), so the proxy can tell its {@link UpstreamListener}.
 */
final class AutoBlock {
  private final Clock clock;
  private final int threshold;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private int failures;
  private Duration backoff;
  private Instant blockedUntil;
  private String lastError;

  AutoBlock(Clock clock, int threshold, Duration initialBackoff, Duration maxBackoff) {
    this.clock = clock;
    this.threshold = threshold;
    this.initialBackoff = initialBackoff;
    this.maxBackoff = maxBackoff;
    this.backoff = initialBackoff;
  }

  /** True if the upstream may be called now. */
  synchronized boolean allows() {
    return blockedUntil == null || !clock.instant().isBefore(blockedUntil);
  }

  /** Records a success; true if it lifts a block. */
  synchronized boolean success() {
    boolean wasBlocked = blockedUntil != null;
    failures = 0;
    backoff = initialBackoff;
    blockedUntil = null;
    return wasBlocked;
  }

  /** Records an outage; true if it blocks an upstream that was not blocked (a renewed block is not new). */
  synchronized boolean failure(String error) {
    failures++;
    lastError = error;
    if (threshold > 0 && failures >= threshold) {
      boolean fresh = blockedUntil == null;
      blockedUntil = clock.instant().plus(backoff);
      Duration doubled = backoff.multipliedBy(2);
      backoff = doubled.compareTo(maxBackoff) > 0 ? maxBackoff : doubled;
      return fresh;
    }
    return false;
  }

  synchronized UpstreamStatus status() {
    boolean blocked = blockedUntil != null && clock.instant().isBefore(blockedUntil);
    return new UpstreamStatus(blocked, blocked ? blockedUntil : null, failures, lastError);
  }
}
