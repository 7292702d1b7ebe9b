package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.JSON;
import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.pushImage;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The events that are not about an artifact, end to end: a real receiver gets repository, user
 * and role changes made through the API, failed logins and a lockout, quota warnings and
 * refusals, what a maintenance run's cleanup and collection removed, and a proxy's upstream
 * blocked and unblocked, each with its fields and actor; CloudEvents endpoints get them by
 * default, distribution endpoints only when their filter names them; the audit trail finds each
 * by its action.
 */
class SystemEventsTest {
  static {
    ManagementHttp.quietLogs();
  }

  private static final String REST = "/service/rest";
  private static final String[] ADMIN = basic("admin", "admin-pw");

  @TempDir Path dir;

  private WharfServer start(String body) throws Exception {
    String yaml = ("""
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA, maintenance: {grace: 0s}}
        """ + body).replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN_HASH", PasswordHashes.hash("admin-pw".toCharArray(), 4));
    return WharfServer.start(ConfigLoader.parse(yaml, "system-events-test.yaml"));
  }

  private static String endpoint(String name, URI url, String extra) {
    return "    - {name: " + name + ", url: \"" + url + "\", backoff: 20ms, maxBackoff: 100ms" + extra + "}\n";
  }

  private static final String SECURITY = """
      security:
        realms: [basic]
        users:
          - {name: admin, passwordHash: "ADMIN_HASH", roles: [admins]}
        roles:
          - {name: admins, privileges: ["*:*"]}
      """;

  private static JsonNode ce(Receiver.Delivery d) {
    return JSON.readTree(d.body());
  }

  private static List<String> types(List<Receiver.Delivery> got) {
    return got.stream().map(d -> ce(d).get("type").asString()).toList();
  }

  private static JsonNode ofType(List<Receiver.Delivery> got, String type) {
    return got.stream().map(SystemEventsTest::ce).filter(e -> e.get("type").asString().equals(type)).findFirst()
        .orElseThrow(() -> new AssertionError("no " + type + " in " + types(got)));
  }

  private static HttpResponse<byte[]> rest(URI base, String method, String path, String body, String contentType) {
    return send(base, method, REST + path, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
        body == null ? ADMIN : new String[] {ADMIN[0], ADMIN[1], "Content-Type", contentType});
  }

