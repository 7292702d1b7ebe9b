package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.ANONYMOUS;
import static io.wharf.server.admin.ManagementHttp.assertNexusError;
import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.key;
import static io.wharf.server.admin.ManagementHttp.parseMetrics;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Nexus's REST API over real HTTP against a secured server: who sees which repositories, the
 * settings in Nexus's Docker shapes (and never a secret), the status endpoints, Nexus's error
 * shapes, and what Wharf refuses (scripts, changes).
 *
 * <pre>
 * users (password: NAME-pw)  admin: *:* ; reader: read on private
 * docker-hosted  hosted, own port, anonymousPull, ALLOW_ONCE with latest redeploy
 * private        hosted
 * hub            proxy of a second (open) Wharf, index hub, upstream credentials robot / s3cret-upstream
 * all            group of docker-hosted and hub, writable member docker-hosted
 * </pre>
 */
class NexusRestApiTest {
  static {
    ManagementHttp.quietLogs();
  }

  static final String REST = "/service/rest";
  static final String UPSTREAM_PASSWORD = "s3cret-upstream";
  static final String[] ADMIN = basic("admin", "admin-pw");
  static final String[] READER = basic("reader", "reader-pw");

  @TempDir static Path dir;
  static WharfServer upstream;
  static WharfServer server;
  static URI base;
  /** Every response body this class saw, checked for secrets at the end. */
  static final List<String> bodies = new ArrayList<>();

