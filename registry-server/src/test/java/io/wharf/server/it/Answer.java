package io.wharf.server.it;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * A registry's answer to a plain GET, as precise as a status check needs: the status, the headers,
 * the body as far as it came, and {@code failure}, why no complete answer arrived (status -1 if
 * not even the headers did; a status and a partial body if the body was cut off).
 */
record Answer(int status, Map<String, List<String>> headers, byte[] body, String failure) {
  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  /** GET {@code url} with {@code Accept: accept}; waits up to 2 minutes. */
  static Answer get(String url, String accept) {
    HttpRequest request = HttpRequest.newBuilder(URI.create(url)).header("Accept", accept)
        .timeout(Duration.ofMinutes(2)).build();
    HttpResponse<InputStream> r;
    try {
      r = HTTP.send(request, HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      return new Answer(-1, Map.of(), new byte[0], e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Answer(-1, Map.of(), new byte[0], "interrupted");
    }
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    try (InputStream in = r.body()) {
      in.transferTo(body);
      return new Answer(r.statusCode(), r.headers().map(), body.toByteArray(), null);
    } catch (IOException e) {
      return new Answer(r.statusCode(), r.headers().map(), body.toByteArray(),
          "body cut off after " + body.size() + " bytes: " + e);
    }
  }

  Optional<String> header(String name) {
    return headers.entrySet().stream().filter(e -> e.getKey().equalsIgnoreCase(name))
        .flatMap(e -> e.getValue().stream()).findFirst();
  }

  /** Whether the whole body arrived with a 200 and hashes to {@code digest}. */
  boolean delivered(String digest) {
    return status == 200 && failure == null && OciLayouts.sha256(body).equals(digest);
  }

  /** {@code code message detail} of the first error of an OCI error body; empty if the body is none. */
  Optional<String> envelope() {
    try {
      JsonNode errors = OciLayouts.JSON.readTree(body).path("errors");
      if (!errors.isArray() || errors.isEmpty() || errors.get(0).path("code").asString("").isEmpty()) {
        return Optional.empty();
      }
      JsonNode e = errors.get(0);
      return Optional.of(e.path("code").asString("") + " " + e.path("message").asString("") + " " + e.path("detail"));
    } catch (RuntimeException notJson) {
      return Optional.empty();
    }
  }

  @Override
  public String toString() {
    if (failure != null) {
      return (status < 0 ? "" : status + " ") + "no complete answer (" + failure + ")";
    }
    String text = body.length > 400 || !isText() ? body.length + " bytes" : new String(body, StandardCharsets.UTF_8);
    return status + header("Retry-After").map(v -> " Retry-After: " + v).orElse("") + " " + text;
  }

  private boolean isText() {
    return header("Content-Type").map(t -> t.contains("json") || t.startsWith("text")).orElse(false);
  }
}
