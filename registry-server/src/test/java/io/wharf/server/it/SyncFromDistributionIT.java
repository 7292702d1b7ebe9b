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
 * A pull rule whose source is Debian's {@code docker-registry} (CNCF distribution 2.8, no
 * referrers API) started here, without and with htpasswd authentication: a multi-arch index and
 * a signature attached to it through the referrers tag schema arrive in Wharf with the digests
 * they have at the source.
 */
@Tag("interop")
class SyncFromDistributionIT {
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final String ADMIN = DistributionRemote.ADMIN;
  final DistributionPushes pushes = new DistributionPushes();

  @TempDir Path tmp;

  @Test
  void anonymousSource_indexAndSignature_copiedWithTheirDigests() throws Exception {
    assumeTrue(DistributionProcess.isInstalled(), "docker-registry is not installed");
    try (DistributionRemote source = DistributionRemote.anonymous(tmp.resolve("source"))) {
      syncAndCheck(source, seed(source.url(), source.auth()));
    }
  }

  @Test
  void htpasswdSource_withCredentials_copiedWithTheirDigests() throws Exception {
    assumeTrue(DistributionProcess.isInstalled(), "docker-registry is not installed");
    try (DistributionRemote source = DistributionRemote.withUser(tmp.resolve("source"), "puller", "pull-pw")) {
      syncAndCheck(source, seed(source.url(), source.auth()));
    }
  }

  /** Pushes the signed index to the source and lists the signature in the referrers tag schema. */
  Pushed seed(String url, String auth) throws Exception {
    Pushed pushed = pushes.signedIndex(url, auth);
    pushes.listInTagSchema(url, auth, pushed);
    return pushed;
  }

  /** Runs a rule copying from {@code source} (with its user's credentials, if it has one) and checks what arrived. */
  void syncAndCheck(DistributionRemote source, Pushed pushed) throws Exception {
    String yaml = DistributionRemote.wharfConfig(tmp.resolve("wharf"), source.credentialsSection() + """
        repositories:
          - name: mirror
            anonymousPull: true
            sync:
              - name: apps
                source: %s
                content:
                  - names: [team/app]
                    tags: {include: "multi"}
                    referrers: true
        """.formatted(source.endpoint()));
    try (WharfServer wharf = WharfServer.start(ConfigLoader.parse(yaml, "sync-it.yaml"))) {
      String api = wharf.url() + "/wharf/api/v1/repositories/mirror/sync/apps";
      HttpResponse<String> started = DistributionPushes.send(HttpRequest.newBuilder(URI.create(api + "/run"))
          .POST(HttpRequest.BodyPublishers.noBody()), ADMIN);
      assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
      JsonNode last = RuleReports.awaitRun(api, ADMIN, Duration.ofMinutes(3)).get("last");
      assertThat(last.get("state").asString()).as(last.toString()).isEqualTo("SUCCEEDED");
      assertThat(last.get("imagesCopied").asInt()).isEqualTo(1);
      assertThat(last.get("manifestsCopied").asInt()).isEqualTo(4); // index, two children, the signature

      String v2 = wharf.url() + "/v2/team/app";
      assertThat(manifest(v2 + "/manifests/multi")).isEqualTo(pushed.index().bytes());
      for (Manifest m : new Manifest[] {pushed.amd64(), pushed.arm64(), pushed.signature()}) {
        assertThat(manifest(v2 + "/manifests/" + m.digest())).as("%s", m.digest()).isEqualTo(m.bytes());
      }
      JsonNode referrers = JSON.readTree(DistributionPushes.send(HttpRequest.newBuilder(
          URI.create(v2 + "/referrers/" + pushed.index().digest())).GET(), ADMIN).body());
      assertThat(referrers.get("manifests")).extracting(e -> e.get("digest").asString())
          .containsExactly(pushed.signature().digest().value());
    }
  }


  byte[] manifest(String url) throws Exception {
    HttpResponse<byte[]> r = DistributionPushes.HTTP.send(HttpRequest.newBuilder(URI.create(url))
        .timeout(Duration.ofMinutes(1))
        .header("Accept", String.join(",", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).as(url).isEqualTo(200);
    return r.body();
  }
}
