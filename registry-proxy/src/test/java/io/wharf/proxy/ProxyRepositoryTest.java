package io.wharf.proxy;

import io.wharf.core.testing.MutableClock;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.headRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.jetty12.Jetty12HttpServerFactory;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.wharf.core.error.ErrorCode;
import io.wharf.core.error.RegistryException;
import io.wharf.core.manifest.Manifest;
import io.wharf.core.model.Digest;
import io.wharf.core.model.ImageName;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.model.Tag;
import io.wharf.core.repository.Blob;
import io.wharf.core.repository.Warnings;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A proxy repository against WireMock upstreams: what a real upstream can't be made to do. */
class ProxyRepositoryTest {
  static final ImageName IMAGE = ImageName.of("team/app");

  @TempDir Path spool;
  WireMockServer upstream;
  MutableClock clock;
  InMemoryDriver storage;
  ProxyRepository proxy;

  @BeforeEach
  void start() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
        .httpServerFactory(new Jetty12HttpServerFactory()));
    upstream.start();
    clock = new MutableClock();
    storage = new InMemoryDriver();
    proxy = builder().build();
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    upstream.stop();
    Warnings.end();
  }

  ProxyRepository.Builder builder() {
    return ProxyRepository.builder("cache", storage, URI.create(upstream.baseUrl()))
        .clock(clock)
        .spoolDirectory(spool)
        .metadataMaxAge(Duration.ofHours(1))
        .readTimeout(Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(2))
        .retries(1);
  }

  // ---- fixtures

  static byte[] manifestBytes(Digest config, Digest layer, long layerSize) {
    return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + config + "\",\"size\":2},\"layers\":[{\"mediaType\":\""
        + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + layer + "\",\"size\":" + layerSize + "}]}")
        .getBytes(StandardCharsets.UTF_8);
  }

  static byte[] randomBytes(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  byte[] stubManifest(String name, String tag, long seed) {
    byte[] m = manifestBytes(Digest.sha256(("config" + seed).getBytes()), Digest.sha256(("layer" + seed).getBytes()), 10);
    String digest = Digest.sha256(m).value();
    for (String ref : List.of(tag, digest)) {
      upstream.stubFor(get(urlEqualTo("/v2/" + name + "/manifests/" + ref)).willReturn(aResponse()
          .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withHeader("Docker-Content-Digest", digest).withBody(m)));
      upstream.stubFor(head(urlEqualTo("/v2/" + name + "/manifests/" + ref)).willReturn(aResponse()
          .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withHeader("Docker-Content-Digest", digest)
          .withHeader("Content-Length", String.valueOf(m.length))));
    }
    return m;
  }

  static byte[] readAll(Blob blob) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (SeekableByteChannel ch = blob.open()) {
      ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
      while (ch.read(buf) >= 0) {
        out.write(buf.array(), 0, buf.position());
        buf.clear();
        if (out.size() >= blob.descriptor().size()) {
          break;
        }
      }
    }
    return out.toByteArray();
  }

  // ---- manifests

  @Test
  void getManifest_byTag_fetchesOnceThenServesFromCache() throws Exception {
    byte[] m = stubManifest("team/app", "1.0", 1);

    Manifest first = proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();
    Manifest second = proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();

    assertThat(first.bytes()).isEqualTo(m);
    assertThat(second.digest()).isEqualTo(Digest.sha256(m));
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0")));
    upstream.verify(0, headRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0")));
  }

  @Test
  void getManifest_staleTagUnchanged_revalidatesWithHeadOnly() throws Exception {
    stubManifest("team/app", "1.0", 1);
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();
    clock.advance(Duration.ofHours(2));

    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow(); // fresh again after the HEAD

    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0")));
    upstream.verify(1, headRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0")));
  }

  @Test
  void getManifest_staleTagMovedUpstream_fetchesTheNewDigest() throws Exception {
    stubManifest("team/app", "1.0", 1);
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();
    byte[] moved = stubManifest("team/app", "1.0", 2);
    clock.advance(Duration.ofHours(2));

    Manifest now = proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();

    assertThat(now.bytes()).isEqualTo(moved);
  }

  @Test
  void invalidateCache_freshTagIsRevalidated_negativeAnswersForgotten_contentKept() throws Exception {
    stubManifest("team/app", "1.0", 1);
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/later")).willReturn(aResponse().withStatus(404)
        .withBody("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}")));
    Manifest old = proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();
    assertThat(proxy.getManifest(IMAGE, Tag.of("later"))).isEmpty();
    byte[] moved = stubManifest("team/app", "1.0", 2);
    byte[] later = stubManifest("team/app", "later", 3);
    clock.advance(Duration.ofSeconds(1)); // well within metadataMaxAge: the tag is still fresh
    assertThat(proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow().bytes()).isEqualTo(old.bytes());
    assertThat(proxy.getManifest(IMAGE, Tag.of("later"))).isEmpty();

    proxy.invalidateCache();

    assertThat(proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow().bytes()).isEqualTo(moved);
    assertThat(proxy.getManifest(IMAGE, Tag.of("later")).orElseThrow().bytes()).isEqualTo(later);
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow(); // fresh again: no further request
    upstream.verify(1, headRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0")));
    assertThat(proxy.getManifest(IMAGE, old.digest())).as("content by digest stays cached").isPresent();
    upstream.verify(0, getRequestedFor(urlEqualTo("/v2/team/app/manifests/" + old.digest())));
  }

  @Test
  void getManifest_byDigest_neverAsksUpstreamAgain() throws Exception {
    byte[] m = stubManifest("team/app", "1.0", 1);
    Digest d = Digest.sha256(m);
    proxy.getManifest(IMAGE, d).orElseThrow();
    clock.advance(Duration.ofDays(400));

    assertThat(proxy.getManifest(IMAGE, d)).isPresent();
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/" + d)));
  }

  @Test
  void getManifest_upstreamDigestMismatch_isRefusedAndNotCached() {
    byte[] m = manifestBytes(Digest.sha256("c".getBytes()), Digest.sha256("l".getBytes()), 1);
    Digest wrong = Digest.sha256("something else".getBytes());
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + wrong)).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(m)));

    assertThatThrownBy(() -> proxy.getManifest(IMAGE, wrong)).isInstanceOf(RegistryException.class);
    assertThat(storage.toString()).isNotNull();
  }

  /** A GET of {@code tag} answers {@code body} and states {@code statedDigest}; HEADs state it too. */
  void stubTag(String tag, byte[] body, Digest statedDigest) {
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + tag)).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withHeader("Docker-Content-Digest", statedDigest.value())
        .withBody(body)));
    upstream.stubFor(head(urlEqualTo("/v2/team/app/manifests/" + tag)).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withHeader("Docker-Content-Digest", statedDigest.value())));
  }

  /** {@code m} with one hex digit of its first digest changed: valid JSON, same length, other content. */
  static byte[] corrupted(byte[] m) {
    byte[] bad = m.clone();
    int i = new String(bad, StandardCharsets.UTF_8).indexOf("sha256:") + 7;
    bad[i] = (byte) (bad[i] == 'a' ? 'b' : 'a');
    return bad;
  }

  @Test
  void getManifest_byTag_bodyCorruptedOnTheWay_isUpstreamInvalidAndNothingCached_thenHealed() throws Exception {
    byte[] good = manifestBytes(Digest.sha256("c".getBytes()), Digest.sha256("l".getBytes()), 1);
    byte[] bad = corrupted(good);
    stubTag("1.0", bad, Digest.sha256(good));

    assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0")))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_INVALID);
          assertThat(e.code().httpStatus()).isEqualTo(502);
          assertThat(e.getMessage()).contains("localhost:" + upstream.port()).contains("hashes to " + Digest.sha256(bad))
              .contains(Digest.sha256(good).value());
        });
    assertThat(storage.list("/docker/registry/v2/blobs")).isEmpty();
    assertThat(storage.stat("/docker/registry/v2/repositories/team/app/_manifests/tags/1.0/current/link")).isEmpty();

    stubTag("1.0", good, Digest.sha256(good)); // the upstream heals
    assertThat(proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow().bytes()).isEqualTo(good);
  }

  @Test
  void getManifest_byTag_headerNamesOtherContentThanTheBody_isNotCachedUnderEither() throws Exception {
    byte[] body = manifestBytes(Digest.sha256("c1".getBytes()), Digest.sha256("l1".getBytes()), 1);
    byte[] other = manifestBytes(Digest.sha256("c2".getBytes()), Digest.sha256("l2".getBytes()), 1);
    stubTag("1.0", body, Digest.sha256(other));

    assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0")))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_INVALID));

    // Neither the body nor a tag pointing at it: the cache never holds tag -> a digest the upstream did not state.
    assertThat(proxy.getManifest(IMAGE, Digest.sha256(body))).isEmpty(); // asked upstream by digest: 404
    assertThat(storage.stat("/docker/registry/v2/repositories/team/app/_manifests/tags/1.0/current/link")).isEmpty();
  }

  @Test
  void getManifest_staleTag_upstreamSendsABadManifest_servesTheCachedOneAndKeepsTheTag() throws Exception {
    byte[] m1 = stubManifest("team/app", "1.0", 1);
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();
    byte[] m2 = manifestBytes(Digest.sha256("c2".getBytes()), Digest.sha256("l2".getBytes()), 1);
    Digest d2 = Digest.sha256(m2);
    stubTag("1.0", m2, d2); // the tag moved upstream...
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + d2)).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(corrupted(m2)))); // ...but its GET is corrupt
    clock.advance(Duration.ofHours(2));

    Warnings.begin();
    assertThat(proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow().bytes()).isEqualTo(m1);
    assertThat(Warnings.take()).singleElement().asString().contains("served from the cache").contains("hashes to");
    assertThat(storage.stat(blobPath(d2))).isEmpty(); // the bad body was not cached
    assertThat(storage.getContent("/docker/registry/v2/repositories/team/app/_manifests/tags/1.0/current/link"))
        .hasValueSatisfying(link -> assertThat(new String(link, StandardCharsets.UTF_8)).isEqualTo(Digest.sha256(m1).value()));

    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + d2)).willReturn(aResponse()
        .withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(m2))); // healed
    assertThat(proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow().bytes()).isEqualTo(m2);
  }

  @Test
  void getManifest_hubIndex_mapsSingleSegmentNamesToLibrary() throws Exception {
    proxy.close();
    proxy = builder().indexMode(IndexMode.HUB).build();
    byte[] m = stubManifest("library/alpine", "latest", 3);

    assertThat(proxy.getManifest(ImageName.of("alpine"), Tag.of("latest")).orElseThrow().bytes()).isEqualTo(m);
    assertThat(proxy.getManifest(ImageName.of("library/alpine"), Tag.of("latest")).orElseThrow().bytes()).isEqualTo(m);
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/library/alpine/manifests/latest")));
  }

  @Test
  void getManifest_upstream404_isNegativelyCachedForItsTtl() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/nope")).willReturn(aResponse().withStatus(404)
        .withBody("{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\",\"message\":\"manifest unknown\"}]}")));

    assertThat(proxy.getManifest(IMAGE, Tag.of("nope"))).isEmpty();
    assertThat(proxy.getManifest(IMAGE, Tag.of("nope"))).isEmpty();
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/nope")));

    clock.advance(Duration.ofMinutes(6));
    assertThat(proxy.getManifest(IMAGE, Tag.of("nope"))).isEmpty();
    upstream.verify(2, getRequestedFor(urlEqualTo("/v2/team/app/manifests/nope")));
  }

  // ---- auth

  @Test
  void bearerChallenge_anonymous_fetchesTokenAndRetries() throws Exception {
    String realm = upstream.baseUrl() + "/token";
    byte[] m = manifestBytes(Digest.sha256("c".getBytes()), Digest.sha256("l".getBytes()), 1);
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/1.0")).withHeader("Authorization", absent())
        .willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate",
            "Bearer realm=\"" + realm + "\",service=\"registry.test\",scope=\"repository:team/app:pull\"")));
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/1.0")).withHeader("Authorization", equalTo("Bearer anon-token"))
        .willReturn(aResponse().withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(m)));
    upstream.stubFor(get(urlPathEqualTo("/token")).willReturn(aResponse().withHeader("Content-Type", "application/json")
        .withBody("{\"token\":\"anon-token\",\"expires_in\":300}")));

    assertThat(proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow().bytes()).isEqualTo(m);

    upstream.verify(1, getRequestedFor(urlPathEqualTo("/token"))
        .withQueryParam("service", equalTo("registry.test"))
        .withQueryParam("scope", equalTo("repository:team/app:pull"))
        .withHeader("Authorization", absent()));
  }

  @Test
  void bearerChallenge_withCredentials_sendsBasicToTokenEndpoint() throws Exception {
    proxy.close();
    proxy = builder().credentials("robot", "s3cret").build();
    String basic = "Basic " + Base64.getEncoder().encodeToString("robot:s3cret".getBytes());
    byte[] m = manifestBytes(Digest.sha256("c".getBytes()), Digest.sha256("l".getBytes()), 1);
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/1.0")).withHeader("Authorization", absent())
        .willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate",
            "Bearer realm=\"" + upstream.baseUrl() + "/token\",service=\"registry.test\"")));
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/1.0")).withHeader("Authorization", equalTo("Bearer user-token"))
        .willReturn(aResponse().withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(m)));
    upstream.stubFor(get(urlPathEqualTo("/token")).withHeader("Authorization", equalTo(basic))
        .willReturn(aResponse().withBody("{\"access_token\":\"user-token\",\"expires_in\":300}")));

    assertThat(proxy.getManifest(IMAGE, Tag.of("1.0"))).isPresent();
  }

  @Test
  void bearerToken_expiredMidPull_isRenewed() throws Exception {
    String challenge = "Bearer realm=\"" + upstream.baseUrl() + "/token\",service=\"s\"";
    stubManifestBehindToken("1.0", challenge, 1);
    upstream.stubFor(get(urlPathEqualTo("/token")).inScenario("tokens").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(aResponse().withBody("{\"token\":\"t1\",\"expires_in\":60}")).willSetStateTo("second"));
    upstream.stubFor(get(urlPathEqualTo("/token")).inScenario("tokens").whenScenarioStateIs("second")
        .willReturn(aResponse().withBody("{\"token\":\"t2\",\"expires_in\":60}")));

    assertThat(proxy.getManifest(IMAGE, Tag.of("1.0"))).isPresent();
    clock.advance(Duration.ofMinutes(5)); // t1 has expired by the proxy's clock
    stubManifestBehindToken("2.0", challenge, 2);

    assertThat(proxy.getManifest(IMAGE, Tag.of("2.0"))).isPresent();
    upstream.verify(2, getRequestedFor(urlPathEqualTo("/token")));
  }

  private void stubManifestBehindToken(String tag, String challenge, long seed) {
    byte[] m = manifestBytes(Digest.sha256(("c" + seed).getBytes()), Digest.sha256(("l" + seed).getBytes()), 1);
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + tag))
        .willReturn(aResponse().withStatus(401).withHeader("WWW-Authenticate", challenge)));
    upstream.stubFor(get(urlEqualTo("/v2/team/app/manifests/" + tag)).withHeader("Authorization", matching("Bearer t[12]"))
        .willReturn(aResponse().withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(m)));
  }

  @Test
  void badCredentials_reportUnauthorizedNamingTheUpstream_notManifestUnknown() {
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/1.0")).willReturn(aResponse().withStatus(401)
        .withHeader("WWW-Authenticate", "Bearer realm=\"" + upstream.baseUrl() + "/token\",service=\"s\"")));
    upstream.stubFor(get(urlPathEqualTo("/token")).willReturn(aResponse().withStatus(401)
        .withBody("{\"errors\":[{\"code\":\"UNAUTHORIZED\",\"message\":\"incorrect username or password\"}]}")));

    assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0")))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UNAUTHORIZED);
          assertThat(e.getMessage()).contains("localhost:" + upstream.port()).contains("incorrect username or password");
        });
  }

  // ---- upstream failures

  @Test
  void rateLimited_nothingCached_passesTooManyRequestsWithRetryAfter() {
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/1.0")).willReturn(aResponse().withStatus(429)
        .withHeader("Retry-After", "42")
        .withBody("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"pull rate limit\"}]}")));

    assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0")))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.TOOMANYREQUESTS);
          assertThat(e.detail()).asString().contains("retryAfter=42");
        });
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0"))); // never retried
  }

  @Test
  void serverErrors_areRetriedThenReportedUnavailable() {
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/1.0")).willReturn(aResponse().withStatus(503)));

    assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0")))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
    upstream.verify(2, getRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0"))); // 1 + 1 retry
  }

  @Test
  void upstreamDown_staleTagServedFromCacheWithWarning() throws Exception {
    byte[] m = stubManifest("team/app", "1.0", 1);
    proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();
    clock.advance(Duration.ofHours(2));
    upstream.resetAll();
    upstream.stubFor(head(urlPathEqualTo("/v2/team/app/manifests/1.0")).willReturn(aResponse().withStatus(500)));

    Warnings.begin();
    Manifest served = proxy.getManifest(IMAGE, Tag.of("1.0")).orElseThrow();

    assertThat(served.bytes()).isEqualTo(m);
    assertThat(Warnings.take()).singleElement().asString().contains("served from the cache of cache");
  }

  @Test
  void upstreamTimeout_isUpstreamTimeout504() {
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/1.0")).willReturn(aResponse().withFixedDelay(4000)));

    assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0")))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UPSTREAM_TIMEOUT);
          assertThat(e.code().httpStatus()).isEqualTo(504);
          assertThat(e.code().wireCode()).isEqualTo("UNAVAILABLE");
          assertThat(e.getMessage()).contains("localhost:" + upstream.port()).contains("sent nothing for 2 s");
        });
  }

  @Test
  void repeatedOutages_autoBlockThenLiftWhenUpstreamAnswers() throws Exception {
    proxy.close();
    proxy = builder().retries(0).autoBlock(2, Duration.ofSeconds(30), Duration.ofMinutes(5)).build();
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/1.0")).willReturn(aResponse().withStatus(500)));

    for (int i = 0; i < 2; i++) {
      assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0"))).isInstanceOf(RegistryException.class);
    }
    assertThat(proxy.status().blocked()).isTrue();
    assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0"))).hasMessageContaining("auto-blocked");
    upstream.verify(2, getRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0")));

    stubManifest("team/app", "1.0", 1);
    clock.advance(Duration.ofSeconds(31));
    assertThat(proxy.getManifest(IMAGE, Tag.of("1.0"))).isPresent();
    assertThat(proxy.status().blocked()).isFalse();
    assertThat(proxy.status().consecutiveFailures()).isZero();
  }

  @Test
  void autoBlocked_refusalsSayUntilWhenAndWhy_withRetryAfterInSeconds() throws Exception {
    proxy.close();
    proxy = builder().retries(0).autoBlock(1, Duration.ofSeconds(30), Duration.ofMinutes(5)).build();
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/manifests/1.0")).willReturn(aResponse().withStatus(429)
        .withHeader("Retry-After", "7")));
    assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0")))
        .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.TOOMANYREQUESTS));

    clock.advance(Duration.ofMillis(29_001));

    assertThatThrownBy(() -> proxy.getManifest(IMAGE, Tag.of("1.0")))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE);
          assertThat(e.getMessage()).contains("auto-blocked").contains("rate-limits this proxy");
          assertThat(e.detail()).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
              .containsEntry("retryAfter", 1L) // 0.999 s left: at least 1
              .containsKey("blockedUntil").containsEntry("upstream", "localhost:" + upstream.port());
        });
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0")));
  }

  @Test
  void staleConnection_closedByTheOtherSideOnReuse_isRetriedOnceEvenWithNoRetries() throws Exception {
    byte[] m = manifestBytes(Digest.sha256("c".getBytes()), Digest.sha256("l".getBytes()), 1);
    try (KeepAliveDroppingServer server = new KeepAliveDroppingServer("Content-Type: " + MediaTypes.OCI_MANIFEST
        + "\r\nDocker-Content-Digest: " + Digest.sha256(m) + "\r\n", m)) {
      proxy.close();
      proxy = ProxyRepository.builder("cache", storage, URI.create("http://127.0.0.1:" + server.port()))
          .clock(clock).spoolDirectory(spool).retries(0).build();

      assertThat(proxy.getManifest(IMAGE, Tag.of("1.0"))).isPresent();
      assertThat(proxy.getManifest(IMAGE, Tag.of("2.0"))).isPresent(); // its pooled connection is dropped

      assertThat(server.dropped()).isEqualTo(1);
      assertThat(server.connections()).isEqualTo(2);
    }
  }

  @Test
  void staleConnections_severalInThePool_theRetryDoesNotLeaseTheNextStaleOne() throws Exception {
    byte[] m = manifestBytes(Digest.sha256("c".getBytes()), Digest.sha256("l".getBytes()), 1);
    try (KeepAliveDroppingServer server = new KeepAliveDroppingServer("Content-Type: " + MediaTypes.OCI_MANIFEST
        + "\r\nDocker-Content-Digest: " + Digest.sha256(m) + "\r\n", m, 2)) {
      proxy.close();
      proxy = ProxyRepository.builder("cache", storage, URI.create("http://127.0.0.1:" + server.port()))
          .clock(clock).spoolDirectory(spool).retries(0).build();
      // Two requests at once leave two kept-alive connections in the pool, both of which the
      // server (as tinyproxy does) will drop when they are used again.
      CompletableFuture<?> one = CompletableFuture.runAsync(() -> fetch(Tag.of("1.0")));
      CompletableFuture<?> two = CompletableFuture.runAsync(() -> fetch(Tag.of("2.0")));
      CompletableFuture.allOf(one, two).get(60, TimeUnit.SECONDS);

      assertThat(proxy.getManifest(IMAGE, Tag.of("3.0"))).isPresent();

      assertThat(server.connections()).isEqualTo(3);
      assertThat(server.dropped()).isEqualTo(1); // the other stale one was closed, not tried
    }
  }

  private void fetch(Tag tag) {
    try {
      assertThat(proxy.getManifest(IMAGE, tag)).isPresent();
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  // ---- blobs

  @Test
  void getBlob_miss_streamsVerifiesAndCaches() throws Exception {
    byte[] blob = randomBytes(3 * 1024 * 1024, 5);
    Digest d = Digest.sha256(blob);
    upstream.stubFor(get(urlEqualTo("/v2/team/app/blobs/" + d)).willReturn(aResponse().withBody(blob)
        .withHeader("Content-Length", String.valueOf(blob.length))));

    Blob streaming = proxy.getBlob(IMAGE, d).orElseThrow();
    assertThat(streaming.descriptor().size()).isEqualTo(blob.length);
    assertThat(readAll(streaming)).isEqualTo(blob);
    Blob cached = awaitCached(d);
    assertThat(readAll(cached)).isEqualTo(blob);
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/blobs/" + d)));
  }

  @Test
  void getBlob_wrongDigestUpstream_failsReadersAndCachesNothing() throws Exception {
    byte[] blob = randomBytes(300_000, 6);
    Digest claimed = Digest.sha256("not these bytes".getBytes());
    upstream.stubFor(get(urlEqualTo("/v2/team/app/blobs/" + claimed)).willReturn(aResponse().withBody(blob)
        .withHeader("Content-Length", String.valueOf(blob.length))));

    assertThatThrownBy(() -> readAll(proxy.getBlob(IMAGE, claimed).orElseThrow())).isInstanceOf(IOException.class);
    Thread.sleep(100);
    assertThat(storage.getContent("/docker/registry/v2/blobs/sha256/" + claimed.hex().substring(0, 2) + "/"
        + claimed.hex() + "/data")).isEmpty();
  }

  @Test
  void getBlob_cutOffUpstreamBody_failsReadersAndCachesNothing() throws Exception {
    byte[] blob = randomBytes(200_000, 8);
    Digest d = Digest.sha256(blob);
    try (CutOffServer cut = new CutOffServer(blob, 100_000)) {
      proxy.close();
      proxy = ProxyRepository.builder("cache", storage, URI.create("http://127.0.0.1:" + cut.port()))
          .clock(clock).spoolDirectory(spool).readTimeout(Duration.ofSeconds(2)).retries(0).build();

      Blob b = proxy.getBlob(IMAGE, d).orElseThrow();
      assertThatThrownBy(() -> readAll(b)).isInstanceOf(IOException.class);
    }
    Thread.sleep(100);
    assertThat(storage.stat("/docker/registry/v2/blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data")).isEmpty();
  }

  @Test
  void getBlob_slowTrickle_stillArrivesWhole() throws Exception {
    byte[] blob = randomBytes(500_000, 9);
    Digest d = Digest.sha256(blob);
    upstream.stubFor(get(urlEqualTo("/v2/team/app/blobs/" + d)).willReturn(aResponse().withBody(blob)
        .withChunkedDribbleDelay(20, 1500)));

    assertThat(readAll(proxy.getBlob(IMAGE, d).orElseThrow())).isEqualTo(blob);
  }

  @Test
  void getBlob_eightConcurrentMisses_oneUpstreamGetAndBytesBeforeTheEnd() throws Exception {
    byte[] blob = randomBytes(64 * 1024 * 1024, 10);
    Digest d = Digest.sha256(blob);
    upstream.stubFor(get(urlEqualTo("/v2/team/app/blobs/" + d)).willReturn(aResponse().withBody(blob)
        .withHeader("Content-Length", String.valueOf(blob.length)).withChunkedDribbleDelay(40, 4000)));
    // The socket read timeout is real time: WireMock writes 64 MiB to eight clients, which beside
    // stress-ng once took more than 20 s to its first bytes. The test is about sharing, not timeouts.
    proxy.close();
    proxy = builder().readTimeout(Duration.ofSeconds(120)).build();

    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<long[]>> clients = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        clients.add(pool.submit(() -> {
          Blob b = proxy.getBlob(IMAGE, d).orElseThrow();
          java.security.MessageDigest md = d.newMessageDigest();
          long firstByte = 0;
          long total = 0;
          try (SeekableByteChannel ch = b.open()) {
            ByteBuffer buf = ByteBuffer.allocate(256 * 1024);
            while (total < b.descriptor().size()) {
              int n = ch.read(buf);
              if (n < 0) {
                break;
              }
              if (firstByte == 0 && n > 0) {
                firstByte = System.nanoTime();
              }
              md.update(buf.array(), 0, n);
              total += n;
              buf.clear();
            }
          }
          long lastByte = System.nanoTime();
          boolean ok = Digest.of("sha256", md.digest()).equals(d) && total == blob.length;
          return new long[] {ok ? 1 : 0, firstByte, lastByte};
        }));
      }
      for (Future<long[]> f : clients) {
        long[] r = f.get();
        assertThat(r[0]).as("body intact").isEqualTo(1);
        // the upstream dribbles for 4 s: a client that only started after the download ended would
        // see its first and last byte within moments; streaming clients see them seconds apart
        assertThat(Duration.ofNanos(r[2] - r[1])).isGreaterThan(Duration.ofMillis(1500));
      }
    } finally {
      pool.shutdownNow();
    }
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/blobs/" + d)));
  }

  @Test
  void getBlob_rangeOfAnUncachedBlob_waitsForThoseBytes() throws Exception {
    byte[] blob = randomBytes(2 * 1024 * 1024, 12);
    Digest d = Digest.sha256(blob);
    upstream.stubFor(get(urlEqualTo("/v2/team/app/blobs/" + d)).willReturn(aResponse().withBody(blob)
        .withHeader("Content-Length", String.valueOf(blob.length)).withChunkedDribbleDelay(10, 500)));
    // Stall detection runs on the test's clock, which stands still; the socket read timeout is
    // real time, so it gets a margin no busy machine eats (it once failed at 2 s).
    proxy.close();
    proxy = builder().readTimeout(Duration.ofSeconds(60)).build();

    Blob b = proxy.getBlob(IMAGE, d).orElseThrow();
    byte[] range = new byte[1000];
    try (SeekableByteChannel ch = b.open()) {
      ch.position(1_500_000);
      ByteBuffer buf = ByteBuffer.wrap(range);
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // read until the range is full
      }
    }
    assertThat(range).isEqualTo(java.util.Arrays.copyOfRange(blob, 1_500_000, 1_501_000));
    awaitCached(d);
    try (SeekableByteChannel ch = proxy.getBlob(IMAGE, d).orElseThrow().open()) {
      ch.position(10);
      ByteBuffer buf = ByteBuffer.allocate(10);
      ch.read(buf);
      assertThat(buf.array()).isEqualTo(java.util.Arrays.copyOfRange(blob, 10, 20));
    }
  }

  @Test
  void getBlob_upstream404_isEmptyAndNegativelyCached() throws Exception {
    Digest d = Digest.sha256("missing".getBytes());
    upstream.stubFor(get(urlEqualTo("/v2/team/app/blobs/" + d)).willReturn(aResponse().withStatus(404)));

    assertThat(proxy.getBlob(IMAGE, d)).isEmpty();
    assertThat(proxy.getBlob(IMAGE, d)).isEmpty();
    upstream.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/blobs/" + d)));
  }

  @Test
  void getBlob_redirectToAnotherHost_dropsCredentials() throws Exception {
    proxy.close();
    proxy = builder().credentials("robot", "pw").build();
    byte[] blob = randomBytes(1000, 11);
    Digest d = Digest.sha256(blob);
    WireMockServer cdn = new WireMockServer(options().dynamicPort().bindAddress("localhost")
        .httpServerFactory(new Jetty12HttpServerFactory()));
    cdn.start();
    try {
      upstream.stubFor(get(urlEqualTo("/v2/team/app/blobs/" + d)).willReturn(aResponse().withStatus(401)
          .withHeader("WWW-Authenticate", "Basic realm=\"r\"")));
      upstream.stubFor(get(urlEqualTo("/v2/team/app/blobs/" + d)).withHeader("Authorization", matching("Basic .*"))
          .willReturn(aResponse().withStatus(307).withHeader("Location", "http://localhost:" + cdn.port() + "/cdn/blob?sig=1")));
      cdn.stubFor(get(urlPathEqualTo("/cdn/blob")).willReturn(aResponse().withBody(blob)));

      assertThat(readAll(proxy.getBlob(IMAGE, d).orElseThrow())).isEqualTo(blob);
      cdn.verify(1, getRequestedFor(urlPathEqualTo("/cdn/blob")).withHeader("Authorization", absent()));
    } finally {
      cdn.stop();
    }
  }

  // ---- outbound proxy

  @Test
  void outboundProxy_carriesUpstreamTraffic_exceptForNonProxyHosts() throws Exception {
    proxy.close();
    WireMockServer forward = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
        .enableBrowserProxying(true).httpServerFactory(new Jetty12HttpServerFactory()));
    forward.start();
    try {
      byte[] m = manifestBytes(Digest.sha256("c".getBytes()), Digest.sha256("l".getBytes()), 1);
      forward.stubFor(get(urlEqualTo("/v2/team/app/manifests/1.0"))
          .willReturn(aResponse().withHeader("Content-Type", MediaTypes.OCI_MANIFEST).withBody(m)));
      OutboundProxy viaProxy = new OutboundProxy(new OutboundProxy.Endpoint("127.0.0.1", forward.port()), null,
          List.of("*.lan"));
      proxy = ProxyRepository.builder("cache", storage, URI.create("http://registry.example.test"))
          .outboundProxy(viaProxy).clock(clock).spoolDirectory(spool).retries(0).build();
      assertThat(proxy.getManifest(IMAGE, Tag.of("1.0"))).isPresent();
      forward.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0")));

      try (ProxyRepository direct = ProxyRepository.builder("lan", new InMemoryDriver(), URI.create("http://mirror.lan"))
          .outboundProxy(viaProxy).clock(clock).spoolDirectory(spool).retries(0)
          .connectTimeout(Duration.ofSeconds(1)).build()) {
        assertThatThrownBy(() -> direct.getManifest(IMAGE, Tag.of("1.0")))
            .isInstanceOfSatisfying(RegistryException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.UNAVAILABLE));
      }
      forward.verify(1, getRequestedFor(urlEqualTo("/v2/team/app/manifests/1.0"))); // .lan went direct
    } finally {
      forward.stop();
    }
  }

  // ---- listings and writes

  @Test
  void listTags_comesFromUpstreamSortedAndPaged() throws Exception {
    upstream.stubFor(get(urlPathEqualTo("/v2/team/app/tags/list")).willReturn(aResponse()
        .withBody("{\"name\":\"team/app\",\"tags\":[\"b\",\"a\",\"c\"]}")));

    assertThat(proxy.listTags(IMAGE, 2, null).items()).containsExactly("a", "b");
    assertThat(proxy.listTags(IMAGE, 2, "b").items()).containsExactly("c");
    upstream.verify(1, getRequestedFor(urlPathEqualTo("/v2/team/app/tags/list")));
  }

  @Test
  void push_isUnsupportedWithAClearMessage() {
    assertThatThrownBy(() -> proxy.startUpload(IMAGE))
        .isInstanceOfSatisfying(RegistryException.class, e -> {
          assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED);
          assertThat(e.getMessage()).contains("proxy repository");
        });
  }

  /** Waits (generously: a busy machine is slow) for the blob to be in storage. */
  private Blob awaitCached(Digest d) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < deadline) {
      Optional<Blob> b = proxy.getBlob(IMAGE, d);
      if (b.isPresent() && storage.stat(blobPath(d)).isPresent()) {
        return b.get();
      }
      Thread.sleep(20);
    }
    throw new AssertionError("never cached");
  }

  static String blobPath(Digest d) {
    return "/docker/registry/v2/blobs/sha256/" + d.hex().substring(0, 2) + "/" + d.hex() + "/data";
  }
}
