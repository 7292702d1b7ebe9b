package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static io.wharf.server.http.RegistryHttp.randomBlob;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Manifest pushes the registry must refuse, each with its OCI code; afterwards neither the tag
 * nor the digest resolves, and (manifests are stored as blobs) no file appeared under {@code blobs/}.
 */
class RejectedManifestTest {
  private static final String NAME = "rejected/manifests";
  private static final String TAG = "refused";
  @TempDir
  static Path root;
  private static RegistryHttp http;
  private static byte[] config;
  private static Digest layer;
  private static long layerSize;
  private List<String> blobFilesBefore;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.filesystem(root);
    config = "{\"os\":\"linux\"}".getBytes(UTF_8);
    http.pushBlob(NAME, config);
    byte[] l = randomBlob(100);
    layer = http.pushBlob(NAME, l);
    layerSize = l.length;
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  @BeforeEach
  void snapshot() {
    blobFilesBefore = http.blobFiles();
  }

  @AfterEach
  void nothingStored() {
    assertThat(http.blobFiles()).as("files under blobs/").isEqualTo(blobFilesBefore);
    assertThat(http.get("/v2/" + NAME + "/manifests/" + TAG).status()).as("tag").isEqualTo(404);
  }

  private static ManifestJson valid() {
    return ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
        .layer(MediaTypes.OCI_LAYER_TAR_GZIP, layer, layerSize);
  }

  private static Resp put(String mediaType, byte[] body) {
    return http.put("/v2/" + NAME + "/manifests/" + TAG, body, "Content-Type", mediaType);
  }

  private static void assertNotStored(Digest digest) {
    assertThat(http.get("/v2/" + NAME + "/manifests/" + digest).status()).isEqualTo(404);
    assertThat(http.head("/v2/" + NAME + "/manifests/" + digest).status()).isEqualTo(404);
  }

  @Test
  void putManifest_missingLayer_400ManifestBlobUnknownWithDigestInDetail() {
    Digest missing = RegistryHttp.unknownDigest();
    ManifestJson m = valid().layer(MediaTypes.OCI_LAYER_TAR_GZIP, missing, 10);

    JsonNode error = assertError(put(m.mediaType(), m.bytes()), 400, "MANIFEST_BLOB_UNKNOWN");

    assertThat(error.get("detail").toString()).contains(missing.value()).doesNotContain(layer.value());
    assertNotStored(m.digest());
  }

  @Test
  void putManifest_missingConfig_400ManifestBlobUnknown() {
    Digest missing = RegistryHttp.unknownDigest();
    ManifestJson m = ManifestJson.oci().config(MediaTypes.OCI_CONFIG, missing, 10);

    JsonNode error = assertError(put(m.mediaType(), m.bytes()), 400, "MANIFEST_BLOB_UNKNOWN");

    assertThat(error.get("detail").toString()).contains(missing.value());
    assertNotStored(m.digest());
  }

  @Test
  void putManifest_blobOnlyInOtherImage_400ManifestBlobUnknown() {
    byte[] foreign = randomBlob(30);
    Digest d = http.pushBlob("rejected/other", foreign);
    blobFilesBefore = http.blobFiles();
    ManifestJson m = valid().layer(MediaTypes.OCI_LAYER_TAR_GZIP, d, foreign.length);

    JsonNode error = assertError(put(m.mediaType(), m.bytes()), 400, "MANIFEST_BLOB_UNKNOWN");

    assertThat(error.get("detail").toString()).contains(d.value());
    assertNotStored(m.digest());
  }

  @Test
  void putIndex_missingChild_400ManifestBlobUnknownWithDigestInDetail() {
    ManifestJson child = valid().annotation("child", "never pushed");
    ManifestJson index = ManifestJson.ociIndex().child(child);

    JsonNode error = assertError(put(index.mediaType(), index.bytes()), 400, "MANIFEST_BLOB_UNKNOWN");

    assertThat(error.get("detail").toString()).contains(child.digest().value());
    assertNotStored(index.digest());
  }

