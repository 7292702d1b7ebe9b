package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.key;
import static io.wharf.server.admin.ManagementHttp.parseMetrics;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code /metrics} scraped before and after a push, a pull, a pull through a proxy and a garbage
 * collection: every counter moves by exactly what happened.
 */
class MetricsTest {
  static {
    ManagementHttp.quietLogs();
  }

  @TempDir Path dir;

  static final String NAME = "team/app";

  static double delta(Map<String, Double> before, Map<String, Double> after, String name, String... labels) {
    String k = key(name, labels);
    assertThat(after).as("metric %s", k).containsKey(k);
    return after.get(k) - before.getOrDefault(k, 0.0);
  }

  static Map<String, Double> scrape(URI base) {
    HttpResponse<byte[]> r = get(base, "/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/plain; version=0.0.4");
    return parseMetrics(text(r));
  }

  /** Blobs under {@code blobs/} of a file store, and their bytes. */
  static long[] blobsOnDisk(Path root) throws java.io.IOException {
    long[] out = new long[2];
    try (java.util.stream.Stream<Path> files = java.nio.file.Files.walk(root.resolve("docker/registry/v2/blobs"))) {
      for (Path p : files.filter(f -> f.getFileName().toString().equals("data")).toList()) {
        out[0]++;
        out[1] += java.nio.file.Files.size(p);
      }
    }
    return out;
  }

