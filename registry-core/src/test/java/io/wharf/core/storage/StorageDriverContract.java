package io.wharf.core.storage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.concurrent.TimeUnit.SECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.storage.StorageDriver.FileWriter;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The conformance suite every {@link StorageDriver} runs (distribution's {@code testsuites.Driver}).
 * It checks exactly what the SPI documents, so a driver that passes it can back a registry:
 *
 * <pre>{@code
 * class InMemoryDriverTest extends StorageDriverContract {
 *   @Override protected StorageDriver newDriver() { return new InMemoryDriver(); }
 * }
 * }</pre>
 *
 * <p>{@link #newDriver()} is called before every test and must return a driver over fresh, empty
 * storage; {@link #closeDriver} is called after every test. The tests talk to the raw driver, with
 * valid paths only; path validation is {@link CheckedStorageDriver}'s job, and one test checks that
 * the wrapper stops bad paths before they reach the driver.
 *
 * <p>A driver that offers redirects overrides {@link #redirectUrl_plainDriver_isEmpty()} without
 * {@code @Test} to drop it.
 */
public abstract class StorageDriverContract {

  private static final byte[] HELLO = "hello".getBytes(UTF_8);

  /** The driver under test, fresh for each test. */
  protected StorageDriver driver;

  /** A driver over empty storage. Called once per test. */
  protected abstract StorageDriver newDriver() throws Exception;

  /** Releases what {@link #newDriver()} acquired. Called after every test; does nothing by default. */
  protected void closeDriver(StorageDriver driver) throws Exception {}

  @BeforeEach
  void openDriver() throws Exception {
    driver = newDriver();
  }

  @AfterEach
  void releaseDriver() throws Exception {
    closeDriver(driver);
  }

  // --- getContent / putContent ---------------------------------------------------------------

  @Test
  void putContent_newPath_getContentReturnsSameBytes() throws Exception {
    driver.putContent("/a/b/c", HELLO);

    assertThat(driver.getContent("/a/b/c")).hasValueSatisfying(b -> assertThat(b).isEqualTo(HELLO));
  }

  @Test
  void putContent_existingPath_replacesContent() throws Exception {
    driver.putContent("/a/link", "a much longer first value".getBytes(UTF_8));

    driver.putContent("/a/link", HELLO);

    assertThat(driver.getContent("/a/link")).hasValueSatisfying(b -> assertThat(b).isEqualTo(HELLO));
  }

  @Test
  void putContent_emptyContent_roundtripsAsEmptyObject() throws Exception {
    driver.putContent("/a/empty", new byte[0]);

    assertThat(driver.getContent("/a/empty")).hasValueSatisfying(b -> assertThat(b).isEmpty());
    assertThat(driver.stat("/a/empty")).hasValueSatisfying(i -> assertThat(i.size()).isZero());
  }

  @Test
  void getContent_absentPath_returnsEmpty() throws Exception {
    driver.putContent("/a/b", HELLO);

    assertThat(driver.getContent("/a/nothing")).isEmpty();
    assertThat(driver.getContent("/no/such/parent")).isEmpty();
  }

  @Test
  void getContent_directory_returnsEmpty() throws Exception {
    driver.putContent("/a/b/c", HELLO);

    assertThat(driver.getContent("/a/b")).isEmpty();
  }

  @Test
  void putContent_segmentsWithDotsUnderscoresDashes_roundtripAndList() throws Exception {
    String dir = "/docker/registry/v2/repositories/my-org/app_1.0/_manifests/tags/v1.2.3-rc_1";
    driver.putContent(dir + "/current/link", HELLO);
    driver.putContent(dir + "/.../x", HELLO);

    assertThat(driver.getContent(dir + "/current/link")).isPresent();
    assertThat(driver.getContent(dir + "/.../x")).isPresent();
    assertThat(driver.list(dir)).containsExactly(dir + "/...", dir + "/current");
  }

  // --- stat ----------------------------------------------------------------------------------

  @Test
  void stat_file_returnsSizeAndModified() throws Exception {
    Instant before = Instant.now();
    driver.putContent("/a/file", HELLO);

    FileInfo info = driver.stat("/a/file").orElseThrow();

    assertThat(info.path()).isEqualTo("/a/file");
    assertThat(info.size()).isEqualTo(HELLO.length);
    assertThat(info.directory()).isFalse();
    // Generous bounds: filesystem timestamps are coarse, and a remote store has its own clock.
    Duration slack = Duration.ofMinutes(1);
    assertThat(info.modified()).isBetween(before.minus(slack), Instant.now().plus(slack));
  }

  @Test
  void stat_directory_returnsDirectoryOfSizeZero() throws Exception {
    driver.putContent("/a/b/c", HELLO);

    FileInfo info = driver.stat("/a/b").orElseThrow();

    assertThat(info.path()).isEqualTo("/a/b");
    assertThat(info.directory()).isTrue();
    assertThat(info.size()).isZero();
    assertThat(driver.stat("/a")).hasValueSatisfying(i -> assertThat(i.directory()).isTrue());
  }

  @Test
  void stat_absentPath_returnsEmpty() throws Exception {
    driver.putContent("/a/bc", HELLO);

    assertThat(driver.stat("/a/b")).isEmpty();
    assertThat(driver.stat("/x/y")).isEmpty();
  }

  // --- reader --------------------------------------------------------------------------------

  @Test
  void reader_existingObject_positionedAtZeroWithSize() throws Exception {
    byte[] content = sequence(256);
    driver.putContent("/a/blob", content);

    try (SeekableByteChannel ch = driver.reader("/a/blob")) {
      assertThat(ch.position()).isZero();
      assertThat(ch.size()).isEqualTo(256);
      assertThat(readToEnd(ch)).isEqualTo(content);
      assertThat(ch.read(ByteBuffer.allocate(1))).isEqualTo(-1);
    }
  }

  @Test
  void reader_positionedAtOffset_readsFromThere() throws Exception {
    driver.putContent("/a/blob", sequence(256));

    try (SeekableByteChannel ch = driver.reader("/a/blob")) {
      ch.position(100);
      ByteBuffer buf = ByteBuffer.allocate(10);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {}

      assertThat(buf.array()).containsExactly(100, 101, 102, 103, 104, 105, 106, 107, 108, 109);
      assertThat(ch.position()).isEqualTo(110);
    }
  }

  @Test
  void reader_absentPath_throwsPathNotFound() {
    assertThatThrownBy(() -> driver.reader("/a/nothing")).isInstanceOf(PathNotFoundException.class);
  }

  @Test
  void reader_directory_throwsPathNotFound() throws Exception {
    driver.putContent("/a/b/c", HELLO);

    assertThatThrownBy(() -> driver.reader("/a/b")).isInstanceOf(PathNotFoundException.class);
  }

  // --- writer --------------------------------------------------------------------------------

  @Test
  void writer_writeAndCommit_contentReadableWithSize() throws Exception {
    try (FileWriter w = driver.writer("/uploads/u1/data", false)) {
      w.stream().write(HELLO);
      w.stream().write('!');
      assertThat(w.size()).isEqualTo(6);
      w.commit();
    }

    assertThat(text("/uploads/u1/data")).isEqualTo("hello!");
    assertThat(driver.stat("/uploads/u1/data")).hasValueSatisfying(i -> assertThat(i.size()).isEqualTo(6));
  }

  @Test
  void writer_appendAfterClose_continuesObject() throws Exception {
    try (FileWriter w = driver.writer("/uploads/u1/data", false)) {
      w.stream().write("hello ".getBytes(UTF_8));
    }

    try (FileWriter w = driver.writer("/uploads/u1/data", true)) {
      assertThat(w.size()).isEqualTo(6);
      w.stream().write("world".getBytes(UTF_8));
      assertThat(w.size()).isEqualTo(11);
      w.commit();
    }

    assertThat(text("/uploads/u1/data")).isEqualTo("hello world");
  }

  @Test
  void writer_noAppend_truncatesExistingObject() throws Exception {
    driver.putContent("/uploads/u1/data", "old and long content".getBytes(UTF_8));

    try (FileWriter w = driver.writer("/uploads/u1/data", false)) {
      assertThat(w.size()).isZero();
      w.stream().write("new".getBytes(UTF_8));
      w.commit();
    }

    assertThat(text("/uploads/u1/data")).isEqualTo("new");
  }

  @Test
  void writer_closeWithoutCommit_keepsBytes() throws Exception {
    FileWriter w = driver.writer("/uploads/u1/data", false);
    w.stream().write("partial".getBytes(UTF_8));
    w.close();

    assertThat(text("/uploads/u1/data")).isEqualTo("partial");
  }

  @Test
  void writer_cancel_deletesObject() throws Exception {
    driver.putContent("/uploads/u1/data", HELLO);
    FileWriter w = driver.writer("/uploads/u1/data", true);
    w.stream().write(" and more".getBytes(UTF_8));

    w.cancel();
    w.close(); // try-with-resources closes after a cancel: must be harmless

    assertThat(driver.stat("/uploads/u1/data")).isEmpty();
    assertThat(driver.getContent("/uploads/u1/data")).isEmpty();
  }

  @Test
  void writer_movedBeforeClose_targetKeepsBytesAndSourceStaysGone() throws Exception {
    // The upload flow: write, commit and move inside try-with-resources, close last.
    try (FileWriter w = driver.writer("/uploads/u1/data", true); OutputStream out = w.stream()) {
      out.write(HELLO);
      w.commit();
      driver.move("/uploads/u1/data", "/blobs/ab/data");
    }

    assertThat(text("/blobs/ab/data")).isEqualTo("hello");
    assertThat(driver.stat("/uploads/u1/data")).isEmpty();
  }

  @Test
  void writer_largeWriteInChunks_roundtripsWithSameDigest() throws Exception {
    int chunk = 64 * 1024;
    int chunks = 320; // 20 MiB
    MessageDigest written = MessageDigest.getInstance("SHA-256");
    Random random = new Random(42);
    byte[] buf = new byte[chunk];
    try (FileWriter w = driver.writer("/uploads/big/data", false)) {
      for (int i = 0; i < chunks; i++) {
        random.nextBytes(buf);
        written.update(buf);
        w.stream().write(buf);
      }
      assertThat(w.size()).isEqualTo((long) chunk * chunks);
      w.commit();
    }

    MessageDigest read = MessageDigest.getInstance("SHA-256");
    try (SeekableByteChannel ch = driver.reader("/uploads/big/data")) {
      assertThat(ch.size()).isEqualTo((long) chunk * chunks);
      ByteBuffer bb = ByteBuffer.allocate(chunk);
      while (ch.read(bb) >= 0) {
        bb.flip();
        read.update(bb);
        bb.clear();
      }
    }
    assertThat(read.digest()).isEqualTo(written.digest());
  }

  // --- list ----------------------------------------------------------------------------------

  @Test
  void list_directory_returnsSortedFullPathsOfFilesAndDirectories() throws Exception {
    for (String p : List.of("/d/b", "/d/a/x", "/d/a/y/z", "/d/a_b", "/d/a.b", "/d/a-b", "/d/Z", "/dd/no", "/d-/no")) {
      driver.putContent(p, HELLO);
    }

    assertThat(driver.list("/d")).containsExactly("/d/Z", "/d/a", "/d/a-b", "/d/a.b", "/d/a_b", "/d/b");
    assertThat(driver.list("/d/a")).containsExactly("/d/a/x", "/d/a/y");
  }

  @Test
  void list_absentDirectory_returnsEmpty() throws Exception {
    driver.putContent("/d/a", HELLO);

    assertThat(driver.list("/nothing")).isEmpty();
    assertThat(driver.list("/d/nothing/below")).isEmpty();
  }

  // --- move ----------------------------------------------------------------------------------

  @Test
  void move_existingTarget_replacesTargetAndRemovesSource() throws Exception {
    driver.putContent("/uploads/u1/data", "new".getBytes(UTF_8));
    driver.putContent("/blobs/ab/data", "old content".getBytes(UTF_8));

    driver.move("/uploads/u1/data", "/blobs/ab/data");

    assertThat(text("/blobs/ab/data")).isEqualTo("new");
    assertThat(driver.stat("/uploads/u1/data")).isEmpty();
  }

  @Test
  void move_targetParentsAbsent_createsParents() throws Exception {
    driver.putContent("/uploads/u1/data", HELLO);

    driver.move("/uploads/u1/data", "/blobs/sha256/ab/abcd/data");

    assertThat(text("/blobs/sha256/ab/abcd/data")).isEqualTo("hello");
    assertThat(driver.list("/blobs/sha256/ab")).containsExactly("/blobs/sha256/ab/abcd");
    assertThat(driver.getContent("/uploads/u1/data")).isEmpty();
  }

  @Test
  void move_absentSource_throwsPathNotFoundAndLeavesTarget() throws Exception {
    driver.putContent("/blobs/ab/data", HELLO);

    assertThatThrownBy(() -> driver.move("/uploads/none/data", "/blobs/ab/data"))
        .isInstanceOf(PathNotFoundException.class);
    assertThatThrownBy(() -> driver.move("/uploads/none/data", "/fresh"))
        .isInstanceOf(PathNotFoundException.class);

    assertThat(text("/blobs/ab/data")).isEqualTo("hello");
    assertThat(driver.stat("/fresh")).isEmpty();
  }

  // --- delete --------------------------------------------------------------------------------

  @Test
  void delete_file_removesOnlyThatFile() throws Exception {
    driver.putContent("/a/b", HELLO);
    driver.putContent("/a/c", HELLO);

    driver.delete("/a/b");

    assertThat(driver.stat("/a/b")).isEmpty();
    assertThat(driver.list("/a")).containsExactly("/a/c");
  }

  @Test
  void delete_directory_removesEverythingBelowButNotSiblings() throws Exception {
    for (String p : List.of("/r/a/b/c", "/r/a/d", "/r/ab", "/r/a-b/e", "/r/a.b")) {
      driver.putContent(p, HELLO);
    }

    driver.delete("/r/a");

    assertThat(driver.stat("/r/a")).isEmpty();
    assertThat(driver.stat("/r/a/b/c")).isEmpty();
    assertThat(driver.list("/r")).containsExactly("/r/a-b", "/r/a.b", "/r/ab");
  }

  @Test
  void delete_absentPath_succeeds() throws Exception {
    driver.putContent("/a/b", HELLO);

    assertThatCode(() -> {
          driver.delete("/a/nothing");
          driver.delete("/no/such/parent");
        })
        .doesNotThrowAnyException();
    assertThat(driver.stat("/a/b")).isPresent();
  }

  // --- concurrency ---------------------------------------------------------------------------

  @Test
  void putContent_concurrentWritersOfSamePath_readersNeverSeeTornValue() throws Exception {
    int writers = 8;
    int rounds = 20;
    int size = 128 * 1024; // larger than one write() or page, so a non-atomic put would tear
    List<byte[]> values = new ArrayList<>();
    for (int i = 0; i < writers; i++) {
      values.add(filled(size, (byte) ('a' + i)));
    }
    String path = "/docker/registry/v2/repositories/x/_manifests/tags/latest/current/link";
    driver.putContent(path, values.get(0));

    ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
    try {
      CountDownLatch start = new CountDownLatch(1);
      AtomicBoolean writing = new AtomicBoolean(true);
      List<Future<?>> puts = new ArrayList<>();
      for (int i = 0; i < writers; i++) {
        byte[] value = values.get(i);
        puts.add(pool.submit((Callable<Void>) () -> {
          start.await();
          for (int r = 0; r < rounds; r++) {
            driver.putContent(path, value);
          }
          return null;
        }));
      }
      List<Future<Integer>> gets = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        gets.add(pool.submit(() -> {
          start.await();
          int reads = 0;
          do {
            byte[] got = driver.getContent(path)
                .orElseThrow(() -> new AssertionError("object vanished while being replaced"));
            assertOneOf(got, values);
            reads++;
          } while (writing.get());
          return reads;
        }));
      }
      start.countDown();
      for (Future<?> f : puts) {
        f.get(120, SECONDS);
      }
      writing.set(false);
      for (Future<Integer> f : gets) {
        assertThat(f.get(120, SECONDS)).isPositive();
      }
    } finally {
      pool.shutdownNow();
    }
    assertOneOf(driver.getContent(path).orElseThrow(), values);
  }

  @Test
  void move_concurrentWritersOfSameContentAddressedTarget_bothSucceed() throws Exception {
    byte[] content = new byte[1024 * 1024];
    new Random(7).nextBytes(content);
    String target = "/docker/registry/v2/blobs/sha256/ab/abcdef/data";

    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      for (int round = 0; round < 5; round++) {
        CyclicBarrier together = new CyclicBarrier(2);
        List<Future<Void>> uploads = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
          String upload = "/docker/registry/v2/repositories/x/_uploads/" + round + "-" + i + "/data";
          uploads.add(pool.submit(() -> {
            try (FileWriter w = driver.writer(upload, false)) {
              w.stream().write(content);
              w.commit();
            }
            together.await(30, SECONDS);
            driver.move(upload, target);
            return null;
          }));
        }
        for (Future<Void> f : uploads) {
          f.get(60, SECONDS);
        }
        assertThat(driver.getContent(target)).hasValueSatisfying(b -> assertThat(b).isEqualTo(content));
        for (int i = 0; i < 2; i++) {
          assertThat(driver.stat("/docker/registry/v2/repositories/x/_uploads/" + round + "-" + i + "/data")).isEmpty();
        }
      }
    } finally {
      pool.shutdownNow();
    }
  }

  // --- importFile -------------------------------------------------------------------------

  @Test
  void importFile_localFile_appearsWholeAndLocalIsGone() throws Exception {
    byte[] content = new byte[300_000];
    new Random(11).nextBytes(content);
    java.nio.file.Path local = java.nio.file.Files.createTempFile("import-", ".bin");
    java.nio.file.Files.write(local, content);

    driver.importFile(local, "/blobs/sha256/ab/abc/data");

    assertThat(driver.getContent("/blobs/sha256/ab/abc/data")).hasValueSatisfying(b -> assertThat(b).isEqualTo(content));
    assertThat(local).doesNotExist();
    assertThat(driver.list("/blobs/sha256/ab/abc")).containsExactly("/blobs/sha256/ab/abc/data");
  }

  @Test
  void importFile_existingTarget_isReplaced() throws Exception {
    driver.putContent("/x/data", HELLO);
    java.nio.file.Path local = java.nio.file.Files.createTempFile("import-", ".bin");
    java.nio.file.Files.write(local, "world".getBytes(UTF_8));

    driver.importFile(local, "/x/data");

    assertThat(driver.getContent("/x/data")).hasValueSatisfying(b -> assertThat(new String(b, UTF_8)).isEqualTo("world"));
  }

  // --- redirectUrl and the checking wrapper --------------------------------------------------

  @Test
  void redirectUrl_plainDriver_isEmpty() throws Exception {
    driver.putContent("/a/b", HELLO);

    assertThat(driver.redirectUrl("/a/b")).isEmpty();
  }

  @Test
  void checkedDriver_dotDotOrRelativePath_throwsIllegalArgumentBeforeReachingDriver() throws Exception {
    StorageDriver checked = CheckedStorageDriver.wrap(driver);
    driver.putContent("/ok", HELLO);
    Map<String, PathOp> ops = new LinkedHashMap<>();
    ops.put("stat", (d, p) -> d.stat(p));
    ops.put("getContent", (d, p) -> d.getContent(p));
    ops.put("putContent", (d, p) -> d.putContent(p, HELLO));
    ops.put("reader", (d, p) -> d.reader(p).close());
    ops.put("writer", (d, p) -> d.writer(p, false).close());
    ops.put("list", (d, p) -> d.list(p));
    ops.put("moveFrom", (d, p) -> d.move(p, "/moved"));
    ops.put("moveTo", (d, p) -> d.move("/ok", p));
    ops.put("delete", (d, p) -> d.delete(p));
    ops.put("redirectUrl", (d, p) -> d.redirectUrl(p));

    for (String bad : List.of("/a/../b", "/..", "/../ok", "/a/./b", "relative/b", "b", "", "/", "/a/", "//a", "/a b")) {
      ops.forEach((name, op) -> assertThatThrownBy(() -> op.apply(checked, bad))
          .as("%s(\"%s\")", name, bad)
          .isInstanceOf(IllegalArgumentException.class));
    }

    assertThat(driver.stat("/b")).isEmpty();
    assertThat(driver.stat("/moved")).isEmpty();
    assertThat(text("/ok")).isEqualTo("hello");
    checked.putContent("/docker/registry/v2/ok", HELLO); // valid paths pass through untouched
    assertThat(driver.getContent("/docker/registry/v2/ok")).isPresent();
  }

  // --- helpers -------------------------------------------------------------------------------

  @FunctionalInterface
  private interface PathOp {
    void apply(StorageDriver d, String path) throws Exception;
  }

  /** The object at {@code path} as UTF-8, failing the test if it is absent. */
  protected final String text(String path) throws Exception {
    return new String(driver.getContent(path).orElseThrow(() -> new AssertionError("absent: " + path)), UTF_8);
  }

  protected static byte[] readToEnd(SeekableByteChannel ch) throws Exception {
    ByteBuffer buf = ByteBuffer.allocate((int) (ch.size() - ch.position()));
    while (buf.hasRemaining() && ch.read(buf) >= 0) {}
    return buf.array();
  }

  private static byte[] sequence(int n) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) i;
    }
    return b;
  }

  private static byte[] filled(int n, byte value) {
    byte[] b = new byte[n];
    Arrays.fill(b, value);
    return b;
  }

  private static void assertOneOf(byte[] got, List<byte[]> values) {
    int index = got.length == 0 ? -1 : got[0] - 'a';
    boolean whole = index >= 0 && index < values.size() && Arrays.equals(got, values.get(index));
    assertThat(whole).as("read a torn value of %d bytes starting with %s", got.length, index).isTrue();
  }
}