  @BeforeAll
  static void start() throws Exception {
    upstream = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, dir.resolve("upstream").toString())
        .withManagement(new WharfConfig.Management(new WharfConfig.Metrics(false, null))));
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        security:
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
            - {name: reader, passwordHash: "READER", roles: [readers]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: readers, privileges: ["private:read"]}
        repositories:
          - {name: docker-hosted, type: hosted, http: {port: 0}, anonymousPull: true, writePolicy: allow_once,
             allowLatestRedeploy: true, hosts: [docker.lan], quota: {hard: 1GiB}}
          - {name: private, type: hosted}
          - name: hub
            type: proxy
            remoteUrl: UPSTREAM
            index: hub
            username: robot
            password: PASSWORD
            metadataMaxAge: 6h
            negativeCacheTtl: 10m
          - {name: all, type: group, members: [docker-hosted, hub], writableMember: docker-hosted}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("UPSTREAM", upstream.url().toString())
        .replace("PASSWORD", UPSTREAM_PASSWORD)
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("READER", PasswordHashes.hash("reader-pw".toCharArray(), 4));
    server = WharfServer.start(ConfigLoader.parse(yaml, "nexus-rest-test.yaml"));
    base = server.url();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      for (String body : bodies) {
        assertThat(body).doesNotContain(UPSTREAM_PASSWORD).doesNotContain("passwordHash").doesNotContain("$2")
            .doesNotContain("\"password\"");
      }
    } finally {
      server.close();
      upstream.close();
    }
  }

  static HttpResponse<byte[]> rest(String path, String... credentials) {
    HttpResponse<byte[]> r = get(base, REST + path, credentials);
    bodies.add(text(r));
    return r;
  }

  static List<String> names(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.path("name").asString()));
    return out;
  }

  // ---------------------------------------------------------------- GET /v1/repositories

  @Test
  void repositories_anonymous_listsOnlyAnonymousPull() {
    HttpResponse<byte[]> r = rest("/v1/repositories", ANONYMOUS);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(names(json(r))).containsExactly("docker-hosted");
  }

  @Test
  void repositories_reader_listsWhatItMayRead() {
    HttpResponse<byte[]> r = rest("/v1/repositories", READER);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(names(json(r))).containsExactly("docker-hosted", "private");
  }

  @Test
  void repositories_admin_listsAllInNexusShape() {
    HttpResponse<byte[]> r = rest("/v1/repositories", ADMIN);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode list = json(r);
    assertThat(names(list)).containsExactly("docker-hosted", "private", "hub", "all");
    JsonNode hosted = list.get(0);
    assertThat(hosted.path("format").asString()).isEqualTo("docker");
    assertThat(hosted.path("type").asString()).isEqualTo("hosted");
    assertThat(hosted.path("url").asString()).isEqualTo(base + "/repository/docker-hosted");
    assertThat(hosted.path("online").asBoolean()).isTrue();
    assertThat(hosted.path("attributes").isObject()).isTrue();
    JsonNode hub = list.get(2);
    assertThat(hub.path("type").asString()).isEqualTo("proxy");
    assertThat(hub.path("attributes").path("proxy").path("remoteUrl").asString()).isEqualTo(upstream.url().toString());
    assertThat(list.get(3).path("type").asString()).isEqualTo("group");
  }

  @Test
  void repositoryByName_readable_unreadableAndUnknownAre404InNexusShape() {
    HttpResponse<byte[]> mine = rest("/v1/repositories/private", READER);
    assertThat(mine.statusCode()).isEqualTo(200);
    assertThat(json(mine).path("name").asString()).isEqualTo("private");
    assertThat(json(mine).path("url").asString()).isEqualTo(base + "/repository/private");

    assertNexusError(rest("/v1/repositories/private", ANONYMOUS), 404, "NOT_FOUND");
    assertNexusError(rest("/v1/repositories/hub", READER), 404, "NOT_FOUND");
    JsonNode unknown = assertNexusError(rest("/v1/repositories/no-such-repo", ADMIN), 404, "NOT_FOUND");
    assertThat(unknown.path("message").asString()).contains("no-such-repo");
  }

  @Test
  void wrongPassword_is401WithNexusChallenge_andCountedInMetrics() {
    Map<String, Double> before = parseMetrics(text(get(base, "/metrics")));
    HttpResponse<byte[]> r = rest("/v1/repositories", basic("admin", "wrong"));
    assertNexusError(r, 401, "UNAUTHORIZED");
    assertThat(r.headers().firstValue("WWW-Authenticate"))
        .hasValue("BASIC realm=\"Sonatype Nexus Repository Manager\"");
    Map<String, Double> after = parseMetrics(text(get(base, "/metrics")));
    String failures = key("registry_auth_login_failures_total", "via", "basic");
    assertThat(after.get(failures) - before.getOrDefault(failures, 0.0)).isEqualTo(1.0);
  }

  @Test
  void tooManyFailedLogins_is429WithRetryAfter_andCounted(@TempDir Path other) throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores: {default: {type: file, path: DATA}}
        security:
          realms: [basic]
          throttle: {maxFailures: 2, window: 5m, lockout: 5m}
          users: [{name: admin, passwordHash: "ADMIN", roles: [admins]}]
          roles: [{name: admins, privileges: ["*:*"]}]
        """.replace("DATA", other.toString()).replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4));
    try (WharfServer locked = WharfServer.start(ConfigLoader.parse(yaml, "throttle.yaml"))) {
      URI url = locked.url();
      for (int i = 0; i < 2; i++) {
        assertNexusError(get(url, REST + "/v1/repositories", basic("admin", "guess" + i)), 401, "UNAUTHORIZED");
      }
      HttpResponse<byte[]> r = get(url, REST + "/v1/repositories", ADMIN); // even the right password
      assertNexusError(r, 429, "TOO_MANY_REQUESTS");
      assertThat(r.headers().firstValue("Retry-After")).isPresent();
      Map<String, Double> metrics = parseMetrics(text(get(url, "/metrics")));
      assertThat(metrics.get(key("registry_auth_login_failures_total", "via", "basic"))).isEqualTo(2.0);
      assertThat(metrics.get(key("registry_auth_lockouts_total", "via", "basic"))).isEqualTo(1.0);
    }
  }

  // ---------------------------------------------------------------- settings

  @Test
  void repositorySettings_needAdmin() {
    HttpResponse<byte[]> anonymous = rest("/v1/repositorySettings", ANONYMOUS);
    assertNexusError(anonymous, 401, "UNAUTHORIZED");
    assertThat(anonymous.headers().firstValue("WWW-Authenticate"))
        .hasValue("BASIC realm=\"Sonatype Nexus Repository Manager\"");
    assertNexusError(rest("/v1/repositorySettings", READER), 403, "FORBIDDEN");
    assertNexusError(rest("/v1/repositories/docker/hosted/private", READER), 403, "FORBIDDEN");
  }

  @Test
  void repositorySettings_admin_nexusDockerShapes() {
    HttpResponse<byte[]> r = rest("/v1/repositorySettings", ADMIN);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    JsonNode all = json(r);
    assertThat(names(all)).containsExactly("docker-hosted", "private", "hub", "all");

    JsonNode hosted = all.get(0);
    assertThat(hosted.path("format").asString()).isEqualTo("docker");
    assertThat(hosted.path("type").asString()).isEqualTo("hosted");
    assertThat(hosted.path("online").asBoolean()).isTrue();
    assertThat(hosted.path("storage").path("blobStoreName").asString()).isEqualTo("default");
    assertThat(hosted.path("storage").path("writePolicy").asString()).isEqualTo("ALLOW_ONCE");
    assertThat(hosted.path("storage").path("latestPolicy").asBoolean()).isTrue();
    assertThat(hosted.path("docker").path("httpPort").asInt()).isEqualTo(server.port("docker-hosted"));
    assertThat(hosted.path("docker").path("forceBasicAuth").asBoolean()).isFalse(); // anonymous pull
    assertThat(hosted.path("docker").has("httpsPort")).isTrue(); // present, null, as Nexus writes it
    assertThat(hosted.has("proxy")).isFalse();
    assertThat(hosted.path("wharf").path("hosts").get(0).asString()).isEqualTo("docker.lan");
    assertThat(hosted.path("wharf").path("quota").path("hard").asString()).isEqualTo("1GiB");

    JsonNode priv = all.get(1);
    assertThat(priv.path("storage").path("writePolicy").asString()).isEqualTo("ALLOW");
    assertThat(priv.path("docker").path("forceBasicAuth").asBoolean()).isTrue();
    assertThat(priv.path("docker").path("httpPort").isNull()).isTrue();

    JsonNode hub = all.get(2);
    assertThat(hub.path("type").asString()).isEqualTo("proxy");
    assertThat(hub.path("proxy").path("remoteUrl").asString()).isEqualTo(upstream.url().toString());
    assertThat(hub.path("proxy").path("metadataMaxAge").asInt()).isEqualTo(360);
    assertThat(hub.path("negativeCache").path("timeToLive").asInt()).isEqualTo(10);
    assertThat(hub.path("dockerProxy").path("indexType").asString()).isEqualTo("HUB");
    assertThat(hub.path("httpClient").path("autoBlock").asBoolean()).isTrue();
    assertThat(hub.path("httpClient").path("authentication").path("type").asString()).isEqualTo("username");
    assertThat(hub.path("httpClient").path("authentication").path("username").asString()).isEqualTo("robot");
    assertThat(hub.path("httpClient").path("authentication").has("password")).isFalse();
    assertThat(hub.path("wharf").path("upstream").path("blocked").asBoolean()).isFalse();
    assertThat(hub.has("storage")).isTrue();
    assertThat(hub.path("storage").has("writePolicy")).isTrue();

    JsonNode group = all.get(3);
    assertThat(group.path("group").path("memberNames").toString()).isEqualTo("[\"docker-hosted\",\"hub\"]");
    assertThat(group.path("group").path("writableMember").asString()).isEqualTo("docker-hosted");
  }

  @Test
  void typedSettings_matchTheType() {
    HttpResponse<byte[]> proxy = rest("/v1/repositories/docker/proxy/hub", ADMIN);
    assertThat(proxy.statusCode()).isEqualTo(200);
    assertThat(json(proxy).path("dockerProxy").path("indexType").asString()).isEqualTo("HUB");
    assertNexusError(rest("/v1/repositories/docker/hosted/hub", ADMIN), 404, "NOT_FOUND");
    assertNexusError(rest("/v1/repositories/docker/hosted/nothing", ADMIN), 404, "NOT_FOUND");
  }

  // ---------------------------------------------------------------- status

  @Test
  void status_anonymous_200() {
    assertThat(rest("/v1/status", ANONYMOUS).statusCode()).isEqualTo(200);
    assertThat(rest("/v1/status/writable", ANONYMOUS).statusCode()).isEqualTo(200);
  }

  @Test
  void statusCheck_administratorsOnly_namedChecks() {
    assertNexusError(rest("/v1/status/check", ANONYMOUS), 401, "UNAUTHORIZED");
    assertNexusError(rest("/v1/status/check", READER), 403, "FORBIDDEN");
    HttpResponse<byte[]> r = rest("/v1/status/check", ADMIN);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode checks = json(r);
    assertThat(checks.path("Blob store default writable").path("healthy").asBoolean()).isTrue();
    assertThat(checks.path("Blob store default writable").path("details").path("availableSpaceInBytes").asLong())
        .isPositive();
    assertThat(checks.path("Proxy hub upstream").path("healthy").asBoolean()).isTrue();
    assertThat(checks.path("Proxy hub upstream").path("details").path("remoteUrl").asString())
        .isEqualTo(upstream.url().toString());
    assertThat(checks.path("Token signing key").path("healthy").asBoolean()).isTrue();
    assertThat(checks.path("Token signing key").path("message").asString()).contains("ES256");
    assertThat(checks.path("Token signing key").has("timestamp")).isTrue();
  }

  // ---------------------------------------------------------------- refusals

  @Test
  void script_isGone_forEveryMethod() {
    JsonNode list = assertNexusError(rest("/v1/script", ADMIN), 410, "GONE");
    assertThat(list.path("message").asString()).contains("scripts");
    assertNexusError(send(base, "POST", REST + "/v1/script", "{\"name\":\"x\",\"type\":\"groovy\",\"content\":\"\"}"
        .getBytes(), ADMIN), 410, "GONE");
    assertNexusError(send(base, "POST", REST + "/v1/script/create-repo/run", new byte[0], ADMIN), 410, "GONE");
  }

  @Test
  void unknownPaths_are404InNexusShape() {
    assertNexusError(rest("/v1/nothing-here", ADMIN), 404, "NOT_FOUND");
    assertNexusError(rest("/v2/whatever", ANONYMOUS), 404, "NOT_FOUND");
    assertNexusError(rest("", ANONYMOUS), 404, "NOT_FOUND");
    assertNexusError(rest("/v1/repositories/maven2/hosted/private", ADMIN), 404, "NOT_FOUND");
    assertNexusError(rest("/v1/repositories/docker/virtual/private", ADMIN), 404, "NOT_FOUND");
  }

  @Test
  void fileRepositories_areNotChangedByTheApi_409() {
    HttpResponse<byte[]> r = send(base, "DELETE", REST + "/v1/repositories/private", null, ADMIN);
    assertThat(assertNexusError(r, 409, "CONFLICT").path("message").asString())
        .contains("declared in the configuration file");
    assertNexusError(send(base, "POST", REST + "/v1/repositories", "{}".getBytes(), ADMIN), 405,
        "METHOD_NOT_ALLOWED");
    HttpResponse<byte[]> get = send(base, "GET", REST + "/v1/repositories/docker/hosted", null, ADMIN);
    assertNexusError(get, 405, "METHOD_NOT_ALLOWED");
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    assertThat(rest("/v1/repositories/private", ADMIN).statusCode()).isEqualTo(200); // still there
  }

  // ---------------------------------------------------------------- health

  @Test
  void health_liveAndReady_withoutCredentials() {
    HttpResponse<byte[]> live = get(base, "/health/live");
    assertThat(live.statusCode()).isEqualTo(200);
    assertThat(json(live).path("status").asString()).isEqualTo("UP");
    HttpResponse<byte[]> ready = get(base, "/health/ready");
    assertThat(ready.statusCode()).isEqualTo(200);
    assertThat(json(ready).path("status").asString()).isEqualTo("UP");
    assertThat(get(base, "/health/nothing").statusCode()).isEqualTo(404);
  }

  @Test
  void registryApi_isUnchanged() {
    // the management plane takes /service/rest and /health; /v2/ still answers with its own challenge
    HttpResponse<byte[]> r = get(base, "/v2/");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate").orElse("")).startsWith("Bearer realm=");
  }
}
