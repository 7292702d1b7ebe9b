package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.server.it.FaultProxy.Seen;
import io.wharf.server.it.OciLayouts.Descriptor;
import io.wharf.server.it.OciLayouts.Image;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Wharf proxy repository that reaches its upstream through a forward proxy (issue 21), as the
 * seed's own setup does: Debian's tinyproxy between Wharf and a docker-registry upstream (behind a
 * {@link FaultProxy} that passes everything and records which requests came through tinyproxy).
 * Outbound settings connect 2 s, read timeout 3 s. Covers pooled connections that tinyproxy has
 * closed ({@code retries: 0}), {@code nonProxyHosts}, and the forward proxy stopped or hanging:
 * clean upstream errors for what is not cached, cached images served. The three scenarios wait on
 * read timeouts and auto-blocks, so they run concurrently (started in {@link #start()}), each with
 * its own tinyproxy and Wharf; each test reports one of them.
 */
@Tag("interop")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ForwardProxyIT {
  private static final String TAG = "1.0";
  private static final String MANIFEST_ACCEPT = OciLayouts.MANIFEST + ", application/vnd.docker.distribution.manifest.v2+json";
  private static final Duration HEAL_DEADLINE = Duration.ofSeconds(120);
  private static final String BLAMES_CLIENT = "(?i)\\b400\\b|bad request|blob upload invalid";

  @TempDir static Path tmp;
  private DistributionProcess upstream;
  private FaultProxy recorder;
  /** The forward proxy of the stale-connection and hanging scenarios (through a relay); never stopped. */
  private TinyProxy tinyproxy;
  /** The forward proxy of the nonProxyHosts scenario, which stops it. */
  private TinyProxy stoppable;
  private HangingForwardProxy hanging;
  private WharfProcess wharf;
  private Skopeo skopeo;
  private final Map<String, Image> images = new HashMap<>();
  private final Map<String, CompletableFuture<Void>> scenarios = new HashMap<>();
  private final ExecutorService threads = Executors.newFixedThreadPool(3);

  @BeforeAll
  void start() throws Exception {
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    assertThat(DistributionProcess.isInstalled()).as("docker-registry is missing: .ci/run installs it").isTrue();
    assertThat(TinyProxy.isInstalled()).as("tinyproxy is missing: .ci/run installs it with apt-get").isTrue();
    skopeo = new Skopeo(tmp.resolve("skopeo"));
    upstream = DistributionProcess.serve(tmp.resolve("upstream"));
    recorder = FaultProxy.start(upstream.url());
    OciLayouts layout = OciLayouts.create(tmp.resolve("images"), 2102);
    for (String name : List.of("stale/a", "stale/b", "stale/c", "stale/d", "np/proxied-cached", "np/proxied-fresh",
        "np/direct-cached", "np/direct-fresh", "hang/cached", "hang/fresh")) {
      Image image = layout.image(LINUX_AMD64, GZIP, 2, 64 * 1024);
      HttpPush.push(upstream.url(), layout.dir(), name, TAG, image);
      images.put(name, image);
    }
    tinyproxy = TinyProxy.start();
    stoppable = TinyProxy.start();
    hanging = HangingForwardProxy.relayingTo(tinyproxy.port());
    // One repository per scenario, each with the outbound settings it is about: proxy, retries
    // and nonProxyHosts may be set per repository (outbound:) over the server-wide http: section.
    Path config = Files.writeString(tmp.resolve("wharf.yaml"), """
        http: {connectTimeout: 2s, timeout: 3s, retries: 2, proxy: %s, nonProxyHosts: ["localhost"]}
        repositories:
          - {name: stale, type: proxy, remoteUrl: "%s", metadataMaxAge: 0s, outbound: {retries: 0, proxy: %s}}
          - {name: proxied, type: proxy, remoteUrl: "%s", metadataMaxAge: 0s}
          - {name: direct, type: proxy, remoteUrl: "%s", metadataMaxAge: 0s}
          - {name: hanging, type: proxy, remoteUrl: "%s", metadataMaxAge: 0s, outbound: {proxy: %s}}
        """.formatted(stoppable.yaml(), recorder.url(), tinyproxy.yaml(), recorder.url(),
        recorder.url().replace("127.0.0.1", "localhost"), recorder.url(), hanging.yaml()));
    wharf = WharfProcess.serveConfig(config, tmp.resolve("wharf"), "128m");
    // They wait on read timeouts and auto-blocks: together they take as long as the slowest.
    scenarios.put("stale", start(this::staleConnections));
    scenarios.put("nonProxyHosts", start(this::nonProxyHosts));
    scenarios.put("hanging", start(this::hangingForwardProxy));
  }

  private interface Scenario {
    void run() throws Exception;
  }

  private CompletableFuture<Void> start(Scenario scenario) {
    return CompletableFuture.runAsync(() -> {
      try {
        scenario.run();
      } catch (Exception e) {
        throw new CompletionException(e);
      }
    }, threads);
  }

  @AfterAll
  void stop() throws IOException {
    threads.shutdownNow();
    for (AutoCloseable c : new AutoCloseable[] {wharf, hanging, tinyproxy, stoppable}) {
      if (c != null) {
        try {
          c.close();
        } catch (Exception e) {
          throw new IOException(e);
        }
      }
    }
    if (recorder != null) {
      recorder.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Test
  void retriesZero_requestsAfterTheFirstDoNotFailOnStalePooledConnections() {
    await("stale");
  }

  @Test
  void nonProxyHostsGoDirect_andAStoppedForwardProxyFailsCleanly() {
    await("nonProxyHosts");
  }

  @Test
  void hangingForwardProxyFailsCleanly_cachedImagesAreServed_andPullsWorkOnceItAnswers() {
    await("hanging");
  }

  private void await(String scenario) {
    try {
      scenarios.get(scenario).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof AssertionError failed) {
        throw failed;
      }
      throw e;
    }
  }

  // ---------------------------------------------------------------- the scenarios

  /**
   * tinyproxy answers one request per connection and closes it without {@code Connection: close}:
   * a pooled connection to it is dead by the next request. With {@code retries: 0} that request must
   * still work (the connection is validated, or an idempotent request is retried once on it).
   */
  private void staleConnections() throws Exception {
    List<String> failed = new ArrayList<>();
    int requests = 0;
    for (String name : List.of("stale/a", "stale/b", "stale/c")) {
      Image image = images.get(name);
      Answer manifest = Answer.get(wharf.url() + "/v2/stale/" + name + "/manifests/" + TAG, MANIFEST_ACCEPT);
      requests++;
      if (!manifest.delivered(image.manifest().digest())) {
        failed.add("request " + requests + ", GET manifest of " + name + ": " + manifest);
      }
      for (Descriptor blob : blobsOf(image)) {
        Answer a = Answer.get(wharf.url() + "/v2/stale/" + name + "/blobs/" + blob.digest(), "*/*");
        requests++;
        if (!a.delivered(blob.digest())) {
          failed.add("request " + requests + ", GET blob " + blob.digest() + " of " + name + ": " + a);
        }
      }
    }
    assertThat(failed).as("of %d requests one after the other through tinyproxy with retries: 0, these failed",
        requests).isEmpty();
    expectPulled("stale", "stale/d", "pull-d");
    assertThat(recorder.seen("stale/d")).as("requests for stale/d reached the upstream through tinyproxy")
        .isNotEmpty().allSatisfy(s -> assertThat(s.via()).contains("tinyproxy"));
  }

  /**
   * An upstream whose host matches {@code nonProxyHosts} is reached directly: it still works with
   * tinyproxy stopped, while the proxied one fails cleanly for what is not cached (connection
   * refused by the forward proxy) and serves what is.
   */
  private void nonProxyHosts() throws Exception {
    expectPulled("proxied", "np/proxied-cached", "proxied-cached-before");
    expectPulled("direct", "np/direct-cached", "direct-cached-before");
    assertThat(recorder.seen("np/proxied-cached")).as("requests of the proxied repository, at the upstream")
        .isNotEmpty().allSatisfy(s -> assertThat(s.via()).as("Via").contains("tinyproxy"));
    assertThat(recorder.seen("np/direct-cached")).as("requests of the repository whose host is in nonProxyHosts")
        .isNotEmpty().extracting(Seen::via).containsOnlyNulls();

    stoppable.stop();

    expectPulled("direct", "np/direct-fresh", "direct-fresh-stopped");
    expectPulled("direct", "np/direct-cached", "direct-cached-stopped");
    expectUpstreamError(Answer.get(wharf.url() + "/v2/proxied/np/proxied-fresh/manifests/" + TAG, MANIFEST_ACCEPT),
        "GET of an uncached manifest with the forward proxy stopped");
    expectPullFails("proxied", "np/proxied-fresh", "proxied-fresh-stopped");
    assertThat(Answer.get(wharf.url() + "/v2/proxied/np/proxied-cached/manifests/" + TAG, MANIFEST_ACCEPT)
        .delivered(images.get("np/proxied-cached").manifest().digest()))
        .as("a cached manifest is served with the forward proxy stopped").isTrue();
    expectPulled("proxied", "np/proxied-cached", "proxied-cached-stopped");
  }

  /**
   * A forward proxy that accepts and never answers costs a read timeout per attempt, then a clean
   * upstream error; cached images are served meanwhile, and the pull works once it answers again.
   */
  private void hangingForwardProxy() throws Exception {
    expectPulled("hanging", "hang/cached", "cached-before");

    hanging.hang();

    String freshManifest = wharf.url() + "/v2/hanging/hang/fresh/manifests/" + TAG;
    expectUpstreamError(Answer.get(freshManifest, MANIFEST_ACCEPT),
        "GET of an uncached manifest through a hanging forward proxy");
    expectPullFails("hanging", "hang/fresh", "fresh-hanging");
    assertThat(Answer.get(wharf.url() + "/v2/hanging/hang/cached/manifests/" + TAG, MANIFEST_ACCEPT)
        .delivered(images.get("hang/cached").manifest().digest()))
        .as("a cached manifest is served through a hanging forward proxy").isTrue();
    expectPulled("hanging", "hang/cached", "cached-hanging");

    hanging.relay();

    // an auto-block the outage started lasts 10 s or more
    String digest = images.get("hang/fresh").manifest().digest();
    long deadline = System.nanoTime() + HEAL_DEADLINE.toNanos();
    Answer healed = Answer.get(freshManifest, MANIFEST_ACCEPT);
    while (!healed.delivered(digest) && System.nanoTime() < deadline) {
      ServerProcess.sleep(500);
      healed = Answer.get(freshManifest, MANIFEST_ACCEPT);
    }
    assertThat(healed.delivered(digest)).as("GET of the manifest once the forward proxy answers again: %s", healed)
        .isTrue();
    expectPulled("hanging", "hang/fresh", "fresh-healed");
  }

  // ---------------------------------------------------------------- helpers

  private static List<Descriptor> blobsOf(Image image) {
    List<Descriptor> blobs = new ArrayList<>(image.layers());
    blobs.add(image.config());
    return blobs;
  }

  private String ref(String repository, String image) {
    return "docker://" + wharf.hostPort() + "/" + repository + "/" + image + ":" + TAG;
  }

  private void expectPulled(String repository, String image, String dir) throws IOException {
    Path dest = Files.createDirectories(tmp.resolve("pulls")).resolve(repository + "-" + dir);
    skopeo.copy(ref(repository, image), "oci:" + dest + ":" + TAG);
    assertThat(OciLayouts.resolve(dest, TAG).digest()).isEqualTo(images.get(image).manifest().digest());
    assertThat(OciLayouts.corruptBlobs(dest)).isEmpty();
  }

  private void expectPullFails(String repository, String image, String dir) throws IOException {
    Path dest = Files.createDirectories(tmp.resolve("pulls")).resolve(repository + "-" + dir);
    assertThatThrownBy(() -> skopeo.copy(ref(repository, image), "oci:" + dest + ":" + TAG))
        .as("skopeo pull of %s", image)
        .isInstanceOfSatisfying(Skopeo.SkopeoException.class, e -> assertThat(e.stderr())
            .as("skopeo's error must not read as the client's fault").doesNotContainPattern(BLAMES_CLIENT));
  }

  private void expectUpstreamError(Answer a, String what) {
    String upstreamHost = "127.0.0.1:" + recorder.port();
    assertThat(a.status()).as("%s: expected 502, 503 or 504 (an upstream failure), got %s", what, a).isIn(502, 503, 504);
    assertThat(a.envelope()).as("%s: expected the OCI error envelope naming the upstream, got %s", what, a)
        .hasValueSatisfying(text -> assertThat(text).containsAnyOf(upstreamHost, "localhost:" + recorder.port()));
  }
}
