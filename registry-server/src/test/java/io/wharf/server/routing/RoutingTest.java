package io.wharf.server.routing;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every route to a repository, usable at once: own port, Nexus base path, host name, name prefix, default. */
class RoutingTest {
  static WharfServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @BeforeAll
  static void start() throws Exception {
    WharfConfig config = ConfigLoader.parse("""
        # the test plays the reverse proxy that sends X-Forwarded-Host
        server: {bind: 127.0.0.1, port: 0, defaultRepository: all, accessLog: false, trustedProxies: [127.0.0.1]}
        blobStores: {default: {type: memory}}
        repositories:
          - {name: docker-hosted, type: hosted, http: {port: 0}, hosts: [upload.docker.sc.lan]}
          - {name: other, type: hosted}
          - name: all
            type: group
            http: {port: 0}
            hosts: [docker.sc.lan]
            members: [docker-hosted, other]
            writableMember: docker-hosted
        """, "routing-test.yaml");
    server = WharfServer.start(config);
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String main() {
    return server.url().toString();
  }

  static HttpResponse<String> send(String method, String url, byte[] body, String contentType, String forwardedHost)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (forwardedHost != null) {
      b.header("X-Forwarded-Host", forwardedHost);
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Pushes config + manifest (no layers) under {@code base} (e.g. {@code http://h:p/v2/team/app}); returns the digest. */
  static String push(String base, String tag, String seed, String forwardedHost) throws Exception {
    byte[] config = ("{\"seed\":\"" + seed + "\"}").getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> blob = send("POST", base + "/blobs/uploads/?digest=" + Digest.sha256(config), config,
        "application/octet-stream", forwardedHost);
    assertThat(blob.statusCode()).as(blob.body()).isEqualTo(201);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> put = send("PUT", base + "/manifests/" + tag, manifest, MediaTypes.OCI_MANIFEST, forwardedHost);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    return Digest.sha256(manifest).value();
  }

  @Test
  void repositoryPort_servesThatRepositoryAtTheRoot() throws Exception {
    String digest = push(server.url("docker-hosted") + "/v2/team/port", "1.0", "port", null);

    HttpResponse<String> viaGroupPort = send("GET", server.url("all") + "/v2/team/port/manifests/1.0", null, null, null);
    assertThat(viaGroupPort.statusCode()).isEqualTo(200);
    assertThat(viaGroupPort.headers().firstValue("Docker-Content-Digest")).hasValue(digest);
    // a repository port does not route by name: "other/..." is an image name there
    assertThat(send("GET", server.url("docker-hosted") + "/v2/other/team/port/manifests/1.0", null, null, null)
        .statusCode()).isEqualTo(404);
  }

  @Test
  void pathRouting_firstNameSegmentSelectsTheRepository_andResponsesKeepThePrefix() throws Exception {
    push(main() + "/v2/other/team/path", "1.0", "path", null);

    HttpResponse<String> post = send("POST", main() + "/v2/other/team/path/blobs/uploads/", null, null, null);
    assertThat(post.headers().firstValue("Location")).hasValueSatisfying(l ->
        assertThat(l).startsWith("/v2/other/team/path/blobs/uploads/"));
    HttpResponse<String> tags = send("GET", main() + "/v2/other/team/path/tags/list?n=1", null, null, null);
    assertThat(tags.body()).contains("\"name\":\"other/team/path\"");
    // not in docker-hosted, but the default repository (the group) has it through "other"
    assertThat(send("GET", main() + "/v2/docker-hosted/team/path/manifests/1.0", null, null, null).statusCode()).isEqualTo(404);
    assertThat(send("GET", main() + "/v2/team/path/manifests/1.0", null, null, null).statusCode()).isEqualTo(200);
  }

  @Test
  void nexusBasePath_routesToTheNamedRepository() throws Exception {
    push(main() + "/repository/docker-hosted/v2/team/nexus", "1.0", "nexus", null);

    assertThat(send("GET", server.url("docker-hosted") + "/v2/team/nexus/manifests/1.0", null, null, null).statusCode())
        .isEqualTo(200);
    HttpResponse<String> post = send("POST", main() + "/repository/docker-hosted/v2/team/nexus/blobs/uploads/", null, null, null);
    assertThat(post.headers().firstValue("Location")).hasValueSatisfying(l ->
        assertThat(l).startsWith("/repository/docker-hosted/v2/team/nexus/blobs/uploads/"));
    assertThat(send("GET", main() + "/repository/nope/v2/", null, null, null).statusCode()).isEqualTo(404);
  }

  @Test
  void forwardedHost_routesToTheRepositoryThatClaimsIt() throws Exception {
    push(main() + "/v2/team/host", "1.0", "host", "upload.docker.sc.lan");

    assertThat(send("GET", server.url("docker-hosted") + "/v2/team/host/manifests/1.0", null, null, null).statusCode())
        .isEqualTo(200);
    push(main() + "/v2/other/team/only-other", "1.0", "x", null);
    // upload.docker.sc.lan is docker-hosted alone; docker.sc.lan is the group
    assertThat(send("GET", main() + "/v2/team/only-other/manifests/1.0", null, null, "upload.docker.sc.lan").statusCode())
        .isEqualTo(404);
    assertThat(send("GET", main() + "/v2/team/only-other/manifests/1.0", null, null, "docker.sc.lan").statusCode())
        .isEqualTo(200);
  }

  @Test
  void hostHeader_routesLikeTheForwardedOne() throws Exception {
    push(server.url("docker-hosted") + "/v2/team/raw", "1.0", "raw", null);
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      OutputStream out = s.getOutputStream();
      out.write(("GET /v2/team/raw/manifests/1.0 HTTP/1.1\r\nHost: upload.docker.sc.lan\r\n"
          + "Accept: " + MediaTypes.OCI_MANIFEST + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(response).startsWith("HTTP/1.1 200");
    }
  }

  @Test
  void pushThroughGroupPort_landsInTheWritableMember() throws Exception {
    push(server.url("all") + "/v2/team/via-group", "1.0", "group", null);

    assertThat(send("GET", server.url("docker-hosted") + "/v2/team/via-group/manifests/1.0", null, null, null)
        .statusCode()).isEqualTo(200);
  }

  @Test
  void unknownPrefix_isAnImageOfTheDefaultRepository() throws Exception {
    assertThat(send("GET", main() + "/v2/", null, null, null).statusCode()).isEqualTo(200);
    HttpResponse<String> r = send("GET", main() + "/v2/nosuchrepo/app/tags/list", null, null, null);
    assertThat(r.statusCode()).isEqualTo(404);
    assertThat(r.body()).contains("NAME_UNKNOWN");
  }

  @Test
  void notAnApiPath_is404() throws IOException, InterruptedException {
    HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(main() + "/index.html")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(404);
  }
}
