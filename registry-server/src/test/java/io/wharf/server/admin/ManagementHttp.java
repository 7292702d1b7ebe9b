package io.wharf.server.admin;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A small HTTP client for the management tests: requests with or without Basic credentials, a
 * monolithic image push, and a parser for Prometheus's text format.
 */
final class ManagementHttp {
  static {
    // The shipped configuration (INFO, Jetty at WARN) instead of logback's DEBUG default.
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "wharf-logback.xml");
    }
  }

  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .followRedirects(HttpClient.Redirect.NEVER).connectTimeout(Duration.ofSeconds(10)).build();
  private static final Random RANDOM = new Random();

  private ManagementHttp() {}

  /** Call from a test class's static initializer, before any server logs: loads this class and its log settings. */
  static void quietLogs() {
    // the static initializer above did the work
  }

  /** Request headers for Basic credentials. */
  static String[] basic(String user, String password) {
    return new String[] {"Authorization",
        "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8))};
  }

  static final String[] ANONYMOUS = {};

  static HttpResponse<byte[]> send(URI base, String method, String path, byte[] body, String... headers) {
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

  static HttpResponse<byte[]> get(URI base, String path, String... headers) {
    return send(base, "GET", path, null, headers);
  }

  static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  static JsonNode json(HttpResponse<byte[]> r) {
    assertThat(r.headers().firstValue("Content-Type").orElse("")).as("Content-Type of %s", text(r))
        .startsWith("application/json");
    return JSON.readTree(r.body());
  }

  /** Asserts Nexus's siesta error shape with {@code status}. */
  static JsonNode assertNexusError(HttpResponse<byte[]> r, int status, String statusMessage) {
    assertThat(r.statusCode()).as("status of %s", text(r)).isEqualTo(status);
    JsonNode body = json(r);
    assertThat(body.path("status-code").asInt()).isEqualTo(status);
    assertThat(body.path("status-message").asString()).isEqualTo(statusMessage);
    assertThat(body.path("siesta-faultid").asString()).matches("[0-9a-f-]{36}");
    assertThat(body.path("message").asString()).isNotBlank();
    return body;
  }

  /** An image pushed by {@link #pushImage}: its blobs (config first) and manifest. */
  record Image(List<byte[]> blobs, byte[] manifest, Digest manifestDigest) {
    long blobBytes() {
      return blobs.stream().mapToLong(b -> b.length).sum();
    }
  }

  /** Pushes a config and one random layer of {@code layerSize} bytes monolithically, then the manifest. */
  static Image pushImage(URI base, String name, String tag, int layerSize, String... headers) {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"seed\":" + RANDOM.nextLong() + "}")
        .getBytes(StandardCharsets.UTF_8);
    byte[] layer = new byte[layerSize];
    RANDOM.nextBytes(layer);
    for (byte[] blob : List.of(config, layer)) {
      HttpResponse<byte[]> r = send(base, "POST", "/v2/" + name + "/blobs/uploads/?digest=" + Digest.sha256(blob),
          blob, concat(headers, "Content-Type", MediaTypes.OCTET_STREAM));
      assertThat(r.statusCode()).as("blob push: %s", text(r)).isEqualTo(201);
    }
    String manifest = "{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":"
        + descriptor(MediaTypes.OCI_CONFIG, config) + ",\"layers\":[" + descriptor(MediaTypes.OCI_LAYER_TAR_GZIP, layer)
        + "]}";
    byte[] bytes = manifest.getBytes(StandardCharsets.UTF_8);
    HttpResponse<byte[]> r = send(base, "PUT", "/v2/" + name + "/manifests/" + tag, bytes,
        concat(headers, "Content-Type", MediaTypes.OCI_MANIFEST));
    assertThat(r.statusCode()).as("manifest push: %s", text(r)).isEqualTo(201);
    return new Image(List.of(config, layer), bytes, Digest.sha256(bytes));
  }

  private static String descriptor(String type, byte[] content) {
    return "{\"mediaType\":\"" + type + "\",\"digest\":\"" + Digest.sha256(content) + "\",\"size\":" + content.length + "}";
  }

  private static String[] concat(String[] a, String... b) {
    String[] out = new String[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static final Pattern SAMPLE = Pattern.compile("([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([^}]*)})?\\s+(\\S+)");
  private static final Pattern LABEL = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

  /** Every sample of a Prometheus text scrape, keyed {@code name{a="1",b="2"}} with labels sorted. */
  static Map<String, Double> parseMetrics(String text) {
    Map<String, Double> out = new LinkedHashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Matcher m = SAMPLE.matcher(line);
      assertThat(m.matches()).as("a sample line: %s", line).isTrue();
      java.util.TreeMap<String, String> labels = new java.util.TreeMap<>();
      if (m.group(3) != null) {
        Matcher l = LABEL.matcher(m.group(3));
        while (l.find()) {
          labels.put(l.group(1), l.group(2));
        }
      }
      out.put(key(m.group(1), labels), Double.parseDouble(m.group(4)));
    }
    return out;
  }

  /** The key {@link #parseMetrics} uses for {@code name} and label pairs. */
  static String key(String name, String... labels) {
    java.util.TreeMap<String, String> m = new java.util.TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      m.put(labels[i], labels[i + 1]);
    }
    return key(name, m);
  }

  private static String key(String name, java.util.SortedMap<String, String> labels) {
    if (labels.isEmpty()) {
      return name;
    }
    StringBuilder sb = new StringBuilder(name).append('{');
    labels.forEach((k, v) -> sb.append(k).append("=\"").append(v).append("\","));
    sb.setLength(sb.length() - 1);
    return sb.append('}').toString();
  }
}
