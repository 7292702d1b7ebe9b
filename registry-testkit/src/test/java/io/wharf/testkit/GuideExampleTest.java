package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The proxy example of docs/testing.md, as written there: keep the two in step. */
@WharfRegistry(fakeUpstream = true)
class GuideExampleTest {
  static final HttpClient HTTP = HttpClient.newHttpClient();

  static int get(URI base, String path) throws Exception {   // what a docker pull asks first
    return HTTP.send(HttpRequest.newBuilder(base.resolve(path))
        .header("Accept", "application/vnd.oci.image.manifest.v1+json,application/vnd.oci.image.index.v1+json")
        .build(), HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  @Test
  void rateLimitedHub_cachedImagesStillServed(TestRegistry registry) throws Exception {
    TestRegistry hub = registry.upstream();
    hub.push("library/alpine", "3.20", TestImages.seeded(320).build());
    hub.push("library/alpine", "3.21", TestImages.seeded(321).build());
    hub.faults().rateLimitPulls(1);                                      // the 2nd manifest GET gets 429

    TestRepository proxy = registry.proxy();                             // also proxy.imageRef("alpine", "3.20")
    assertThat(get(proxy.url(), "/v2/alpine/manifests/3.20")).isEqualTo(200);   // the one pull
    assertThat(get(proxy.url(), "/v2/alpine/manifests/3.21")).isEqualTo(429);   // TOOMANYREQUESTS, Retry-After
    assertThat(get(proxy.url(), "/v2/alpine/manifests/3.20")).isEqualTo(200);   // from the cache

    registry.clock().advance(Duration.ofHours(25));                      // past metadataMaxAge (24 h)
    assertThat(get(proxy.url(), "/v2/alpine/manifests/3.20")).isEqualTo(200);   // revalidated with a HEAD
    assertThat(hub.faults().pulls()).isEqualTo(1);                       // no pull spent on it
    assertThat(hub.journal().lines()).endsWith("HEAD /v2/library/alpine/manifests/3.20");
  }
}
