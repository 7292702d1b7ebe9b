package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static io.wharf.server.http.RegistryHttp.digest;
import static io.wharf.server.http.RegistryHttp.randomBlob;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Push and pull on the filesystem driver, whose blobs the server sends from memory-mapped
 * windows once they are large enough: whole blobs and ranges at odd offsets must come out exact.
 */
class FilesystemRoundTripTest {
  private static final String NAME = "fs/app";
  @TempDir
  static Path root;
  private static RegistryHttp http;
  private static byte[] large;
  private static Digest largeDigest;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.filesystem(root);
    large = randomBlob(2 * 1024 * 1024 + 12_345);
    largeDigest = digest(large);
    // chunked, in three uneven PATCHes
    String location = http.post("/v2/" + NAME + "/blobs/uploads/", new byte[0]).location();
    int[] cuts = {0, 700_001, 1_500_000, large.length};
    for (int i = 0; i < 3; i++) {
      Resp r = http.patch(location, Arrays.copyOfRange(large, cuts[i], cuts[i + 1]),
          "Content-Type", "application/octet-stream", "Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1));
      assertThat(r.status()).as("%s", r).isEqualTo(202);
      location = r.location();
    }
    assertThat(http.put(location + "?digest=" + largeDigest, new byte[0]).status()).isEqualTo(201);
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  @Test
  void getBlob_large_exactBytes() {
    Resp r = http.get("/v2/" + NAME + "/blobs/" + largeDigest);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(large.length));
    assertThat(r.body()).isEqualTo(large);
    assertThat(http.blobDataFile(largeDigest)).exists().hasSize(large.length);
  }

  @Test
  void getBlob_largeRangeAtOddOffset_exactBytes() {
    int from = 300_007;
    int to = 1_900_003;

    Resp r = http.get("/v2/" + NAME + "/blobs/" + largeDigest, "Range", "bytes=" + from + "-" + to);

    assertThat(r.status()).isEqualTo(206);
    assertThat(r.header("Content-Range")).isEqualTo("bytes " + from + "-" + to + "/" + large.length);
    assertThat(r.body()).isEqualTo(Arrays.copyOfRange(large, from, to + 1));
  }

  @Test
  void getBlob_largeSuffixAndOpenRanges_exactBytes() {
    Resp suffix = http.get("/v2/" + NAME + "/blobs/" + largeDigest, "Range", "bytes=-400000");
    Resp open = http.get("/v2/" + NAME + "/blobs/" + largeDigest, "Range", "bytes=1000000-");

    assertThat(suffix.body()).isEqualTo(Arrays.copyOfRange(large, large.length - 400_000, large.length));
    assertThat(open.body()).isEqualTo(Arrays.copyOfRange(large, 1_000_000, large.length));
  }

  @Test
  void getBlob_rangeBeyondEnd_416() {
    assertThat(http.get("/v2/" + NAME + "/blobs/" + largeDigest, "Range", "bytes=" + large.length + "-").status())
        .isEqualTo(416);
  }

  @Test
  void headBlob_large_lengthNoBody() {
    Resp r = http.head("/v2/" + NAME + "/blobs/" + largeDigest);

    assertThat(r.status()).isEqualTo(200);
    assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(large.length));
    assertThat(r.body()).isEmpty();
  }

  @Test
  void streamedPatch_large_storedExactly() {
    byte[] blob = randomBlob(1024 * 1024 + 1);
    String location = http.post("/v2/" + NAME + "/blobs/uploads/", new byte[0]).location();

    Resp patch = http.send("PATCH", location, RegistryHttp.streamed(blob));
    Resp put = http.put(patch.location() + "?digest=" + digest(blob), new byte[0]);

    assertThat(patch.header("Range")).isEqualTo("0-" + (blob.length - 1));
    assertThat(put.status()).as("%s", put).isEqualTo(201);
    assertThat(http.get("/v2/" + NAME + "/blobs/" + digest(blob)).body()).isEqualTo(blob);
  }

  @Test
  void manifest_pushPullDelete_roundTrip() {
    String name = "fs/manifest";
    ManifestJson m = http.pushImage(name, "v1", 2);

    Resp get = http.get("/v2/" + name + "/manifests/v1");
    assertThat(get.body()).isEqualTo(m.bytes());
    assertThat(get.header("Content-Type")).isEqualTo(m.mediaType());
    assertThat(http.delete("/v2/" + name + "/manifests/" + m.digest()).status()).isEqualTo(202);

    assertError(http.get("/v2/" + name + "/manifests/v1"), 404, "MANIFEST_UNKNOWN");
    assertError(http.get("/v2/" + name + "/manifests/" + m.digest()), 404, "MANIFEST_UNKNOWN");
  }

  @Test
  void mount_fromOtherImage_sameBytes() {
    Resp r = http.post("/v2/fs/mounted/blobs/uploads/?mount=" + largeDigest + "&from=" + NAME, new byte[0]);

    assertThat(r.status()).isEqualTo(201);
    assertThat(http.get("/v2/fs/mounted/blobs/" + largeDigest).body()).isEqualTo(large);
  }
}
