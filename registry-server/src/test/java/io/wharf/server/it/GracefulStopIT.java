package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wharf serve} stopped with SIGTERM closes the whole server, not only Jetty: the pull
 * times recorded since the last flush (every minute) reach storage, so a {@code notPulledFor}
 * policy does not take a tag that was pulled just before a restart.
 */
class GracefulStopIT {
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir Path tmp;

  @Test
  void sigterm_writesThePullTimesRecordedSinceTheLastFlush() throws Exception {
    Path config = Files.writeString(tmp.resolve("wharf.yaml"), """
        repositories:
          - {name: hosted, cleanup: {notPulledFor: 30d}}
        """);
    Path data = tmp.resolve("data");
    try (WharfProcess wharf = WharfProcess.serveConfig(config, data, "64m")) {
      String base = wharf.url() + "/v2/team/app";
      byte[] cfg = "{\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
      send("POST", base + "/blobs/uploads/?digest=" + Digest.sha256(cfg), cfg, "application/octet-stream", 201);
      byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{"
          + "\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(cfg) + "\",\"size\":"
          + cfg.length + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
      send("PUT", base + "/manifests/v1", manifest, MediaTypes.OCI_MANIFEST, 201);
      send("GET", base + "/manifests/v1", null, null, 200);

      wharf.stop(); // SIGTERM, well within the first minute: only the shutdown can have written it
      assertThat(wharf.isAlive()).isFalse();
    }
    Path record = data.resolve("docker/registry/v2/_wharf/access/team/app/_tags/v1");
    assertThat(record).exists();
    assertThat(Files.readString(record)).startsWith("20");
  }

  private void send(String method, String url, byte[] body, String type, int expected) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body));
    if (type != null) {
      b.header("Content-Type", type);
    }
    assertThat(http.send(b.build(), BodyHandlers.ofString()).statusCode()).as("%s %s", method, url).isEqualTo(expected);
  }
}
