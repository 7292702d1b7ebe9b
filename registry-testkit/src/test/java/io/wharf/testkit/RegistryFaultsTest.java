package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults on the registry the pipeline talks to (not only on a fake upstream), the upstream-down
 * fault, the journal's request headers and its per-repository view.
 */
class RegistryFaultsTest {
  static final TestImage ALPINE = TestImages.seeded(320).layers(2, 2048).build();
  static final TestImage BUSYBOX = TestImages.seeded(136).layers(1, 2048).build();

  @TempDir Path work;

  @Test
  void faultOnTheRegistryUnderTest_reachesTheClient_andIsJournaled() {
    try (TestRegistry registry = TestRegistry.start()) {
      registry.push("team/app", "1.0", ALPINE);
      registry.faults().failNext(1, 503, Endpoint.MANIFEST);

      HttpResponse<byte[]> first = Http.get(registry.url(), "/v2/team/app/manifests/1.0");
      assertThat(first.statusCode()).isEqualTo(503);
      assertThat(new String(first.body())).contains("\"code\":\"UNAVAILABLE\"");
      assertThat(Http.get(registry.url(), "/v2/team/app/manifests/1.0").statusCode()).isEqualTo(200);
      assertThat(registry.journal().requests()).extracting(RecordedRequest::status, RecordedRequest::fault)
          .containsExactly(org.assertj.core.groups.Tuple.tuple(503, "injected 503"),
              org.assertj.core.groups.Tuple.tuple(200, null));
    }
  }

  @Test
  void jibPush_uploadsRefused_failsTheBuild_andNothingIsTagged() throws Exception {
    try (TestRegistry registry = TestRegistry.start()) {
      registry.faults().fail(403, Endpoint.UPLOADS);
      Path app = Files.writeString(work.resolve("app.txt"), "refused");

      assertThatThrownBy(() -> Jib.fromScratch()
          .addLayer(List.of(app), AbsoluteUnixPath.get("/app"))
          .containerize(Containerizer.to(RegistryImage.named(registry.imageRef("team/app", "1.0")))
              .setAllowInsecureRegistries(true)
              .setApplicationLayersCache(work.resolve("cache"))))
          .hasStackTraceContaining("403");
      assertThat(registry.journal().count("POST", Endpoint.UPLOADS)).isPositive();
      assertThat(registry.journal().pushedRefs()).isEmpty();
      assertThat(registry.tags("team/app")).isEmpty();
    }
  }

  @Test
  void upstreamDown_connectionsRefused_proxyServesItsCache_failsClearlyForTheRest_thenComesBack() throws Exception {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().fakeUpstream())) {
      TestRegistry hub = registry.upstream();
      hub.push("library/alpine", "3.20", ALPINE);
      hub.push("library/busybox", "1.36", BUSYBOX);
      TestRepository proxy = registry.proxy();
      assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/3.20").statusCode()).isEqualTo(200); // cached now
      URI hubUrl = hub.url();

      hub.faults().down();
      assertThat(hub.faults().isDown()).isTrue();
      assertThatThrownBy(() -> Http.get(hubUrl, "/v2/")).isInstanceOf(UncheckedIOException.class)
          .hasCauseInstanceOf(ConnectException.class);
      registry.clock().advance(Duration.ofHours(25)); // the cached tag is stale: the proxy must ask
      assertThat(Http.get(proxy.url(), "/v2/alpine/manifests/3.20").statusCode()).isEqualTo(200);
      HttpResponse<byte[]> uncached = Http.get(proxy.url(), "/v2/busybox/manifests/1.36");
      assertThat(uncached.statusCode()).isGreaterThanOrEqualTo(500);
      assertThat(new String(uncached.body())).contains("\"errors\"");
      assertThat(hub.journal().requestsTo("upstream")).extracting(RecordedRequest::line)
          .containsExactly("GET /v2/library/alpine/manifests/3.20"); // nothing got through while down

      hub.faults().up();
      assertThat(hub.url()).isEqualTo(hubUrl);
      assertThat(Http.get(hubUrl, "/v2/").statusCode()).isEqualTo(200);
      registry.clock().advance(Duration.ofMinutes(10)); // past the proxy's auto-block, if it blocked
      assertThat(Http.get(proxy.url(), "/v2/busybox/manifests/1.36").statusCode()).isEqualTo(200);

      hub.faults().down().clear(); // clear() brings it up too
      assertThat(Http.get(hubUrl, "/v2/").statusCode()).isEqualTo(200);
    }
  }

  @Test
  void journal_recordsRequestHeaders_authorizationWithoutItsSecret() throws Exception {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().credentials("ci", "s3cret"))) {
      String basic = java.util.Base64.getEncoder().encodeToString("ci:s3cret".getBytes());
      HttpClient client = HttpClient.newHttpClient();
      client.send(HttpRequest.newBuilder(registry.url().resolve("/v2/")).header("Authorization", "Basic " + basic)
          .header("User-Agent", "pipeline/1.0").header("X-Trace", "a").header("x-trace", "b").build(),
          HttpResponse.BodyHandlers.discarding());

      RecordedRequest r = registry.journal().requests().get(0);
      assertThat(r.header("user-agent")).hasValue("pipeline/1.0");
      assertThat(r.header("USER-AGENT")).hasValue("pipeline/1.0");
      assertThat(r.headers().get("x-trace")).containsExactly("a", "b");
      assertThat(r.header("authorization")).hasValue("Basic");
      assertThat(r.toString()).doesNotContain(basic);
      assertThat(r.user()).isEqualTo("ci");
      assertThat(r.header("x-missing")).isEmpty();
    }
  }

  @Test
  void requestsTo_separatesTheRepositories_ofOneRegistry() {
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults().fakeUpstream())) {
      registry.upstream().push("library/alpine", "3.20", ALPINE);
      registry.push("team/app", "1.0", BUSYBOX);

      Http.get(registry.hosted().url(), "/v2/team/app/manifests/1.0");
      Http.get(registry.proxy().url(), "/v2/alpine/manifests/3.20");
      Http.get(registry.group().url(), "/v2/team/app/manifests/1.0"); // found in the hosted member first

      RequestJournal journal = registry.journal();
      assertThat(journal.requestsTo(TestRegistry.HOSTED)).extracting(RecordedRequest::line)
          .containsExactly("GET /v2/team/app/manifests/1.0");
      assertThat(journal.requestsTo(TestRegistry.PROXY)).extracting(RecordedRequest::line)
          .containsExactly("GET /v2/alpine/manifests/3.20");
      assertThat(journal.requestsTo(TestRegistry.GROUP)).extracting(RecordedRequest::line)
          .containsExactly("GET /v2/team/app/manifests/1.0");
      assertThat(journal.requestsTo("nothing")).isEmpty();
      // the upstream is a registry of its own, with its own journal
      assertThat(registry.upstream().journal().requestsTo("upstream")).extracting(RecordedRequest::line)
          .containsExactly("GET /v2/library/alpine/manifests/3.20");
    }
  }
}
