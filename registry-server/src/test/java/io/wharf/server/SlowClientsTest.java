package io.wharf.server;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.core.model.Digest;
import io.wharf.core.model.MediaTypes;
import io.wharf.server.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Slow and greedy clients cannot starve the server: {@code server.headerTimeout} closes a
 * connection whose headers trickle in (the idle timeout never fires on one that sends a byte a
 * second), {@code server.maxConnections} caps the connections a listener holds, and with both a
 * slowloris attack of hundreds of connections leaves room for normal pulls. Success is asserted,
 * never latency; every wait is for a condition, with a deadline far beyond need.
 */
class SlowClientsTest {
  private static final Duration DEADLINE = Duration.ofSeconds(90);
  private WharfServer server;

  @AfterEach
  void stop() throws Exception {
    if (server != null) {
      server.close();
    }
  }

  private void start(String serverKeys) throws Exception {
    server = WharfServer.start(ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, accessLog: false, KEYS}
        blobStores: {default: {type: memory}}
        repositories:
          - {name: hosted}
          - {name: own-port, http: {port: 0}}
        """.replace("KEYS", serverKeys), "slow-clients-test.yaml"));
  }

  private static Socket connect(int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 60_000);
    s.setSoTimeout(60_000);
    return s;
  }

  /**
   * Sends {@code s} one more byte and waits up to 200 ms for the server to answer or close; true
   * once it has closed {@code s} (a read sees the end, or the write is refused).
   */
  private static boolean closedByServer(Socket s, byte next) {
    try {
      s.getOutputStream().write(next);
      s.getOutputStream().flush();
      s.setSoTimeout(200);
      return s.getInputStream().read() < 0;
    } catch (SocketTimeoutException e) {
      return false; // still open, nothing to read
    } catch (IOException e) {
      return true; // reset, broken pipe
    }
  }

  /** Reads one response (head and {@code Content-Length} body); returns its head. */
  private static String readResponse(InputStream in) throws IOException {
    StringBuilder head = new StringBuilder();
    while (head.indexOf("\r\n\r\n") < 0) {
      int b = in.read();
      assertThat(b).as("a response, not the end of the connection, after %s", head).isNotNegative();
      head.append((char) b);
    }
    java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?i)content-length: *(\\d+)").matcher(head);
    in.readNBytes(m.find() ? Integer.parseInt(m.group(1)) : 0);
    return head.toString();
  }

  // ---------------------------------------------------------------- the header timeout

  @Test
  void headerTimeout_closesAConnectionWhoseHeadersTrickle_thoughBytesKeepComing() throws Exception {
    start("headerTimeout: 1s, idleTimeout: 5m");
    byte[] request = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(ISO_8859_1);
    try (Socket s = connect(server.port())) {
      Instant end = Instant.now().plus(DEADLINE);
      // about five bytes a second: far more often than the idle timeout, and the headers never end
      for (int sent = 0; !closedByServer(s, sent < request.length ? request[sent] : (byte) 'a'); sent++) {
        assertThat(Instant.now()).as("the server closing a connection whose headers trickle").isBefore(end);
      }
    }
  }

  @Test
  void headerTimeout_closesANewConnectionThatSendsNothing_butNotOneThatIsServed() throws Exception {
    start("headerTimeout: 3s, idleTimeout: 5m");
    try (Socket silent = connect(server.port()); Socket served = connect(server.port())) {
      served.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(ISO_8859_1));
      assertThat(readResponse(served.getInputStream())).startsWith("HTTP/1.1 200");

      int read;
      try {
        read = silent.getInputStream().read(); // read timeout 60 s
      } catch (IOException e) {
        read = -1; // reset: closed as well
      }
      assertThat(read).as("the silent connection, closed by the server").isEqualTo(-1);
      // the served one stays open for its next request (idle timeout 5m)
      served.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
          .getBytes(ISO_8859_1));
      assertThat(new String(served.getInputStream().readAllBytes(), ISO_8859_1)).contains("HTTP/1.1 200");
    }
  }

  // ---------------------------------------------------------------- the connection cap

  @Test
  void maxConnections_aListenerHoldsNoMore_theNextIsServedWhenOneCloses() throws Exception {
    start("headerTimeout: 10m, idleTimeout: 10m, maxConnections: 3");
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Socket s = connect(server.port());
        held.add(s);
        // served once (so surely taken by the server), then kept alive between requests: a client
        // the cap makes no room from (only connections stuck in their headers make room)
        s.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(ISO_8859_1));
        assertThat(readResponse(s.getInputStream())).startsWith("HTTP/1.1 200");
      }
      // the fourth connects (the kernel's accept queue) but is not taken while three are open
      Socket extra = connect(server.port());
      extra.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
          .getBytes(ISO_8859_1));
      extra.setSoTimeout(2_000);
      assertThatThrownBy(() -> extra.getInputStream().read()).isInstanceOf(SocketTimeoutException.class);

      held.remove(0).close();

      extra.setSoTimeout(60_000);
      assertThat(new String(extra.getInputStream().readAllBytes(), ISO_8859_1)).startsWith("HTTP/1.1 200");
      extra.close();
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
  }

  @Test
  void maxConnections_reached_connectionsStuckInTheirHeadersMakeRoomForANewClient() throws Exception {
    // a header timeout far beyond the deadline: only making room at the cap can serve the new client
    start("headerTimeout: 10m, idleTimeout: 10m, maxConnections: 3");
    List<Socket> stuck = new ArrayList<>();
    try {
      for (int i = 0; i < 3; i++) {
        Socket s = connect(server.port());
        stuck.add(s);
        s.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(ISO_8859_1));
      }
      try (Socket client = connect(server.port())) {
        client.getOutputStream().write("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
            .getBytes(ISO_8859_1));
        client.setSoTimeout((int) DEADLINE.toMillis());
        assertThat(new String(client.getInputStream().readAllBytes(), ISO_8859_1)).startsWith("HTTP/1.1 200");
      }
      // room was made by closing the stuck connections
      assertThat(stuck.stream().filter(s -> closedByServer(s, (byte) 'a')).count())
          .as("stuck connections the server closed").isPositive();
    } finally {
      for (Socket s : stuck) {
        s.close();
      }
    }
  }

  // ---------------------------------------------------------------- slowloris

  /**
   * Hundreds of connections, each sending one header byte about every half second, for as long
   * as the test runs, reconnecting whenever the server drops one: more than the main port's
   * {@code maxConnections}. Normal pulls (each on a new connection) on the main port and on a
   * repository's own port all succeed meanwhile.
   */
  @Test
  void slowloris_normalPullsStillSucceed() throws Exception {
    start("headerTimeout: 2s, idleTimeout: 5m, maxConnections: 100");
    byte[] layer = new byte[256 * 1024];
    new Random(7).nextBytes(layer);
    Digest layerDigest = push("team/app", layer);
    push("team/app", layer); // the same on the repository's port
    try (Slowloris attack = new Slowloris(server.port(), 300)) {
      assertThat(attack.opened.await(DEADLINE.toSeconds(), TimeUnit.SECONDS))
          .as("the attack opening more connections than the cap").isTrue();
      assertThat(attack.dropped.await(DEADLINE.toSeconds(), TimeUnit.SECONDS))
          .as("the server dropping slow connections").isTrue();

      for (int i = 0; i < 10; i++) {
        for (int port : new int[] {server.port(), server.port("own-port")}) {
          assertThat(pull(port, "/v2/team/app/manifests/1.0")).isNotEmpty();
          assertThat(Digest.sha256(pull(port, "/v2/team/app/blobs/" + layerDigest))).isEqualTo(layerDigest);
        }
      }
    }
  }

  /** The attacker: {@code connections} sockets, one header byte each per tick; dropped ones reopen. */
  private static final class Slowloris implements AutoCloseable {
    private static final byte[] HEAD = "GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".getBytes(ISO_8859_1);
    /** Down to zero once 120 connections were opened (the cap is 100). */
    final CountDownLatch opened = new CountDownLatch(120);
    /** Down to zero once the server closed 50 of them. */
    final CountDownLatch dropped = new CountDownLatch(50);
    private final int port;
    private final Socket[] sockets;
    private final int[] sent;
    private final ScheduledExecutorService ticker = Executors.newScheduledThreadPool(2);

    Slowloris(int port, int connections) {
      this.port = port;
      this.sockets = new Socket[connections];
      this.sent = new int[connections];
      int half = connections / 2;
      ticker.scheduleWithFixedDelay(() -> tick(0, half), 0, 500, TimeUnit.MILLISECONDS);
      ticker.scheduleWithFixedDelay(() -> tick(half, connections), 250, 500, TimeUnit.MILLISECONDS);
    }

    private void tick(int from, int to) {
      for (int i = from; i < to; i++) {
        try {
          if (sockets[i] == null) {
            Socket s = new Socket();
            sockets[i] = s;
            sent[i] = 0;
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 2_000);
            opened.countDown();
          }
          OutputStream out = sockets[i].getOutputStream();
          out.write(sent[i] < HEAD.length ? HEAD[sent[i]] : 'a');
          out.flush();
          sent[i]++;
        } catch (IOException e) {
          if (sockets[i] != null && sockets[i].isConnected()) {
            dropped.countDown();
          }
          closeQuietly(sockets[i]);
          sockets[i] = null;
        }
      }
    }

    @Override
    public void close() throws InterruptedException {
      ticker.shutdownNow();
      ticker.awaitTermination(60, TimeUnit.SECONDS);
      for (Socket s : sockets) {
        closeQuietly(s);
      }
    }

    private static void closeQuietly(Socket s) {
      try {
        if (s != null) {
          s.close();
        }
      } catch (IOException e) {
        // gone already
      }
    }
  }

  // ---------------------------------------------------------------- plain pushes and pulls

  /** Pushes a config, {@code layer} and a manifest tagged 1.0 to both listeners; returns the layer's digest. */
  private Digest push(String name, byte[] layer) throws Exception {
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    byte[] config = "{\"os\":\"linux\"}".getBytes(UTF_8);
    Digest layerDigest = Digest.sha256(layer);
    byte[] manifest = ("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_MANIFEST + "\",\"config\":{\"mediaType\":\""
        + MediaTypes.OCI_CONFIG + "\",\"digest\":\"" + Digest.sha256(config) + "\",\"size\":" + config.length
        + "},\"layers\":[{\"mediaType\":\"" + MediaTypes.OCI_LAYER_TAR_GZIP + "\",\"digest\":\"" + layerDigest
        + "\",\"size\":" + layer.length + "}]}").getBytes(UTF_8);
    for (URI base : List.of(server.url(), server.url("own-port"))) {
      for (byte[] blob : List.of(config, layer)) {
        HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/v2/" + name + "/blobs/uploads/?digest="
            + Digest.sha256(blob))).POST(HttpRequest.BodyPublishers.ofByteArray(blob)).build(),
            HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
      }
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(base.resolve("/v2/" + name + "/manifests/1.0"))
          .header("Content-Type", MediaTypes.OCI_MANIFEST).PUT(HttpRequest.BodyPublishers.ofByteArray(manifest)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    }
    return layerDigest;
  }

  /** A GET on a new connection, as a fresh client makes it; returns the body of a 200. */
  private static byte[] pull(int port, String path) throws IOException {
    try (Socket s = connect(port)) {
      s.getOutputStream().write(("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + MediaTypes.OCI_MANIFEST
          + "\r\nConnection: close\r\n\r\n").getBytes(ISO_8859_1));
      InputStream in = s.getInputStream();
      byte[] response = in.readAllBytes();
      String text = new String(response, ISO_8859_1);
      assertThat(text).as("response to GET %s", path).startsWith("HTTP/1.1 200");
      int end = text.indexOf("\r\n\r\n");
      return Arrays.copyOfRange(response, end + 4, response.length);
    }
  }
}
