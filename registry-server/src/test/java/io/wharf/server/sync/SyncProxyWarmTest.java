package io.wharf.server.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.Digest;
import io.wharf.core.repository.HostedRepository;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import io.wharf.storage.memory.InMemoryDriver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A pull rule of a proxy repository warms its cache: after a run, the images it selected are
 * served from the cache with the upstream gone, and a second run downloads nothing again.
 */
class SyncProxyWarmTest {
  static final JsonMapper JSON = JsonMapper.builder().build();
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(30)).build();

  HttpResponse<byte[]> get(WharfServer server, String path, String accept) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path)).timeout(Duration.ofSeconds(120));
    if (accept != null) {
      b.header("Accept", accept);
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  JsonNode awaitRun(WharfServer server, String after) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    while (true) {
      JsonNode r = JSON.readTree(get(server, "/wharf/api/v1/repositories/cache/sync/warm", null).body());
      JsonNode last = r.get("last");
      if (!r.get("running").asBoolean() && last != null && last.hasNonNull("finished")
          && (after == null || !last.get("started").asString().equals(after))) {
        return last;
      }
      assertThat(System.nanoTime()).as("the run ended").isLessThan(deadline);
      Thread.sleep(50); // a poll interval; the deadline above bounds the wait
    }
  }

  @Test
  void proxyRule_warmsTheCache_asIfPulled() throws Exception {
    HostedRepository upstream = HostedRepository.builder("upstream", new InMemoryDriver()).build();
    SourceImages images = new SourceImages(upstream);
    SourceImages.Pushed wanted = images.image("team/app", "1.0", "linux/amd64", Instant.parse("2026-01-01T00:00:00Z"),
        3000, 200);
    SourceImages.Pushed other = images.image("team/app", "2.0", "linux/amd64", Instant.parse("2026-01-02T00:00:00Z"),
        100);
    WharfServer source = SyncTestServers.serve(upstream);
    WharfServer server = null;
    try {
      server = WharfServer.start(ConfigLoader.parse("""
          server: {bind: 127.0.0.1, port: 0, shutdownTimeout: 100ms, accessLog: false}
          blobStores: {default: {type: memory}}
          repositories:
            - name: cache
              type: proxy
              remoteUrl: "%s"
              sync:
                - {name: warm, content: [{names: [team/app], tags: {include: "1\\\\..*"}}], limits: {concurrency: 2}}
          """.formatted(source.url()), "test.yaml"));
      HttpResponse<String> started = http.send(HttpRequest.newBuilder(URI.create(server.url()
          + "/wharf/api/v1/repositories/cache/sync/warm/run")).POST(HttpRequest.BodyPublishers.noBody()).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(started.statusCode()).as(started.body()).isEqualTo(202);
      JsonNode first = awaitRun(server, null);
      assertThat(first.get("state").asString()).as(first.toString()).isEqualTo("SUCCEEDED");
      assertThat(first.get("imagesCopied").asInt()).isEqualTo(1);
      assertThat(first.get("blobsCopied").asInt()).isEqualTo(3);

      // a second run finds every blob in the cache
      http.send(HttpRequest.newBuilder(URI.create(server.url() + "/wharf/api/v1/repositories/cache/sync/warm/run"))
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      JsonNode second = awaitRun(server, first.get("started").asString());
      assertThat(second.get("state").asString()).as(second.toString()).isEqualTo("SUCCEEDED");
      assertThat(second.get("blobsCopied").asInt()).isZero();
      assertThat(second.get("blobsSkipped").asInt()).isEqualTo(3);

      // the upstream is gone: what the rule selected is served from the cache, the rest is not there
      source.close();
      source = null;
      HttpResponse<byte[]> manifest = get(server, "/v2/cache/team/app/manifests/" + wanted.digest(), wanted.mediaType());
      assertThat(manifest.statusCode()).isEqualTo(200);
      assertThat(manifest.body()).isEqualTo(wanted.bytes());
      for (Digest blob : wanted.blobs()) {
        HttpResponse<byte[]> b = get(server, "/v2/cache/team/app/blobs/" + blob, null);
        assertThat(b.statusCode()).as(blob.toString()).isEqualTo(200);
        assertThat(blob.matches(b.body())).isTrue();
      }
      assertThat(get(server, "/v2/cache/team/app/manifests/" + other.digest(), other.mediaType()).statusCode())
          .isNotEqualTo(200);
    } finally {
      if (server != null) {
        server.close();
      }
      if (source != null) {
        source.close();
      }
    }
  }

  @Test
  void proxyRule_takesNoSource_deleteMissing_orRenaming() {
    String yaml = """
        blobStores: {default: {type: memory}}
        repositories:
          - name: cache
            type: proxy
            remoteUrl: https://x.io
            sync: [{name: warm, content: [{names: [x]%s}]%s}]
        """;
    assertThat(ConfigLoader.parse(yaml.formatted("", ""), "t").repositories().get(0).sync()).hasSize(1);
    assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted("", ", source: {url: \"https://y.io\"}"), "t"))
        .hasMessageContaining("sync[0] (warm).source: a rule of proxy repository cache warms its cache from its"
            + " remoteUrl; leave source out");
    assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted("", ", deleteMissing: true"), "t"))
        .hasMessageContaining("sync[0] (warm).deleteMissing: a proxy's cache follows its upstream");
    assertThatThrownBy(() -> ConfigLoader.parse(yaml.formatted(", destination: base", ""), "t"))
        .hasMessageContaining("sync[0] (warm).content[0]: a proxy caches images under their upstream names");
  }
}
