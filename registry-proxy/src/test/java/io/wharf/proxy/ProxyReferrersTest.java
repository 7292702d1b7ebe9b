package io.wharf.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.jetty12.Jetty12HttpServerFactory;
import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.Referrer;
import io.wharf.core.repository.Warnings;
import io.wharf.core.testing.MutableClock;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Referrers through a proxy against WireMock upstreams: one with the referrers API, one without
 * (the tag schema fallback), and upstreams that list what does not verify.
 */
class ProxyReferrersTest {
  static final ImageName IMAGE = ImageName.of("team/app");
  static final String SIGNATURE = "application/vnd.dev.cosign.artifact.sig.v1+json";
  static final String SBOM = "application/spdx+json";
  static final Digest SUBJECT = Digest.sha256("the image the signature and the SBOM are about");
  static final Digest EMPTY = Digest.sha256("{}");

  @TempDir Path spool;
  WireMockServer upstream;
  MutableClock clock;
  InMemoryDriver storage;
  ProxyRepository proxy;
  byte[] signature;
  byte[] sbom;

  @BeforeEach
  void start() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
        .httpServerFactory(new Jetty12HttpServerFactory()));
    upstream.start();
    clock = new MutableClock();
    storage = new InMemoryDriver();
    proxy = ProxyRepository.builder("cache", storage, URI.create(upstream.baseUrl()))
        .clock(clock)
        .spoolDirectory(spool)
        .metadataMaxAge(Duration.ofHours(1))
        .readTimeout(Duration.ofSeconds(5))
        .connectTimeout(Duration.ofSeconds(5))
        .retries(0)
        .autoBlock(0, Duration.ofSeconds(1), Duration.ofSeconds(1))
        .build();
    signature = referrer(SIGNATURE, SUBJECT, "signature");
    sbom = referrer(SBOM, SUBJECT, "sbom");
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    upstream.stop();
    Warnings.end();
  }

  // ---- fixtures

  /** A hand-made referrer: an OCI image manifest with {@code artifactType}, {@code subject} and an annotation. */
  static byte[] referrer(String artifactType, Digest subject, String kind) {
    return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"artifactType\":\"" + artifactType
        + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_EMPTY + "\",\"digest\":\"" + EMPTY + "\",\"size\":2},"
        + "\"layers\":[{\"mediaType\":\"" + artifactType + "\",\"digest\":\"" + Digest.sha256(kind) + "\",\"size\":"
        + kind.length() + "}],\"subject\":{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + subject
        + "\",\"size\":100},\"annotations\":{\"org.example.kind\":\"" + kind + "\"}}").getBytes(StandardCharsets.UTF_8);
  }

  /** An image index of {@code manifests}, as the referrers API and the tag schema both answer; {@code artifactType} as listed. */
  static String index(String listedType, byte[]... manifests) {
    StringBuilder b = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":[");
    for (int i = 0; i < manifests.length; i++) {
      b.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(MediaTypes.OCI_MANIFEST).append("\",\"digest\":\"")
          .append(Digest.sha256(manifests[i])).append("\",\"size\":").append(manifests[i].length)
          .append(",\"artifactType\":\"").append(listedType).append("\"}");
    }
    return b.append("]}").toString();
  }

  void stubManifest(byte[] m) {
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + Digest.sha256(m))).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withHeader("Docker-Content-Digest", Digest.sha256(m).value())
        .withBody(m)));
  }

  void stubReferrersApi(String index) {
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/referrers/" + SUBJECT)).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_INDEX).withBody(index)));
  }

  /** distribution 2.8: no referrers API, its router's plain-text 404. */
  void stubNoReferrersApi() {
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/referrers/" + SUBJECT)).willReturn(aResponse()
        .withStatus(404).withHeader("Content-Type", "text/plain; charset=utf-8").withBody("404 page not found\n")));
  }

  static List<String> digests(List<Referrer> rs) {
    return rs.stream().map(r -> r.descriptor().digest().value()).toList();
  }

  static List<String> sortedDigests(byte[]... manifests) {
    return java.util.Arrays.stream(manifests).map(m -> Digest.sha256(m).value()).sorted().toList();
  }

  // ---- the referrers API

  @Test
  void referrers_upstreamApi_listsEachManifestDescribedFromItsOwnBytes() throws Exception {
    stubManifest(signature);
    stubManifest(sbom);
    stubReferrersApi(index("application/x-what-the-upstream-claims", signature, sbom));

    List<Referrer> found = proxy.referrers(IMAGE, SUBJECT, null);

    assertThat(digests(found)).isEqualTo(sortedDigests(signature, sbom));
    Referrer sig = found.stream().filter(r -> r.descriptor().digest().equals(Digest.sha256(signature))).findFirst()
        .orElseThrow();
    assertThat(sig.artifactType()).isEqualTo(SIGNATURE); // the manifest's, not the list's
    assertThat(sig.descriptor().mediaType()).isEqualTo(MediaTypes.OCI_MANIFEST);
    assertThat(sig.descriptor().size()).isEqualTo(signature.length);
    assertThat(sig.annotations()).containsEntry("org.example.kind", "signature");
    // the referrer manifests are cached: served by digest without asking again
    assertThat(proxy.getManifest(IMAGE, Digest.sha256(sbom)).orElseThrow().bytes()).isEqualTo(sbom);
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/" + Digest.sha256(sbom))));
  }

  @Test
  void referrers_artifactTypeFilter_onlyThatType_upstreamAskedOnceForAll() throws Exception {
    stubManifest(signature);
    stubManifest(sbom);
    stubReferrersApi(index(SBOM, signature, sbom));

    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, SBOM))).containsExactly(Digest.sha256(sbom).value());
    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, SIGNATURE))).containsExactly(Digest.sha256(signature).value());
    assertThat(proxy.referrers(IMAGE, SUBJECT, "application/x-none")).isEmpty();
    upstream.verify(1, getRequestedFor(urlPathEqualTo("/v2/team/app/referrers/" + SUBJECT)));
  }

  @Test
  void referrers_upstreamApiPaged_followsLinkNext() throws Exception {
    stubManifest(signature);
    stubManifest(sbom);
    upstream.stubFor(get(urlEqualTo("/v2/team/app/referrers/" + SUBJECT)).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_INDEX)
        .withHeader("Link", "</v2/team/app/referrers/" + SUBJECT + "?page=2>; rel=\"next\"")
        .withBody(index(SIGNATURE, signature))));
    upstream.stubFor(get(urlEqualTo("/v2/team/app/referrers/" + SUBJECT + "?page=2")).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_INDEX).withBody(index(SBOM, sbom))));

    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, null))).isEqualTo(sortedDigests(signature, sbom));
  }

  // ---- the referrers tag schema

  @Test
  void referrers_noApi_fallsBackToTheReferrersTagSchema() throws Exception {
    stubManifest(signature);
    stubManifest(sbom);
    stubNoReferrersApi();
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/sha256-" + SUBJECT.hex())).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_INDEX).withBody(index(SIGNATURE, signature, sbom))));

    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, null))).isEqualTo(sortedDigests(signature, sbom));
    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, SIGNATURE))).containsExactly(Digest.sha256(signature).value());
  }

  @Test
  void referrers_apiAnswersSomethingThatIsNoIndex_fallsBackToo() throws Exception {
    stubManifest(sbom);
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/referrers/" + SUBJECT)).willReturn(aResponse()
        .withHeader("Content-Type", "text/html").withBody("<html>a catch-all page</html>")));
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/sha256-" + SUBJECT.hex())).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_INDEX).withBody(index(SBOM, sbom))));

    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, null))).containsExactly(Digest.sha256(sbom).value());
  }

  @Test
  void referrers_noApiAndNoTag_emptyList() throws Exception {
    stubNoReferrersApi();

    assertThat(proxy.referrers(IMAGE, SUBJECT, null)).isEmpty();
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/sha256-" + SUBJECT.hex())));
  }

  @Test
  void referrersTag_followsTheSpecsTruncation() {
    assertThat(UpstreamClient.referrersTag(SUBJECT)).isEqualTo("sha256-" + SUBJECT.hex());
    Digest sha512 = Digest.parse("sha512:" + "ab".repeat(64));
    assertThat(UpstreamClient.referrersTag(sha512)).isEqualTo("sha512-" + "ab".repeat(32));
  }

  // ---- only what verifies is listed

  @Test
  void referrers_listedEntriesThatDoNotVerify_areLeftOut() throws Exception {
    stubManifest(signature);
    byte[] otherSubject = referrer(SBOM, Digest.sha256("another image"), "other");
    stubManifest(otherSubject);
    byte[] corrupt = referrer(SBOM, SUBJECT, "corrupt");
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + Digest.sha256(corrupt))).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(referrer(SBOM, SUBJECT, "c0rrupt"))));
    byte[] missing = referrer(SBOM, SUBJECT, "missing"); // listed, but the upstream answers 404
    String listed = index(SBOM, signature, otherSubject, corrupt, missing)
        .replace("]}", ",{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"sha256:nope\",\"size\":1}]}");
    stubReferrersApi(listed);

    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, null))).containsExactly(Digest.sha256(signature).value());
    assertThat(proxy.referrers(IMAGE, Digest.sha256("another image"), null))
        .as("the upstream lists nothing for that subject: the answer is the upstream's").isEmpty();
  }

  // ---- caching and revalidation

  @Test
  void referrers_withinMetadataMaxAge_servedFromTheCache_thenRevalidatedAndReconciled() throws Exception {
    stubManifest(signature);
    stubManifest(sbom);
    stubReferrersApi(index(SBOM, signature, sbom));
    proxy.referrers(IMAGE, SUBJECT, null);

    clock.advance(Duration.ofMinutes(59));
    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, null))).isEqualTo(sortedDigests(signature, sbom));
    upstream.verify(1, getRequestedFor(urlPathEqualTo("/v2/team/app/referrers/" + SUBJECT)));

    stubReferrersApi(index(SIGNATURE, signature)); // the SBOM was deleted upstream
    clock.advance(Duration.ofMinutes(2));
    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, null))).containsExactly(Digest.sha256(signature).value());
    upstream.verify(2, getRequestedFor(urlPathEqualTo("/v2/team/app/referrers/" + SUBJECT)));

    stubReferrersApi(index(SBOM, signature, sbom)); // and pushed again
    clock.advance(Duration.ofMinutes(1));
    proxy.invalidateCache();
    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, null))).isEqualTo(sortedDigests(signature, sbom));
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/" + Digest.sha256(sbom)))); // cached bytes
  }

  @Test
  void referrers_checkedAnswerSharedThroughStorage_anotherNodeServesItWithoutAsking() throws Exception {
    stubManifest(signature);
    stubReferrersApi(index(SIGNATURE, signature));
    proxy.referrers(IMAGE, SUBJECT, null);

    try (ProxyRepository other = ProxyRepository.builder("cache", storage, URI.create(upstream.baseUrl()))
        .clock(clock).spoolDirectory(spool).metadataMaxAge(Duration.ofHours(1)).build()) {
      assertThat(digests(other.referrers(IMAGE, SUBJECT, null))).containsExactly(Digest.sha256(signature).value());
    }
    upstream.verify(1, getRequestedFor(urlPathEqualTo("/v2/team/app/referrers/" + SUBJECT)));
  }

  @Test
  void referrers_upstreamDownAfterCaching_servesTheCachedListWithAWarning() throws Exception {
    stubManifest(signature);
    stubManifest(sbom);
    stubReferrersApi(index(SBOM, signature, sbom));
    proxy.referrers(IMAGE, SUBJECT, null);
    clock.advance(Duration.ofHours(2));
    upstream.stop();

    Warnings.begin();
    List<Referrer> stale = proxy.referrers(IMAGE, SUBJECT, SBOM);

    assertThat(digests(stale)).containsExactly(Digest.sha256(sbom).value());
    assertThat(Warnings.take()).singleElement().asString().contains("from the cache of cache").contains("last checked");
  }

  @Test
  void referrers_upstreamFailsMidwayThroughTheList_keepsThePreviousAnswer() throws Exception {
    stubManifest(signature);
    stubReferrersApi(index(SIGNATURE, signature));
    proxy.referrers(IMAGE, SUBJECT, null);
    clock.advance(Duration.ofHours(2));
    stubReferrersApi(index(SBOM, sbom)); // a new list whose manifest the upstream then fails to send
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + Digest.sha256(sbom))).willReturn(aResponse()
        .withStatus(503)));

    Warnings.begin();
    assertThat(digests(proxy.referrers(IMAGE, SUBJECT, null))).containsExactly(Digest.sha256(signature).value());
    assertThat(Warnings.take()).singleElement().asString().contains("503");
  }

  @Test
  void referrers_upstreamDownNothingCached_isTheUpstreamsError() {
    upstream.stop();

    assertThatThrownBy(() -> proxy.referrers(IMAGE, SUBJECT, null))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
  }
}
