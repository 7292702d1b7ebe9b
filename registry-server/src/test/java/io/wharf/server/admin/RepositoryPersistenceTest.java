package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.json;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Repositories created through the API survive a restart on the same data directory (their
 * ports too), and the precedence between the file and the API: a name in both is the file's.
 */
class RepositoryPersistenceTest {
  static {
    ManagementHttp.quietLogs();
  }

  static final String REST = "/service/rest";

  @TempDir Path dir;

  String yaml(String extraRepositories) {
    return """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        management: {metrics: {enabled: false}}
        blobStores:
          default: {type: file, path: DATA}
          extra: {type: file, path: EXTRA}
        repositories:
          - {name: main, type: hosted}
        """.replace("DATA", dir.resolve("data").toString()).replace("EXTRA", dir.resolve("extra").toString())
        + extraRepositories;
  }

  static String hosted(String name, String store, String policy, int port) {
    return ("{\"name\":\"" + name + "\",\"online\":true,\"storage\":{\"blobStoreName\":\"" + store
        + "\",\"writePolicy\":\"" + policy + "\"},\"docker\":{\"forceBasicAuth\":false,\"httpPort\":" + port + "}}");
  }

  static HttpResponse<byte[]> create(URI base, String body) {
    return send(base, "POST", REST + "/v1/repositories/docker/hosted", body.getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/json");
  }

  @Test
  void createdThroughTheApi_isBackAfterARestart_withItsPort() throws Exception {
    int port = RepositoryChangesTest.freePort();
    ManagementHttp.Image image;
    try (WharfServer first = WharfServer.start(ConfigLoader.parse(yaml(""), "persistence.yaml"))) {
      HttpResponse<byte[]> r = create(first.url(), hosted("api-one", "extra", "ALLOW_ONCE", port));
      assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
      image = ManagementHttp.pushImage(URI.create("http://127.0.0.1:" + port), "team/app", "1", 2048);
      // "main" is alone on "default", at the store's root: a second repository there would mix with it
      HttpResponse<byte[]> mixed = create(first.url(), hosted("api-two", "default", "ALLOW", 0).replace(
          ",\"httpPort\":0", ""));
      assertThat(mixed.statusCode()).as(text(mixed)).isEqualTo(400);
      assertThat(json(mixed).get(0).path("id").asString()).isEqualTo("storage.blobStoreName");
    }
    assertThat(RepositoryChangesTest.listening(port)).isFalse();
    assertThat(dir.resolve("data/docker/registry/v2/_wharf/settings/repositories.json")).exists();

    try (WharfServer second = WharfServer.start(ConfigLoader.parse(yaml(""), "persistence.yaml"))) {
      HttpResponse<byte[]> s = get(second.url(), REST + "/v1/repositories/docker/hosted/api-one");
      assertThat(s.statusCode()).as(text(s)).isEqualTo(200);
      JsonNode settings = json(s);
      assertThat(settings.path("storage").path("writePolicy").asString()).isEqualTo("ALLOW_ONCE");
      assertThat(settings.path("storage").path("blobStoreName").asString()).isEqualTo("extra");
      assertThat(settings.path("docker").path("httpPort").asInt()).isEqualTo(port);
      assertThat(second.port("api-one")).isEqualTo(port);
      HttpResponse<byte[]> pulled = get(URI.create("http://127.0.0.1:" + port), "/v2/team/app/manifests/1",
          "Accept", MediaTypes.OCI_MANIFEST);
      assertThat(pulled.statusCode()).isEqualTo(200);
      assertThat(pulled.body()).isEqualTo(image.manifest());
      // the file's repository keeps its images where they were (the store's root)
      ManagementHttp.pushImage(second.url(), "main-image", "1", 512);
      assertThat(dir.resolve("data/docker/registry/v2/repositories/main-image")).isDirectory();
    }
  }

  @Test
  void aNameInTheFileAndTheApi_theFileWins() throws Exception {
    int port = RepositoryChangesTest.freePort();
    try (WharfServer first = WharfServer.start(ConfigLoader.parse(yaml(""), "persistence.yaml"))) {
      assertThat(create(first.url(), hosted("shared-name", "extra", "ALLOW", port)).statusCode()).isEqualTo(201);
      assertThat(create(first.url(), hosted("api-kept", "extra", "ALLOW", RepositoryChangesTest.freePort()))
          .statusCode()).isEqualTo(201);
    }
    String file = yaml("  - {name: shared-name, type: hosted, blobStore: extra, writePolicy: deny}\n");
    Path doc = dir.resolve("data/docker/registry/v2/_wharf/settings/repositories.json");
    try (WharfServer second = WharfServer.start(ConfigLoader.parse(file, "persistence.yaml"))) {
      JsonNode s = json(get(second.url(), REST + "/v1/repositories/docker/hosted/shared-name"));
      assertThat(s.path("storage").path("writePolicy").asString()).isEqualTo("DENY");
      assertThat(s.path("docker").path("httpPort").isNull()).isTrue();
      assertThat(RepositoryChangesTest.listening(port)).isFalse();
      // pinned now: the API may not change it
      HttpResponse<byte[]> put = send(second.url(), "PUT", REST + "/v1/repositories/docker/hosted/shared-name",
          hosted("shared-name", "extra", "ALLOW", port).getBytes(StandardCharsets.UTF_8),
          "Content-Type", "application/json");
      assertThat(put.statusCode()).isEqualTo(409);
      assertThat(get(second.url(), REST + "/v1/repositories/api-kept").statusCode()).isEqualTo(200);
      // the next API change drops the API's copy from the document
      HttpResponse<byte[]> delete = send(second.url(), "DELETE", REST + "/v1/repositories/api-kept", null);
      assertThat(delete.statusCode()).isEqualTo(204);
      assertThat(Files.readString(doc)).doesNotContain("shared-name").doesNotContain("api-kept");
    }
  }

  @Test
  void reload_picksUpWhatAnotherNodeChanged() throws Exception {
    try (WharfServer a = WharfServer.start(ConfigLoader.parse(yaml(""), "node-a.yaml"));
        WharfServer b = WharfServer.start(ConfigLoader.parse(yaml(""), "node-b.yaml"))) {
      HttpResponse<byte[]> r = create(a.url(), hosted("api-shared", "extra", "ALLOW", 0).replace(",\"httpPort\":0", ""));
      assertThat(r.statusCode()).as(text(r)).isEqualTo(201);
      ManagementHttp.Image image = ManagementHttp.pushImage(a.url(), "api-shared/team/app", "1", 1024);
      assertThat(get(b.url(), REST + "/v1/repositories/api-shared").statusCode()).isEqualTo(404);

      HttpResponse<byte[]> reloaded = send(b.url(), "POST", "/wharf/api/v1/repositories/reload", null);
      assertThat(reloaded.statusCode()).as(text(reloaded)).isEqualTo(200);
      assertThat(json(reloaded).path("repositories").toString()).contains("api-shared");
      assertThat(get(b.url(), REST + "/v1/repositories/api-shared").statusCode()).isEqualTo(200);
      HttpResponse<byte[]> pulled = get(b.url(), "/v2/api-shared/team/app/manifests/1", "Accept",
          MediaTypes.OCI_MANIFEST);
      assertThat(pulled.body()).isEqualTo(image.manifest());

      assertThat(send(a.url(), "DELETE", REST + "/v1/repositories/api-shared", null).statusCode()).isEqualTo(204);
      assertThat(send(b.url(), "POST", "/wharf/api/v1/repositories/reload", null).statusCode()).isEqualTo(200);
      assertThat(get(b.url(), REST + "/v1/repositories/api-shared").statusCode()).isEqualTo(404);
      assertThat(send(b.url(), "GET", "/wharf/api/v1/repositories/reload", null).statusCode()).isEqualTo(405);
    }
  }
}
