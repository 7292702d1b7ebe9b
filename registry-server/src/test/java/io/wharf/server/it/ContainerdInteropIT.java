package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.server.it.OciLayouts.Image;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * containerd 1.6 ({@code ctr}) against a Wharf child process: a pull it unpacks (checking every
 * layer against the config's diff ids), a Docker Hub name pulled through a {@code hosts.toml}
 * mirror (containerd adds {@code ?ns=docker.io} to what it asks a mirror), and a push, which
 * containerd makes as POST then PUT with the whole blob.
 */
@Tag("interop")
class ContainerdInteropIT {
  @TempDir static Path tmp;
  static ClientInterop registry;
  static Containerd containerd;

  @BeforeAll
  static void start() throws IOException {
    // containerd runs as root only; .ci/run runs as root, a developer's interop run may not.
    assumeTrue("root".equals(System.getProperty("user.name")), "containerd needs root");
    assertThat(Containerd.isInstalled()).as("containerd is missing: .ci/run installs docker.io, which brings it").isTrue();
    registry = new ClientInterop(tmp, 11);
    containerd = Containerd.start(tmp.resolve("containerd"));
  }

  @AfterAll
  static void stop() {
    if (containerd != null) {
      containerd.close();
    }
    if (registry != null) {
      registry.close();
    }
  }

  @Test
  void pull_plainHttp_unpacksTheImage() {
    Image image = registry.seed("team/app:1");
    String ref = registry.wharf.hostPort() + "/team/app:1";

    containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", ref);

    assertThat(containerd.ctr("images", "check", "name==" + ref)).contains("complete");
    assertThat(containerd.ctr("images", "list", "name==" + ref)).contains(image.manifest().digest());
  }

  @Test
  void pull_dockerHubNameThroughHostsTomlMirror_servedByWharf() throws Exception {
    Image image = registry.seed("library/mirrored:2");
    Path hosts = Files.createDirectories(tmp.resolve("hosts/docker.io"));
    Files.writeString(hosts.resolve("hosts.toml"), String.join("\n",
        "server = \"https://registry-1.docker.io\"",
        "[host.\"" + registry.wharf.url() + "\"]",
        "  capabilities = [\"pull\", \"resolve\"]",
        ""));

    containerd.ctr("images", "pull", "--hosts-dir", tmp.resolve("hosts").toString(), "--snapshotter", "native",
        "docker.io/library/mirrored:2");

    assertThat(containerd.ctr("images", "list", "name==docker.io/library/mirrored:2")).contains(image.manifest().digest());
    registry.awaitAccessLog("/v2/library/mirrored/manifests/2?ns=docker.io");
  }

  @Test
  void push_underAnotherRegistryName_uploadsEveryBlob_andTheImageIsWhole() throws Exception {
    Image image = registry.seed("team/source:1");
    String source = registry.wharf.hostPort() + "/team/source:1";
    String pushed = registry.otherName() + "/team/pushed:1";
    containerd.ctr("images", "pull", "--plain-http", "--snapshotter", "native", source);
    containerd.ctr("images", "tag", source, pushed);

    containerd.ctr("images", "push", "--plain-http", pushed);

    registry.assertPushedWhole("team/pushed", "1", image);
    HttpResponse<byte[]> manifest = registry.get("/v2/team/pushed/manifests/1", OciLayouts.MANIFEST);
    assertThat(OciLayouts.sha256(manifest.body())).isEqualTo(image.manifest().digest()); // byte for byte
    registry.awaitAccessLog("PUT /v2/team/pushed/blobs/uploads/"); // uploaded, not mounted
  }
}
