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
import java.time.Duration;
import java.time.Instant;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Search on two nodes sharing one S3 bucket: each node's index is its own (derived from the
 * bucket), and what one node pushes or deletes shows in the other's search within seconds, through
 * the index journal in the bucket. Waits for the condition with a generous deadline, never sleeps
 * a fixed time.
 */
class TwoNodeSearchS3Test {
  @RegisterExtension static final S3ProxyProcess S3 = new S3ProxyProcess();
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final JsonMapper JSON = JsonMapper.builder().build();
  static final Duration DEADLINE = Duration.ofSeconds(60);

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
        S3ProxyProcess.IDENTITY, S3ProxyProcess.CREDENTIAL), "two-nodes-search.yaml");
    a = WharfServer.start(config);
    b = WharfServer.start(config);
  }

  @AfterEach
  void stop() throws Exception {
    a.close();
    b.close();
  }

  static HttpResponse<byte[]> send(String method, String url, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(60))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static JsonNode search(WharfServer node, String query) throws Exception {
    HttpResponse<byte[]> r = send("GET", node.url() + "/service/rest/v1/search?" + query, null);
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** Asks until {@code done} holds or the deadline passes; returns the last answer. */
  static JsonNode await(WharfServer node, String query, Predicate<JsonNode> done) throws Exception {
    Instant deadline = Instant.now().plus(DEADLINE);
    JsonNode last = search(node, query);
    while (!done.test(last) && Instant.now().isBefore(deadline)) {
      Thread.sleep(20); // a pause between polls, not the wait: that is the deadline
      last = search(node, query);
    }
    return last;
  }

  void push(WharfServer node, String image, String tag) throws Exception {
    byte[] config = ("{\"architecture\":\"arm64\",\"os\":\"linux\",\"tag\":\"" + tag + "\"}").getBytes(StandardCharsets.UTF_8);
    byte[] layer = ("layer of " + tag).getBytes(StandardCharsets.UTF_8);
    for (byte[] blob : new byte[][] {config, layer}) {
      HttpResponse<byte[]> r = send("POST", node.url() + "/v2/" + image + "/blobs/uploads/?digest=" + Digest.sha256(blob),
          blob, "Content-Type", "application/octet-stream");
      assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
    }
    byte[] m = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + Digest.sha256(layer)
        + "\",\"size\":" + layer.length + "}]}").getBytes(StandardCharsets.UTF_8);
    HttpResponse<byte[]> r = send("PUT", node.url() + "/v2/" + image + "/manifests/" + tag, m,
        "Content-Type", MediaTypes.OCI_MANIFEST);
    assertThat(r.statusCode()).as(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo(201);
  }

  @Test
  void pushOnA_isSearchableOnB_andDeleteOnB_leavesSearchOnA() throws Exception {
    // both indexes built (on an empty bucket) before anything is pushed
    assertThat(search(a, "name=team/app").path("items")).isEmpty();
    assertThat(search(b, "name=team/app").path("items")).isEmpty();

    push(a, "team/app", "1.0");
    assertThat(search(a, "name=team/app").path("items")).as("this node's own push: at once").hasSize(1);
    JsonNode onB = await(b, "name=team/app", r -> r.path("items").size() == 1);
    assertThat(onB.path("items")).as("A's push, searched on B").hasSize(1);
    JsonNode c = onB.path("items").get(0);
    assertThat(c.path("version").asString()).isEqualTo("1.0");
    assertThat(c.path("wharf").path("platforms").get(0).asString()).isEqualTo("linux/arm64");

    // the component id is the same on every node: delete it on B, A stops finding it
    HttpResponse<byte[]> del = send("DELETE", b.url() + "/service/rest/v1/components/" + c.path("id").asString(), null);
    assertThat(del.statusCode()).as(new String(del.body(), StandardCharsets.UTF_8)).isEqualTo(204);
    JsonNode onA = await(a, "name=team/app", r -> r.path("items").isEmpty());
    assertThat(onA.path("items")).as("B's delete, searched on A").isEmpty();
  }
}
