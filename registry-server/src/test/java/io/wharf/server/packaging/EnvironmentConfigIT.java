package io.wharf.server.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code wharf serve} configured by environment variables alone, the way the container image
 * ({@code WHARF_CONFIG}) and {@code examples/wharf.env} under systemd run it: no flag on the
 * command line; {@code WHARF_PORT} and {@code WHARF_BIND} win over the file's {@code server:},
 * {@code WHARF_DATA} is where the default blob store writes.
 */
class EnvironmentConfigIT {
  @TempDir Path tmp;

  @Test
  void serveWithoutFlags_takesConfigBindPortAndDataFromTheEnvironment() throws Exception {
    Path config = Files.writeString(tmp.resolve("wharf.yaml"), """
        server: {bind: 0.0.0.0, port: 1}
        repositories:
          - {name: from-env-file, type: hosted}
        """);
    Path data = tmp.resolve("data");
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Path log = tmp.resolve("wharf.log");
    ProcessBuilder pb = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", Path.of(System.getProperty("wharf.jar", "target/wharf.jar")).toAbsolutePath().toString(), "serve"))
        .redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().putAll(Map.of("WHARF_CONFIG", config.toString(), "WHARF_BIND", "127.0.0.1",
        "WHARF_PORT", Integer.toString(port), "WHARF_DATA", data.toString()));
    Process wharf = pb.start();
    try {
      HttpClient http = HttpClient.newHttpClient();
      String base = "http://127.0.0.1:" + port;
      awaitListening(wharf, log, base);
      assertThat(Files.readString(log)).contains("from-env-file", "listening on " + base);

      byte[] blob = "layer".getBytes(StandardCharsets.UTF_8);
      String hex = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(blob));
      HttpResponse<String> pushed = http.send(HttpRequest.newBuilder(
              URI.create(base + "/v2/team/app/blobs/uploads/?digest=sha256:" + hex))
          .POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(pushed.statusCode()).as(pushed.body()).isEqualTo(201);
      assertThat(data.resolve("docker/registry/v2/blobs/sha256/" + hex.substring(0, 2) + "/" + hex + "/data"))
          .hasBinaryContent(blob);
    } finally {
      wharf.destroy();
      wharf.waitFor();
    }
  }

  /** Waits (generously: a loaded machine) until {@code /v2/} answers, failing early if the JVM exits. */
  private static void awaitListening(Process wharf, Path log, String base) throws Exception {
    HttpClient probe = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
    while (Instant.now().isBefore(deadline)) {
      assertThat(wharf.isAlive()).as("wharf exited: %s", Files.readString(log)).isTrue();
      try {
        if (probe.send(HttpRequest.newBuilder(URI.create(base + "/v2/")).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException notYet) {
        // not listening yet
      }
      Thread.sleep(100);
    }
    throw new AssertionError("wharf did not answer on " + base + " within 2 minutes: " + Files.readString(log));
  }
}
