package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * An index synced from Debian's {@code docker-registry} (CNCF distribution 2.8) with a platforms
 * filter, so that Wharf holds it without its arm64 child, and then pushed back there by a push
 * rule: the child Wharf holds arrives by digest, the index (which distribution refuses, as it
 * does any index whose manifests it lacks) is reported failed for each tag at it, with its digest,
 * the missing platform and why. Another repository of this server syncing from the first (a
 * target that accepts such an index) gets the index.
 */
@Tag("interop")
class PartialIndexReplicationIT {
  @TempDir Path tmp;

  final DistributionPushes pushes = new DistributionPushes();
  final ReplicationToDistributionIT rules = new ReplicationToDistributionIT();

  @Test
  void indexSyncedWithPlatforms_pushedToDistribution_childrenCopied_indexFailedWithWhy() throws Exception {
    assumeTrue(DistributionProcess.isInstalled(), "docker-registry is not installed");
    try (DistributionProcess remote = DistributionProcess.serve(tmp.resolve("remote"))) {
      String r = remote.url();
      DistributionPushes.Pushed pushed = pushes.signedIndex(r, null);
      pushes.listInTagSchema(r, null, pushed);
      pushes.putManifest(r, null, "latest", pushed.index());
      String yaml = """
          server: {bind: 127.0.0.1, port: 0, shutdownTimeout: 1s}
          blobStores: {default: {type: file, path: "%1$s"}}
          repositories:
            - name: mirror
              sync:
                - name: amd64-only
                  source: {url: "%2$s"}
                  content:
                    - names: [team/app]
                      tags: {include: "multi|latest"}
                      platforms: [linux/amd64]
              replication:
                - name: back
                  target: {url: "%2$s"}
                  onPush: false
                  content:
                    - names: [team/app]
                      destination: back
            - name: copy
              sync:
                - name: from-mirror
                  source: {repository: mirror}
                  content:
                    - names: [team/app]
          """.formatted(tmp.resolve("wharf"), r);
      try (WharfServer wharf = WharfServer.start(ConfigLoader.parse(yaml, "partial-index-it.yaml"))) {
        String w = wharf.url().toString();
        String api = w + "/wharf/api/v1/repositories/";

        // 1. the pull rule keeps amd64 only: Wharf holds the index byte for byte, without arm64
        JsonNode pulled = runSync(api + "mirror/sync/amd64-only");
        assertThat(pulled.get("state").asString()).as(pulled.toString()).isEqualTo("SUCCEEDED");
        assertThat(ReplicationToDistributionIT.body(w + "/v2/team/app/manifests/multi", null))
            .isEqualTo(pushed.index().bytes());
        assertThat(ReplicationToDistributionIT.has(w + "/v2/team/app/manifests/" + pushed.arm64().digest(), null))
            .isFalse();

        // 2. pushed back: amd64 arrives by digest; the index is refused, and each tag at it fails with why
        JsonNode first = rules.runAndAwait(api + "mirror/replication/back", null);
        assertThat(first.get("state").asString()).as(first.toString()).isEqualTo("PARTIAL");
        assertThat(first.get("imagesFailed").asInt()).as(first.toString()).isEqualTo(2);
        assertThat(first.get("imagesCopied").asInt()).as(first.toString()).isZero();
        assertThat(first.get("failures")).extracting(f -> f.get("image").asString())
            .containsExactlyInAnyOrder("team/app:multi", "team/app:latest");
        String host = URI.create(r).getAuthority();
        for (JsonNode f : first.get("failures")) {
          assertThat(f.get("reason").asString()).as(first.toString())
              .contains(pushed.index().digest().value(), "linux/arm64",
                  "synced with a platforms filter; " + host + " refuses an index whose manifests it does not have")
              .doesNotContain("linux/amd64");
        }
        String back = r + "/v2/back/team/app/manifests/";
        assertThat(ReplicationToDistributionIT.body(back + pushed.amd64().digest(), null))
            .isEqualTo(pushed.amd64().bytes());
        assertThat(ReplicationToDistributionIT.has(back + pushed.arm64().digest(), null)).isFalse();
        assertThat(ReplicationToDistributionIT.has(back + "multi", null)).isFalse();

        // 3. again: the same failures, nothing copied twice
        JsonNode second = rules.runAndAwait(api + "mirror/replication/back", first.get("started").asString());
        assertThat(second.get("imagesFailed").asInt()).as(second.toString()).isEqualTo(2);
        assertThat(second.get("manifestsCopied").asInt()).as(second.toString()).isZero();
        assertThat(second.get("blobsCopied").asInt()).as(second.toString()).isZero();

        // 4. a Wharf repository as the target takes the index as it is, without arm64
        JsonNode copied = runSync(api + "copy/sync/from-mirror");
        assertThat(copied.get("state").asString()).as(copied.toString()).isEqualTo("SUCCEEDED");
        assertThat(copied.get("imagesCopied").asInt()).as(copied.toString()).isEqualTo(2);
        String c = w + "/repository/copy/v2/team/app/manifests/";
        assertThat(ReplicationToDistributionIT.body(c + "multi", null)).isEqualTo(pushed.index().bytes());
        assertThat(ReplicationToDistributionIT.body(c + "latest", null)).isEqualTo(pushed.index().bytes());
        assertThat(ReplicationToDistributionIT.body(c + pushed.amd64().digest(), null))
            .isEqualTo(pushed.amd64().bytes());
        assertThat(ReplicationToDistributionIT.has(c + pushed.arm64().digest(), null)).isFalse();
      }
    }
  }

  /** Starts a pull rule's run and returns its report once it ended. */
  JsonNode runSync(String rule) throws Exception {
    HttpResponse<String> started = DistributionPushes.send(HttpRequest.newBuilder(URI.create(rule + "/run"))
        .POST(HttpRequest.BodyPublishers.noBody()), null);
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    return RuleReports.awaitRun(rule, DistributionRemote.ADMIN, Duration.ofMinutes(3)).get("last");
  }
}
