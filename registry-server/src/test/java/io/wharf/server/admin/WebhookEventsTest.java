package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.JSON;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.key;
import static io.wharf.server.admin.ManagementHttp.parseMetrics;
import static io.wharf.server.admin.ManagementHttp.pushImage;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Webhooks end to end: a real receiver gets the events of pushes, pulls, deletes and mounts in
 * both formats, signed; filters hold; a receiver that is down, refuses or hangs loses nothing
 * and slows no push; the events API shows endpoints, attempts and dead letters without secrets.
 */
class WebhookEventsTest {
  static {
    ManagementHttp.quietLogs();
  }

  private static final String SECRET = "s3cret-for-the-hmac-0123";
  private static final String HEADER_VALUE = "Bearer receiver-token-that-must-not-show";

  @TempDir Path dir;

  private WharfServer start(String endpoints) {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        repositories:
          - {name: hosted, type: hosted}
        events:
          endpoints:
        """.replace("DATA", dir.resolve("data").toString()) + endpoints.indent(4);
    try {
      return WharfServer.start(ConfigLoader.parse(yaml, "events-test.yaml"));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String endpoint(String name, URI url, String extra) {
    return "- {name: " + name + ", url: \"" + url + "\", backoff: 20ms, maxBackoff: 100ms" + extra + "}\n";
  }

  private static JsonNode body(Receiver.Delivery d) {
    return JSON.readTree(d.body());
  }

  /** distribution's envelope holds exactly one event per POST. */
  private static JsonNode event(Receiver.Delivery d) {
    JsonNode events = body(d).get("events");
    assertThat(events.size()).isEqualTo(1);
    return events.get(0);
  }

  private static String hmac(byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    return "sha256=" + java.util.HexFormat.of().formatHex(mac.doFinal(body));
  }

  @Test
  void pushPullMountAndDelete_reachTheReceiverInBothFormats_signed() throws Exception {
    try (Receiver dist = new Receiver(); Receiver ce = new Receiver();
        WharfServer server = start(endpoint("dist", dist.url(), ", secret: " + SECRET
            + ", headers: {Authorization: \"" + HEADER_VALUE + "\"}")
            + endpoint("ce", ce.url(), ", format: cloudevents, actions: [push, pull, delete, mount]"))) {
      URI base = server.url();
      ManagementHttp.Image image = pushImage(base, "team/app", "1.0", 1000);
      String digest = image.manifestDigest().value();

      // push: one event (blob uploads are not events), distribution's shape, signed
      Receiver.Delivery push = dist.await(r -> r.size() >= 1).get(0);
      assertThat(push.header("Content-Type")).isEqualTo("application/vnd.docker.distribution.events.v2+json");
      assertThat(push.header("Authorization")).isEqualTo(HEADER_VALUE);
      assertThat(push.header("X-Wharf-Signature-256")).isEqualTo(hmac(push.body()));
      JsonNode e = event(push);
      assertThat(e.get("action").asString()).isEqualTo("push");
      assertThat(push.header("X-Wharf-Event-Id")).isEqualTo(e.get("id").asString());
      JsonNode target = e.get("target");
      assertThat(target.get("repository").asString()).isEqualTo("team/app");
      assertThat(target.get("wharfRepository").asString()).isEqualTo("hosted");
      assertThat(target.get("tag").asString()).isEqualTo("1.0");
      assertThat(target.get("digest").asString()).isEqualTo(digest);
      assertThat(target.get("mediaType").asString()).isEqualTo(MediaTypes.OCI_MANIFEST);
      assertThat(target.get("size").asLong()).isEqualTo(image.manifest().length);
      assertThat(target.get("url").asString()).isEqualTo(base + "/v2/team/app/manifests/" + digest);
      assertThat(e.get("request").get("method").asString()).isEqualTo("PUT");
      assertThat(e.get("request").get("addr").asString()).isEqualTo("127.0.0.1");
      assertThat(e.get("source").get("instanceID").asString()).isNotBlank();

      // pull: a manifest GET is an event for the endpoint that asked for pulls only; HEAD is none
      assertThat(send(base, "HEAD", "/v2/team/app/manifests/1.0", null, "Accept", MediaTypes.OCI_MANIFEST)
          .statusCode()).isEqualTo(200);
      assertThat(get(base, "/v2/team/app/manifests/1.0", "Accept", MediaTypes.OCI_MANIFEST).statusCode())
          .isEqualTo(200);

      // mount the layer into another image, then delete the tag
      Digest layer = Digest.sha256(image.blobs().get(1));
      HttpResponse<byte[]> mount = send(base, "POST", "/v2/team/other/blobs/uploads/?mount=" + layer
          + "&from=team/app", new byte[0]);
      assertThat(mount.statusCode()).as(text(mount)).isEqualTo(201);
      assertThat(send(base, "DELETE", "/v2/team/app/manifests/1.0", null).statusCode()).isEqualTo(202);

      List<Receiver.Delivery> cloud = ce.await(r -> r.size() >= 4);
      assertThat(cloud).extracting(d -> body(d).get("type").asString())
          .containsExactly("io.wharf.artifact.pushed", "io.wharf.artifact.pulled", "io.wharf.artifact.mounted",
              "io.wharf.artifact.deleted");
      JsonNode pulled = body(cloud.get(1));
      assertThat(cloud.get(1).header("Content-Type")).isEqualTo("application/cloudevents+json");
      assertThat(pulled.get("specversion").asString()).isEqualTo("1.0");
      assertThat(pulled.get("subject").asString()).isEqualTo("team/app:1.0");
      assertThat(pulled.get("data").get("digest").asString()).isEqualTo(digest);
      JsonNode mounted = body(cloud.get(2)).get("data");
      assertThat(mounted.get("image").asString()).isEqualTo("team/other");
      assertThat(mounted.get("fromRepository").asString()).isEqualTo("team/app");
      assertThat(mounted.get("digest").asString()).isEqualTo(layer.value());
      JsonNode deleted = body(cloud.get(3)).get("data");
      assertThat(deleted.get("tag").asString()).isEqualTo("1.0");
      assertThat(cloud.get(1).header("X-Wharf-Signature-256")).as("unsigned without a secret").isNull();

      // the distribution endpoint did not ask for pulls: push, mount, delete
      List<Receiver.Delivery> d = dist.await(r -> r.size() >= 3);
      assertThat(d).extracting(x -> event(x).get("action").asString()).containsExactly("push", "mount", "delete");
      for (Receiver.Delivery x : d) {
        assertThat(x.header("X-Wharf-Signature-256")).isEqualTo(hmac(x.body()));
      }
    }
  }

  @Test
  void filters_selectRepositoriesByGlobAndMediaType() throws Exception {
    try (Receiver team = new Receiver(); Receiver everything = new Receiver();
        WharfServer server = start(endpoint("team", team.url(), ", repositories: [\"hosted/team/*\"]")
            + endpoint("all", everything.url(), ""))) {
      URI base = server.url();
      pushImage(base, "other/x", "1", 10);
      pushImage(base, "team/a", "1", 10);
      everything.await(r -> r.size() >= 2);
      List<Receiver.Delivery> got = team.await(r -> r.size() >= 1);
      assertThat(got).hasSize(1);
      assertThat(event(got.get(0)).get("target").get("repository").asString()).isEqualTo("team/a");
    }
  }

  @Test
  void aReceiverThatIsDown_getsEveryEventInOrderAfterARestart_withStableIds() throws Exception {
    try (Receiver receiver = new Receiver()) {
      receiver.answer(503);
      int images = 20;
      try (WharfServer server = start(endpoint("hook", receiver.url(), ""))) {
        for (int i = 0; i < images; i++) {
          pushImage(server.url(), "app", "t" + i, 10); // never fails because the receiver does
        }
        JsonNode ep = json(get(server.url(), "/wharf/api/v1/events/endpoints/hook"));
        assertThat(ep.get("pending").asInt()).isEqualTo(images);
        Map<String, Double> m = parseMetrics(text(get(server.url(), "/metrics")));
        assertThat(m.get(key("registry_notifications_pending", "endpoint", "hook"))).isEqualTo(images);
        assertThat(m.get(key("registry_notifications_events_total", "endpoint", "hook", "outcome", "delivered")))
            .isZero();
      }
      receiver.answer(200);
      try (WharfServer again = start(endpoint("hook", receiver.url(), ""))) {
        List<Receiver.Delivery> got = receiver.await(r -> r.size() >= images);
        assertThat(got).extracting(d -> event(d).get("target").get("tag").asString())
            .containsExactlyElementsOf(java.util.stream.IntStream.range(0, images).mapToObj(i -> "t" + i).toList());
        Set<String> ids = new HashSet<>();
        got.forEach(d -> ids.add(event(d).get("id").asString()));
        assertThat(ids).hasSize(images);
        // the receiver keeps a delivery before it answers: the queue empties right after
        awaitPending(again.url(), "hook", 0);
        Map<String, Double> m = parseMetrics(text(get(again.url(), "/metrics")));
        assertThat(m.get(key("registry_notifications_events_total", "endpoint", "hook", "outcome", "delivered")))
            .isEqualTo(images);
        assertThat(m.get(key("registry_notifications_pending", "endpoint", "hook"))).isZero();
      }
    }
  }

  @Test
  void aFillingOutbox_saysSoBeforeItIsFull_andThenDeadLettersNewEvents() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        repositories:
          - {name: hosted, type: hosted}
        events:
          maxPending: 5
          endpoints:
        """.replace("DATA", dir.resolve("data").toString());
    try (Receiver receiver = new Receiver()) {
      receiver.answer(503);
      try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml
          + endpoint("hook", receiver.url(), "").indent(4), "bounded.yaml"))) {
        URI base = server.url();
        for (int i = 0; i < 3; i++) {
          pushImage(base, "app", "t" + i, 10);
        }
        JsonNode check = json(get(base, "/service/rest/v1/status/check")).path("Event outbox");
        assertThat(check.path("healthy").asBoolean()).as(check.toString()).isTrue();
        pushImage(base, "app", "t3", 10); // 4 of 5: 80 %
        check = json(get(base, "/service/rest/v1/status/check")).path("Event outbox");
        assertThat(check.path("healthy").asBoolean()).as(check.toString()).isFalse();
        assertThat(check.path("message").asString()).contains("hook").contains("limit 5");
        assertThat(check.path("details").path("hook").asInt()).isEqualTo(4);
        Map<String, Double> m = parseMetrics(text(get(base, "/metrics")));
        assertThat(m.get(key("registry_notifications_pending", "endpoint", "hook"))).isEqualTo(4);
        assertThat(m.get(key("registry_notifications_pending_limit", "endpoint", "hook"))).isEqualTo(5);
        assertThat(get(base, "/health/ready").statusCode()).as("a dead receiver does not stop the registry")
            .isEqualTo(200);

        pushImage(base, "app", "t4", 10); // the fifth fills the queue
        pushImage(base, "app", "t5", 10); // the sixth is kept, as a dead letter: pushes never fail for it
        assertThat(json(get(base, "/wharf/api/v1/events/endpoints/hook")).get("pending").asInt()).isEqualTo(5);
        JsonNode dead = awaitDeadLetters(base, "hook", 1);
        assertThat(dead.get(0).get("event").get("tag").asString()).isEqualTo("t5");
        assertThat(dead.get(0).get("reason").asString()).contains("full");
      }
    }
  }

  @Test
  void aHangingReceiver_slowsNoPush_andGetsItsEventsWhenItAnswers() throws Exception {
    try (Receiver slow = new Receiver(); Receiver fast = new Receiver();
        WharfServer server = start(endpoint("slow", slow.url(), ", timeout: 10m")
            + endpoint("fast", fast.url(), ""))) {
      slow.hang();
      for (int i = 0; i < 5; i++) {
        pushImage(server.url(), "app", "v" + i, 10);
      }
      // the other endpoint is not held up by the hanging one
      assertThat(fast.await(r -> r.size() >= 5)).hasSize(5);
      assertThat(slow.received()).isEmpty();
      slow.release();
      assertThat(slow.await(r -> r.size() >= 5)).extracting(d -> event(d).get("target").get("tag").asString())
          .containsExactly("v0", "v1", "v2", "v3", "v4");
    }
  }

  @Test
  void aRefusedEvent_goesToTheDeadLetters_andIsRedeliveredOnRequest() throws Exception {
    try (Receiver receiver = new Receiver();
        WharfServer server = start(endpoint("hook", receiver.url(), ""))) {
      URI base = server.url();
      receiver.answer(400);
      pushImage(base, "app", "bad", 10);
      JsonNode dead = awaitDeadLetters(base, "hook", 1);
      // counted right after the dead letter is stored
      awaitTrue("the dead letter counted", () -> Double.valueOf(1).equals(parseMetrics(text(get(base, "/metrics")))
          .get(key("registry_notifications_events_total", "endpoint", "hook", "outcome", "dead"))));
      assertThat(dead.get(0).get("reason").asString()).contains("HTTP 400");
      assertThat(dead.get(0).get("event").get("tag").asString()).isEqualTo("bad");
      receiver.answer(200);
      String key = dead.get(0).get("key").asString();
      HttpResponse<byte[]> r = send(base, "POST", "/wharf/api/v1/events/endpoints/hook/dead/" + key + "/redeliver",
          new byte[0]);
      assertThat(r.statusCode()).as(text(r)).isEqualTo(204);
      assertThat(event(receiver.await(x -> x.size() >= 1).get(0)).get("target").get("tag").asString())
          .isEqualTo("bad");
      assertThat(json(get(base, "/wharf/api/v1/events/endpoints/hook/dead")).size()).isZero();
      HttpResponse<byte[]> again = send(base, "POST", "/wharf/api/v1/events/endpoints/hook/dead/" + key + "/redeliver",
          new byte[0]);
      assertThat(again.statusCode()).isEqualTo(404);
      assertThat(json(again).get("error").asString()).isEqualTo("NOT_FOUND");
    }
  }

  private static void awaitPending(URI base, String endpoint, int n) throws InterruptedException {
    awaitTrue(n + " events waiting for " + endpoint,
        () -> json(get(base, "/wharf/api/v1/events/endpoints/" + endpoint)).get("pending").asInt() == n);
  }

  private static void awaitTrue(String what, java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 60 s: " + what);
      }
      Thread.sleep(20); // polling for a condition, not waiting for time to pass
    }
  }

  private static JsonNode awaitDeadLetters(URI base, String endpoint, int n) throws InterruptedException {
    long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
    while (true) {
      JsonNode dead = json(get(base, "/wharf/api/v1/events/endpoints/" + endpoint + "/dead"));
      if (dead.size() >= n) {
        return dead;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("no dead letter in 60 s: " + dead);
      }
      Thread.sleep(20); // polling an API for a condition, not waiting for time to pass
    }
  }

  @Test
  void pingAndTheEndpointList_showAttemptsButNoSecret() throws Exception {
    try (Receiver receiver = new Receiver();
        WharfServer server = start(endpoint("hook", receiver.url(), ", secret: " + SECRET
            + ", headers: {Authorization: \"" + HEADER_VALUE + "\"}"))) {
      URI base = server.url();
      HttpResponse<byte[]> ping = send(base, "POST", "/wharf/api/v1/events/endpoints/hook/ping", new byte[0]);
      assertThat(ping.statusCode()).as(text(ping)).isEqualTo(200);
      assertThat(json(ping).get("status").asInt()).isEqualTo(200);
      assertThat(json(ping).get("action").asString()).isEqualTo("ping");
      assertThat(event(receiver.await(r -> r.size() >= 1).get(0)).get("action").asString()).isEqualTo("ping");

      HttpResponse<byte[]> list = get(base, "/wharf/api/v1/events/endpoints");
      assertThat(list.statusCode()).isEqualTo(200);
      JsonNode hook = json(list).get(0);
      assertThat(hook.get("name").asString()).isEqualTo("hook");
      assertThat(hook.get("signed").asBoolean()).isTrue();
      assertThat(hook.get("lastAttempt").get("status").asInt()).isEqualTo(200);
      String detail = text(get(base, "/wharf/api/v1/events/endpoints/hook"));
      for (String body : List.of(text(list), detail)) {
        assertThat(body).doesNotContain(SECRET).doesNotContain(HEADER_VALUE);
      }
      assertThat(get(base, "/wharf/api/v1/events/endpoints/nope").statusCode()).isEqualTo(404);
      // the file's endpoints are pinned: the API changes only those it created
      HttpResponse<byte[]> delete = send(base, "DELETE", "/wharf/api/v1/events/endpoints/hook", null);
      assertThat(delete.statusCode()).isEqualTo(409);
      assertThat(text(delete)).contains("declared in the configuration file");
    }
  }

  @Test
  void badEndpointSettings_areRefusedNamingTheKey() {
    String head = """
        events:
          endpoints:
        """;
    assertThatThrownBy(() -> ConfigLoader.parse(head + "    - {name: a, url: \"ftp://x\"}\n", "t.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("events.endpoints[0].url");
    assertThatThrownBy(() -> ConfigLoader.parse(head + "    - {name: a, url: \"http://x\", format: xml}\n", "t.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("events.endpoints[0].format");
    assertThatThrownBy(() -> ConfigLoader.parse(head + "    - {name: a, url: \"http://x\", actions: [explode]}\n",
        "t.yaml")).isInstanceOf(ConfigException.class).hasMessageContaining("events.endpoints[0].actions");
    assertThatThrownBy(() -> ConfigLoader.parse(head + "    - {name: a, url: \"http://x\", secret: short}\n",
        "t.yaml")).isInstanceOf(ConfigException.class).hasMessageContaining("events.endpoints[0].secret");
    assertThatThrownBy(() -> ConfigLoader.parse(head + "    - {name: a, url: \"http://x\"}\n"
        + "    - {name: a, url: \"http://y\"}\n", "t.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("events.endpoints[1].name");
    assertThatThrownBy(() -> ConfigLoader.parse(head + "    - {name: a, url: \"http://x\", timeout: 0s}\n", "t.yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("events.endpoints[0].timeout");
  }
}
