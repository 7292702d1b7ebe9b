package io.wharf.server.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream registry on a raw socket that does on purpose what real links do by accident:
 * answers an error, resets or stalls in the middle of a body, never answers, trickles. Each
 * path gets a {@link Fault}; unknown paths answer 404. Every answer closes its connection.
 */
final class FaultyUpstream implements AutoCloseable {
  /** What the upstream does with one request. */
  interface Fault {
    void serve(Socket socket, OutputStream out) throws IOException, InterruptedException;
  }

  private final ServerSocket server;
  private final Map<String, Fault> faults = new ConcurrentHashMap<>();
  private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
  /** Released on close: stalled and hanging answers end then. */
  private final CountDownLatch closed = new CountDownLatch(1);

  FaultyUpstream() throws IOException {
    server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(this::acceptLoop, "faulty-upstream");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  String host() {
    return "127.0.0.1:" + server.getLocalPort();
  }

  FaultyUpstream on(String path, Fault fault) {
    faults.put(path, fault);
    return this;
  }

  int hits(String path) {
    AtomicInteger n = hits.get(path);
    return n == null ? 0 : n.get();
  }

  // ---- faults

  static Fault answer(int status, Map<String, String> headers, byte[] body) {
    return (socket, out) -> {
      out.write(head(status, headers, body.length));
      out.write(body);
      out.flush();
    };
  }

  /** Announces the whole body, sends {@code sent} bytes of it, then resets the connection. */
  static Fault resetAfter(byte[] body, int sent) {
    return (socket, out) -> {
      out.write(head(200, Map.of(), body.length));
      out.write(body, 0, sent);
      out.flush();
      socket.setSoLinger(true, 0); // close with RST
    };
  }

  /** Announces the whole body, sends {@code sent} bytes of it, then nothing until closed. */
  Fault stallAfter(byte[] body, int sent) {
    return (socket, out) -> {
      out.write(head(200, Map.of(), body.length));
      out.write(body, 0, sent);
      out.flush();
      closed.await();
    };
  }

  /** Reads the request and never answers. */
  Fault hang() {
    return (socket, out) -> closed.await();
  }

  /** The whole body, in {@code slices} pieces {@code gapMillis} apart. */
  static Fault trickle(byte[] body, int slices, long gapMillis) {
    return (socket, out) -> {
      out.write(head(200, Map.of(), body.length));
      out.flush();
      int step = (body.length + slices - 1) / slices;
      for (int off = 0; off < body.length; off += step) {
        Thread.sleep(gapMillis); // the fault being played: a slow link
        out.write(body, off, Math.min(step, body.length - off));
        out.flush();
      }
    };
  }

  private static byte[] head(int status, Map<String, String> headers, long length) {
    StringBuilder h = new StringBuilder("HTTP/1.1 " + status + " X\r\nContent-Length: " + length
        + "\r\nConnection: close\r\n");
    headers.forEach((k, v) -> h.append(k).append(": ").append(v).append("\r\n"));
    return h.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII);
  }

  // ---- serving

  private void acceptLoop() {
    while (!server.isClosed()) {
      try {
        Socket s = server.accept();
        Thread t = new Thread(() -> serve(s), "faulty-upstream-conn");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        return;
      }
    }
  }

  private void serve(Socket s) {
    try (s) {
      String path = requestPath(s.getInputStream());
      if (path == null) {
        return;
      }
      hits.computeIfAbsent(path, k -> new AtomicInteger()).incrementAndGet();
      Fault f = faults.getOrDefault(path, answer(404, Map.of("Content-Type", "application/json"),
          "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"unknown\"}]}".getBytes(StandardCharsets.UTF_8)));
      f.serve(s, s.getOutputStream());
    } catch (IOException | InterruptedException e) {
      // the client went away, or the test ended
    }
  }

  /** The request line's path; reads the head up to the blank line. */
  private static String requestPath(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      byte[] h = head.toByteArray();
      int n = h.length;
      if (n >= 4 && h[n - 4] == '\r' && h[n - 3] == '\n' && h[n - 2] == '\r' && h[n - 1] == '\n') {
        String requestLine = new String(h, StandardCharsets.US_ASCII).split("\r\n", 2)[0];
        return requestLine.split(" ")[1];
      }
    }
    return null;
  }

  @Override
  public void close() throws IOException {
    closed.countDown();
    server.close();
  }
}
