package io.wharf.server.admin;

import static io.wharf.server.admin.ManagementHttp.basic;
import static io.wharf.server.admin.ManagementHttp.get;
import static io.wharf.server.admin.ManagementHttp.parseMetrics;
import static io.wharf.server.admin.ManagementHttp.send;
import static io.wharf.server.admin.ManagementHttp.text;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code examples/grafana-dashboard.json} queries only metrics that exist: after a push, a pull,
 * a pull through a proxy, failed logins up to a lockout and a garbage collection, every metric
 * name in every panel's expression is in a scrape of {@code /metrics}.
 */
class DashboardTest {
  static {
    ManagementHttp.quietLogs();
  }

  static final Path DASHBOARD = Path.of("..", "examples", "grafana-dashboard.json");
  /** Metric names: Wharf's families and Micrometer's JVM, process, system and Jetty ones. */
  static final Pattern METRIC = Pattern.compile("\\b((?:registry|jvm|process|system|jetty)_[a-zA-Z0-9_]+)\\b");

  @TempDir Path dir;

  static Set<String> queried() throws Exception {
    JsonNode dashboard = ManagementHttp.JSON.readTree(Files.readAllBytes(DASHBOARD));
    Set<String> names = new TreeSet<>();
    collect(dashboard, names);
    return names;
  }

  private static void collect(JsonNode node, Set<String> names) {
    if (node.isObject()) {
      for (var e : node.properties()) {
        if ((e.getKey().equals("expr") || e.getKey().equals("query")) && e.getValue().isString()) {
          Matcher m = METRIC.matcher(e.getValue().asString());
          while (m.find()) {
            names.add(m.group(1));
          }
        } else {
          collect(e.getValue(), names);
        }
      }
    } else if (node.isArray()) {
      node.forEach(n -> collect(n, names));
    }
  }

  private static Set<String> scrapedNames(URI base) {
    return parseMetrics(text(get(base, "/metrics"))).keySet().stream()
        .map(k -> k.indexOf('{') < 0 ? k : k.substring(0, k.indexOf('{')))
        .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
  }

  @Test
  void everyMetricTheDashboardQueries_isScrapedAfterTraffic() throws Exception {
    Set<String> queried = queried();
    assertThat(queried).hasSizeGreaterThan(25).contains("registry_http_requests_total",
        "registry_http_request_duration_seconds_bucket", "registry_proxy_hits_total", "jvm_memory_used_bytes",
        "jetty_threads_busy");
    try (WharfServer upstream = WharfServer.start(WharfConfig.defaults()
        .override("127.0.0.1", 0, dir.resolve("upstream").toString())
        .withManagement(new WharfConfig.Management(new WharfConfig.Metrics(false, null))))) {
      String yaml = """
          server: {bind: 127.0.0.1, port: 0, accessLog: false}
          blobStores:
            default: {type: file, path: DATA, maintenance: {grace: 0s}}
          security:
            users: [{name: admin, passwordHash: "HASH", roles: [admins]}]
            roles: [{name: admins, privileges: ["*:*"]}]
            throttle: {maxFailures: 2, window: 10m, lockout: 10m}
          repositories:
            - {name: docker-hosted, type: hosted, quota: {soft: 1GiB}}
            - {name: hub, type: proxy, remoteUrl: UPSTREAM}
          """.replace("DATA", dir.resolve("data").toString()).replace("UPSTREAM", upstream.url().toString())
          .replace("HASH", PasswordHashes.hash("admin-pw".toCharArray(), 4));
      try (WharfServer server = WharfServer.start(ConfigLoader.parse(yaml, "dashboard-test.yaml"))) {
        URI base = server.url();
        String[] admin = basic("admin", "admin-pw");
        ManagementHttp.Image image = ManagementHttp.pushImage(base, "docker-hosted/team/app", "1.0", 2000, admin);
        get(base, "/v2/docker-hosted/team/app/blobs/" + Digest.sha256(image.blobs().get(1)), admin);
        ManagementHttp.Image remote = ManagementHttp.pushImage(upstream.url(), "team/app", "2.0", 2000);
        get(base, "/v2/hub/team/app/manifests/2.0", admin);
        get(base, "/v2/hub/team/app/blobs/" + Digest.sha256(remote.blobs().get(1)), admin);
        get(base, "/v2/hub/team/app/blobs/" + Digest.sha256(remote.blobs().get(1)), admin);
        assertThat(send(base, "POST", "/wharf/api/v1/maintenance/default?wait=true", new byte[0], admin).statusCode())
            .isEqualTo(200);
        for (int i = 0; i < 3; i++) { // over maxFailures: a lockout (last: it locks this client out)
          get(base, "/v2/", basic("admin", "wrong"));
        }

        // jvm_gc_pause_seconds appears with the JVM's first collection after the server started,
        // which a short test may not have had: ask for one, and wait (generously) for it to be heard.
        Set<String> scraped = scrapedNames(base);
        long deadline = System.nanoTime() + java.time.Duration.ofSeconds(60).toNanos();
        while (!scraped.contains("jvm_gc_pause_seconds_count") && System.nanoTime() < deadline) {
          System.gc();
          Thread.sleep(50); // polling for the collection's notification, not waiting for time to pass
          scraped = scrapedNames(base);
        }
        Set<String> missing = new TreeSet<>(queried);
        missing.removeAll(scraped);
        assertThat(missing).as("metrics the dashboard queries that the scrape lacks; the scrape has %s", scraped)
            .isEmpty();
      }
    }
  }
}
