package io.wharf.server.it;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A registry running as a child process on 127.0.0.1, for process-level tests.
 *
 * <p>Subclasses say how to build the command line; this class picks the port, redirects
 * stdout+stderr to a log file under {@code target/it-logs/} (kept after the test for diagnosis),
 * and waits until {@code GET /v2/} answers 200 (or 401, when it wants a login). {@link #close()}
 * stops the process, so use it in try-with-resources or an {@code @AfterEach}.
 */
abstract class ServerProcess implements AutoCloseable {
  static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(120);
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  private static final HttpClient PROBE = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(1))
      .version(HttpClient.Version.HTTP_1_1)
      .build();

  private final Process process;
  private final int port;
  private final Path log;

  ServerProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /** {@code http://127.0.0.1:<port>} (no trailing slash). */
  public String url() {
    return "http://127.0.0.1:" + port;
  }

  /** {@code 127.0.0.1:<port>}, the registry host as skopeo's {@code docker://} references want it. */
  public String hostPort() {
    return "127.0.0.1:" + port;
  }

  public int port() {
    return port;
  }

  public long pid() {
    return process.pid();
  }

  public Path logFile() {
    return log;
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** SIGKILL: no shutdown hooks, no flushing; returns when the process is gone. */
  public void kill9() {
    process.destroyForcibly();
    awaitExit(Duration.ofSeconds(30));
  }

  /** SIGTERM, then SIGKILL if it has not exited within 60 s (a loaded machine stops slowly, not wrongly). */
  public void stop() {
    if (!process.isAlive()) {
      return;
    }
    process.destroy();
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        kill9();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kill9();
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** The last {@code maxChars} characters of the process log, for assertion messages. */
  public String logTail(int maxChars) {
    return tail(log, maxChars);
  }

  private void awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("pid " + process.pid() + " still alive after " + timeout);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted waiting for pid " + process.pid(), e);
    }
  }

  // ---------------------------------------------------------------- starting

  /** What a subclass hands to {@link #launch}: the command for a given port. */
  @FunctionalInterface
  interface CommandForPort {
    List<String> command(int port) throws IOException;
  }

  /**
   * Starts {@code command} on a free port and waits for {@code GET /v2/} to answer 200. A free
   * port can be taken by someone else between our probe and the child's bind, so an early exit
   * is retried on a new port (three attempts).
   */
  static Started launch(String name, CommandForPort command, Duration timeout) throws IOException {
    IOException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) {
      try {
        return launchOn(name, freePort(), command, timeout);
      } catch (ExitedEarly e) {
        last = e;            // probably lost the port race: try again on another port
      }
    }
    throw last;
  }

  /**
   * As {@link #launch}, on {@code port} (a restart where the clients know the port): one attempt;
   * a process that exits before it answers throws.
   */
  static Started launchOn(String name, int port, CommandForPort command, Duration timeout) throws IOException {
    {
      Path log = logDir().resolve(name + "-" + SEQUENCE.incrementAndGet() + "-" + port + ".log");
      ProcessBuilder pb = new ProcessBuilder(command.command(port))
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      Files.writeString(log, "# " + String.join(" ", pb.command()) + System.lineSeparator(),
          StandardCharsets.UTF_8);
      Process process = pb.start();
      try {
        waitUntilReady(process, port, timeout, log);
        return new Started(process, port, log);
      } catch (IOException | RuntimeException e) {
        process.destroyForcibly();
        throw e;
      }
    }
  }

  record Started(Process process, int port, Path log) {}

  private static void waitUntilReady(Process process, int port, Duration timeout, Path log)
      throws IOException {
    URI v2 = URI.create("http://127.0.0.1:" + port + "/v2/");
    long deadline = System.nanoTime() + timeout.toNanos();
    String lastSeen = "no answer";
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new ExitedEarly("process exited with " + process.exitValue()
            + " before " + v2 + " answered; log " + log + ":\n" + tail(log, 4000));
      }
      try {
        HttpResponse<Void> r = PROBE.send(
            HttpRequest.newBuilder(v2).timeout(Duration.ofSeconds(10)).GET().build(),
            HttpResponse.BodyHandlers.discarding());
        // 401: a registry with security on asks for a login at /v2/, which also means it is up
        if ((r.statusCode() == 200 || r.statusCode() == 401) && process.isAlive()) {
          return;          // (alive: not someone else who took the port after we probed it)
        }
        lastSeen = "HTTP " + r.statusCode();
      } catch (IOException e) {
        lastSeen = e.toString();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        process.destroyForcibly();
        throw new IOException("interrupted while waiting for " + v2, e);
      }
      sleep(100);
    }
    process.destroyForcibly();
    throw new IOException("GET " + v2 + " did not answer 200 within " + timeout + " (last: "
        + lastSeen + "); log " + log + ":\n" + tail(log, 4000));
  }

  private static final class ExitedEarly extends IOException {
    private static final long serialVersionUID = 1L;

    ExitedEarly(String message) {
      super(message);
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * {@code registry-server/target/it-logs}: next to the jar Failsafe names in {@code wharf.jar},
   * else {@code target/} of the working directory.
   */
  static Path logDir() {
    String jar = System.getProperty("wharf.jar");
    Path target = jar != null ? Path.of(jar).toAbsolutePath().getParent() : Path.of("target");
    Path dir = target.resolve("it-logs");
    try {
      return Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String tail(Path file, int maxChars) {
    try {
      String s = Files.readString(file, StandardCharsets.ISO_8859_1);
      return s.length() <= maxChars ? s : "..." + s.substring(s.length() - maxChars);
    } catch (IOException e) {
      return "(cannot read " + file + ": " + e + ")";
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
