package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_ARM64;
import static io.wharf.server.it.OciLayouts.sha256;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.JibContainer;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.TarImage;
import io.wharf.server.it.OciLayouts.Image;
import io.wharf.server.it.OciLayouts.Index;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Wharf proxy repository in front of a real upstream: Debian's docker-registry (CNCF
 * distribution 2.8), seeded with skopeo, pulled through Wharf with skopeo and Jib; then the
 * upstream is stopped and everything cached still pulls.
 */
@Tag("interop")
class ProxyInteropIT {
  @TempDir Path tmp;

  @Test
  void skopeoAndJibPullThroughProxy_andCachedContentSurvivesUpstreamOutage() throws Exception {
    Skopeo skopeo = new Skopeo(tmp.resolve("skopeo"));
    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 301);
    Image single = src.image(LINUX_AMD64, GZIP, 2, 400 * 1024);
    Image arm = src.image(LINUX_ARM64, GZIP, 1, 200 * 1024);
    Index multi = src.index(single, arm);
    src.tag("single", single.manifest()).tag("multi", multi.descriptor());

    DistributionProcess upstream = DistributionProcess.serve(tmp.resolve("upstream"));
    WharfProcess proxy = null;
    try {
      skopeo.copy(src.ref("single"), "docker://" + upstream.hostPort() + "/team/single:1.0");
      skopeo.copy(src.ref("multi"), "docker://" + upstream.hostPort() + "/team/multi:1.0", "--all");

      Path config = Files.writeString(tmp.resolve("wharf.yaml"), """
          repositories:
            - name: upstream-cache
              type: proxy
              remoteUrl: %s
              metadataMaxAge: 0s
              outbound: {retries: 0, timeout: 5s, connectTimeout: 2s}
          """.formatted(upstream.url()));
      proxy = WharfProcess.serveConfig(config, tmp.resolve("cache"), "128m");
      String px = "docker://" + proxy.hostPort();

      // multi-arch through the proxy: the index and its children arrive byte for byte
      assertThat(sha256(skopeo.inspectRaw(px + "/team/multi:1.0"))).isEqualTo(multi.descriptor().digest());
      skopeo.copy(px + "/team/multi:1.0", "oci:" + tmp.resolve("pulled-multi") + ":1.0", "--all");
      assertThat(OciLayouts.resolve(tmp.resolve("pulled-multi"), "1.0").digest()).isEqualTo(multi.descriptor().digest());
      assertThat(OciLayouts.corruptBlobs(tmp.resolve("pulled-multi"))).isEmpty();

      // single-arch with skopeo and with Jib (which verifies every layer it downloads)
      skopeo.copy(px + "/team/single:1.0", "oci:" + tmp.resolve("pulled-single") + ":1.0");
      assertThat(OciLayouts.resolve(tmp.resolve("pulled-single"), "1.0").digest()).isEqualTo(single.manifest().digest());
      JibContainer jib = Jib.from(RegistryImage.named(proxy.hostPort() + "/team/single:1.0"))
          .containerize(Containerizer.to(TarImage.at(tmp.resolve("jib.tar")).named("x"))
              .setAllowInsecureRegistries(true)
              .setBaseImageLayersCache(tmp.resolve("jib-base"))
              .setApplicationLayersCache(tmp.resolve("jib-app")));
      assertThat(jib.getDigest()).isNotNull(); // Jib verified every layer it downloaded through the proxy
      assertThat(Files.size(tmp.resolve("jib.tar"))).isGreaterThan(800 * 1024);

      upstream.stop();

      // upstream gone: tags revalidate against nothing and fall back to the cache
      skopeo.copy(px + "/team/multi:1.0", "oci:" + tmp.resolve("offline-multi") + ":1.0", "--all");
      assertThat(OciLayouts.resolve(tmp.resolve("offline-multi"), "1.0").digest()).isEqualTo(multi.descriptor().digest());
      assertThat(OciLayouts.corruptBlobs(tmp.resolve("offline-multi"))).isEmpty();
      skopeo.copy(px + "/team/single:1.0", "oci:" + tmp.resolve("offline-single") + ":1.0");
      assertThat(OciLayouts.resolve(tmp.resolve("offline-single"), "1.0").digest()).isEqualTo(single.manifest().digest());
      assertThat(skopeo.listTags(px + "/team/single")).contains("\"1.0\"");
    } finally {
      if (proxy != null) {
        proxy.close();
      }
      upstream.close();
    }
  }
}
