package io.wharf.server.sync;

import static io.wharf.server.admin.AdminServerFixture.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.server.WharfServer;
import io.wharf.server.admin.AdminServerFixture;
import io.wharf.storage.memory.InMemoryDriver;
import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Push rules created, changed and deleted through the management API, over HTTP, with a second
 * Wharf server as the remote: a rule made through the API copies the next push without a restart,
 * a changed one copies to where it says now, a deleted one copies no more; the API's rules show
 * beside the file's with their origin; a second node on the same storage sees them and copies its
 * pushes by them; bad input is refused naming the field and stores nothing; administrators only.
 */
class ReplicationRuleChangesTest {
  private static final String RULES = "/wharf/api/v1/repositories/releases/replication";
  private static final Duration PATIENCE = Duration.ofMinutes(2); // a loaded machine; conditions end the waits

  @TempDir Path dir;
  HostedRepository remote;
  WharfServer remoteServer;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();
  final RegistryPushes pushes = new RegistryPushes(http,
      "Basic " + Base64.getEncoder().encodeToString(AdminServerFixture.ADMIN_LOGIN.getBytes(StandardCharsets.UTF_8)));

  AdminServerFixture servers;

  @BeforeEach
  void remote() throws Exception {
    servers = new AdminServerFixture(dir, "releases");
    remote = HostedRepository.builder("remote", new InMemoryDriver()).build();
    remoteServer = SyncTestServers.serve(remote);
  }

  @AfterEach
  void stopRemote() throws Exception {
    remoteServer.close();
  }

  /** A server on {@code dir/data} whose file declares push rule {@code pinned} (to {@code pinned/...}). */
  WharfServer start() throws Exception {
    return servers.start("""
        credentials:
          - {name: file-cred, username: bot, password: file-password}
        repositories:
          - name: releases
            replication:
              - {name: pinned, target: {url: "REMOTE"}, content: [{names: ["team/*"], destination: pinned}]}
          - {name: cache, type: proxy, remoteUrl: "REMOTE"}
        """.replace("REMOTE", remoteServer.url().toString()), "replication-rule-changes.yaml");
  }

  /** A push rule copying {@code team/*} to {@code destination/...} at the remote. */
  String rule(String name, String destination, String extra) {
    return "{\"name\":\"" + name + "\",\"target\":{\"url\":\"" + remoteServer.url() + "\"},\"content\":[{\"names\":"
        + "[\"team/*\"],\"destination\":\"" + destination + "\"}]" + extra + "}";
  }

  Optional<Digest> remoteTag(String image, String tag) throws Exception {
    return remote.getManifest(ImageName.of(image), Tag.of(tag)).map(Manifest::digest);
  }

