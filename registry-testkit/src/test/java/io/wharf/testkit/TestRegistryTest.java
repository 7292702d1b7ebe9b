package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.Digest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** {@link TestRegistry} without JUnit's help: {@code start()}, use, {@code close()}. */
class TestRegistryTest {

  @Test
  void start_servesTheApiOnALoopbackPort_closeFreesIt() throws IOException {
    int port;
    try (TestRegistry registry = TestRegistry.start()) {
      port = registry.url().getPort();
      assertThat(registry.url().toString()).isEqualTo("http://127.0.0.1:" + port);
      assertThat(registry.hostPort()).isEqualTo("127.0.0.1:" + port);
      assertThat(registry.imageRef("team/app", "1.0")).isEqualTo("127.0.0.1:" + port + "/team/app:1.0");
      assertThat(registry.imageRef("team/app", "sha256:" + "a".repeat(64)))
          .isEqualTo("127.0.0.1:" + port + "/team/app@sha256:" + "a".repeat(64));

      HttpResponse<byte[]> base = Http.get(registry.url(), "/v2/");
      assertThat(base.statusCode()).isEqualTo(200);
      assertThat(base.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
    }
    assertThatThrownBy(() -> new Socket("127.0.0.1", port).close()).isInstanceOf(ConnectException.class);
  }

  @Test
  void push_fixture_isServedOverHttpAndVisibleToInspection() {
    TestImage image = TestImages.seeded(11).layers(3, 4096).platforms("linux/amd64", "linux/arm64").build();
    try (TestRegistry registry = TestRegistry.start()) {
      Digest pushed = registry.push("team/app", "1.0", image);
      registry.push("team/app", "latest", image);
      registry.push("team/tools", TestImages.seeded(12).build());

      assertThat(pushed).isEqualTo(image.digest());
      assertThat(registry.tags("team/app")).containsExactly("1.0", "latest");
      assertThat(registry.tags("team/tools")).isEmpty();
      assertThat(registry.tags("nobody/here")).isEmpty();
      assertThat(registry.catalog()).containsExactly("team/app", "team/tools");
      assertThat(registry.blobs()).containsAll(image.digests());
      StoredManifest index = registry.manifest("team/app:1.0").orElseThrow();
      assertThat(index.digest()).isEqualTo(image.digest());
      assertThat(index.children()).hasSize(2);
      assertThat(registry.manifest("team/app@" + image.images().get(1).digest())).isPresent();
      assertThat(registry.manifest("team/app")).isPresent(); // latest
      assertThat(registry.manifest("team/app:2.0")).isEmpty();

      HttpResponse<byte[]> manifest = Http.get(registry.url(), "/v2/team/app/manifests/1.0");
      assertThat(manifest.statusCode()).isEqualTo(200);
      assertThat(manifest.body()).isEqualTo(image.manifest().bytes());
      assertThat(manifest.headers().firstValue("Docker-Content-Digest")).hasValue(image.digest().value());
      TestImage.Content layer = image.images().get(1).layers().get(2).blob();
      assertThat(Http.get(registry.url(), "/v2/team/app/blobs/" + layer.digest()).body()).isEqualTo(layer.bytes());

      assertThat(registry.journal().requests()).hasSize(2); // seeding and inspection are not requests
    }
  }

  @Test
  void journal_recordsEveryRequest_inOrder_withStatus() {
    try (TestRegistry registry = TestRegistry.start()) {
      TestImage image = TestImages.seeded(5).build();
      registry.push("team/app", "1.0", image);

      Http.head(registry.url(), "/v2/team/app/manifests/1.0");
      Http.get(registry.url(), "/v2/team/app/manifests/1.0");
      Http.get(registry.url(), "/v2/team/app/manifests/2.0");
      Http.get(registry.url(), "/v2/team/app/tags/list?n=10");

      RequestJournal journal = registry.journal();
      assertThat(journal.lines()).containsExactly(
          "HEAD /v2/team/app/manifests/1.0",
          "GET /v2/team/app/manifests/1.0",
          "GET /v2/team/app/manifests/2.0",
          "GET /v2/team/app/tags/list");
      RecordedRequest missing = journal.requests().get(2);
      assertThat(missing.status()).isEqualTo(404);
      assertThat(missing.endpoint()).isEqualTo(Endpoint.MANIFEST);
      assertThat(missing.image()).isEqualTo("team/app");
      assertThat(missing.reference()).isEqualTo("2.0");
      assertThat(missing.repository()).isEqualTo(TestRegistry.HOSTED);
      assertThat(missing.user()).isNull();
      assertThat(journal.requests().get(3).query()).isEqualTo("n=10");
      assertThat(journal.pulledManifests("team/app")).containsExactly("1.0");
      assertThat(journal.count("GET", Endpoint.MANIFEST)).isEqualTo(2);
      assertThat(journal.count("GET", Endpoint.ANY)).isEqualTo(3);

      journal.clear();
      assertThat(journal.requests()).isEmpty();
    }
  }

  /**
   * A {@code PATCH} whose body the test holds back arrives first and ends last; the {@code GET}
   * sent meanwhile ends first. The journal lists them as they arrived (it once listed them as
   * they ended, so an exact-order assertion on a client's requests flaked with the machine's
   * timing). Nothing here depends on timing: the test waits for the PATCH to be in the registry
   * before it sends the GET, and completes the PATCH only after the GET's response.
   */
  @Test
  void journal_isInArrivalOrder_whenAnEarlierRequestEndsLast() throws Exception {
    try (TestRegistry registry = TestRegistry.start()) {
      HttpResponse<byte[]> started = Http.send(HttpRequest.newBuilder(registry.url().resolve("/v2/team/app/blobs/uploads/"))
          .POST(HttpRequest.BodyPublishers.noBody()).build());
      assertThat(started.statusCode()).isEqualTo(202);
      String upload = registry.url().resolve(started.headers().firstValue("Location").orElseThrow()).getRawPath();
      RequestJournal journal = registry.journal();
      assertThat(journal.size()).isEqualTo(1); // waits for the POST's bookkeeping: nothing in flight now

      try (Socket socket = new Socket(registry.url().getHost(), registry.url().getPort())) {
        socket.setSoTimeout(60_000);
        OutputStream out = socket.getOutputStream();
        out.write(("PATCH " + upload + " HTTP/1.1\r\nHost: " + registry.hostPort() + "\r\n"
            + "Content-Type: application/octet-stream\r\nContent-Length: 8\r\nConnection: close\r\n\r\n"
            + "half").getBytes(StandardCharsets.US_ASCII));
        out.flush();
        // the PATCH is in the registry, reading a body that is not all there
        assertThat(journal.awaitInFlight(1, Duration.ofSeconds(60))).as("the PATCH arrived").isTrue();

        assertThat(Http.get(registry.url(), "/v2/").statusCode()).isEqualTo(200); // arrives later, ends first

        out.write("more".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        String status = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII))
            .readLine();
        assertThat(status).startsWith("HTTP/1.1 202");
      }

      assertThat(journal.lines()).containsExactly(
          "POST /v2/team/app/blobs/uploads/",
          "PATCH " + upload,
          "GET /v2/");
    }
  }

