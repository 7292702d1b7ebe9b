package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.server.it.OciLayouts.Image;
import java.io.IOException;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * podman 4.3 against a Wharf child process: a pull (podman checks the layers against the
 * config's diff ids as it stores them), a Docker Hub name through a {@code [[registry.mirror]]}
 * (podman asks the mirror for the tag with GET), and a push of re-compressed layers.
 */
@Tag("interop")
class PodmanInteropIT {
  @TempDir static Path tmp;
  static ClientInterop registry;
  static Podman podman;

  @BeforeAll
  static void start() throws IOException {
    // podman without root needs subuid ranges set up; .ci/run runs as root.
    assumeTrue("root".equals(System.getProperty("user.name")), "podman is run as root here");
    assertThat(Podman.isInstalled()).as("podman is missing: .ci/run installs it with apt-get").isTrue();
    registry = new ClientInterop(tmp, 13);
    String wharf = registry.wharf.hostPort();
    podman = new Podman(tmp.resolve("podman"), String.join("\n",
        "unqualified-search-registries = []",
        "[[registry]]",
        "location = \"" + wharf + "\"",
        "insecure = true",
        "[[registry]]",
        "location = \"" + registry.otherName() + "\"",
        "insecure = true",
        "[[registry]]",
        "prefix = \"docker.io\"",
        "location = \"registry-1.docker.io\"",
        "[[registry.mirror]]",
        "location = \"" + wharf + "\"",
        "insecure = true",
        ""));
  }

  @AfterAll
  static void stop() {
    if (registry != null) {
      registry.close();
    }
  }

  private static String imageId(String ref) {
    return "sha256:" + podman.run("image", "inspect", "--format", "{{.Id}}", ref);
  }

  @Test
  void pull_byRegistryName_storesTheImageWhoseIdIsItsConfigDigest() {
    Image image = registry.seed("team/app:1");
    String ref = registry.wharf.hostPort() + "/team/app:1";

    podman.run("pull", "-q", ref);

    assertThat(imageId(ref)).isEqualTo(image.config().digest());
  }

  @Test
  void pull_dockerHubNameThroughRegistryMirror_servedByWharf() throws Exception {
    Image image = registry.seed("library/mirrored:2");

    podman.run("pull", "-q", "docker.io/library/mirrored:2");

    assertThat(imageId("docker.io/library/mirrored:2")).isEqualTo(image.config().digest());
    registry.awaitAccessLog("GET /v2/library/mirrored/manifests/2");
  }

  @Test
  void push_underAnotherRegistryName_uploadsEveryBlob_andTheImageIsWhole() throws Exception {
    Image image = registry.seed("team/source:1");
    String source = registry.wharf.hostPort() + "/team/source:1";
    String pushed = registry.otherName() + "/team/pushed:1";
    podman.run("pull", "-q", source);
    podman.run("tag", source, pushed);

    podman.run("push", "-q", pushed);

    registry.assertPushedWhole("team/pushed", "1", image);
    registry.awaitAccessLog("POST /v2/team/pushed/blobs/uploads/");
    podman.run("rmi", pushed, source);
    podman.run("pull", "-q", pushed);
    assertThat(imageId(pushed)).isEqualTo(image.config().digest());
  }
}
