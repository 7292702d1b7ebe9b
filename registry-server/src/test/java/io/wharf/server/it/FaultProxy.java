package io.wharf.server.it;

import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A reverse proxy in front of a registry that injects faults, per image and per request class,
 * the way a broken upstream or a bad link shows them to a pull-through cache.
 *
 * <pre>{@code
 * try (FaultProxy faults = FaultProxy.start(upstream.url())) {
 *   faults.inject("team/app", RequestClass.BLOB, Fault.RESET_MID_BODY);
 *   ... // pull team/app through a proxy repository whose remoteUrl is faults.url()
 *   faults.heal("team/app");
 * }
 * }</pre>
 *
 * <p>Plain sockets on purpose: a fault must be able to cut a body half-way, reset the connection
 * or send a slice every half second, which no HTTP server library lets a handler do. Requests are
 * read by hand (GET and HEAD only: a pull sends nothing else), forwarded to the upstream with
 * {@link HttpClient}, and the upstream's answer is written back whole or damaged. Connections are
 * kept alive between intact answers, as a real registry keeps them. Paths outside
 * {@code /v2/<name>/manifests/..} and {@code /v2/<name>/blobs/..} always pass.
 *
 * <p>A HEAD has no body, so the faults that cut or slow a body cut or slow its header block
 * instead; {@link Fault#WRONG_BYTES} leaves a HEAD alone.
 */
final class FaultProxy implements AutoCloseable {
  /** Which requests of an image a fault applies to. */
  enum RequestClass {
    MANIFEST, BLOB
  }

  enum Fault {
    /** The upstream's answer, untouched. */
    PASS,
    /** {@code 500} with a registry error body; the upstream is not asked. */
    ERROR_500,
    /** {@code 429} with {@code Retry-After: 1}; the upstream is not asked. */
    RATE_LIMITED,
    /** The headers and half the body, then a TCP reset. */
    RESET_MID_BODY,
    /** The upstream's headers (its {@code Docker-Content-Digest} too) with a body of the same length but other bytes. */
    WRONG_BYTES,
    /** The whole answer, its body in {@value #TRICKLE_SLICES} slices {@value #TRICKLE_GAP_MILLIS} ms apart. */
    TRICKLE,
    /** Reads the request and never answers. */
    HANG,
    /** The headers and half the body, then nothing (the connection stays open). */
    STALL
  }

  /** One request as it arrived: {@code via} is its {@code Via} header (a forward proxy's mark), or null. */
  record Seen(String method, String path, String image, String via) {}

  static final int TRICKLE_SLICES = 10;
  static final long TRICKLE_GAP_MILLIS = 500;
  private static final Pattern REGISTRY_PATH = Pattern.compile("^/v2/(.+)/(manifests|blobs)/([^/]+)$");
  private static final Pattern DIGEST = Pattern.compile("sha256:[0-9a-f]{64}");

  private final URI upstream;
  private final ServerSocket server;
  private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private final ExecutorService threads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "fault-proxy");
    t.setDaemon(true);
    return t;
  });
  private final Map<String, Fault> faults = new ConcurrentHashMap<>();
  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
  private final ConcurrentLinkedQueue<Seen> seen = new ConcurrentLinkedQueue<>();
  private volatile boolean closed;

  private FaultProxy(URI upstream, ServerSocket server) {
    this.upstream = upstream;
    this.server = server;
  }

  /** Listens on a free port of 127.0.0.1 and forwards to {@code upstreamUrl} ({@code http://host:port}). */
  static FaultProxy start(String upstreamUrl) throws IOException {
    ServerSocket server = new ServerSocket(0, 200, InetAddress.getLoopbackAddress());
    FaultProxy proxy = new FaultProxy(URI.create(upstreamUrl), server);
    proxy.threads.execute(proxy::acceptLoop);
    return proxy;
  }

  int port() {
    return server.getLocalPort();
  }

  /** {@code http://127.0.0.1:<port>}. */
  String url() {
    return "http://127.0.0.1:" + port();
  }

  /** From now on, requests of {@code cls} for {@code image} get {@code fault}. */
  void inject(String image, RequestClass cls, Fault fault) {
    faults.put(image + " " + cls, fault);
  }

  /** Requests for {@code image} pass again (connections already hanging stay so). */
  void heal(String image) {
    for (RequestClass cls : RequestClass.values()) {
      faults.remove(image + " " + cls);
    }
  }

  /** The requests for {@code image} so far. */
  List<Seen> seen(String image) {
    List<Seen> out = new ArrayList<>();
    for (Seen s : seen) {
      if (image.equals(s.image())) {
        out.add(s);
      }
    }
    return out;
  }

  @Override
  public void close() throws IOException {
    closed = true;
    server.close();
    for (Socket s : connections) {
      s.close();
    }
    threads.shutdownNow();
  }

  // ---------------------------------------------------------------- serving

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket s = server.accept();
        connections.add(s);
        threads.execute(() -> serve(s));
      } catch (IOException e) {
        if (!closed) {
          System.err.println("fault proxy: accept failed: " + e);
        }
      }
    }
  }

  private record Request(String method, String path, Map<String, String> headers) {}

  private void serve(Socket socket) {
    try (socket) {
      InputStream in = new BufferedInputStream(socket.getInputStream());
      OutputStream out = socket.getOutputStream();
      Request request;
      while ((request = readRequest(in)) != null) {
        boolean keepAlive = answer(request, socket, in, out);
        if (!keepAlive || "close".equalsIgnoreCase(request.headers().get("connection"))) {
          return;
        }
      }
    } catch (IOException | InterruptedException e) {
      // the client went away, or a fault ended the connection
    } finally {
      connections.remove(socket);
    }
  }

  /** Answers one request; false if the connection is over. */
  private boolean answer(Request request, Socket socket, InputStream in, OutputStream out)
      throws IOException, InterruptedException {
    Matcher m = REGISTRY_PATH.matcher(request.path());
    String image = m.matches() ? m.group(1) : null;
    seen.add(new Seen(request.method(), request.path(), image, request.headers().get("via")));
    RequestClass cls = image == null ? null
        : "manifests".equals(m.group(2)) ? RequestClass.MANIFEST : RequestClass.BLOB;
    Fault fault = cls == null ? Fault.PASS : faults.getOrDefault(image + " " + cls, Fault.PASS);
    boolean head = "HEAD".equals(request.method());
    switch (fault) {
      case ERROR_500 -> {
        write(out, error(500, "UNKNOWN", "injected failure"), head);
        return true;
      }
      case RATE_LIMITED -> {
        Response r = error(429, "TOOMANYREQUESTS", "injected rate limit");
        r.headers().put("Retry-After", "1");
        write(out, r, head);
        return true;
      }
      case HANG -> {
        awaitClientGone(in);
        return false;
      }
      default -> {
        // the faults below damage the upstream's real answer
      }
    }
    Response r = forward(request);
    try (InputStream body = r.body()) {
      switch (fault) {
        case PASS -> {
          out.write(r.headBytes());
          if (!head) {
            copy(body, out, r.length());
          }
          out.flush();
        }
        case WRONG_BYTES -> {
          out.write(r.headBytes());
          if (!head) {
            out.write(corrupt(body.readNBytes((int) r.length()), cls));
          }
          out.flush();
        }
        case TRICKLE -> {
          byte[] payload = head ? r.headBytes() : body.readNBytes((int) r.length());
          if (!head) {
            out.write(r.headBytes());
            out.flush();
          }
          int slice = Math.max(1, (payload.length + TRICKLE_SLICES - 1) / TRICKLE_SLICES);
          for (int off = 0; off < payload.length; off += slice) {
            Thread.sleep(TRICKLE_GAP_MILLIS);
            out.write(payload, off, Math.min(slice, payload.length - off));
            out.flush();
          }
        }
        case RESET_MID_BODY, STALL -> {
          if (head) {
            byte[] headBytes = r.headBytes();
            out.write(headBytes, 0, headBytes.length / 2);
          } else {
            out.write(r.headBytes());
            copy(body, out, r.length() / 2);
          }
          out.flush();
          if (fault == Fault.RESET_MID_BODY) {
            socket.setSoLinger(true, 0); // close() now sends RST instead of FIN
            return false;
          }
          awaitClientGone(in);
          return false;
        }
        default -> throw new IllegalStateException("unhandled fault " + fault);
      }
    }
    return true;
  }

  private static void copy(InputStream in, OutputStream out, long n) throws IOException {
    byte[] buf = new byte[64 * 1024];
    for (long left = n; left > 0; ) {
      int read = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (read < 0) {
        throw new IOException("upstream body ended " + left + " bytes early");
      }
      out.write(buf, 0, read);
      left -= read;
    }
  }

  /** Blocks until the client closes the connection (or the proxy is closed). */
  private static void awaitClientGone(InputStream in) throws IOException {
    byte[] buf = new byte[1024];
    try {
      while (in.read(buf) >= 0) {
        // discard: a hung or stalled answer ignores whatever else the client sends
      }
    } catch (SocketException gone) {
      // reset by the client, or closed by close()
    }
  }

  /** Same length, other bytes: a manifest keeps valid JSON but names other digests; a blob is inverted. */
  private static byte[] corrupt(byte[] body, RequestClass cls) {
    byte[] wrong = body.clone();
    if (cls == RequestClass.MANIFEST) {
      Matcher d = DIGEST.matcher(new String(body, StandardCharsets.ISO_8859_1));
      while (d.find()) {
        int i = d.start() + "sha256:".length();
        wrong[i] = (byte) "123456789abcdef0".charAt(Character.digit(wrong[i], 16));
      }
    } else {
      for (int i = 0; i < wrong.length; i++) {
        wrong[i] = (byte) ~wrong[i];
      }
    }
    return wrong;
  }

  // ---------------------------------------------------------------- HTTP by hand

  private static Request readRequest(InputStream in) throws IOException {
    String requestLine = readLine(in);
    if (requestLine == null || requestLine.isEmpty()) {
      return null;
    }
    String[] parts = requestLine.split(" ");
    if (parts.length != 3) {
      throw new IOException("bad request line: " + requestLine);
    }
    Map<String, String> headers = new LinkedHashMap<>();
    for (String line; (line = readLine(in)) != null && !line.isEmpty(); ) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        headers.merge(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim(),
            (a, b) -> a + ", " + b);
      }
    }
    // A forward proxy may send the absolute form (http://host:port/path).
    String target = parts[1];
    if (target.startsWith("http")) {
      URI absolute = URI.create(target);
      target = absolute.getRawPath() + (absolute.getRawQuery() == null ? "" : "?" + absolute.getRawQuery());
    }
    return new Request(parts[0], target, headers);
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        line.write(b);
      }
    }
    return b < 0 && line.size() == 0 ? null : line.toString(StandardCharsets.ISO_8859_1);
  }

  /** An answer: status, headers (without framing ones), its Content-Length and the body to come. */
  private record Response(int status, Map<String, String> headers, long length, InputStream body) {
    byte[] headBytes() {
      StringBuilder s = new StringBuilder("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
      headers.forEach((k, v) -> s.append(k).append(": ").append(v).append("\r\n"));
      s.append("Content-Length: ").append(length).append("\r\n\r\n");
      return s.toString().getBytes(StandardCharsets.ISO_8859_1);
    }
  }

  private static void write(OutputStream out, Response r, boolean head) throws IOException {
    out.write(r.headBytes());
    if (!head) {
      r.body().transferTo(out);
    }
    out.flush();
  }

  private static Response error(int status, String code, String message) {
    byte[] body = ("{\"errors\":[{\"code\":\"" + code + "\",\"message\":\"" + message + "\"}]}")
        .getBytes(StandardCharsets.UTF_8);
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Content-Type", "application/json; charset=utf-8");
    return new Response(status, headers, body.length, new ByteArrayInputStream(body));
  }

  /** The upstream's answer, its body still to be read (streamed, so a large blob is not held in memory first). */
  private Response forward(Request request) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(upstream + request.path()))
        .timeout(Duration.ofSeconds(60))
        .method(request.method(), HttpRequest.BodyPublishers.noBody());
    for (String name : List.of("accept", "authorization", "user-agent")) {
      String v = request.headers().get(name);
      if (v != null) {
        b.header(name, v);
      }
    }
    HttpResponse<InputStream> r;
    try {
      r = http.send(b.build(), HttpResponse.BodyHandlers.ofInputStream());
    } catch (IOException e) {
      System.err.println("fault proxy: " + request.method() + " " + request.path() + " to the upstream failed: " + e);
      throw e;
    }
    Map<String, String> headers = new LinkedHashMap<>();
    r.headers().map().forEach((name, values) -> {
      if (!Set.of("connection", "keep-alive", "transfer-encoding", "content-length").contains(name.toLowerCase(Locale.ROOT))) {
        headers.put(name, String.join(", ", values));
      }
    });
    long length = r.headers().firstValueAsLong("content-length").orElse(-1);
    InputStream body = r.body();
    if (length < 0 && !"HEAD".equals(request.method())) { // not from docker-registry, but be exact anyway
      byte[] all = body.readAllBytes();
      length = all.length;
      body = new ByteArrayInputStream(all);
    }
    return new Response(r.statusCode(), headers, Math.max(0, length), body);
  }

  private static String reason(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 404 -> "Not Found";
      case 429 -> "Too Many Requests";
      case 500 -> "Internal Server Error";
      default -> "Status " + status;
    };
  }
}
