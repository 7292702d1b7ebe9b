package io.wharf.storage.fs;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.storage.StorageDriver;
import io.wharf.core.storage.StorageDriverContract;
import io.wharf.core.storage.StorageFullException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilesystemDriverTest extends StorageDriverContract {

  @TempDir Path root;

  @Override
  protected StorageDriver newDriver() {
    return new FilesystemDriver(root);
  }

  @Test
  void list_tempFilePresent_isNotListed() throws Exception {
    driver.putContent("/a/b", "x".getBytes(UTF_8));
    Files.write(root.resolve("a/" + FilesystemDriver.TMP_PREFIX + "crashed"), new byte[10]);

    assertThat(driver.list("/a")).containsExactly("/a/b");
  }

  /**
   * The collector deletes a link's directory while a push may be rewriting that link (GcRaceHttpTest
   * once saw an upload answer 400 so, beside stress-ng): a put that loses its temp file or its
   * directory to such a delete writes again instead of failing.
   */
  @Test
  void putContent_directoryDeletedDuringThePut_putSucceeds() throws Exception {
    ExecutorService deleter = Executors.newSingleThreadExecutor();
    try {
      for (int i = 0; i < 300; i++) {
        driver.putContent("/repo/_layers/sha256/abc/link", "old".getBytes(UTF_8));
        CyclicBarrier together = new CyclicBarrier(2);
        Future<?> delete = deleter.submit(() -> {
          together.await();
          try {
            driver.delete("/repo/_layers/sha256/abc");
          } catch (IOException lost) {
            // the put's new file came first: the delete loses (the collector leaves it for its next run)
          }
          return null;
        });
        together.await();
        driver.putContent("/repo/_layers/sha256/abc/link", ("sha256:" + i).getBytes(UTF_8));
        delete.get(2, TimeUnit.MINUTES);
      }
    } finally {
      deleter.shutdownNow();
    }
  }

  @Test
  void putContent_distributionPath_landsUnderRoot() throws Exception {
    driver.putContent("/docker/registry/v2/x", "hello".getBytes(UTF_8));

    assertThat(root.resolve("docker/registry/v2/x")).hasContent("hello");
  }

  @Test
  void putContent_newAndExistingPath_leavesNoTempFile() throws Exception {
    driver.putContent("/a/b/link", "one".getBytes(UTF_8));
    driver.putContent("/a/b/link", "two".getBytes(UTF_8));
    driver.putContent("/a/c", new byte[0]);

    try (Stream<Path> files = Files.walk(root)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(FilesystemDriver.TMP_PREFIX));
    }
  }

  @Test
  void putContent_writersRacingToCreateOneNewDirectoryTree_allLand() throws Exception {
    int writers = 8;
    CyclicBarrier start = new CyclicBarrier(writers);
    ExecutorService pool = Executors.newFixedThreadPool(writers);
    try {
      List<Future<?>> done = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        String path = "/tags/t/index/sha256/d" + (i % 2) + "/link" + i; // two leaves, one new tree
        byte[] content = ("w" + i).getBytes(UTF_8);
        done.add(pool.submit(() -> {
          start.await();
          driver.putContent(path, content);
          return null;
        }));
      }
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    for (int i = 0; i < writers; i++) {
      assertThat(driver.getContent("/tags/t/index/sha256/d" + (i % 2) + "/link" + i)).contains(("w" + i).getBytes(UTF_8));
    }
  }

  @Test
  void putContent_parentIsAFile_failsAndLeavesTheFile() throws Exception {
    driver.putContent("/a/file", "x".getBytes(UTF_8));

    assertThatThrownBy(() -> driver.putContent("/a/file/below/link", "y".getBytes(UTF_8)))
        .isInstanceOf(IOException.class);
    assertThat(driver.getContent("/a/file")).contains("x".getBytes(UTF_8));
    assertThat(driver.stat("/a/file/below")).isEmpty();
  }

  @Test
  void reader_existingObject_isFileChannel() throws Exception {
    driver.putContent("/a/b", "x".getBytes(UTF_8));

    try (SeekableByteChannel ch = driver.reader("/a/b")) {
      assertThat(ch).isInstanceOf(FileChannel.class); // the server maps it
    }
  }

  /**
   * Past 64 MiB a writer flushes to disk in the background while it goes on writing: the bytes,
   * written as small and large arrays and as an append by a second writer, must come out whole.
   */
  @Test
  void writer_overTheEarlyFlushSize_commitsEveryByteInOrder() throws Exception {
    byte[] chunk = new byte[3 * 1024 * 1024 + 17];
    new Random(5).nextBytes(chunk);
    MessageDigest expected = MessageDigest.getInstance("SHA-256");
    long size = 0;
    try (StorageDriver.FileWriter w = driver.writer("/big", false)) {
      for (int i = 0; i < 30; i++) { // ~90 MiB in large arrays
        w.stream().write(chunk);
        expected.update(chunk);
        size += chunk.length;
      }
      w.commit();
    }
    try (StorageDriver.FileWriter w = driver.writer("/big", true)) {
      for (int i = 0; i < 25; i++) { // ~75 MiB more in 4 KiB network-sized reads
        for (int off = 0; off < chunk.length; off += 4096) {
          int n = Math.min(4096, chunk.length - off);
          w.stream().write(chunk, off, n);
        }
        expected.update(chunk);
        size += chunk.length;
      }
      w.commit();
    }

    assertThat(Files.size(root.resolve("big"))).isEqualTo(size);
    MessageDigest actual = MessageDigest.getInstance("SHA-256");
    try (InputStream in = Files.newInputStream(root.resolve("big"))) {
      in.transferTo(new DigestOutputStream(OutputStream.nullOutputStream(), actual));
    }
    assertThat(actual.digest()).isEqualTo(expected.digest());
  }

  @Test
  void whenFull_enospcOrEdquot_becomesStorageFullWithTheFilesystemsNumbers() {
    FilesystemDriver fs = new FilesystemDriver(root);

    IOException full = fs.whenFull(new IOException("No space left on device"));

    assertThat(full).isInstanceOf(StorageFullException.class).hasMessageStartingWith("storage " + root + " is full: ")
        .hasMessageContaining(" free of ");
    assertThat(((StorageFullException) full).totalBytes()).isEqualTo(root.toFile().getTotalSpace());
    assertThat(fs.whenFull(new FileSystemException(root + "/x", null, "Disk quota exceeded")))
        .isInstanceOf(StorageFullException.class);
    IOException denied = new AccessDeniedException(root + "/x");
    assertThat(fs.whenFull(denied)).isSameAs(denied);
    IOException other = new IOException("Input/output error");
    assertThat(fs.whenFull(other)).as("another error, with space left").isSameAs(other);
  }

  @Test
  void space_isTheFilesystemOfTheRoot_evenBeforeTheRootExists() {
    StorageDriver.Space space = new FilesystemDriver(root.resolve("not/yet")).space().orElseThrow();

    assertThat(space.totalBytes()).isEqualTo(root.toFile().getTotalSpace()).isPositive();
    assertThat(space.freeBytes()).isBetween(0L, space.totalBytes());
  }
}
