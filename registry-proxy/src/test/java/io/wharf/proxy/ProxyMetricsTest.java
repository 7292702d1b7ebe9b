package io.wharf.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.jetty12.Jetty12HttpServerFactory;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Warnings;
import io.wharf.core.testing.MutableClock;
import io.wharf.storage.memory.InMemoryDriver;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What a proxy tells its {@link ProxyMetrics}: every path through the cache counted once, as a hit or a miss. */
class ProxyMetricsTest {
  static final ImageName IMAGE = ImageName.of("team/app");

  /** Counts by "event kind", e.g. {@code hit MANIFEST}. */
  static final class Counting implements ProxyMetrics {
    final Map<String, AtomicLong> counts = new ConcurrentHashMap<>();

    long get(String event, Kind kind) {
      return counts.getOrDefault(event + " " + kind, new AtomicLong()).get();
    }

    private void add(String event, Kind kind, long n) {
      counts.computeIfAbsent(event + " " + kind, k -> new AtomicLong()).addAndGet(n);
    }

    @Override
    public void request(Kind kind) {
      add("request", kind, 1);
    }

    @Override
    public void hit(Kind kind) {
      add("hit", kind, 1);
    }

    @Override
    public void miss(Kind kind) {
      add("miss", kind, 1);
    }

    @Override
    public void pulled(Kind kind, long bytes) {
      add("pulled", kind, bytes);
    }
  }

  @TempDir Path spool;
  WireMockServer upstream;
  MutableClock clock;
  Counting metrics;
  ProxyRepository proxy;

  @BeforeEach
  void start() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
        .httpServerFactory(new Jetty12HttpServerFactory()));
    upstream.start();
    clock = new MutableClock();
    metrics = new Counting();
    proxy = ProxyRepository.builder("cache", new InMemoryDriver(), URI.create(upstream.baseUrl()))
        .clock(clock).spoolDirectory(spool).metadataMaxAge(Duration.ofHours(1)).retries(0)
        .readTimeout(Duration.ofSeconds(10)).metrics(metrics).build();
  }

  @AfterEach
  void stop() throws Exception {
    proxy.close();
    upstream.stop();
    Warnings.end();
  }

  byte[] stubManifest(String tag) {
    byte[] m = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256("c".getBytes()) + "\",\"size\":1},\"layers\":[]}")
        .getBytes(StandardCharsets.UTF_8);
    String digest = Digest.sha256(m).value();
    for (String ref : new String[] {tag, digest}) {
      upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + ref)).willReturn(aResponse()
          .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withHeader("Docker-Content-Digest", digest).withBody(m)));
      upstream.stubFor(head(urlEqualTo("/v2/team/app/manifests/" + ref)).willReturn(aResponse()
          .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withHeader("Docker-Content-Digest", digest)
          .withHeader("Content-Length", String.valueOf(m.length))));
    }
    return m;
  }

  @Test
  void manifests_missThenHits_revalidationAndStaleServingAreHits() throws Exception {
    byte[] m = stubManifest("1.0");
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow(); // miss: fetched
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow(); // hit: fresh
    proxy.getManifest(IMAGE, Digest.sha256(m)).orElseThrow(); // hit: by digest
    clock.advance(Duration.ofHours(2));
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow(); // hit: a HEAD said unchanged
    clock.advance(Duration.ofHours(2));
    upstream.resetAll();
    upstream.stubFor(head(urlPathEqualTo("/v2/team/app/manifests/1.0")).willReturn(aResponse().withStatus(500)));
    Warnings.begin();
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow(); // hit: served stale while upstream fails

    assertThat(metrics.get("request", ProxyMetrics.Kind.MANIFEST)).isEqualTo(5);
    assertThat(metrics.get("miss", ProxyMetrics.Kind.MANIFEST)).isEqualTo(1);
    assertThat(metrics.get("hit", ProxyMetrics.Kind.MANIFEST)).isEqualTo(4);
    assertThat(metrics.get("pulled", ProxyMetrics.Kind.MANIFEST)).isEqualTo(m.length);
  }

  @Test
  void blobs_missPullsTheBytes_thenHit_unknownIsAMissOnce() throws Exception {
    byte[] layer = new byte[70_000];
    new java.util.Random(7).nextBytes(layer);
    Digest d = Digest.sha256(layer);
    upstream.stubFor(get(urlEqualTo("/v2/team/app/blobs/" + d)).willReturn(aResponse().withBody(layer)));

    try (var ch = proxy.getBlob(IMAGE, d).orElseThrow().open()) {
      java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(8192);
      long n = 0;
      while (n < layer.length && ch.read(buf) >= 0) {
        n += buf.position();
        buf.clear();
      }
    }
    proxy.getBlob(IMAGE, d).orElseThrow();
    Digest unknown = Digest.sha256("nothing".getBytes());
    assertThat(proxy.getBlob(IMAGE, unknown)).isEmpty(); // asks upstream: a miss
    assertThat(proxy.getBlob(IMAGE, unknown)).isEmpty(); // negatively cached: neither

    assertThat(metrics.get("request", ProxyMetrics.Kind.BLOB)).isEqualTo(4);
    assertThat(metrics.get("miss", ProxyMetrics.Kind.BLOB)).isEqualTo(2);
    assertThat(metrics.get("hit", ProxyMetrics.Kind.BLOB)).isEqualTo(1);
    assertThat(metrics.get("pulled", ProxyMetrics.Kind.BLOB)).isEqualTo(layer.length);
  }
}
