package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.wharf.core.model.Digest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * A proxy repository in front of a fake "Docker Hub" (a second test registry with faults), and
 * a group over the proxy and the hosted repository: the scenarios a pull-through cache must
 * survive, without sleeping and without the internet.
 */
@WharfRegistry(fakeUpstream = true)
class FakeUpstreamTest {
  static final TestImage ALPINE_320 = TestImages.seeded(320).layers(2, 2048).build();
  static final TestImage ALPINE_321 = TestImages.seeded(321).layers(2, 2048).build();
  static final TestImage BUSYBOX = TestImages.seeded(136).layers(1, 2048).build();

  @Test
  void rateLimitedUpstream_answers429AfterNPulls_cachedContentStillServed(TestRegistry registry) {
    TestRegistry hub = registry.upstream();
    hub.push("library/alpine", "3.20", ALPINE_320);
    hub.push("library/alpine", "3.21", ALPINE_321);
    hub.push("library/busybox", "1.36", BUSYBOX);
    hub.faults().rateLimitPulls(2);
    TestRepository proxy = registry.proxy();

    // two pulls through the proxy, with Docker Hub's short names
    assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/3.20").statusCode()).isEqualTo(200);
    assertThat(Http.get(proxy.url(), "/v2/busybox/manifests/1.36").statusCode()).isEqualTo(200);
    TestImage.Content layer = ALPINE_320.image().layers().get(0).blob();
    assertThat(Http.get(proxy.url(), "/v2/alpine/blobs/" + layer.digest()).body()).isEqualTo(layer.bytes());

    // the third pull of something new: the upstream's 429 reaches the client, with Retry-After
    HttpResponse<byte[]> limited = Http.get(proxy.url(), "/v2/alpine/manifests/3.21");
    assertThat(limited.statusCode()).isEqualTo(429);
    assertThat(new String(limited.body(), StandardCharsets.UTF_8)).contains("TOOMANYREQUESTS");
    assertThat(limited.headers().firstValue("Retry-After")).hasValue("60");
    assertThat(hub.faults().pulls()).isEqualTo(2);

    // what the proxy has cached is still served, by tag and by digest, under both names
    HttpResponse<byte[]> cached = Http.get(proxy.url(), "/v2/alpine/manifests/3.20");
    assertThat(cached.statusCode()).isEqualTo(200);
    assertThat(cached.body()).isEqualTo(ALPINE_320.manifest().bytes());
    assertThat(Http.get(proxy.url(), "/v2/library/alpine/manifests/" + ALPINE_320.digest()).statusCode()).isEqualTo(200);
    assertThat(Http.get(proxy.url(), "/v2/alpine/blobs/" + layer.digest()).statusCode()).isEqualTo(200);
    assertThat(proxy.tags("library/alpine")).containsExactly("3.20");
    assertThat(proxy.blobs()).contains(ALPINE_320.digest(), layer.digest());

    // a day later the tag is stale: the proxy revalidates with a HEAD, which costs no pull
    registry.clock().advance(Duration.ofHours(25));
    assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/3.20").statusCode()).isEqualTo(200);
    assertThat(hub.journal().lines()).endsWith("HEAD /v2/library/alpine/manifests/3.20");
    assertThat(hub.faults().pulls()).isEqualTo(2);

    // and when the upstream refuses even that, the cache answers, with a warning
    hub.faults().fail(429, Endpoint.MANIFEST);
    registry.clock().advance(Duration.ofHours(25));
    HttpResponse<byte[]> stale = Http.get(proxy.url(), "/v2/alpine/manifests/3.20");
    assertThat(stale.statusCode()).isEqualTo(200);
    assertThat(stale.headers().firstValue("Warning")).hasValueSatisfying(w -> assertThat(w).startsWith("299"));

    assertThat(hub.journal().pulledManifests("library/alpine")).containsExactly("3.20");
    assertThat(hub.journal().requests(r -> r.status() == 429)).extracting(RecordedRequest::fault)
        .containsExactly("rate limited after 2 pulls", "injected 429");
  }

  @Test
  void group_servesHostedAndProxiedImages_pushesGoToHosted(TestRegistry registry) {
    registry.upstream().push("library/alpine", "3.20", ALPINE_320);
    registry.push("team/app", "1.0", BUSYBOX);
    TestRepository group = registry.group();

    assertThat(Http.get(group.url(), "/v2/team/app/manifests/1.0").body()).isEqualTo(BUSYBOX.manifest().bytes());
    assertThat(Http.get(group.url(), "/v2/alpine/manifests/3.20").body()).isEqualTo(ALPINE_320.manifest().bytes());
    assertThat(group.catalog()).contains("team/app", "library/alpine");
    assertThat(registry.journal().requestsTo(TestRegistry.GROUP)).hasSize(2);
    assertThat(registry.journal().requestsTo(TestRegistry.PROXY)).isEmpty(); // the group calls the proxy in-process
    assertThat(registry.upstream().journal().pulledManifests("library/alpine")).containsExactly("3.20");
  }

  @Test
  void negativeCache_expiresWhenTheClockMoves_noSleeping(TestRegistry registry) {
    TestRegistry hub = registry.upstream();
    TestRepository proxy = registry.proxy();

    assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/edge").statusCode()).isEqualTo(404);
    hub.push("library/alpine", "edge", ALPINE_321);
    assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/edge").statusCode()).isEqualTo(404); // remembered 404

    registry.clock().advance(Duration.ofMinutes(5).plusSeconds(1)); // the default negativeCacheTtl
    assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/edge").statusCode()).isEqualTo(200);
    assertThat(hub.journal().count("GET", Endpoint.MANIFEST)).isEqualTo(2);
  }