  @Test
  void changesThroughTheApi_reachTheReceiver_withTheirActor_andTheAuditFindsThem() throws Exception {
    try (Receiver cloud = new Receiver(); Receiver plain = new Receiver(); Receiver repos = new Receiver();
        WharfServer server = start(SECURITY + """
            repositories:
              - {name: hosted, type: hosted}
              - {name: other, type: hosted}
            events:
              endpoints:
            """ + endpoint("cloud", cloud.url(), ", format: cloudevents")
            + endpoint("plain", plain.url(), "")
            + endpoint("repos", repos.url(), ", actions: [\"repository.*\", push]"))) {
      URI base = server.url();
      String hosted = RepositoryChangesTest.hosted("made", "ALLOW", null);
      HttpResponse<byte[]> r = rest(base, "POST", "/v1/repositories/docker/hosted", hosted, "application/json");
      assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
      r = rest(base, "PUT", "/v1/repositories/docker/hosted/made", hosted.replace("\"ALLOW\"", "\"ALLOW_ONCE\""),
          "application/json");
      assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
      r = rest(base, "POST", "/v1/security/roles", "{\"id\":\"pushers\",\"name\":\"pushers\",\"privileges\":"
          + "[\"nx-repository-view-docker-hosted-read\"],\"roles\":[]}", "application/json");
      assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
      r = rest(base, "PUT", "/v1/security/roles/pushers", "{\"id\":\"pushers\",\"name\":\"pushers\",\"privileges\":"
          + "[\"nx-repository-view-docker-hosted-read\",\"nx-repository-view-docker-hosted-add\"],\"roles\":[]}",
          "application/json");
      assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
      String user = "{\"userId\":\"bob\",\"firstName\":\"Bob\",\"lastName\":\"B\",\"emailAddress\":\"bob@example.com\","
          + "\"password\":\"bob-password-1\",\"status\":\"active\",\"roles\":[\"pushers\"]}";
      r = rest(base, "POST", "/v1/security/users", user, "application/json");
      assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
      r = rest(base, "PUT", "/v1/security/users/bob", user.replace("\"password\":\"bob-password-1\",", "")
          .replace("\"Bob\"", "\"Robert\""), "application/json");
      assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
      r = rest(base, "PUT", "/v1/security/users/bob/change-password", "bob-password-2", "text/plain");
      assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
      assertThat(rest(base, "DELETE", "/v1/security/users/bob", null, null).statusCode()).isEqualTo(204);
      assertThat(rest(base, "DELETE", "/v1/security/roles/pushers", null, null).statusCode()).isEqualTo(204);
      assertThat(rest(base, "DELETE", "/v1/repositories/made", null, null).statusCode()).isEqualTo(204);
      pushImage(base, "hosted/app", "1", 10, ADMIN); // an artifact event after them all

      List<String> expected = List.of("io.wharf.repository.created", "io.wharf.repository.changed",
          "io.wharf.role.created", "io.wharf.role.changed", "io.wharf.user.created", "io.wharf.user.changed",
          "io.wharf.user.changed", "io.wharf.user.deleted", "io.wharf.role.deleted", "io.wharf.repository.deleted",
          "io.wharf.artifact.pushed");
      List<Receiver.Delivery> got = cloud.await(x -> x.size() >= expected.size());
      assertThat(types(got)).containsExactlyElementsOf(expected);
      JsonNode created = ce(got.get(0));
      assertThat(created.get("source").asString()).endsWith("/repositories/made");
      assertThat(created.get("subject").asString()).isEqualTo("made");
      JsonNode data = created.get("data");
      assertThat(data.get("repository").asString()).isEqualTo("made");
      assertThat(data.get("type").asString()).isEqualTo("hosted");
      assertThat(data.get("actor").get("name").asString()).isEqualTo("admin");
      assertThat(data.get("actor").get("addr").asString()).isEqualTo("127.0.0.1");
      assertThat(data.get("actor").get("userAgent").asString()).startsWith("Java-http-client");
      JsonNode roleChanged = ce(got.get(3));
      assertThat(roleChanged.get("subject").asString()).isEqualTo("pushers");
      assertThat(roleChanged.get("data").get("privileges")).extracting(JsonNode::asString)
          .containsExactly("nx-repository-view-docker-hosted-read", "nx-repository-view-docker-hosted-add");
      JsonNode userCreated = ce(got.get(4)).get("data");
      assertThat(userCreated.get("user").asString()).isEqualTo("bob");
      assertThat(userCreated.get("roles")).extracting(JsonNode::asString).containsExactly("pushers");
      assertThat(string(cloud.received().get(4).body())).doesNotContain("bob-password");
      assertThat(ce(got.get(6)).get("data").get("passwordChanged").asBoolean()).isTrue();
      assertThat(ce(got.get(9)).get("data").get("type").asString()).isEqualTo("hosted");

      // distribution's receivers get only artifact events by default: the push alone
      List<Receiver.Delivery> pushOnly = plain.await(x -> x.size() >= 1);
      assertThat(pushOnly).extracting(d -> action(d)).containsExactly("push");
      // unless the filter names others: then in distribution's envelope, the fields under details
      List<Receiver.Delivery> repoEvents = repos.await(x -> x.size() >= 4);
      assertThat(repoEvents).extracting(d -> action(d))
          .containsExactly("repository.create", "repository.change", "repository.delete", "push");
      JsonNode e = JSON.readTree(repoEvents.get(0).body()).get("events").get(0);
      assertThat(repoEvents.get(0).header("Content-Type")).isEqualTo("application/vnd.docker.distribution.events.v2+json");
      assertThat(e.get("target").get("wharfRepository").asString()).isEqualTo("made");
      assertThat(e.get("target").has("repository")).as("no image: distribution's target.repository").isFalse();
      assertThat(e.get("details").get("type").asString()).isEqualTo("hosted");
      assertThat(e.get("actor").get("name").asString()).isEqualTo("admin");
      assertThat(e.get("request").get("addr").asString()).isEqualTo("127.0.0.1");

      // the audit trail: by action, with the actor; the repository's events under its name
      JsonNode users = json(get(base, "/wharf/api/v1/events?action=user.change", ADMIN)).get("items");
      assertThat(users).hasSize(2);
      assertThat(users.get(0).get("details").get("user").asString()).isEqualTo("bob");
      assertThat(users.get(0).get("actor").get("name").asString()).isEqualTo("admin");
      assertThat(json(get(base, "/wharf/api/v1/events?repository=made", ADMIN)).get("items"))
          .extracting(x -> x.get("action").asString())
          .containsExactly("repository.delete", "repository.change", "repository.create");
      HttpResponse<byte[]> bad = get(base, "/wharf/api/v1/events?action=user.explode", ADMIN);
      assertThat(bad.statusCode()).isEqualTo(400);
      assertThat(text(bad)).contains("quota.exceed").contains("login.lockout");
    }
  }

  private static String string(byte[] body) {
    return new String(body, StandardCharsets.UTF_8);
  }

  private static String action(Receiver.Delivery d) {
    return JSON.readTree(d.body()).get("events").get(0).get("action").asString();
  }

