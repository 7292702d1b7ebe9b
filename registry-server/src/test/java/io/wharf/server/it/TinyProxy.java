package io.wharf.server.it;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Debian's tinyproxy (1.11) as a forward HTTP proxy of our own: a private config on a free port of
 * 127.0.0.1, run in the foreground ({@code tinyproxy -d -c CONF}) as a child process and stopped
 * by {@link #close()}; the config and its log are kept under {@code target/it-logs/}. It answers
 * each request on a connection of its own and closes it after the answer without saying so
 * ({@code Connection: close} is not sent), which is what makes pooled connections to it go stale.
 */
final class TinyProxy implements AutoCloseable {
  static final Path BINARY = Path.of("/usr/bin/tinyproxy");

  private final Process process;
  private final int port;
  private final Path log;

  private TinyProxy(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  static boolean isInstalled() {
    return Files.isExecutable(BINARY);
  }

  /** Starts on a free port; waits (up to 30 s) until it accepts connections. */
  static TinyProxy start() throws IOException {
    IOException last = null;
    for (int attempt = 1; attempt <= 3; attempt++) { // a free port may be taken before tinyproxy binds it
      int port = ServerProcess.freePort();
      Path dir = ServerProcess.logDir();
      Path log = dir.resolve("tinyproxy-" + port + ".log");
      Path config = Files.writeString(dir.resolve("tinyproxy-" + port + ".conf"), """
          Port %d
          Listen 127.0.0.1
          Timeout 600
          MaxClients 200
          Allow 127.0.0.1
          LogLevel Info
          LogFile "%s"
          ViaProxyName "tinyproxy"
          """.formatted(port, log), StandardCharsets.UTF_8);
      Process p = new ProcessBuilder(BINARY.toString(), "-d", "-c", config.toString())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("tinyproxy-" + port + ".out").toFile()))
          .start();
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (p.isAlive() && System.nanoTime() < deadline) {
        try (Socket s = new Socket()) {
          s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
          return new TinyProxy(p, port, log);
        } catch (IOException notYet) {
          ServerProcess.sleep(100);
        }
      }
      Command.stop(p, Duration.ofSeconds(5));
      last = new IOException("tinyproxy did not listen on " + port + ":\n" + ServerProcess.tail(log, 4000));
    }
    throw last;
  }

  int port() {
    return port;
  }

  /** The YAML of an outbound proxy entry: {@code {host: 127.0.0.1, port: N}}. */
  String yaml() {
    return "{host: 127.0.0.1, port: " + port + "}";
  }

  Path log() {
    return log;
  }

  /** Stops it: from now on, connecting to its port is refused. */
  void stop() {
    Command.stop(process, Duration.ofSeconds(10));
  }

  @Override
  public void close() {
    stop();
  }

  @Override
  public String toString() {
    return "tinyproxy on 127.0.0.1:" + port + " (pid " + process.pid() + ", log " + log + ")";
  }
}
