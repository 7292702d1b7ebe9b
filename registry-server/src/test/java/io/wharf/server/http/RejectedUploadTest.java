package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static io.wharf.server.http.RegistryHttp.digest;
import static io.wharf.server.http.RegistryHttp.randomBlob;
import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.server.http.RegistryHttp.Resp;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
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
 * Blob uploads the registry must refuse, each with its OCI code, and after which no blob is
 * visible and no file appeared under {@code <root>/docker/registry/v2/blobs}.
 */
class RejectedUploadTest {
  private static final String OCTET = "application/octet-stream";
  private static final String NAME = "rejected/uploads";
  @TempDir
  static Path root;
  private static RegistryHttp http;
  private List<String> blobFilesBefore;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.filesystem(root);
    http.pushBlob(NAME, randomBlob(10)); // the image exists
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
  void noBlobFileAppeared() {
    assertThat(http.blobFiles()).as("files under blobs/").isEqualTo(blobFilesBefore);
  }

  private static void assertNotStored(Digest... digests) {
    for (Digest d : digests) {
      assertThat(http.get("/v2/" + NAME + "/blobs/" + d).status()).as("GET blob %s", d).isEqualTo(404);
      assertThat(http.head("/v2/" + NAME + "/blobs/" + d).status()).as("HEAD blob %s", d).isEqualTo(404);
      assertThat(http.blobDataFile(d)).doesNotExist();
    }
  }

  private static String startUpload() {
    Resp r = http.post("/v2/" + NAME + "/blobs/uploads/", new byte[0]);
    assertThat(r.status()).isEqualTo(202);
    return r.location();
  }

