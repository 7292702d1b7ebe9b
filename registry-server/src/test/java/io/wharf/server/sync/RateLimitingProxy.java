package io.wharf.server.sync;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;

/**
 * A reverse proxy on a free loopback port in front of a real registry that answers chosen
 * requests {@code 429} with a {@code Retry-After}, as a rate-limited remote does, and forwards
 * everything else (bodies buffered: test-sized images). {@code Location} headers pointing at the
 * registry are rewritten to point here, so an upload continues through the proxy.
 */
final class RateLimitingProxy implements AutoCloseable {
  private static final Set<String> HOP_BY_HOP = Set.of("connection", "content-length", "transfer-encoding", "host",
      "keep-alive", "upgrade", "expect", "date");

  /** The next {@code times} requests of {@code method} whose path matches {@code path} are refused. */
  private record Limit(String method, Pattern path, AtomicInteger times, String retryAfter) {}

  private final String registry;
  private final HttpServer server;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(30)).build();
  private final List<Limit> limits = new java.util.concurrent.CopyOnWriteArrayList<>();
  /** {@code METHOD path} of every request refused with a 429, in order. */
  final ConcurrentLinkedQueue<String> refused = new ConcurrentLinkedQueue<>();

  private RateLimitingProxy(String registry, HttpServer server) {
    this.registry = registry.endsWith("/") ? registry.substring(0, registry.length() - 1) : registry;
    this.server = server;
  }

  /** Listens on 127.0.0.1 and forwards to {@code registry} ({@code http://host:port}). */
  static RateLimitingProxy start(String registry) throws IOException {
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    RateLimitingProxy proxy = new RateLimitingProxy(registry, server);
    server.createContext("/", proxy::handle);
    server.setExecutor(Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "rate-limiting-proxy");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    return proxy;
  }

  /** {@code http://127.0.0.1:<port>}. */
  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** The next {@code times} requests of {@code method} whose path matches {@code pathRegex} get a 429 with {@code Retry-After: retryAfter}. */
  void limit(String method, String pathRegex, int times, String retryAfter) {
    limits.add(new Limit(method, Pattern.compile(pathRegex), new AtomicInteger(times), retryAfter));
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      String method = x.getRequestMethod();
      String path = x.getRequestURI().getRawPath();
      byte[] body;
      try (InputStream in = x.getRequestBody()) {
        body = in.readAllBytes();
      }
      for (Limit l : limits) {
        if (l.method().equals(method) && l.path().matcher(path).matches() && l.times().getAndDecrement() > 0) {
          refused.add(method + " " + path);
          byte[] error = "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}"
              .getBytes(StandardCharsets.UTF_8);
          x.getResponseHeaders().add("Content-Type", "application/json");
          x.getResponseHeaders().add("Retry-After", l.retryAfter());
          x.sendResponseHeaders(429, method.equals("HEAD") ? -1 : error.length);
          if (!method.equals("HEAD")) {
            x.getResponseBody().write(error);
          }
          return;
        }
      }
      forward(x, method, body);
    }
  }

  private void forward(HttpExchange x, String method, byte[] body) throws IOException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(registry + x.getRequestURI().toString()))
        .timeout(Duration.ofSeconds(120))
        .method(method, body.length == 0 && !method.equals("PUT") && !method.equals("POST")
            ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
    x.getRequestHeaders().forEach((name, values) -> {
      if (!HOP_BY_HOP.contains(name.toLowerCase(java.util.Locale.ROOT))) {
        values.forEach(v -> b.header(name, v));
      }
    });
    HttpResponse<byte[]> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException(e);
    }
    for (Map.Entry<String, List<String>> h : r.headers().map().entrySet()) {
      if (HOP_BY_HOP.contains(h.getKey().toLowerCase(java.util.Locale.ROOT)) || h.getKey().startsWith(":")) {
        continue;
      }
      for (String v : h.getValue()) {
        x.getResponseHeaders().add(h.getKey(), h.getKey().equalsIgnoreCase("Location") && v.startsWith(registry)
            ? url() + v.substring(registry.length()) : v);
      }
    }
    byte[] answer = r.body();
    boolean empty = method.equals("HEAD") || answer.length == 0;
    x.sendResponseHeaders(r.statusCode(), empty ? -1 : answer.length);
    if (!empty) {
      try (OutputStream out = x.getResponseBody()) {
        out.write(answer);
      }
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
