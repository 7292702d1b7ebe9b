package io.wharf.server.http;

import static io.wharf.server.http.RegistryHttp.assertError;
import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.storage.StorageDriver;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.http.RegistryHttp.ManifestJson;
import io.wharf.server.http.RegistryHttp.Resp;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * A blob store of 20 MiB running full, over HTTP to a server started from its configuration, on
 * each driver that can run out of space (subclasses): a full store answers {@code 507} with a
 * message that names the store and its free space, the upload that ran into it is discarded, the
 * reserve ({@code minFree}, by default 5 % of 20 MiB = 1 MiB) keeps uploads out before that while
 * small writes go on, and deleting images plus a garbage collection make room for pushes again,
 * with no restart.
 */
abstract class FullStoreContract {
  static {
    RegistryHttp.JSON.getClass(); // RegistryHttp first: it picks the logging configuration
  }

  static final int MIB = 1024 * 1024;
  static final int STORE_SIZE = 20 * MIB;
  static final String NAME = "team/app";
  static final String OCTET = MediaTypes.OCTET_STREAM;

  private RegistryHttp http;
  private WharfServer server;

  /** The blob store's type and where it keeps its bytes, as YAML flow keys: {@code type: memory, maxSize: 20MiB}. */
  protected abstract String storeKeys();

  @AfterEach
  void stopServer() {
    if (http != null) {
      http.close();
    }
  }

