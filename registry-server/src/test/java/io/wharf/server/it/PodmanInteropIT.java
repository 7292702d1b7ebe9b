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
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * podman 4.3 against a Wharf child process: a pull (podman checks the layers against the
 * config's diff ids as it stores them), a Docker Hub name through a {@code [[registry.mirror]]}
 * (podman asks the mirror for the tag with GET), and a push of re-compressed layers.
 */
@Tag("interop")
class PodmanInteropIT {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path tmp;
  static WharfProcess wharf;
  static Podman podman;
  static Skopeo skopeo;
  static OciLayouts images;

  @BeforeAll
  static void start() throws IOException {
    // podman without root needs subuid ranges set up; .ci/run runs as root.
    assumeTrue("root".equals(System.getProperty("user.name")), "podman is run as root here");
    assertThat(Podman.isInstalled()).as("podman is missing: .ci/run installs it with apt-get").isTrue();
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    wharf = WharfProcess.serve(tmp.resolve("data"));
    skopeo = new Skopeo(tmp.resolve("skopeo"));
    images = OciLayouts.create(tmp.resolve("images"), 13);
    String registries = String.join("\n",
        "unqualified-search-registries = []",
        "[[registry]]",
        "location = \"" + wharf.hostPort() + "\"",
        "insecure = true",
        "[[registry]]",
        "location = \"localhost:" + wharf.port() + "\"",
        "insecure = true",
        "[[registry]]",
        "prefix = \"docker.io\"",
        "location = \"registry-1.docker.io\"",
        "[[registry.mirror]]",
        "location = \"" + wharf.hostPort() + "\"",
        "insecure = true",
        "");
    podman = new Podman(tmp.resolve("podman"), registries);
  }

  @AfterAll
  static void stop() {
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
    return "sha256:" + podman.run("image", "inspect", "--format", "{{.Id}}", ref);
  }

  @Test
  void pull_byRegistryName_storesTheImageWhoseIdIsItsConfigDigest() {
    Image image = seed("team/app:1");

    podman.run("pull", "-q", wharf.hostPort() + "/team/app:1");

    assertThat(imageId(wharf.hostPort() + "/team/app:1")).isEqualTo(image.config().digest());
  }

  @Test
  void pull_dockerHubNameThroughRegistryMirror_servedByWharf() throws Exception {
    Image image = seed("library/mirrored:2");

    podman.run("pull", "-q", "docker.io/library/mirrored:2");

    assertThat(imageId("docker.io/library/mirrored:2")).isEqualTo(image.config().digest());
    awaitAccessLog("GET /v2/library/mirrored/manifests/2");
  }

  @Test
  void push_underAnotherRegistryName_uploadsEveryBlob_andTheImageIsWhole() throws Exception {
    Image image = seed("team/source:1");
    String source = wharf.hostPort() + "/team/source:1";
    String pushed = "localhost:" + wharf.port() + "/team/pushed:1";
    podman.run("pull", "-q", source);
    podman.run("tag", source, pushed);

    podman.run("push", "-q", pushed);

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
    awaitAccessLog("POST /v2/team/pushed/blobs/uploads/");

    podman.run("rmi", pushed, source);
    podman.run("pull", "-q", pushed);
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