  @Test
  void reset_emptiesStorageJournalAndFaults_onTheSamePort() {
    try (TestRegistry registry = TestRegistry.start()) {
      int port = registry.url().getPort();
      registry.push("team/app", "1.0", TestImages.seeded(5).build());
      Http.get(registry.url(), "/v2/team/app/manifests/1.0");
      registry.faults().failNext(5, 500);

      registry.reset();

      assertThat(registry.url().getPort()).isEqualTo(port);
      assertThat(registry.catalog()).isEmpty();
      assertThat(registry.blobs()).isEmpty();
      assertThat(registry.journal().requests()).isEmpty();
      assertThat(Http.get(registry.url(), "/v2/team/app/manifests/1.0").statusCode()).isEqualTo(404);
    }
  }

  @Test
  void tempDirectoryStorage_writesDistributionLayout_deletedOnClose() throws IOException {
    Path root;
    try (TestRegistry registry = TestRegistry.start(TestRegistryOptions.defaults()
        .storage(TestRegistryOptions.Storage.TEMP_DIRECTORY))) {
      TestImage image = TestImages.seeded(9).build();
      registry.push("team/app", "1.0", image);
      assertThat(registry.tags("team/app")).containsExactly("1.0");
      root = registry.hosted().storageDirectory().orElseThrow();
      Path link = root.resolve("docker/registry/v2/repositories/team/app/_manifests/tags/1.0/current/link");
      assertThat(Files.readString(link)).isEqualTo(image.digest().value());
    }
    assertThat(root).doesNotExist();
  }

  @Test
  void start_portTaken_failsClearly() throws IOException {
    try (java.net.ServerSocket taken = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      assertThatThrownBy(() -> TestRegistry.start(TestRegistryOptions.defaults().port(taken.getLocalPort())))
          .hasMessageContaining("could not start the test registry");
    }
  }

  @Test
  void upstream_withoutFakeUpstream_saysHowToGetOne() {
    try (TestRegistry registry = TestRegistry.start()) {
      assertThatThrownBy(registry::upstream).hasMessageContaining("fakeUpstream()");
      assertThatThrownBy(registry::proxy).hasMessageContaining("no repository proxy");
    }
  }

  @Test
  void jettyRefusal_ambiguousPath_isNameInvalidInTheOciEnvelope() throws IOException {
    try (TestRegistry registry = TestRegistry.start();
        Socket socket = new Socket(registry.url().getHost(), registry.url().getPort())) {
      socket.setSoTimeout(60_000);
      // sent raw: an HTTP client would normalise the empty segment away
      socket.getOutputStream().write(("GET /v2/a//b/tags/list HTTP/1.1\r\nHost: " + registry.hostPort()
          + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
      String response = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);

      assertThat(response).startsWith("HTTP/1.1 400").contains("\"code\":\"NAME_INVALID\"");
    }
  }
}
