package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.server.it.OciLayouts.Image;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The docker daemon (Debian's docker.io 20.10) against a Wharf child process: pull by the
 * registry's own name, pull a Docker Hub name through {@code registry-mirrors} (how teams point
 * their daemons at a company registry), and push an image docker has to upload blob by blob.
 * docker checks every layer against the config's diff ids as it unpacks it, so a pull that
 * succeeds got the exact bytes.
 */
@Tag("interop")
class DockerInteropIT {
  @TempDir static Path tmp;
  static ClientInterop registry;
  static DockerDaemon docker;

  @BeforeAll
  static void start() throws IOException {
    // dockerd runs as root only; .ci/run runs as root, a developer's interop run may not.
    assumeTrue("root".equals(System.getProperty("user.name")), "dockerd needs root");
    assertThat(DockerDaemon.isInstalled()).as("dockerd is missing: .ci/run installs docker.io with apt-get").isTrue();
    registry = new ClientInterop(tmp, 7);
    WharfProcess wharf = registry.wharf;
    docker = DockerDaemon.start(tmp.resolve("docker"), List.of(wharf.url()), List.of(wharf.hostPort(), registry.otherName()));
  }

  @AfterAll
  static void stop() {
    if (docker != null) {
      docker.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  private static String imageId(String ref) {
    return docker.run("image", "inspect", "--format", "{{.Id}}", ref);
  }

  @Test
  void pull_byRegistryName_unpacksTheImageWhoseIdIsItsConfigDigest() {
    Image image = registry.seed("team/app:1");
    String ref = registry.wharf.hostPort() + "/team/app:1";

    docker.run("pull", "-q", ref);

    assertThat(imageId(ref)).isEqualTo(image.config().digest());
  }

  /**
   * A bad release rolled back: the tag is pushed again with another image, docker pulls the new
   * one; the tag is restored to its first manifest through Wharf's API (tag history), and docker
   * pulls the old image again.
   */
  @Test
  void restore_pointsTheTagBack_dockerPullsTheOldImage() throws Exception {
    Image first = registry.seed("team/rollback:1");
    Image second = registry.seed("team/rollback:1");
    String ref = registry.wharf.hostPort() + "/team/rollback:1";
    docker.run("pull", "-q", ref);
    assertThat(imageId(ref)).isEqualTo(second.config().digest());

    HttpResponse<String> restored = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
            URI.create(registry.wharf.url() + "/wharf/api/v1/repositories/hosted/history/restore"))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"image\":\"team/rollback\",\"tag\":\"1\",\"digest\":\""
            + first.manifest().digest() + "\"}"))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(restored.statusCode()).as(restored.body()).isEqualTo(200);

    docker.run("pull", "-q", ref);
    assertThat(imageId(ref)).isEqualTo(first.config().digest());
  }

  @Test
  void pull_dockerHubNameThroughRegistryMirrors_servedByWharf() throws Exception {
    Image image = registry.seed("library/mirrored:3.18");

    docker.run("pull", "-q", "mirrored:3.18"); // docker.io/library/mirrored: only the mirror has it

    assertThat(imageId("mirrored:3.18")).isEqualTo(image.config().digest());
    registry.awaitAccessLog("GET /v2/library/mirrored/manifests/");
  }

  /**
   * Pushed under another registry name than it was pulled from, docker cannot mount the layers
   * and uploads every blob: POST, PATCH, PUT, the chunked flow. The image comes back whole and no
   * upload is left in storage.
   */
  @Test
  void push_underAnotherRegistryName_uploadsEveryBlob_andTheImageIsWhole() throws Exception {
    Image image = registry.seed("team/source:1");
    String source = registry.wharf.hostPort() + "/team/source:1";
    String pushed = registry.otherName() + "/team/pushed:1";
    docker.run("pull", "-q", source);
    docker.run("tag", source, pushed);

    docker.run("push", pushed);

    registry.assertPushedWhole("team/pushed", "1", image);
    registry.awaitAccessLog("PATCH /v2/team/pushed/blobs/uploads/");
    docker.run("rmi", pushed);
    docker.run("pull", "-q", pushed);
    assertThat(imageId(pushed)).isEqualTo(image.config().digest());
  }
}
