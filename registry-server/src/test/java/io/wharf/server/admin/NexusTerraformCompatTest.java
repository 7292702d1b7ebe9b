package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.assertNexusError;
import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The request sequence of the Terraform provider ({@code datadrivers/nexus}, through
 * go-nexus-client) for {@code nexus_repository_docker_{hosted,proxy,group}}: create ({@code
 * POST}), read back ({@code GET .../docker/<type>/<name>}), update ({@code PUT}), read, delete,
 * read (404 = gone), with the bodies of MANAGEMENT-NOTES §1.2 as the provider sends them (every
 * field, nulls included). Only the port is chosen free, not 18887.
 */
class NexusTerraformCompatTest {
  static {
    ManagementHttp.quietLogs();
  }

  static final String REST = "/service/rest";
  static final String[] ADMIN = basic("admin", "admin-pw");

  @TempDir static Path dir;
  static WharfServer server;
  static URI base;

  @BeforeAll
  static void start() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        security:
          users: [{name: admin, passwordHash: "ADMIN", roles: [admins]}]
          roles: [{name: admins, privileges: ["*:*"]}]
        repositories:
          - {name: seed-a, type: hosted}
          - {name: seed-b, type: hosted}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4));
    server = WharfServer.start(ConfigLoader.parse(yaml, "terraform-compat.yaml"));
    base = server.url();
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static final String HOSTED = """
      {"name":"docker-hosted","online":true,
        "storage":{"blobStoreName":"default","strictContentTypeValidation":true,"writePolicy":"ALLOW_ONCE","latestPolicy":true},
        "cleanup":{"policyNames":["p1"]},"component":{"proprietaryComponents":false},
        "docker":{"v1Enabled":false,"forceBasicAuth":false,"httpPort":18887,"httpsPort":null,"subdomain":null,"pathEnabled":null}}
      """;

  static final String PROXY = """
      {"name":"docker-proxy","online":true,
        "storage":{"blobStoreName":"default","strictContentTypeValidation":true},
        "proxy":{"remoteUrl":"https://registry-1.docker.io","contentMaxAge":1440,"metadataMaxAge":1440},
        "negativeCache":{"enabled":true,"timeToLive":1440},
        "httpClient":{"blocked":false,"autoBlock":true,
          "connection":{"retries":2,"timeout":60,"userAgentSuffix":"terraform","enableCircularRedirects":false,
            "enableCookies":false,"useTrustStore":false},
          "authentication":{"type":"username","username":"robot","password":"s3cret","ntlmHost":null,"ntlmDomain":null,
            "bearerToken":null}},
        "routingRule":null,
        "docker":{"v1Enabled":false,"forceBasicAuth":true,"httpPort":null,"httpsPort":null,"subdomain":null,"pathEnabled":null},
        "dockerProxy":{"indexType":"HUB","indexUrl":null,"cacheForeignLayers":false,"foreignLayerUrlWhitelist":[]},
        "cleanup":{"policyNames":[]}}
      """;

  static final String GROUP = """
      {"name":"docker-group","online":true,
        "storage":{"blobStoreName":"default","strictContentTypeValidation":true},
        "group":{"memberNames":["docker-hosted","docker-proxy"],"writableMember":"docker-hosted"},
        "docker":{"v1Enabled":false,"forceBasicAuth":true,"httpPort":null,"httpsPort":null,"subdomain":null,"pathEnabled":null}}
      """;

  static HttpResponse<byte[]> call(String method, String path, String body) {
    return send(base, method, REST + path, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
        body == null ? ADMIN : new String[] {ADMIN[0], ADMIN[1], "Content-Type", "application/json"});
  }

  static JsonNode read(String type, String name) {
    HttpResponse<byte[]> r = call("GET", "/v1/repositories/docker/" + type + "/" + name, null);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    return json(r);
  }

  @Test
  void terraformCrud_hostedProxyGroup() throws Exception {
    int port = RepositoryChangesTest.freePort();
    String hosted = HOSTED.replace("18887", String.valueOf(port));

    // create: hosted, proxy, then the group over both
    for (String[] c : new String[][] {{"hosted", hosted}, {"proxy", PROXY}, {"group", GROUP}}) {
      HttpResponse<byte[]> r = call("POST", "/v1/repositories/docker/" + c[0], c[1]);
      assertThat(r.statusCode()).as("create %s: %s", c[0], text(r)).isEqualTo(201);
    }

    // read back as the provider does
    JsonNode h = read("hosted", "docker-hosted");
    assertThat(h.path("name").asString()).isEqualTo("docker-hosted");
    assertThat(h.path("format").asString()).isEqualTo("docker");
    assertThat(h.path("type").asString()).isEqualTo("hosted");
    assertThat(h.path("online").asBoolean()).isTrue();
    assertThat(h.path("storage").path("blobStoreName").asString()).isEqualTo("default");
    assertThat(h.path("storage").path("strictContentTypeValidation").asBoolean()).isTrue();
    assertThat(h.path("storage").path("writePolicy").asString()).isEqualTo("ALLOW_ONCE");
    assertThat(h.path("storage").path("latestPolicy").asBoolean()).isTrue();
    assertThat(h.path("docker").path("v1Enabled").asBoolean()).isFalse();
    assertThat(h.path("docker").path("forceBasicAuth").asBoolean()).isFalse();
    assertThat(h.path("docker").path("httpPort").asInt()).isEqualTo(port);
    assertThat(RepositoryChangesTest.listening(port)).isTrue();

    JsonNode p = read("proxy", "docker-proxy");
    assertThat(p.path("proxy").path("remoteUrl").asString()).isEqualTo("https://registry-1.docker.io");
    assertThat(p.path("proxy").path("metadataMaxAge").asInt()).isEqualTo(1440);
    assertThat(p.path("negativeCache").path("enabled").asBoolean()).isTrue();
    assertThat(p.path("negativeCache").path("timeToLive").asInt()).isEqualTo(1440);
    assertThat(p.path("httpClient").path("autoBlock").asBoolean()).isTrue();
    assertThat(p.path("httpClient").path("connection").path("retries").asInt()).isEqualTo(2);
    assertThat(p.path("httpClient").path("connection").path("timeout").asInt()).isEqualTo(60);
    assertThat(p.path("httpClient").path("connection").path("userAgentSuffix").asString()).isEqualTo("terraform");
    assertThat(p.path("httpClient").path("authentication").path("type").asString()).isEqualTo("username");
    assertThat(p.path("httpClient").path("authentication").path("username").asString()).isEqualTo("robot");
    assertThat(p.toString()).doesNotContain("s3cret");
    assertThat(p.path("dockerProxy").path("indexType").asString()).isEqualTo("HUB");
    assertThat(p.path("docker").path("forceBasicAuth").asBoolean()).isTrue();

    JsonNode g = read("group", "docker-group");
    assertThat(g.path("group").path("memberNames").toString()).isEqualTo("[\"docker-hosted\",\"docker-proxy\"]");
    assertThat(g.path("group").path("writableMember").asString()).isEqualTo("docker-hosted");

    // the list shows them
    HttpResponse<byte[]> list = call("GET", "/v1/repositories", null);
    assertThat(text(list)).contains("\"docker-hosted\"", "\"docker-proxy\"", "\"docker-group\"");

    // update: what a changed attribute makes the provider send (the whole body again)
    HttpResponse<byte[]> u1 = call("PUT", "/v1/repositories/docker/hosted/docker-hosted",
        hosted.replace("\"ALLOW_ONCE\"", "\"ALLOW\"").replace("\"latestPolicy\":true", "\"latestPolicy\":false"));
    assertThat(u1.statusCode()).as(text(u1)).isEqualTo(204);
    assertThat(read("hosted", "docker-hosted").path("storage").path("writePolicy").asString()).isEqualTo("ALLOW");
    HttpResponse<byte[]> u2 = call("PUT", "/v1/repositories/docker/proxy/docker-proxy",
        PROXY.replace("\"metadataMaxAge\":1440", "\"metadataMaxAge\":60"));
    assertThat(u2.statusCode()).as(text(u2)).isEqualTo(204);
    assertThat(read("proxy", "docker-proxy").path("proxy").path("metadataMaxAge").asInt()).isEqualTo(60);
    HttpResponse<byte[]> u3 = call("PUT", "/v1/repositories/docker/group/docker-group",
        GROUP.replace("[\"docker-hosted\",\"docker-proxy\"]", "[\"docker-hosted\"]"));
    assertThat(u3.statusCode()).as(text(u3)).isEqualTo(204);
    assertThat(read("group", "docker-group").path("group").path("memberNames").toString())
        .isEqualTo("[\"docker-hosted\"]");

    // a read-modify-write of a hosted repository with its own port is accepted as it is
    HttpResponse<byte[]> rmw = call("PUT", "/v1/repositories/docker/hosted/docker-hosted",
        read("hosted", "docker-hosted").toString());
    assertThat(rmw.statusCode()).as(text(rmw)).isEqualTo(204);
    assertThat(RepositoryChangesTest.listening(port)).isTrue();

    // a read-modify-write without the password (GET never shows it) keeps the upstream login
    JsonNode readBack = read("proxy", "docker-proxy");
    HttpResponse<byte[]> u4 = call("PUT", "/v1/repositories/docker/proxy/docker-proxy", readBack.toString());
    assertThat(u4.statusCode()).as(text(u4)).isEqualTo(204);
    assertThat(read("proxy", "docker-proxy").path("httpClient").path("authentication").path("username").asString())
        .isEqualTo("robot");

    // delete in dependency order; a read then is 404, which the provider takes for "gone"
    for (String name : new String[] {"docker-group", "docker-proxy", "docker-hosted"}) {
      HttpResponse<byte[]> d = call("DELETE", "/v1/repositories/" + name, null);
      assertThat(d.statusCode()).as("delete %s: %s", name, text(d)).isEqualTo(204);
    }
    assertNexusError(call("GET", "/v1/repositories/docker/hosted/docker-hosted", null), 404, "NOT_FOUND");
    assertNexusError(call("GET", "/v1/repositories/docker/proxy/docker-proxy", null), 404, "NOT_FOUND");
    assertNexusError(call("GET", "/v1/repositories/docker/group/docker-group", null), 404, "NOT_FOUND");
    assertThat(RepositoryChangesTest.listening(port)).isFalse();
    assertThat(get(base, REST + "/v1/repositories/seed-a", ADMIN).statusCode()).isEqualTo(200);
  }
}
