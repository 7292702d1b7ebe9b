package io.wharf.server.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.proxy.ProxyRepository;
import io.wharf.server.WharfServer;
import io.wharf.server.config.WharfConfig;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import io.wharf.storage.memory.InMemoryDriver;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Referrers through a proxy repository and a group over HTTP, against a real upstream: a Wharf
 * hosted repository, which has the referrers API. A cosign-style signature and an SPDX SBOM are
 * attached to an image upstream; the proxy (repository {@code cache}) and the group {@code all}
 * (a hosted member, then the proxy) must list what the upstream lists and serve the referrer
 * manifests and their blobs with identical digests. The fallback to the referrers tag schema
 * against an upstream without the API (distribution 2.8) is {@code ProxyReferrersIT}.
 */
class ProxyReferrersHttpTest {
  static final String NAME = "team/app";
  static final String SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json";
  static final String SBOM = "application/spdx+json";

  @TempDir static Path spool;
  static Upstream upstream;
  static Mirror mirror;

  /** The upstream registry, with an image and its two referrers. */
  record Upstream(RegistryHttp http, ManifestJson subject, ManifestJson signature, ManifestJson sbom,
      Digest signatureBlob, Digest sbomBlob) {

    static Upstream start() throws Exception {
      RegistryHttp http = RegistryHttp.inMemory();
      ManifestJson subject = http.pushImage(NAME, "1.0", 1);
      byte[] empty = "{}".getBytes(UTF_8);
      http.pushBlob(NAME, empty);
      byte[] payload = ("{\"critical\":{\"image\":{\"docker-manifest-digest\":\"" + subject.digest() + "\"}}}")
          .getBytes(UTF_8);
      Digest signatureBlob = http.pushBlob(NAME, payload);
      byte[] spdx = ("{\"spdxVersion\":\"SPDX-2.3\",\"name\":\"" + subject.digest() + "\"}").getBytes(UTF_8);
      Digest sbomBlob = http.pushBlob(NAME, spdx);
      ManifestJson signature = ManifestJson.oci().artifactType(SIGNATURE).config(MediaTypes.OCI_EMPTY, empty)
          .layer("application/vnd.dev.cosign.simplesigning.v1+json", signatureBlob, payload.length)
          .subject(subject).annotation("dev.cosignproject.cosign/signature", "MEUCIQDexample");
      ManifestJson sbom = ManifestJson.oci().artifactType(SBOM).config(MediaTypes.OCI_EMPTY, empty)
          .layer(SBOM, sbomBlob, spdx.length).subject(subject).annotation("org.example.kind", "sbom");
      http.pushManifest(NAME, signature.digest().value(), signature);
      http.pushManifest(NAME, sbom.digest().value(), sbom);
      return new Upstream(http, subject, signature, sbom, signatureBlob, sbomBlob);
    }
  }

