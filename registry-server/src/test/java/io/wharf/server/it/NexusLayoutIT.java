package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_ARM64;
import static io.wharf.server.it.OciLayouts.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.server.it.OciLayouts.Image;
import io.wharf.server.it.OciLayouts.Index;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The seed scenario: the Nexus 3 layout of examples/nexus-layout.yaml (hosted on its own port,
 * proxies of Docker Hub and gcr, a group on its own port used as the registry mirror), with the
 * upstreams replaced by Debian docker-registry instances on loopback, and skopeo doing every step.
 */
@Tag("interop")
class NexusLayoutIT {
  /** The example user of examples/nexus-layout.yaml. */
  static final String CREDS = "ci:change-me";
  @TempDir Path tmp;
  final HttpClient http = HttpClient.newHttpClient();

  @Test
  void seedScenario_withSkopeo() throws Exception {
    Skopeo skopeo = new Skopeo(tmp.resolve("skopeo"));
    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 401);
    Image alpine = src.image(LINUX_AMD64, GZIP, 1, 300 * 1024);
    Image kpAmd = src.image(LINUX_AMD64, GZIP, 2, 200 * 1024);
    Image kpArm = src.image(LINUX_ARM64, GZIP, 2, 200 * 1024);
    Index kubeProxy = src.index(kpAmd, kpArm);
    Image mine = src.image(LINUX_AMD64, GZIP, 2, 100 * 1024);
    src.tag("alpine", alpine.manifest()).tag("kube-proxy", kubeProxy.descriptor()).tag("mine", mine.manifest());

    DistributionProcess hub = DistributionProcess.serve(tmp.resolve("hub"));
    DistributionProcess gcr = DistributionProcess.serve(tmp.resolve("gcr"));
    WharfProcess wharf = null;
    try {
      skopeo.copy(src.ref("alpine"), "docker://" + hub.hostPort() + "/library/alpine:latest");
      skopeo.copy(src.ref("kube-proxy"), "docker://" + gcr.hostPort() + "/kube-proxy:v1.18.6", "--all");

      int hostedPort = ServerProcess.freePort();
      int groupPort = ServerProcess.freePort();
      String config = Files.readString(Path.of("../examples/nexus-layout.yaml"))
          .replace("https://registry-1.docker.io", hub.url())
          .replace("https://k8s.gcr.io", gcr.url())
          .replace("port: 18887", "port: " + hostedPort)
          .replace("port: 18888", "port: " + groupPort);
      assertThat(config).contains(hub.url()).contains(gcr.url());
      Path configFile = Files.writeString(tmp.resolve("nexus-layout.yaml"), config);
      wharf = WharfProcess.serveConfig(configFile, tmp.resolve("wharf-data"), "128m");
      String group = "docker://127.0.0.1:" + groupPort;
      String hosted = "docker://127.0.0.1:" + hostedPort;

      // docker pull alpine, as a daemon using the group as registry-mirror asks for it
      assertThat(sha256(skopeo.inspectRaw(group + "/library/alpine:latest"))).isEqualTo(alpine.manifest().digest());
      skopeo.copy(group + "/alpine:latest", "oci:" + tmp.resolve("p-alpine") + ":latest");
      assertThat(OciLayouts.resolve(tmp.resolve("p-alpine"), "latest").digest()).isEqualTo(alpine.manifest().digest());
      assertThat(OciLayouts.corruptBlobs(tmp.resolve("p-alpine"))).isEmpty();

      // docker pull <group>/kube-proxy:v1.18.6: Docker Hub does not have it, the gcr proxy does
      skopeo.copy(group + "/kube-proxy:v1.18.6", "oci:" + tmp.resolve("p-kp") + ":v1.18.6", "--all");
      assertThat(OciLayouts.resolve(tmp.resolve("p-kp"), "v1.18.6").digest()).isEqualTo(kubeProxy.descriptor().digest());
      assertThat(OciLayouts.corruptBlobs(tmp.resolve("p-kp"))).isEmpty();

      // docker login + docker push to the hosted port (anonymous push is refused), then pull it
      // back through the group without logging in
      assertThatThrownBy(() -> skopeo.copy(src.ref("alpine"), hosted + "/alpine:anonymous"))
          .hasMessageContaining("authentication required");
      skopeo.copy(src.ref("alpine"), hosted + "/alpine:test", "--dest-creds", CREDS);
      skopeo.copy(group + "/alpine:test", "oci:" + tmp.resolve("p-test") + ":test");
      assertThat(OciLayouts.resolve(tmp.resolve("p-test"), "test").digest()).isEqualTo(alpine.manifest().digest());

      // push through the group: lands in its writable member, docker-hosted
      skopeo.copy(src.ref("mine"), group + "/team/mine:1.0", "--dest-creds", CREDS);
      assertThat(sha256(skopeo.inspectRaw(hosted + "/team/mine:1.0"))).isEqualTo(mine.manifest().digest());

      // tags through the group, merged (hosted "alpine" + Docker Hub's "alpine" = library/alpine)
      // and paginated with a Link header
      skopeo.copy(src.ref("alpine"), hosted + "/alpine:zzz", "--dest-creds", CREDS);
      HttpResponse<String> page1 = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + groupPort + "/v2/alpine/tags/list?n=2")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(page1.body()).contains("\"tags\":[\"latest\",\"test\"]");
      assertThat(page1.headers().firstValue("Link")).hasValueSatisfying(l ->
          assertThat(l).contains("/v2/alpine/tags/list?n=2&last=test").contains("rel=\"next\""));
      HttpResponse<String> page2 = http.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + groupPort + "/v2/alpine/tags/list?n=2&last=test")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(page2.body()).contains("\"tags\":[\"zzz\"]");
      assertThat(page2.headers().firstValue("Link")).isEmpty();
    } finally {
      if (wharf != null) {
        wharf.close();
      }
      hub.close();
      gcr.close();
    }
  }
}
