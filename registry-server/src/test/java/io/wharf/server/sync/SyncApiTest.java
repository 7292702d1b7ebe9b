package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Pull rules through the management API of a server started from a config file: a run on demand
 * copies from another Wharf server, its report shows in the API, and the run is counted in the
 * metrics.
 */
class SyncApiTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  SyncTestServers.RuleServers servers;
  WharfServer server;
  SourceImages.Pushed app;
  HttpClient http;

  @BeforeEach
  void start() throws Exception {
    servers = new SyncTestServers.RuleServers();
    http = servers.http;
    SourceImages images = new SourceImages(servers.other);
    app = images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"), 2000);
    images.image("team/app", "1.1", "linux/amd64", Instant.parse("2026-01-02T00:00:00Z"), 2000);
    images.image("other/tool", "1", "linux/amd64", Instant.parse("2026-01-02T00:00:00Z"), 10);
    server = servers.start("""
        repositories:
          - name: mirror
            sync:
              - name: team
                source: {url: "%1$s"}
                content: [{names: ["team/*"], tags: {include: "1\\\\.0"}}]
              - name: broken
                source: {url: "http://127.0.0.1:1"}
                content: [{names: ["x"]}]
              - name: scheduled
                source: {url: "%1$s"}
                schedule: every 1s
                content: [{names: ["other/tool"]}]
        """.formatted(servers.otherUrl()));
  }

  @AfterEach
  void stop() throws Exception {
    servers.close();
  }

  HttpResponse<String> send(String method, String path) throws Exception {
    return servers.send(method, path);
  }

  /** Waits (generously: a loaded machine) until the rule's last run has ended, and returns the rule. */
  JsonNode awaitRun(String rule) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      JsonNode r = JSON.readTree(send("GET", "/wharf/api/v1/repositories/mirror/sync/" + rule).body());
      if (!r.get("running").asBoolean() && r.hasNonNull("last") && r.get("last").hasNonNull("finished")) {
        return r;
      }
      assertThat(System.nanoTime()).as("run of %s ended", rule).isLessThan(deadline);
      Thread.sleep(50); // a poll interval, not a wait for time to pass: the deadline above is what bounds it
    }
  }

  @Test
  void run_onDemand_copiesAndReports() throws Exception {
    HttpResponse<String> started = send("POST", "/wharf/api/v1/repositories/mirror/sync/team/run");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    assertThat(JSON.readTree(started.body()).get("rule").asString()).isEqualTo("team");

    JsonNode rule = awaitRun("team");

    JsonNode last = rule.get("last");
    assertThat(last.get("state").asString()).isEqualTo("SUCCEEDED");
    assertThat(last.get("imagesSelected").asInt()).isEqualTo(1);
    assertThat(last.get("imagesCopied").asInt()).isEqualTo(1);
    assertThat(last.get("bytesCopied").asLong()).isGreaterThan(2000);
    HttpResponse<byte[]> pulled = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/v2/team/app/manifests/1.0"))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json").build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(pulled.body()).isEqualTo(app.bytes());
    assertThat(pulled.headers().firstValue("Docker-Content-Digest")).contains(app.digest().value());

    JsonNode all = JSON.readTree(send("GET", "/wharf/api/v1/repositories/mirror/sync").body());
    assertThat(all.get("rules")).extracting(r -> r.get("rule").asString()).containsExactly("team", "broken", "scheduled");

    String metrics = send("GET", "/metrics").body();
    assertThat(metrics).contains("registry_sync_runs_total{outcome=\"succeeded\",repository=\"mirror\",rule=\"team\"} 1.0");
    assertThat(metrics).contains("registry_sync_copied_bytes_total{repository=\"mirror\",rule=\"team\"}");

    // a second run finds everything there
    send("POST", "/wharf/api/v1/repositories/mirror/sync/team/run");
    awaitRunAfter("team", last.get("started").asString());
  }

  void awaitRunAfter(String rule, String previousStart) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      JsonNode r = awaitRun(rule);
      if (!r.get("last").get("started").asString().equals(previousStart)) {
        assertThat(r.get("last").get("imagesSkipped").asInt()).isEqualTo(1);
        assertThat(r.get("last").get("imagesCopied").asInt()).isZero();
        assertThat(r.get("last").get("blobsCopied").asInt()).isZero();
        return;
      }
      assertThat(System.nanoTime()).isLessThan(deadline);
      Thread.sleep(50); // a poll interval, not a wait for time to pass: the deadline above is what bounds it
    }
  }

  @Test
  void run_sourceDown_failsWithWhy() throws Exception {
    assertThat(send("POST", "/wharf/api/v1/repositories/mirror/sync/broken/run").statusCode()).isEqualTo(202);

    JsonNode last = awaitRun("broken").get("last");

    assertThat(last.get("state").asString()).isIn("FAILED", "PARTIAL");
    String why = last.get("state").asString().equals("FAILED") ? last.get("error").asString()
        : last.get("failures").get(0).get("reason").asString();
    assertThat(why).contains("127.0.0.1:1");
  }

  @Test
  void schedule_runsTheRuleWithoutAsking() throws Exception {
    JsonNode rule = awaitRun("scheduled");

    assertThat(rule.get("schedule").asString()).isEqualTo("every 1s");
    assertThat(rule.get("next").isNull()).isFalse();
    assertThat(rule.get("last").get("state").asString()).isEqualTo("SUCCEEDED");
    HttpResponse<String> tags = send("GET", "/v2/other/tool/tags/list");
    assertThat(tags.body()).contains("\"1\"");
  }

  @Test
  void unknownRuleOrRepository_is404_wrongMethod_is405() throws Exception {
    assertThat(send("GET", "/wharf/api/v1/repositories/mirror/sync/nope").statusCode()).isEqualTo(404);
    assertThat(send("POST", "/wharf/api/v1/repositories/mirror/sync/nope/run").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/wharf/api/v1/repositories/nope/sync").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/wharf/api/v1/repositories/mirror/sync/team/run").statusCode()).isEqualTo(405);
  }
}