  /** Starts a server with one hosted repository on the store; {@code minFree} null for the default reserve. */
  private RegistryHttp start(String minFree) throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {STORE, MINFREE maintenance: {grace: 0s}}
        repositories:
          - name: docker-hosted
        """.replace("STORE", storeKeys()).replace("MINFREE", minFree == null ? "" : "minFree: " + minFree + ",");
    server = WharfServer.start(ConfigLoader.parse(yaml, "full-store-test.yaml"));
    http = RegistryHttp.of(server);
    return http;
  }

  /** The store as the repository writes to it (so bytes written here count as the registry's own). */
  private StorageDriver storage() {
    return ((HostedRepository) server.registry().repository("docker-hosted").orElseThrow()).storage();
  }

  private long free() throws IOException {
    return storage().space().orElseThrow().freeBytes();
  }

  /** Takes {@code bytes} of the store outside the registry's data, as another user of the disk would. */
  private void fill(long bytes) throws IOException {
    storage().putContent("/filler", new byte[Math.toIntExact(bytes)]);
  }

  private List<String> uploadsLeft() throws IOException {
    return storage().list("/docker/registry/v2/repositories/" + NAME + "/_uploads");
  }

  private static void assertFull(Resp r, String... messageParts) {
    assertFull(assertError(r, 507, "UNAVAILABLE"), messageParts);
  }

  private static void assertFull(JsonNode error, String... messageParts) {
    assertThat(error.path("message").asString()).contains("blob store default is").contains(" of 20 MiB")
        .contains("delete images and run garbage collection").contains(messageParts);
    assertThat(error.path("detail").path("store").asString()).isEqualTo("default");
    assertThat(error.path("detail").path("totalBytes").asLong()).isEqualTo(STORE_SIZE);
  }

  /**
   * Sends {@code size} bytes as a chunked body (a push of unknown length, as docker's) over a raw
   * socket and reads the answer while sending, as clients that watch for an early answer do; the
   * sending stops when the server stops reading. (A client that only reads once it has sent
   * everything may see the connection reset instead of an answer that came mid-body.) Returns the
   * error of the answer, which must be a 507.
   */
  private JsonNode streamRefused(String method, String path, int size) throws Exception {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), http.port())) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      out.write((method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: " + OCTET
          + "\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n").getBytes(US_ASCII));
      Thread sender = new Thread(() -> {
        byte[] chunk = RegistryHttp.randomBlob(64 * 1024);
        try {
          for (int sent = 0; sent < size; sent += chunk.length) {
            out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(US_ASCII));
            out.write(chunk);
            out.write("\r\n".getBytes(US_ASCII));
          }
          out.write("0\r\n\r\n".getBytes(US_ASCII));
          out.flush();
        } catch (IOException e) {
          // the server stopped reading: it has answered
        }
      }, "stream-" + method);
      sender.setDaemon(true);
      sender.start();
      ByteArrayOutputStream answer = new ByteArrayOutputStream();
      InputStream in = socket.getInputStream();
      byte[] buf = new byte[8192];
      try {
        for (int n; (n = in.read(buf)) >= 0; ) {
          answer.write(buf, 0, n);
        }
      } catch (SocketException e) {
        // reset after the answer: the rest of the body was never read
      }
      String text = answer.toString(StandardCharsets.UTF_8);
      assertThat(text).as("answer to %s %s", method, path).startsWith("HTTP/1.1 507 ");
      JsonNode errors = RegistryHttp.JSON.readTree(text.substring(text.indexOf("\r\n\r\n") + 4)).get("errors");
      assertThat(errors.get(0).path("code").asString()).isEqualTo("UNAVAILABLE");
      return errors.get(0);
    }
  }

  private String startUpload() {
    Resp post = http.post("/v2/" + NAME + "/blobs/uploads/", new byte[0]);
    assertThat(post.status()).as("start %s", post).isEqualTo(202);
    return post.location();
  }

  /** A small image (config and one layer) whose blobs are pushed; the manifest is left to the caller. */
  private ManifestJson smallImageBlobs() {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":" + System.nanoTime() + "}")
        .getBytes(StandardCharsets.UTF_8);
    byte[] layer = RegistryHttp.randomBlob(4096);
    http.pushBlob(NAME, config);
    return ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
        .layer(MediaTypes.OCI_LAYER_TAR_GZIP, http.pushBlob(NAME, layer), layer.length);
  }

  // ---- the reserve

  @Test
  void blobLargerThanTheStore_withItsLength_507BeforeTheBodyIsSent() throws Exception {
    start(null);

    // Only the head goes out: an answer proves the 30 MB were not awaited.
    String head = http.rawHead("POST", "/v2/" + NAME + "/blobs/uploads/?digest=" + RegistryHttp.unknownDigest(),
        "Content-Type: " + OCTET, "Content-Length: " + 30_000_000);
    String response = new String(http.raw(head.getBytes(US_ASCII), false), US_ASCII);

    assertThat(response).startsWith("HTTP/1.1 507").contains("\"UNAVAILABLE\"")
        .contains("blob store default is nearly full").contains(" of 20 MiB")
        .contains("uploads must leave 1 MiB free (blobStores.default.minFree)").contains("this upload needs 28.6 MiB");
    assertThat(uploadsLeft()).isEmpty();
  }

  @Test
  void blobLargerThanTheStore_streamed_507UploadDiscardedSpaceBack() throws Exception {
    start(null);
    long before = free();
    String location = startUpload();

    JsonNode error = streamRefused("PATCH", location, 30_000_000);

    assertFull(error, "nearly full", "uploads must leave 1 MiB free");
    assertError(http.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    assertThat(uploadsLeft()).isEmpty();
    assertThat(free()).as("space back after the refusal").isEqualTo(before);
    http.pushManifest(NAME, "v1", smallImageBlobs());
  }

  @Test
  void monolithicPush_streamedPastTheReserve_507NothingLeft() throws Exception {
    start(null);
    long before = free();

    JsonNode error = streamRefused("POST", "/v2/" + NAME + "/blobs/uploads/?digest=" + RegistryHttp.unknownDigest(),
        25 * MIB);

    assertFull(error, "nearly full");
    assertThat(uploadsLeft()).isEmpty();
    assertThat(free()).isEqualTo(before);
  }

  @Test
  void nearlyFull_readsManifestsTagsDeletesAndGcWork_thenFreeingSpaceLetsPushesIn() throws Exception {
    start(null);
    byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
    byte[] big = RegistryHttp.randomBlob(16 * MIB);
    Digest configDigest = http.pushBlob(NAME, config);
    Digest bigDigest = http.pushBlob(NAME, big);
    ManifestJson v1 = ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
        .layer(MediaTypes.OCI_LAYER_TAR_GZIP, bigDigest, big.length);
    http.pushManifest(NAME, "v1", v1);
    fill(free() - 512 * 1024); // below the 1 MiB reserve, but room for small writes

    // uploads are refused, the small ones too, before anything is stored
    assertFull(http.post("/v2/" + NAME + "/blobs/uploads/?digest=" + RegistryHttp.digest(new byte[1024]),
        new byte[1024], "Content-Type", OCTET), "nearly full");
    assertFull(http.post("/v2/" + NAME + "/blobs/uploads/", new byte[0]), "nearly full");
    assertThat(uploadsLeft()).isEmpty();

    // reads never ask for space
    assertThat(http.get("/v2/" + NAME + "/manifests/v1", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);
    Resp layer = http.get("/v2/" + NAME + "/blobs/" + bigDigest);
    assertThat(layer.status()).isEqualTo(200);
    assertThat(layer.body()).hasSize(big.length);

    // manifests and tags are small writes: they go on
    http.pushManifest(NAME, "v2", v1);
    ManifestJson annotated = ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
        .layer(MediaTypes.OCI_LAYER_TAR_GZIP, bigDigest, big.length).annotation("org.example.note", "nearly full");
    http.pushManifest(NAME, "v3", annotated);
    assertThat(http.get("/v2/" + NAME + "/tags/list").text()).contains("v1", "v2", "v3");

    // delete the image and collect its garbage: with no restart, pushes get in again
    assertThat(http.delete("/v2/" + NAME + "/manifests/" + v1.digest()).status()).isEqualTo(202);
    assertThat(http.delete("/v2/" + NAME + "/manifests/" + annotated.digest()).status()).isEqualTo(202);
    assertThat(http.delete("/v2/" + NAME + "/blobs/" + bigDigest).status()).isEqualTo(202);
    assertThat(http.delete("/v2/" + NAME + "/blobs/" + configDigest).status()).isEqualTo(202);
    Resp gc = http.post("/wharf/api/v1/maintenance/default?wait=true", new byte[0]);
    assertThat(gc.status()).as("%s", gc).isEqualTo(200);
    assertThat(gc.text()).contains("\"error\":null");
    assertThat(free()).as("the layer's space is free again").isGreaterThan(16L * MIB);

    http.pushBlob(NAME, config);
    byte[] next = RegistryHttp.randomBlob(8 * MIB);
    Digest nextDigest = http.pushBlob(NAME, next);
    http.pushManifest(NAME, "v4", ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config)
        .layer(MediaTypes.OCI_LAYER_TAR_GZIP, nextDigest, next.length));
  }

  // ---- the store itself full (no reserve)

  @Test
  void withoutReserve_chunkRunsTheStoreFull_507UploadDiscardedSpaceBack() throws Exception {
    start("0");
    long before = free();
    String location = startUpload();

    JsonNode error = streamRefused("PATCH", location, 30_000_000);

    assertFull(error, "blob store default is full: ");
    assertError(http.get(location), 404, "BLOB_UPLOAD_UNKNOWN");
    assertThat(uploadsLeft()).isEmpty();
    assertThat(free()).as("space back after the failure").isEqualTo(before);
    http.pushManifest(NAME, "v1", smallImageBlobs());
  }

  @Test
  void withoutReserve_closingPutRunsTheStoreFull_507UploadDiscarded() throws Exception {
    start("0");
    long before = free();
    String location = startUpload();

    JsonNode error = streamRefused("PUT", location + "?digest=" + RegistryHttp.unknownDigest(), 30_000_000);

    assertFull(error, "blob store default is full: ");
    assertThat(uploadsLeft()).isEmpty();
    assertThat(free()).isEqualTo(before);
  }

  @Test
  void withoutReserve_manifestOnAFullStore_507_thenAcceptedOnceThereIsRoom() throws Exception {
    start("0");
    ManifestJson image = smallImageBlobs();
    fill(free());

    Resp put = http.put("/v2/" + NAME + "/manifests/v1", image.bytes(), "Content-Type", image.mediaType());

    assertFull(put, "blob store default is full: ");
    assertThat(http.get("/v2/" + NAME + "/blobs/" + image.digest()).status()).isEqualTo(404);
    storage().delete("/filler");
    http.pushManifest(NAME, "v1", image);
    assertThat(http.get("/v2/" + NAME + "/manifests/v1", "Accept", MediaTypes.OCI_MANIFEST).status()).isEqualTo(200);
  }
}