  @Test
  void metadataMaxAge_fromOptions_tagMovesUpstream_seenAfterTheClockPassesIt() {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().fakeUpstream()
        .proxy(p -> p.metadataMaxAge(Duration.ofHours(6))))) {
      TestRegistry hub = registry.upstream();
      hub.push("library/alpine", "3", ALPINE_320);
      TestRepository proxy = registry.proxy();
      assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/3").body()).isEqualTo(ALPINE_320.manifest().bytes());

      hub.push("library/alpine", "3", ALPINE_321); // the tag moves upstream
      registry.clock().advance(Duration.ofHours(5));
      assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/3").body()).isEqualTo(ALPINE_320.manifest().bytes());
      registry.clock().advance(Duration.ofHours(2));
      assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/3").body()).isEqualTo(ALPINE_321.manifest().bytes());
    }
  }

  @Test
  void serverErrors_reachTheClientWhenNothingIsCached_thenServiceResumes(TestRegistry registry) {
    TestRegistry hub = registry.upstream();
    hub.push("library/alpine", "3.20", ALPINE_320);
    hub.faults().failNext(1, 500);

    HttpResponse<byte[]> failed = Http.get(registry.proxy().url(), "/v2/alpine/manifests/3.20");
    assertThat(failed.statusCode()).isEqualTo(503);
    assertThat(new String(failed.body(), StandardCharsets.UTF_8)).contains("UNAVAILABLE");
    assertThat(Http.get(registry.proxy().url(), "/v2/alpine/manifests/3.20").statusCode()).isEqualTo(200);
    assertThat(hub.journal().requests()).extracting(RecordedRequest::status).containsExactly(500, 200);
  }

  @Test
  void cutOffAndCorruptBlobs_areNotCached_aGoodDownloadIs(TestRegistry registry) {
    TestRegistry hub = registry.upstream();
    hub.push("library/alpine", "3.20", ALPINE_320);
    TestImage.Content layer = ALPINE_320.image().layers().get(1).blob();
    String path = "/v2/alpine/blobs/" + layer.digest();

    hub.faults().cutOffBlobs(100);
    assertThat(badDownload(registry, path, layer)).isTrue();
    assertThat(registry.proxy().blobs()).doesNotContain(layer.digest());

    hub.faults().clear().corruptBlobs();
    assertThat(badDownload(registry, path, layer)).isTrue();
    assertThat(registry.proxy().blobs()).doesNotContain(layer.digest());

    hub.faults().clear();
    assertThat(Http.get(registry.proxy().url(), path).body()).isEqualTo(layer.bytes());
    assertThat(registry.proxy().blobs()).contains(layer.digest());
    assertThat(hub.journal().requests()).extracting(RecordedRequest::fault)
        .containsExactly("body cut off after 100 bytes", "blob body corrupted", null);
  }

  /** True if the client did not get the blob's bytes: an error status or a broken download. */
  private static boolean badDownload(TestRegistry registry, String path, TestImage.Content layer) {
    Throwable t = catchThrowable(() -> {
      HttpResponse<byte[]> r = Http.get(registry.proxy().url(), path);
      if (r.statusCode() == 200 && java.util.Arrays.equals(r.body(), layer.bytes())) {
        throw new AssertionError("the bad download reached the client intact");
      }
    });
    return !(t instanceof AssertionError);
  }

  @Test
  void cutOffBlobs_directClientSeesAShortBody(TestRegistry registry) {
    TestRegistry hub = registry.upstream();
    Digest layer = ALPINE_320.image().layers().get(0).digest();
    hub.push("library/alpine", "3.20", ALPINE_320);
    hub.faults().cutOffBlobs(10);

    Throwable t = catchThrowable(() -> Http.get(hub.url(), "/v2/library/alpine/blobs/" + layer));
    assertThat(t).isNotNull(); // java.net.http: "EOF reached while reading" or a reset
  }

  @Test
  void corruptManifests_proxyRefusesAManifestThatDoesNotMatchItsDigest(TestRegistry registry) {
    TestRegistry hub = registry.upstream();
    hub.push("library/alpine", "3.20", ALPINE_320);
    hub.faults().corruptManifests();

    HttpResponse<byte[]> r = Http.get(registry.proxy().url(), "/v2/alpine/manifests/" + ALPINE_320.digest());
    assertThat(r.statusCode()).isNotEqualTo(200);
    assertThat(registry.proxy().blobs()).doesNotContain(ALPINE_320.digest());
  }

  @Test
  void latency_delaysEveryUpstreamRequest(TestRegistry registry) {
    TestRegistry hub = registry.upstream();
    hub.push("library/alpine", "3.20", ALPINE_320);
    hub.faults().latency(Endpoint.MANIFEST, Duration.ofMillis(150));

    long start = System.nanoTime();
    assertThat(Http.get(registry.proxy().url(), "/v2/alpine/manifests/3.20").statusCode()).isEqualTo(200);
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(150));
    RecordedRequest upstreamGet = hub.journal().requests().get(0);
    assertThat(upstreamGet.duration()).isGreaterThanOrEqualTo(Duration.ofMillis(150));
    assertThat(upstreamGet.fault()).isEqualTo("latency 150 ms");
  }
}
