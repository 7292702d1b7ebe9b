package io.wharf.proxy;

import java.time.Instant;

/**
 * A proxy's view of its upstream, for operators: whether calls are auto-blocked, until when,
 * after how many consecutive failures, and the last failure.
 *
 * @param blockedUntil {@code null} when calls go through
 */
public record UpstreamStatus(boolean blocked, Instant blockedUntil, int consecutiveFailures, String lastError) {}