  @Test
  void failedLogins_andALockout_areEvents_theLockoutOnce() throws Exception {
    try (Receiver cloud = new Receiver();
        WharfServer server = start(SECURITY + """
              throttle: {maxFailures: 2, window: 1h, lockout: 1h}
            repositories:
              - {name: hosted, type: hosted}
            events:
              endpoints:
            """ + endpoint("cloud", cloud.url(), ", format: cloudevents, actions: [\"login.*\"]"))) {
      URI base = server.url();
      String[] wrong = basic("mallory", "guess");
      for (int i = 0; i < 2; i++) {
        assertThat(get(base, REST + "/v1/repositories", wrong).statusCode()).isEqualTo(401);
      }
      for (int i = 0; i < 3; i++) { // locked out: refused three times, told once
        assertThat(get(base, REST + "/v1/repositories", wrong).statusCode()).isEqualTo(429);
      }
      List<Receiver.Delivery> got = cloud.await(x -> x.size() >= 3);
      assertThat(types(got)).containsExactly("io.wharf.login.failed", "io.wharf.login.failed",
          "io.wharf.login.lockedout");
      JsonNode failed = ce(got.get(0));
      assertThat(failed.get("subject").asString()).isEqualTo("mallory");
      assertThat(failed.get("data").get("via").asString()).isEqualTo("basic");
      assertThat(failed.get("data").get("actor").get("name").asString()).isEqualTo("mallory");
      assertThat(failed.get("data").get("actor").get("addr").asString()).isEqualTo("127.0.0.1");
      assertThat(ce(got.get(2)).get("data").get("lockedUntil").asString()).isNotBlank();
      // the audit trail (written before each refusal answered) has the lockout once; asked on a fresh
      // node over the same store, as the administrator is locked out of this one too (same address)
      try (WharfServer again = start(SECURITY.replace("realms: [basic]", "realms: [basic]\n  throttle: {maxFailures: 50}")
          + "events: {audit: {enabled: true}}\n")) {
        JsonNode items = json(get(again.url(), "/wharf/api/v1/events?action=login.lockout", ADMIN)).get("items");
        assertThat(items).hasSize(1);
        assertThat(items.get(0).get("actor").get("name").asString()).isEqualTo("mallory");
        assertThat(json(get(again.url(), "/wharf/api/v1/events?action=login.fail", ADMIN)).get("items")).hasSize(2);
      }
    }
  }

  @Test
  void quota_warnsOnceWhenPassed_andEveryRefusalIsAnEvent() throws Exception {
    try (Receiver cloud = new Receiver();
        WharfServer server = start("""
            repositories:
              - {name: hosted, type: hosted, quota: {soft: 4KiB, hard: 64KiB}}
            events:
              endpoints:
            """ + endpoint("cloud", cloud.url(), ", format: cloudevents, actions: [\"quota.*\"]"))) {
      URI base = server.url();
      pushImage(base, "app", "1", 5000, "User-Agent", "pusher/1.0"); // over the soft limit
      pushImage(base, "app", "2", 1000); // still over: no second warning
      byte[] big = new byte[100_000];
      new Random().nextBytes(big);
      HttpResponse<byte[]> refused = send(base, "POST", "/v2/app/blobs/uploads/?digest=" + Digest.sha256(big), big,
          "Content-Type", MediaTypes.OCTET_STREAM, "User-Agent", "pusher/1.0");
      assertThat(refused.statusCode()).as(ManagementHttp.text(refused)).isEqualTo(403);

      List<Receiver.Delivery> got = cloud.await(x -> x.size() >= 2);
      assertThat(types(got)).containsExactly("io.wharf.quota.warned", "io.wharf.quota.exceeded");
      JsonNode warned = ce(got.get(0)).get("data");
      assertThat(warned.get("repository").asString()).isEqualTo("hosted");
      assertThat(warned.get("softLimitBytes").asLong()).isEqualTo(4096);
      assertThat(warned.get("hardLimitBytes").asLong()).isEqualTo(65536);
      assertThat(warned.get("usedBytes").asLong()).isGreaterThan(4096);
      assertThat(warned.get("actor").get("userAgent").asString()).isEqualTo("pusher/1.0");
      JsonNode exceeded = ce(got.get(1)).get("data");
      assertThat(exceeded.get("limitBytes").asLong()).isEqualTo(65536);
      assertThat(exceeded.get("pushBytes").asLong()).isEqualTo(big.length);
      assertThat(exceeded.get("message").asString()).contains("quota exceeded");
      assertThat(exceeded.get("actor").get("addr").asString()).isEqualTo("127.0.0.1");
      assertThat(cloud.received()).hasSize(2);
    }
  }

