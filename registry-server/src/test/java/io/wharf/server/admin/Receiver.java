package io.wharf.server.admin;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.function.Predicate;

/**
 * A webhook receiver for tests: a real HTTP server on loopback that keeps every request it gets
 * and answers as told (200, an error status, or not at all until released).
 */
public final class Receiver implements AutoCloseable {
  /** One request as received: headers (lower-case names) and body. */
  public record Delivery(Map<String, String> headers, byte[] body) {
    public String header(String name) {
      return headers.get(name.toLowerCase(java.util.Locale.ROOT));
    }

    public String text() {
      return new String(body, java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private final HttpServer server;
  private final List<Delivery> received = new ArrayList<>();
  private volatile int status = 200;
  private volatile CountDownLatch hold = new CountDownLatch(0);

  public Receiver() throws IOException {
    this(0);
  }

  /** On {@code port} (0: any free one): a receiver that comes back on the port it had. */
  public Receiver(int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 50);
    server.setExecutor(Executors.newCachedThreadPool());
    server.createContext("/", exchange -> {
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      try {
        hold.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      int answer = status;
      if (answer >= 200 && answer < 300) {
        Map<String, String> headers = new TreeMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(java.util.Locale.ROOT), v.get(0)));
        synchronized (received) {
          received.add(new Delivery(headers, body));
          received.notifyAll();
        }
      }
      exchange.sendResponseHeaders(answer, -1);
      exchange.close();
    });
    server.start();
  }

  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/hook");
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** Answers every request with {@code status} from now on (only 2xx answers are kept). */
  public void answer(int status) {
    this.status = status;
  }

  /** Holds every request unanswered until {@link #release()}. */
  public void hang() {
    hold = new CountDownLatch(1);
  }

  public void release() {
    hold.countDown();
  }

  public List<Delivery> received() {
    synchronized (received) {
      return List.copyOf(received);
    }
  }

  /** Waits (generously) until the deliveries kept match {@code done}; returns them. */
  public List<Delivery> await(Predicate<List<Delivery>> done) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    synchronized (received) {
      while (!done.test(received)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new AssertionError("the receiver did not get what was expected in 60 s; it got " + received.size()
              + " deliveries: " + received.stream().map(Delivery::text).toList());
        }
        received.wait(Math.max(1, left / 1_000_000));
      }
      return List.copyOf(received);
    }
  }

  @Override
  public void close() {
    release();
    server.stop(0);
  }
}