  void await(String what, ReplicationApiTest.Check condition) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.test()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(25); // a poll interval; the deadline bounds the wait
    }
  }

  /** Pushes a small image (a config and one layer) through {@code server}'s registry API as the admin. */
  Digest push(WharfServer server, String image, String tag) throws Exception {
    return pushes.push(server.url(), image, tag);
  }

  Path settings(String subject) {
    return servers.settings(subject);
  }

  @Test
  void createdRule_copiesThePushes_changedCopiesWhereItSaysNow_deletedCopiesNoMore() throws Exception {
    try (WharfServer server = start()) {
      HttpResponse<String> r = servers.call(server, "POST", RULES, rule("dr", "dr", ",\"schedule\":\"@daily\","
          + "\"limits\":{\"concurrency\":2,\"bandwidth\":\"50MB/s\"}"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      assertThat(r.headers().firstValue("Location")).hasValue(server.url() + RULES + "/dr");
      assertThat(json(r).get("origin").asString()).isEqualTo("api");
      assertThat(json(r).get("onPush").asBoolean()).isTrue();
      assertThat(json(r).get("next").isNull()).as("its schedule is followed at once").isFalse();
      assertThat(Files.readString(settings("replication-rules"))).contains("\"dr\"").contains("50MB/s");

      // listed after the file's rule, each with its origin
      JsonNode all = json(servers.call(server, "GET", RULES, null));
      assertThat(all.get("rules")).extracting(x -> x.get("rule").asString() + ":" + x.get("origin").asString())
          .containsExactly("pinned:file", "dr:api");

      // a push is copied by it, without a restart, digest intact
      Digest first = push(server, "team/app", "1.0");
      await("dr/team/app:1.0 at the remote", () -> remoteTag("dr/team/app", "1.0").isPresent());
      assertThat(remoteTag("dr/team/app", "1.0")).contains(first);

      // changed: the next push goes where it says now, and no longer where it said
      r = servers.call(server, "PUT", RULES + "/dr", "{\"target\":{\"url\":\"" + remoteServer.url() + "\"},\"content\":"
          + "[{\"names\":[\"team/*\"],\"destination\":\"moved\"}]}");
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      assertThat(json(r).get("next").isNull()).as("no schedule now").isTrue();
      Digest second = push(server, "team/app", "2.0");
      await("moved/team/app:2.0 at the remote", () -> remoteTag("moved/team/app", "2.0").isPresent());
      assertThat(remoteTag("moved/team/app", "2.0")).contains(second);
      await("pinned/team/app:2.0 at the remote", () -> remoteTag("pinned/team/app", "2.0").isPresent());
      assertThat(remoteTag("dr/team/app", "2.0")).isEmpty();

      // a reconcile on demand copies what the rule selects and the remote misses
      r = servers.call(server, "POST", RULES + "/dr/run", null);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
      await("moved/team/app:1.0 at the remote", () -> remoteTag("moved/team/app", "1.0").isPresent());

      // deleted: gone from the API and the document, and the next push is not copied by it (the
      // file's rule, handling the same push, shows when it was handled)
      assertThat(servers.call(server, "DELETE", RULES + "/dr", null).statusCode()).isEqualTo(204);
      assertThat(servers.call(server, "GET", RULES + "/dr", null).statusCode()).isEqualTo(404);
      assertThat(Files.readString(settings("replication-rules"))).doesNotContain("\"dr\"");
      push(server, "team/app", "3.0");
      await("pinned/team/app:3.0 at the remote", () -> remoteTag("pinned/team/app", "3.0").isPresent());
      assertThat(remoteTag("moved/team/app", "3.0")).isEmpty();
      assertThat(json(servers.call(server, "GET", RULES, null)).get("rules")).extracting(x -> x.get("rule").asString())
          .containsExactly("pinned");
    }
  }

  @Test
  void secondNodeOnTheStore_seesTheRule_andCopiesItsPushesByIt() throws Exception {
    try (WharfServer a = start(); WharfServer b = start()) {
      assertThat(servers.call(a, "POST", RULES, rule("shared", "shared", "")).statusCode()).isEqualTo(201);
      JsonNode seen = json(servers.call(b, "GET", RULES + "/shared", null));
      assertThat(seen.get("origin").asString()).isEqualTo("api");
      Digest pushed = push(b, "team/tool", "1");
      await("shared/team/tool:1 at the remote", () -> remoteTag("shared/team/tool", "1").isPresent());
      assertThat(remoteTag("shared/team/tool", "1")).contains(pushed);
      // deleted on b: a no longer has it either
      assertThat(servers.call(b, "DELETE", RULES + "/shared", null).statusCode()).isEqualTo(204);
      assertThat(servers.call(a, "GET", RULES + "/shared", null).statusCode()).isEqualTo(404);
    }
    try (WharfServer again = start()) {
      assertThat(json(servers.call(again, "GET", RULES, null)).get("rules")).extracting(x -> x.get("rule").asString())
          .containsExactly("pinned");
    }
  }

  @Test
  void badInput_isRefusedNamingTheField_andNothingIsKept() throws Exception {
    try (WharfServer server = start()) {
      record Bad(String path, String body, int status, String field, String says) {}
      String url = remoteServer.url().toString();
      List<Bad> bad = List.of(
          new Bad(RULES, rule("x", "x", "").replace(url, "ftp://x.io"), 400, "target.url", "not an http(s) URL"),
          new Bad(RULES, "{\"name\":\"x\",\"content\":[{\"names\":[\"team/*\"]}]}", 400, "target", "missing"),
          new Bad(RULES, rule("x", "x", "").replace("\"url\":", "\"credentials\":\"nope\",\"url\":"), 400,
              "target.credentials", "no credentials entry named \"nope\""),
          new Bad(RULES, rule("x", "x", ",\"schedule\":\"at noon\""), 400, "schedule", "noon"),
          new Bad(RULES, rule("x", "x", ",\"limits\":{\"concurrency\":0}"), 400, "limits.concurrency",
              "is not from 1 to"),
          new Bad(RULES, rule("x", "x", ",\"limits\":{\"bandwidth\":\"fast\"}"), 400, "limits.bandwidth", "no rate"),
          new Bad(RULES, rule("x", "x", ",\"every\":1"), 400, "every", "unknown field"),
          new Bad(RULES, rule("x", "x", "").replace("\"content\":[{\"names\":[\"team/*\"],\"destination\":\"x\"}]",
              "\"content\":[]"), 400, "content", "at least one entry"),
          new Bad(RULES, rule("x", "x", "").replace("\"names\"", "\"tags\":{\"include\":\"(\"},\"names\""), 400,
              "content[0].tags.include", ""),
          new Bad(RULES, rule("Bad Name", "x", ""), 400, "name", "is invalid"),
          new Bad(RULES, "[1]", 400, "*", "an object is required"),
          new Bad(RULES, rule("pinned", "x", ""), 409, null, "configuration file"),
          new Bad("/wharf/api/v1/repositories/cache/replication", rule("x", "x", ""), 400, "*",
              "cache is a proxy repository"),
          new Bad("/wharf/api/v1/repositories/nowhere/replication", rule("x", "x", ""), 404, null, "nowhere"));
      for (Bad x : bad) {
        HttpResponse<String> r = servers.call(server, "POST", x.path(), x.body());
        assertThat(r.statusCode()).as(x.body() + " -> " + r.body()).isEqualTo(x.status());
        assertThat(json(r).get("message").asString()).as(x.body()).contains(x.says());
        if (x.field() != null) {
          assertThat(json(r).get("fields").get(0).get("id").asString()).as(x.body() + " -> " + r.body())
              .startsWith(x.field());
        }
      }
      assertThat(settings("replication-rules")).as("refused rules are not stored").doesNotExist();
      assertThat(json(servers.call(server, "GET", RULES, null)).get("rules")).extracting(x -> x.get("rule").asString())
          .containsExactly("pinned");

      // the file's rule is pinned; a taken name is a conflict; unknown ones are 404
      assertThat(servers.call(server, "PUT", RULES + "/pinned", rule("pinned", "x", "")).statusCode()).isEqualTo(409);
      assertThat(servers.call(server, "DELETE", RULES + "/pinned", null).statusCode()).isEqualTo(409);
      assertThat(servers.call(server, "POST", RULES, rule("good", "good", "")).statusCode()).isEqualTo(201);
      String stored = Files.readString(settings("replication-rules"));
      HttpResponse<String> r = servers.call(server, "POST", RULES, rule("good", "good", ""));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
      assertThat(r.body()).contains("already");
      r = servers.call(server, "PUT", RULES + "/good", rule("renamed", "good", ""));
      assertThat(r.statusCode()).isEqualTo(400);
      assertThat(json(r).get("fields").get(0).get("id").asString()).isEqualTo("name");
      r = servers.call(server, "PUT", RULES + "/good", rule("good", "good", ",\"limits\":{\"concurrency\":99}"));
      assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
      assertThat(json(r).get("fields").get(0).get("id").asString()).isEqualTo("limits.concurrency");
      assertThat(servers.call(server, "PUT", RULES + "/none", rule("none", "x", "")).statusCode()).isEqualTo(404);
      assertThat(servers.call(server, "DELETE", RULES + "/none", null).statusCode()).isEqualTo(404);

      // a credential a push rule uses cannot go
      assertThat(servers.call(server, "POST", "/wharf/api/v1/credentials",
          "{\"name\":\"c\",\"username\":\"u\",\"password\":\"p\"}").statusCode()).isEqualTo(201);
      assertThat(servers.call(server, "POST", RULES, rule("authed", "authed", "").replace("\"url\":",
          "\"credentials\":\"c\",\"url\":")).statusCode()).isEqualTo(201);
      r = servers.call(server, "DELETE", "/wharf/api/v1/credentials/c", null);
      assertThat(r.statusCode()).as(r.body()).isEqualTo(409);
      assertThat(r.body()).contains("releases/replication/authed");
      assertThat(servers.call(server, "DELETE", RULES + "/authed", null).statusCode()).isEqualTo(204);
      stored = Files.readString(settings("replication-rules"));

      // administrators only; reading stays with read
      assertThat(servers.call(server, "POST", RULES, rule("mine", "x", ""), AdminServerFixture.READER_LOGIN).statusCode()).isEqualTo(403);
      assertThat(servers.call(server, "PUT", RULES + "/good", rule("good", "y", ""), AdminServerFixture.READER_LOGIN).statusCode()).isEqualTo(403);
      assertThat(servers.call(server, "DELETE", RULES + "/good", null, AdminServerFixture.READER_LOGIN).statusCode()).isEqualTo(403);
      assertThat(servers.call(server, "POST", RULES, rule("anon", "x", ""), null).statusCode())
          .as("the repository is hidden from an anonymous caller").isEqualTo(404);
      assertThat(Files.readString(settings("replication-rules"))).as("refused calls change nothing").isEqualTo(stored);
      assertThat(servers.call(server, "GET", RULES, null, AdminServerFixture.READER_LOGIN).statusCode()).isEqualTo(200);
    }
  }
}
