package io.wharf.server.proxy;

import static io.wharf.server.proxy.FaultyUpstream.answer;
import static io.wharf.server.proxy.FaultyUpstream.resetAfter;
import static io.wharf.server.proxy.FaultyUpstream.trickle;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.core.repository.Registry;
import io.wharf.core.testing.MutableClock;
import io.wharf.proxy.ProxyRepository;
import io.wharf.server.WharfServer;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.memory.InMemoryDriver;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a client of a proxy repository sees for each way its upstream can fail, over real HTTP:
 * never a 400 (the client's fault), but 502 (the upstream broke off or sent wrong bytes), 503
 * (unreachable, 5xx, auto-blocked) or 504 (no byte for the read timeout), each with the OCI
 * envelope naming the upstream; and once bytes have gone out, a truncated body, never a 200
 * that completes.
 */
class ProxyUpstreamFaultsTest {
  static final String MANIFEST = "/v2/team/app/manifests/1.0";

  @TempDir Path work;
  final HttpClient http = HttpClient.newHttpClient();
  final MutableClock clock = new MutableClock();
  FaultyUpstream upstream;
  ProxyRepository proxyRepo;
  WharfServer proxy;

  @BeforeEach
  void start() throws Exception {
    upstream = new FaultyUpstream();
    // The clock stands still: only the real socket read timeout (2 s) can end a download here.
    startProxy(ProxyRepository.builder("cache", new InMemoryDriver(), URI.create("http://" + upstream.host()))
        .clock(clock)
        .spoolDirectory(work.resolve("spool"))
        .readTimeout(Duration.ofSeconds(2))
        .connectTimeout(Duration.ofSeconds(2))
        .retries(0)
        .autoBlock(1000, Duration.ofSeconds(30), Duration.ofMinutes(5)));
  }

  void startProxy(ProxyRepository.Builder b) throws Exception {
    stopProxy();
    proxyRepo = b.build();
    proxy = WharfServer.start(WharfConfig.defaults().override("127.0.0.1", 0, null), Registry.of(proxyRepo));
  }

  void stopProxy() throws Exception {
    if (proxy != null) {
      proxy.close();
      proxyRepo.close();
    }
  }

  @AfterEach
  void stop() throws Exception {
    stopProxy();
    upstream.close();
  }

  // ---- manifests

  @Test
  void manifest_upstream500_is503NamingTheUpstream() throws Exception {
    upstream.on(MANIFEST, answer(500, Map.of(), new byte[0]));

    HttpResponse<String> r = get(MANIFEST);

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("\"code\":\"UNAVAILABLE\"").contains(upstream.host()).contains("answered 500");
  }

  @Test
  void manifest_upstream429_is429WithItsRetryAfter() throws Exception {
    upstream.on(MANIFEST, answer(429, Map.of("Retry-After", "42"), new byte[0]));

    HttpResponse<String> r = get(MANIFEST);

    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(r.headers().firstValue("Retry-After")).hasValue("42");
    assertThat(r.body()).contains("\"code\":\"TOOMANYREQUESTS\"").contains(upstream.host());
  }

  @Test
  void manifest_noAnswerForTheReadTimeout_is504() throws Exception {
    upstream.on(MANIFEST, upstream.hang());

    HttpResponse<String> r = get(MANIFEST);

    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.body()).contains("\"code\":\"UNAVAILABLE\"").contains(upstream.host()).contains("sent nothing for 2 s");
  }

  @Test
  void manifest_resetMidBody_is502() throws Exception {
    byte[] m = manifest(1);
    upstream.on(MANIFEST, resetAfter(m, m.length / 2));

    HttpResponse<String> r = get(MANIFEST);

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("\"code\":\"UNAVAILABLE\"").contains(upstream.host()).contains("broke off");
  }

  @Test
  void manifest_bodyNotMatchingTheStatedDigest_is502() throws Exception {
    byte[] m = manifest(1);
    upstream.on(MANIFEST, answer(200, Map.of("Content-Type", MediaTypes.OCI_MANIFEST,
        "Docker-Content-Digest", Digest.sha256(manifest(2)).value()), m));

    HttpResponse<String> r = get(MANIFEST);

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains(upstream.host()).contains("hashes to " + Digest.sha256(m));
  }

  @Test
  void upstreamUnreachable_is503() throws Exception {
    upstream.close(); // nothing listens on its port any more

    HttpResponse<String> r = get(MANIFEST);

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("\"code\":\"UNAVAILABLE\"").contains(upstream.host()).contains("unreachable");
  }

  // ---- blobs

  @Test
  void blob_upstream500_is503() throws Exception {
    byte[] blob = random(10_000, 1);
    upstream.on(blobPath(blob), answer(500, Map.of(), new byte[0]));

    HttpResponse<String> r = get(blobPath(blob));

    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(r.body()).contains("\"code\":\"UNAVAILABLE\"").contains(upstream.host());
  }

  @Test
  void blob_resetMidBodyBeforeTheClientGotAByte_is502NotBlobUploadInvalid() throws Exception {
    byte[] blob = random(20_000, 2);
    upstream.on(blobPath(blob), resetAfter(blob, 10_000));

    HttpResponse<String> r = get(blobPath(blob));

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains("\"code\":\"UNAVAILABLE\"").contains(upstream.host())
        .doesNotContain("BLOB_UPLOAD_INVALID");
  }

  @Test
  void blob_wrongBytesOfTheRightLength_is502AndTheRetryAfterHealingGetsTheBlob() throws Exception {
    byte[] blob = random(500_000, 7); // streamed as a download in progress, sent only once verified
    byte[] wrong = blob.clone();
    wrong[1000] ^= 1;
    upstream.on(blobPath(blob), answer(200, Map.of(), wrong));

    HttpResponse<String> r = get(blobPath(blob));

    assertThat(r.statusCode()).isEqualTo(502);
    assertThat(r.body()).contains(upstream.host()).contains("hashing to " + Digest.sha256(wrong)).contains("not cached");

    upstream.on(blobPath(blob), answer(200, Map.of(), blob));
    HttpResponse<byte[]> healed = http.send(HttpRequest.newBuilder(URI.create(proxy.url() + blobPath(blob))).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    assertThat(healed.statusCode()).isEqualTo(200);
    assertThat(healed.body()).isEqualTo(blob);
  }

  @Test
  void blob_stallMidBody_is504() throws Exception {
    byte[] blob = random(20_000, 3);
    upstream.on(blobPath(blob), upstream.stallAfter(blob, 10_000));

    HttpResponse<String> r = get(blobPath(blob));

    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.body()).contains("\"code\":\"UNAVAILABLE\"").contains(upstream.host());
  }

  @Test
  void blob_noAnswerForTheReadTimeout_is504() throws Exception {
    byte[] blob = random(20_000, 4);
    upstream.on(blobPath(blob), upstream.hang());

    HttpResponse<String> r = get(blobPath(blob));

    assertThat(r.statusCode()).isEqualTo(504);
    assertThat(r.body()).contains(upstream.host()).contains("sent nothing for 2 s");
  }

  @Test
  void blob_failureAfterTheClientGotBytes_clientSeesATruncatedBodyNeverA200ThatCompletes() throws Exception {
    byte[] blob = random(3 * 1024 * 1024, 5);
    // 2 MiB arrive, then nothing: the first MiB has surely gone out when the read timeout ends it.
    upstream.on(blobPath(blob), upstream.stallAfter(blob, 2 * 1024 * 1024));

    HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(URI.create(proxy.url() + blobPath(blob))).build(),
        HttpResponse.BodyHandlers.ofInputStream());

    assertThat(r.statusCode()).isEqualTo(200); // streaming had begun when the upstream broke off
    assertThat(r.headers().firstValueAsLong("Content-Length")).hasValue(blob.length);
    long[] received = {0};
    assertThatThrownBy(() -> {
      try (InputStream in = r.body()) {
        byte[] buf = new byte[64 * 1024];
        for (int n; (n = in.read(buf)) >= 0; ) {
          received[0] += n;
        }
      }
    }).isInstanceOf(IOException.class);
    assertThat(received[0]).isLessThan(blob.length);
  }

  @Test
  void blob_trickledSlowerThanTheReadTimeoutInAll_arrivesWhole() throws Exception {
    byte[] blob = random(400_000, 6); // large enough to stream as a download in progress
    // 16 slices 250 ms apart: 4 s in all, twice the read timeout; no gap comes near it.
    upstream.on(blobPath(blob), trickle(blob, 16, 250));

    HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(URI.create(proxy.url() + blobPath(blob))).build(),
        HttpResponse.BodyHandlers.ofByteArray());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(blob);
  }

  // ---- auto-block

  @Test
  void autoBlocked_everyRefusalCarriesRetryAfterAndSaysWhy() throws Exception {
    startProxy(ProxyRepository.builder("cache", new InMemoryDriver(), URI.create("http://" + upstream.host()))
        .clock(clock).spoolDirectory(work.resolve("spool")).retries(0)
        .autoBlock(1, Duration.ofSeconds(30), Duration.ofMinutes(5)));
    upstream.on(MANIFEST, answer(429, Map.of("Retry-After", "7"), new byte[0]));
    assertThat(get(MANIFEST).statusCode()).isEqualTo(429);

    HttpResponse<String> blocked = get(MANIFEST);
    clock.advance(Duration.ofMillis(25_500));
    HttpResponse<String> later = get("/v2/team/other/manifests/2.0");

    assertThat(blocked.statusCode()).isEqualTo(503);
    assertThat(blocked.headers().firstValue("Retry-After")).hasValue("30");
    assertThat(blocked.body()).contains("auto-blocked").contains("rate-limits this proxy").contains(upstream.host());
    assertThat(later.statusCode()).isEqualTo(503);
    assertThat(later.headers().firstValue("Retry-After")).hasValue("5");
    assertThat(upstream.hits(MANIFEST)).isEqualTo(1);
  }

  // ---- helpers

  HttpResponse<String> get(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(proxy.url() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static String blobPath(byte[] blob) {
    return "/v2/team/app/blobs/" + Digest.sha256(blob);
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] manifest(long seed) {
    Digest config = Digest.sha256(("config" + seed).getBytes(StandardCharsets.UTF_8));
    Digest layer = Digest.sha256(("layer" + seed).getBytes(StandardCharsets.UTF_8));
    return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + config + "\",\"size\":2},\"layers\":[{\"mediaType\":\""
        + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + layer + "\",\"size\":10}]}")
        .getBytes(StandardCharsets.UTF_8);
  }
}
