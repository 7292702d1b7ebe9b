package io.wharf.proxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.base.Ticker;
import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.UpstreamIOException;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.repository.GrowingFile;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Stall detection of a download in progress, on a ticker the test moves: a reader waits as long
 * as bytes keep coming, and gives up once none arrived for the read timeout.
 */
class BlobFetchTest {
  static final Duration READ_TIMEOUT = Duration.ofSeconds(3);
  static final int SLICE = 1024;

  @TempDir Path spool;
  final FakeTicker ticker = new FakeTicker();
  final ExecutorService readers = Executors.newCachedThreadPool();

  @AfterEach
  void stop() {
    readers.shutdownNow();
  }

  BlobFetch fetch(long size) throws Exception {
    return new BlobFetch(Digest.sha256("whatever"), size, spool, READ_TIMEOUT, ticker, "upstream.test",
        ImageName.of("team/app"));
  }

  @Test
  void trickle_sliceEveryHalfSecondUnderAThreeSecondTimeout_arrivesWholeHoweverLong() throws Exception {
    int slices = 100; // 50 s by the ticker, far beyond the read timeout
    BlobFetch fetch = fetch((long) slices * SLICE);
    SeekableByteChannel reader = fetch.openReader();
    // As the server sends a download in progress: it waits for a large batch before writing.
    Future<Long> batch = readers.submit(() -> ((GrowingFile) reader).awaitReadable(0, (long) slices * SLICE));

    for (int i = 0; i < slices; i++) {
      ticker.advance(Duration.ofMillis(500));
      fetch.append(new byte[SLICE], 0, SLICE);
    }

    fetch.succeeded(); // verified and stored: the reader may have the last byte

    assertThat(batch.get(60, TimeUnit.SECONDS)).isEqualTo((long) slices * SLICE);
    reader.close();
  }

  @Test
  void stall_noByteForTheReadTimeout_failsTheReaderWithUpstreamTimeout() throws Exception {
    BlobFetch fetch = fetch(10L * SLICE);
    SeekableByteChannel reader = fetch.openReader();
    Future<Long> batch = readers.submit(() -> ((GrowingFile) reader).awaitReadable(0, 10L * SLICE));
    fetch.append(new byte[SLICE], 0, SLICE);
    ticker.advance(Duration.ofMillis(2900));
    fetch.append(new byte[SLICE], 0, SLICE); // progress: the timeout starts again

    ticker.advance(Duration.ofMillis(2900));
    assertThat(batch.isDone()).isFalse(); // not yet: 2.9 s since the last byte (checked again below)
    ticker.advance(Duration.ofMillis(200));

    assertThatThrownBy(() -> batch.get(60, TimeUnit.SECONDS))
        .isInstanceOf(ExecutionException.class)
        .cause().isInstanceOfSatisfying(UpstreamIOException.class, e -> {
          assertThat(e.error().code()).isEqualTo(ErrorCode.UPSTREAM_TIMEOUT);
          assertThat(e.getMessage()).contains("upstream.test").contains("no byte").contains("3 s")
              .contains("2048 of 10240 bytes");
        });
    reader.close();
  }

  @Test
  void stall_readerArrivingWhileBytesFlow_isNotFailedByTheTimeBeforeIt() throws Exception {
    BlobFetch fetch = fetch(4L * SLICE);
    ticker.advance(Duration.ofSeconds(10)); // the download waited long for its first byte...
    fetch.append(new byte[SLICE], 0, SLICE); // ...then it came
    SeekableByteChannel reader = fetch.openReader();
    Future<Long> batch = readers.submit(() -> ((GrowingFile) reader).awaitReadable(0, 4L * SLICE));

    for (int i = 0; i < 3; i++) {
      ticker.advance(Duration.ofSeconds(2));
      fetch.append(new byte[SLICE], 0, SLICE);
    }
    fetch.succeeded();

    assertThat(batch.get(60, TimeUnit.SECONDS)).isEqualTo(4L * SLICE);
    reader.close();
  }

  @Test
  void streamingReader_getsAllButTheLastByteBeforeTheVerdict() throws Exception {
    BlobFetch fetch = fetch(4L * SLICE);
    SeekableByteChannel reader = fetch.openReader();
    fetch.append(new byte[4 * SLICE], 0, 4 * SLICE);

    assertThat(((GrowingFile) reader).awaitReadable(0, SLICE)).isEqualTo(4L * SLICE - 1);
    Future<Long> last = readers.submit(() -> ((GrowingFile) reader).awaitReadable(4L * SLICE - 1, 1));
    fetch.succeeded();
    assertThat(last.get(60, TimeUnit.SECONDS)).isEqualTo(4L * SLICE);
    reader.close();
  }

  @Test
  void upstreamFailure_reachesEveryReaderAsTheUpstreamsError() throws Exception {
    BlobFetch fetch = fetch(10L * SLICE);
    SeekableByteChannel reader = fetch.openReader();
    Future<Long> batch = readers.submit(() -> ((GrowingFile) reader).awaitReadable(0, 10L * SLICE));
    fetch.append(new byte[SLICE], 0, SLICE);

    fetch.failed(new UpstreamIOException(new UpstreamException(ErrorCode.UPSTREAM_INVALID, "upstream.test broke off",
        Map.of("upstream", "upstream.test"), true, null)));

    assertThatThrownBy(() -> batch.get(60, TimeUnit.SECONDS)).cause()
        .isInstanceOfSatisfying(UpstreamIOException.class,
            e -> assertThat(e.error().code()).isEqualTo(ErrorCode.UPSTREAM_INVALID));
    assertThatThrownBy(fetch::awaitDone).isInstanceOfSatisfying(UpstreamIOException.class,
        e -> assertThat(e.error().getMessage()).isEqualTo("upstream.test broke off"));
    reader.close();
  }

  /** Time that moves only when the test says so. */
  static final class FakeTicker extends Ticker {
    private final AtomicLong nanos = new AtomicLong();

    void advance(Duration d) {
      nanos.addAndGet(d.toNanos());
    }

    @Override
    public long read() {
      return nanos.get();
    }
  }
}
