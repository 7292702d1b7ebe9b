package io.wharf.server.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** What HttpClient hides: the bytes on the wire of HEAD responses. */
class RawHttpTest {
  private static final String NAME = "raw/app";
  private static RegistryHttp http;
  private static ManifestJson manifest;

  @BeforeAll
  static void start() throws Exception {
    http = RegistryHttp.inMemory();
    manifest = http.pushImage(NAME, "v1", 1);
  }

  @AfterAll
  static void stop() {
    http.close();
  }

  /** Splits a raw response into its head (status line and headers) and what follows the blank line. */
  private record Raw(String head, byte[] rest) {
    static Raw of(byte[] response) {
      String s = new String(response, ISO_8859_1);
      int end = s.indexOf("\r\n\r\n");
      assertThat(end).as("end of headers in %s", s).isPositive();
      return new Raw(s.substring(0, end), Arrays.copyOfRange(response, end + 4, response.length));
    }

    String header(String name) {
      for (String line : head.split("\r\n")) {
        int colon = line.indexOf(':');
        if (colon > 0 && line.substring(0, colon).trim().equalsIgnoreCase(name)) {
          return line.substring(colon + 1).trim();
        }
      }
      return null;
    }
  }

  @Test
  void headManifest_byTag_contentLengthAndNoBody() throws Exception {
    Raw r = Raw.of(http.raw(http.rawHead("HEAD", "/v2/" + NAME + "/manifests/v1",
        "Accept: application/vnd.oci.image.manifest.v1+json").getBytes(ISO_8859_1)));

    assertThat(r.head()).startsWith("HTTP/1.1 200");
    assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(manifest.bytes().length));
    assertThat(r.header("Docker-Content-Digest")).isEqualTo(manifest.digest().value());
    assertThat(r.header("Content-Type")).isEqualTo(manifest.mediaType());
    assertThat(r.header("Transfer-Encoding")).isNull();
    assertThat(r.rest()).isEmpty();
  }

  @Test
  void headManifest_byDigest_contentLengthAndNoBody() throws Exception {
    String path = "/v2/" + NAME + "/manifests/" + manifest.digest();

    Raw r = Raw.of(http.raw(http.rawHead("HEAD", path).getBytes(ISO_8859_1)));

    assertThat(r.head()).startsWith("HTTP/1.1 200");
    assertThat(r.header("Content-Length")).isEqualTo(Integer.toString(manifest.bytes().length));
    assertThat(r.rest()).isEmpty();
  }

  @Test
  void headThenGetPipelined_sameConnection_getResponseFollowsHeadHeadersDirectly() throws Exception {
    String path = "/v2/" + NAME + "/manifests/v1";
    String head = "HEAD " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

    byte[] both = http.raw((head + http.rawHead("GET", path)).getBytes(ISO_8859_1));

    Raw first = Raw.of(both);
    assertThat(first.head()).startsWith("HTTP/1.1 200");
    Raw second = Raw.of(first.rest());
    assertThat(second.head()).startsWith("HTTP/1.1 200");
    assertThat(second.rest()).isEqualTo(manifest.bytes());
  }

  @Test
  void headBlob_known_contentLengthAndNoBody() throws Exception {
    byte[] blob = RegistryHttp.randomBlob(4096);
    Digest d = http.pushBlob(NAME, blob);

    Raw r = Raw.of(http.raw(http.rawHead("HEAD", "/v2/" + NAME + "/blobs/" + d).getBytes(ISO_8859_1)));

    assertThat(r.head()).startsWith("HTTP/1.1 200");
    assertThat(r.header("Content-Length")).isEqualTo("4096");
    assertThat(r.rest()).isEmpty();
  }

  @Test
  void headManifest_unknown_404WithoutBody() throws Exception {
    Raw r = Raw.of(http.raw(http.rawHead("HEAD", "/v2/" + NAME + "/manifests/nope").getBytes(ISO_8859_1)));

    assertThat(r.head()).startsWith("HTTP/1.1 404");
    assertThat(r.rest()).isEmpty();
  }
}
