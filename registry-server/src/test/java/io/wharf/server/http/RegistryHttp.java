package io.wharf.server.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.HostedRepository;
import io.wharf.core.repository.Registry;
import io.wharf.core.repository.Repository;
import io.wharf.server.WharfServer;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.fs.FilesystemDriver;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublisher;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * What the HTTP tests share: a real server on a random loopback port, a tiny client over the
 * JDK's {@link HttpClient} ({@code get/head/put/post/patch/delete} returning a {@link Resp}),
 * {@link #assertError}, and builders for random blobs and OCI / Docker manifests.
 *
 * <pre>
 * static RegistryHttp http;
 * &#64;BeforeAll static void start() throws Exception { http = RegistryHttp.inMemory(); }
 * &#64;AfterAll static void stop() { http.close(); }
 * ...
 * Digest d = http.pushBlob("team/app", RegistryHttp.randomBlob(100));
 * </pre>
 */
public final class RegistryHttp implements AutoCloseable {
  static {
    // The shipped configuration (INFO, Jetty at WARN) instead of logback's DEBUG default.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "wharf-logback.xml");
    }
  }

  static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final Random RANDOM = new Random();

  private final WharfServer server;
  private final HttpClient client;
  private final Path root;

  private RegistryHttp(WharfServer server, Path root) {
    this.server = server;
    this.root = root;
    this.client = HttpClient.newBuilder()
        .version(HttpClient.Version.HTTP_1_1)
        .followRedirects(HttpClient.Redirect.NEVER)
        .connectTimeout(Duration.ofSeconds(5))
        .build();
  }

  /** A server for one hosted repository on a fresh {@link InMemoryDriver}. */
  static RegistryHttp inMemory() throws Exception {
    return start(HostedRepository.builder("hosted", new InMemoryDriver()).build());
  }

  /** A server for one hosted repository on a {@link FilesystemDriver} rooted at {@code dir}. */
  static RegistryHttp filesystem(Path dir) throws Exception {
    WharfServer server = WharfServer.start(config(),
        Registry.of(HostedRepository.builder("hosted", new FilesystemDriver(dir)).build()));
    return new RegistryHttp(server, dir);
  }

  /** A client of {@code server}, a server the test built (from a config file, say); closing stops it. */
  static RegistryHttp of(WharfServer server) {
    return new RegistryHttp(server, null);
  }

  /** A server whose default repository is {@code repository}. */
  static RegistryHttp start(Repository repository) throws Exception {
    return new RegistryHttp(WharfServer.start(config(), Registry.of(repository)), null);
  }

  /**
   * The defaults on a free loopback port, with a short graceful stop (100 ms): at close no request
   * is in flight, only a JDK {@code HttpClient}'s idle keep-alive connection, which Jetty would
   * otherwise wait on for about a second; {@link WharfServer#close} takes that wait timing out for
   * the stop it is. The config of the servers tests build around a repository (here and the sync
   * tests').
   *
   * @return the config
   */
  public static WharfConfig config() {
    WharfConfig c = WharfConfig.defaults().override("127.0.0.1", 0, null);
    WharfConfig.Server s = c.server();
    return new WharfConfig(new WharfConfig.Server(s.bind(), s.port(), s.publicUrl(), s.accessLog(), "100ms",
        s.defaultRepository(), s.tls(), s.trustedProxies(), s.idleTimeout(), s.headerTimeout(), s.maxConnections()),
        c.blobStores(), c.http(), c.repositories(), c.security(), c.management(), c.events());
  }

  int port() {
    return server.port();
  }

  /** Where the filesystem driver keeps blob bytes: {@code <root>/docker/registry/v2/blobs}. */
  Path blobsRoot() {
    if (root == null) {
      throw new IllegalStateException("not a filesystem server");
    }
    return root.resolve("docker/registry/v2/blobs");
  }

  /** Every regular file under {@link #blobsRoot()}, relative to it. */
  List<String> blobFiles() {
    Path blobs = blobsRoot();
    if (!Files.exists(blobs)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(blobs)) {
      return files.filter(Files::isRegularFile).map(p -> blobs.relativize(p).toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The data file the filesystem driver would hold for {@code digest}. */
  Path blobDataFile(Digest digest) {
    return blobsRoot().resolve(digest.algorithm()).resolve(digest.hex().substring(0, 2))
        .resolve(digest.hex()).resolve("data");
  }

  /**
   * Stops the server and waits until it has: whatever it still writes on the way down (search
   * index hints, a maintenance run's report) must be written before the test's temporary
   * directory is deleted. The graceful part is short ({@link #config}): no request is in flight
   * when a test ends, only JDK 17's HttpClient's idle keep-alive connection, which it cannot
   * close and Jetty would wait on; {@link WharfServer#close} takes that wait timing out for the
   * stop it is.
   */
  @Override
  public void close() {
    try {
      server.close();
    } catch (Exception e) {
      throw new IllegalStateException("stopping " + server.url(), e);
    }
  }

  /** Stops the server and returns once it no longer accepts connections (an upstream going down). */
  void stopNow() throws Exception {
    close();
  }

  // ---- the client

  /** A response: status, headers and the whole body. */
  record Resp(int status, HttpHeaders headers, byte[] body) {
    /** The first value of a header, or {@code null}. */
    String header(String name) {
      return headers.firstValue(name).orElse(null);
    }

    String text() {
      return new String(body, UTF_8);
    }

    JsonNode json() {
      assertThat(header("Content-Type")).as("Content-Type of %s", text()).startsWith("application/json");
      return JSON.readTree(body);
    }

    /** The {@code Location} header resolved to a path (and query) on the server. */
    String location() {
      String l = header("Location");
      assertThat(l).as("Location").isNotBlank();
      URI u = URI.create(l);
      return u.getRawQuery() == null ? u.getRawPath() : u.getRawPath() + "?" + u.getRawQuery();
    }

    @Override
    public String toString() {
      return status + " " + headers.map() + " " + (body.length > 500 ? body.length + " bytes" : text());
    }
  }

  Resp get(String path, String... headers) {
    return send("GET", path, BodyPublishers.noBody(), headers);
  }

  Resp head(String path, String... headers) {
    return send("HEAD", path, BodyPublishers.noBody(), headers);
  }

  Resp delete(String path, String... headers) {
    return send("DELETE", path, BodyPublishers.noBody(), headers);
  }

  Resp put(String path, byte[] body, String... headers) {
    return send("PUT", path, BodyPublishers.ofByteArray(body), headers);
  }

  Resp post(String path, byte[] body, String... headers) {
    return send("POST", path, BodyPublishers.ofByteArray(body), headers);
  }

  Resp patch(String path, byte[] body, String... headers) {
    return send("PATCH", path, BodyPublishers.ofByteArray(body), headers);
  }

  /** A body of unknown length: the client sends it with {@code Transfer-Encoding: chunked}. */
  static BodyPublisher streamed(byte[] body) {
    return BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body));
  }

  /**
   * Sends a request. {@code path} is a path (and query) on the server, e.g. a {@link Resp#location()};
   * {@code headers} are name/value pairs.
   */
  Resp send(String method, String path, BodyPublisher body, String... headers) {
    if (headers.length % 2 != 0) {
      throw new IllegalArgumentException("headers come in name/value pairs");
    }
    // not URI.resolve: that would normalise "a/../b" away before the server sees it
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path))
        // generous: under a full machine (the suite beside stress-ng) a streamed megabyte took over 30 s
        .timeout(Duration.ofSeconds(120))
        .method(method, body);
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    try {
      var r = client.send(b.build(), BodyHandlers.ofByteArray());
      return new Resp(r.statusCode(), r.headers(), r.body());
    } catch (IOException e) {
      throw new UncheckedIOException(method + " " + path, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  // ---- raw HTTP

  /**
   * Sends {@code request} (head and whatever body bytes) over a fresh socket, then closes the
   * sending side, and returns everything the server answers until it closes the connection. A
   * request that declares more body than it carries thus ends in an early EOF on the server.
   */
  byte[] raw(byte[] request) throws IOException {
    return raw(request, true);
  }

  /**
   * As {@link #raw(byte[])}, but with the sending side left open when {@code endOfRequest} is
   * false: the server sees a client that is still "about to send" the rest of the body.
   */
  byte[] raw(byte[] request, boolean endOfRequest) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(60_000); // generous: the server answers at once when idle, slowly when loaded
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      if (endOfRequest) {
        socket.shutdownOutput();
      }
      return socket.getInputStream().readAllBytes();
    }
  }

  /**
   * Sends {@code request} over a fresh socket, leaves the sending side open, and returns the
   * first response (its head and its {@code Content-Length} of body) as soon as it has arrived,
   * without waiting for the server to close the connection.
   */
  byte[] rawFirstResponse(byte[] request) throws IOException {
    try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), server.port())) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      InputStream in = socket.getInputStream();
      java.io.ByteArrayOutputStream response = new java.io.ByteArrayOutputStream();
      while (!response.toString(java.nio.charset.StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
        int b = in.read();
        if (b < 0) {
          return response.toByteArray();
        }
        response.write(b);
      }
      java.util.regex.Matcher length = java.util.regex.Pattern.compile("(?i)\r\ncontent-length:\\s*(\\d+)")
          .matcher(response.toString(java.nio.charset.StandardCharsets.ISO_8859_1));
      response.write(in.readNBytes(length.find() ? Integer.parseInt(length.group(1)) : 0));
      return response.toByteArray();
    }
  }

  /** A raw request head: request line, {@code Host}, the given header lines, {@code Connection: close}. */
  String rawHead(String method, String path, String... headerLines) {
    StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\n")
        .append("Host: 127.0.0.1:").append(server.port()).append("\r\n");
    for (String h : headerLines) {
      b.append(h).append("\r\n");
    }
    return b.append("Connection: close\r\n\r\n").toString();
  }

  // ---- assertions

  /**
   * Asserts an error response: the status, and a JSON body {@code {"errors":[{"code":...}]}} whose
   * first error has {@code code} and a message. Returns that error for further checks.
   */
  static JsonNode assertError(Resp r, int status, String code) {
    assertThat(r.status()).as("status of %s", r).isEqualTo(status);
    JsonNode errors = r.json().get("errors");
    assertThat(errors).as("errors of %s", r.text()).isNotNull();
    assertThat(errors.isArray() && !errors.isEmpty()).as("non-empty errors array in %s", r.text()).isTrue();
    JsonNode error = errors.get(0);
    assertThat(error.path("code").asString()).as("code in %s", r.text()).isEqualTo(code);
    assertThat(error.path("message").asString()).as("message in %s", r.text()).isNotBlank();
    return error;
  }

  // ---- content

  static byte[] randomBlob(int size) {
    byte[] b = new byte[size];
    RANDOM.nextBytes(b);
    return b;
  }

  static Digest digest(byte[] content) {
    return Digest.sha256(content);
  }

  /** A digest nobody pushed. */
  static Digest unknownDigest() {
    return Digest.sha256(randomBlob(32));
  }

  /** Pushes a blob monolithically ({@code POST ?digest=}) and returns its digest. */
  Digest pushBlob(String name, byte[] content) {
    Digest d = digest(content);
    Resp r = post("/v2/" + name + "/blobs/uploads/?digest=" + d, content,
        "Content-Type", MediaTypes.OCTET_STREAM);
    assertThat(r.status()).as("blob push %s", r).isEqualTo(201);
    return d;
  }

  /** Pushes a manifest and asserts 201. */
  Resp pushManifest(String name, String reference, String mediaType, byte[] body) {
    Resp r = put("/v2/" + name + "/manifests/" + reference, body, "Content-Type", mediaType);
    assertThat(r.status()).as("manifest push %s", r).isEqualTo(201);
    return r;
  }

  Resp pushManifest(String name, String reference, ManifestJson manifest) {
    return pushManifest(name, reference, manifest.mediaType(), manifest.bytes());
  }

  /**
   * Pushes a random image (a config and {@code layers} random layers) and its manifest under
   * {@code reference}. Returns the manifest.
   */
  ManifestJson pushImage(String name, String reference, int layers) {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":" + RANDOM.nextLong() + "}")
        .getBytes(UTF_8);
    pushBlob(name, config);
    ManifestJson m = ManifestJson.oci().config(MediaTypes.OCI_CONFIG, config);
    for (int i = 0; i < layers; i++) {
      byte[] layer = randomBlob(100 + RANDOM.nextInt(400));
      m.layer(MediaTypes.OCI_LAYER_TAR_GZIP, pushBlob(name, layer), layer.length);
    }
    pushManifest(name, reference, m);
    return m;
  }

  /**
   * A manifest as JSON, built field by field; {@link #bytes()} is what gets pushed. Descriptors
   * are written with {@code mediaType}, {@code digest} and {@code size}.
   */
  static final class ManifestJson {
    /** The type it is pushed as (Content-Type), also when the body has no {@code mediaType}. */
    private final String type;
    private final Map<String, Object> root = new LinkedHashMap<>();
    private byte[] bytes;

    private ManifestJson(String type) {
      this.type = type;
      root.put("schemaVersion", 2);
      root.put("mediaType", type);
    }

    static ManifestJson oci() {
      return new ManifestJson(MediaTypes.OCI_MANIFEST);
    }

    static ManifestJson ociIndex() {
      return new ManifestJson(MediaTypes.OCI_INDEX).manifests();
    }

    static ManifestJson docker() {
      return new ManifestJson(MediaTypes.DOCKER_MANIFEST);
    }

    static ManifestJson dockerList() {
      return new ManifestJson(MediaTypes.DOCKER_MANIFEST_LIST).manifests();
    }

    private ManifestJson manifests() {
      root.put("manifests", new ArrayList<>());
      return this;
    }

    static Map<String, Object> descriptor(String mediaType, Digest digest, long size) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("mediaType", mediaType);
      d.put("digest", digest.value());
      d.put("size", size);
      return d;
    }

    ManifestJson config(String mediaType, byte[] content) {
      return config(mediaType, RegistryHttp.digest(content), content.length);
    }

    ManifestJson config(String mediaType, Digest digest, long size) {
      root.put("config", descriptor(mediaType, digest, size));
      root.putIfAbsent("layers", new ArrayList<>());
      return change();
    }

    @SuppressWarnings("unchecked")
    ManifestJson layer(String mediaType, Digest digest, long size) {
      ((List<Object>) root.computeIfAbsent("layers", k -> new ArrayList<>())).add(descriptor(mediaType, digest, size));
      return change();
    }

    @SuppressWarnings("unchecked")
    ManifestJson child(ManifestJson child) {
      ((List<Object>) root.get("manifests")).add(child.descriptor());
      return change();
    }

    @SuppressWarnings("unchecked")
    ManifestJson child(Map<String, Object> descriptor) {
      ((List<Object>) root.get("manifests")).add(descriptor);
      return change();
    }

    ManifestJson subject(ManifestJson subject) {
      return subject(subject.descriptor());
    }

    ManifestJson subject(Map<String, Object> descriptor) {
      root.put("subject", descriptor);
      return change();
    }

    ManifestJson artifactType(String type) {
      root.put("artifactType", type);
      return change();
    }

    @SuppressWarnings("unchecked")
    ManifestJson annotation(String key, String value) {
      ((Map<String, Object>) root.computeIfAbsent("annotations", k -> new LinkedHashMap<>())).put(key, value);
      return change();
    }

    /** Any other top-level field. */
    ManifestJson field(String name, Object value) {
      root.put(name, value);
      return change();
    }

    ManifestJson without(String field) {
      root.remove(field);
      return change();
    }

    private ManifestJson change() {
      bytes = null;
      return this;
    }

    String mediaType() {
      return type;
    }

    byte[] bytes() {
      if (bytes == null) {
        bytes = JSON.writeValueAsBytes(root);
      }
      return bytes;
    }

    Digest digest() {
      return RegistryHttp.digest(bytes());
    }

    /** A top-level field as pushed, e.g. {@code get("config")} to reuse the config descriptor. */
    JsonNode get(String field) {
      return JSON.readTree(bytes()).get(field);
    }

    /** The digest of layer {@code i}. */
    Digest layer(int i) {
      return Digest.parse(get("layers").get(i).get("digest").asString());
    }

    Map<String, Object> descriptor() {
      return ManifestJson.descriptor(mediaType(), digest(), bytes().length);
    }
  }
}
