package io.wharf.proxy;

import java.time.Instant;

/**
 * A proxy's view of its upstream, for operators: whether calls are auto-blocked, until when,
 * after how many consecutive failures, and the last failure.
 *
 * @param blocked true while calls to the upstream are auto-blocked
 * @param blockedUntil {@code null} when calls go through
 * @param consecutiveFailures the upstream's failures since its last success
 * @param lastError the last failure, or {@code null}
 */
public record UpstreamStatus(boolean blocked, Instant blockedUntil, int consecutiveFailures, String lastError) {}
