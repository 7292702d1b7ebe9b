package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Random;

/** Pushes small images through a server's registry API, as a client does: the tests of push rules push with it. */
final class RegistryPushes {
  private final HttpClient http;
  private final String authorization;
  private final Random random = new Random(19);

  /**
   * @param http the client
   * @param authorization the {@code Authorization} header's value, or null to push anonymously
   */
  RegistryPushes(HttpClient http, String authorization) {
    this.http = http;
    this.authorization = authorization;
  }

  /** Pushes {@code image:tag} (a config and one random 20 kB layer) to {@code base} and returns the manifest's digest. */
  Digest push(URI base, String image, String tag) throws Exception {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"created\":\"2026-01-01T00:00:00Z\","
        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}").getBytes(StandardCharsets.UTF_8);
    byte[] layer = new byte[20_000];
    random.nextBytes(layer);
    for (byte[] blob : new byte[][] {config, layer}) {
      HttpResponse<String> r = http.send(request(base + "/v2/" + image + "/blobs/uploads/?digest="
          + Digest.sha256(blob)).POST(HttpRequest.BodyPublishers.ofByteArray(blob))
          .header("Content-Type", "application/octet-stream").build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + Digest.sha256(layer)
        + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> r = http.send(request(base + "/v2/" + image + "/manifests/" + tag)
        .PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).header("Content-Type", MediaTypes.OCI_MANIFEST).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return Digest.sha256(manifest);
  }

  private HttpRequest.Builder request(String url) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url));
    return authorization == null ? b : b.header("Authorization", authorization);
  }
}
