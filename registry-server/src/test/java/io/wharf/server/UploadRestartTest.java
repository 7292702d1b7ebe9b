package io.wharf.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.fs.FilesystemDriver;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Upload state lives in storage: a chunked upload begun on one server process continues on a
 * new one over the same data directory (a restart, or another node sharing the storage), and the
 * digest is computed correctly without the first server's in-memory hash state.
 */
class UploadRestartTest {
  @TempDir Path data;
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void chunkedUpload_continuesAfterRestart_andVerifiesDigest() throws Exception {
    byte[] blob = new byte[300_000];
    new Random(7).nextBytes(blob);
    Digest digest = Digest.sha256(blob);
    byte[] first = Arrays.copyOfRange(blob, 0, 100_000);
    byte[] second = Arrays.copyOfRange(blob, 100_000, blob.length);

    String location;
    try (WharfServer a = start()) {
      HttpResponse<Void> post = send(a, "POST", "/v2/team/resume/blobs/uploads/", new byte[0], null);
      assertThat(post.statusCode()).isEqualTo(202);
      location = post.headers().firstValue("Location").orElseThrow();
      HttpResponse<Void> patch = send(a, "PATCH", location, first, "0-99999");
      assertThat(patch.statusCode()).isEqualTo(202);
      assertThat(patch.headers().firstValue("Range")).hasValue("0-99999");
    }

    try (WharfServer b = start()) {
      HttpResponse<Void> status = send(b, "GET", location, null, null);
      assertThat(status.statusCode()).isEqualTo(204);
      assertThat(status.headers().firstValue("Range")).hasValue("0-99999");
      HttpResponse<Void> put = send(b, "PUT", location + "?digest=" + digest, second, "100000-299999");
      assertThat(put.statusCode()).isEqualTo(201);

      HttpResponse<byte[]> get = http.send(HttpRequest.newBuilder(URI.create(b.url() + "/v2/team/resume/blobs/" + digest)).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      assertThat(get.statusCode()).isEqualTo(200);
      assertThat(get.body()).isEqualTo(blob);
    }
  }

  /**
   * An upload is one file in storage from POST to PUT, named by its id and moved into the blob
   * store at the end: no start-time file and no directory to create and delete per blob (that
   * bookkeeping was most of the storage work of pushing many small blobs).
   */
  @Test
  void upload_isOneFileFromStartToFinish_andLeavesNothingBehind() throws Exception {
    byte[] blob = new byte[5000];
    new Random(8).nextBytes(blob);
    Digest digest = Digest.sha256(blob);
    Path uploads = data.resolve("docker/registry/v2/repositories/team/onefile/_uploads");
    try (WharfServer s = start()) {
      HttpResponse<Void> post = send(s, "POST", "/v2/team/onefile/blobs/uploads/", new byte[0], null);
      String location = post.headers().firstValue("Location").orElseThrow();
      String id = location.substring(location.lastIndexOf('/') + 1);
      assertThat(UUID.fromString(id).version()).isEqualTo(7);
      assertThat(entries(uploads)).containsExactly(uploads.resolve(id));
      assertThat(Files.size(uploads.resolve(id))).isZero();

      send(s, "PATCH", location, Arrays.copyOf(blob, 1000), "0-999");
      assertThat(entries(uploads)).containsExactly(uploads.resolve(id));
      assertThat(Files.size(uploads.resolve(id))).isEqualTo(1000);

      HttpResponse<Void> put = send(s, "PUT", location + "?digest=" + digest,
          Arrays.copyOfRange(blob, 1000, blob.length), "1000-4999");
      assertThat(put.statusCode()).isEqualTo(201);
      assertThat(entries(uploads)).isEmpty();
      assertThat(data.resolve("docker/registry/v2/blobs/sha256/" + digest.hex().substring(0, 2) + "/" + digest.hex() + "/data"))
          .hasBinaryContent(blob);
    }
  }

  /** An upload directory in distribution's layout is not Wharf's to resume: 404, and GC purges it later. */
  @Test
  void uploadStatus_distributionLayoutDirectory_404BlobUploadUnknown() throws Exception {
    String id = "0d7c8c5e-1d6a-4b8e-9d3e-6a1f4f1c2b3a";
    Path dir = Files.createDirectories(data.resolve("docker/registry/v2/repositories/team/legacy/_uploads/" + id));
    Files.writeString(dir.resolve("startedat"), "2026-11-28T00:00:00Z");
    Files.write(dir.resolve("data"), new byte[10]);
    try (WharfServer s = start()) {
      HttpResponse<Void> status = send(s, "GET", "/v2/team/legacy/blobs/uploads/" + id, null, null);
      assertThat(status.statusCode()).isEqualTo(404);
      HttpResponse<Void> patch = send(s, "PATCH", "/v2/team/legacy/blobs/uploads/" + id, new byte[5], "10-14");
      assertThat(patch.statusCode()).isEqualTo(404);
      assertThat(dir.resolve("data")).hasSize(10);
    }
  }

  private static List<Path> entries(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.toList();
    }
  }

  private WharfServer start() throws Exception {
    Registry registry = Registry.of(HostedRepository.builder("hosted", new FilesystemDriver(data)).build());
    return WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, null), registry);
  }

  private HttpResponse<Void> send(WharfServer s, String method, String pathOrUrl, byte[] body, String contentRange)
      throws Exception {
    URI uri = pathOrUrl.startsWith("http") ? URI.create(pathOrUrl) : URI.create(s.url() + pathOrUrl);
    HttpRequest.Builder b = HttpRequest.newBuilder(uri)
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentRange != null) {
      b.header("Content-Range", contentRange).header("Content-Type", "application/octet-stream");
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.discarding());
  }
}
