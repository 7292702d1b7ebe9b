package io.wharf.server.sync;

import static io.wharf.server.admin.AdminServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.repository.HostedRepository;
import io.wharf.server.WharfServer;
import io.wharf.server.admin.AdminServerFixture;
import io.wharf.storage.memory.InMemoryDriver;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Pull rules and credentials created, changed and deleted through the management API, over HTTP:
 * a rule made with a schedule runs without a restart and copies, a changed or deleted one stops
 * being scheduled, the API's rules show beside the file's, every node on the store sees them and a
 * restart keeps them; bad input is refused naming the field and changes nothing; a password is
 * never shown; administrators only.
 */
class SyncRuleChangesTest {
  private static final String PASSWORD = "api-password-never-shown-0123";
  private static final String RULES = "/wharf/api/v1/repositories/mirror/sync";
  private static final String CREDENTIALS = "/wharf/api/v1/credentials";

  @TempDir Path dir;
  AdminServerFixture servers;
  HostedRepository upstream;
  WharfServer source;

  @BeforeEach
  void source() throws Exception {
    servers = new AdminServerFixture(dir, "mirror");
    upstream = HostedRepository.builder("upstream", new InMemoryDriver()).build();
    SourceImages images = new SourceImages(upstream);
    images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 2000);
    images.image("other/tool", "1", "linux/amd64", Instant.parse("2026-01-02T00:00:00Z"), 10);
    source = SyncTestServers.serve(upstream);
  }

  @AfterEach
  void stopSource() throws Exception {
    source.close();
  }

  /** A server on {@code dir/data} whose file declares rule {@code pinned} and credentials {@code file-cred}. */
  WharfServer start() throws Exception {
    return servers.start("""
        credentials:
          - {name: file-cred, username: bot, password: file-password-never-shown}
        repositories:
          - name: mirror
            sync:
              - {name: pinned, source: {url: "SOURCE"}, content: [{names: [other/tool]}]}
          - {name: cache, type: proxy, remoteUrl: "SOURCE"}
        """.replace("SOURCE", source.url().toString()), "sync-rule-changes-test.yaml");
  }

  String rule(String name, String extra) {
    return "{\"name\":\"" + name + "\",\"source\":{\"url\":\"" + source.url() + "\"},\"content\":[{\"names\":"
        + "[\"team/app\"]}]" + extra + "}";
  }

  /** Waits (generously: a loaded machine) until {@code rule} has a finished run. */
  JsonNode awaitRun(WharfServer server, String rule) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      JsonNode r = json(servers.call(server, "GET", RULES + "/" + rule, null));
      if (r.hasNonNull("last") && r.get("last").hasNonNull("finished")) {
        return r;
      }
      assertThat(System.nanoTime()).as("a run of %s ended", rule).isLessThan(deadline);
      Thread.sleep(50); // a poll interval; the deadline above is what bounds the wait
    }
  }

  @Test
  void createdRule_withASchedule_runsWithoutARestart_changedAndDeletedStopBeingScheduled() throws Exception {
    try (WharfServer server = start()) {
      HttpResponse<String> r = servers.call(server, "POST", CREDENTIALS,
          "{\"name\":\"api-cred\",\"username\":\"wharfbot\",\"password\":\"" + PASSWORD + "\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      assertThat(r.headers().firstValue("Location")).hasValue(server.url() + CREDENTIALS + "/api-cred");
      assertThat(r.body()).doesNotContain(PASSWORD);
      assertThat(json(r).get("source").asString()).isEqualTo("api");

      r = servers.call(server, "POST", RULES, rule("team", ",\"schedule\":\"every 1s\"").replace("\"url\":",
          "\"credentials\":\"api-cred\",\"url\":"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      assertThat(r.headers().firstValue("Location")).hasValue(server.url() + RULES + "/team");
      assertThat(json(r).get("origin").asString()).isEqualTo("api");
      assertThat(json(r).get("next").isNull()).as("scheduled at once").isFalse();

      // the schedule runs it: copied, no restart
      JsonNode ran = awaitRun(server, "team");
      assertThat(ran.get("last").get("state").asString()).as(ran.toString()).isEqualTo("SUCCEEDED");
      assertThat(servers.call(server, "GET", "/v2/team/app/tags/list", null).body()).contains("1.0");

      // listed beside the file's rule; the credentials show where they are used, never a password
      JsonNode all = json(servers.call(server, "GET", RULES, null));
      assertThat(all.get("rules")).extracting(x -> x.get("rule").asString() + ":" + x.get("origin").asString())
          .containsExactly("pinned:file", "team:api");
      JsonNode creds = json(servers.call(server, "GET", CREDENTIALS, null));
      assertThat(creds).extracting(x -> x.get("name").asString() + ":" + x.get("source").asString())
          .containsExactly("file-cred:file", "api-cred:api");
      assertThat(creds.get(1).get("usedBy").get(0).asString()).isEqualTo("mirror/team");
      for (String path : List.of(CREDENTIALS, CREDENTIALS + "/api-cred", "/wharf/api/v1/config", RULES)) {
        HttpResponse<String> read = servers.call(server, "GET", path, null);
        assertThat(read.statusCode()).as(path + read.body()).isEqualTo(200);
        assertThat(read.body()).as(path).doesNotContain(PASSWORD).doesNotContain("file-password-never-shown");
      }
      assertThat(servers.call(server, "GET", "/wharf/api/v1/config", null).body()).contains("api-cred").contains("team");

      // a credential a rule uses cannot go
      r = servers.call(server, "DELETE", CREDENTIALS + "/api-cred", null);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
      assertThat(r.body()).contains("mirror/team");

      // without a schedule: no longer scheduled
      r = servers.call(server, "PUT", RULES + "/team", rule("team", ""));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(json(r).get("next").isNull()).isTrue();
      assertThat(json(r).get("schedule").isNull()).isTrue();
      r = servers.call(server, "PUT", RULES + "/team", rule("team", ",\"schedule\":\"@daily\""));
      assertThat(json(r).get("next").isNull()).isFalse();

      // deleted: gone, and its schedule with it (the same name made again has none)
      assertThat(servers.call(server, "DELETE", RULES + "/team", null).statusCode()).isEqualTo(204);
      assertThat(servers.call(server, "GET", RULES + "/team", null).statusCode()).isEqualTo(404);
      r = servers.call(server, "POST", RULES, rule("team", ""));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      assertThat(json(r).get("next").isNull()).isTrue();

      // the password is write-only: a change without it keeps it
      r = servers.call(server, "PUT", CREDENTIALS + "/api-cred", "{\"username\":\"other\"}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(Files.readString(servers.settings("sync-credentials"))).contains(PASSWORD).contains("other");
      assertThat(servers.call(server, "DELETE", CREDENTIALS + "/api-cred", null).statusCode()).isEqualTo(204);
      assertThat(servers.call(server, "GET", CREDENTIALS + "/api-cred", null).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void twoNodesOnOneStore_seeEachOthersRules_andARestartKeepsThem() throws Exception {
    try (WharfServer a = start(); WharfServer b = start()) {
      assertThat(servers.call(a, "POST", CREDENTIALS, "{\"name\":\"c\",\"username\":\"u\",\"password\":\"p\"}").statusCode())
          .isEqualTo(201);
      assertThat(servers.call(a, "POST", RULES, rule("shared", "").replace("\"url\":", "\"credentials\":\"c\",\"url\":"))
          .statusCode()).isEqualTo(201);
      assertThat(json(servers.call(b, "GET", RULES, null)).get("rules")).extracting(x -> x.get("rule").asString())
          .containsExactly("pinned", "shared");
      assertThat(json(servers.call(b, "GET", CREDENTIALS, null))).extracting(x -> x.get("name").asString())
          .containsExactly("file-cred", "c");
      // run on b: it knows the rule and its credentials
      assertThat(servers.call(b, "POST", RULES + "/shared/run", null).statusCode()).isEqualTo(202);
      assertThat(awaitRun(b, "shared").get("last").get("state").asString()).isEqualTo("SUCCEEDED");
      assertThat(servers.call(b, "DELETE", RULES + "/shared", null).statusCode()).isEqualTo(204);
      assertThat(servers.call(a, "GET", RULES + "/shared", null).statusCode()).isEqualTo(404);
      assertThat(servers.call(a, "POST", RULES, rule("kept", "")).statusCode()).isEqualTo(201);
    }
    try (WharfServer again = start()) {
      assertThat(json(servers.call(again, "GET", RULES, null)).get("rules")).extracting(x -> x.get("rule").asString())
          .containsExactly("pinned", "kept");
    }
  }

  @Test
  void badInput_isRefusedNamingTheField_andNothingIsKept() throws Exception {
    try (WharfServer server = start()) {
      record Bad(String path, String body, int status, String field, String says) {}
      String url = source.url().toString();
      List<Bad> bad = List.of(
          new Bad(RULES, rule("x", "").replace(url, "ftp://x.io"), 400, "source.url", "not an http(s) URL"),
          new Bad(RULES, rule("x", ",\"schedule\":\"at noon\""), 400, "schedule", "noon"),
          new Bad(RULES, rule("x", "").replace("\"names\"", "\"tags\":{\"semver\":\">=banana\"},\"names\""), 400,
              "content[0].tags.semver", "banana"),
          new Bad(RULES, rule("x", "").replace("\"names\"", "\"tag\":{},\"names\""), 400, "content[0].tag",
              "unknown field"),
          new Bad(RULES, rule("x", ",\"every\":1"), 400, "every", "unknown field"),
          new Bad(RULES, rule("x", "").replace("\"url\":", "\"credentials\":\"nope\",\"url\":"), 400,
              "source.credentials", "no credentials entry named \"nope\""),
          new Bad(RULES, rule("x", "").replace("\"content\":[{\"names\":[\"team/app\"]}]", "\"content\":[]"), 400,
              "content", "at least one entry"),
          new Bad(RULES, rule("Bad Name", ""), 400, "name", "is invalid"),
          new Bad(RULES, rule("x", "").replace("{\"url\":\"" + url + "\"}", "{\"repository\":\"mirror\"}"), 400,
              "source.repository", "into itself"),
          new Bad(RULES, "[1]", 400, "*", "an object is required"),
          new Bad(RULES, rule("pinned", ""), 409, null, "configuration file"),
          new Bad("/wharf/api/v1/repositories/cache/sync", rule("x", ""), 400, "source", "leave source out"),
          new Bad("/wharf/api/v1/repositories/nowhere/sync", rule("x", ""), 404, null, "nowhere"),
          new Bad(CREDENTIALS, "{\"name\":\"c\",\"password\":\"p\"}", 400, "username", "missing"),
          new Bad(CREDENTIALS, "{\"name\":\"c\",\"username\":\"u\"}", 400, "*", "either password or passwordFile"),
          new Bad(CREDENTIALS, "{\"name\":\"c\",\"username\":\"u\",\"password\":\"p\",\"passwordFile\":\"/f\"}", 400,
              "*", "either password or passwordFile"),
          new Bad(CREDENTIALS, "{\"username\":\"u\",\"password\":\"p\"}", 400, "name", "missing"),
          new Bad(CREDENTIALS, "{\"name\":\"c\",\"username\":\"u\",\"pw\":\"p\"}", 400, "pw", "unknown field"),
          new Bad(CREDENTIALS, "{\"name\":\"file-cred\",\"username\":\"u\",\"password\":\"p\"}", 409, null,
              "configuration file"));
      for (Bad x : bad) {
        HttpResponse<String> r = servers.call(server, "POST", x.path(), x.body());
        assertThat(r.statusCode()).as(x.body() + " -> " + r.body()).isEqualTo(x.status());
        assertThat(json(r).get("message").asString()).as(x.body()).contains(x.says());
        if (x.field() != null) {
          assertThat(json(r).get("fields").get(0).get("id").asString()).as(x.body() + " -> " + r.body())
              .isEqualTo(x.field());
        }
        assertThat(r.body()).doesNotContain("\"p\"");
      }
      assertThat(servers.settings("sync-rules")).doesNotExist();
      assertThat(servers.settings("sync-credentials")).doesNotExist();

      // the file's entries are pinned; a taken name is a conflict; unknown ones are 404
      assertThat(servers.call(server, "PUT", RULES + "/pinned", rule("pinned", "")).statusCode()).isEqualTo(409);
      assertThat(servers.call(server, "DELETE", RULES + "/pinned", null).statusCode()).isEqualTo(409);
      assertThat(servers.call(server, "PUT", CREDENTIALS + "/file-cred", "{\"username\":\"u\"}").statusCode()).isEqualTo(409);
      assertThat(servers.call(server, "DELETE", CREDENTIALS + "/file-cred", null).statusCode()).isEqualTo(409);
      assertThat(servers.call(server, "POST", RULES, rule("good", "")).statusCode()).isEqualTo(201);
      String stored = Files.readString(servers.settings("sync-rules"));
      HttpResponse<String> r = servers.call(server, "POST", RULES, rule("good", ""));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
      assertThat(r.body()).contains("already");
      r = servers.call(server, "PUT", RULES + "/good", rule("renamed", ""));
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(json(r).get("fields").get(0).get("id").asString()).isEqualTo("name");
      assertThat(servers.call(server, "PUT", RULES + "/none", rule("none", "")).statusCode()).isEqualTo(404);
      assertThat(servers.call(server, "DELETE", RULES + "/none", null).statusCode()).isEqualTo(404);
      assertThat(servers.call(server, "DELETE", CREDENTIALS + "/none", null).statusCode()).isEqualTo(404);

      // administrators only
      assertThat(servers.call(server, "POST", RULES, rule("mine", ""), AdminServerFixture.READER_LOGIN).statusCode()).isEqualTo(403);
      assertThat(servers.call(server, "DELETE", RULES + "/good", null, AdminServerFixture.READER_LOGIN).statusCode()).isEqualTo(403);
      assertThat(servers.call(server, "GET", CREDENTIALS, null, AdminServerFixture.READER_LOGIN).statusCode()).isEqualTo(403);
      assertThat(servers.call(server, "POST", CREDENTIALS, "{\"name\":\"c\",\"username\":\"u\",\"password\":\"p\"}", null)
          .statusCode()).isEqualTo(401);
      assertThat(Files.readString(servers.settings("sync-rules"))).as("refused calls change nothing").isEqualTo(stored);
      assertThat(servers.call(server, "GET", RULES, null, AdminServerFixture.READER_LOGIN).statusCode()).as("reading stays with read").isEqualTo(200);
    }
  }
}
