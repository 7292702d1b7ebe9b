package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.it.FaultProxy.Fault;
import io.wharf.server.it.FaultProxy.RequestClass;
import io.wharf.server.it.OciLayouts.Descriptor;
import io.wharf.server.it.OciLayouts.Image;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proxy repositories under a faulty upstream (issue 21), as an operator meets it: Debian's
 * docker-registry as the upstream, a {@link FaultProxy} between it and Wharf, outbound settings
 * connect 2 s, read timeout 3 s, retries 2; every fault on manifests and on blobs, reached
 * directly and through a forward proxy (tinyproxy).
 *
 * <p>Each scenario has a proxy repository of its own (its own auto-block, its own connections)
 * and two images upstream: {@code cached}, fetched whole before the fault, and {@code fresh}, not.
 * Under the fault a plain GET of the fresh image (precise status) and a skopeo pull of it end in
 * an upstream error (502/503/504 with the OCI envelope naming the upstream; for a rate limit 429
 * or 503 with {@code Retry-After}) and cache nothing, or, for a trickle, deliver the right image;
 * the cached image is served whole all along (its tag revalidated through the fault); once the
 * upstream heals, the same pull works. At the end every blob in Wharf's store hashes to its name
 * and every cached tag points where the upstream's does.
 *
 * <p>Hangs and stalls cost a read timeout per attempt, so the scenarios run concurrently, in
 * {@link #start()}; each test reports one scenario's outcome, every unmet expectation with what
 * was seen. Seeding and warming the cache use plain HTTP: a client process per image would cost
 * minutes on a busy machine.
 */
@Tag("interop")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ProxyFaultsIT {
  private static final String TAG = "1.0";
  /** Above Wharf's threshold for streaming a download in progress in batches (BlobSender). */
  private static final int LAYER_BYTES = 300 * 1024;
  private static final Duration HEAL_DEADLINE = Duration.ofSeconds(120);
  private static final String MANIFEST_ACCEPT = OciLayouts.MANIFEST + ", application/vnd.docker.distribution.manifest.v2+json";
  /** What a client would read as its own fault. */
  private static final String BLAMES_CLIENT = "(?i)\\b400\\b|bad request|blob upload invalid";

  enum Route {
    DIRECT(""), FORWARD_PROXY("tp-");

    final String prefix;

    Route(String prefix) {
      this.prefix = prefix;
    }
  }

  record Scenario(RequestClass cls, Fault fault, Route route) {
    /** The proxy repository of this scenario, e.g. {@code blob-reset-mid-body}, {@code tp-manifest-hang}. */
    String repository() {
      return route.prefix + (cls.name() + "-" + fault.name()).toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The upstream name of one of its images, e.g. {@code blob-hang/fresh}. */
    String image(String role) {
      return repository() + "/" + role;
    }

    @Override
    public String toString() {
      return cls.name().toLowerCase(Locale.ROOT) + " " + fault + (route == Route.DIRECT ? ", direct" : ", through tinyproxy");
    }
  }

  @TempDir static Path tmp;
  private DistributionProcess upstream;
  private FaultProxy faults;
  private TinyProxy tinyproxy;
  private WharfProcess wharf;
  private Skopeo skopeo;
  private final Map<String, Image> images = new ConcurrentHashMap<>();
  private final Map<Scenario, CompletableFuture<Void>> outcomes = new LinkedHashMap<>();
  /** Scenarios whose cached image could not be pulled before the fault, and why. */
  private final Map<Scenario, String> notCachedBefore = new ConcurrentHashMap<>();
  private ExecutorService scenarioThreads;

  Stream<Scenario> scenarios() {
    List<Scenario> all = new ArrayList<>();
    for (Route route : Route.values()) {
      for (RequestClass cls : RequestClass.values()) {
        for (Fault fault : Fault.values()) {
          if (fault != Fault.PASS) {
            all.add(new Scenario(cls, fault, route));
          }
        }
      }
    }
    return all.stream();
  }

  @BeforeAll
  void start() throws Exception {
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    assertThat(DistributionProcess.isInstalled()).as("docker-registry is missing: .ci/run installs it").isTrue();
    assertThat(TinyProxy.isInstalled()).as("tinyproxy is missing: .ci/run installs it with apt-get").isTrue();
    List<Scenario> all = scenarios().toList();
    skopeo = new Skopeo(tmp.resolve("skopeo"));
    upstream = DistributionProcess.serve(tmp.resolve("upstream"));
    faults = FaultProxy.start(upstream.url());
    tinyproxy = TinyProxy.start();

    OciLayouts layout = OciLayouts.create(tmp.resolve("images"), 2101);
    for (Scenario s : all) {
      for (String role : List.of("cached", "fresh")) {
        images.put(s.image(role), layout.image(LINUX_AMD64, GZIP, 2, LAYER_BYTES));
      }
    }
    ExecutorService seeders = Executors.newFixedThreadPool(4);
    try {
      List<Future<?>> pushes = new ArrayList<>();
      images.forEach((name, image) -> pushes.add(seeders.submit(() -> {
        HttpPush.push(upstream.url(), layout.dir(), name, TAG, image);
        return null;
      })));
      for (Future<?> push : pushes) {
        push.get();
      }
    } finally {
      seeders.shutdownNow();
    }

    Path config = Files.writeString(tmp.resolve("wharf.yaml"), config(all));
    wharf = WharfProcess.serveConfig(config, tmp.resolve("wharf"), "256m");
    // Each scenario's cached image is fetched whole through Wharf before any fault, a few at a
    // time: all at once would make a busy machine miss the 3 s read timeout on healthy requests.
    ExecutorService fetchers = Executors.newFixedThreadPool(4);
    try {
      Map<Scenario, Future<String>> fetches = new LinkedHashMap<>();
      for (Scenario s : all) {
        fetches.put(s, fetchers.submit(() -> fetchWhole(s, s.image("cached"))));
      }
      for (Map.Entry<Scenario, Future<String>> fetch : fetches.entrySet()) {
        if (fetch.getValue().get() != null) {
          notCachedBefore.put(fetch.getKey(), fetch.getValue().get());
        }
      }
    } finally {
      fetchers.shutdownNow();
    }
    scenarioThreads = Executors.newFixedThreadPool(all.size());
    for (Scenario s : all) {
      outcomes.put(s, CompletableFuture.runAsync(() -> run(s), scenarioThreads));
    }
  }

  /** One proxy repository per scenario, all on the default blob store (so each under its namespace). */
  private String config(List<Scenario> all) {
    StringBuilder yaml = new StringBuilder("""
        http:
          connectTimeout: 2s
          timeout: 3s
          retries: 2
        repositories:
        """);
    for (Scenario s : all) {
      yaml.append("  - {name: ").append(s.repository()).append(", type: proxy, remoteUrl: \"").append(faults.url())
          .append("\", metadataMaxAge: 0s");
      if (s.route() == Route.FORWARD_PROXY) {
        yaml.append(", outbound: {proxy: ").append(tinyproxy.yaml()).append('}');
      }
      yaml.append("}\n");
    }
    return yaml.toString();
  }

  @AfterAll
  void stop() throws IOException {
    if (scenarioThreads != null) {
      scenarioThreads.shutdownNow();
    }
    if (wharf != null) {
      wharf.close();
    }
    if (tinyproxy != null) {
      tinyproxy.close();
    }
    if (faults != null) {
      faults.close();
    }
    if (upstream != null) {
      upstream.close();
    }
  }

  @Order(1)
  @ParameterizedTest(name = "{0}")
  @MethodSource("scenarios")
  void faultyUpstream(Scenario scenario) {
    try {
      outcomes.get(scenario).join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof AssertionError failed) {
        throw failed;
      }
      throw e;
    }
  }

  @Order(2)
  @Test
  void everyCachedBlobHashesToItsName_andEveryCachedTagPointsWhereTheUpstreamDoes() {
    CompletableFuture.allOf(outcomes.values().toArray(CompletableFuture[]::new)).exceptionally(e -> null).join();
    assertThat(RegistryDirs.corruptBlobs(wharf.dataDir())).as("blobs in Wharf's store that do not hash to their name")
        .isEmpty();
    Map<String, String> cached = RegistryDirs.tags(wharf.dataDir());
    assertThat(cached).as("tags in Wharf's store").isNotEmpty();
    Map<String, String> wrong = new TreeMap<>();
    cached.forEach((key, digest) -> {
      // <namespace (the repository)>/<upstream image>:<tag>
      String image = key.substring(key.indexOf('/') + 1, key.lastIndexOf(':'));
      String tag = key.substring(key.lastIndexOf(':') + 1);
      Optional<String> upstreamDigest = RegistryDirs.tag(upstream.rootDirectory(), image, tag);
      if (!upstreamDigest.equals(Optional.of(digest))) {
        wrong.put(key, "cached " + digest + ", upstream " + upstreamDigest.orElse("has no such tag"));
      }
    });
    assertThat(wrong).as("cached tags that do not point where the upstream's do").isEmpty();
  }

  // ---------------------------------------------------------------- one scenario

  private void run(Scenario s) {
    Problems problems = new Problems();
    String cached = s.image("cached");
    String fresh = s.image("fresh");
    Path work = tmp.resolve("pulls").resolve(s.repository());
    if (notCachedBefore.containsKey(s)) {
      problems.expect(false, "the cached image before the fault (healthy upstream): %s", notCachedBefore.get(s));
    }

    faults.inject(cached, s.cls(), s.fault());
    faults.inject(fresh, s.cls(), s.fault());

    // Uncached, plain HTTP: the precise status.
    Answer first = probe(s, fresh);
    if (s.fault() == Fault.TRICKLE) {
      expectContent(problems, "GET " + probePath(s, fresh) + " of a trickled answer", first, probeDigest(s, fresh));
    } else if (s.fault() == Fault.RATE_LIMITED) {
      expectRateLimited(problems, "GET " + probePath(s, fresh) + " (request 1 of 4)", first);
      // Three rate-limited calls in a row auto-block the upstream: every refusal says when to come back.
      for (int i = 2; i <= 4; i++) {
        expectRateLimited(problems, "GET " + probePath(s, fresh) + " (request " + i + " of 4"
            + (i == 4 ? ", auto-blocked by now)" : ")"), probe(s, fresh));
      }
    } else {
      expectUpstreamError(problems, "GET " + probePath(s, fresh), first, s.cls());
    }

    // Uncached, skopeo.
    if (s.fault() == Fault.TRICKLE) {
      expectPulled(problems, "skopeo pull of the uncached image under a trickle", s, fresh, work.resolve("fresh-trickled"));
    } else {
      expectPullFails(problems, "skopeo pull of the uncached image under the fault", s, fresh, work.resolve("fresh-faulty"));
      expectNothingCached(problems, s, fresh);
    }

    // Cached: served through the fault (a manifest by tag is revalidated upstream on every pull).
    String cachedFailure = fetchWhole(s, cached);
    if (cachedFailure != null) {
      problems.expect(false, "the cached image under the fault: %s", cachedFailure);
    }

    // Healed: the same pull works (once an auto-block the fault caused has run out).
    faults.heal(cached);
    faults.heal(fresh);
    Answer healed = awaitHealed(s, fresh);
    expectContent(problems, "GET " + probePath(s, fresh) + " after the upstream healed (waited up to " + HEAL_DEADLINE + ")",
        healed, probeDigest(s, fresh));
    expectPulled(problems, "skopeo pull of the formerly uncached image after the upstream healed", s, fresh,
        work.resolve("fresh-healed"));
    problems.assertNone(s);
  }

  /** GETs the manifest and every blob of {@code image} through Wharf: null if all came whole, else what did not. */
  private String fetchWhole(Scenario s, String image) {
    List<String> failed = new ArrayList<>();
    String base = "/v2/" + s.repository() + "/" + image;
    Answer manifest = get(base + "/manifests/" + TAG, MANIFEST_ACCEPT);
    if (!manifest.delivered(images.get(image).manifest().digest())) {
      failed.add("GET " + base + "/manifests/" + TAG + ": expected 200 with the manifest, got " + manifest);
    }
    for (Descriptor blob : blobsOf(images.get(image))) {
      Answer a = get(base + "/blobs/" + blob.digest(), "*/*");
      if (!a.delivered(blob.digest())) {
        failed.add("GET " + base + "/blobs/" + blob.digest() + ": expected 200 with the blob, got " + a);
      }
    }
    return failed.isEmpty() ? null : String.join("; ", failed);
  }

  /** The request of the scenario's class for {@code image}: its manifest by tag, or its first layer. */
  private String probePath(Scenario s, String image) {
    return s.cls() == RequestClass.MANIFEST
        ? "/v2/" + s.repository() + "/" + image + "/manifests/" + TAG
        : "/v2/" + s.repository() + "/" + image + "/blobs/" + images.get(image).layers().get(0).digest();
  }

  private String probeDigest(Scenario s, String image) {
    return s.cls() == RequestClass.MANIFEST ? images.get(image).manifest().digest()
        : images.get(image).layers().get(0).digest();
  }

  private Answer probe(Scenario s, String image) {
    return get(probePath(s, image), s.cls() == RequestClass.MANIFEST ? MANIFEST_ACCEPT : "*/*");
  }

  /** Probes until it answers 200; an auto-block started by the fault lasts 10 s or more. */
  private Answer awaitHealed(Scenario s, String image) {
    long deadline = System.nanoTime() + HEAL_DEADLINE.toNanos();
    Answer a = probe(s, image);
    while (a.status() != 200 && System.nanoTime() < deadline) {
      ServerProcess.sleep(500);
      a = probe(s, image);
    }
    return a;
  }

  private static List<Descriptor> blobsOf(Image image) {
    List<Descriptor> blobs = new ArrayList<>(image.layers());
    blobs.add(image.config());
    return blobs;
  }

  // ---------------------------------------------------------------- expectations

  /**
   * 502, 503 or 504 with the envelope. A blob download may also fail after Wharf has sent the
   * headers of a 200 (it streams, and holds back only the last byte until the digest is verified):
   * then the body must be cut off, so that no client takes the blob for whole.
   */
  private void expectUpstreamError(Problems problems, String what, Answer a, RequestClass cls) {
    if (cls == RequestClass.BLOB && a.status() == 200) {
      problems.expect(a.failure() != null, "%s: expected 502, 503 or 504 (an upstream failure), or a 200 whose body "
          + "is cut off; got a complete 200 of %s bytes", what, a.body().length);
      return;
    }
    problems.expect(List.of(502, 503, 504).contains(a.status()),
        "%s: expected 502, 503 or 504 (an upstream failure), got %s", what, a);
    expectEnvelopeNamingUpstream(problems, what, a);
  }

  private void expectRateLimited(Problems problems, String what, Answer a) {
    problems.expect(List.of(429, 503).contains(a.status()),
        "%s: expected 429 or 503 for a rate-limited upstream, got %s", what, a);
    problems.expect(a.header("Retry-After").isPresent(), "%s: expected a Retry-After header, got %s", what, a);
    expectEnvelopeNamingUpstream(problems, what, a);
  }

  private void expectEnvelopeNamingUpstream(Problems problems, String what, Answer a) {
    String upstreamHost = "127.0.0.1:" + faults.port();
    problems.expect(a.envelope().filter(text -> text.contains(upstreamHost)).isPresent(),
        "%s: expected the OCI error envelope naming the upstream %s, got %s", what, upstreamHost, a);
  }

  private static void expectContent(Problems problems, String what, Answer a, String digest) {
    problems.expect(a.delivered(digest), "%s: expected 200 with the whole body of %s, got %s%s", what, digest, a,
        a.status() == 200 && a.failure() == null ? " hashing to " + OciLayouts.sha256(a.body()) : "");
  }

  private void expectPulled(Problems problems, String what, Scenario s, String image, Path dest) {
    try {
      pull(s, image, dest);
      String digest = OciLayouts.resolve(dest, TAG).digest();
      problems.expect(digest.equals(images.get(image).manifest().digest()), "%s: skopeo pulled manifest %s, not %s",
          what, digest, images.get(image).manifest().digest());
      List<String> corrupt = OciLayouts.corruptBlobs(dest);
      problems.expect(corrupt.isEmpty(), "%s: blobs that do not hash to their name: %s", what, corrupt);
    } catch (Skopeo.SkopeoException e) {
      problems.expect(false, "%s: expected the image, skopeo failed: %s", what, e.getMessage());
    }
  }

  private void expectPullFails(Problems problems, String what, Scenario s, String image, Path dest) {
    try {
      pull(s, image, dest);
      problems.expect(false, "%s: expected skopeo to fail, it pulled the image", what);
    } catch (Skopeo.SkopeoException e) {
      problems.expect(!Pattern.compile(BLAMES_CLIENT).matcher(e.stderr()).find(),
          "%s: skopeo's error must not read as the client's fault, got: %s", what, e.stderr().strip());
    }
  }

  /** A failed fetch leaves nothing behind: no tag for a failed manifest, no bytes of a failed blob. */
  private void expectNothingCached(Problems problems, Scenario s, String image) {
    if (s.cls() == RequestClass.MANIFEST) {
      Optional<String> tag = RegistryDirs.tag(wharf.dataDir(), s.repository() + "/" + image, TAG);
      problems.expect(tag.isEmpty(), "tag %s:%s cached as %s from a failed manifest fetch (the upstream has %s)",
          image, TAG, tag.orElse(null), images.get(image).manifest().digest());
    } else {
      for (Descriptor blob : blobsOf(images.get(image))) {
        problems.expect(!RegistryDirs.hasBlob(wharf.dataDir(), blob.digest()),
            "blob %s of %s stored from a failed download", blob.digest(), image);
      }
    }
  }

  /**
   * The unmet expectations of one scenario, all reported at its end (plain strings: AssertJ's soft
   * assertions generate proxy classes under a lock, which stalls 28 threads on a busy machine).
   */
  private static final class Problems {
    private final List<String> found = new ArrayList<>();

    void expect(boolean met, String format, Object... args) {
      if (!met) {
        found.add(String.format(format, args));
      }
    }

    void assertNone(Scenario s) {
      if (!found.isEmpty()) {
        throw new AssertionError(s + ": " + found.size() + " unmet expectation(s):\n- " + String.join("\n- ", found));
      }
    }
  }

  private void pull(Scenario s, String image, Path dest) {
    try {
      Files.createDirectories(dest.getParent());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    skopeo.copy("docker://" + wharf.hostPort() + "/" + s.repository() + "/" + image + ":" + TAG, "oci:" + dest + ":" + TAG);
  }

  private Answer get(String path, String accept) {
    return Answer.get(wharf.url() + path, accept);
  }
}
