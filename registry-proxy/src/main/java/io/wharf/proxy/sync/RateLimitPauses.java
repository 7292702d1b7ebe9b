package io.wharf.proxy.sync;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;

/**
 * How a run waits out a rate limit, the source's ({@link PausingSource}) and the target's
 * ({@link PausingTarget}) alike: a call that ends in a {@link RateLimitedException} (a {@code 429})
 * pauses the run for the {@code Retry-After} it gave, shows the pause in the run's
 * {@link SyncReport}, and is sent again; after {@link #MAX_PAUSES_PER_CALL} pauses in a row for one
 * call it fails.
 */
final class RateLimitPauses {
  /** The most pauses in a row for one call: a registry that never lets us in fails the call. */
  static final int MAX_PAUSES_PER_CALL = 20;

  private RateLimitPauses() {}

  /** One call to a source or a target. */
  interface Call<T> {
    /**
     * Sends the call.
     *
     * @return its answer
     * @throws IOException as the call fails
     */
    T call() throws IOException;
  }

  /**
   * Sends {@code call}, waiting out each rate limit it meets.
   *
   * @param who the source or target, for messages
   * @param report shows each pause
   * @param clock tells when a pause ends
   * @param pauser does the waiting
   * @param call the call
   * @return the call's answer
   * @throws IOException as the call fails, after {@link #MAX_PAUSES_PER_CALL} pauses, or an
   *     {@link InterruptedIOException} if interrupted while paused
   */
  static <T> T paced(String who, SyncReport report, Clock clock, PausingSource.Pauser pauser, Call<T> call)
      throws IOException {
    for (int pauses = 0; ; pauses++) {
      try {
        return call.call();
      } catch (RateLimitedException e) {
        if (pauses == MAX_PAUSES_PER_CALL) {
          throw new IOException(who + " still rate-limits after " + pauses + " pauses: " + e.getMessage(), e);
        }
        Duration wait = e.retryAfter();
        report.paused(clock.instant().plus(wait));
        try {
          pauser.pause(wait);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while paused for the rate limit of " + who);
        } finally {
          report.resumed();
        }
      }
    }
  }
}
