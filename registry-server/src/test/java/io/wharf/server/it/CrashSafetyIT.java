package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * "Nothing half-written is ever visible": Wharf is killed with SIGKILL in the middle of a 256 MiB
 * blob upload; the data directory must then hold no blob under that digest and no blob whose
 * bytes do not match its digest, and a restarted server on the same directory must accept the
 * same blob again and serve it back intact.
 *
 * <p>Needs only the JDK (not tagged interop), so it runs in the default {@code mvn verify}. The
 * server runs with {@code -Xmx64m}: it can only pass by streaming blobs, never buffering them.
 * The blob is generated from a seeded PRNG on the fly, so this test holds no blob in memory either.
 */
class CrashSafetyIT {
  static final long BLOB_SIZE = 256L << 20;
  static final long KILL_AFTER = 64L << 20;
  static final long SEED = 0x5EEDL;
  static final String NAME = "crash/test";
  static final String SERVER_HEAP = "64m";
  static final String OCTETS = "application/octet-stream";
  static final String LAYER_TYPE = "application/vnd.oci.image.layer.v1.tar";
  private static String blobDigest;

  @TempDir Path tmp;
  final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  /** How the interrupted upload sends its bytes. */
  enum Upload {
    /** POST, then {@code PUT ?digest=} with the whole blob and a Content-Length. */
    MONOLITHIC_PUT,
    /** POST, then a PATCH with a chunked (Transfer-Encoding) body of unknown length, as docker does. */
    STREAMED_PATCH
  }

