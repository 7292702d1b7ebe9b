package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.it.OciLayouts.Image;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;

/**
 * What the docker, containerd and podman interop tests share: a Wharf child process, images
 * seeded into it with skopeo, its access log, and a check that a pushed image is whole.
 */
final class ClientInterop implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  private static final int LOG_CHARS = 500_000;

  final WharfProcess wharf;
  private final Skopeo skopeo;
  private final OciLayouts images;

  ClientInterop(Path dir, long seed) throws IOException {
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    this.wharf = WharfProcess.serve(dir.resolve("data"));
    this.skopeo = new Skopeo(dir.resolve("skopeo"));
    this.images = OciLayouts.create(dir.resolve("images"), seed);
  }

  /** The same registry under another name: a client cannot mount from the first into it. */
  String otherName() {
    return "localhost:" + wharf.port();
  }

  /** Pushes a new two-layer image to {@code repository:tag} in Wharf with skopeo. */
  Image seed(String repositoryAndTag) {
    Image image = images.image(LINUX_AMD64, GZIP, 2, 96 * 1024);
    String tag = repositoryAndTag.substring(repositoryAndTag.indexOf(':') + 1);
    images.tag(tag, image.manifest());
    skopeo.copy(images.ref(tag), "docker://" + wharf.hostPort() + "/" + repositoryAndTag);
    return image;
  }

  /** The access log is written off the request threads: waits a moment for {@code text}. */
  void awaitAccessLog(String text) throws InterruptedException {
    for (int i = 0; i < 50 && !wharf.logTail(LOG_CHARS).contains(text); i++) {
      Thread.sleep(100);
    }
    assertThat(wharf.logTail(LOG_CHARS)).contains(text);
  }

  /**
   * Asserts that {@code repository:tag} in Wharf is {@code original} as a client pushed it: its
   * config unchanged, as many layers, each served and hashing to its digest, and no upload of the
   * push left in storage. Layers may have been re-compressed by the client, so their digests are
   * not compared with the original's.
   */
  JsonNode assertPushedWhole(String repository, String tag, Image original) throws Exception {
    HttpResponse<byte[]> manifest = get("/v2/" + repository + "/manifests/" + tag,
        "application/vnd.docker.distribution.manifest.v2+json, " + OciLayouts.MANIFEST);
    assertThat(manifest.statusCode()).isEqualTo(200);
    JsonNode json = OciLayouts.JSON.readTree(manifest.body());
    assertThat(json.get("config").get("digest").asString()).isEqualTo(original.config().digest());
    assertThat(json.get("layers")).hasSize(original.layers().size());
    for (JsonNode layer : json.get("layers")) {
      String digest = layer.get("digest").asString();
      HttpResponse<byte[]> blob = get("/v2/" + repository + "/blobs/" + digest, "*/*");
      assertThat(blob.statusCode()).isEqualTo(200);
      assertThat(OciLayouts.sha256(blob.body())).isEqualTo(digest);
    }
    Path uploads = wharf.dataDir().resolve("docker/registry/v2/repositories/" + repository + "/_uploads");
    if (Files.exists(uploads)) {
      try (Stream<Path> left = Files.list(uploads)) {
        assertThat(left).isEmpty();
      }
    }
    return json;
  }

  HttpResponse<byte[]> get(String path, String accept) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(wharf.url() + path)).header("Accept", accept).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }

  @Override
  public void close() {
    wharf.close();
  }
}