  /**
   * A Wharf server with the proxy {@code cache} of the upstream, a hosted {@code local} and the
   * group {@code all} of both (hosted first).
   */
  record Mirror(RegistryHttp http, ProxyRepository proxy) {
    static Mirror start(Upstream upstream, Duration metadataMaxAge) throws Exception {
      ProxyRepository proxy = ProxyRepository.builder("cache", new InMemoryDriver(),
              URI.create("http://127.0.0.1:" + upstream.http().port()))
          .metadataMaxAge(metadataMaxAge).spoolDirectory(spool).retries(0).build();
      HostedRepository local = HostedRepository.builder("local", new InMemoryDriver()).build();
      GroupRepository all = new GroupRepository("all", List.of(local, proxy), local);
      WharfServer server = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, null),
          Registry.builder().add(local).add(proxy).add(all).build());
      return new Mirror(RegistryHttp.of(server), proxy);
    }

    void close() throws Exception {
      http.close();
      proxy.close();
    }
  }

  @BeforeAll
  static void start() throws Exception {
    upstream = Upstream.start();
    mirror = Mirror.start(upstream, Duration.ofHours(1));
  }

  @AfterAll
  static void stop() throws Exception {
    mirror.close();
    upstream.http().close();
  }

  static JsonNode referrers(Resp r) {
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    assertThat(r.header("Content-Type")).isEqualTo(MediaTypes.OCI_INDEX);
    JsonNode body = RegistryHttp.JSON.readTree(r.body());
    assertThat(body.get("mediaType").asString()).isEqualTo(MediaTypes.OCI_INDEX);
    return body.get("manifests");
  }

  static List<String> digests(JsonNode manifests) {
    return manifests.valueStream().map(d -> d.get("digest").asString()).toList();
  }

  static String referrersPath(String repository, ManifestJson subject) {
    return "/v2/" + repository + "/" + NAME + "/referrers/" + subject.digest();
  }

  // ---- through the proxy

  @Test
  void proxy_referrersList_isTheUpstreamsEntryForEntry() {
    JsonNode atUpstream = referrers(upstream.http().get("/v2/" + NAME + "/referrers/" + upstream.subject().digest()));
    JsonNode throughProxy = referrers(mirror.http().get(referrersPath("cache", upstream.subject())));

    assertThat(digests(atUpstream)).containsExactlyInAnyOrder(upstream.signature().digest().value(),
        upstream.sbom().digest().value());
    assertThat(throughProxy).isEqualTo(atUpstream); // digests, sizes, media and artifact types, annotations
  }

  @Test
  void proxy_artifactTypeFilter_onlyThatTypeWithFiltersAppliedHeader() {
    Resp r = mirror.http().get(referrersPath("cache", upstream.subject()) + "?artifactType="
        + URLEncoder.encode(SBOM, UTF_8));

    assertThat(digests(referrers(r))).containsExactly(upstream.sbom().digest().value());
    assertThat(r.header("OCI-Filters-Applied")).isEqualTo("artifactType");
    Resp unfiltered = mirror.http().get(referrersPath("cache", upstream.subject()));
    assertThat(unfiltered.header("OCI-Filters-Applied")).isNull();
  }

  @Test
  void proxy_referrerManifestAndItsBlob_servedWithIdenticalDigests() {
    Resp manifest = mirror.http().get("/v2/cache/" + NAME + "/manifests/" + upstream.signature().digest(),
        "Accept", MediaTypes.OCI_MANIFEST);
    assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
    assertThat(manifest.body()).isEqualTo(upstream.signature().bytes());
    assertThat(manifest.header("Docker-Content-Digest")).isEqualTo(upstream.signature().digest().value());

    Resp blob = mirror.http().get("/v2/cache/" + NAME + "/blobs/" + upstream.sbomBlob());
    assertThat(blob.status()).as("%s", blob).isEqualTo(200);
    assertThat(Digest.sha256(blob.body())).isEqualTo(upstream.sbomBlob());
  }

  // ---- through the group

  @Test
  void group_mergesTheProxysAnswerWithTheHostedMembers_eachManifestOnce() {
    RegistryHttp local = mirror.http();
    // the hosted member holds the same subject, the same signature (pushed there too) and an attestation of its own
    ManifestJson subject = upstream.subject();
    copyBlobs(upstream.http(), local, "local");
    local.pushManifest("local/" + NAME, subject.digest().value(), subject);
    local.pushManifest("local/" + NAME, upstream.signature().digest().value(), upstream.signature());
    byte[] empty = "{}".getBytes(UTF_8);
    ManifestJson attestation = ManifestJson.oci().artifactType("application/vnd.in-toto+json")
        .config(MediaTypes.OCI_EMPTY, empty).layer("application/vnd.in-toto+json", Digest.sha256(empty), 2)
        .subject(subject);
    local.pushManifest("local/" + NAME, attestation.digest().value(), attestation);

    JsonNode merged = referrers(local.get(referrersPath("all", subject)));

    assertThat(digests(merged)).containsExactlyInAnyOrder(upstream.signature().digest().value(),
        upstream.sbom().digest().value(), attestation.digest().value());
    Resp filtered = local.get(referrersPath("all", subject) + "?artifactType=" + URLEncoder.encode(SBOM, UTF_8));
    assertThat(digests(referrers(filtered))).containsExactly(upstream.sbom().digest().value());
    assertThat(filtered.header("OCI-Filters-Applied")).isEqualTo("artifactType");
  }

  @Test
  void group_referrerManifestAndItsBlob_servedThroughTheProxyMember() {
    referrers(mirror.http().get(referrersPath("all", upstream.subject())));

    Resp manifest = mirror.http().get("/v2/all/" + NAME + "/manifests/" + upstream.sbom().digest(),
        "Accept", MediaTypes.OCI_MANIFEST);
    assertThat(manifest.status()).as("%s", manifest).isEqualTo(200);
    assertThat(manifest.body()).isEqualTo(upstream.sbom().bytes());
    Resp blob = mirror.http().get("/v2/all/" + NAME + "/blobs/" + upstream.signatureBlob());
    assertThat(blob.status()).as("%s", blob).isEqualTo(200);
    assertThat(Digest.sha256(blob.body())).isEqualTo(upstream.signatureBlob());
  }

  // ---- the upstream goes away

  @Test
  void upstreamDownAfterCaching_proxyAndGroupServeTheCachedListWithAWarning() throws Exception {
    Upstream gone = Upstream.start();
    // every request revalidates: after the upstream stops, only the cache can answer
    Mirror m = Mirror.start(gone, Duration.ZERO);
    try {
      List<String> expected = digests(referrers(m.http().get(referrersPath("cache", gone.subject()))));
      assertThat(expected).hasSize(2);

      gone.http().stopNow();

      Resp proxied = m.http().get(referrersPath("cache", gone.subject()));
      assertThat(digests(referrers(proxied))).isEqualTo(expected);
      assertThat(proxied.header("Warning")).startsWith("299 - \"").contains("from the cache of cache");
      Resp grouped = m.http().get(referrersPath("all", gone.subject()) + "?artifactType="
          + URLEncoder.encode(SIGNATURE, UTF_8));
      assertThat(digests(referrers(grouped))).containsExactly(gone.signature().digest().value());
      Resp manifest = m.http().get("/v2/all/" + NAME + "/manifests/" + gone.signature().digest(),
          "Accept", MediaTypes.OCI_MANIFEST);
      assertThat(manifest.body()).isEqualTo(gone.signature().bytes());
    } finally {
      m.close();
    }
  }

  /** Copies the blobs of the upstream image and its signature into {@code repository} of {@code to}. */
  private static void copyBlobs(RegistryHttp from, RegistryHttp to, String repository) {
    JsonNode manifest = RegistryHttp.JSON.readTree(upstream.subject().bytes());
    List<String> blobs = new ArrayList<>();
    blobs.add(manifest.get("config").get("digest").asString());
    manifest.get("layers").forEach(l -> blobs.add(l.get("digest").asString()));
    blobs.add(upstream.signatureBlob().value());
    for (String d : blobs) {
      to.pushBlob(repository + "/" + NAME, from.get("/v2/" + NAME + "/blobs/" + d).body());
    }
    to.pushBlob(repository + "/" + NAME, "{}".getBytes(UTF_8));
  }
}
