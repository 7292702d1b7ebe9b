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
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The operations endpoints over real HTTP against a secured server: blob stores with real counts
 * and quota status, the maintenance jobs as Nexus tasks (run, stop), the proxies' state and
 * invalidate-cache on both APIs, the cleanup preview, and the effective configuration with no
 * secret in it. Each is refused to anonymous callers (401) and non-administrators (403 or 404).
 *
 * <pre>
 * users (password: NAME-pw)  admin: *:* ; reader: read on docker-hosted
 * default   file store: docker-hosted (cleanup: tags old-*, the newest kept), limited (soft quota 1 KiB), hub (proxy, cache limits)
 * </pre>
 */
class OperationsApiTest {
  static {
    ManagementHttp.quietLogs();
  }

  static final String REST = "/service/rest";
  static final String API = "/wharf/api";
  static final String[] ADMIN = basic("admin", "admin-pw");
  static final String[] READER = basic("reader", "reader-pw");
  static final String UPSTREAM_PASSWORD = "up-s3cret-pw";
  static final String OUTBOUND_PASSWORD = "outbound-s3cret-pw";

  @TempDir static Path dir;
  static WharfServer upstream;
  static WharfServer server;
  static URI base;
  static String adminHash;

  @BeforeAll
  static void start() throws Exception {
    upstream = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, dir.resolve("upstream").toString())
        .withManagement(new WharfConfig.Management(new WharfConfig.Metrics(false, null))));
    adminHash = PasswordHashes.hash("admin-pw".toCharArray(), 4);
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA, minFree: 1MiB}
        http:
          proxy: {host: proxy.invalid, port: 3128, username: squid, password: OUTBOUND}
          nonProxyHosts: [127.0.0.1]
        security:
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
            - {name: reader, passwordHash: "READER", roles: [readers]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: readers, privileges: ["docker-hosted:read"]}
        repositories:
          - {name: docker-hosted, type: hosted, cleanup: {keepLatest: 1, include: "old-.*"}}
          - {name: limited, type: hosted, quota: {soft: 1KiB}}
          - {name: hub, type: proxy, remoteUrl: UPSTREAM, username: robot, password: UPPASSWORD, cache: {maxSize: 1GiB}}
          - {name: all, type: group, members: [docker-hosted, hub]}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("UPSTREAM", upstream.url().toString())
        .replace("UPPASSWORD", UPSTREAM_PASSWORD)
        .replace("OUTBOUND", OUTBOUND_PASSWORD)
        .replace("ADMIN", adminHash)
        .replace("READER", PasswordHashes.hash("reader-pw".toCharArray(), 4));
    server = WharfServer.start(ConfigLoader.parse(yaml, "operations-test.yaml"));
    base = server.url();
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      server.close();
    } finally {
      upstream.close();
    }
  }

  static HttpResponse<byte[]> rest(String method, String path, String... credentials) {
    return send(base, method, REST + path, method.equals("GET") ? null : new byte[0], credentials);
  }

  static HttpResponse<byte[]> api(String method, String path, String... credentials) {
    return send(base, method, API + path, method.equals("GET") ? null : new byte[0], credentials);
  }

  /** Blobs and their bytes under {@code blobs/} of the store, counted on disk. */
  static long[] onDisk() throws IOException {
    Path blobs = dir.resolve("data/docker/registry/v2/blobs");
    long[] out = new long[2];
    if (!Files.exists(blobs)) {
      return out;
    }
    try (Stream<Path> files = Files.walk(blobs)) {
      files.filter(p -> p.getFileName().toString().equals("data") && Files.isRegularFile(p)).forEach(p -> {
        out[0]++;
        try {
          out[1] += Files.size(p);
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    }
    return out;
  }

  /** Polls {@code /v1/tasks/{id}} until {@code done} holds (a generous deadline: the machine may be busy). */
  static JsonNode awaitTask(String id, Predicate<JsonNode> done) throws InterruptedException {
    long deadline = System.nanoTime() + 60_000_000_000L;
    JsonNode t;
    do {
      t = json(rest("GET", "/v1/tasks/" + id, ADMIN));
      if (done.test(t)) {
        return t;
      }
      Thread.sleep(50);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("task " + id + " did not get there: " + t);
  }

  // ---------------------------------------------------------------- blob stores

  @Test
  void blobStores_realCounts_refreshedByAMaintenanceRun_adminOnly() throws Exception {
    ManagementHttp.pushImage(base, "limited/team/app", "1.0", 3000, ADMIN);
    long[] disk = onDisk();
    JsonNode stores = json(rest("GET", "/v1/blobstores", ADMIN));
    assertThat(stores.size()).isEqualTo(1);
    JsonNode store = stores.get(0);
    assertThat(store.path("name").asString()).isEqualTo("default");
    assertThat(store.path("type").asString()).isEqualTo("File");
    assertThat(store.path("unavailable").asBoolean()).isFalse();
    assertThat(store.path("blobCount").asLong()).isEqualTo(disk[0]).isGreaterThanOrEqualTo(3);
    assertThat(store.path("totalSizeInBytes").asLong()).isEqualTo(disk[1]);
    assertThat(store.path("availableSpaceInBytes").asLong()).isPositive();
    assertThat(store.path("softQuota").path("type").asString()).isEqualTo("spaceRemainingQuota");
    assertThat(store.path("softQuota").path("limit").asLong()).isEqualTo(1); // MB

    // a push is counted after the next maintenance run (or a minute)
    ManagementHttp.pushImage(base, "limited/team/app", "1.1", 2000, ADMIN);
    assertThat(json(rest("GET", "/v1/blobstores", ADMIN)).get(0).path("blobCount").asLong()).isEqualTo(disk[0]);
    JsonNode before = json(rest("GET", "/v1/tasks/default.gc", ADMIN));
    assertThat(rest("POST", "/v1/tasks/default.gc/run", ADMIN).statusCode()).isEqualTo(204);
    awaitTask("default.gc", t -> !t.path("lastRun").isNull() && !t.path("lastRun").equals(before.path("lastRun"))
        && t.path("currentState").asString().equals("WAITING"));
    long[] now = onDisk();
    JsonNode after = json(rest("GET", "/v1/blobstores", ADMIN)).get(0);
    assertThat(after.path("blobCount").asLong()).isEqualTo(now[0]).isGreaterThan(disk[0]);
    assertThat(after.path("totalSizeInBytes").asLong()).isEqualTo(now[1]);

    assertNexusError(rest("GET", "/v1/blobstores", ANONYMOUS), 401, "UNAUTHORIZED");
    assertNexusError(rest("GET", "/v1/blobstores", READER), 403, "FORBIDDEN");
  }

  @Test
  void quotaStatus_repositoryOverItsSoftQuota_isAViolationNamingIt() {
    ManagementHttp.pushImage(base, "limited/team/quota", "1.0", 4000, ADMIN);
    JsonNode q = json(rest("GET", "/v1/blobstores/default/quota-status", ADMIN));
    assertThat(q.path("blobStoreName").asString()).isEqualTo("default");
    assertThat(q.path("isViolation").asBoolean()).isTrue();
    assertThat(q.path("message").asString()).contains("repository limited").contains("soft quota");
    assertNexusError(rest("GET", "/v1/blobstores/nope/quota-status", ADMIN), 404, "NOT_FOUND");
    assertNexusError(rest("GET", "/v1/blobstores/default/quota-status", READER), 403, "FORBIDDEN");
  }

  // ---------------------------------------------------------------- tasks

  @Test
  void tasks_onePerPartOfTheStoresJob_inNexusShape_filteredByType() {
    JsonNode page = json(rest("GET", "/v1/tasks", ADMIN));
    assertThat(page.has("continuationToken")).isTrue();
    assertThat(page.path("continuationToken").isNull()).isTrue();
    List<String> ids = new ArrayList<>();
    page.path("items").forEach(t -> ids.add(t.path("id").asString()));
    assertThat(ids).containsExactly("default.cleanup", "default.cache-eviction", "default.gc", "default.upload-purge");
    JsonNode cleanup = page.path("items").get(0);
    assertThat(cleanup.path("type").asString()).isEqualTo("repository.cleanup");
    assertThat(cleanup.path("name").asString()).contains("default");
    assertThat(cleanup.path("currentState").asString()).isIn("WAITING", "RUNNING");
    assertThat(cleanup.path("wharf").path("repositories").toString()).isEqualTo("[\"docker-hosted\"]");
    assertThat(cleanup.path("wharf").path("runsWith").toString()).contains("default.gc");
    assertThat(cleanup.has("nextRun")).isTrue();
    assertThat(cleanup.has("lastRunResult")).isTrue();

    JsonNode gc = json(rest("GET", "/v1/tasks?type=repository.docker.gc", ADMIN)).path("items");
    assertThat(gc.size()).isEqualTo(1);
    assertThat(gc.get(0).path("id").asString()).isEqualTo("default.gc");
    assertThat(json(rest("GET", "/v1/tasks?type=nope", ADMIN)).path("items").size()).isZero();
    assertNexusError(rest("GET", "/v1/tasks/nope", ADMIN), 404, "NOT_FOUND");
    assertNexusError(rest("POST", "/v1/tasks/nope/run", ADMIN), 404, "NOT_FOUND");
    assertNexusError(rest("GET", "/v1/tasks", READER), 403, "FORBIDDEN");
    assertNexusError(rest("POST", "/v1/tasks/default.gc/run", ANONYMOUS), 401, "UNAUTHORIZED");
    assertNexusError(rest("GET", "/v1/tasks/default.gc/run", ADMIN), 405, "METHOD_NOT_ALLOWED");
  }

  @Test
  void stop_whenIdle_is409() throws Exception {
    awaitTask("default.upload-purge", t -> t.path("currentState").asString().equals("WAITING"));
    JsonNode e = assertNexusError(rest("POST", "/v1/tasks/default.upload-purge/stop", ADMIN), 409, "CONFLICT");
    assertThat(e.path("message").asString()).contains("not running");
  }

  // ---------------------------------------------------------------- proxies

  @Test
  void proxyState_reachableCacheSizeAndCounts_invalidateCacheRevalidatesATag() throws Exception {
    ManagementHttp.Image v1 = ManagementHttp.pushImage(upstream.url(), "team/proxied", "2.0", 5000);
    assertThat(get(base, "/v2/hub/team/proxied/manifests/2.0", ADMIN).body()).isEqualTo(v1.manifest());
    byte[] layer = v1.blobs().get(1);
    assertThat(get(base, "/v2/hub/team/proxied/blobs/" + Digest.sha256(layer), ADMIN).body()).isEqualTo(layer);

    JsonNode hub = json(api("GET", "/v1/proxies/hub", ADMIN));
    assertThat(hub.path("remoteUrl").asString()).isEqualTo(upstream.url().toString());
    assertThat(hub.path("reachable").asBoolean()).isTrue();
    assertThat(hub.path("blocked").asBoolean()).isFalse();
    assertThat(hub.path("consecutiveFailures").asInt()).isZero();
    assertThat(hub.path("cacheSizeInBytes").asLong()).isGreaterThanOrEqualTo(layer.length);
    assertThat(hub.path("counts").path("misses").asLong()).isGreaterThanOrEqualTo(2);
    assertThat(hub.path("counts").path("hitRatio").isNumber()).isTrue();
    assertThat(json(api("GET", "/v1/proxies", ADMIN)).toString()).contains("\"name\":\"hub\"");
    assertThat(json(api("GET", "/v1/proxies", READER)).size()).as("the reader may not read hub").isZero();
    assertThat(api("GET", "/v1/proxies/hub", READER).statusCode()).isEqualTo(404);
    assertThat(api("GET", "/v1/proxies/docker-hosted", ADMIN).statusCode()).isEqualTo(404);

    // the upstream moves the tag: the proxy serves its fresh cached copy until invalidated
    ManagementHttp.Image v2 = ManagementHttp.pushImage(upstream.url(), "team/proxied", "2.0", 5000);
    assertThat(get(base, "/v2/hub/team/proxied/manifests/2.0", ADMIN).body()).isEqualTo(v1.manifest());
    assertNexusError(rest("POST", "/v1/repositories/hub/invalidate-cache", READER), 404, "NOT_FOUND");
    assertNexusError(rest("POST", "/v1/repositories/docker-hosted/invalidate-cache", ADMIN), 400, "BAD_REQUEST");
    HttpResponse<byte[]> invalidated = rest("POST", "/v1/repositories/hub/invalidate-cache", ADMIN);
    assertThat(invalidated.statusCode()).as(text(invalidated)).isEqualTo(204);
    assertThat(get(base, "/v2/hub/team/proxied/manifests/2.0", ADMIN).body()).isEqualTo(v2.manifest());

    // Wharf's face, through the group: names the proxies it invalidated
    JsonNode viaGroup = json(api("POST", "/v1/proxies/all/invalidate-cache", ADMIN));
    assertThat(viaGroup.path("invalidated").toString()).isEqualTo("[\"hub\"]");
  }

  // ---------------------------------------------------------------- cleanup preview

  @Test
  void cleanupPreview_listsWhatThePolicyWouldDelete_andDeletesNothing() {
    ManagementHttp.pushImage(base, "docker-hosted/team/app", "old-1", 1000, ADMIN);
    ManagementHttp.pushImage(base, "docker-hosted/team/app", "old-2", 1000, ADMIN); // newest (or, same second, last by name): kept
    ManagementHttp.pushImage(base, "docker-hosted/team/app", "keep-1", 1000, ADMIN);
    HttpResponse<byte[]> r = api("GET", "/v1/cleanup/preview?store=default", ADMIN);
    assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
    JsonNode store = json(r).path("stores").get(0);
    assertThat(store.path("store").asString()).isEqualTo("default");
    JsonNode cleanup = null;
    for (JsonNode s : store.path("steps")) {
      if (s.path("name").asString().equals("cleanup of docker-hosted")) {
        cleanup = s;
      }
    }
    assertThat(cleanup).as("%s", store).isNotNull();
    assertThat(cleanup.path("wouldRemove").toString()).contains("team/app:old-1").doesNotContain("old-2")
        .doesNotContain("keep-1");
    assertThat(cleanup.path("summary").asString()).contains("tags to delete 1");
    assertThat(store.path("garbage").path("bytes").isIntegralNumber()).isTrue();
    // nothing changed
    assertThat(text(get(base, "/v2/docker-hosted/team/app/tags/list", ADMIN))).contains("old-1", "keep-1");
    assertThat(api("GET", "/v1/cleanup/preview?store=nope", ADMIN).statusCode()).isEqualTo(404);
    assertThat(api("GET", "/v1/cleanup/preview", READER).statusCode()).isEqualTo(403);
  }

  // ---------------------------------------------------------------- effective configuration

  @Test
  void config_isTheEffectiveOne_withEverySecretRedacted() {
    HttpResponse<byte[]> r = api("GET", "/v1/config", ADMIN);
    assertThat(r.statusCode()).isEqualTo(200);
    String body = text(r);
    assertThat(body).doesNotContain(UPSTREAM_PASSWORD).doesNotContain(OUTBOUND_PASSWORD)
        .doesNotContain(adminHash).doesNotContain("$2");
    JsonNode c = json(r);
    assertThat(c.path("server").path("port").asInt()).isZero();
    assertThat(c.path("blobStores").path("default").path("minFree").asString()).isEqualTo("1MiB");
    assertThat(c.path("http").path("proxy").path("password").asString()).isEqualTo(EffectiveConfig.REDACTED);
    assertThat(c.path("http").path("proxy").path("username").asString()).isEqualTo("squid");
    assertThat(c.path("security").path("users").get(0).path("passwordHash").asString())
        .isEqualTo(EffectiveConfig.REDACTED);
    assertThat(c.path("security").path("users").get(0).path("name").asString()).isEqualTo("admin");
    assertThat(body).contains("\"remoteUrl\":\"" + upstream.url());
    assertThat(api("GET", "/v1/config", READER).statusCode()).isEqualTo(403);
    assertThat(api("GET", "/v1/config", ANONYMOUS).statusCode()).isEqualTo(401);
  }
}