  @Test
  void putUpload_wrongDigest_400DigestInvalidAndUploadDiscarded() {
    byte[] blob = randomBlob(1000);
    Digest claimed = digest(randomBlob(1000));
    String location = startUpload();

    Resp r = http.put(location + "?digest=" + claimed, blob, "Content-Type", OCTET);

    assertError(r, 400, "DIGEST_INVALID");
    assertNotStored(claimed, digest(blob));
    assertError(http.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
  }

  @Test
  void putUpload_wrongDigestAfterChunks_400DigestInvalid() {
    byte[] blob = randomBlob(1000);
    Digest claimed = digest(Arrays.copyOf(blob, 999));
    String location = startUpload();
    assertThat(http.patch(location, blob, "Content-Type", OCTET, "Content-Range", "0-999").status()).isEqualTo(202);

    Resp r = http.put(location + "?digest=" + claimed, new byte[0]);

    assertError(r, 400, "DIGEST_INVALID");
    assertNotStored(claimed, digest(blob));
  }

  @Test
  void postMonolithic_wrongDigest_400DigestInvalid() {
    byte[] blob = randomBlob(1000);
    Digest claimed = digest(randomBlob(1000));

    Resp r = http.post("/v2/" + NAME + "/blobs/uploads/?digest=" + claimed, blob, "Content-Type", OCTET);

    assertError(r, 400, "DIGEST_INVALID");
    assertNotStored(claimed, digest(blob));
  }

  @Test
  void postMonolithic_sha512DigestOfOtherBytes_400DigestInvalid() {
    byte[] blob = randomBlob(100);
    Digest claimed = Digest.of("sha512", Digest.newMessageDigest("sha512").digest(randomBlob(100)));

    assertError(http.post("/v2/" + NAME + "/blobs/uploads/?digest=" + claimed, blob, "Content-Type", OCTET),
        400, "DIGEST_INVALID");
    assertNotStored(claimed, digest(blob));
  }

  @Test
  void putUpload_withoutDigest_400DigestInvalid() {
    byte[] blob = randomBlob(100);
    String location = startUpload();

    Resp r = http.put(location, blob, "Content-Type", OCTET);

    assertError(r, 400, "DIGEST_INVALID");
    assertNotStored(digest(blob));
  }

  @Test
  void patch_contentRangeDisagreesWithContentLength_400SizeInvalidUploadUnchanged() {
    String location = startUpload();
    http.patch(location, randomBlob(10), "Content-Range", "0-9");

    Resp r = http.patch(location, randomBlob(50), "Content-Type", OCTET, "Content-Range", "10-109");

    assertError(r, 400, "SIZE_INVALID");
    assertThat(http.get(location).header("Range")).isEqualTo("0-9");
  }

  @Test
  void putUpload_contentRangeDeclaresMoreThanSent_400SizeInvalid() {
    byte[] blob = randomBlob(50);
    String location = startUpload();

    Resp r = http.put(location + "?digest=" + digest(blob), blob, "Content-Type", OCTET, "Content-Range", "0-99");

    assertError(r, 400, "SIZE_INVALID");
    assertNotStored(digest(blob));
  }

  @Test
  void putUpload_streamedBodyShorterThanContentRange_400SizeInvalid() {
    byte[] blob = randomBlob(50);
    String location = startUpload();

    // no Content-Length: the server only learns at the end of the body that 50 bytes came, not 100
    Resp r = http.send("PUT", location + "?digest=" + digest(blob), RegistryHttp.streamed(blob),
        "Content-Type", OCTET, "Content-Range", "0-99");

    assertError(r, 400, "SIZE_INVALID");
    assertNotStored(digest(blob));
  }

  @Test
  void patch_streamedBodyShorterThanContentRange_400SizeInvalid() {
    String location = startUpload();

    Resp r = http.send("PATCH", location, RegistryHttp.streamed(randomBlob(50)), "Content-Type", OCTET,
        "Content-Range", "0-99");

    assertError(r, 400, "SIZE_INVALID");
  }

  @ParameterizedTest
  @ValueSource(strings = {"bytes", "5", "a-b", "-5", "9-5"})
  void patch_malformedContentRange_4xx(String range) {
    String location = startUpload();

    Resp r = http.patch(location, randomBlob(5), "Content-Type", OCTET, "Content-Range", range);

    assertThat(r.status()).as("%s", r).isIn(400, 416);
    assertThat(r.json().get("errors")).isNotEmpty();
    assertThat(http.get(location).header("Range")).isEqualTo("0-0");
  }

  @Test
  void patch_outOfOrderChunk_416AndUploadUnchanged() {
    byte[] blob = randomBlob(30);
    String location = startUpload();
    http.patch(location, Arrays.copyOfRange(blob, 0, 10), "Content-Type", OCTET, "Content-Range", "0-9");

    Resp gap = http.patch(location, Arrays.copyOfRange(blob, 20, 30), "Content-Type", OCTET, "Content-Range", "20-29");
    Resp overlap = http.patch(location, Arrays.copyOfRange(blob, 5, 15),
        "Content-Type", OCTET, "Content-Range", "5-14");

    assertThat(gap.status()).as("%s", gap).isEqualTo(416);
    assertThat(gap.json().get("errors")).isNotEmpty();
    assertThat(overlap.status()).as("%s", overlap).isEqualTo(416);
    assertThat(http.get(location).header("Range")).isEqualTo("0-9");
    // the upload goes on from where it really is
    Resp next = http.patch(location, Arrays.copyOfRange(blob, 10, 30), "Content-Type", OCTET, "Content-Range", "10-29");
    assertThat(next.header("Range")).isEqualTo("0-29");
    http.delete(location);
  }

  @Test
  void putUpload_outOfOrderFinalChunk_416NothingStored() {
    byte[] blob = randomBlob(30);
    String location = startUpload();
    http.patch(location, Arrays.copyOfRange(blob, 0, 10), "Content-Type", OCTET, "Content-Range", "0-9");

    Resp r = http.put(location + "?digest=" + digest(blob), Arrays.copyOfRange(blob, 20, 30),
        "Content-Type", OCTET, "Content-Range", "20-29");

    assertThat(r.status()).as("%s", r).isEqualTo(416);
    assertNotStored(digest(blob));
  }

  @Test
  void uploadEndpoints_unknownUploadId_404BlobUploadUnknown() {
    String location = "/v2/" + NAME + "/blobs/uploads/6f1d8f7e-5b7a-4f0e-9a43-0d2f7d1c9b21";
    byte[] blob = randomBlob(20);

    assertError(http.patch(location, blob, "Content-Type", OCTET), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(http.put(location + "?digest=" + digest(blob), blob, "Content-Type", OCTET),
        404, "BLOB_UPLOAD_UNKNOWN");
    assertError(http.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(http.delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
    assertNotStored(digest(blob));
  }

  static Stream<String> oddUploadIds() {
    return Stream.of("not.an.id", "_uploads", "%20", "x".repeat(129));
  }

  @ParameterizedTest
  @MethodSource("oddUploadIds")
  void uploadEndpoints_oddUploadId_404BlobUploadUnknown(String id) {
    String location = "/v2/" + NAME + "/blobs/uploads/" + id;

    assertError(http.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(http.patch(location, randomBlob(5)), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(http.delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
  }

  @Test
  void putUpload_afterCancel_404BlobUploadUnknown() {
    byte[] blob = randomBlob(20);
    String location = startUpload();
    assertThat(http.delete(location).status()).isEqualTo(204);

    assertError(http.put(location + "?digest=" + digest(blob), blob, "Content-Type", OCTET),
        404, "BLOB_UPLOAD_UNKNOWN");
    assertNotStored(digest(blob));
  }

  /** A PUT that announces 1,000,000 bytes, sends 1,000 and closes its side: nothing is committed. */
  @Test
  void putUpload_bodyCutOff_nothingCommitted() throws Exception {
    byte[] blob = randomBlob(1_000_000);
    Digest d = digest(blob);
    String location = startUpload();
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(http.rawHead("PUT", location + "?digest=" + d,
        "Content-Type: application/octet-stream", "Content-Length: 1000000").getBytes(ISO_8859_1));
    request.write(blob, 0, 1000);

    String response = new String(http.raw(request.toByteArray()), ISO_8859_1);

    assertThat(response).startsWith("HTTP/1.1 4");
    assertNotStored(d);
    assertThat(Files.exists(http.blobDataFile(d))).isFalse();
  }

  /** The same for a monolithic {@code POST ?digest=}, which also drops its upload session. */
  @Test
  void postMonolithic_bodyCutOff_nothingCommitted() throws Exception {
    byte[] blob = randomBlob(1_000_000);
    Digest d = digest(blob);
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.write(http.rawHead("POST", "/v2/" + NAME + "/blobs/uploads/?digest=" + d,
        "Content-Type: application/octet-stream", "Content-Length: 1000000").getBytes(ISO_8859_1));
    request.write(blob, 0, 1000);

    String response = new String(http.raw(request.toByteArray()), ISO_8859_1);

    assertThat(response).startsWith("HTTP/1.1 4");
    assertNotStored(d);
  }
}
