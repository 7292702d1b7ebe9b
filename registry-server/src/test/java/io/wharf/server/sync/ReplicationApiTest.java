package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.HostedRepository;
import io.wharf.server.WharfServer;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Push rules of a server started from a config file, with a second Wharf server as the remote: a
 * push is copied on within seconds, a reconcile copies what the remote misses (and nothing the
 * second time), a delete propagates with {@code deletes: true} and not without, and the API,
 * metrics and failures show it.
 */
class ReplicationApiTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final Duration PATIENCE = Duration.ofMinutes(2); // a loaded machine; conditions end the waits
  SyncTestServers.RuleServers servers;
  HostedRepository remote;
  WharfServer server;
  RegistryPushes pushes;

  @BeforeEach
  void start() throws Exception {
    servers = new SyncTestServers.RuleServers();
    remote = servers.other;
    pushes = new RegistryPushes(servers.http, null);
    server = servers.start("""
        repositories:
          - name: releases
            replication:
              - name: mirrored
                target: {url: "%1$s"}
                deletes: true
                content: [{names: ["team/*"], destination: a}]
              - name: kept
                target: {url: "%1$s"}
                content: [{names: ["team/*"], destination: b}]
              - name: nightly
                target: {url: "%1$s"}
                onPush: false
                content: [{names: ["team/*"], tags: {exclude: "old"}, destination: c}]
              - name: broken
                target: {url: "http://127.0.0.1:1"}
                onPush: false
                content: [{names: ["team/*"]}]
        """.formatted(servers.otherUrl()));
  }

  @AfterEach
  void stop() throws Exception {
    servers.close();
  }

  HttpResponse<String> send(String method, String path) throws Exception {
    return servers.send(method, path);
  }

  JsonNode rule(String rule) throws Exception {
    return JSON.readTree(send("GET", "/wharf/api/v1/repositories/releases/replication/" + rule).body());
  }

  Optional<Digest> remoteTag(String image, String tag) throws Exception {
    return remote.getManifest(ImageName.of(image), Tag.of(tag)).map(Manifest::digest);
  }

  static void await(String what, BooleanSupplier condition) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what).isLessThan(deadline);
      Thread.sleep(25); // a poll interval; the deadline bounds the wait
    }
  }

  interface Check {
    boolean test() throws Exception;
  }

  static BooleanSupplier unchecked(Check c) {
    return () -> {
      try {
        return c.test();
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    };
  }

  /** Waits for a reconcile started now (or already) to end, and returns the rule. */
  JsonNode runAndAwait(String rule, String previousStart) throws Exception {
    HttpResponse<String> started = send("POST", "/wharf/api/v1/repositories/releases/replication/" + rule + "/run");
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    JsonNode[] r = new JsonNode[1];
    await("reconcile of " + rule + " ended", unchecked(() -> {
      r[0] = rule(rule);
      JsonNode last = r[0].get("last");
      return !r[0].get("running").asBoolean() && last != null && !last.isNull() && last.hasNonNull("finished")
          && !last.get("started").asString().equals(previousStart);
    }));
    return r[0];
  }

  /** Pushes a small image through the registry API (a config and one layer) and returns its digest. */
  Digest push(String image, String tag) throws Exception {
    return pushes.push(server.url(), image, tag);
  }

  @Test
  void push_isCopiedToTheRemote_withinSeconds_byEveryOnPushRule() throws Exception {
    Digest pushed = push("team/app", "1.0");

    await("a/team/app:1.0 at the remote", unchecked(() -> remoteTag("a/team/app", "1.0").isPresent()));
    await("b/team/app:1.0 at the remote", unchecked(() -> remoteTag("b/team/app", "1.0").isPresent()));

    assertThat(remoteTag("a/team/app", "1.0")).contains(pushed);
    assertThat(remoteTag("b/team/app", "1.0")).contains(pushed);
    await("the rule counts the copy", unchecked(() -> rule("mirrored").get("pushes").get("imagesCopied").asInt() >= 1));
    JsonNode rule = rule("mirrored");
    assertThat(rule.get("target").asString()).isEqualTo(servers.otherUrl().toString());
    assertThat(rule.get("onPush").asBoolean()).isTrue();
    assertThat(rule.get("deletes").asBoolean()).isTrue();
    assertThat(rule.get("pushes").get("failed").asInt()).isZero();
    assertThat(send("GET", "/metrics").body())
        .contains("registry_replication_pushes_total{outcome=\"copied\",repository=\"releases\",rule=\"mirrored\"}");
    // a rule without onPush copies nothing until its reconcile
    assertThat(rule("nightly").get("pushes").get("imagesHandled").asInt()).isZero();
  }

  @Test
  void reconcile_copiesWhatTheRemoteMisses_thenNothing() throws Exception {
    Digest v1 = push("team/app", "1.0");
    push("team/app", "old");
    Digest tool = push("team/tool", "2");

    JsonNode first = runAndAwait("nightly", null).get("last");

    assertThat(first.get("state").asString()).as(first.toString()).isEqualTo("SUCCEEDED");
    assertThat(first.get("imagesCopied").asInt()).isEqualTo(2);
    assertThat(first.get("bytesCopied").asLong()).isGreaterThan(40_000);
    assertThat(remoteTag("c/team/app", "1.0")).contains(v1);
    assertThat(remoteTag("c/team/tool", "2")).contains(tool);
    assertThat(remoteTag("c/team/app", "old")).as("excluded by the rule").isEmpty();

    JsonNode second = runAndAwait("nightly", first.get("started").asString()).get("last");

    assertThat(second.get("imagesSkipped").asInt()).isEqualTo(2);
    assertThat(second.get("imagesCopied").asInt()).isZero();
    assertThat(second.get("bytesCopied").asLong()).isZero();
    String metrics = send("GET", "/metrics").body();
    assertThat(metrics).contains(
        "registry_replication_runs_total{outcome=\"succeeded\",repository=\"releases\",rule=\"nightly\"} 2.0");
    assertThat(metrics).contains("registry_replication_copied_bytes_total{repository=\"releases\",rule=\"nightly\"}");
  }

  @Test
  void delete_propagatesWithDeletes_andNotWithout() throws Exception {
    push("team/app", "1.0");
    push("team/app", "1.1");
    await("both copies at the remote", unchecked(() -> remoteTag("a/team/app", "1.1").isPresent()
        && remoteTag("b/team/app", "1.1").isPresent() && remoteTag("a/team/app", "1.0").isPresent()
        && remoteTag("b/team/app", "1.0").isPresent()));
    long keptHandled = rule("kept").get("pushes").get("imagesHandled").asLong();

    HttpResponse<String> deleted = send("DELETE", "/v2/team/app/manifests/1.0");
    assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(202);

    await("a/team/app:1.0 deleted at the remote", unchecked(() -> remoteTag("a/team/app", "1.0").isEmpty()));
    await("the rule without deletes handled the change", unchecked(
        () -> rule("kept").get("pushes").get("imagesHandled").asLong() > keptHandled
            && rule("kept").get("pushes").get("pending").asInt() == 0
            && !rule("kept").get("pushes").get("busy").asBoolean()));
    assertThat(remoteTag("b/team/app", "1.0")).as("kept without deletes: true").isPresent();
    assertThat(remoteTag("a/team/app", "1.1")).as("the other tag stays").isPresent();
    assertThat(rule("mirrored").get("pushes").get("tagsDeleted").asInt()).isEqualTo(1);
  }

  @Test
  void reconcile_remoteDown_failsWithWhy_andUnknownNamesAre404() throws Exception {
    push("team/app", "1.0");

    JsonNode last = runAndAwait("broken", null).get("last");

    assertThat(last.get("state").asString()).isIn("FAILED", "PARTIAL");
    String why = last.get("state").asString().equals("FAILED") ? last.get("error").asString()
        : last.get("failures").get(0).get("reason").asString();
    assertThat(why).contains("127.0.0.1:1");
    assertThat(send("GET", "/wharf/api/v1/repositories/releases/replication/nope").statusCode()).isEqualTo(404);
    assertThat(send("POST", "/wharf/api/v1/repositories/releases/replication/nope/run").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/wharf/api/v1/repositories/nope/replication").statusCode()).isEqualTo(404);
    JsonNode all = JSON.readTree(send("GET", "/wharf/api/v1/repositories/releases/replication").body());
    assertThat(all.get("rules")).extracting(r -> r.get("rule").asString())
        .containsExactly("mirrored", "kept", "nightly", "broken");
  }
}
