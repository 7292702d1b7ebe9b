package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static io.wharf.server.http.RegistryHttp.randomBlob;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.server.http.RegistryHttp.Resp;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Blob GET and HEAD with their headers, Range requests, and DELETE (API-NOTES 3, 8). */
class BlobPullTest {
  private static final String NAME = "pull/blobs";
  private static RegistryHttp http;
  private static byte[] blob;
  private static Digest digest;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.inMemory();
    blob = randomBlob(100);
    digest = http.pushBlob(NAME, blob);
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  private static String blobPath() {
    return "/v2/" + NAME + "/blobs/" + digest;
  }

  @Test
  void getBlob_known_200WithBytesAndHeaders() {
    Resp r = http.get(blobPath());

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(blob);
    assertThat(r.header("Content-Length")).isEqualTo("100");
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest.value());
    assertThat(r.header("Accept-Ranges")).isEqualTo("bytes");
    assertThat(r.header("Content-Type")).isEqualTo("application/octet-stream");
    assertThat(r.header("ETag")).isEqualTo("\"" + digest + "\"");
  }

  @Test
  void headBlob_known_200WithLengthDigestAndNoBody() {
    Resp r = http.head(blobPath());

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEmpty();
    assertThat(r.header("Content-Length")).isEqualTo("100");
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest.value());
    assertThat(r.header("Accept-Ranges")).isEqualTo("bytes");
  }

  @Test
  void getBlob_unknown_404BlobUnknown() {
    assertError(http.get("/v2/" + NAME + "/blobs/" + RegistryHttp.unknownDigest()), 404, "BLOB_UNKNOWN");
  }

  @Test
  void headBlob_unknown_404WithoutBody() {
    Resp r = http.head("/v2/" + NAME + "/blobs/" + RegistryHttp.unknownDigest());

    assertThat(r.status()).isEqualTo(404);
    assertThat(r.body()).isEmpty();
    assertThat(r.header("Docker-Content-Digest")).isNull();
  }

  @Test
  void getBlob_pushedToOtherImageOnly_404() {
    assertError(http.get("/v2/pull/someone-else/blobs/" + digest), 404, "BLOB_UNKNOWN");
  }

  @Test
  void getBlob_rangeFirstTen_206WithContentRange() {
    Resp r = http.get(blobPath(), "Range", "bytes=0-9");

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(blob, 0, 10));
    assertThat(r.header("Content-Range")).isEqualTo("bytes 0-9/100");
    assertThat(r.header("Content-Length")).isEqualTo("10");
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(digest.value());
  }

  @Test
  void getBlob_rangeOpenEnded_206ToTheEnd() {
    Resp r = http.get(blobPath(), "Range", "bytes=5-");

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(blob, 5, 100));
    assertThat(r.header("Content-Range")).isEqualTo("bytes 5-99/100");
  }

  @Test
  void getBlob_suffixRange_206LastBytes() {
    Resp r = http.get(blobPath(), "Range", "bytes=-5");

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(blob, 95, 100));
    assertThat(r.header("Content-Range")).isEqualTo("bytes 95-99/100");
  }

  @Test
  void getBlob_rangeEndBeyondSize_206Clipped() {
    Resp r = http.get(blobPath(), "Range", "bytes=90-1000");

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(blob, 90, 100));
    assertThat(r.header("Content-Range")).isEqualTo("bytes 90-99/100");
  }

  @Test
  void getBlob_rangeStartBeyondEnd_416WithSize() {
    Resp r = http.get(blobPath(), "Range", "bytes=100-");

    assertThat(r.status()).isEqualTo(416);
    assertThat(r.header("Content-Range")).isEqualTo("bytes */100");
    assertThat(r.json().get("errors")).isNotEmpty();
  }

  @Test
  void getBlob_rangeFarBeyondEnd_416() {
    assertThat(http.get(blobPath(), "Range", "bytes=5000-5009").status()).isEqualTo(416);
  }

  @Test
  void getBlob_multipleRanges_200Whole() {
    Resp r = http.get(blobPath(), "Range", "bytes=0-1,5-6");

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(blob);
  }

  @Test
  void headBlob_withRange_206LengthOfRange() {
    Resp r = http.head(blobPath(), "Range", "bytes=10-19");

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.header("Content-Length")).isEqualTo("10");
    assertThat(r.body()).isEmpty();
  }

  @Test
  void getBlob_largeBlob_streamedWhole() {
    byte[] large = randomBlob(3 * 1024 * 1024 + 17);
    Digest d = http.pushBlob(NAME, large);

    Resp r = http.get("/v2/" + NAME + "/blobs/" + d);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(large);
    Resp tail = http.get("/v2/" + NAME + "/blobs/" + d, "Range", "bytes=3145728-");
    assertThat(tail.body()).isEqualTo(Arrays.copyOfRange(large, 3145728, large.length));
  }

  @Test
  void deleteBlob_known_202Then404() {
    String name = "pull/delete";
    byte[] content = randomBlob(20);
    Digest d = http.pushBlob(name, content);

    Resp r = http.delete("/v2/" + name + "/blobs/" + d);

    assertThat(r.status()).as("%s", r).isEqualTo(202);
    assertError(http.get("/v2/" + name + "/blobs/" + d), 404, "BLOB_UNKNOWN");
    assertThat(http.head("/v2/" + name + "/blobs/" + d).status()).isEqualTo(404);
    assertError(http.delete("/v2/" + name + "/blobs/" + d), 404, "BLOB_UNKNOWN");
  }

  @Test
  void deleteBlob_inOneImage_otherImageKeepsIt() {
    byte[] content = randomBlob(20);
    Digest d = http.pushBlob("pull/keep-a", content);
    http.pushBlob("pull/keep-b", content);

    assertThat(http.delete("/v2/pull/keep-a/blobs/" + d).status()).isEqualTo(202);

    assertThat(http.get("/v2/pull/keep-a/blobs/" + d).status()).isEqualTo(404);
    assertThat(http.get("/v2/pull/keep-b/blobs/" + d).body()).isEqualTo(content);
  }

  @Test
  void deleteBlob_unknown_404BlobUnknown() {
    assertError(http.delete("/v2/" + NAME + "/blobs/" + RegistryHttp.unknownDigest()), 404, "BLOB_UNKNOWN");
  }
}
