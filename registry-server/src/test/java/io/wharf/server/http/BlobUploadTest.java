package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static io.wharf.server.http.RegistryHttp.digest;
import static io.wharf.server.http.RegistryHttp.randomBlob;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.server.http.RegistryHttp.Resp;
import java.net.http.HttpRequest.BodyPublishers;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Blob pushes (API-NOTES section 4): monolithic, POST+PUT, chunked, streamed, status, cancel, mount. */
class BlobUploadTest {
  private static final String OCTET = "application/octet-stream";
  private static RegistryHttp http;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.inMemory();
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  private static void assertBlob(String name, Digest digest, byte[] content) {
    Resp get = http.get("/v2/" + name + "/blobs/" + digest);
    assertThat(get.status()).as("GET %s", get).isEqualTo(200);
    assertThat(get.body()).isEqualTo(content);
    assertThat(get.header("Docker-Content-Digest")).isEqualTo(digest.value());
  }

  private static void assertBlobCreated(Resp r, String name, Digest digest) {
    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.location()).isEqualTo("/v2/" + name + "/blobs/" + digest);
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest.value());
  }

  private static Resp startUpload(String name) {
    Resp r = http.post("/v2/" + name + "/blobs/uploads/", new byte[0]);
    assertThat(r.status()).as("%s", r).isEqualTo(202);
    return r;
  }

  @Test
  void postWithDigest_monolithic_201ThenBlobReadable() {
    String name = "upload/monolithic";
    byte[] blob = randomBlob(1000);
    Digest d = digest(blob);

    Resp r = http.post("/v2/" + name + "/blobs/uploads/?digest=" + d, blob, "Content-Type", OCTET);

    assertBlobCreated(r, name, d);
    assertBlob(name, d, blob);
  }

  @Test
  void postWithDigest_emptyBlob_201ThenEmptyBody() {
    String name = "upload/empty";
    Digest d = digest(new byte[0]);
    assertThat(d.value()).isEqualTo("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");

    Resp r = http.post("/v2/" + name + "/blobs/uploads/?digest=" + d, new byte[0], "Content-Type", OCTET);

    assertBlobCreated(r, name, d);
    assertBlob(name, d, new byte[0]);
    assertThat(http.head("/v2/" + name + "/blobs/" + d).header("Content-Length")).isEqualTo("0");
  }

  @Test
  void postThenPut_wholeBlobInPut_201() {
    String name = "upload/post-put";
    byte[] blob = randomBlob(5000);
    Digest d = digest(blob);

    Resp post = http.post("/v2/" + name + "/blobs/uploads/", new byte[0]);
    assertThat(post.status()).isEqualTo(202);
    assertThat(post.location()).startsWith("/v2/" + name + "/blobs/uploads/");
    assertThat(post.header("Docker-Upload-UUID")).isNotBlank();
    assertThat(post.location()).endsWith(post.header("Docker-Upload-UUID"));
    assertThat(post.header("Range")).isEqualTo("0-0");
    assertThat(post.header("Content-Length")).isEqualTo("0");
    assertThat(http.get("/v2/" + name + "/blobs/" + d).status()).isEqualTo(404);

    Resp put = http.put(post.location() + "?digest=" + d, blob, "Content-Type", OCTET);

    assertBlobCreated(put, name, d);
    assertBlob(name, d, blob);
    assertError(http.get(post.location()), 404, "BLOB_UPLOAD_UNKNOWN");
  }

  /** Exactly the conformance suite's "Blob Upload Chunked" sequence (API-NOTES 4.3). */
  @Test
  void chunkedUpload_conformanceSequence_rangesAndStatusesAsSuiteExpects() {
    String name = "upload/chunked";
    byte[] blob = randomBlob(42);
    byte[] chunk1 = Arrays.copyOfRange(blob, 0, 22);
    byte[] chunk2 = Arrays.copyOfRange(blob, 22, 42);
    Digest d = digest(blob);
    String original = startUpload(name).location();

    // 1. a chunk that does not start at 0 on a fresh session
    Resp early = http.patch(original, chunk2, "Content-Type", OCTET, "Content-Range", "22-41");
    assertThat(early.status()).as("%s", early).isEqualTo(416);

    // 2. chunk 1
    Resp p1 = http.patch(original, chunk1, "Content-Type", OCTET, "Content-Range", "0-21");
    assertThat(p1.status()).as("%s", p1).isEqualTo(202);
    assertThat(p1.header("Range")).isEqualTo("0-21");
    assertThat(p1.location()).startsWith("/v2/" + name + "/blobs/uploads/");

    // 3. chunk 1 again, to the original POST Location
    Resp again = http.patch(original, chunk1, "Content-Type", OCTET, "Content-Range", "0-21");
    assertThat(again.status()).as("%s", again).isEqualTo(416);

    // 4. status of the original Location
    Resp status = http.get(original);
    assertThat(status.status()).as("%s", status).isEqualTo(204);
    assertThat(status.header("Location")).isNotBlank();
    assertThat(status.header("Range")).isEqualTo("0-21");

    // 5. chunk 2 to that Location
    Resp p2 = http.patch(status.location(), chunk2, "Content-Type", OCTET, "Content-Range", "22-41");
    assertThat(p2.status()).as("%s", p2).isEqualTo(202);
    assertThat(p2.header("Range")).isEqualTo("0-41");

    // 6. close with an empty PUT
    Resp put = http.put(p2.location() + "?digest=" + d, new byte[0], "Content-Type", OCTET);
    assertBlobCreated(put, name, d);
    assertBlob(name, d, blob);
  }

  @Test
  void patch_streamedWithoutContentRangeOrLength_appendsAndReportsRange() {
    String name = "upload/streamed";
    byte[] blob = randomBlob(300_000);
    Digest d = digest(blob);
    String location = startUpload(name).location();

    // BodyPublishers.ofInputStream has no length: Transfer-Encoding: chunked, no Content-Length
    Resp patch = http.send("PATCH", location, RegistryHttp.streamed(blob), "Content-Type", OCTET);

    assertThat(patch.status()).as("%s", patch).isEqualTo(202);
    assertThat(patch.header("Range")).isEqualTo("0-" + (blob.length - 1));
    assertThat(patch.header("Docker-Upload-UUID")).isNotBlank();
    Resp put = http.put(patch.location() + "?digest=" + d, new byte[0], "Content-Type", OCTET);
    assertBlobCreated(put, name, d);
    assertBlob(name, d, blob);
  }

  @Test
  void patch_twoStreamedChunks_appendedInOrder() {
    String name = "upload/streamed-twice";
    byte[] blob = randomBlob(2000);
    Digest d = digest(blob);
    String location = startUpload(name).location();

    Resp p1 = http.send("PATCH", location, RegistryHttp.streamed(Arrays.copyOfRange(blob, 0, 700)));
    Resp p2 = http.send("PATCH", p1.location(), RegistryHttp.streamed(Arrays.copyOfRange(blob, 700, 2000)));

    assertThat(p1.header("Range")).isEqualTo("0-699");
    assertThat(p2.header("Range")).isEqualTo("0-1999");
    assertBlobCreated(http.put(p2.location() + "?digest=" + d, new byte[0]), name, d);
    assertBlob(name, d, blob);
  }

  @Test
  void put_finalChunkInPut_201WithWholeBlob() {
    String name = "upload/final-chunk";
    byte[] blob = randomBlob(100);
    Digest d = digest(blob);
    String location = startUpload(name).location();
    Resp p1 = http.patch(location, Arrays.copyOfRange(blob, 0, 60), "Content-Type", OCTET, "Content-Range", "0-59");
    assertThat(p1.status()).isEqualTo(202);

    Resp put = http.put(p1.location() + "?digest=" + d, Arrays.copyOfRange(blob, 60, 100),
        "Content-Type", OCTET, "Content-Range", "60-99");

    assertBlobCreated(put, name, d);
    assertBlob(name, d, blob);
  }

  @Test
  void put_finalChunkWithoutContentRange_appended() {
    String name = "upload/final-chunk-plain";
    byte[] blob = randomBlob(100);
    Digest d = digest(blob);
    Resp p1 = http.patch(startUpload(name).location(), Arrays.copyOfRange(blob, 0, 30), "Content-Type", OCTET);
    assertThat(p1.status()).isEqualTo(202);

    Resp put = http.put(p1.location() + "?digest=" + d, Arrays.copyOfRange(blob, 30, 100), "Content-Type", OCTET);

    assertBlobCreated(put, name, d);
    assertBlob(name, d, blob);
  }

  @Test
  void getUploadStatus_freshAndAfterPatch_204WithLocationRangeAndUuid() {
    String name = "upload/status";
    Resp post = startUpload(name);

    Resp fresh = http.get(post.location());
    assertThat(fresh.status()).isEqualTo(204);
    assertThat(fresh.location()).isEqualTo(post.location());
    assertThat(fresh.header("Range")).isEqualTo("0-0");
    assertThat(fresh.header("Docker-Upload-UUID")).isEqualTo(post.header("Docker-Upload-UUID"));
    assertThat(fresh.body()).isEmpty();

    http.patch(post.location(), randomBlob(10), "Content-Range", "0-9");
    Resp after = http.get(post.location());
    assertThat(after.status()).isEqualTo(204);
    assertThat(after.header("Range")).isEqualTo("0-9");
  }

  @Test
  void deleteUpload_existing_204ThenStatus404() {
    String name = "upload/cancel";
    String location = startUpload(name).location();
    http.patch(location, randomBlob(10), "Content-Range", "0-9");

    Resp cancel = http.delete(location);

    assertThat(cancel.status()).as("%s", cancel).isEqualTo(204);
    assertError(http.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(http.patch(location, randomBlob(5)), 404, "BLOB_UPLOAD_UNKNOWN");
    assertError(http.delete(location), 404, "BLOB_UPLOAD_UNKNOWN");
  }

  @Test
  void uploadLocation_ofOtherImage_404BlobUploadUnknown() {
    String location = startUpload("upload/owner").location();
    String id = location.substring(location.lastIndexOf('/') + 1);

    assertError(http.get("/v2/upload/stranger/blobs/uploads/" + id), 404, "BLOB_UPLOAD_UNKNOWN");
    assertThat(http.get(location).status()).isEqualTo(204);
  }

  @Test
  void postMount_blobInSourceImage_201WithBlobLocation() {
    String from = "mount/source";
    String name = "mount/target";
    byte[] blob = randomBlob(500);
    Digest d = http.pushBlob(from, blob);
    assertThat(http.get("/v2/" + name + "/blobs/" + d).status()).isEqualTo(404);

    Resp r = http.post("/v2/" + name + "/blobs/uploads/?mount=" + d + "&from=" + from, new byte[0]);

    assertThat(r.status()).as("%s", r).isEqualTo(201);
    assertThat(r.header("Location")).isEqualTo("/v2/" + name + "/blobs/" + d);
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(d.value());
    assertBlob(name, d, blob);
  }

  @Test
  void postMount_unknownDigestWithFrom_202UploadSession() {
    String name = "mount/unknown-from";
    http.pushBlob("mount/other", randomBlob(10));

    Resp r = http.post("/v2/" + name + "/blobs/uploads/?mount=" + RegistryHttp.unknownDigest() + "&from=mount/other",
        new byte[0]);

    assertThat(r.status()).as("%s", r).isEqualTo(202);
    assertThat(r.location()).startsWith("/v2/" + name + "/blobs/uploads/");
    assertThat(http.get(r.location()).status()).isEqualTo(204);
  }

  @Test
  void postMount_unknownDigestWithoutFrom_202UploadSession() {
    String name = "mount/unknown-nofrom";

    Resp r = http.post("/v2/" + name + "/blobs/uploads/?mount=" + RegistryHttp.unknownDigest(), new byte[0]);

    assertThat(r.status()).as("%s", r).isEqualTo(202);
    assertThat(r.location()).startsWith("/v2/" + name + "/blobs/uploads/");
  }

  @Test
  void postMount_blobNotInFrom_202AndNotMounted() {
    String name = "mount/not-in-from";
    Digest d = http.pushBlob("mount/holder", randomBlob(40));

    Resp r = http.post("/v2/" + name + "/blobs/uploads/?mount=" + d + "&from=mount/empty-source", new byte[0]);

    assertThat(r.status()).as("%s", r).isEqualTo(202);
    assertThat(r.location()).startsWith("/v2/" + name + "/blobs/uploads/");
    assertThat(http.get("/v2/" + name + "/blobs/" + d).status()).isEqualTo(404);
  }

  @Test
  void postMount_thenUploadSessionUsable_completesNormally() {
    String name = "mount/fallback";
    byte[] blob = randomBlob(64);
    Digest d = digest(blob);

    Resp r = http.post("/v2/" + name + "/blobs/uploads/?mount=" + d + "&from=mount/nowhere", new byte[0]);
    assertThat(r.status()).isEqualTo(202);

    assertBlobCreated(http.put(r.location() + "?digest=" + d, blob, "Content-Type", OCTET), name, d);
    assertBlob(name, d, blob);
  }

  @Test
  void blobPush_sameBlobTwice_bothSucceed() {
    String name = "upload/twice";
    byte[] blob = randomBlob(128);

    Digest d1 = http.pushBlob(name, blob);
    Digest d2 = http.pushBlob(name, blob);

    assertThat(d1).isEqualTo(d2);
    assertBlob(name, d1, blob);
  }

  @Test
  void put_sha512Digest_201() {
    String name = "upload/sha512";
    byte[] blob = randomBlob(300);
    Digest d = Digest.of("sha512", Digest.newMessageDigest("sha512").digest(blob));
    String location = startUpload(name).location();

    Resp put = http.send("PUT", location + "?digest=" + d, BodyPublishers.ofByteArray(blob), "Content-Type", OCTET);

    assertBlobCreated(put, name, d);
    assertBlob(name, d, blob);
  }

  /**
   * {@code curl --data-binary} sends {@code application/x-www-form-urlencoded}: the body is still
   * the blob, and {@code digest} comes from the query string only, never from a form body.
   */
  @Test
  void upload_formUrlEncodedContentType_bodyStoredAsSent() {
    String name = "upload/form";
    byte[] blob = "digest=sha256:0000&x=1".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    Digest d = digest(blob);
    String form = "application/x-www-form-urlencoded";

    Resp post = http.post("/v2/" + name + "/blobs/uploads/?digest=" + d, blob, "Content-Type", form);
    assertBlobCreated(post, name, d);

    byte[] other = "a=b".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String location = startUpload(name).location();
    Resp put = http.put(location + "?digest=" + digest(other), other, "Content-Type", form);
    assertBlobCreated(put, name, digest(other));
    assertBlob(name, d, blob);
    assertBlob(name, digest(other), other);
  }

  @Test
  void put_digestOnlyInFormBody_400DigestInvalid() {
    String name = "upload/form-digest";
    byte[] body = ("digest=" + digest(new byte[0])).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    String location = startUpload(name).location();

    Resp put = http.put(location, body, "Content-Type", "application/x-www-form-urlencoded");

    assertError(put, 400, "DIGEST_INVALID");
  }

  @Test
  void put_percentEncodedDigest_decoded() {
    String name = "upload/encoded";
    byte[] blob = randomBlob(10);
    Digest d = digest(blob);
    String location = startUpload(name).location();

    Resp put = http.put(location + "?digest=" + d.value().replace(":", "%3A"), blob, "Content-Type", OCTET);

    assertBlobCreated(put, name, d);
  }
}
