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
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * containerd 1.6 ({@code ctr}) against a Wharf child process: a pull it unpacks (checking every
 * layer against the config's diff ids), a Docker Hub name pulled through a {@code hosts.toml}
 * mirror (containerd adds {@code ?ns=docker.io} to what it asks a mirror), and a push, which
 * containerd makes as POST then PUT with the whole blob.
 */
@Tag("interop")
class ContainerdInteropIT {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  @TempDir static Path tmp;
  static WharfProcess wharf;
  static Containerd containerd;
  static Skopeo skopeo;
  static OciLayouts images;

  @BeforeAll
  static void start() throws IOException {
    // containerd runs as root only; .ci/run runs as root, a developer's interop run may not.
    assumeTrue("root".equals(System.getProperty("user.name")), "containerd needs root");
    assertThat(Containerd.isInstalled()).as("containerd is missing: .ci/run installs docker.io, which brings it").isTrue();
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    wharf = WharfProcess.serve(tmp.resolve("data"));
    skopeo = new Skopeo(tmp.resolve("skopeo"));
    images = OciLayouts.create(tmp.resolve("images"), 11);
    containerd = Containerd.start(tmp.resolve("containerd"));
  }

  @AfterAll
  static void stop() {
    if (containerd != null) {
      containerd.close();
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

  @Test
  void pull_plainHttp_unpacksTheImage() {
    Image image = seed("team/app:1");
    String ref = wharf.hostPort() + "/team/app:1";

    containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", ref);

    assertThat(containerd.ctr("images", "check", "name==" + ref)).contains("complete");
    assertThat(containerd.ctr("images", "list", "name==" + ref)).contains(image.manifest().digest());
  }

  @Test
  void pull_dockerHubNameThroughHostsTomlMirror_servedByWharf() throws Exception {
    Image image = seed("library/mirrored:2");
    Path hosts = tmp.resolve("hosts/docker.io");
    Files.createDirectories(hosts);
    Files.writeString(hosts.resolve("hosts.toml"), String.join("\n",
        "server = \"https://registry-1.docker.io\"",
        "[host.\"" + wharf.url() + "\"]",
        "  capabilities = [\"pull\", \"resolve\"]",
        ""));

    containerd.ctr("images", "pull", "--hosts-dir", tmp.resolve("hosts").toString(), "--snapshotter", "native",
        "docker.io/library/mirrored:2");

    assertThat(containerd.ctr("images", "list", "name==docker.io/library/mirrored:2")).contains(image.manifest().digest());
    awaitAccessLog("/v2/library/mirrored/manifests/2?ns=docker.io");
  }

  @Test
  void push_underAnotherRegistryName_uploadsEveryBlob_andTheImageIsWhole() throws Exception {
    Image image = seed("team/source:1");
    String source = wharf.hostPort() + "/team/source:1";
    String pushed = "localhost:" + wharf.port() + "/team/pushed:1";
    containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", source);
    containerd.ctr("images", "tag", source, pushed);

    containerd.ctr("images", "push", "--plain-http", pushed);

    HttpResponse<byte[]> manifest = get("/v2/team/pushed/manifests/1", OciLayouts.MANIFEST);
    assertThat(manifest.statusCode()).isEqualTo(200);
    assertThat(OciLayouts.sha256(manifest.body())).isEqualTo(image.manifest().digest()); // byte for byte
    JsonNode json = OciLayouts.JSON.readTree(manifest.body());
    for (JsonNode layer : json.get("layers")) {
      String digest = layer.get("digest").asString();
      HttpResponse<byte[]> blob = get("/v2/team/pushed/blobs/" + digest, "*/*");
      assertThat(blob.statusCode()).isEqualTo(200);
      assertThat(OciLayouts.sha256(blob.body())).isEqualTo(digest);
    }
    awaitAccessLog("PUT /v2/team/pushed/blobs/uploads/"); // uploaded, not mounted
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