  @ParameterizedTest
  @EnumSource(Upload.class)
  void kill9DuringUpload_noPartialBlobVisible_restartAcceptsAndServesBlob(Upload mode)
      throws Exception {
    String digest = blobDigest();
    Path data = tmp.resolve("data");

    try (WharfProcess wharf = WharfProcess.serve(data, SERVER_HEAP)) {
      killDuringUpload(wharf, mode, digest);
    }
    assertNoBrokenBlob(data, digest);

    try (WharfProcess wharf = WharfProcess.serve(data, SERVER_HEAP)) {
      assertThat(send(HttpRequest.newBuilder(uri(wharf, "/v2/" + NAME + "/blobs/" + digest))
          .method("HEAD", BodyPublishers.noBody())).statusCode())
          .as("HEAD of the interrupted blob after restart").isEqualTo(404);
      pushImageAndPullItBack(wharf, digest);
    }
    String hex = digest.substring("sha256:".length());
    assertThat(data.resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex
        + "/data")).as("the blob at distribution's path").isRegularFile().hasSize(BLOB_SIZE);
    assertNoBrokenBlob(data, null);
  }

  /** Starts the upload, kills the server once {@link #KILL_AFTER} bytes are sent. */
  private void killDuringUpload(WharfProcess wharf, Upload mode, String digest) throws Exception {
    URI location = startUpload(wharf);
    CountDownLatch reached = new CountDownLatch(1);
    RandomBlob body = new RandomBlob(SEED, BLOB_SIZE, KILL_AFTER, reached);
    BodyPublisher stream = BodyPublishers.ofInputStream(() -> body);
    HttpRequest request = mode == Upload.MONOLITHIC_PUT
        ? HttpRequest.newBuilder(withDigest(location, digest)).header("Content-Type", OCTETS)
            .PUT(BodyPublishers.fromPublisher(stream, BLOB_SIZE)).build()
        : HttpRequest.newBuilder(location).header("Content-Type", OCTETS)
            .method("PATCH", stream).build();
    CompletableFuture<HttpResponse<String>> inFlight = http.sendAsync(request, BodyHandlers.ofString());

    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(300);
    while (!reached.await(100, TimeUnit.MILLISECONDS)) {
      assertStillInFlight(inFlight, mode);
      assertThat(System.nanoTime()).as("%s: %d MiB sent within 300 s", mode, KILL_AFTER >> 20)
          .isLessThan(deadline);
    }
    Thread.sleep(300);      // let the server write what it has read; bytes keep trickling in
    assertStillInFlight(inFlight, mode);
    wharf.kill9();

    try {
      HttpResponse<String> r = inFlight.get(30, TimeUnit.SECONDS);
      assertThat(r.statusCode()).as("answer from a killed server: %s", r.body()).isNotIn(201, 202);
    } catch (ExecutionException expected) {
      // connection reset / closed: the normal outcome
    }
    System.out.printf("%s: killed pid %d after %d MiB sent; data dir now:%n%s", mode, wharf.pid(),
        body.produced() >> 20, listing(wharf.dataDir()));
  }

  private static void assertStillInFlight(CompletableFuture<HttpResponse<String>> inFlight,
      Upload mode) {
    if (inFlight.isDone()) {
      String outcome = inFlight.handle((r, e) -> e != null ? e.toString()
          : "HTTP " + r.statusCode() + " " + r.body()).join();
      throw new AssertionError(mode + ": the upload ended before the server was killed: " + outcome);
    }
  }

  /** Pushes the blob completely, a config and a manifest over them; reads both back. */
  private void pushImageAndPullItBack(WharfProcess wharf, String digest) throws Exception {
    pushBlob(wharf, new RandomBlob(SEED, BLOB_SIZE, -1, null), BLOB_SIZE, digest);
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\","
        + "\"diff_ids\":[\"" + digest + "\"]}}").getBytes(StandardCharsets.UTF_8);
    String configDigest = OciLayouts.sha256(config);
    pushBlob(wharf, new ByteArrayInputStream(config), config.length, configDigest);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + OciLayouts.MANIFEST + "\","
        + "\"config\":{\"mediaType\":\"" + OciLayouts.CONFIG + "\",\"digest\":\"" + configDigest
        + "\",\"size\":" + config.length + "},"
        + "\"layers\":[{\"mediaType\":\"" + LAYER_TYPE + "\",\"digest\":\"" + digest
        + "\",\"size\":" + BLOB_SIZE + "}]}").getBytes(StandardCharsets.UTF_8);
    String manifestDigest = OciLayouts.sha256(manifest);
    URI manifestUri = uri(wharf, "/v2/" + NAME + "/manifests/v1");

    HttpResponse<String> put = send(HttpRequest.newBuilder(manifestUri)
        .header("Content-Type", OciLayouts.MANIFEST).PUT(BodyPublishers.ofByteArray(manifest)));
    assertThat(put.statusCode()).as("PUT manifest: %s", put.body()).isEqualTo(201);
    assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(manifestDigest);

    HttpResponse<byte[]> got = http.send(HttpRequest.newBuilder(manifestUri)
        .header("Accept", OciLayouts.MANIFEST).timeout(Duration.ofSeconds(30)).GET().build(),
        BodyHandlers.ofByteArray());
    assertThat(got.statusCode()).isEqualTo(200);
    assertThat(got.body()).isEqualTo(manifest);
    assertThat(got.headers().firstValue("Docker-Content-Digest")).hasValue(manifestDigest);

    HttpResponse<InputStream> blob = http.send(HttpRequest.newBuilder(
        uri(wharf, "/v2/" + NAME + "/blobs/" + digest)).timeout(Duration.ofSeconds(60)).GET().build(),
        BodyHandlers.ofInputStream());
    assertThat(blob.statusCode()).isEqualTo(200);
    assertThat(blob.headers().firstValueAsLong("Content-Length")).hasValue(BLOB_SIZE);
    try (InputStream in = blob.body()) {
      assertThat(OciLayouts.sha256(in)).isEqualTo(digest);
    }
  }

  /**
   * No file under {@code blobs/} is named after {@code digest} (when given), and every
   * {@code blobs/<alg>/<xx>/<hex>/data} hashes to {@code <hex>}.
   */
  private static void assertNoBrokenBlob(Path data, String digest) throws IOException {
    Path blobs = data.resolve("docker/registry/v2/blobs");
    if (!Files.isDirectory(blobs)) {
      return;
    }
    List<Path> files;
    try (Stream<Path> walk = Files.walk(blobs)) {
      files = walk.filter(Files::isRegularFile).toList();
    }
    if (digest != null) {
      String hex = digest.substring(digest.indexOf(':') + 1);
      assertThat(files).as("files under blobs/ after the crash")
          .noneMatch(f -> blobs.relativize(f).toString().contains(hex));
    }
    for (Path f : files) {
      if (f.getFileName().toString().equals("data")) {
        String expected = "sha256:" + f.getParent().getFileName();
        assertThat(OciLayouts.sha256(f)).as("content of %s", blobs.relativize(f)).isEqualTo(expected);
      }
    }
  }

  private URI startUpload(WharfProcess wharf) throws IOException, InterruptedException {
    HttpResponse<String> post = send(HttpRequest.newBuilder(
        uri(wharf, "/v2/" + NAME + "/blobs/uploads/")).POST(BodyPublishers.noBody()));
    assertThat(post.statusCode()).as("POST uploads: %s", post.body()).isEqualTo(202);
    String location = post.headers().firstValue("Location").orElseThrow();
    return URI.create(wharf.url() + "/").resolve(location);
  }

  /** POST, then {@code PUT ?digest=} with the whole body and a Content-Length. */
  private void pushBlob(WharfProcess wharf, InputStream body, long size, String digest)
      throws IOException, InterruptedException {
    URI location = startUpload(wharf);
    HttpResponse<String> put = send(HttpRequest.newBuilder(withDigest(location, digest))
        .header("Content-Type", OCTETS)
        .PUT(BodyPublishers.fromPublisher(BodyPublishers.ofInputStream(() -> body), size)));
    assertThat(put.statusCode()).as("PUT blob %s: %s", digest, put.body()).isEqualTo(201);
    assertThat(put.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
  }

  private static URI withDigest(URI location, String digest) {
    String s = location.toString();
    return URI.create(s + (s.contains("?") ? "&" : "?") + "digest=" + digest);
  }

  private static URI uri(WharfProcess wharf, String path) {
    return URI.create(wharf.url() + path);
  }

  private HttpResponse<String> send(HttpRequest.Builder request)
      throws IOException, InterruptedException {
    return http.send(request.timeout(Duration.ofSeconds(120)).build(), BodyHandlers.ofString());
  }

  private static String listing(Path data) throws IOException {
    if (!Files.isDirectory(data)) {
      return "  (no data dir)\n";
    }
    StringBuilder sb = new StringBuilder();
    try (Stream<Path> walk = Files.walk(data)) {
      walk.filter(Files::isRegularFile).sorted().forEach(f -> {
        try {
          sb.append("  ").append(data.relativize(f)).append(' ').append(Files.size(f)).append('\n');
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
    return sb.toString();
  }

  /** The blob's digest, computed once by a first pass over the same seeded stream. */
  private static synchronized String blobDigest() throws IOException {
    if (blobDigest == null) {
      try (InputStream in = new RandomBlob(SEED, BLOB_SIZE, -1, null)) {
        blobDigest = OciLayouts.sha256(in);
      }
    }
    return blobDigest;
  }

  /**
   * {@code size} pseudo-random bytes from {@code seed}, generated in fixed 64 KiB blocks (so the
   * bytes do not depend on how the reader slices its reads). Once {@code throttleAfter} bytes have
   * been produced it counts down {@code reached} and from then on trickles (one read per 20 ms),
   * so bytes are still flowing when the test kills the server. {@code throttleAfter < 0}: full speed.
   */
  static final class RandomBlob extends InputStream {
    private static final int BLOCK = 1 << 16;
    private final SplittableRandom random;
    private final long size;
    private final long throttleAfter;
    private final CountDownLatch reached;
    private final byte[] block = new byte[BLOCK];
    private int blockPos = BLOCK;
    private volatile long produced;

    RandomBlob(long seed, long size, long throttleAfter, CountDownLatch reached) {
      this.random = new SplittableRandom(seed);
      this.size = size;
      this.throttleAfter = throttleAfter;
      this.reached = reached;
    }

    long produced() {
      return produced;
    }

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (produced >= size) {
        return -1;
      }
      if (throttleAfter >= 0 && produced >= throttleAfter) {
        reached.countDown();
        try {
          Thread.sleep(20);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException();
        }
      }
      if (blockPos == BLOCK) {
        random.nextBytes(block);
        blockPos = 0;
      }
      int n = (int) Math.min(Math.min(len, BLOCK - blockPos), size - produced);
      System.arraycopy(block, blockPos, b, off, n);
      blockPos += n;
      produced += n;
      return n;
    }
  }
}
