package io.wharf.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.fs.FilesystemDriver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
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
