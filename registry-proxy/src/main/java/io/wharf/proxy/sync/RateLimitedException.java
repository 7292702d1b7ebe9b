package io.wharf.proxy.sync;

import java.time.Duration;

/**
 * The source asked us to slow down (a {@code 429}): the run pauses for {@link #retryAfter()} and
 * goes on, instead of failing. A {@link SyncSource} throws it from any call;
 * {@link PausingSource} catches it, waits and sends the call again.
 */
public final class RateLimitedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** When the source does not say how long: as Docker Hub's limits reset, a minute is a fair first wait. */
  public static final Duration DEFAULT_WAIT = Duration.ofSeconds(60);
  /** The longest a run waits at once, whatever the source says. */
  public static final Duration MAX_WAIT = Duration.ofHours(1);

  private final transient Duration retryAfter;

  /**
   * A rate limit of the source.
   *
   * @param message what the source answered, for the failure if the run gives up, e.g.
   *     {@code upstream registry-1.docker.io rate-limits this proxy}
   * @param retryAfter how long to wait before the call is sent again; see {@link #parseRetryAfter}
   */
  public RateLimitedException(String message, Duration retryAfter) {
    super(message);
    this.retryAfter = retryAfter;
  }

  /**
   * How long the source asked us to wait.
   *
   * @return the wait before the call is sent again
   */
  public Duration retryAfter() {
    return retryAfter;
  }

  /**
   * The wait a {@code Retry-After} value asks for: seconds, or an HTTP date (read relative to
   * {@code now}); {@link #DEFAULT_WAIT} if absent or unreadable; at most {@link #MAX_WAIT}.
   *
   * @param value the header's value, e.g. {@code 120} or {@code Wed, 02 Dec 2026 10:00:30 GMT}; null
   *     if the answer had none
   * @param now the current time, against which an HTTP date is read
   * @return the wait: zero for a negative number or a date already past, never more than
   *     {@link #MAX_WAIT}
   */
  public static Duration parseRetryAfter(String value, java.time.Instant now) {
    Duration d = DEFAULT_WAIT;
    if (value != null && !value.isBlank()) {
      String v = value.trim();
      try {
        d = Duration.ofSeconds(Math.max(0, Long.parseLong(v)));
      } catch (NumberFormatException notSeconds) {
        try {
          java.time.Instant at = java.time.ZonedDateTime.parse(v, java.time.format.DateTimeFormatter.RFC_1123_DATE_TIME)
              .toInstant();
          d = at.isAfter(now) ? Duration.between(now, at) : Duration.ZERO;
        } catch (java.time.format.DateTimeParseException unreadable) {
          d = DEFAULT_WAIT;
        }
      }
    }
    return d.compareTo(MAX_WAIT) > 0 ? MAX_WAIT : d;
  }
}
