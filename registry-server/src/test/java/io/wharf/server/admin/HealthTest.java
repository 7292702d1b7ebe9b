package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Health over HTTP on an open server (no {@code security:}, so the checks are open too) whose
 * second blob store cannot be written: its directory is a regular file.
 */
class HealthTest {
  static {
    ManagementHttp.quietLogs();
  }

  @TempDir Path dir;

  @Test
  void unwritableStore_notReady_writable503_checkNamesIt() throws Exception {
    Path notADirectory = Files.writeString(dir.resolve("broken"), "a file where a directory should be");
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
          broken: {type: file, path: BROKEN}
        repositories:
          - {name: docker-hosted, type: hosted}
          - {name: archive, type: hosted, blobStore: broken}
        """.replace("DATA", dir.resolve("data").toString()).replace("BROKEN", notADirectory.toString());
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml, "health-test.yaml"))) {
      URI base = server.url();
      assertThat(get(base, "/health/live").statusCode()).isEqualTo(200);

      HttpResponse<byte[]> ready = get(base, "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      JsonNode body = json(ready);
      assertThat(body.path("status").asString()).isEqualTo("DOWN");
      assertThat(body.path("failing").toString()).isEqualTo("[\"Blob store broken writable\"]");
      assertThat(text(ready)).doesNotContain(notADirectory.toString()); // anonymous: names only

      assertThat(get(base, "/service/rest/v1/status").statusCode()).isEqualTo(200); // reads still answer
      assertThat(get(base, "/service/rest/v1/status/writable").statusCode()).isEqualTo(503);

      HttpResponse<byte[]> checks = get(base, "/service/rest/v1/status/check");
      assertThat(checks.statusCode()).isEqualTo(200);
      JsonNode c = json(checks);
      assertThat(c.path("Blob store default writable").path("healthy").asBoolean()).isTrue();
      assertThat(c.path("Blob store broken writable").path("healthy").asBoolean()).isFalse();
      assertThat(c.path("Blob store broken writable").path("message").asString()).contains("not writable");
      assertThat(c.has("Token signing key")).isFalse(); // no security, no tokens

      // the registry itself still serves the healthy repository
      ManagementHttp.pushImage(base, "docker-hosted/team/app", "1", 100);
    }
  }
}
