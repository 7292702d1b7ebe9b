package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.JSON;
import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.pushImage;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Webhook endpoints created, changed and deleted through the management API, over HTTP with a
 * real receiver: they deliver at once (signed with their secret), a changed filter holds for the
 * next push, a deleted endpoint gets nothing more and its waiting events are dropped, they survive
 * a restart and are seen by every node on the store; bad input changes nothing; the secret and
 * header values are never shown.
 */
class EventEndpointChangesTest {
  static {
    ManagementHttp.quietLogs();
  }

  private static final String API = "/wharf/api/v1/events/endpoints";
  private static final String[] ADMIN = basic(AdminServerFixture.ADMIN, AdminServerFixture.ADMIN_PASSWORD);
  private static final String[] READER = basic(AdminServerFixture.READER, AdminServerFixture.READER_PASSWORD);
  private static final String SECRET = "api-secret-for-the-hmac-0123";
  private static final String HEADER_VALUE = "Bearer api-receiver-token-never-shown";
  @TempDir Path dir;
  AdminServerFixture servers;

  @BeforeEach
  void servers() {
    servers = new AdminServerFixture(dir, "hosted");
  }

  /** A server whose file declares endpoint {@code watch} (every push) at {@code watch}. */
  private WharfServer start(URI watch) throws Exception {
    return servers.start("""
        repositories:
          - {name: hosted, type: hosted}
          - {name: other, type: hosted}
        events:
          endpoints:
            - {name: watch, url: "%s", backoff: 20ms, maxBackoff: 100ms}
        """.formatted(watch), "event-endpoint-changes-test.yaml");
  }

  private static String body(String name, URI url, String extra) {
    return "{\"name\":\"" + name + "\",\"url\":\"" + url + "\",\"backoff\":\"20ms\",\"maxBackoff\":\"100ms\"" + extra
        + "}";
  }

  private static HttpResponse<byte[]> call(URI base, String method, String path, String body) {
    return call(base, method, path, body, ADMIN);
  }

