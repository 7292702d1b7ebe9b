package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_ARM64;
import static io.wharf.server.it.OciLayouts.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.it.OciLayouts.Descriptor;
import io.wharf.server.it.OciLayouts.Image;
import io.wharf.server.it.OciLayouts.Index;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Wharf and CNCF distribution (Debian's docker-registry 2.8.2) read each other's data directory:
 * what one wrote with skopeo, the other serves after a restart on the same {@code rootdirectory},
 * with identical digests and tags. That is the migration path DESIGN.md promises.
 */
@Tag("interop")
class LayoutCompatibilityIT {
  private static final String NAME = "team/compat";

  @TempDir Path tmp;

  @BeforeAll
  static void toolsInstalled() {
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it").isTrue();
    assertThat(DistributionProcess.isInstalled())
        .as("docker-registry is missing: .ci/run installs it").isTrue();
  }

  @Test
  void wharf_servesRootWrittenByDistribution() throws IOException {
    Fixture images = new Fixture(tmp.resolve("src"), 201);
    Path root = tmp.resolve("root");
    Skopeo skopeo = new Skopeo(tmp.resolve("skopeo"));
    List<String> tagsThere;
    try (DistributionProcess distribution = DistributionProcess.serve(root)) {
      images.push(skopeo, distribution);
      tagsThere = tags(skopeo, distribution);
    }
    assertThat(root.resolve("docker/registry/v2/repositories/" + NAME)).isDirectory();

    try (WharfProcess wharf = WharfProcess.serve(root)) {
      images.assertServedBy(skopeo, wharf, tmp.resolve("pulled"));
      assertThat(tags(skopeo, wharf)).containsExactly("1.0", "single")   // sorted
          .containsExactlyInAnyOrderElementsOf(tagsThere);
    }
  }

  @Test
  void distribution_servesDataWrittenByWharf() throws IOException {
    Fixture images = new Fixture(tmp.resolve("src"), 202);
    Path data = tmp.resolve("data");
    Skopeo skopeo = new Skopeo(tmp.resolve("skopeo"));
    List<String> tagsThere;
    try (WharfProcess wharf = WharfProcess.serve(data)) {
      images.push(skopeo, wharf);
      tagsThere = tags(skopeo, wharf);
    }
    assertThat(data.resolve("docker/registry/v2/repositories/" + NAME)).isDirectory();

    try (DistributionProcess distribution = DistributionProcess.serve(data)) {
      images.assertServedBy(skopeo, distribution, tmp.resolve("pulled"));
      // distribution 2.8.2 lists tags in no particular order
      assertThat(tags(skopeo, distribution)).containsExactlyInAnyOrderElementsOf(tagsThere)
          .containsExactlyInAnyOrder("1.0", "single");
    }
  }

  private static List<String> tags(Skopeo skopeo, ServerProcess registry) {
    return SkopeoInteropIT.strings(OciLayouts.JSON
        .readTree(skopeo.listTags("docker://" + registry.hostPort() + "/" + NAME)).path("Tags"));
  }

  /** A multi-arch index tagged {@code 1.0} and a single-arch image tagged {@code single}. */
  private static final class Fixture {
    final OciLayouts layout;
    final Index index;
    final Image single;

    Fixture(Path dir, long seed) {
      layout = OciLayouts.create(dir, seed);
      index = layout.index(layout.image(LINUX_AMD64, GZIP, 2, 200 * 1024),
          layout.image(LINUX_ARM64, GZIP, 2, 200 * 1024));
      single = layout.image(LINUX_AMD64, GZIP, 1, 512 * 1024);
      layout.tag("1.0", index.descriptor()).tag("single", single.manifest());
    }

    void push(Skopeo skopeo, ServerProcess registry) {
      String repo = "docker://" + registry.hostPort() + "/" + NAME;
      skopeo.copy(layout.ref("1.0"), repo + ":1.0", "--all");
      skopeo.copy(layout.ref("single"), repo + ":single");
    }

    void assertServedBy(Skopeo skopeo, ServerProcess registry, Path pulled) {
      String repo = "docker://" + registry.hostPort() + "/" + NAME;
      assertThat(sha256(skopeo.inspectRaw(repo + ":1.0"))).isEqualTo(index.descriptor().digest());
      assertThat(sha256(skopeo.inspectRaw(repo + ":single"))).isEqualTo(single.manifest().digest());
      for (Image child : index.manifests()) {
        assertThat(sha256(skopeo.inspectRaw(repo + "@" + child.manifest().digest())))
            .isEqualTo(child.manifest().digest());
      }

      skopeo.copy(repo + ":1.0", "oci:" + pulled + ":1.0", "--all");
      skopeo.copy(repo + ":single", "oci:" + pulled + ":single");
      assertThat(OciLayouts.resolve(pulled, "1.0").digest()).isEqualTo(index.descriptor().digest());
      assertThat(OciLayouts.resolve(pulled, "single").digest()).isEqualTo(single.manifest().digest());
      assertThat(OciLayouts.corruptBlobs(pulled)).isEmpty();
      List<Image> all = new ArrayList<>(index.manifests());
      all.add(single);
      for (Image image : all) {
        List<Descriptor> blobs = new ArrayList<>(image.layers());
        blobs.add(image.config());
        for (Descriptor blob : blobs) {
          assertThat(OciLayouts.blobPath(pulled, blob.digest())).isRegularFile().hasSize(blob.size());
        }
      }
    }
  }
}
