package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static io.wharf.server.it.OciLayouts.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.server.it.OciLayouts.Image;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The live-change test of issue 15 with a real client: a hosted repository created through
 * Nexus's REST API on a running Wharf (the packaged jar, a child process) listens on its own
 * port at once; skopeo pushes to it; its write policy changed to ALLOW_ONCE refuses skopeo's
 * second push of the same tag; deleted, its port closes. (The other half, a long download on
 * another repository running through such changes, is
 * {@code RepositoryChangesTest#longDownload_onAnotherRepository_completesIntact_whileRepositoriesChange}.)
 */
@Tag("interop")
class LiveRepositoryIT {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir Path tmp;
  WharfProcess wharf;
  Skopeo skopeo;

  @BeforeAll
  static void toolsInstalled() {
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
  }

  @BeforeEach
  void start() throws IOException {
    Path config = tmp.resolve("wharf.yaml");
    // two repositories on the store: each in a namespace of its own, so the API may add more
    Files.writeString(config, """
        repositories:
          - {name: docker-hosted, type: hosted}
          - {name: releases, type: hosted}
        """);
    wharf = WharfProcess.serveConfig(config, tmp.resolve("data"), null);
    skopeo = new Skopeo(tmp.resolve("skopeo"));
  }

  @AfterEach
  void stop() {
    if (wharf != null) {
      wharf.close();
    }
  }

  HttpResponse<String> rest(String method, String path, String body) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(wharf.url() + "/service/rest" + path))
        .timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null) {
      b.header("Content-Type", "application/json");
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  static String hosted(String policy, int port) {
    return """
        {"name":"live","online":true,
         "storage":{"blobStoreName":"default","strictContentTypeValidation":true,"writePolicy":"POLICY"},
         "docker":{"v1Enabled":false,"forceBasicAuth":false,"httpPort":PORT}}"""
        .replace("POLICY", policy).replace("PORT", String.valueOf(port));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  static boolean listening(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void createdRepository_takesSkopeoPushesOnItsPort_policyChangeRefusesTheSecond_deleteClosesThePort()
      throws Exception {
    int port = freePort();
    assertThat(listening(port)).isFalse();
    HttpResponse<String> created = rest("POST", "/v1/repositories/docker/hosted", hosted("ALLOW", port));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(listening(port)).isTrue();

    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 1501);
    Image first = src.image(LINUX_AMD64, GZIP, 2, 200 * 1024);
    Image second = src.image(LINUX_AMD64, GZIP, 1, 100 * 1024);
    src.tag("one", first.manifest());
    src.tag("two", second.manifest());
    String target = "docker://127.0.0.1:" + port + "/team/app:1.0";

    skopeo.copy(src.ref("one"), target);
    assertThat(sha256(skopeo.inspectRaw(target))).isEqualTo(first.manifest().digest());

    HttpResponse<String> changed = rest("PUT", "/v1/repositories/docker/hosted/live", hosted("ALLOW_ONCE", port));
    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(204);
    assertThatThrownBy(() -> skopeo.copy(src.ref("two"), target))
        .isInstanceOf(Skopeo.SkopeoException.class)
        .hasMessageContaining("denied");
    assertThat(sha256(skopeo.inspectRaw(target))).isEqualTo(first.manifest().digest());
    skopeo.copy(src.ref("two"), "docker://127.0.0.1:" + port + "/team/app:1.1"); // a new tag is fine

    HttpResponse<String> deleted = rest("DELETE", "/v1/repositories/live", null);
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(204);
    assertThat(listening(port)).isFalse();
    assertThatThrownBy(() -> skopeo.inspectRaw(target)).isInstanceOf(Skopeo.SkopeoException.class);
    assertThat(rest("GET", "/v1/repositories/live", null).statusCode()).isEqualTo(404);
    assertThat(rest("GET", "/v1/repositories/docker-hosted", null).statusCode()).isEqualTo(200);
  }
}
