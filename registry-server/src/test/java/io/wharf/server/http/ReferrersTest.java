package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import java.net.URLEncoder;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** {@code GET /v2/<name>/referrers/<digest>} and {@code OCI-Subject} (API-NOTES 5, 6). */
class ReferrersTest {
  private static final String NAME = "referrers/app";
  private static final String SBOM = "application/vnd.example.sbom.v1";
  private static final String SIGNATURE = "application/vnd.example.signature.v1";
  private static final String CONFIG_TYPED = "application/vnd.example.config.v1+json";
  private static RegistryHttp http;
  private static ManifestJson subject;
  private static ManifestJson sbom;
  private static ManifestJson signature;
  private static ManifestJson referrerIndex;
  private static ManifestJson configTyped;
  private static Resp sbomPush;
  private static Resp indexPush;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.inMemory();
    subject = http.pushImage(NAME, "v1", 1);
    byte[] empty = "{}".getBytes(UTF_8);
    Digest emptyDigest = http.pushBlob(NAME, empty);
    assertThat(emptyDigest.value())
        .isEqualTo("sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
    byte[] layer = RegistryHttp.randomBlob(50);
    Digest layerDigest = http.pushBlob(NAME, layer);

    sbom = ManifestJson.oci().artifactType(SBOM).config(MediaTypes.OCI_EMPTY, empty)
        .layer("application/spdx+json", layerDigest, layer.length)
        .subject(subject).annotation("org.example.kind", "sbom");
    signature = ManifestJson.oci().artifactType(SIGNATURE).config(MediaTypes.OCI_EMPTY, empty)
        .subject(subject).annotation("org.example.kind", "signature");
    // no artifactType: the config's media type is the artifact type
    configTyped = ManifestJson.oci().config(CONFIG_TYPED, emptyDigest, 2)
        .subject(subject).annotation("org.example.kind", "config-typed");
    referrerIndex = ManifestJson.ociIndex().child(sbom).subject(subject).annotation("org.example.kind", "index");

    sbomPush = http.pushManifest(NAME, sbom.digest().value(), sbom);
    http.pushManifest(NAME, signature.digest().value(), signature);
    http.pushManifest(NAME, configTyped.digest().value(), configTyped);
    indexPush = http.pushManifest(NAME, referrerIndex.digest().value(), referrerIndex);
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  private static Map<String, JsonNode> byDigest(Resp r) {
    assertThat(r.status()).as("%s", r).isEqualTo(200);
    assertThat(r.header("Content-Type")).isEqualTo(MediaTypes.OCI_INDEX);
    JsonNode body = RegistryHttp.JSON.readTree(r.body());
    assertThat(body.get("schemaVersion").asInt()).isEqualTo(2);
    assertThat(body.get("mediaType").asString()).isEqualTo(MediaTypes.OCI_INDEX);
    assertThat(body.get("manifests").isArray()).isTrue();
    return body.get("manifests").valueStream()
        .collect(Collectors.toMap(d -> d.get("digest").asString(), d -> d));
  }

  private static void assertDescriptor(JsonNode d, ManifestJson m, String artifactType, String kind) {
    assertThat(d.get("mediaType").asString()).isEqualTo(m.mediaType());
    assertThat(d.get("size").asLong()).isEqualTo(m.bytes().length);
    if (artifactType == null) {
      assertThat(d.has("artifactType")).isFalse();
    } else {
      assertThat(d.get("artifactType").asString()).isEqualTo(artifactType);
    }
    assertThat(d.get("annotations").get("org.example.kind").asString()).isEqualTo(kind);
  }

  @Test
  void putManifest_withSubject_ociSubjectHeader() {
    assertThat(sbomPush.header("OCI-Subject")).isEqualTo(subject.digest().value());
    assertThat(indexPush.header("OCI-Subject")).isEqualTo(subject.digest().value());
  }

  @Test
  void getReferrers_subjectWithFourReferrers_listsEachWithTypeAndAnnotations() {
    Map<String, JsonNode> found = byDigest(http.get("/v2/" + NAME + "/referrers/" + subject.digest()));

    assertThat(found).containsOnlyKeys(sbom.digest().value(), signature.digest().value(),
        configTyped.digest().value(), referrerIndex.digest().value());
    assertDescriptor(found.get(sbom.digest().value()), sbom, SBOM, "sbom");
    assertDescriptor(found.get(signature.digest().value()), signature, SIGNATURE, "signature");
    assertDescriptor(found.get(configTyped.digest().value()), configTyped, CONFIG_TYPED, "config-typed");
    assertDescriptor(found.get(referrerIndex.digest().value()), referrerIndex, null, "index");
  }

  @Test
  void getReferrers_artifactTypeFilter_onlyMatchingAndFiltersAppliedHeader() {
    Resp r = http.get("/v2/" + NAME + "/referrers/" + subject.digest() + "?artifactType=" + SBOM);

    assertThat(byDigest(r)).containsOnlyKeys(sbom.digest().value());
    assertThat(r.header("OCI-Filters-Applied")).isEqualTo("artifactType");
  }

  @Test
  void getReferrers_filterByConfigType_matchesEffectiveType() {
    Resp r = http.get("/v2/" + NAME + "/referrers/" + subject.digest() + "?artifactType="
        + URLEncoder.encode(CONFIG_TYPED, UTF_8)); // '+' would decode to a space

    assertThat(byDigest(r)).containsOnlyKeys(configTyped.digest().value());
  }

  @Test
  void getReferrers_withoutFilter_noFiltersAppliedHeader() {
    assertThat(http.get("/v2/" + NAME + "/referrers/" + subject.digest()).header("OCI-Filters-Applied")).isNull();
  }

  @Test
  void getReferrers_unknownSubject_200EmptyList() {
    Resp r = http.get("/v2/" + NAME + "/referrers/" + RegistryHttp.unknownDigest());

    assertThat(byDigest(r)).isEmpty();
  }

  @Test
  void getReferrers_unknownImage_200EmptyList() {
    assertThat(byDigest(http.get("/v2/referrers/never-pushed/referrers/" + subject.digest()))).isEmpty();
  }

  @Test
  void getReferrers_otherImage_doesNotSeeThem() {
    http.pushImage("referrers/other", "v1", 1);

    assertThat(byDigest(http.get("/v2/referrers/other/referrers/" + subject.digest()))).isEmpty();
  }

  @Test
  void getReferrers_invalidDigest_400DigestInvalid() {
    assertError(http.get("/v2/" + NAME + "/referrers/sha256:xyz"), 400, "DIGEST_INVALID");
    assertError(http.get("/v2/" + NAME + "/referrers/not-a-digest"), 400, "DIGEST_INVALID");
  }

  @Test
  void putManifest_subjectNeverPushed_acceptedAndListed() {
    String name = "referrers/dangling";
    ManifestJson base = http.pushImage(name, "base", 1);
    Map<String, Object> missing = ManifestJson.descriptor(MediaTypes.OCI_MANIFEST, RegistryHttp.unknownDigest(), 1234);
    ManifestJson referrer = ManifestJson.oci().artifactType(SIGNATURE).field("config", base.get("config"))
        .subject(missing).annotation("org.example.kind", "orphan");

    Resp push = http.pushManifest(name, referrer.digest().value(), referrer);

    assertThat(push.header("OCI-Subject")).isEqualTo(missing.get("digest"));
    Map<String, JsonNode> found = byDigest(http.get("/v2/" + name + "/referrers/" + missing.get("digest")));
    assertThat(found).containsOnlyKeys(referrer.digest().value());
    assertDescriptor(found.get(referrer.digest().value()), referrer, SIGNATURE, "orphan");
  }

  @Test
  void deleteReferrer_thenList_dropsOut() {
    String name = "referrers/deleting";
    ManifestJson base = http.pushImage(name, "base", 1);
    ManifestJson a = ManifestJson.oci().artifactType(SBOM).field("config", base.get("config"))
        .subject(base).annotation("org.example.kind", "a");
    ManifestJson b = ManifestJson.oci().artifactType(SIGNATURE).field("config", base.get("config"))
        .subject(base).annotation("org.example.kind", "b");
    http.pushManifest(name, a.digest().value(), a);
    http.pushManifest(name, b.digest().value(), b);
    assertThat(byDigest(http.get("/v2/" + name + "/referrers/" + base.digest()))).hasSize(2);

    assertThat(http.delete("/v2/" + name + "/manifests/" + a.digest()).status()).isEqualTo(202);

    assertThat(byDigest(http.get("/v2/" + name + "/referrers/" + base.digest()))).containsOnlyKeys(b.digest().value());
  }

  @Test
  void deleteSubject_referrersStayListed() {
    String name = "referrers/subject-deleted";
    ManifestJson base = http.pushImage(name, "base", 1);
    ManifestJson a = ManifestJson.oci().artifactType(SBOM).field("config", base.get("config")).subject(base);
    http.pushManifest(name, a.digest().value(), a);

    assertThat(http.delete("/v2/" + name + "/manifests/" + base.digest()).status()).isEqualTo(202);

    Map<String, JsonNode> found = byDigest(http.get("/v2/" + name + "/referrers/" + base.digest()));
    assertThat(found).containsOnlyKeys(a.digest().value());
    assertThat(found.get(a.digest().value()).has("annotations")).isFalse();
  }

  @Test
  void putManifest_withoutSubject_noOciSubjectHeader() {
    Resp r = http.put("/v2/" + NAME + "/manifests/plain", subject.bytes(), "Content-Type", subject.mediaType());

    assertThat(r.status()).isEqualTo(201);
    assertThat(r.header("OCI-Subject")).isNull();
  }
}
