package io.wharf.proxy.sync;

import io.wharf.core.model.Digest;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * A source that waits out its rate limit: when a call ends in a {@link RateLimitedException}
 * (a {@code 429}), the run pauses for the {@code Retry-After} the source gave (see
 * {@link RateLimitedException#parseRetryAfter}), shows the pause in its {@link SyncReport}, and
 * sends the same call again. After {@link #MAX_PAUSES_PER_CALL} pauses in a row for one call the
 * call fails: a source that never lets us in.
 *
 * <p>Wrap the source a run reads ({@code new PausingSource(source, report, clock,
 * PausingSource.Pauser.SLEEP)}) and give the wrapper to {@link ImageCopier} and
 * {@link SyncContent#select}; {@link SyncRun} does so itself. Every other answer or error of the
 * source passes through unchanged.
 */
public final class PausingSource implements SyncSource {
  static final int MAX_PAUSES_PER_CALL = RateLimitPauses.MAX_PAUSES_PER_CALL;

  /** Waits out a rate limit; {@link #SLEEP} in production, a recording one in tests. */
  public interface Pauser {
    /**
     * Waits before a rate-limited call is sent again.
     *
     * @param d how long to wait
     * @throws InterruptedException if the run's thread is interrupted while waiting; the call then
     *     fails with an {@link InterruptedIOException} and the run ends
     */
    void pause(Duration d) throws InterruptedException;

    /** Sleeps on the calling thread for the whole wait. */
    Pauser SLEEP = d -> Thread.sleep(d.toMillis());
  }

  private final SyncSource source;
  private final SyncReport report;
  private final Clock clock;
  private final Pauser pauser;

  /**
   * Wraps a source for one run.
   *
   * @param source the source to call
   * @param report shows each pause: {@code PAUSED} with {@code pausedUntil} while it lasts, and
   *     counted in {@code pauses}
   * @param clock tells when a pause ends, for {@code pausedUntil}
   * @param pauser does the waiting, e.g. {@link Pauser#SLEEP}
   */
  public PausingSource(SyncSource source, SyncReport report, Clock clock, Pauser pauser) {
    this.source = source;
    this.report = report;
    this.clock = clock;
    this.pauser = pauser;
  }

  @Override
  public String describe() {
    return source.describe();
  }

  @Override
  public Optional<List<String>> catalog() throws IOException {
    return paced(source::catalog);
  }

  @Override
  public Optional<List<String>> tags(String name) throws IOException {
    return paced(() -> source.tags(name));
  }

  @Override
  public Optional<Digest> manifestDigest(String name, String reference) throws IOException {
    return paced(() -> source.manifestDigest(name, reference));
  }

  @Override
  public Optional<SourceManifest> manifest(String name, String reference) throws IOException {
    return paced(() -> source.manifest(name, reference));
  }

  @Override
  public Optional<SourceBlob> blob(String name, Digest digest) throws IOException {
    return paced(() -> source.blob(name, digest));
  }

  @Override
  public List<Digest> referrers(String name, Digest subject) throws IOException {
    return paced(() -> source.referrers(name, subject));
  }

  @Override
  public boolean holdsPartialIndexes() {
    return source.holdsPartialIndexes();
  }

  private <T> T paced(RateLimitPauses.Call<T> call) throws IOException {
    return RateLimitPauses.paced(source.describe(), report, clock, pauser, call);
  }
}
