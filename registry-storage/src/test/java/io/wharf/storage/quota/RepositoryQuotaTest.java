package io.wharf.storage.quota;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.quota.Quota;
import io.wharf.core.quota.QuotaExceededException;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.upload.Chunk;
import io.wharf.core.upload.UploadSession;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Hard limits on uploads through {@link HostedRepository}: refused before reading, while streaming, and in parallel. */
class RepositoryQuotaTest {
  static final ImageName APP = ImageName.of("team/app");
  private final Random rnd = new Random(7);
  private final InMemoryDriver driver = new InMemoryDriver();
  private final HostedRepository repo = HostedRepository.builder("hosted", driver).quota(Quota.hard(1000)).build();

  private byte[] random(int size) {
    byte[] b = new byte[size];
    rnd.nextBytes(b);
    return b;
  }

  private void assertUploadGone(UploadSession s) {
    assertThatThrownBy(() -> repo.uploadStatus(APP, s.id()))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_UNKNOWN));
  }

  @Test
  void declaredLengthOverLimit_refusedBeforeReading_uploadCancelled() throws IOException {
    UploadSession s = repo.startUpload(APP);
    InputStream mustNotBeRead = new InputStream() {
      @Override
      public int read() {
        throw new AssertionError("the body was read");
      }
    };

    assertThatThrownBy(() -> repo.appendUpload(APP, s.id(), mustNotBeRead, Chunk.ofLength(1001)))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessageContaining("quota exceeded: repository \"hosted\" uses 0 B of its 1000 B limit");
    assertUploadGone(s);
  }

  @Test
  void streamedPastLimit_stopsAtTheLimit_nothingStored() throws IOException {
    byte[] blob = random(5000);
    UploadSession s = repo.startUpload(APP);
    int[] read = {0};
    InputStream body = new ByteArrayInputStream(blob) {
      @Override
      public synchronized int read(byte[] b, int off, int len) {
        int n = super.read(b, off, Math.min(len, 100)); // arrives in 100-byte pieces
        read[0] += Math.max(0, n);
        return n;
      }
    };

    assertThatThrownBy(() -> repo.finishUpload(APP, s.id(), body, Chunk.STREAMED, Digest.sha256(blob)))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessageContaining("quota exceeded");
    assertThat(read[0]).as("stopped at the first piece over the limit").isEqualTo(1100);
    assertUploadGone(s);
    assertThat(repo.getBlob(APP, Digest.sha256(blob))).isEmpty();
    assertThat(driver.list("/docker/registry/v2/blobs")).isEmpty();
  }

  @Test
  void chunksAddUp_thirdChunkRefused() throws IOException {
    UploadSession s = repo.startUpload(APP);
    repo.appendUpload(APP, s.id(), new ByteArrayInputStream(random(400)), Chunk.STREAMED);
    repo.appendUpload(APP, s.id(), new ByteArrayInputStream(random(400)), Chunk.ofLength(400));

    assertThatThrownBy(() -> repo.appendUpload(APP, s.id(), new ByteArrayInputStream(random(400)), Chunk.STREAMED))
        .isInstanceOf(QuotaExceededException.class);
    assertUploadGone(s);
  }

  @Test
  void parallelUploads_secondRefusedWhileFirstHoldsItsBytes_thenFirstSucceeds() throws Exception {
    byte[] first = random(600);
    CountDownLatch delivered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    InputStream slow = new InputStream() {
      private int pos;

      @Override
      public int read() {
        throw new UnsupportedOperationException();
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (pos < first.length) {
          int n = Math.min(len, first.length - pos);
          System.arraycopy(first, pos, b, off, n);
          pos += n;
          return n;
        }
        delivered.countDown(); // all 600 bytes were handed on (and counted): now the client stalls
        try {
          release.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          throw new IOException(e);
        }
        return -1;
      }
    };
    UploadSession a = repo.startUpload(APP);
    CompletableFuture<Void> pushA = CompletableFuture.runAsync(() -> {
      try {
        repo.finishUpload(APP, a.id(), slow, Chunk.STREAMED, Digest.sha256(first));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    assertThat(delivered.await(60, TimeUnit.SECONDS)).isTrue();

    byte[] second = random(600);
    UploadSession b = repo.startUpload(APP);
    assertThatThrownBy(() -> repo.finishUpload(APP, b.id(), new ByteArrayInputStream(second),
        Chunk.ofLength(second.length), Digest.sha256(second)))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessageContaining("pushes in progress hold 600 B");

    release.countDown();
    pushA.get(10, TimeUnit.SECONDS);
    assertThat(repo.getBlob(APP, Digest.sha256(first))).isPresent();
    assertThat(repo.quota().orElseThrow().usedBytes()).isEqualTo(600);
    assertThat(repo.quota().orElseThrow().reservedBytes()).isZero();
  }

  @Test
  void underLimit_succeeds_andExactlyAtTheLimit() throws IOException {
    byte[] blob = random(1000);
    UploadSession s = repo.startUpload(APP);
    repo.finishUpload(APP, s.id(), new ByteArrayInputStream(blob), Chunk.STREAMED, Digest.sha256(blob));

    assertThat(repo.getBlob(APP, Digest.sha256(blob))).isPresent();
    assertThat(repo.quota().orElseThrow().usedBytes()).isEqualTo(1000);
    UploadSession next = repo.startUpload(APP);
    assertThatThrownBy(() -> repo.finishUpload(APP, next.id(), new ByteArrayInputStream(new byte[1]),
        Chunk.ofLength(1), Digest.sha256(new byte[1])))
        .isInstanceOf(QuotaExceededException.class)
        .hasMessageContaining("uses 1000 B of its 1000 B limit; this push needs 1 B more");
  }

  @Test
  void quota_invalidCombinations_rejected() {
    assertThatThrownBy(() -> new Quota(Quota.NONE, Quota.NONE)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Quota(10, 20)).hasMessageContaining("soft quota 20 B is above the hard quota 10 B");
    assertThat(Quota.of(10L * 1024 * 1024, null)).isEqualTo(new Quota(10L * 1024 * 1024, Quota.NONE));
    assertThat(Quota.format((long) (9.96 * 1024 * 1024))).isEqualTo("9.9 MiB");
    assertThat(Quota.format(10L << 30)).isEqualTo("10 GiB");
  }
}
