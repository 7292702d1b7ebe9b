package io.wharf.proxy;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.head;
import static com.github.tomakehurst.wiremock.client.WireMock.headRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.jetty12.Jetty12HttpServerFactory;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.testing.MutableClock;
import io.wharf.proxy.sync.PausingSource;
import io.wharf.proxy.sync.RateLimitedException;
import io.wharf.proxy.sync.SyncReport;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A source registry (WireMock) that answers {@code 429} with {@code Retry-After}: the sync pauses
 * for as long as it says, shows the pause, and then goes on with the same request.
 */
class RegistrySourceRateLimitTest {
  static final byte[] MANIFEST = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST
      + "\",\"config\":{\"mediaType\":\"" + MediaTypes.OCI_EMPTY + "\",\"digest\":\"" + Digest.sha256("{}")
      + "\",\"size\":2},\"layers\":[]}").getBytes(StandardCharsets.UTF_8);

  WireMockServer upstream;
  RegistrySource source;
  MutableClock clock;
  SyncReport report;
  final List<Duration> pauses = new ArrayList<>();
  final List<SyncReport.State> statesDuringPause = new ArrayList<>();

  @BeforeEach
  void start() {
    upstream = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1")
        .httpServerFactory(new Jetty12HttpServerFactory()));
    upstream.start();
    clock = new MutableClock();
    source = RegistrySource.builder(java.net.URI.create(upstream.baseUrl())).retries(0).clock(clock)
        .readTimeout(Duration.ofSeconds(30)).build();
    report = new SyncReport("hub", clock.instant());
  }

  @AfterEach
  void stop() throws Exception {
    source.close();
    upstream.stop();
  }

  PausingSource paced() {
    return new PausingSource(source, report, clock, d -> {
      pauses.add(d);
      statesDuringPause.add(report.snapshot().state());
      clock.advance(d);
    });
  }

  void stubLimitedThenOk(String url, String retryAfter) {
    var limited = aResponse().withStatus(429).withHeader("Content-Type", "application/json")
        .withBody("{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"pull rate limit\"}]}");
    if (retryAfter != null) {
      limited = limited.withHeader("Retry-After", retryAfter);
    }
    upstream.stubFor(head(urlEqualTo(url)).inScenario("limit").whenScenarioStateIs(Scenario.STARTED)
        .willReturn(limited).willSetStateTo("open"));
    upstream.stubFor(head(urlEqualTo(url)).inScenario("limit").whenScenarioStateIs("open")
        .willReturn(aResponse().withHeader("Content-Type", MediaTypes.OCI_MANIFEST)
            .withHeader("Docker-Content-Digest", Digest.sha256(MANIFEST).value())
            .withHeader("Content-Length", String.valueOf(MANIFEST.length))));
  }

  @Test
  void tooManyRequests_pausesForRetryAfter_thenGoesOn() throws Exception {
    stubLimitedThenOk("/v2/library/alpine/manifests/3.20", "7");

    Optional<Digest> digest = paced().manifestDigest("library/alpine", "3.20");

    assertThat(digest).contains(Digest.sha256(MANIFEST));
    assertThat(pauses).containsExactly(Duration.ofSeconds(7));
    assertThat(statesDuringPause).containsExactly(SyncReport.State.PAUSED);
    SyncReport.Snapshot s = report.snapshot();
    assertThat(s.state()).isEqualTo(SyncReport.State.RUNNING);
    assertThat(s.pauses()).isEqualTo(1);
    upstream.verify(2, headRequestedFor(urlEqualTo("/v2/library/alpine/manifests/3.20")));
  }

  @Test
  void tooManyRequests_withoutRetryAfter_waitsTheDefault() throws Exception {
    stubLimitedThenOk("/v2/library/alpine/manifests/3.20", null);

    paced().manifestDigest("library/alpine", "3.20");

    assertThat(pauses).containsExactly(RateLimitedException.DEFAULT_WAIT);
  }

  @Test
  void tooManyRequests_anHttpDate_isReadRelativeToNow() {
    Instant now = Instant.parse("2026-12-02T10:00:00Z");
    assertThat(RateLimitedException.parseRetryAfter("Wed, 02 Dec 2026 10:00:30 GMT", now)).isEqualTo(Duration.ofSeconds(30));
    assertThat(RateLimitedException.parseRetryAfter("86400", now)).isEqualTo(RateLimitedException.MAX_WAIT);
    assertThat(RateLimitedException.parseRetryAfter("soon", now)).isEqualTo(RateLimitedException.DEFAULT_WAIT);
  }

  @Test
  void tooManyRequests_onEveryTry_failsAfterTheLimit() {
    upstream.stubFor(get(urlEqualTo("/v2/x/tags/list")).willReturn(aResponse().withStatus(429).withHeader("Retry-After", "1")));

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> paced().tags("x"))
        .isInstanceOf(java.io.IOException.class).hasMessageContaining("still rate-limits");
    assertThat(pauses).hasSizeGreaterThan(1);
    upstream.verify(pauses.size() + 1, getRequestedFor(urlEqualTo("/v2/x/tags/list")));
  }
}
