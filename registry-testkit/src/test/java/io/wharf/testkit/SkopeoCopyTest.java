package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * skopeo, a real client in its own process, copying between two kit registries and from an OCI
 * layout into one. Runs in the interop profile ({@code mvn verify -Pinterop}).
 */
@Tag("interop")
class SkopeoCopyTest {
  @TempDir Path work;

  @BeforeAll
  static void skopeoInstalled() {
    assumeTrue(Skopeo.isInstalled(), "skopeo is not installed (apt-get install skopeo)");
  }

  @Test
  void copyAll_multiPlatformImage_betweenTwoRegistries(@TempDir Path tmp) {
    TestImage image = TestImages.seeded(42).layers(3, 64 * 1024).platforms("linux/amd64", "linux/arm64").build();
    try (TestRegistry source = TestRegistry.start(); TestRegistry target = TestRegistry.start()) {
      source.push("team/app", "1.0", image);

      new Skopeo(tmp).copy("docker://" + source.imageRef("team/app", "1.0"),
          "docker://" + target.imageRef("mirror/app", "1.0"), "--all");

      assertThat(target.manifest("mirror/app:1.0").orElseThrow().digest()).isEqualTo(image.digest());
      assertThat(target.blobs()).containsAll(image.digests());
      assertThat(target.journal().pushedRefs()).containsExactly("mirror/app:1.0");
      assertThat(target.journal().requests(r -> r.method().equals("PUT") && r.endpoint() == Endpoint.MANIFEST))
          .hasSize(3); // two platform manifests by digest, then the index by tag
      assertThat(source.journal().requests())
          .isNotEmpty().allSatisfy(r -> assertThat(r.method()).isIn("GET", "HEAD"));
      assertThat(source.journal().pulledManifests("team/app")).contains("1.0");
    }
  }

  @Test
  void copy_fromAnOciLayoutWrittenByTheFixture(@TempDir Path tmp) {
    TestImage image = TestImages.seeded(7).layers(2, 4096).build();
    Path layout = image.writeOciLayout(work.resolve("layout"), "v1");
    try (TestRegistry registry = TestRegistry.start()) {
      Skopeo skopeo = new Skopeo(tmp);
      skopeo.copy("oci:" + layout + ":v1", "docker://" + registry.imageRef("team/app", "v1"));

      assertThat(registry.tags("team/app")).containsExactly("v1");
      assertThat(skopeo.listTags("docker://" + registry.hostPort() + "/team/app")).contains("\"v1\"");
      assertThat(skopeo.inspectRaw("docker://" + registry.imageRef("team/app", "v1")))
          .isEqualTo(new String(image.manifest().bytes(), StandardCharsets.UTF_8));
    }
  }

  @Test
  void copy_toAnHttpsRegistryWithCredentials_verifiesTheCertificateFromCertDir(@TempDir Path tmp) {
    TestImage image = TestImages.seeded(9).layers(2, 4096).build();
    Path layout = image.writeOciLayout(work.resolve("layout"), "v1");
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().https().credentials("ci", "s3cret"))) {
      new Skopeo(tmp).run(java.util.List.of("copy", "--dest-tls-verify=true",
          "--dest-cert-dir", registry.tls().certDirectory().toString(), "--dest-creds", "ci:s3cret",
          "oci:" + layout + ":v1", "docker://" + registry.imageRef("team/app", "v1")));

      assertThat(registry.manifest("team/app:v1").orElseThrow().digest()).isEqualTo(image.digest());
      assertThat(registry.journal().requests(RecordedRequest::isTagPush)).singleElement()
          .satisfies(r -> assertThat(r.user()).isEqualTo("ci"));
    }
  }
}
