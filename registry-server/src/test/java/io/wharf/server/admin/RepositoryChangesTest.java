package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.ANONYMOUS;
import static io.wharf.server.admin.ManagementHttp.assertNexusError;
import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Repositories created, changed and deleted through Nexus's REST API over real HTTP, taking
 * effect at once: the new repository serves (on its own port too), a changed write policy holds
 * for the next push, a deleted repository's port closes; bad input is a 400 naming the field
 * and leaves nothing behind; the file's repositories are not the API's to change; only
 * administrators change anything; and everything comes back after a restart.
 *
 * <pre>
 * users (password: NAME-pw)  admin: *:* ; reader: read on private ; keeper: admin on private
 * (roles in the file can only name the file's repositories, or *)
 * docker-hosted  hosted (file), anonymousPull
 * private        hosted (file)
 * upstream       a second, open Wharf, the remote of the API's proxies
 * </pre>
 */
class RepositoryChangesTest {
  static {
    ManagementHttp.quietLogs();
  }

  static final String REST = "/service/rest";
  static final String[] ADMIN = basic("admin", "admin-pw");
  static final String[] READER = basic("reader", "reader-pw");
  static final String[] KEEPER = basic("keeper", "keeper-pw");
  static final String JSON_TYPE = "application/json";

  @TempDir static Path dir;
  static WharfServer upstream;
  static WharfServer server;
  static URI base;
  static String yaml;

  @BeforeAll
  static void start() throws Exception {
    upstream = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, dir.resolve("upstream").toString())
        .withManagement(new WharfConfig.Management(new WharfConfig.Metrics(false, null))));
    yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        security:
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
            - {name: reader, passwordHash: "READER", roles: [readers]}
            - {name: keeper, passwordHash: "KEEPER", roles: [keepers]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: readers, privileges: ["private:read"]}
            - {name: keepers, privileges: ["private:admin"]}
        repositories:
          - {name: docker-hosted, type: hosted, anonymousPull: true}
          - {name: private, type: hosted}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("READER", PasswordHashes.hash("reader-pw".toCharArray(), 4))
        .replace("KEEPER", PasswordHashes.hash("keeper-pw".toCharArray(), 4));
    server = WharfServer.start(ConfigLoader.parse(yaml, "repository-changes-test.yaml"));
    base = server.url();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      upstream.close();
    }
  }

  // ---------------------------------------------------------------- helpers

  static HttpResponse<byte[]> post(String type, String body, String... credentials) {
    return send(base, "POST", REST + "/v1/repositories/docker/" + type, bytes(body),
        with(credentials, "Content-Type", JSON_TYPE));
  }

  static HttpResponse<byte[]> put(String type, String name, String body, String... credentials) {
    return send(base, "PUT", REST + "/v1/repositories/docker/" + type + "/" + name, bytes(body),
        with(credentials, "Content-Type", JSON_TYPE));
  }

  static HttpResponse<byte[]> delete(String name, String... credentials) {
    return send(base, "DELETE", REST + "/v1/repositories/" + name, null, credentials);
  }

  static JsonNode settings(String type, String name) {
    HttpResponse<byte[]> r = get(base, REST + "/v1/repositories/docker/" + type + "/" + name, ADMIN);
    assertThat(r.statusCode()).as("GET %s: %s", name, text(r)).isEqualTo(200);
    return json(r);
  }

  static int status(String path, String... credentials) {
    return get(base, REST + path, credentials).statusCode();
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static String[] with(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** A port nothing listens on now. */
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

  static String hosted(String name, String writePolicy, Integer httpPort) {
    return """
        {"name":"NAME","online":true,
         "storage":{"blobStoreName":"default","strictContentTypeValidation":true,"writePolicy":"POLICY"},
         "docker":{"v1Enabled":false,"forceBasicAuth":true,"httpPort":PORT}}"""
        .replace("NAME", name).replace("POLICY", writePolicy).replace("PORT", String.valueOf(httpPort));
  }

  static String proxy(String name, String remoteUrl) {
    return """
        {"name":"NAME","online":true,"storage":{"blobStoreName":"default","strictContentTypeValidation":true},
         "proxy":{"remoteUrl":"REMOTE","contentMaxAge":1440,"metadataMaxAge":30},
         "negativeCache":{"enabled":true,"timeToLive":5},
         "httpClient":{"blocked":false,"autoBlock":true,"connection":{"retries":1,"timeout":20}},
         "docker":{"v1Enabled":false,"forceBasicAuth":false},
         "dockerProxy":{"indexType":"REGISTRY"}}"""
        .replace("NAME", name).replace("REMOTE", remoteUrl);
  }

  static String group(String name, String... members) {
    return """
        {"name":"NAME","online":true,"storage":{"blobStoreName":"default","strictContentTypeValidation":true},
         "group":{"memberNames":[MEMBERS]},"docker":{"v1Enabled":false,"forceBasicAuth":true}}"""
        .replace("NAME", name).replace("MEMBERS", members.length == 0 ? ""
            : "\"" + String.join("\",\"", members) + "\"");
  }

  static JsonNode violations(HttpResponse<byte[]> r) {
    assertThat(r.statusCode()).as("status of %s", text(r)).isEqualTo(400);
    JsonNode body = json(r);
    assertThat(body.isArray()).as("Nexus's validation array: %s", text(r)).isTrue();
    return body;
  }

  static List<String> ids(JsonNode violations) {
    List<String> out = new ArrayList<>();
    violations.forEach(v -> out.add(v.path("id").asString()));
    return out;
  }

  static String settingsDocument() throws IOException {
    Path doc = dir.resolve("data/docker/registry/v2/_wharf/settings/repositories.json");
    return Files.exists(doc) ? Files.readString(doc) : "";
  }

  // ---------------------------------------------------------------- hosted

  @Test
  void hosted_createPushChangePolicyDelete_takesEffectAtOnce() throws Exception {
    int port = freePort();
    HttpResponse<byte[]> created = post("hosted", hosted("api-hosted", "ALLOW", port), ADMIN);
    assertThat(created.statusCode()).as(text(created)).isEqualTo(201);

    JsonNode s = settings("hosted", "api-hosted");
    assertThat(s.path("type").asString()).isEqualTo("hosted");
    assertThat(s.path("storage").path("blobStoreName").asString()).isEqualTo("default");
    assertThat(s.path("storage").path("writePolicy").asString()).isEqualTo("ALLOW");
    assertThat(s.path("docker").path("httpPort").asInt()).isEqualTo(port);
    assertThat(s.path("wharf").path("namespace").asString()).isEqualTo("api-hosted");
    assertThat(status("/v1/repositories/api-hosted", ADMIN)).isEqualTo(200);
    assertThat(settingsDocument()).contains("\"api-hosted\"");

    // its own port serves at once, and the main port's paths too
    URI own = URI.create("http://127.0.0.1:" + port);
    ManagementHttp.pushImage(own, "team/app", "1.0", 1024, ADMIN);
    assertThat(get(base, "/repository/api-hosted/v2/team/app/tags/list", ADMIN).statusCode()).isEqualTo(200);
    assertThat(get(base, "/v2/private/team/app/tags/list", ADMIN).statusCode()).isEqualTo(404); // not elsewhere

    // the next push sees the new write policy
    assertThat(put("hosted", "api-hosted", hosted("api-hosted", "ALLOW_ONCE", port), ADMIN).statusCode())
        .isEqualTo(204);
    assertThat(settings("hosted", "api-hosted").path("storage").path("writePolicy").asString())
        .isEqualTo("ALLOW_ONCE");
    ManagementHttp.Image other = ManagementHttp.pushImage(own, "team/app", "1.1", 1024, ADMIN); // a new tag: fine
    HttpResponse<byte[]> again = send(own, "PUT", "/v2/team/app/manifests/1.0", other.manifest(),
        with(ADMIN, "Content-Type", MediaTypes.OCI_MANIFEST));
    assertThat(again.statusCode()).as("moving tag 1.0 under ALLOW_ONCE: %s", text(again)).isEqualTo(403);

    // deleted: gone from the API, the routes and its port
    assertThat(delete("api-hosted", ADMIN).statusCode()).isEqualTo(204);
    assertNexusError(get(base, REST + "/v1/repositories/api-hosted", ADMIN), 404, "NOT_FOUND");
    assertThat(get(base, "/repository/api-hosted/v2/team/app/tags/list", ADMIN).statusCode()).isEqualTo(404);
    assertThat(listening(port)).as("port %s closed", port).isFalse();
    assertThat(settingsDocument()).doesNotContain("\"api-hosted\"");
    assertThat(dir.resolve("data/docker/registry/v2/repositories/api-hosted")).doesNotExist();
    assertThat(status("/v1/repositories/docker-hosted", ADMIN)).isEqualTo(200); // the others untouched
  }

  @Test
  void hosted_portChange_movesTheListener() throws Exception {
    int first = freePort();
    assertThat(post("hosted", hosted("api-moving", "ALLOW", first), ADMIN).statusCode()).isEqualTo(201);
    assertThat(listening(first)).isTrue();
    int second = freePort();
    assertThat(put("hosted", "api-moving", hosted("api-moving", "ALLOW", second), ADMIN).statusCode()).isEqualTo(204);
    assertThat(listening(second)).isTrue();
    assertThat(listening(first)).isFalse();
    assertThat(get(URI.create("http://127.0.0.1:" + second), "/v2/", ADMIN).statusCode()).isEqualTo(200);
    String noPort = hosted("api-moving", "ALLOW", second).replace(",\"httpPort\":" + second, "");
    assertThat(put("hosted", "api-moving", noPort, ADMIN).statusCode()).isEqualTo(204);
    assertThat(listening(second)).isFalse();
    assertThat(settings("hosted", "api-moving").path("docker").path("httpPort").isNull()).isTrue();
    assertThat(delete("api-moving", ADMIN).statusCode()).isEqualTo(204);
  }

  @Test
  void cleanupPolicy_ofAnApiRepository_joinsItsStoresMaintenanceJob() {
    String body = hosted("api-cleaned", "ALLOW", null).replace("\"docker\":",
        "\"wharf\":{\"cleanup\":{\"keepLatest\":3}},\"docker\":");
    HttpResponse<byte[]> r = post("hosted", body, ADMIN);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
    assertThat(settings("hosted", "api-cleaned").path("wharf").path("cleanup").path("keepLatest").asInt())
        .isEqualTo(3);
    assertThat(server.maintenance().orElseThrow().status().get(0).steps()).contains("cleanup of api-cleaned");
    assertThat(delete("api-cleaned", ADMIN).statusCode()).isEqualTo(204);
    assertThat(server.maintenance().orElseThrow().status().get(0).steps()).doesNotContain("cleanup of api-cleaned");
  }

  // ---------------------------------------------------------------- proxy and group

  @Test
  void proxyAndGroup_createReadThroughUpdateDelete() throws Exception {
    ManagementHttp.Image image = ManagementHttp.pushImage(upstream.url(), "library/tool", "2.0", 2048);
    HttpResponse<byte[]> created = post("proxy", proxy("api-proxy", upstream.url().toString()), ADMIN);
    assertThat(created.statusCode()).as(text(created)).isEqualTo(201);
    JsonNode p = settings("proxy", "api-proxy");
    assertThat(p.path("proxy").path("remoteUrl").asString()).isEqualTo(upstream.url().toString());
    assertThat(p.path("proxy").path("metadataMaxAge").asInt()).isEqualTo(30);
    assertThat(p.path("negativeCache").path("timeToLive").asInt()).isEqualTo(5);
    assertThat(p.path("httpClient").path("connection").path("retries").asInt()).isEqualTo(1);
    assertThat(p.path("httpClient").path("connection").path("timeout").asInt()).isEqualTo(20);
    assertThat(p.path("dockerProxy").path("indexType").asString()).isEqualTo("REGISTRY");
    assertThat(p.path("docker").path("forceBasicAuth").asBoolean()).isFalse();

    // anonymous pull (forceBasicAuth false) through the new proxy
    HttpResponse<byte[]> pulled = get(base, "/repository/api-proxy/v2/library/tool/manifests/2.0",
        "Accept", MediaTypes.OCI_MANIFEST);
    assertThat(pulled.statusCode()).as(text(pulled)).isEqualTo(200);
    assertThat(Digest.sha256(pulled.body())).isEqualTo(image.manifestDigest());
    // its upstream is one of the status checks at once
    JsonNode checks = json(get(base, "/service/rest/v1/status/check", ADMIN));
    assertThat(checks.propertyNames()).anyMatch(n -> n.contains("api-proxy"));

    // a group of a file repository and the new proxy
    HttpResponse<byte[]> g = post("group", group("api-group", "docker-hosted", "api-proxy"), ADMIN);
    assertThat(g.statusCode()).as(text(g)).isEqualTo(201);
    assertThat(settings("group", "api-group").path("group").path("memberNames").toString())
        .isEqualTo("[\"docker-hosted\",\"api-proxy\"]");
    assertThat(get(base, "/repository/api-group/v2/library/tool/manifests/2.0", with(ADMIN, "Accept",
        MediaTypes.OCI_MANIFEST)).statusCode()).isEqualTo(200);

    // the proxy changes: the group follows (it holds its members' objects)
    String changed = proxy("api-proxy", upstream.url().toString()).replace("\"metadataMaxAge\":30",
        "\"metadataMaxAge\":60");
    assertThat(put("proxy", "api-proxy", changed, ADMIN).statusCode()).isEqualTo(204);
    assertThat(settings("proxy", "api-proxy").path("proxy").path("metadataMaxAge").asInt()).isEqualTo(60);
    assertThat(get(base, "/repository/api-group/v2/library/tool/manifests/2.0", with(ADMIN, "Accept",
        MediaTypes.OCI_MANIFEST)).statusCode()).isEqualTo(200);

    // a member cannot go while a group holds it
    assertThat(assertNexusError(delete("api-proxy", ADMIN), 409, "CONFLICT").path("message").asString())
        .contains("api-group");
    assertThat(put("group", "api-group", group("api-group", "docker-hosted"), ADMIN).statusCode()).isEqualTo(204);
    assertThat(get(base, "/repository/api-group/v2/library/tool/manifests/2.0", with(ADMIN, "Accept",
        MediaTypes.OCI_MANIFEST)).statusCode()).isEqualTo(404);
    assertThat(delete("api-proxy", ADMIN).statusCode()).isEqualTo(204);
    assertThat(delete("api-group", ADMIN).statusCode()).isEqualTo(204);
    assertThat(status("/v1/repositories/api-group", ADMIN)).isEqualTo(404);
  }

  @Test
  void group_memberCycleAndSelf_are400OnGroupMemberNames() {
    assertThat(post("group", group("api-g1", "docker-hosted"), ADMIN).statusCode()).isEqualTo(201);
    assertThat(post("group", group("api-g2", "api-g1"), ADMIN).statusCode()).isEqualTo(201);
    JsonNode cycle = violations(put("group", "api-g1", group("api-g1", "api-g2"), ADMIN));
    assertThat(ids(cycle)).containsExactly("group.memberNames");
    assertThat(cycle.get(0).path("message").asString()).contains("cycle");
    JsonNode self = violations(post("group", group("api-g3", "api-g3"), ADMIN));
    assertThat(ids(self)).containsExactly("group.memberNames");
    assertThat(status("/v1/repositories/api-g3", ADMIN)).isEqualTo(404);
    JsonNode unknown = violations(post("group", group("api-g4", "nothing-here"), ADMIN));
    assertThat(ids(unknown)).containsExactly("group.memberNames");
    assertThat(unknown.get(0).path("message").asString()).contains("nothing-here");
    // the cycle was refused: api-g1 is as it was
    assertThat(settings("group", "api-g1").path("group").path("memberNames").toString())
        .isEqualTo("[\"docker-hosted\"]");
    assertThat(delete("api-g2", ADMIN).statusCode()).isEqualTo(204);
    assertThat(delete("api-g1", ADMIN).statusCode()).isEqualTo(204);
  }

  // ---------------------------------------------------------------- bad input

  @Test
  void badInput_isA4xxNamingTheField_andNothingIsCreated() throws Exception {
    String before = settingsDocument();
    JsonNode badJson = assertNexusError(post("hosted", "{\"name\":", ADMIN), 400, "BAD_REQUEST");
    assertThat(badJson.path("message").asString()).contains("not valid JSON");
    assertNexusError(post("hosted", "", ADMIN), 400, "BAD_REQUEST");
    assertThat(ids(violations(post("hosted", "[1,2]", ADMIN)))).containsExactly("*");

    assertThat(ids(violations(post("hosted", hosted("api-bad", "ALLOW", null).replace("\"default\"",
        "\"nowhere\""), ADMIN)))).containsExactly("storage.blobStoreName");
    assertThat(ids(violations(post("hosted", hosted("bad name!", "ALLOW", null), ADMIN)))).containsExactly("name");
    assertThat(ids(violations(post("hosted", hosted("_leading", "ALLOW", null), ADMIN)))).containsExactly("name");
    assertThat(ids(violations(post("hosted", hosted("api-bad", "SOMETIMES", null), ADMIN))))
        .containsExactly("storage.writePolicy");
    assertThat(ids(violations(post("hosted", "{\"online\":true,\"docker\":{\"httpPort\":\"x\"}}", ADMIN))))
        .containsExactlyInAnyOrder("name", "storage.blobStoreName", "storage.writePolicy", "docker.httpPort");
    assertThat(ids(violations(post("proxy", "{\"name\":\"api-bad\",\"storage\":{\"blobStoreName\":\"default\"}}",
        ADMIN)))).containsExactly("proxy.remoteUrl");
    assertThat(ids(violations(post("proxy", proxy("api-bad", "ftp://example.com"), ADMIN))))
        .containsExactly("proxy.remoteUrl");
    assertThat(ids(violations(post("group", "{\"name\":\"api-bad\",\"group\":{\"memberNames\":[]}}", ADMIN))))
        .containsExactly("group.memberNames");
    int port = freePort();
    String pathAndPort = hosted("api-bad", "ALLOW", port).replace("\"httpPort\"", "\"pathEnabled\":true,\"httpPort\"");
    assertThat(ids(violations(post("hosted", pathAndPort, ADMIN)))).containsExactly("docker.pathEnabled");
    assertThat(ids(violations(post("hosted", hosted("api-bad", "ALLOW", 70000), ADMIN))))
        .containsExactly("docker.httpPort");
    assertThat(ids(violations(post("hosted", hosted("api-bad", "ALLOW", null).replace("\"online\":true",
        "\"online\":false"), ADMIN)))).containsExactly("online");

    // unknown type and format: no such endpoint
    assertNexusError(post("virtual", hosted("api-bad", "ALLOW", null), ADMIN), 404, "NOT_FOUND");
    assertNexusError(send(base, "POST", REST + "/v1/repositories/maven2/hosted", bytes("{}"),
        with(ADMIN, "Content-Type", JSON_TYPE)), 404, "NOT_FOUND");
    // a name that exists
    assertThat(assertNexusError(post("hosted", hosted("private", "ALLOW", null), ADMIN), 409, "CONFLICT")
        .path("message").asString()).contains("already exists");

    assertThat(status("/v1/repositories/api-bad", ADMIN)).isEqualTo(404);
    assertThat(settingsDocument()).isEqualTo(before);
  }

  @Test
  void portInUse_byAnotherProcessOrRepository_is400OnHttpPort_andNothingHalfCreated() throws Exception {
    String before = settingsDocument();
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      JsonNode v = violations(post("hosted", hosted("api-port", "ALLOW", taken.getLocalPort()), ADMIN));
      assertThat(ids(v)).containsExactly("docker.httpPort");
      assertThat(v.get(0).path("message").asString()).contains(String.valueOf(taken.getLocalPort()));
    }
    assertThat(status("/v1/repositories/api-port", ADMIN)).isEqualTo(404);
    assertThat(get(base, "/repository/api-port/v2/", ADMIN).statusCode()).isEqualTo(404);
    assertThat(settingsDocument()).isEqualTo(before);

    int port = freePort();
    assertThat(post("hosted", hosted("api-port-a", "ALLOW", port), ADMIN).statusCode()).isEqualTo(201);
    JsonNode clash = violations(post("hosted", hosted("api-port-b", "ALLOW", port), ADMIN));
    assertThat(ids(clash)).containsExactly("docker.httpPort");
    assertThat(clash.get(0).path("message").asString()).contains("api-port-a");
    assertThat(status("/v1/repositories/api-port-b", ADMIN)).isEqualTo(404);
    assertThat(delete("api-port-a", ADMIN).statusCode()).isEqualTo(204);
  }

  @Test
  void fileRepositories_arePinned_409() {
    JsonNode put = assertNexusError(put("hosted", "private", hosted("private", "DENY", null), ADMIN), 409,
        "CONFLICT");
    assertThat(put.path("message").asString()).contains("configuration file");
    assertNexusError(delete("docker-hosted", ADMIN), 409, "CONFLICT");
    assertThat(status("/v1/repositories/docker-hosted", ADMIN)).isEqualTo(200);
  }

  // ---------------------------------------------------------------- who may

  @Test
  void permissions_anonymous401_nonAdmin403_repositoryAdminIsNoGlobalAdmin() {
    HttpResponse<byte[]> anonymous = post("hosted", hosted("api-perm", "ALLOW", null), ANONYMOUS);
    assertNexusError(anonymous, 401, "UNAUTHORIZED");
    assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue(NexusRestServlet.CHALLENGE);
    assertNexusError(post("hosted", hosted("api-perm", "ALLOW", null), READER), 403, "FORBIDDEN");
    // admin on one repository is not enough to create one
    assertNexusError(post("hosted", hosted("api-perm", "ALLOW", null), KEEPER), 403, "FORBIDDEN");
    assertThat(status("/v1/repositories/api-perm", ADMIN)).isEqualTo(404);

    assertThat(post("hosted", hosted("api-perm", "ALLOW", null), ADMIN).statusCode()).isEqualTo(201);
    // those who may not see it get 404 (no leak); may see but not administer: 403
    assertNexusError(put("hosted", "api-perm", hosted("api-perm", "DENY", null), READER), 404, "NOT_FOUND");
    assertNexusError(delete("api-perm", READER), 404, "NOT_FOUND");
    assertNexusError(delete("api-perm", ANONYMOUS), 404, "NOT_FOUND");
    assertNexusError(put("hosted", "private", hosted("private", "DENY", null), READER), 403, "FORBIDDEN");
    assertNexusError(delete("private", READER), 403, "FORBIDDEN");
    // keeper administers private, which the file pins
    assertNexusError(put("hosted", "private", hosted("private", "DENY", null), KEEPER), 409, "CONFLICT");
    assertThat(settings("hosted", "api-perm").path("storage").path("writePolicy").asString()).isEqualTo("ALLOW");
    assertThat(delete("api-perm", ADMIN).statusCode()).isEqualTo(204);
  }

  // ---------------------------------------------------------------- in flight

  @Test
  void longDownload_onAnotherRepository_completesIntact_whileRepositoriesChange() throws Exception {
    byte[] blob = new byte[48 * 1024 * 1024];
    new Random(7).nextBytes(blob);
    Digest digest = Digest.sha256(blob);
    HttpResponse<byte[]> up = send(base, "POST", "/v2/docker-hosted/big/blob/blobs/uploads/?digest=" + digest, blob,
        with(ADMIN, "Content-Type", "application/octet-stream"));
    assertThat(up.statusCode()).as(text(up)).isEqualTo(201);

    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    HttpResponse<InputStream> download = client.send(HttpRequest.newBuilder(
            URI.create(base + "/v2/docker-hosted/big/blob/blobs/" + digest)).timeout(Duration.ofMinutes(5)).build(),
        HttpResponse.BodyHandlers.ofInputStream());
    assertThat(download.statusCode()).isEqualTo(200);
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    long read = 0;
    try (InputStream in = download.body()) {
      byte[] buf = new byte[64 * 1024];
      // the first megabyte, then the server is stuck mid-body on this slow reader
      while (read < 1024 * 1024) {
        int n = in.read(buf);
        assertThat(n).isPositive();
        sha.update(buf, 0, n);
        read += n;
      }
      int port = freePort();
      assertThat(post("hosted", hosted("api-during", "ALLOW", port), ADMIN).statusCode()).isEqualTo(201);
      ManagementHttp.pushImage(URI.create("http://127.0.0.1:" + port), "x/y", "1", 512, ADMIN);
      assertThat(put("hosted", "api-during", hosted("api-during", "DENY", port), ADMIN).statusCode()).isEqualTo(204);
      assertThat(post("group", group("api-during-all", "docker-hosted", "api-during"), ADMIN).statusCode())
          .isEqualTo(201);
      assertThat(delete("api-during-all", ADMIN).statusCode()).isEqualTo(204);
      assertThat(delete("api-during", ADMIN).statusCode()).isEqualTo(204);
      assertThat(listening(port)).isFalse();
      int n;
      while ((n = in.read(buf)) > 0) {
        sha.update(buf, 0, n);
        read += n;
      }
    }
    assertThat(read).isEqualTo(blob.length);
    assertThat(Digest.of(Digest.SHA256, sha.digest())).isEqualTo(digest);
  }
}
