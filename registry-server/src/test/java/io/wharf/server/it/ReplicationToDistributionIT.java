package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.it.DistributionPushes.Manifest;
import io.wharf.server.it.DistributionPushes.Pushed;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Push rules with Debian's {@code docker-registry} (CNCF distribution 2.8, no referrers API) as
 * the remote, started here, without and with htpasswd authentication: a push to Wharf shows up
 * there within seconds; a multi-arch index with a signature arrives with its digests (the
 * signature listed in the referrers tag schema, as distribution's clients expect); an image
 * pushed while the remote is down arrives with the next reconcile, and a second reconcile copies
 * nothing; a delete propagates with {@code deletes: true} and not without.
 */
@Tag("interop")
class ReplicationToDistributionIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String ADMIN = DistributionRemote.ADMIN;
  static final Duration PATIENCE = Duration.ofMinutes(3); // a loaded machine; conditions end the waits

  @TempDir Path tmp;

  /** Pushes to Wharf over the registry API, as the sync IT seeds distribution. */
  final DistributionPushes seeder = new DistributionPushes();

  @Test
  void anonymousRemote_pushesArrive_reconcileCatchesUp_deletesPropagate() throws Exception {
    assumeTrue(DistributionProcess.isInstalled(), "docker-registry is not installed");
    try (DistributionRemote remote = DistributionRemote.anonymous(tmp.resolve("remote"))) {
      replicateAndCheck(remote);
    }
  }

  @Test
  void htpasswdRemote_withCredentials_pushesArrive_reconcileCatchesUp_deletesPropagate() throws Exception {
    assumeTrue(DistributionProcess.isInstalled(), "docker-registry is not installed");
    try (DistributionRemote remote = DistributionRemote.withUser(tmp.resolve("remote"), "pusher", "push-pw")) {
      replicateAndCheck(remote);
    }
  }

  void replicateAndCheck(DistributionRemote remote) throws Exception {
    String remoteAuth = remote.auth();
    String yaml = DistributionRemote.wharfConfig(tmp.resolve("wharf"), remote.credentialsSection() + """
        repositories:
          - name: releases
            anonymousPull: true
            replication:
              - name: site-b
                target: %s
                deletes: true
                content:
                  - names: [team/app]
                    referrers: true
              - name: keep
                target: %s
                content:
                  - names: [team/app]
                    destination: kept
        """.formatted(remote.endpoint(), remote.endpoint()));
    try (WharfServer wharf = WharfServer.start(ConfigLoader.parse(yaml, "replication-it.yaml"))) {
      String w = wharf.url().toString();
      String r = remote.url();

      // 1. a multi-arch index and its signature, pushed to Wharf, arrive with their digests
      Pushed multi = seeder.signedIndex(w, ADMIN);
      Manifest index = multi.index();
      Manifest signature = multi.signature();
      String schemaTag = index.digest().algorithm() + "-" + index.digest().hex();
      await("the index and its signature at the remote", () -> has(r + "/v2/team/app/manifests/multi", remoteAuth)
          && has(r + "/v2/team/app/manifests/" + signature.digest(), remoteAuth)
          && has(r + "/v2/team/app/manifests/" + schemaTag, remoteAuth));
      assertThat(body(r + "/v2/team/app/manifests/multi", remoteAuth)).isEqualTo(index.bytes());
      for (Manifest m : new Manifest[] {multi.amd64(), multi.arm64(), signature}) {
        assertThat(body(r + "/v2/team/app/manifests/" + m.digest(), remoteAuth)).as("%s", m.digest())
            .isEqualTo(m.bytes());
      }
      JsonNode referrers = JSON.readTree(body(r + "/v2/team/app/manifests/" + schemaTag, remoteAuth));
      assertThat(referrers.get("manifests")).extracting(e -> e.get("digest").asString())
          .containsExactly(signature.digest().value());

      // 2. the remote down: a push fails there; started again, the reconcile copies it
      String api = w + "/wharf/api/v1/repositories/releases/replication/";
      long failedBefore = rule(api + "site-b").get("pushes").get("failed").asLong();
      remote.stop();
      Manifest v2 = seeder.image(w, ADMIN, "amd64");
      seeder.putManifest(w, ADMIN, "stable", v2);
      seeder.putManifest(w, ADMIN, "2.0", v2);
      await("the copy of 2.0 on push failed, and nothing is left to copy", () -> {
        JsonNode pushes = rule(api + "site-b").get("pushes");
        return pushes.get("failed").asLong() > failedBefore && pushes.get("lastFailure").asString().contains("team/app:2.0")
            && pushes.get("pending").asInt() == 0 && !pushes.get("busy").asBoolean();
      });
      remote.restart();
      assertThat(has(r + "/v2/team/app/manifests/2.0", remoteAuth)).as("not there before the reconcile").isFalse();

      JsonNode first = runAndAwait(api + "site-b", null);
      assertThat(first.get("state").asString()).as(first.toString()).isEqualTo("SUCCEEDED");
      assertThat(first.get("imagesCopied").asInt()).as(first.toString()).isEqualTo(2); // 2.0 and stable
      assertThat(body(r + "/v2/team/app/manifests/2.0", remoteAuth)).isEqualTo(v2.bytes());

      JsonNode second = runAndAwait(api + "site-b", first.get("started").asString());
      assertThat(second.get("imagesCopied").asInt()).as(second.toString()).isZero();
      assertThat(second.get("imagesSkipped").asInt()).isEqualTo(3); // multi, 2.0 and stable
      assertThat(second.get("bytesCopied").asLong()).isZero();
      assertThat(second.get("blobsCopied").asInt()).isZero();

      // 3. a delete propagates where the rule says so, and not otherwise
      runAndAwait(api + "keep", null); // the keep rule's copy of 2.0, which its push could not make
      assertThat(has(r + "/v2/kept/team/app/manifests/2.0", remoteAuth)).isTrue();
      long keptHandled = rule(api + "keep").get("pushes").get("imagesHandled").asLong();
      HttpResponse<String> deleted = DistributionPushes.send(HttpRequest.newBuilder(
          URI.create(w + "/v2/team/app/manifests/2.0")).DELETE(), ADMIN);
      assertThat(deleted.statusCode()).as(deleted.body()).isEqualTo(202);

      await("team/app:2.0 deleted at the remote", () -> !has(r + "/v2/team/app/manifests/2.0", remoteAuth));
      await("the site-b rule done with the delete", () -> {
        JsonNode pushes = rule(api + "site-b").get("pushes");
        return pushes.get("pending").asInt() == 0 && !pushes.get("busy").asBoolean();
      });
      await("the keep rule handled the delete", () -> {
        JsonNode pushes = rule(api + "keep").get("pushes");
        return pushes.get("imagesHandled").asLong() > keptHandled && pushes.get("pending").asInt() == 0
            && !pushes.get("busy").asBoolean();
      });
      assertThat(has(r + "/v2/kept/team/app/manifests/2.0", remoteAuth)).as("no deletes: true").isTrue();
      // distribution 2.8 deletes a manifest by digest only: the other tag at it was put back
      assertThat(body(r + "/v2/team/app/manifests/stable", remoteAuth)).isEqualTo(v2.bytes());
      assertThat(body(r + "/v2/team/app/manifests/multi", remoteAuth)).as("the other tag stays")
          .isEqualTo(index.bytes());
      assertThat(rule(api + "site-b").get("pushes").get("tagsDeleted").asInt()).isEqualTo(1);
    }
  }

  /** The last rule read, for failure messages. */
  String lastSeen = "";

  JsonNode rule(String url) throws Exception {
    HttpResponse<String> r = DistributionPushes.send(HttpRequest.newBuilder(URI.create(url)).GET(), ADMIN);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    lastSeen = r.body();
    return JSON.readTree(r.body());
  }

  /** Starts a reconcile and returns its report once it ended (one started after {@code previousStart}). */
  JsonNode runAndAwait(String rule, String previousStart) throws Exception {
    HttpResponse<String> started = DistributionPushes.send(HttpRequest.newBuilder(URI.create(rule + "/run"))
        .POST(HttpRequest.BodyPublishers.noBody()), ADMIN);
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    JsonNode[] last = new JsonNode[1];
    await("the reconcile of " + rule + " ended", () -> {
      JsonNode r = rule(rule);
      last[0] = r.get("last");
      return !r.get("running").asBoolean() && last[0] != null && !last[0].isNull()
          && last[0].hasNonNull("finished")
          && !last[0].get("started").asString().equals(previousStart);
    });
    return last[0];
  }

  interface Condition {
    boolean holds() throws Exception;
  }

  void await(String what, Condition condition) throws Exception {
    long deadline = System.nanoTime() + PATIENCE.toNanos();
    while (!condition.holds()) {
      assertThat(System.nanoTime()).as(what + "; the rules now: " + lastSeen).isLessThan(deadline);
      Thread.sleep(50); // a poll interval; the deadline bounds the wait
    }
  }

  static HttpResponse<byte[]> get(String url, String auth) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(1))
        .header("Accept", String.join(",", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST)).GET();
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return DistributionPushes.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static boolean has(String url, String auth) throws Exception {
    return get(url, auth).statusCode() == 200;
  }

  static byte[] body(String url, String auth) throws Exception {
    HttpResponse<byte[]> r = get(url, auth);
    assertThat(r.statusCode()).as(url).isEqualTo(200);
    return r.body();
  }
}