  @Test
  void putDockerList_missingChild_400ManifestBlobUnknown() {
    ManifestJson child = ManifestJson.docker().config(MediaTypes.DOCKER_CONFIG, config);
    ManifestJson list = ManifestJson.dockerList().child(child);

    JsonNode error = assertError(put(list.mediaType(), list.bytes()), 400, "MANIFEST_BLOB_UNKNOWN");

    assertThat(error.get("detail").toString()).contains(child.digest().value());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "{", "not json", "[]", "null", "42", "{\"schemaVersion\":\"2\"}",
      "{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\"}", // no config
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"size\":1}}", // config without digest
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"sha256:xyz\",\"size\":1}}",
      "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"a/b\",\"digest\":\"md5:0123456789abcdef0123456789abcdef\","
          + "\"size\":1}}",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":{}}",
      "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[{\"digest\":1}]}"})
  void putManifest_malformed_400ManifestInvalid(String body) {
    assertError(put(MediaTypes.OCI_MANIFEST, body.getBytes(UTF_8)), 400, "MANIFEST_INVALID");
  }

  @Test
  void putManifest_emptyBody_400ManifestInvalid() {
    assertError(put(MediaTypes.OCI_MANIFEST, new byte[0]), 400, "MANIFEST_INVALID");
  }

  @Test
  void putManifest_layerSizeNegative_400ManifestInvalid() {
    ManifestJson m = ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
        .field("layers", List.of(
            Map.of("mediaType", MediaTypes.OCI_LAYER_TAR_GZIP, "digest", layer.value(), "size", -1)));

    assertError(put(m.mediaType(), m.bytes()), 400, "MANIFEST_INVALID");
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3})
  void putManifest_wrongSchemaVersion_400ManifestInvalid(int version) {
    ManifestJson m = valid().field("schemaVersion", version);

    assertError(put(m.mediaType(), m.bytes()), 400, "MANIFEST_INVALID");
    assertNotStored(m.digest());
  }

  @Test
  void putManifest_schema1_400ManifestInvalid() {
    String schema1 = "{\"schemaVersion\":1,\"name\":\"rejected/manifests\",\"tag\":\"refused\","
        + "\"architecture\":\"amd64\","
        + "\"fsLayers\":[{\"blobSum\":\"" + layer + "\"}],\"history\":[{\"v1Compatibility\":\"{}\"}]}";

    assertError(put(MediaTypes.DOCKER_SCHEMA1, schema1.getBytes(UTF_8)), 400, "MANIFEST_INVALID");
    assertError(put(MediaTypes.DOCKER_SCHEMA1_SIGNED, schema1.getBytes(UTF_8)), 400, "MANIFEST_INVALID");
    assertError(put("application/json", schema1.getBytes(UTF_8)), 400, "MANIFEST_INVALID");
  }

  @Test
  void putManifest_schema1ContentTypeWithSchema2Body_400ManifestInvalid() {
    ManifestJson m = valid().without("mediaType");

    assertError(put(MediaTypes.DOCKER_SCHEMA1_SIGNED, m.bytes()), 400, "MANIFEST_INVALID");
  }

  @Test
  void putManifest_contentTypeContradictsMediaType_400ManifestInvalid() {
    ManifestJson m = valid();

    assertError(put(MediaTypes.DOCKER_MANIFEST, m.bytes()), 400, "MANIFEST_INVALID");
    assertError(put(MediaTypes.OCI_INDEX, m.bytes()), 400, "MANIFEST_INVALID");
    assertNotStored(m.digest());
  }

  @Test
  void putManifest_unsupportedMediaTypeInBody_400ManifestInvalid() {
    ManifestJson m = valid().field("mediaType", "application/vnd.example.not-a-manifest");

    assertError(put("application/vnd.example.not-a-manifest", m.bytes()), 400, "MANIFEST_INVALID");
  }

  @Test
  void putManifest_byDigestNotMatchingBody_400DigestInvalid() {
    ManifestJson m = valid();
    Digest other = RegistryHttp.unknownDigest();

    Resp r = http.put("/v2/" + NAME + "/manifests/" + other, m.bytes(), "Content-Type", m.mediaType());

    assertError(r, 400, "DIGEST_INVALID");
    assertNotStored(m.digest());
    assertNotStored(other);
  }

  /** Refused on the declared length alone, before any of the body is read. */
  @Test
  void putManifest_declaredOver4MiB_413BeforeReadingBody() throws Exception {
    String head = http.rawHead("PUT", "/v2/" + NAME + "/manifests/" + TAG,
        "Content-Type: " + MediaTypes.OCI_MANIFEST, "Content-Length: " + (4 * 1024 * 1024 + 1));

    // no body sent and the socket kept open: only a server that answers without reading can reply
    // (it then waits for the body, to drop it: see ErrorEnvelopeTest; so no waiting for the close)
    String response = new String(http.rawFirstResponse(head.getBytes(ISO_8859_1)), ISO_8859_1);

    assertThat(response).startsWith("HTTP/1.1 413");
    assertThat(response).containsIgnoringCase("Connection: close");
    assertThat(response).contains("\"code\":\"SIZE_INVALID\"");
  }

  @Test
  void putManifest_streamedOver4MiB_413() {
    ManifestJson m = valid().annotation("padding", "x".repeat(4 * 1024 * 1024));

    Resp r = http.send("PUT", "/v2/" + NAME + "/manifests/" + TAG, RegistryHttp.streamed(m.bytes()),
        "Content-Type", m.mediaType());

    assertThat(r.status()).as("%s", r).isEqualTo(413);
    assertThat(r.json().get("errors").get(0).get("code").asString()).isIn("SIZE_INVALID", "MANIFEST_INVALID");
    assertNotStored(m.digest());
  }

  @Test
  void putManifest_exactly4MiB_201() {
    ManifestJson m = valid().annotation("padding", "");
    int padding = 4 * 1024 * 1024 - m.bytes().length;
    ManifestJson big = valid().annotation("padding", "x".repeat(padding));
    assertThat(big.bytes()).hasSize(4 * 1024 * 1024);

    Resp r = http.pushManifest(NAME, big.digest().value(), big);

    assertThat(r.header("Docker-Content-Digest")).isEqualTo(big.digest().value());
    assertThat(http.get("/v2/" + NAME + "/manifests/" + big.digest()).body()).isEqualTo(big.bytes());
    blobFilesBefore = http.blobFiles(); // stored, as it should be
  }
}
