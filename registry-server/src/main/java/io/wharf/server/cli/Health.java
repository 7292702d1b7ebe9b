package io.wharf.server.cli;

import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.net.URI;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code wharf health}: asks a running server's readiness endpoint and exits 0 if it answers 200,
 * else 1. A health check for container runtimes that run a command inside the container
 * ({@code docker run --health-cmd}, compose's {@code healthcheck}) and an image that has a JVM
 * but no curl. Kubernetes probes ask {@code /health/ready} over HTTP themselves.
 */
@Command(name = "health", mixinStandardHelpOptions = true,
    description = "Exit 0 if the server's readiness endpoint answers 200, else 1 (a container health check).")
final class Health implements Callable<Integer> {
  @Option(names = "--url", paramLabel = "URL",
      description = "What to ask (default: http://127.0.0.1:$WHARF_PORT/health/ready, port 5000 without WHARF_PORT).")
  String url;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "10",
      description = "Connect and read timeout in seconds (default ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  @Override
  public Integer call() {
    String target = url != null ? url : "http://127.0.0.1:" + defaultPort() + "/health/ready";
    try {
      HttpURLConnection c = (HttpURLConnection) URI.create(target).toURL().openConnection();
      c.setConnectTimeout(timeoutSeconds * 1000);
      c.setReadTimeout(timeoutSeconds * 1000);
      int status = c.getResponseCode();
      try (InputStream body = status < 400 ? c.getInputStream() : c.getErrorStream()) {
        String text = body == null ? "" : new String(body.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        System.out.println(target + ": " + status + " " + text.strip());
      }
      return status == 200 ? 0 : 1;
    } catch (IOException | IllegalArgumentException e) {
      System.out.println(target + ": " + e);
      return 1;
    }
  }

  private static String defaultPort() {
    String port = System.getenv("WHARF_PORT");
    return port == null || port.isBlank() ? "5000" : port.strip();
  }
}