  private static HttpResponse<byte[]> call(URI base, String method, String path, String body, String[] who) {
    String[] headers = body == null ? who : Stream.concat(Stream.of(who), Stream.of("Content-Type",
        "application/json")).toArray(String[]::new);
    return send(base, method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), headers);
  }

  private static String hmac(byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body));
  }

  private static JsonNode event(Receiver.Delivery d) {
    return JSON.readTree(d.body()).get("events").get(0);
  }

  private Path events(String kind, String endpoint) {
    return servers.wharfDirectory().resolve("events/" + kind + "/" + endpoint);
  }

  private static List<Path> files(Path dir) throws Exception {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> p.toString().endsWith(".json")).toList();
    }
  }

  /** Waits (generously) until {@code done}; the server works on its own threads meanwhile. */
  private static void awaitCondition(String what, java.util.function.BooleanSupplier done) throws Exception {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    while (!done.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not seen in 60 s: " + what);
      }
      Thread.sleep(20);
    }
  }

  @Test
  void createdEndpoint_deliversSigned_changedFilterHolds_deletedGetsNothingMore() throws Exception {
    try (Receiver watch = new Receiver(); Receiver hook = new Receiver(); WharfServer server = start(watch.url())) {
      URI base = server.url();
      HttpResponse<byte[]> r = call(base, "POST", API, body("api-hook", hook.url(), ",\"secret\":\"" + SECRET
          + "\",\"headers\":{\"Authorization\":\"" + HEADER_VALUE + "\"}"));
      assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
      assertThat(r.headers().firstValue("Location")).hasValue(base + API + "/api-hook");
      assertThat(json(r).get("source").asString()).isEqualTo("api");
      assertThat(json(r).get("signed").asBoolean()).isTrue();
      assertThat(text(r)).doesNotContain(SECRET).doesNotContain(HEADER_VALUE).contains("Authorization");

      // a push is delivered to it at once, signed with its secret, with its header
      pushImage(base, "hosted/team/app", "1", 100, ADMIN);
      Receiver.Delivery push = hook.await(d -> d.size() >= 1).get(0);
      assertThat(push.header("X-Wharf-Signature-256")).isEqualTo(hmac(push.body()));
      assertThat(push.header("Authorization")).isEqualTo(HEADER_VALUE);
      assertThat(event(push).get("target").get("wharfRepository").asString()).isEqualTo("hosted");

      // no read shows the secret or the header values: the endpoints, one endpoint, the effective config
      for (String path : List.of(API, API + "/api-hook", "/wharf/api/v1/config")) {
        HttpResponse<byte[]> read = call(base, "GET", path, null);
        assertThat(read.statusCode()).as(text(read)).isEqualTo(200);
        assertThat(text(read)).as(path).contains("api-hook").doesNotContain(SECRET).doesNotContain(HEADER_VALUE);
      }

      // only repository "other" from now on; without secret and headers the stored ones stay
      r = call(base, "PUT", API + "/api-hook", body("api-hook", hook.url(), ",\"repositories\":[\"other\"]"));
      assertThat(r.statusCode()).as(text(r)).isEqualTo(200);
      assertThat(json(r).get("repositories").get(0).asString()).isEqualTo("other");
      pushImage(base, "hosted/team/app", "2", 100, ADMIN);
      pushImage(base, "other/app", "1", 100, ADMIN);
      // one queue, in order: had the push to hosted been accepted, it would come first
      List<Receiver.Delivery> got = hook.await(d -> d.size() >= 2);
      assertThat(event(got.get(1)).get("target").get("wharfRepository").asString()).isEqualTo("other");
      assertThat(got.get(1).header("X-Wharf-Signature-256")).isEqualTo(hmac(got.get(1).body()));
      assertThat(got.get(1).header("Authorization")).isEqualTo(HEADER_VALUE);

      // the receiver fails: the next event waits (attempted, refused with 503); deleting the endpoint drops it
      hook.answer(503);
      pushImage(base, "other/app", "2", 100, ADMIN);
      awaitCondition("a failed attempt", () -> json(call(base, "GET", API + "/api-hook", null)).path("lastAttempt")
          .path("status").asInt() == 503);
      assertThat(files(events("outbox", "api-hook"))).isNotEmpty();
      r = call(base, "DELETE", API + "/api-hook", null);
      assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
      assertThat(files(events("outbox", "api-hook"))).isEmpty();
      assertThat(files(events("dead", "api-hook"))).isEmpty();
      assertThat(call(base, "GET", API + "/api-hook", null).statusCode()).isEqualTo(404);

      // the next push is not for it: the file's endpoint gets it, nothing is stored or sent for the deleted one
      hook.answer(200);
      int watched = watch.received().size();
      pushImage(base, "other/app", "3", 100, ADMIN);
      watch.await(d -> d.stream().anyMatch(x -> event(x).get("target").path("tag").asString().equals("3")));
      assertThat(watched).isLessThan(watch.received().size());
      assertThat(files(events("outbox", "api-hook"))).isEmpty();
      assertThat(hook.received()).hasSize(2);
      assertThat(json(call(base, "GET", API, null))).extracting(e -> e.get("name").asString())
          .containsExactly("watch");
    }
  }

  @Test
  void createdEndpoint_survivesARestart() throws Exception {
    try (Receiver watch = new Receiver(); Receiver hook = new Receiver()) {
      try (WharfServer server = start(watch.url())) {
        HttpResponse<byte[]> r = call(server.url(), "POST", API, body("kept", hook.url(), ",\"secret\":\"" + SECRET
            + "\",\"format\":\"cloudevents\",\"actions\":[\"push\"]"));
        assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
      }
      Path doc = servers.settings("event-endpoints");
      assertThat(Files.readString(doc)).contains("\"kept\"");
      // an entry of a name the file declares (e.g. the file gained it later): the file's wins
      tools.jackson.databind.node.ObjectNode stored = (tools.jackson.databind.node.ObjectNode) JSON.readTree(
          Files.readAllBytes(doc));
      ((tools.jackson.databind.node.ArrayNode) stored.get("endpoints")).addObject().put("name", "watch")
          .put("url", "http://127.0.0.1:9/x");
      Files.write(doc, JSON.writeValueAsBytes(stored));
      try (WharfServer server = start(watch.url())) {
        JsonNode fileOne = json(call(server.url(), "GET", API + "/watch", null));
        assertThat(fileOne.get("source").asString()).isEqualTo("file");
        assertThat(fileOne.get("url").asString()).isEqualTo(watch.url().toString());
        JsonNode kept = json(call(server.url(), "GET", API + "/kept", null));
        assertThat(kept.get("source").asString()).isEqualTo("api");
        assertThat(kept.get("format").asString()).isEqualTo("cloudevents");
        assertThat(kept.get("signed").asBoolean()).isTrue();
        pushImage(server.url(), "hosted/app", "1", 100, ADMIN);
        Receiver.Delivery d = hook.await(x -> x.size() >= 1).get(0);
        assertThat(JSON.readTree(d.body()).get("type").asString()).isEqualTo("io.wharf.artifact.pushed");
        assertThat(d.header("X-Wharf-Signature-256")).isEqualTo(hmac(d.body()));
      }
    }
  }

  @Test
  void twoNodesOnOneStore_bothSeeAnEndpointCreatedOnOne() throws Exception {
    try (Receiver watch = new Receiver(); Receiver hook = new Receiver();
        WharfServer a = start(watch.url()); WharfServer b = start(watch.url())) {
      HttpResponse<byte[]> r = call(a.url(), "POST", API, body("shared", hook.url(), ""));
      assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
      // node b reads the store's document: it lists the endpoint, and its pushes reach it
      assertThat(json(call(b.url(), "GET", API, null))).extracting(e -> e.get("name").asString())
          .containsExactly("watch", "shared");
      pushImage(b.url(), "hosted/app", "from-b", 100, ADMIN);
      pushImage(a.url(), "hosted/app", "from-a", 100, ADMIN);
      List<Receiver.Delivery> got = hook.await(d -> d.size() >= 2);
      assertThat(got).extracting(d -> event(d).get("target").get("tag").asString()).contains("from-b", "from-a");
      // deleted on b: gone on a too
      assertThat(call(b.url(), "DELETE", API + "/shared", null).statusCode()).isEqualTo(204);
      assertThat(call(a.url(), "GET", API + "/shared", null).statusCode()).isEqualTo(404);
      assertThat(json(call(a.url(), "GET", API, null))).extracting(e -> e.get("name").asString())
          .containsExactly("watch");
    }
  }

  @Test
  void badInput_isRefusedClearly_andNothingIsKept() throws Exception {
    try (Receiver watch = new Receiver(); WharfServer server = start(watch.url())) {
      URI base = server.url();
      URI url = URI.create("http://127.0.0.1:9/hook");
      record Bad(String body, int status, String field, String says) {}
      List<Bad> bad = List.of(
          new Bad(body("x", URI.create("ftp://127.0.0.1/hook"), ""), 400, "url", "http:// or https://"),
          new Bad("{\"name\":\"x\",\"url\":\"http://exa mple/\"}", 400, "url", "not a URL"),
          new Bad(body("x", url, ",\"format\":\"xml\""), 400, "format", "neither distribution nor cloudevents"),
          new Bad(body("x", url, ",\"actions\":[\"psuh\"]"), 400, "actions", "unknown action psuh"),
          new Bad(body("x", url, ",\"secret\":\"short\""), 400, "secret", "at least 16"),
          new Bad(body("x", url, ",\"timeout\":\"soon\""), 400, "timeout", "invalid duration"),
          new Bad(body("x", url, ",\"headers\":{\"Host\":\"elsewhere\"}"), 400, "headers", "Host"),
          new Bad(body("x", url, ",\"retries\":3"), 400, "retries", "unknown field"),
          new Bad(body("x", url, ",\"actions\":\"push\""), 400, "actions", "does not fit"),
          new Bad(body("Bad_Name", url, ""), 400, "name", "lower-case"),
          new Bad("{\"url\":\"" + url + "\"}", 400, "name", "not a name"),
          new Bad("{\"name\":\"x\",", 400, null, "not valid JSON"),
          new Bad(body("watch", url, ""), 409, null, "declared in the configuration file"));
      for (Bad b : bad) {
        HttpResponse<byte[]> r = call(base, "POST", API, b.body());
        assertThat(r.statusCode()).as(b.body() + " -> " + text(r)).isEqualTo(b.status());
        JsonNode error = json(r);
        assertThat(error.get("status").asInt()).isEqualTo(b.status());
        assertThat(error.get("message").asString()).as(b.body()).contains(b.says());
        if (b.field() != null) {
          assertThat(error.get("fields").get(0).get("id").asString()).as(b.body()).isEqualTo(b.field());
        }
      }
      Path doc = servers.settings("event-endpoints");
      assertThat(doc).doesNotExist();

      // a good one, then the same name again, and changes of the file's endpoint
      assertThat(call(base, "POST", API, body("good", url, "")).statusCode()).isEqualTo(201);
      String stored = Files.readString(doc);
      HttpResponse<byte[]> r = call(base, "POST", API, body("good", url, ",\"format\":\"cloudevents\""));
      assertThat(r.statusCode()).as(text(r)).isEqualTo(409);
      assertThat(text(r)).contains("already exists");
      r = call(base, "PUT", API + "/good", body("good", url, ",\"format\":\"xml\""));
      assertThat(r.statusCode()).as(text(r)).isEqualTo(400);
      r = call(base, "PUT", API + "/good", body("other-name", url, ""));
      assertThat(r.statusCode()).as(text(r)).isEqualTo(400);
      assertThat(json(r).get("fields").get(0).get("id").asString()).isEqualTo("name");
      r = call(base, "PUT", API + "/watch", body("watch", url, ""));
      assertThat(r.statusCode()).as(text(r)).isEqualTo(409);
      assertThat(text(r)).contains("declared in the configuration file");
      assertThat(call(base, "DELETE", API + "/watch", null).statusCode()).isEqualTo(409);
      assertThat(call(base, "PUT", API + "/none", body("none", url, "")).statusCode()).isEqualTo(404);
      assertThat(call(base, "DELETE", API + "/none", null).statusCode()).isEqualTo(404);
      assertThat(Files.readString(doc)).as("refused calls change nothing").isEqualTo(stored);

      // administrators only, in the API's shape
      r = call(base, "POST", API, body("mine", url, ""), READER);
      assertThat(r.statusCode()).as(text(r)).isEqualTo(403);
      assertThat(json(r).get("status").asInt()).isEqualTo(403);
      assertThat(call(base, "DELETE", API + "/good", null, READER).statusCode()).isEqualTo(403);
      assertThat(call(base, "PUT", API + "/good", body("good", url, ""), READER).statusCode()).isEqualTo(403);
      assertThat(call(base, "POST", API, body("mine", url, ""), new String[0]).statusCode()).isEqualTo(401);
      assertThat(Files.readString(doc)).isEqualTo(stored);
      assertThat(json(call(base, "GET", API, null))).extracting(e -> e.get("name").asString())
          .containsExactly("watch", "good");
    }
  }
}
