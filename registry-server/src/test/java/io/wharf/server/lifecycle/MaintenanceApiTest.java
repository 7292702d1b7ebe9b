package io.wharf.server.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The maintenance of a configured server: policies and limits from the config file become the
 * steps of the store's job, which runs on demand through {@code /wharf/api/v1/maintenance}
 * (dry run first), and only administrators may run it once security is on.
 */
class MaintenanceApiTest {
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

  @TempDir
  Path dir;

  static HttpResponse<String> send(String method, String url, byte[] body, String contentType, String auth)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (auth != null) {
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(auth.getBytes(StandardCharsets.UTF_8)));
    }
    return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** Pushes a config and a manifest without layers as {@code tag}. */
  static void push(String base, String tag, String auth) throws Exception {
    byte[] config = ("{\"tag\":\"" + tag + "\"}").getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> blob = send("POST", base + "/blobs/uploads/?digest=" + Digest.sha256(config), config,
        "application/octet-stream", auth);
    assertThat(blob.statusCode()).as(blob.body()).isEqualTo(201);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> put = send("PUT", base + "/manifests/" + tag, manifest, MediaTypes.OCI_MANIFEST, auth);
    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    Thread.sleep(20); // distinct push times: keepLatest ranks by them
  }

  static String tags(String base) throws Exception {
    return send("GET", base + "/tags/list", null, null, null).body();
  }

  @Test
  void configuredPolicies_runOnDemand_dryRunFirst() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default:
            type: file
            path: DATA
            maintenance: {schedule: "0 3 * * *", grace: 1h, purgeUploads: 24h}
        repositories:
          - name: docker-hosted
            cleanup: {keepLatest: 1, exclude: "latest"}
            quota: {hard: 10MiB, soft: 8MiB}
          - name: hub
            type: proxy
            remoteUrl: http://127.0.0.1:9
            cache: {maxSize: 1GiB, maxUnusedAge: 30d}
        """.replace("DATA", dir.resolve("data").toString());
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml, "maintenance-test.yaml"))) {
      String root = server.url().toString();
      String base = root + "/v2/team/app";
      push(base, "1.0", null);
      push(base, "latest", null);
      push(base, "2.0", null);
      push(base, "3.0", null);

      HttpResponse<String> status = send("GET", root + "/wharf/api/v1/maintenance", null, null, null);
      assertThat(status.statusCode()).isEqualTo(200);
      assertThat(status.headers().firstValue("Content-Type")).hasValue("application/json");
      assertThat(status.body()).contains("\"store\":\"default\"").contains("\"schedule\":\"0 3 * * *\"")
          .contains("cleanup of docker-hosted").contains("cache limits of hub").contains("\"next\":\"");

      HttpResponse<String> dry = send("POST", root + "/wharf/api/v1/maintenance/default?dryRun=true&wait=true",
          null, null, null);
      assertThat(dry.statusCode()).as(dry.body()).isEqualTo(200);
      assertThat(dry.body()).contains("\"dryRun\":true").contains("team/app:1.0").contains("team/app:2.0")
          .doesNotContain("team/app:3.0").doesNotContain("team/app:latest");
      assertThat(tags(base)).contains("1.0", "2.0", "3.0", "latest");

      HttpResponse<String> run = send("POST", root + "/wharf/api/v1/maintenance/default?wait=true", null, null, null);
      assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
      assertThat(run.body()).contains("\"dryRun\":false").contains("tags deleted 2").contains("\"error\":null");
      assertThat(tags(base)).contains("3.0", "latest").doesNotContain("1.0").doesNotContain("2.0");

      HttpResponse<String> async = send("POST", root + "/wharf/api/v1/maintenance/default", null, null, null);
      assertThat(async.statusCode()).isEqualTo(202);
      assertThat(async.body()).contains("\"store\":\"default\"");

      HttpResponse<String> unknown = send("POST", root + "/wharf/api/v1/maintenance/nope?wait=true", null, null, null);
      assertThat(unknown.statusCode()).isEqualTo(404);
      assertThat(unknown.body()).contains("NAME_UNKNOWN").contains("no blob store named \\\"nope\\\"");
      HttpResponse<String> wrongMethod = send("GET", root + "/wharf/api/v1/maintenance/default", null, null, null);
      assertThat(wrongMethod.statusCode()).isEqualTo(405);
      assertThat(wrongMethod.headers().firstValue("Allow")).hasValue("POST");
    }
  }

  @Test
  void withSecurity_onlyAdministratorsRunMaintenance() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores: {default: {type: file, path: DATA}}
        security:
          realms: [basic]
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
            - {name: dev, passwordHash: "DEV", roles: [devs]}
          roles:
            - {name: admins, privileges: ["*:admin"]}
            - {name: devs, privileges: ["docker-hosted:read", "docker-hosted:write", "docker-hosted:delete"]}
        repositories:
          - {name: docker-hosted, cleanup: {keepLatest: 5}}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("DEV", PasswordHashes.hash("dev-pw".toCharArray(), 4));
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml, "maintenance-security-test.yaml"))) {
      String url = server.url() + "/wharf/api/v1/maintenance/default?dryRun=true&wait=true";

      HttpResponse<String> unknown = send("POST", server.url() + "/wharf/api/v1/maintenance/nope", null, null, null);
      assertThat(unknown.statusCode()).as("nothing about the stores before a login").isEqualTo(401);
      assertThat(unknown.body()).doesNotContain("default");

      HttpResponse<String> anonymous = send("POST", url, null, null, null);
      assertThat(anonymous.statusCode()).isEqualTo(401);
      assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(v -> assertThat(v).startsWith("Basic"));

      HttpResponse<String> wrong = send("POST", url, null, null, "admin:nope");
      assertThat(wrong.statusCode()).isEqualTo(401);

      HttpResponse<String> developer = send("POST", url, null, null, "dev:dev-pw");
      assertThat(developer.statusCode()).isEqualTo(403);
      assertThat(developer.body()).contains("DENIED").contains("admin");
      assertThat(send("GET", server.url() + "/wharf/api/v1/maintenance", null, null, "dev:dev-pw").statusCode())
          .isEqualTo(403);

      HttpResponse<String> admin = send("POST", url, null, null, "admin:admin-pw");
      assertThat(admin.statusCode()).as(admin.body()).isEqualTo(200);
      assertThat(admin.body()).contains("cleanup of docker-hosted");
    }
  }
}
