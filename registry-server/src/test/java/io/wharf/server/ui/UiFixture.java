package io.wharf.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

/**
 * A secured Wharf with images in it, for the UI's tests (over HTTP and in a browser):
 *
 * <pre>
 * users (password NAME-pw)   admin: *:*   reader: read on private   deleter: read, delete on docker-hosted
 * docker-hosted   hosted, own port, anonymous pull
 *     demo/app     1.0 and latest (one manifest, labels and annotations holding &lt;script&gt;),
 *                  2.0 (an index of linux/amd64 and linux/arm64), old (its own manifest),
 *                  and a manifest no tag points at
 *     demo/many    tags t000 .. t119 (paging)
 * private         hosted; secret/app:1.0
 * cleaned         hosted, cleanup keeps the newest tag of each image; tool:v1, v2, v3
 * hub             proxy of a dead upstream, auto-blocked after one failure
 * </pre>
 */
final class UiFixture implements AutoCloseable {
  static {
    // The shipped configuration (INFO, Jetty at WARN) instead of logback's DEBUG default.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "wharf-logback.xml");
    }
  }

  /** What a label and an annotation of demo/app:1.0 hold: must show as text, never run. */
  static final String SCRIPT = "<script>window.pwned=1</script>";
  static final String[] ADMIN = basic("admin", "admin-pw");
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();

  final WharfServer server;
  final URI base;
  final Digest app10;
  final Digest app20;
  final Digest appOld;
  final long app10Size;
  /** The layers of demo/app:1.0 alone: its compressed size. */
  final long app10Layers;
  /** A manifest of demo/app no tag points at. */
  final Digest untagged;
  private final Random random = new Random(16);

  UiFixture(Path dir) throws Exception {
    this(dir, "", "");
  }

  /**
   * @param management YAML of {@code management:} (e.g. {@code {ui: {enabled: false}}}), or empty
   * @param throttle YAML of {@code security.throttle:}, or empty for the defaults
   */
  UiFixture(Path dir, String management, String throttle) throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        security:
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
            - {name: reader, passwordHash: "READER", roles: [readers]}
            - {name: deleter, passwordHash: "DELETER", roles: [deleters]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: readers, privileges: ["private:read"]}
            - {name: deleters, privileges: ["docker-hosted:read", "docker-hosted:delete"]}
          THROTTLE
        repositories:
          - {name: docker-hosted, type: hosted, http: {port: 0}, anonymousPull: true}
          - {name: private, type: hosted}
          - {name: cleaned, type: hosted, cleanup: {keepLatest: 1}}
          - name: hub
            type: proxy
            remoteUrl: http://127.0.0.1:9
            outbound: {retries: 0, timeout: 5s, autoBlock: {after: 1, initial: 1h, max: 1h}}
        MANAGEMENT
        """.replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("READER", PasswordHashes.hash("reader-pw".toCharArray(), 4))
        .replace("DELETER", PasswordHashes.hash("deleter-pw".toCharArray(), 4))
        .replace("THROTTLE", throttle.isEmpty() ? "" : "throttle: " + throttle)
        .replace("MANAGEMENT", management.isEmpty() ? "" : "management: " + management);
    server = WharfServer.start(ConfigLoader.parse(yaml, "ui-test.yaml"));
    base = server.url();

    String labels = "{\"org.opencontainers.image.title\":\"demo app\",\"evil\":" + quote(SCRIPT) + "}";
    app10 = pushImage("docker-hosted/demo/app", "1.0", labels, quote(SCRIPT), "linux", "amd64", 3);
    tag("docker-hosted/demo/app", "latest", app10);
    app10Size = sizeOf;
    app10Layers = layersOf;
    Digest amd = pushImage("docker-hosted/demo/app", null, "{}", null, "linux", "amd64", 2);
    long amdSize = sizeOf;
    Digest arm = pushImage("docker-hosted/demo/app", null, "{}", null, "linux", "arm64", 2);
    app20 = pushIndex("docker-hosted/demo/app", "2.0", amd, amdSize, arm);
    appOld = pushImage("docker-hosted/demo/app", "old", "{}", null, "linux", "amd64", 1);
    untagged = pushImage("docker-hosted/demo/app", null, "{}", null, "linux", "amd64", 1);
    Digest many = pushImage("docker-hosted/demo/many", "t000", "{}", null, "linux", "amd64", 1);
    for (int i = 1; i < 120; i++) {
      tag("docker-hosted/demo/many", String.format("t%03d", i), many);
    }
    pushImage("private/secret/app", "1.0", "{}", null, "linux", "amd64", 1);
    // three tags, pushed one after the other: the cleanup policy (keep the newest) would delete v1 and v2
    for (String v : new String[] {"v1", "v2", "v3"}) {
      pushImage("cleaned/tool", v, "{}", null, "linux", "amd64", 1);
      awaitNextMillisecond();
    }
    // one failed pull through the proxy blocks its dead upstream for an hour
    HttpResponse<byte[]> r = send("GET", "/v2/hub/library/alpine/manifests/3", null, ADMIN);
    assertThat(r.statusCode()).as("pull through a dead upstream").isGreaterThanOrEqualTo(500);
  }

  /** Tags pushed in one millisecond would tie on push time: the policy orders by it. */
  private static void awaitNextMillisecond() {
    long now = System.currentTimeMillis();
    while (System.currentTimeMillis() <= now + 10) {
      Thread.onSpinWait();
    }
  }

  @Override
  public void close() throws Exception {
    server.close();
  }

  // ---------------------------------------------------------------- HTTP

  static String[] basic(String user, String password) {
    return new String[] {"Authorization",
        "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8))};
  }

  HttpResponse<byte[]> send(String method, String path, byte[] body, String... headers) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .method(method, body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      return CLIENT.send(b.build(), BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  // ---------------------------------------------------------------- pushing

  private long sizeOf;
  private long layersOf;

  /**
   * Pushes an image of {@code layers} random layers with a config that has {@code labels}, a
   * build history and a creation time; tags it unless {@code tag} is null. Sets {@link #sizeOf}.
   */
  Digest pushImage(String name, String tag, String labels, String annotation, String os, String arch,
      int layers) {
    List<String> descriptors = new ArrayList<>();
    List<String> history = new ArrayList<>();
    List<String> diffIds = new ArrayList<>();
    long total = 0;
    for (int i = 0; i < layers; i++) {
      byte[] layer = new byte[2048 + random.nextInt(200_000)];
      random.nextBytes(layer);
      putBlob(name, layer);
      descriptors.add(descriptor(MediaTypes.OCI_LAYER_TAR_GZIP, layer));
      diffIds.add(quote(Digest.sha256(layer).toString()));
      history.add("{\"created\":\"2026-11-30T10:0" + i + ":00Z\",\"created_by\":" + quote("RUN step " + (i + 1)
          + " && echo " + SCRIPT) + "}");
      total += layer.length;
    }
    history.add("{\"created\":\"2026-11-30T10:09:00Z\",\"created_by\":\"CMD [\\\"/app\\\"]\",\"empty_layer\":true}");
    byte[] config = ("{\"created\":\"2026-11-30T10:09:00Z\",\"author\":\"Wharf tests\",\"architecture\":" + quote(arch)
        + ",\"os\":" + quote(os) + ",\"config\":{\"Labels\":" + labels + ",\"Cmd\":[\"/app\"]},\"rootfs\":"
        + "{\"type\":\"layers\",\"diff_ids\":" + diffIds + "},\"history\":" + history + ",\"seed\":" + random.nextLong()
        + "}").getBytes(StandardCharsets.UTF_8);
    putBlob(name, config);
    total += config.length;
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":"
        + descriptor(MediaTypes.OCI_CONFIG, config) + ",\"layers\":" + descriptors
        + (annotation == null ? "" : ",\"annotations\":{\"org.example.note\":" + annotation + "}") + "}";
    byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
    putManifest(name, tag == null ? Digest.sha256(bytes).toString() : tag, MediaTypes.OCI_MANIFEST, bytes);
    sizeOf = total;
    layersOf = total - config.length;
    return Digest.sha256(bytes);
  }

  private Digest pushIndex(String name, String tag, Digest amd, long amdSize, Digest arm) {
    String index = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX + "\",\"manifests\":["
        + manifestDescriptor(name, amd, "amd64") + "," + manifestDescriptor(name, arm, "arm64") + "]}";
    byte[] bytes = index.getBytes(StandardCharsets.UTF_8);
    putManifest(name, tag, MediaTypes.OCI_INDEX, bytes);
    return Digest.sha256(bytes);
  }

  private String manifestDescriptor(String name, Digest d, String arch) {
    HttpResponse<byte[]> r = send("GET", "/v2/" + name + "/manifests/" + d, null,
        concat(ADMIN, "Accept", MediaTypes.OCI_MANIFEST));
    assertThat(r.statusCode()).isEqualTo(200);
    return "{\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"digest\":\"" + d + "\",\"size\":" + r.body().length
        + ",\"platform\":{\"os\":\"linux\",\"architecture\":\"" + arch + "\"}}";
  }

  /** Tags an existing manifest again. */
  void tag(String name, String tag, Digest digest) {
    HttpResponse<byte[]> r = send("GET", "/v2/" + name + "/manifests/" + digest, null,
        concat(ADMIN, "Accept", MediaTypes.OCI_MANIFEST + ", " + MediaTypes.OCI_INDEX));
    assertThat(r.statusCode()).isEqualTo(200);
    putManifest(name, tag, r.headers().firstValue("Content-Type").orElseThrow(), r.body());
  }

  private void putBlob(String name, byte[] blob) {
    HttpResponse<byte[]> r = send("POST", "/v2/" + name + "/blobs/uploads/?digest=" + Digest.sha256(blob), blob,
        concat(ADMIN, "Content-Type", MediaTypes.OCTET_STREAM));
    assertThat(r.statusCode()).as("blob push: %s", text(r)).isEqualTo(201);
  }

  private void putManifest(String name, String reference, String type, byte[] bytes) {
    HttpResponse<byte[]> r = send("PUT", "/v2/" + name + "/manifests/" + reference, bytes,
        concat(ADMIN, "Content-Type", type));
    assertThat(r.statusCode()).as("manifest push: %s", text(r)).isEqualTo(201);
  }

  private static String descriptor(String type, byte[] content) {
    return "{\"mediaType\":\"" + type + "\",\"digest\":\"" + Digest.sha256(content) + "\",\"size\":" + content.length
        + "}";
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
