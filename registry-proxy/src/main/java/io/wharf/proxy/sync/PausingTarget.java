package io.wharf.proxy.sync;

import io.wharf.core.model.Digest;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A target that waits out its rate limit, as {@link PausingSource} waits out the source's: a
 * remote registry a push rule writes to ({@code io.wharf.proxy.RegistryTarget}) answering
 * {@code 429} with {@code Retry-After} pauses the run (shown in its {@link SyncReport}) and the
 * call is sent again, instead of failing the image. {@link SyncRun} wraps its target in one.
 *
 * <p>A blob's bytes stream from the source once: a {@link #putBlob} refused before any of them
 * was read (the upload's start, or an answer before the body) is sent again after the pause;
 * one refused after they began to stream cannot be, and fails after the pause (the image is
 * failed in the report, and the next run copies it).
 */
public final class PausingTarget implements SyncTarget {
  private final SyncTarget target;
  private final SyncReport report;
  private final Clock clock;
  private final PausingSource.Pauser pauser;

  /**
   * Wraps a target for one run.
   *
   * @param target the target to call
   * @param report shows each pause: {@code PAUSED} with {@code pausedUntil} while it lasts, and
   *     counted in {@code pauses}
   * @param clock tells when a pause ends
   * @param pauser does the waiting, e.g. {@link PausingSource.Pauser#SLEEP}
   */
  public PausingTarget(SyncTarget target, SyncReport report, Clock clock, PausingSource.Pauser pauser) {
    this.target = target;
    this.report = report;
    this.clock = clock;
    this.pauser = pauser;
  }

  @Override
  public String describe() {
    return target.describe();
  }

  @Override
  public Optional<Digest> tagged(String name, String tag) throws IOException {
    return paced(() -> target.tagged(name, tag));
  }

  @Override
  public boolean hasManifest(String name, Digest digest) throws IOException {
    return paced(() -> target.hasManifest(name, digest));
  }

  @Override
  public boolean hasBlob(String name, Digest digest) throws IOException {
    return paced(() -> target.hasBlob(name, digest));
  }

  @Override
  public void putBlob(String name, Digest digest, long size, InputStream body) throws IOException {
    Watched watched = new Watched(body);
    paced(() -> {
      if (watched.touched) {
        throw new IOException(describe() + " rate-limited the upload of blob " + digest + " to " + name
            + " after its bytes began to stream; they cannot be sent again in this run");
      }
      target.putBlob(name, digest, size, watched);
      return null;
    });
  }

  @Override
  public void putManifest(String name, String reference, String mediaType, byte[] bytes, Set<Digest> leftOutChildren)
      throws IOException {
    paced(() -> {
      target.putManifest(name, reference, mediaType, bytes, leftOutChildren);
      return null;
    });
  }

  @Override
  public Optional<List<String>> tags(String name) throws IOException {
    return paced(() -> target.tags(name));
  }

  @Override
  public void deleteTag(String name, String tag) throws IOException {
    paced(() -> {
      target.deleteTag(name, tag);
      return null;
    });
  }

  private <T> T paced(RateLimitPauses.Call<T> call) throws IOException {
    return RateLimitPauses.paced(target.describe(), report, clock, pauser, call);
  }

  /** A blob's body that tells whether any of it was read. */
  private static final class Watched extends FilterInputStream {
    volatile boolean touched;

    Watched(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      touched = true;
      return super.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      touched = true;
      return super.read(b, off, len);
    }

    @Override
    public long skip(long n) throws IOException {
      touched = true;
      return super.skip(n);
    }
  }
}
