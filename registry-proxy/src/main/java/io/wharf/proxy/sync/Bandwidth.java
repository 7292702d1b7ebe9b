package io.wharf.proxy.sync;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * A rate limit over the blob bytes of one run ({@code limits.bandwidth}), shared by the run's
 * parallel copies: every byte read through {@link #limit} takes its share of a timeline, and a
 * read waits until its bytes have had their time at the rate. Over a run the waits add up to what
 * the bytes take at the rate, less the time the reads themselves took. Nothing is
 * buffered: memory stays constant whatever the rate.
 *
 * <p>The waits go through a {@link PausingSource.Pauser} ({@link PausingSource.Pauser#SLEEP} in
 * production) and the time comes from a {@link Clock}, so a test can check the waits asked for
 * without waiting.
 */
public final class Bandwidth {
  /** At most this many bytes are read before the limit is asked: keeps the waits short and even. */
  static final int CHUNK = 64 * 1024;

  private final long bytesPerSecond;
  private final Clock clock;
  private final PausingSource.Pauser pauser;
  /** When the bytes admitted so far have had their time at the rate; guarded by {@code this}. */
  private Instant paidUntil;

  /**
   * A limit of {@code bytesPerSecond}.
   *
   * @param bytesPerSecond the rate, more than 0
   * @param clock tells the time
   * @param pauser does the waiting, e.g. {@link PausingSource.Pauser#SLEEP}
   * @throws IllegalArgumentException if the rate is not positive
   */
  public Bandwidth(long bytesPerSecond, Clock clock, PausingSource.Pauser pauser) {
    if (bytesPerSecond <= 0) {
      throw new IllegalArgumentException("a bandwidth must be more than 0 bytes per second: " + bytesPerSecond);
    }
    this.bytesPerSecond = bytesPerSecond;
    this.clock = clock;
    this.pauser = pauser;
  }

  /**
   * The rate.
   *
   * @return bytes per second
   */
  public long bytesPerSecond() {
    return bytesPerSecond;
  }

  /**
   * Takes {@code bytes} from the limit, waiting until they fit the rate.
   *
   * @param bytes bytes just read
   * @throws InterruptedIOException if the thread is interrupted while waiting
   */
  void take(long bytes) throws InterruptedIOException {
    Duration wait;
    synchronized (this) {
      Instant now = clock.instant();
      Instant from = paidUntil == null || paidUntil.isBefore(now) ? now : paidUntil;
      // nanoseconds the bytes take at the rate; split to keep the product in a long
      long nanos = bytes / bytesPerSecond * 1_000_000_000L + bytes % bytesPerSecond * 1_000_000_000L / bytesPerSecond;
      paidUntil = from.plusNanos(nanos);
      wait = Duration.between(now, paidUntil);
    }
    if (wait.isNegative() || wait.isZero()) {
      return;
    }
    try {
      pauser.pause(wait);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while waiting for the bandwidth limit");
    }
  }

  /**
   * {@code in} read at most at the rate, together with every other stream of this limit.
   *
   * @param in a blob's bytes from the source
   * @return a stream that waits as needed after each read; closing it closes {@code in}
   */
  public InputStream limit(InputStream in) {
    return new FilterInputStream(in) {
      @Override
      public int read() throws IOException {
        int b = super.read();
        if (b >= 0) {
          take(1);
        }
        return b;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, Math.min(len, CHUNK));
        if (n > 0) {
          take(n);
        }
        return n;
      }

      @Override
      public long skip(long n) throws IOException {
        long skipped = super.skip(n);
        if (skipped > 0) {
          take(skipped);
        }
        return skipped;
      }
    };
  }
}
