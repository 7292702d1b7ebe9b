package io.wharf.proxy.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.Digest;
import io.wharf.core.testing.MutableClock;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A target's {@code 429}: the call is sent again after the wait it asked for, the report shows
 * the pause; a blob upload refused before its bytes streamed is sent again with them, one refused
 * after they began to stream fails (they cannot be read again); a target that never lets up fails
 * the call after {@link RateLimitPauses#MAX_PAUSES_PER_CALL} pauses.
 */
class PausingTargetTest {
  final MutableClock clock = new MutableClock();
  final SyncReport report = new SyncReport("dr", clock.instant());
  final List<Duration> pauses = new ArrayList<>();
  final List<SyncReport.State> statesDuringPause = new ArrayList<>();
  final Digest digest = Digest.sha256(new byte[] {1, 2, 3});

  PausingTarget paced(SyncTarget target) {
    return new PausingTarget(target, report, clock, d -> {
      pauses.add(d);
      statesDuringPause.add(report.snapshot().state());
      clock.advance(d);
    });
  }

  /** Refuses the first {@code refusals} calls with a 429, reading {@code readFirst} bytes of a blob before refusing. */
  static final class Limited implements SyncTarget {
    int refusals;
    final int readFirst;
    final List<byte[]> stored = new ArrayList<>();
    int calls;

    Limited(int refusals, int readFirst) {
      this.refusals = refusals;
      this.readFirst = readFirst;
    }

    private void maybeRefuse() {
      calls++;
      if (refusals-- > 0) {
        throw new RateLimitedException("remote rate-limits", Duration.ofSeconds(7));
      }
    }

    @Override
    public String describe() {
      return "remote.example";
    }

    @Override
    public Optional<Digest> tagged(String name, String tag) {
      maybeRefuse();
      return Optional.empty();
    }

    @Override
    public boolean hasManifest(String name, Digest d) {
      maybeRefuse();
      return false;
    }

    @Override
    public boolean hasBlob(String name, Digest d) {
      maybeRefuse();
      return false;
    }

    @Override
    public void putBlob(String name, Digest d, long size, InputStream body) throws IOException {
      if (readFirst > 0 && refusals > 0) {
        body.readNBytes(readFirst);
      }
      maybeRefuse();
      stored.add(body.readAllBytes());
    }

    @Override
    public void putManifest(String name, String reference, String mediaType, byte[] bytes, Set<Digest> leftOut) {
      maybeRefuse();
      stored.add(bytes);
    }
  }

  @Test
  void aRateLimitedCall_isSentAgainAfterTheWait_andThePauseShows() throws Exception {
    Limited target = new Limited(2, 0);
    assertThat(paced(target).tagged("team/app", "1.0")).isEmpty();
    assertThat(pauses).containsExactly(Duration.ofSeconds(7), Duration.ofSeconds(7));
    assertThat(statesDuringPause).containsOnly(SyncReport.State.PAUSED);
    assertThat(report.snapshot().pauses()).isEqualTo(2);
    assertThat(report.snapshot().state()).isEqualTo(SyncReport.State.RUNNING);
    assertThat(target.calls).isEqualTo(3);
  }

  @Test
  void aBlobRefusedBeforeItsBytesStreamed_isSentAgainWithAllOfThem() throws Exception {
    Limited target = new Limited(1, 0);
    paced(target).putBlob("team/app", digest, 3, new ByteArrayInputStream(new byte[] {1, 2, 3}));
    assertThat(pauses).containsExactly(Duration.ofSeconds(7));
    assertThat(target.stored).singleElement().isEqualTo(new byte[] {1, 2, 3});
  }

  @Test
  void aBlobRefusedAfterItsBytesBeganToStream_failsAfterThePause() {
    Limited target = new Limited(1, 2);
    assertThatThrownBy(() -> paced(target).putBlob("team/app", digest, 3,
        new ByteArrayInputStream(new byte[] {1, 2, 3})))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("remote.example rate-limited the upload of blob " + digest)
        .hasMessageContaining("after its bytes began to stream");
    assertThat(pauses).containsExactly(Duration.ofSeconds(7));
    assertThat(target.stored).isEmpty();
  }

  @Test
  void aTargetThatNeverLetsUp_failsTheCallAfterItsPauses() {
    Limited target = new Limited(Integer.MAX_VALUE, 0);
    assertThatThrownBy(() -> paced(target).putManifest("team/app", "1.0", null, new byte[] {1}, Set.of()))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("remote.example still rate-limits after " + RateLimitPauses.MAX_PAUSES_PER_CALL);
    assertThat(pauses).hasSize(RateLimitPauses.MAX_PAUSES_PER_CALL);
  }
}
