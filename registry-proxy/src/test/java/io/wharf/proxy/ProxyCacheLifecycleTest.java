package io.wharf.proxy;

import io.wharf.core.testing.MutableClock;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.jetty12.Jetty12HttpServerFactory;
import io.wharf.core.lifecycle.AccessLog;
import io.wharf.core.lifecycle.CacheEvictor;
import io.wharf.core.lifecycle.CacheLimits;
import io.wharf.core.lifecycle.EvictionReport;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Blob;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A proxy repository records its manifest pulls in an access log, and the cache evictor works on what it cached. */
class ProxyCacheLifecycleTest {
  static final String NAMESPACE = "hub-cache";
  static final ImageName REQUESTED = ImageName.of("alpine");
  static final ImageName CACHED = ImageName.of("library/alpine"); // the name the cache keeps it under (HUB index)

  @TempDir Path spool;
  WireMockServer upstream;
  MutableClock clock;
  InMemoryDriver storage;
  AccessLog log;
  ProxyRepository proxy;
  byte[] config = "{\"architecture\":\"amd64\",\"os\":\"linux\"}".getBytes(StandardCharsets.UTF_8);
  byte[] layer = new byte[4096];
  byte[] manifest;

  @BeforeEach
  void start() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
        .httpServerFactory(new Jetty12HttpServerFactory()));
    upstream.start();
    clock = new MutableClock();
    storage = new InMemoryDriver();
    log = AccessLog.builder(storage).namespace(NAMESPACE).clock(clock).build();
    proxy = ProxyRepository.builder("hub", storage, URI.create(upstream.baseUrl()))
        .indexMode(IndexMode.HUB).namespace(NAMESPACE).accessLog(log)
        .clock(clock).spoolDirectory(spool).metadataMaxAge(Duration.ofHours(1)).retries(0).build();
    new java.util.Random(3).nextBytes(layer);
    manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + Digest.sha256(layer)
        + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
    for (String ref : new String[] {"3.19", Digest.sha256(manifest).value()}) {
      upstream.stubFor(get(urlEqualTo("/v2/library/alpine/manifests/" + ref)).willReturn(aResponse()
          .withHeader("Content-Type", MediaTypes.OCI_MANIFEST)
          .withHeader("Docker-Content-Digest", Digest.sha256(manifest).value()).withBody(manifest)));
    }
    for (byte[] blob : new byte[][] {config, layer}) {
      upstream.stubFor(get(urlEqualTo("/v2/library/alpine/blobs/" + Digest.sha256(blob))).willReturn(aResponse()
          .withHeader("Content-Length", String.valueOf(blob.length)).withBody(blob)));
    }
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    upstream.stop();
  }

  @Test
  void getManifest_recordsPullsByTagAndByDigest_underTheCachedName_onlyForHits() throws Exception {
    Instant first = clock.instant();
    assertThat(proxy.getManifest(REQUESTED, Tag.of("3.19"))).isPresent();
    clock.advance(Duration.ofHours(2));
    assertThat(proxy.getManifest(REQUESTED, Digest.sha256(manifest))).isPresent();
    assertThat(proxy.getManifest(REQUESTED, Tag.of("missing"))).isEmpty(); // the upstream 404s

    assertThat(log.lastPulled(CACHED, Tag.of("3.19"))).contains(first);
    assertThat(log.lastPulled(CACHED, Digest.sha256(manifest))).contains(clock.instant());
    assertThat(log.lastPulled(CACHED, Tag.of("missing"))).isEmpty();
    assertThat(log.flush()).isEqualTo(2);
    assertThat(storage.getContent("/docker/registry/v2/_wharf/access/" + NAMESPACE + "/library/alpine/_tags/3.19"))
        .isPresent();
  }

  @Test
  void evictor_removesAnUnusedCachedImage_andTheNextPullFetchesItFromUpstreamAgain() throws Exception {
    assertThat(proxy.getManifest(REQUESTED, Tag.of("3.19"))).isPresent();
    for (byte[] blob : new byte[][] {config, layer}) {
      readAll(proxy.getBlob(REQUESTED, Digest.sha256(blob)).orElseThrow());
      awaitCached(Digest.sha256(blob));
    }
    log.flush();
    clock.advance(Duration.ofDays(10));
    CacheEvictor.Builder evictor = CacheEvictor.builder(storage, new CacheLimits(null, Duration.ofDays(7)))
        .namespace(NAMESPACE).accessLog(log).clock(clock);

    EvictionReport dry = evictor.dryRun(true).build().run();
    EvictionReport report = evictor.dryRun(false).build().run();

    long size = manifest.length + config.length + layer.length;
    assertThat(dry.evictedSample()).isEqualTo(report.evictedSample())
        .containsExactly("library/alpine:3.19@" + Digest.sha256(manifest));
    assertThat(report.sizeBefore()).isEqualTo(size);
    assertThat(report.bytesFreed()).isEqualTo(size);
    assertThat(report.sizeAfter()).isZero();
    assertThat(storage.stat("/docker/registry/v2/repositories/" + NAMESPACE + "/library/alpine/_manifests/tags/3.19"))
        .isEmpty();
    assertThat(storage.stat("/docker/registry/v2/repositories/" + NAMESPACE + "/library/alpine/_layers/sha256/"
        + Digest.sha256(layer).hex() + "/link")).isEmpty();

    assertThat(proxy.getManifest(REQUESTED, Tag.of("3.19"))).isPresent();
    upstream.verify(2, getRequestedFor(urlEqualTo("/v2/library/alpine/manifests/3.19")));
    // Until a garbage collection runs, the bytes are still stored: the proxy links them again without a download.
    readAll(proxy.getBlob(REQUESTED, Digest.sha256(layer)).orElseThrow());
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/library/alpine/blobs/" + Digest.sha256(layer))));
  }

  private static byte[] readAll(Blob blob) throws IOException {
    ByteBuffer buf = ByteBuffer.allocate((int) blob.descriptor().size() + 1);
    try (SeekableByteChannel ch = blob.open()) {
      while (ch.read(buf) >= 0) {
        // read to the end
      }
    }
    return buf.array();
  }

  private void awaitCached(Digest d) throws Exception {
    String data = "/docker/registry/v2/blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data";
    String link = "/docker/registry/v2/repositories/" + NAMESPACE + "/library/alpine/_layers/sha256/" + d.hex() + "/link";
    for (int i = 0; i < 100; i++) {
      Optional<?> stored = storage.stat(data);
      if (stored.isPresent() && storage.stat(link).isPresent()) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("never cached: " + d);
  }
}
