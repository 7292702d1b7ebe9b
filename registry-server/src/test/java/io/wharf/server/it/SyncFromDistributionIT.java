package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
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
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(30)).build();
  static final String SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json";
  static final String ADMIN = DistributionRemote.ADMIN;
  final Random random = new Random(19);

  @TempDir Path tmp;

  /** What was pushed to the source: the index, its two children and the signature. */
  record Pushed(Manifest index, Manifest amd64, Manifest arm64, Manifest signature) {}

  record Manifest(String mediaType, byte[] bytes) {
    Digest digest() {
      return Digest.sha256(bytes);
    }

    String descriptor(String platform) {
      String p = platform == null ? "" : ",\"platform\":{\"os\":\"linux\",\"architecture\":\"" + platform + "\"}";
      return "{\"mediaType\":\"" + mediaType + "\",\"digest\":\"" + digest() + "\",\"size\":" + bytes.length + p + "}";
    }
  }

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
      HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(api + "/run"))
          .POST(HttpRequest.BodyPublishers.noBody()), ADMIN);
      assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
      JsonNode last = awaitRun(api).get("last");
      assertThat(last.get("state").asString()).as(last.toString()).isEqualTo("SUCCEEDED");
      assertThat(last.get("imagesCopied").asInt()).isEqualTo(1);
      assertThat(last.get("manifestsCopied").asInt()).isEqualTo(4); // index, two children, the signature

      String v2 = wharf.url() + "/v2/team/app";
      assertThat(manifest(v2 + "/manifests/multi")).isEqualTo(pushed.index().bytes());
      for (Manifest m : new Manifest[] {pushed.amd64(), pushed.arm64(), pushed.signature()}) {
        assertThat(manifest(v2 + "/manifests/" + m.digest())).as("%s", m.digest()).isEqualTo(m.bytes());
      }
      JsonNode referrers = JSON.readTree(send(HttpRequest.newBuilder(URI.create(v2 + "/referrers/" + pushed.index().digest()))
          .GET(), ADMIN).body());
      assertThat(referrers.get("manifests")).extracting(e -> e.get("digest").asString())
          .containsExactly(pushed.signature().digest().value());
    }
  }

  JsonNode awaitRun(String api) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    JsonNode r;
    do {
      r = JSON.readTree(send(HttpRequest.newBuilder(URI.create(api)).GET(), ADMIN).body());
      if (!r.get("running").asBoolean() && r.hasNonNull("last") && r.get("last").hasNonNull("finished")) {
        return r;
      }
      Thread.sleep(100); // a poll interval; the deadline bounds the wait
    } while (System.nanoTime() < deadline);
    throw new AssertionError("the run did not end: " + r);
  }

  byte[] manifest(String url) throws Exception {
    HttpResponse<byte[]> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(1))
        .header("Accept", String.join(",", MediaTypes.OCI_INDEX, MediaTypes.OCI_MANIFEST)).GET().build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).as(url).isEqualTo(200);
    return r.body();
  }

  // ---- seeding the source over the distribution API

  Pushed seed(String url, String auth) throws Exception {
    Manifest amd = image(url, auth, "amd64");
    Manifest arm = image(url, auth, "arm64");
    Manifest index = new Manifest(MediaTypes.OCI_INDEX, ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
        + "\",\"manifests\":[" + amd.descriptor("amd64") + "," + arm.descriptor("arm64") + "]}").getBytes(StandardCharsets.UTF_8));
    putManifest(url, auth, "multi", index);
    byte[] empty = "{}".getBytes(StandardCharsets.UTF_8);
    byte[] payload = ("{\"critical\":{\"image\":{\"docker-manifest-digest\":\"" + index.digest() + "\"}}}")
        .getBytes(StandardCharsets.UTF_8);
    pushBlob(url, auth, empty);
    pushBlob(url, auth, payload);
    Manifest signature = new Manifest(MediaTypes.OCI_MANIFEST, ("{\"schemaVersion\":2,\"mediaType\":\""
        + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\"" + SIGNATURE + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_EMPTY + "\",\"digest\":\"" + Digest.sha256(empty) + "\",\"size\":2},\"layers\":[{\"mediaType\":\""
        + SIGNATURE + "\",\"digest\":\"" + Digest.sha256(payload) + "\",\"size\":" + payload.length + "}],\"subject\":"
        + index.descriptor(null) + "}").getBytes(StandardCharsets.UTF_8));
    putManifest(url, auth, signature.digest().value(), signature);
    // distribution 2.8 has no referrers API: clients list referrers in an index under the tag schema
    Manifest referrers = new Manifest(MediaTypes.OCI_INDEX, ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
        + "\",\"manifests\":[{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + signature.digest()
        + "\",\"size\":" + signature.bytes().length + ",\"artifactType\":\"" + SIGNATURE + "\"}]}")
        .getBytes(StandardCharsets.UTF_8));
    putManifest(url, auth, index.digest().algorithm() + "-" + index.digest().hex(), referrers);
    return new Pushed(index, amd, arm, signature);
  }

  Manifest image(String url, String auth, String arch) throws Exception {
    byte[] config = ("{\"architecture\":\"" + arch + "\",\"os\":\"linux\",\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[]}}")
        .getBytes(StandardCharsets.UTF_8);
    byte[] layer = new byte[100_000 + random.nextInt(1000)];
    random.nextBytes(layer);
    pushBlob(url, auth, config);
    pushBlob(url, auth, layer);
    Manifest m = new Manifest(MediaTypes.OCI_MANIFEST, ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
        + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config)
        + "\",\"size\":" + config.length + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP
        + "\",\"digest\":\"" + Digest.sha256(layer) + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8));
    putManifest(url, auth, m.digest().value(), m);
    return m;
  }

  void pushBlob(String url, String auth, byte[] content) throws Exception {
    HttpResponse<String> started = send(HttpRequest.newBuilder(URI.create(url + "/v2/team/app/blobs/uploads/"))
        .POST(HttpRequest.BodyPublishers.noBody()), auth);
    assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
    URI upload = URI.create(url + "/").resolve(started.headers().firstValue("Location").orElseThrow());
    String put = upload + (upload.getRawQuery() == null ? "?" : "&") + "digest=" + Digest.sha256(content);
    HttpResponse<String> done = send(HttpRequest.newBuilder(URI.create(put)).header("Content-Type", "application/octet-stream")
        .PUT(HttpRequest.BodyPublishers.ofByteArray(content)), auth);
    assertThat(done.statusCode()).as(done.body()).isEqualTo(201);
  }

  void putManifest(String url, String auth, String reference, Manifest m) throws Exception {
    HttpResponse<String> r = send(HttpRequest.newBuilder(URI.create(url + "/v2/team/app/manifests/" + reference))
        .header("Content-Type", m.mediaType()).PUT(HttpRequest.BodyPublishers.ofByteArray(m.bytes())), auth);
    assertThat(r.statusCode()).as(reference + ": " + r.body()).isEqualTo(201);
  }

  static HttpResponse<String> send(HttpRequest.Builder b, String auth) throws IOException, InterruptedException {
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return HTTP.send(b.timeout(Duration.ofMinutes(1)).build(), HttpResponse.BodyHandlers.ofString());
  }
}