  @Test
  void aMaintenanceRun_tellsWhatCleanupAndCollectionRemoved() throws Exception {
    try (Receiver cloud = new Receiver();
        WharfServer server = start("""
            repositories:
              - {name: hosted, type: hosted, cleanup: {keepLatest: 1}}
            events:
              endpoints:
            """ + endpoint("cloud", cloud.url(), ", format: cloudevents, actions: [cleanup.complete, gc.complete]"))) {
      URI base = server.url();
      pushImage(base, "app", "old", 10);
      pushImage(base, "app", "new", 10);
      // a dry run removes nothing and tells nothing
      assertThat(send(base, "POST", "/wharf/api/v1/maintenance/default?wait=true&dryRun=true", new byte[0])
          .statusCode()).isEqualTo(200);
      HttpResponse<byte[]> run = send(base, "POST", "/wharf/api/v1/maintenance/default?wait=true", new byte[0]);
      assertThat(run.statusCode()).as(ManagementHttp.text(run)).isEqualTo(200);
      JsonNode report = json(run);

      List<Receiver.Delivery> got = cloud.await(x -> x.size() >= 2);
      assertThat(types(got)).containsExactly("io.wharf.cleanup.completed", "io.wharf.gc.completed");
      JsonNode cleanup = ce(got.get(0));
      assertThat(cleanup.get("subject").asString()).isEqualTo("hosted");
      assertThat(cleanup.get("data").get("repository").asString()).isEqualTo("hosted");
      assertThat(cleanup.get("data").get("store").asString()).isEqualTo("default");
      assertThat(cleanup.get("data").get("tagsDeleted").asLong()).isEqualTo(1);
      assertThat(cleanup.get("data").get("removed")).extracting(JsonNode::asString).containsExactly("app:old");
      assertThat(cleanup.get("data").has("actor")).as("the server did it").isFalse();
      JsonNode gc = ce(got.get(1));
      assertThat(gc.get("subject").asString()).isEqualTo("default");
      assertThat(gc.get("data").get("succeeded").asBoolean()).isTrue();
      assertThat(gc.get("data").get("blobsDeleted").asLong()).isEqualTo(report.path("gc").path("blobsDeleted").asLong());
      assertThat(gc.get("data").get("bytesDeleted").asLong()).isEqualTo(report.path("gc").path("bytesDeleted").asLong());
      assertThat(cloud.received()).hasSize(2);
    }
  }

  @Test
  void aProxysUpstream_blockedAndUnblocked_areEvents() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // nothing listens there until the upstream starts below
    }
    try (Receiver cloud = new Receiver();
        WharfServer server = start("""
            repositories:
              - name: hub
                type: proxy
                remoteUrl: http://127.0.0.1:PORT
                outbound: {retries: 0, timeout: 5s, autoBlock: {after: 1, initial: 50ms, max: 50ms}}
            events:
              endpoints:
            """.replace("PORT", String.valueOf(port)) + endpoint("cloud", cloud.url(), ", format: cloudevents"))) {
      URI base = server.url();
      assertThat(get(base, "/v2/library/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST).statusCode())
          .isGreaterThanOrEqualTo(500);
      JsonNode blocked = ofType(cloud.await(x -> x.size() >= 1), "io.wharf.proxy.blocked");
      assertThat(blocked.get("subject").asString()).isEqualTo("hub");
      assertThat(blocked.get("data").get("upstream").asString()).isEqualTo("127.0.0.1:" + port);
      assertThat(blocked.get("data").get("consecutiveFailures").asInt()).isEqualTo(1);
      assertThat(blocked.get("data").get("blockedUntil").asString()).isNotBlank();
      assertThat(blocked.get("data").get("lastError").asString()).isNotBlank();

      try (WharfServer upstream = WharfServer.start(WharfConfig.defaults()
          .override("127.0.0.1", port, dir.resolve("upstream").toString())
          .withManagement(new WharfConfig.Management(new WharfConfig.Metrics(false, null))))) {
        pushImage(upstream.url(), "library/app", "1", 10);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        // the block ends after 50 ms; the next pull probes the upstream and succeeds
        while (get(base, "/v2/library/app/manifests/1", "Accept", MediaTypes.OCI_MANIFEST).statusCode() != 200) {
          assertThat(System.nanoTime()).as("the proxy answers within 60 s").isLessThan(deadline);
          Thread.sleep(20); // polling for a condition, not waiting for time to pass
        }
        List<Receiver.Delivery> got = cloud.await(x -> types(x).contains("io.wharf.proxy.unblocked"));
        assertThat(types(got)).containsSubsequence("io.wharf.proxy.blocked", "io.wharf.proxy.unblocked");
        assertThat(types(got)).filteredOn(t -> t.startsWith("io.wharf.proxy.")).hasSize(2);
        JsonNode unblocked = ofType(got, "io.wharf.proxy.unblocked");
        assertThat(unblocked.get("data").get("repository").asString()).isEqualTo("hub");
        assertThat(unblocked.get("data").get("upstream").asString()).isEqualTo("127.0.0.1:" + port);
      }
    }
  }
}
