package io.wharf.server.it;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.admin.Receiver;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * "Events are never lost": the receiver is down while 100 images are pushed, Wharf is killed
 * with SIGKILL right after the last push was answered, restarted on the same data, and the
 * receiver comes back: it gets every event at least once, in push order, and a duplicate (an
 * event whose delivery was cut by the kill) carries the same id. Needs only the JDK.
 */
class EventsCrashIT {
  static final int IMAGES = 100;
  static final JsonMapper JSON = JsonMapper.builder().build();
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir Path tmp;

  @Test
  void kill9WithEventsWaiting_everyEventArrivesAfterTheRestart_inOrder() throws Exception {
    try (Receiver receiver = new Receiver()) {
      receiver.answer(503);
      Path config = tmp.resolve("wharf.yaml");
      Files.writeString(config, """
          events:
            endpoints:
              - {name: hook, url: "%s", backoff: 50ms, maxBackoff: 500ms}
          """.formatted(receiver.url()));
      Path data = tmp.resolve("data");
      try (WharfProcess wharf = WharfProcess.serveConfig(config, data, null)) {
        for (int i = 0; i < IMAGES; i++) {
          push(wharf.url(), "crash/app", "t" + i);
        }
        wharf.kill9();
      }
      receiver.answer(200);
      try (WharfProcess wharf = WharfProcess.serveConfig(config, data, null)) {
        List<Receiver.Delivery> got = receiver.await(r -> distinct(r).size() >= IMAGES);
        Map<String, String> byId = distinct(got);
        assertThat(byId.values()).containsExactlyElementsOf(IntStream.range(0, IMAGES).mapToObj(i -> "t" + i).toList());
        assertThat(wharf.isAlive()).isTrue();
      }
    }
  }

  /** Event id -> tag, in the order first received; a redelivery repeats an id. */
  private static Map<String, String> distinct(List<Receiver.Delivery> deliveries) {
    Map<String, String> out = new LinkedHashMap<>();
    for (Receiver.Delivery d : deliveries) {
      JsonNode e = JSON.readTree(d.body()).get("events").get(0);
      out.putIfAbsent(e.get("id").asString(), e.get("target").get("tag").asString());
    }
    return out;
  }

  /** A config-only image: its config blob (monolithic upload), then the manifest. */
  private void push(String base, String name, String tag) throws Exception {
    byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"tag\":\"" + tag + "\"}")
        .getBytes(StandardCharsets.UTF_8);
    Digest digest = Digest.sha256(config);
    expect(201, HttpRequest.newBuilder(URI.create(base + "/v2/" + name + "/blobs/uploads/?digest=" + digest))
        .header("Content-Type", "application/octet-stream").POST(HttpRequest.BodyPublishers.ofByteArray(config)));
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + digest + "\",\"size\":" + config.length + "},\"layers\":[]}")
        .getBytes(StandardCharsets.UTF_8);
    expect(201, HttpRequest.newBuilder(URI.create(base + "/v2/" + name + "/manifests/" + tag))
        .header("Content-Type", MediaTypes.OCI_MANIFEST).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)));
  }

  private void expect(int status, HttpRequest.Builder request) throws Exception {
    HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(60)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
  }
}
