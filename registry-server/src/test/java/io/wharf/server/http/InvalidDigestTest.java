package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static io.wharf.server.http.RegistryHttp.digest;
import static io.wharf.server.http.RegistryHttp.randomBlob;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Malformed and unsupported digests on every endpoint that takes one: always 400
 * {@code DIGEST_INVALID} (never 500), and nothing stored. Runs on the filesystem driver, so
 * "nothing stored" also means no new file under {@code blobs/}.
 */
class InvalidDigestTest {
  private static final String NAME = "digests/app";
  private static final AtomicInteger FRESH = new AtomicInteger();
  @TempDir
  static Path root;
  private static RegistryHttp http;
  private static ManifestJson manifest;
  private List<String> blobFilesBefore;

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
  }

  @AfterEach
  void nothingStored() {
    assertThat(http.blobFiles()).as("files under blobs/").isEqualTo(blobFilesBefore);
  }

  /** Digests that cannot name content here, with or without a colon. */
  static Stream<String> invalid() {
    return Stream.concat(withColon(), Stream.of("nocolon", "sha256"));
  }

  /** Invalid digests that contain a colon, so that the manifest endpoints read them as digests. */
  static Stream<String> withColon() {
    String hex64 = "a".repeat(64);
    return Stream.of(
        "md5:" + "0123456789abcdef".repeat(2), // grammatical, unsupported algorithm
        "sha1:" + "a".repeat(40),
        "sha256:xyz",
        "sha256:" + "ABCDEF0123456789".repeat(4), // upper-case hex
        "sha256:" + hex64.substring(1), // 63 characters
        "sha256:" + hex64 + "a", // 65 characters
        "sha256:",
        ":" + hex64,
        "SHA256:" + hex64,
        "sha512:" + hex64, // sha512 needs 128
        "sha256:" + hex64 + ":" + hex64);
  }

  private static String fresh() {
    return "digests/fresh" + FRESH.incrementAndGet();
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void getBlob_invalidDigest_400DigestInvalid(String digest) {
    assertError(http.get("/v2/" + NAME + "/blobs/" + digest), 400, "DIGEST_INVALID");
    assertThat(http.head("/v2/" + NAME + "/blobs/" + digest).status()).isEqualTo(400);
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void deleteBlob_invalidDigest_400DigestInvalid(String digest) {
    assertError(http.delete("/v2/" + NAME + "/blobs/" + digest), 400, "DIGEST_INVALID");
  }

  @ParameterizedTest
  @MethodSource("withColon")
  void getManifest_invalidDigest_400DigestInvalid(String digest) {
    assertError(http.get("/v2/" + NAME + "/manifests/" + digest), 400, "DIGEST_INVALID");
    assertThat(http.head("/v2/" + NAME + "/manifests/" + digest).status()).isEqualTo(400);
  }

  @ParameterizedTest
  @MethodSource("withColon")
  void deleteManifest_invalidDigest_400DigestInvalid(String digest) {
    assertError(http.delete("/v2/" + NAME + "/manifests/" + digest), 400, "DIGEST_INVALID");
    assertThat(http.get("/v2/" + NAME + "/manifests/v1").status()).isEqualTo(200);
  }

  @ParameterizedTest
  @MethodSource("withColon")
  void putManifest_invalidDigest_400DigestInvalidNothingStored(String digest) {
    ManifestJson m = ManifestJson.oci().field("config", manifest.get("config"))
        .annotation("unique", digest);

    Resp r = http.put("/v2/" + NAME + "/manifests/" + digest, m.bytes(), "Content-Type", m.mediaType());

    assertError(r, 400, "DIGEST_INVALID");
    assertThat(http.get("/v2/" + NAME + "/manifests/" + m.digest()).status()).isEqualTo(404);
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void postUpload_invalidDigest_400DigestInvalidNothingCreated(String digest) {
    String name = fresh();
    byte[] blob = randomBlob(100);

    Resp r = http.post("/v2/" + name + "/blobs/uploads/?digest=" + digest, blob,
        "Content-Type", "application/octet-stream");

    assertError(r, 400, "DIGEST_INVALID");
    assertThat(http.get("/v2/" + name + "/blobs/" + digest(blob)).status()).isEqualTo(404);
    assertError(http.get("/v2/" + name + "/tags/list"), 404, "NAME_UNKNOWN");
    assertThat(Files.exists(root.resolve("docker/registry/v2/repositories/" + name))).as("image directory").isFalse();
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void postMount_invalidDigest_400DigestInvalidNothingCreated(String digest) {
    String name = fresh();

    Resp r = http.post("/v2/" + name + "/blobs/uploads/?mount=" + digest + "&from=" + NAME, new byte[0]);

    assertError(r, 400, "DIGEST_INVALID");
    assertThat(Files.exists(root.resolve("docker/registry/v2/repositories/" + name))).as("image directory").isFalse();
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void putUpload_invalidDigest_400DigestInvalidNothingStored(String digest) {
    byte[] blob = randomBlob(100);
    Resp post = http.post("/v2/" + NAME + "/blobs/uploads/", new byte[0]);

    Resp r = http.put(post.location() + "?digest=" + digest, blob, "Content-Type", "application/octet-stream");

    assertError(r, 400, "DIGEST_INVALID");
    assertThat(http.get("/v2/" + NAME + "/blobs/" + digest(blob)).status()).isEqualTo(404);
    http.delete(post.location());
  }

  @ParameterizedTest
  @MethodSource("invalid")
  void getReferrers_invalidDigest_400DigestInvalid(String digest) {
    assertError(http.get("/v2/" + NAME + "/referrers/" + digest), 400, "DIGEST_INVALID");
  }
}
