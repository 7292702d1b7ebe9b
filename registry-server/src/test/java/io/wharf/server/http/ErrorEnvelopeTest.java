package io.wharf.server.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Every refusal carries the OCI error envelope, Jetty's own included (those it makes before any
 * servlet runs), on the main port and on a repository's own port alike. Over raw sockets: an
 * HTTP client would normalise the very paths under test. And a refused manifest body that the
 * client sends in full before it reads (as Python's http.client does) gets its answer, not a
 * broken pipe.
 */
class ErrorEnvelopeTest {
  private static WharfServer server;

  @BeforeAll
  static void start() throws Exception {
    server = WharfServer.start(ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores: {default: {type: memory}}
        repositories:
          - {name: hosted}
          - {name: own-port, http: {port: 0}}
        """, "error-envelope-test.yaml"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  private static int port(String listener) {
    return listener.equals("main") ? server.port() : server.port(listener);
  }

  /** One response read off a socket: status, headers (lower-case names), body by Content-Length. */
  record Raw(int status, Map<String, String> headers, byte[] body) {
    JsonNode error() {
      assertThat(headers.get("content-type")).as("content type of %s", this).startsWith("application/json");
      JsonNode errors = RegistryHttp.JSON.readTree(body).get("errors");
      assertThat(errors).as("errors in %s", new String(body, ISO_8859_1)).isNotNull();
      assertThat(errors.get(0).path("message").asString()).isNotBlank();
      return errors.get(0);
    }

    String code() {
      return error().path("code").asString();
    }

    @Override
    public String toString() {
      return status + " " + headers + " " + new String(body, ISO_8859_1);
    }

    static Raw read(InputStream in) throws IOException {
      ByteArrayOutputStream head = new ByteArrayOutputStream();
      while (!head.toString(ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("connection closed in the response head: " + head.toString(ISO_8859_1));
        }
        head.write(b);
      }
      String[] lines = head.toString(ISO_8859_1).split("\r\n");
      Map<String, String> headers = new LinkedHashMap<>();
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon > 0) {
          headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
      }
      int length = Integer.parseInt(headers.getOrDefault("content-length", "0"));
      return new Raw(Integer.parseInt(lines[0].split(" ")[1]), headers, in.readNBytes(length));
    }
  }

  /** Sends {@code request} as is and reads one response, on a fresh connection. */
  private static Raw exchange(int port, String request) throws IOException {
    try (Socket s = socket(port)) {
      s.getOutputStream().write(request.getBytes(ISO_8859_1));
      s.getOutputStream().flush();
      return Raw.read(s.getInputStream());
    }
  }

  private static Socket socket(int port) throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), port);
    s.setSoTimeout(60_000);
    return s;
  }

  private static String get(String path, String... headerLines) {
    StringBuilder b = new StringBuilder("GET ").append(path).append(" HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (String h : headerLines) {
      b.append(h).append("\r\n");
    }
    return b.append("Connection: close\r\n\r\n").toString();
  }

  // ---------------------------------------------------------------- paths Jetty will not map

  @ParameterizedTest
  @ValueSource(strings = {"main", "own-port"})
  void encodedDotSegment_isNameInvalid(String listener) throws Exception {
    Raw r = exchange(port(listener), get("/v2/a/%2e%2e/b/tags/list"));

    assertThat(r.status()).as("%s", r).isEqualTo(400);
    assertThat(r.code()).isEqualTo("NAME_INVALID");
    assertThat(r.error().path("message").asString()).contains("/v2/a/%2e%2e/b/tags/list");
    assertThat(r.headers()).containsEntry("docker-distribution-api-version", "registry/2.0");
  }

  @ParameterizedTest
  @ValueSource(strings = {"main", "own-port"})
  void emptySegment_isNameInvalid(String listener) throws Exception {
    Raw r = exchange(port(listener), get("/v2/a//b/tags/list"));

    assertThat(r.status()).as("%s", r).isEqualTo(400);
    assertThat(r.code()).isEqualTo("NAME_INVALID");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/v2/a%2Fb/manifests/latest", "/v2/a/%2E./b/blobs/uploads/", "/v2/a/b/tags/list/%2e"})
  void otherAmbiguousApiPaths_areNameInvalid(String path) throws Exception {
    Raw r = exchange(server.port(), get(path));

    assertThat(r.status()).as("%s", r).isEqualTo(400);
    assertThat(r.code()).isEqualTo("NAME_INVALID");
  }

  @ParameterizedTest
  @ValueSource(strings = {"main", "own-port"})
  void ambiguousPathOutsideTheApi_getsTheSameEnvelope(String listener) throws Exception {
    Raw r = exchange(port(listener), get("/x/%2e%2e/y"));

    assertThat(r.status()).as("%s", r).isEqualTo(400);
    assertThat(r.code()).isEqualTo("UNSUPPORTED");
  }

  @ParameterizedTest
  @ValueSource(strings = {"main", "own-port"})
  void head_ofABadPath_isTheStatusWithoutABody(String listener) throws Exception {
    Raw r = exchange(port(listener), get("/v2/a//b/tags/list").replaceFirst("GET", "HEAD"));

    assertThat(r.status()).isEqualTo(400);
    assertThat(r.headers()).containsEntry("content-type", "application/json");
  }

  // ---------------------------------------------------------------- limits and bad messages

  @ParameterizedTest
  @ValueSource(strings = {"main", "own-port"})
  void headersTooLarge_431(String listener) throws Exception {
    Raw r = exchange(port(listener), get("/v2/", "X-Big: " + "a".repeat(20_000)));

    assertThat(r.status()).as("%s", r).isEqualTo(431);
    assertThat(r.code()).isEqualTo("UNSUPPORTED");
    assertThat(r.error().path("message").asString()).contains("16384 bytes");
  }

  @ParameterizedTest
  @ValueSource(strings = {"main", "own-port"})
  void uriTooLong_414(String listener) throws Exception {
    Raw r = exchange(port(listener), get("/v2/" + "a".repeat(20_000) + "/tags/list"));

    assertThat(r.status()).as("%s", r).isEqualTo(414);
    assertThat(r.code()).isEqualTo("NAME_INVALID");
  }

  @ParameterizedTest
  @ValueSource(strings = {"Content-Length: abc", "Content-Length: 1\r\nContent-Length: 2",
      "Transfer-Encoding: gzip, chunked, identity"})
  void badMessage_400(String headerLines) throws Exception {
    Raw r = exchange(server.port(), get("/v2/", headerLines));

    assertThat(r.status()).as("%s", r).isEqualTo(400);
    assertThat(r.code()).isEqualTo("UNSUPPORTED");
  }

  // ---------------------------------------------------------------- a refused body, sent in full before reading

  /**
   * A manifest of 5 MiB (over the 4 MiB cap, under twice it), sent whole before the client
   * reads, as Python's http.client does: the server reads and drops it, the client reads
   * SIZE_INVALID, and the connection serves the next request.
   */
  @ParameterizedTest
  @ValueSource(strings = {"main", "own-port"})
  void manifestOverTheCap_sentInFullBeforeReading_getsTheError_andTheConnectionLives(String listener)
      throws Exception {
    byte[] body = new byte[5 * 1024 * 1024];
    Arrays.fill(body, (byte) ' ');
    String head = "PUT /v2/team/big/manifests/v1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        + MediaTypes.OCI_MANIFEST + "\r\nContent-Length: " + body.length + "\r\n\r\n";
    try (Socket s = socket(port(listener))) {
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(ISO_8859_1));
      out.write(body); // all of it, before reading anything: a reset would fail here
      out.flush();

      Raw r = Raw.read(s.getInputStream());

      assertThat(r.status()).as("%s", r).isEqualTo(413);
      assertThat(r.code()).isEqualTo("SIZE_INVALID");
      assertThat(r.error().path("message").asString()).contains("exceeds the limit of 4194304 bytes");
      out.write(get("/v2/").getBytes(ISO_8859_1));
      out.flush();
      assertThat(Raw.read(s.getInputStream()).status()).as("the next request on the connection").isEqualTo(200);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"main", "own-port"})
  void manifestOverTheCap_fromJavaHttpClient_isSizeInvalid(String listener) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] body = new byte[5 * 1024 * 1024];
    URI uri = URI.create("http://127.0.0.1:" + port(listener) + "/v2/team/big/manifests/v2");

    HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60))
        .header("Content-Type", MediaTypes.OCI_MANIFEST).PUT(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
        HttpResponse.BodyHandlers.ofByteArray());

    assertThat(r.statusCode()).isEqualTo(413);
    assertThat(RegistryHttp.JSON.readTree(r.body()).get("errors").get(0).path("code").asString())
        .isEqualTo("SIZE_INVALID");
  }

  /** Beyond twice the cap, the body is not read: the answer comes at once, and the connection closes. */
  @ParameterizedTest
  @ValueSource(strings = {"main", "own-port"})
  void manifestFarOverTheCap_isAnsweredWithoutReading_andTheConnectionCloses(String listener) throws Exception {
    try (Socket s = socket(port(listener))) {
      s.getOutputStream().write(("PUT /v2/team/big/manifests/v3 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
          + MediaTypes.OCI_MANIFEST + "\r\nContent-Length: " + (100L << 20) + "\r\n\r\n").getBytes(ISO_8859_1));
      s.getOutputStream().flush();

      Raw r = Raw.read(s.getInputStream());

      assertThat(r.status()).isEqualTo(413);
      assertThat(r.code()).isEqualTo("SIZE_INVALID");
      assertThat(r.headers()).containsEntry("connection", "close");
      assertThat(s.getInputStream().read()).as("end of stream").isEqualTo(-1);
    }
  }
}
