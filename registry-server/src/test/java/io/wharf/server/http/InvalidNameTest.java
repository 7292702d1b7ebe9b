package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.MediaTypes;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Invalid image names and tags: 400 {@code NAME_INVALID} / {@code TAG_INVALID} on every endpoint,
 * and nothing stored. Jetty itself refuses some paths ({@code //}) with a plain 400 before the
 * servlet sees them; where the servlet answers, the JSON code is checked.
 */
class InvalidNameTest {
  private static final String NAME = "names/app";
  @TempDir
  static Path root;
  private static RegistryHttp http;
  private static ManifestJson manifest;
  private List<String> blobFilesBefore;
  private List<String> catalogBefore;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.filesystem(root);
    manifest = http.pushImage(NAME, "v1", 1);
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  @BeforeEach
  void snapshot() {
    blobFilesBefore = http.blobFiles();
    catalogBefore = catalog();
  }

  @AfterEach
  void nothingStored() {
    assertThat(http.blobFiles()).as("files under blobs/").isEqualTo(blobFilesBefore);
    assertThat(catalog()).as("catalog").isEqualTo(catalogBefore);
  }

  private static List<String> catalog() {
    return http.get("/v2/_catalog").json().get("repositories").valueStream().map(n -> n.asString()).toList();
  }

  static Stream<String> invalidNames() {
    return Stream.of(
        "..",
        "a/../b",
        "a/./b",
        ".",
        "Alpine",
        "library/Alpine",
        "a//b",
        "a/", // trailing slash
        "-a",
        "a-",
        "a..b",
        "a___b",
        "a;b",
        "a".repeat(256),
        ("abcdefg/").repeat(32).substring(0, 255) + "x"); // 256 characters in segments
  }

  /** 400, and where the servlet answered (JSON), {@code NAME_INVALID}. */
  private static void assertNameInvalid(Resp r) {
    assertThat(r.status()).as("%s", r).isEqualTo(400);
    String type = r.header("Content-Type");
    if (type != null && type.startsWith("application/json")) {
      assertError(r, 400, "NAME_INVALID");
    }
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void getManifest_invalidName_400NameInvalid(String name) {
    assertNameInvalid(http.get("/v2/" + name + "/manifests/latest"));
    assertThat(http.head("/v2/" + name + "/manifests/latest").status()).isEqualTo(400);
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void putManifest_invalidName_400NameInvalidNothingStored(String name) {
    assertNameInvalid(http.put("/v2/" + name + "/manifests/latest", manifest.bytes(),
        "Content-Type", manifest.mediaType()));
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void deleteManifest_invalidName_400NameInvalid(String name) {
    assertNameInvalid(http.delete("/v2/" + name + "/manifests/" + manifest.digest()));
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void postUpload_invalidName_400NameInvalidNothingStored(String name) {
    byte[] blob = RegistryHttp.randomBlob(50);

    assertNameInvalid(http.post("/v2/" + name + "/blobs/uploads/", new byte[0]));
    assertNameInvalid(http.post("/v2/" + name + "/blobs/uploads/?digest=" + RegistryHttp.digest(blob), blob,
        "Content-Type", "application/octet-stream"));
    assertNameInvalid(http.post("/v2/" + name + "/blobs/uploads/?mount=" + RegistryHttp.digest(blob) + "&from=" + NAME,
        new byte[0]));
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void getBlob_invalidName_400NameInvalid(String name) {
    assertNameInvalid(http.get("/v2/" + name + "/blobs/" + RegistryHttp.unknownDigest()));
    assertNameInvalid(http.delete("/v2/" + name + "/blobs/" + RegistryHttp.unknownDigest()));
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void uploadSession_invalidName_400NameInvalid(String name) {
    String path = "/v2/" + name + "/blobs/uploads/0b7c7f4e-1d2a-4bb4-9d0e-3c1c1f9d2a10";

    assertNameInvalid(http.get(path));
    assertNameInvalid(http.patch(path, new byte[10]));
    assertNameInvalid(http.put(path + "?digest=" + RegistryHttp.unknownDigest(), new byte[10]));
    assertNameInvalid(http.delete(path));
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void listTags_invalidName_400NameInvalid(String name) {
    assertNameInvalid(http.get("/v2/" + name + "/tags/list"));
  }

  @ParameterizedTest
  @MethodSource("invalidNames")
  void getReferrers_invalidName_400NameInvalid(String name) {
    assertNameInvalid(http.get("/v2/" + name + "/referrers/" + manifest.digest()));
  }

  @Test
  void getManifest_name255Characters_validSo404() {
    String name = "a".repeat(255);

    assertError(http.get("/v2/" + name + "/manifests/latest"), 404, "MANIFEST_UNKNOWN");
  }

  @ParameterizedTest
  @ValueSource(strings = {"-bad", ".bad", "bad+tag", "a%2Bb"})
  void putManifest_invalidTag_400TagInvalidNothingStored(String tag) {
    ManifestJson m = ManifestJson.oci().field("config", manifest.get("config"))
        .annotation("tag", tag);

    Resp r = http.put("/v2/" + NAME + "/manifests/" + tag, m.bytes(), "Content-Type", MediaTypes.OCI_MANIFEST);

    assertError(r, 400, "TAG_INVALID");
    assertThat(http.get("/v2/" + NAME + "/manifests/" + m.digest()).status()).isEqualTo(404);
  }

  @Test
  void putManifest_tag129Characters_400TagInvalid() {
    ManifestJson m = ManifestJson.oci().field("config", manifest.get("config"))
        .annotation("tag", "long");

    Resp r = http.put("/v2/" + NAME + "/manifests/" + "t".repeat(129), m.bytes(),
        "Content-Type", MediaTypes.OCI_MANIFEST);

    assertError(r, 400, "TAG_INVALID");
    assertThat(http.get("/v2/" + NAME + "/manifests/" + m.digest()).status()).isEqualTo(404);
  }

  @Test
  void putManifest_tag128Characters_201() {
    String tag = "t".repeat(128);

    http.pushManifest(NAME, tag, manifest);

    assertThat(http.get("/v2/" + NAME + "/manifests/" + tag).body()).isEqualTo(manifest.bytes());
  }

  @ParameterizedTest
  @ValueSource(strings = {".INVALID_MANIFEST_NAME", "-bad", "bad+tag"})
  void getManifest_invalidTag_404ManifestUnknown(String tag) {
    assertError(http.get("/v2/" + NAME + "/manifests/" + tag), 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void getManifest_tag129Characters_404ManifestUnknown() {
    assertError(http.get("/v2/" + NAME + "/manifests/" + "t".repeat(129)), 404, "MANIFEST_UNKNOWN");
  }
}
