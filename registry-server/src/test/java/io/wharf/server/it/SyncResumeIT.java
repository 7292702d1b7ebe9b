package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A sync run killed ({@code SIGKILL}) while it copies a 200 MB layer: the next run, in a new
 * process on the same data, finishes the image without fetching the blobs the first run had
 * finished. The source is Debian's {@code docker-registry}; every request to it goes through a
 * {@link FaultProxy}, which counts them.
 */
@Tag("interop")
class SyncResumeIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(30)).build();
  static final long BIG = 200L * 1024 * 1024;
  static final String IMAGE = "team/big";

  @TempDir Path tmp;

  @Test
  void killedDuringABigLayer_nextRunFinishes_withoutRefetchingFinishedBlobs() throws Exception {
    assumeTrue(DistributionProcess.isInstalled(), "docker-registry is not installed");
    Path big = tmp.resolve("big.layer");
    Digest bigDigest = writeRandom(big, BIG);
    byte[] small = new byte[1024 * 1024];
    new Random(7).nextBytes(small);
    byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}"
        .getBytes(StandardCharsets.UTF_8);
    // the small layer first: it is finished when the big one is cut off
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + Digest.sha256(small)
        + "\",\"size\":" + small.length + "},{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\""
        + bigDigest + "\",\"size\":" + BIG + "}]}").getBytes(StandardCharsets.UTF_8);

    try (DistributionProcess source = DistributionProcess.serve(tmp.resolve("source"));
        FaultProxy counted = FaultProxy.start(source.url())) {
      pushBlob(source.url(), HttpRequest.BodyPublishers.ofByteArray(config), Digest.sha256(config));
      pushBlob(source.url(), HttpRequest.BodyPublishers.ofByteArray(small), Digest.sha256(small));
      pushBlob(source.url(), HttpRequest.BodyPublishers.ofFile(big), bigDigest);
      HttpResponse<String> put = HTTP.send(HttpRequest.newBuilder(URI.create(source.url() + "/v2/" + IMAGE + "/manifests/1.0"))
          .header("Content-Type", MediaTypes.OCI_MANIFEST).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(put.statusCode()).as(put.body()).isEqualTo(201);

      Path configFile = tmp.resolve("wharf.yaml");
      Files.writeString(configFile, """
          repositories:
            - name: mirror
              sync:
                - name: big
                  source: {url: "%s"}
                  content: [{names: [team/big]}]
          """.formatted(counted.url()));
      Path data = tmp.resolve("wharf-data");

      WharfProcess first = WharfProcess.serveConfig(configFile, data, "256m");
      try {
        run(first);
        awaitUploadBytes(data, 20L * 1024 * 1024); // well into the big layer
        first.kill9();
      } finally {
        first.close();
      }
      assertThat(blobGets(counted, Digest.sha256(small))).isEqualTo(1);
      assertThat(blobGets(counted, bigDigest)).isEqualTo(1);

      try (WharfProcess second = WharfProcess.serveConfig(configFile, data, "256m")) {
        JsonNode last = runUntilLeaseFree(second);
        assertThat(last.get("state").asString()).as(last.toString()).isEqualTo("SUCCEEDED");
        assertThat(last.get("blobsSkipped").asInt()).as("config and small layer were there").isEqualTo(2);
        assertThat(last.get("blobsCopied").asInt()).isEqualTo(1);

        HttpResponse<byte[]> pulled = HTTP.send(HttpRequest.newBuilder(URI.create(second.url() + "/v2/" + IMAGE
            + "/manifests/1.0")).header("Accept", MediaTypes.OCI_MANIFEST).build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(pulled.body()).isEqualTo(manifest);
      }
      // finished blobs were not fetched again; the cut-off one once more, from its start
      assertThat(blobGets(counted, Digest.sha256(config))).isEqualTo(1);
      assertThat(blobGets(counted, Digest.sha256(small))).isEqualTo(1);
      assertThat(blobGets(counted, bigDigest)).isEqualTo(2);
    }
  }

  static long blobGets(FaultProxy proxy, Digest d) {
    return proxy.seen(IMAGE).stream().filter(s -> s.method().equals("GET") && s.path().endsWith("/blobs/" + d)).count();
  }

  static void run(WharfProcess wharf) throws Exception {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(wharf.url()
        + "/wharf/api/v1/repositories/mirror/sync/big/run")).POST(HttpRequest.BodyPublishers.noBody())
        .timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
  }

  /**
   * Runs the rule until a run gets past the lease: the killed process still holds it until it
   * expires (RuleRunner.LEASE_TTL), and until then a run ends at once, naming the holder.
   */
  static JsonNode runUntilLeaseFree(WharfProcess wharf) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    while (true) {
      run(wharf);
      JsonNode last = RuleReports.awaitRun(wharf.url() + "/wharf/api/v1/repositories/mirror/sync/big", null,
          Duration.ofMinutes(10)).get("last");
      if (!(last.get("state").asString().equals("FAILED") && last.get("error").asString().contains("another node"))) {
        return last;
      }
      assertThat(System.nanoTime()).as("the lease of the killed process expired").isLessThan(deadline);
      Thread.sleep(1000); // a poll interval; the deadline bounds the wait
    }
  }


  /** Waits until uploads in progress under {@code data} hold at least {@code bytes}. */
  static void awaitUploadBytes(Path data, long bytes) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    long seen = 0;
    do {
      try (Stream<Path> files = Files.walk(data)) {
        // Wharf keeps an upload in progress as one file, repositories/<image>/_uploads/<id>
        seen = files.filter(p -> p.getParent() != null && p.getParent().getFileName().toString().equals("_uploads")
                && Files.isRegularFile(p))
            .mapToLong(p -> {
              try {
                return Files.size(p);
              } catch (IOException gone) {
                return 0;
              }
            }).sum();
      } catch (IOException | java.io.UncheckedIOException walking) {
        seen = 0; // a directory vanished while walked: look again
      }
      if (seen >= bytes) {
        return;
      }
      Thread.sleep(50); // a poll interval; the deadline bounds the wait
    } while (System.nanoTime() < deadline);
    throw new AssertionError("uploads reached only " + seen + " bytes");
  }

  static void pushBlob(String url, HttpRequest.BodyPublisher body, Digest digest) throws Exception {
    HttpResponse<String> started = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/v2/" + IMAGE + "/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    URI upload = URI.create(url + "/").resolve(started.headers().firstValue("Location").orElseThrow());
    String put = upload + (upload.getRawQuery() == null ? "?" : "&") + "digest=" + digest;
    HttpResponse<String> done = HTTP.send(HttpRequest.newBuilder(URI.create(put)).timeout(Duration.ofMinutes(5))
        .header("Content-Type", "application/octet-stream").PUT(body).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(done.statusCode()).as(done.body()).isEqualTo(201);
  }

  /** {@code size} pseudo-random (incompressible) bytes into {@code file}, in constant memory; their digest. */
  static Digest writeRandom(Path file, long size) throws IOException {
    MessageDigest md = Digest.newMessageDigest(Digest.SHA256);
    Random random = new Random(200);
    byte[] buf = new byte[1024 * 1024];
    try (OutputStream out = new DigestOutputStream(Files.newOutputStream(file), md)) {
      for (long left = size; left > 0; left -= buf.length) {
        random.nextBytes(buf);
        out.write(buf, 0, (int) Math.min(buf.length, left));
      }
    }
    return Digest.of(Digest.SHA256, md.digest());
  }

}
