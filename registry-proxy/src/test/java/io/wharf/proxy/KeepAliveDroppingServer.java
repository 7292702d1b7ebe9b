package io.wharf.proxy;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An upstream (or a forward proxy such as tinyproxy) that keeps connections alive after an
 * answer but closes each one, without a word, when a second request arrives on it: what a
 * client sees when its pooled connection was closed by the other side just as it reused it.
 */
final class KeepAliveDroppingServer implements AutoCloseable {
  private final ServerSocket socket;
  private final AtomicInteger connections = new AtomicInteger();
  private final AtomicInteger dropped = new AtomicInteger();
  private final CountDownLatch opened;

  /** Answers every first request of a connection with {@code headers} and {@code body}. */
  KeepAliveDroppingServer(String headers, byte[] body) throws IOException {
    this(headers, body, 1);
  }

  /**
   * As {@link #KeepAliveDroppingServer(String, byte[])}, but holds the first answers until {@code
   * together} connections are open, so that concurrent requests leave that many connections in
   * the client's pool.
   */
  KeepAliveDroppingServer(String headers, byte[] body, int together) throws IOException {
    opened = new CountDownLatch(together);
    socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread acceptor = new Thread(() -> {
      while (!socket.isClosed()) {
        try {
          Socket s = socket.accept();
          connections.incrementAndGet();
          opened.countDown();
          Thread t = new Thread(() -> serve(s, headers, body), "keep-alive-dropping-conn");
          t.setDaemon(true);
          t.start();
        } catch (IOException e) {
          return;
        }
      }
    }, "keep-alive-dropping");
    acceptor.setDaemon(true);
    acceptor.start();
  }

  private void serve(Socket s, String headers, byte[] body) {
    try (s) {
      InputStream in = s.getInputStream();
      if (!readHead(in)) {
        return;
      }
      if (!opened.await(60, TimeUnit.SECONDS)) {
        return;
      }
      OutputStream out = s.getOutputStream();
      out.write(("HTTP/1.1 200 OK\r\nContent-Length: " + body.length + "\r\n" + headers + "\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.write(body);
      out.flush();
      if (readHead(in)) {
        dropped.incrementAndGet(); // the second request: close without an answer
      }
    } catch (IOException e) {
      // the client went away
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static boolean readHead(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    int b;
    while ((b = in.read()) >= 0) {
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
      if (matched == 4) {
        return true;
      }
    }
    return false;
  }

  int port() {
    return socket.getLocalPort();
  }

  int connections() {
    return connections.get();
  }

  /** Requests that arrived on a reused connection and were dropped unanswered. */
  int dropped() {
    return dropped.get();
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
