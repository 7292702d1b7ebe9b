package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.server.it.OciLayouts.Image;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The docker daemon (Debian's docker.io 20.10) against a Wharf child process: pull by the
 * registry's own name, pull a Docker Hub name through {@code registry-mirrors} (how teams point
 * their daemons at a company registry), and push an image docker has to upload blob by blob.
 * Images are seeded with skopeo; docker checks every layer against the config's diff ids as it
 * unpacks it, so a pull that succeeds got the exact bytes.
 */
@Tag("interop")
class DockerInteropIT {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path tmp;
  static WharfProcess wharf;
  static DockerDaemon docker;
  static Skopeo skopeo;
  static OciLayouts images;

  @BeforeAll
  static void start() throws IOException {
    // dockerd runs as root only; .ci/run runs as root, a developer's interop run may not.
    assumeTrue("root".equals(System.getProperty("user.name")), "dockerd needs root");
    assertThat(DockerDaemon.isInstalled()).as("dockerd is missing: .ci/run installs docker.io with apt-get").isTrue();
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    wharf = WharfProcess.serve(tmp.resolve("data"));
    skopeo = new Skopeo(tmp.resolve("skopeo"));
    images = OciLayouts.create(tmp.resolve("images"), 7);
    docker = DockerDaemon.start(tmp.resolve("docker"), List.of(wharf.url()),
        List.of(wharf.hostPort(), "localhost:" + wharf.port()));
  }

  @AfterAll
  static void stop() {
    if (docker != null) {
      docker.close();
    }
    if (wharf != null) {
      wharf.close();
    }
  }

  private static Image seed(String repositoryAndTag) {
    Image image = images.image(LINUX_AMD64, GZIP, 2, 96 * 1024);
    String tag = repositoryAndTag.substring(repositoryAndTag.indexOf(':') + 1);
    images.tag(tag, image.manifest());
    skopeo.copy(images.ref(tag), "docker://" + wharf.hostPort() + "/" + repositoryAndTag);
    return image;
  }

  private static String imageId(String ref) {
    return docker.run("image", "inspect", "--format", "{{.Id}}", ref);
  }

  @Test
  void pull_byRegistryName_unpacksTheImageWhoseIdIsItsConfigDigest() {
    Image image = seed("team/app:1");

    docker.run("pull", "-q", wharf.hostPort() + "/team/app:1");

    assertThat(imageId(wharf.hostPort() + "/team/app:1")).isEqualTo(image.config().digest());
  }

  @Test
  void pull_dockerHubNameThroughRegistryMirrors_servedByWharf() throws Exception {
    Image image = seed("library/mirrored:3.18");

    docker.run("pull", "-q", "mirrored:3.18"); // docker.io/library/mirrored: only the mirror has it

    assertThat(imageId("mirrored:3.18")).isEqualTo(image.config().digest());
    awaitAccessLog("GET /v2/library/mirrored/manifests/");
  }

  /**
   * Pushed under another registry name than it was pulled from, docker cannot mount the layers
   * and uploads every blob: POST, PATCH, PUT, the chunked flow. The image comes back whole and no
   * upload is left in storage.
   */
  @Test
  void push_underAnotherRegistryName_uploadsEveryBlob_andTheImageIsWhole() throws Exception {
    Image image = seed("team/source:1");
    docker.run("pull", "-q", wharf.hostPort() + "/team/source:1");
    String pushed = "localhost:" + wharf.port() + "/team/pushed:1";
    docker.run("tag", wharf.hostPort() + "/team/source:1", pushed);

    docker.run("push", pushed);

    HttpResponse<byte[]> manifest = get("/v2/team/pushed/manifests/1",
        "application/vnd.docker.distribution.manifest.v2+json, " + OciLayouts.MANIFEST);
    assertThat(manifest.statusCode()).isEqualTo(200);
    JsonNode json = OciLayouts.JSON.readTree(manifest.body());
    assertThat(json.get("config").get("digest").asString()).isEqualTo(image.config().digest());
    assertThat(json.get("layers")).hasSize(image.layers().size());
    for (JsonNode layer : json.get("layers")) {
      String digest = layer.get("digest").asString();
      HttpResponse<byte[]> blob = get("/v2/team/pushed/blobs/" + digest, "*/*");
      assertThat(blob.statusCode()).isEqualTo(200);
      assertThat(OciLayouts.sha256(blob.body())).isEqualTo(digest);
    }
    awaitAccessLog("PATCH /v2/team/pushed/blobs/uploads/");
    Path uploads = wharf.dataDir().resolve("docker/registry/v2/repositories/team/pushed/_uploads");
    if (Files.exists(uploads)) {
      try (Stream<Path> left = Files.list(uploads)) {
        assertThat(left).isEmpty();
      }
    }

    docker.run("rmi", pushed);
    docker.run("pull", "-q", pushed);
    assertThat(imageId(pushed)).isEqualTo(image.config().digest());
  }

  /** The access log is written off the request threads: give it a moment. */
  private static void awaitAccessLog(String text) throws InterruptedException {
    for (int i = 0; i < 50 && !wharf.logTail(500_000).contains(text); i++) {
      Thread.sleep(100);
    }
    assertThat(wharf.logTail(500_000)).contains(text);
  }

  private static HttpResponse<byte[]> get(String path, String accept) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create(wharf.url() + path)).header("Accept", accept).build(),
        HttpResponse.BodyHandlers.ofByteArray());
  }
}
