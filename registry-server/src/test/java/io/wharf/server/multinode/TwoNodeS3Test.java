package io.wharf.server.multinode;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import io.wharf.server.config.WharfConfig;
import io.wharf.storage.s3.S3ProxyProcess;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two stateless Wharf nodes on one S3 bucket (s3proxy on loopback): whatever one node did, the
 * other sees at once, because nothing that matters lives only in a node's memory.
 */
class TwoNodeS3Test {
  @RegisterExtension static final S3ProxyProcess S3 = new S3ProxyProcess();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  WharfServer a;
  WharfServer b;

  @BeforeEach
  void start() throws Exception {
    WharfConfig config = ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          shared: {type: s3, bucket: %s, prefix: %s, region: us-east-1, endpoint: '%s', pathStyle: true,
                   accessKey: %s, secretKey: %s, partSize: 5MiB}
        repositories: [{name: hosted, blobStore: shared}]
        """.formatted(S3ProxyProcess.BUCKET, S3ProxyProcess.uniquePrefix(), S3.endpoint(),
        S3ProxyProcess.IDENTITY, S3ProxyProcess.CREDENTIAL), "two-nodes.yaml");
    a = WharfServer.start(config);
    b = WharfServer.start(config);
  }

  @AfterEach
  void stop() throws Exception {
    a.close();
    b.close();
  }

  static HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static String location(HttpResponse<?> r) {
    return r.headers().firstValue("Location").orElseThrow();
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static byte[] manifest(byte[] config, Digest layer, long layerSize) {
    return ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + layer
        + "\",\"size\":" + layerSize + "}]}").getBytes(StandardCharsets.UTF_8);
  }

  void pushBlob(WharfServer node, String image, byte[] blob) throws Exception {
    HttpResponse<byte[]> r = send("POST", node.url() + "/v2/" + image + "/blobs/uploads/?digest=" + Digest.sha256(blob), blob,
        "Content-Type", "application/octet-stream");
    assertThat(r.statusCode()).as(new String(r.body())).isEqualTo(201);
  }

  @Test
  void pushThroughA_pullThroughB() throws Exception {
    byte[] config = "{\"node\":\"a\"}".getBytes(StandardCharsets.UTF_8);
    byte[] layer = random(1_000_000, 1);
    pushBlob(a, "team/app", config);
    pushBlob(a, "team/app", layer);
    byte[] m = manifest(config, Digest.sha256(layer), layer.length);
    assertThat(send("PUT", a.url() + "/v2/team/app/manifests/1.0", m, "Content-Type", MediaTypes.OCI_MANIFEST)
        .statusCode()).isEqualTo(201);

    HttpResponse<byte[]> manifest = send("GET", b.url() + "/v2/team/app/manifests/1.0", null);
    assertThat(manifest.statusCode()).isEqualTo(200);
    assertThat(manifest.body()).isEqualTo(m);
    HttpResponse<byte[]> blob = send("GET", b.url() + "/v2/team/app/blobs/" + Digest.sha256(layer), null);
    assertThat(blob.statusCode()).isEqualTo(200);
    assertThat(blob.body()).isEqualTo(layer);
    assertThat(new String(send("GET", b.url() + "/v2/_catalog", null).body(), StandardCharsets.UTF_8))
        .contains("team/app");
  }

  @Test
  void chunkedUpload_alternatingBetweenNodes_finishesOnTheOther() throws Exception {
    // 6 MiB + 3 MiB + 4 MiB: more than one 5 MiB part, with tails below S3's minimum part size
    byte[] blob = random(13 * 1024 * 1024, 2);
    Digest digest = Digest.sha256(blob);
    int[] cuts = {0, 6 << 20, 9 << 20, 13 << 20};

    String loc = location(send("POST", a.url() + "/v2/team/chunks/blobs/uploads/", null));
    WharfServer[] nodes = {b, a, b};
    for (int i = 0; i < 2; i++) {
      byte[] chunk = Arrays.copyOfRange(blob, cuts[i], cuts[i + 1]);
      HttpResponse<byte[]> patch = send("PATCH", nodes[i].url() + loc, chunk,
          "Content-Type", "application/octet-stream", "Content-Range", cuts[i] + "-" + (cuts[i + 1] - 1));
      assertThat(patch.statusCode()).as(new String(patch.body())).isEqualTo(202);
      assertThat(patch.headers().firstValue("Range")).hasValue("0-" + (cuts[i + 1] - 1));
      loc = location(patch);
    }
    HttpResponse<byte[]> status = send("GET", a.url() + loc, null);
    assertThat(status.headers().firstValue("Range")).hasValue("0-" + (cuts[2] - 1));
    byte[] last = Arrays.copyOfRange(blob, cuts[2], cuts[3]);
    HttpResponse<byte[]> put = send("PUT", nodes[2].url() + loc + "?digest=" + digest, last,
        "Content-Type", "application/octet-stream", "Content-Range", cuts[2] + "-" + (cuts[3] - 1));
    assertThat(put.statusCode()).as(new String(put.body())).isEqualTo(201);

    HttpResponse<byte[]> get = send("GET", a.url() + "/v2/team/chunks/blobs/" + digest, null);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(Digest.sha256(get.body())).isEqualTo(digest);
  }

  @Test
  void tagMovedOnA_isSeenOnBAtOnce() throws Exception {
    byte[] config1 = "{\"v\":1}".getBytes(StandardCharsets.UTF_8);
    byte[] config2 = "{\"v\":2}".getBytes(StandardCharsets.UTF_8);
    byte[] layer = random(1000, 3);
    pushBlob(a, "team/moving", config1);
    pushBlob(a, "team/moving", config2);
    pushBlob(a, "team/moving", layer);
    byte[] m1 = manifest(config1, Digest.sha256(layer), layer.length);
    byte[] m2 = manifest(config2, Digest.sha256(layer), layer.length);

    send("PUT", a.url() + "/v2/team/moving/manifests/latest", m1, "Content-Type", MediaTypes.OCI_MANIFEST);
    assertThat(send("HEAD", b.url() + "/v2/team/moving/manifests/latest", null).headers()
        .firstValue("Docker-Content-Digest")).hasValue(Digest.sha256(m1).value());

    send("PUT", a.url() + "/v2/team/moving/manifests/latest", m2, "Content-Type", MediaTypes.OCI_MANIFEST);
    assertThat(send("HEAD", b.url() + "/v2/team/moving/manifests/latest", null).headers()
        .firstValue("Docker-Content-Digest")).hasValue(Digest.sha256(m2).value());

    send("DELETE", a.url() + "/v2/team/moving/manifests/" + Digest.sha256(m2), null);
    assertThat(send("GET", b.url() + "/v2/team/moving/manifests/" + Digest.sha256(m2), null).statusCode()).isEqualTo(404);
  }
}