  WharfServer upstream() throws Exception {
    return WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, dir.resolve("upstream").toString())
        .withManagement(new WharfConfig.Management(new WharfConfig.Metrics(false, null))));
  }

  @Test
  void pushPullProxyAndGc_moveTheCountersByWhatHappened() throws Exception {
    try (WharfServer upstream = upstream()) {
      String yaml = """
          server: {bind: 127.0.0.1, port: 0, accessLog: false}
          blobStores:
            default: {type: file, path: DATA, maintenance: {grace: 0s}}
          repositories:
            - {name: docker-hosted, type: hosted}
            - {name: hub, type: proxy, remoteUrl: UPSTREAM}
          """.replace("DATA", dir.resolve("data").toString()).replace("UPSTREAM", upstream.url().toString());
      try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml, "metrics-test.yaml"))) {
        URI base = server.url();
        Map<String, Double> m0 = scrape(base);
        assertThat(m0).containsKey(key("registry_proxy_requests_total", "repository", "hub", "type", "blob"));
        assertThat(m0.keySet()).anyMatch(k -> k.startsWith("jvm_memory_used_bytes"))
            .anyMatch(k -> k.startsWith("jetty_threads_busy")).anyMatch(k -> k.startsWith("jetty_connections_current"));

        // push: two monolithic blob uploads and a manifest
        ManagementHttp.Image image = ManagementHttp.pushImage(base, "docker-hosted/" + NAME, "1.0", 3000);
        // pull: the manifest, both blobs, and a HEAD
        assertThat(get(base, "/v2/docker-hosted/" + NAME + "/manifests/1.0", "Accept",
            "application/vnd.oci.image.manifest.v1+json").statusCode()).isEqualTo(200);
        for (byte[] blob : image.blobs()) {
          HttpResponse<byte[]> r = get(base, "/v2/docker-hosted/" + NAME + "/blobs/" + Digest.sha256(blob));
          assertThat(r.body()).isEqualTo(blob);
        }
        assertThat(send(base, "HEAD", "/v2/docker-hosted/" + NAME + "/blobs/" + Digest.sha256(image.blobs().get(1)),
            null).statusCode()).isEqualTo(200);
        // through the proxy: the manifest (a miss), the layer twice (a miss, then a hit)
        ManagementHttp.Image remote = ManagementHttp.pushImage(upstream.url(), NAME, "2.0", 5000);
        byte[] layer = remote.blobs().get(1);
        assertThat(get(base, "/v2/hub/" + NAME + "/manifests/2.0").body()).isEqualTo(remote.manifest());
        assertThat(get(base, "/v2/hub/" + NAME + "/blobs/" + Digest.sha256(layer)).body()).isEqualTo(layer);
        assertThat(get(base, "/v2/hub/" + NAME + "/blobs/" + Digest.sha256(layer)).body()).isEqualTo(layer);

        Map<String, Double> m1 = scrape(base);
        String requests = "registry_http_requests_total";
        assertThat(delta(m0, m1, requests, "handler", "blob_upload", "method", "POST", "code", "201")).isEqualTo(2);
        assertThat(delta(m0, m1, requests, "handler", "manifest", "method", "PUT", "code", "201")).isEqualTo(1);
        assertThat(delta(m0, m1, requests, "handler", "manifest", "method", "GET", "code", "200")).isEqualTo(2);
        assertThat(delta(m0, m1, requests, "handler", "blob", "method", "GET", "code", "200")).isEqualTo(4);
        assertThat(delta(m0, m1, requests, "handler", "blob", "method", "HEAD", "code", "200")).isEqualTo(1);
        assertThat(delta(m0, m1, "registry_http_request_duration_seconds_count", "handler", "blob", "method", "GET"))
            .isEqualTo(4);
        assertThat(delta(m0, m1, "registry_http_request_duration_seconds_bucket", "handler", "blob", "method", "GET",
            "le", "+Inf")).isEqualTo(4);
        // bytes in and out: exactly the bodies
        assertThat(delta(m0, m1, "registry_http_request_size_bytes_sum", "handler", "blob_upload"))
            .isEqualTo(image.blobBytes());
        assertThat(delta(m0, m1, "registry_http_request_size_bytes_sum", "handler", "manifest"))
            .isEqualTo(image.manifest().length);
        assertThat(delta(m0, m1, "registry_http_response_size_bytes_sum", "handler", "blob"))
            .isEqualTo(image.blobBytes() + 2.0 * layer.length);
        assertThat(m1.get("registry_http_in_flight_requests")).isEqualTo(1.0); // this scrape
        assertThat(m1.get("registry_upload_requests_in_flight")).isEqualTo(0.0);
        assertThat(delta(m0, m1, "registry_upload_sessions_started_total")).isEqualTo(2);
        assertThat(delta(m0, m1, "registry_upload_sessions_finished_total", "outcome", "completed")).isEqualTo(2);
        // the proxy's own view
        String[] hubBlob = {"repository", "hub", "type", "blob"};
        String[] hubManifest = {"repository", "hub", "type", "manifest"};
        assertThat(delta(m0, m1, "registry_proxy_requests_total", hubBlob)).isEqualTo(2);
        assertThat(delta(m0, m1, "registry_proxy_misses_total", hubBlob)).isEqualTo(1);
        assertThat(delta(m0, m1, "registry_proxy_hits_total", hubBlob)).isEqualTo(1);
        assertThat(delta(m0, m1, "registry_proxy_pulled_bytes_total", hubBlob)).isEqualTo(layer.length);
        assertThat(delta(m0, m1, "registry_proxy_requests_total", hubManifest)).isEqualTo(1);
        assertThat(delta(m0, m1, "registry_proxy_misses_total", hubManifest)).isEqualTo(1);
        assertThat(delta(m0, m1, "registry_proxy_hits_total", hubManifest)).isEqualTo(0);
        assertThat(delta(m0, m1, "registry_proxy_pulled_bytes_total", hubManifest)).isEqualTo(remote.manifest().length);

        // garbage collection: the hosted image's manifest goes, its blobs become garbage
        assertThat(send(base, "DELETE", "/v2/docker-hosted/" + NAME + "/manifests/" + image.manifestDigest(), null)
            .statusCode()).isEqualTo(202);
        HttpResponse<byte[]> run = send(base, "POST", "/wharf/api/v1/maintenance/default?wait=true", new byte[0]);
        assertThat(run.statusCode()).as(text(run)).isEqualTo(200);
        JsonNode gc = ManagementHttp.json(run).path("gc");
        long reclaimed = gc.path("bytesDeleted").asLong();
        assertThat(reclaimed).as("the report of %s", text(run)).isPositive();

        Map<String, Double> m2 = scrape(base);
        assertThat(delta(m1, m2, "registry_gc_runs_total", "store", "default")).isEqualTo(1);
        assertThat(delta(m1, m2, "registry_gc_reclaimed_bytes_total", "store", "default")).isEqualTo(reclaimed);
        assertThat(delta(m1, m2, "registry_gc_deleted_blobs_total", "store", "default"))
            .isEqualTo(gc.path("blobsDeleted").asLong());
        assertThat(delta(m1, m2, "registry_maintenance_runs_total", "store", "default", "outcome", "succeeded",
            "dry_run", "false")).isEqualTo(1);
        assertThat(delta(m1, m2, requests, "handler", "manifest", "method", "DELETE", "code", "202")).isEqualTo(1);
        // the store's size: counted again after the run, exactly what is on disk
        long[] disk = blobsOnDisk(dir.resolve("data"));
        assertThat(m2.get(key("registry_storage_blobs", "store", "default"))).isEqualTo(disk[0]);
        assertThat(m2.get(key("registry_storage_bytes", "store", "default"))).isEqualTo(disk[1]);
        assertThat(m2.get(key("registry_storage_free_bytes", "store", "default"))).isPositive();
        assertThat(m2).containsKey(key("registry_repository_storage_bytes", "repository", "hub"));
      }
    }
  }

  @Test
  void metricsDisabled_noEndpoint_butRegistryServes() throws Exception {
    WharfConfig config = WharfConfig.defaults().override("127.0.0.1", 0, dir.resolve("data").toString())
        .withManagement(new WharfConfig.Management(new WharfConfig.Metrics(false, null)));
    try (WharfServer server = WharfServer.start(config)) {
      assertThat(get(server.url(), "/metrics").statusCode()).isEqualTo(404);
      assertThat(get(server.url(), "/v2/").statusCode()).isEqualTo(200);
      assertThat(get(server.url(), "/health/ready").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void metricsPath_configurable() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores: {default: {type: memory}}
        management: {metrics: {path: /internal/prometheus}}
        """;
    try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml, "metrics-path.yaml"))) {
      assertThat(get(server.url(), "/internal/prometheus").statusCode()).isEqualTo(200);
      assertThat(text(get(server.url(), "/internal/prometheus"))).contains("registry_http_requests_total");
      assertThat(get(server.url(), "/metrics").statusCode()).isEqualTo(404);
    }
  }
}
