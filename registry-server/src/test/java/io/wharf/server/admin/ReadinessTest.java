package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code /health/ready} is DOWN while a blob store has less free space than its reserve
 * ({@code blobStores.<name>.minFree}), the state in which it refuses uploads, and
 * {@code /v1/status/check} has a named free-space check per store. Memory stores with a
 * {@code maxSize} report their free space as a disk does.
 */
class ReadinessTest {
  static {
    ManagementHttp.quietLogs();
  }

  static String yaml(String fullMinFree) {
    return """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: memory, maxSize: 4MiB, minFree: 1MiB}
          full: {type: memory, maxSize: 1MiB, minFree: MINFREE}
        repositories:
          - {name: docker-hosted, type: hosted}
          - {name: archive, type: hosted, blobStore: full}
        """.replace("MINFREE", fullMinFree);
  }

  @Test
  void storeBelowItsReserve_notReady_checkNamesTheStoreAndTheNumbers() throws Exception {
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml("2MiB"), "readiness.yaml"))) {
      URI base = server.url();
      HttpResponse<byte[]> ready = get(base, "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      JsonNode body = json(ready);
      assertThat(body.path("status").asString()).isEqualTo("DOWN");
      assertThat(body.path("failing").toString()).isEqualTo("[\"Blob store full free space\"]");

      JsonNode checks = json(get(base, "/service/rest/v1/status/check"));
      JsonNode full = checks.path("Blob store full free space");
      assertThat(full.path("healthy").asBoolean()).isFalse();
      assertThat(full.path("message").asString()).contains("full").contains("below its reserve")
          .contains("blobStores.full.minFree");
      assertThat(full.path("details").path("reserveInBytes").asLong()).isEqualTo(2L << 20);
      assertThat(full.path("details").path("availableSpaceInBytes").asLong()).isEqualTo(1L << 20);
      JsonNode fine = checks.path("Blob store default free space");
      assertThat(fine.path("healthy").asBoolean()).isTrue();
      assertThat(fine.path("details").path("reserveInBytes").asLong()).isEqualTo(1L << 20);
      // the store still answers and takes small writes: only readiness says "send uploads elsewhere"
      assertThat(get(base, "/service/rest/v1/status/writable").statusCode()).isEqualTo(200);
      assertThat(get(base, "/health/live").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void everyStoreAboveItsReserve_ready() throws Exception {
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml("512KiB"), "readiness.yaml"))) {
      HttpResponse<byte[]> ready = get(server.url(), "/health/ready");
      assertThat(ready.statusCode()).as(ManagementHttp.text(ready)).isEqualTo(200);
      assertThat(json(get(server.url(), "/service/rest/v1/status/check")).path("Blob store full free space")
          .path("healthy").asBoolean()).isTrue();
    }
  }
}
