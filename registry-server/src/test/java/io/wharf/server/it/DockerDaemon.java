package io.wharf.server.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A private docker daemon (Debian's {@code docker.io}, run as root) for interop tests, started
 * as {@code ../shared/CLIENTS.md} describes: no iptables, no bridge, the {@code vfs} storage
 * driver, its own data root, exec root, pid file and socket under {@code dir}, and a
 * {@code daemon.json} with the registry mirrors and insecure registries the test gives. The CLI
 * ({@code docker} on the PATH) talks to it through {@code DOCKER_HOST}.
 */
final class DockerDaemon implements AutoCloseable {
  static final Path DOCKERD = Path.of("/usr/sbin/dockerd");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration CALL_TIMEOUT = Duration.ofMinutes(3);

  private final Path dir;
  private final Process process;
  private final String host;

  private DockerDaemon(Path dir, Process process) {
    this.dir = dir;
    this.process = process;
    this.host = "unix://" + dir.resolve("docker.sock");
  }

  static boolean isInstalled() {
    return Files.isExecutable(DOCKERD);
  }

  /** Starts the daemon and waits until its API answers. */
  static DockerDaemon start(Path dir, List<String> mirrors, List<String> insecureRegistries) throws IOException {
    Files.createDirectories(dir);
    String json = "{\"registry-mirrors\": " + jsonArray(mirrors)
        + ", \"insecure-registries\": " + jsonArray(insecureRegistries) + "}";
    Files.writeString(dir.resolve("daemon.json"), json);
    List<String> cmd = List.of(DOCKERD.toString(),
        "--iptables=false", "--ip6tables=false", "--ip-masq=false", "--bridge=none",
        "--storage-driver=vfs",
        "--data-root", dir.resolve("root").toString(),
        "--exec-root", dir.resolve("exec").toString(),
        "--pidfile", dir.resolve("docker.pid").toString(),
        "-H", "unix://" + dir.resolve("docker.sock"),
        "--config-file", dir.resolve("daemon.json").toString());
    Process p = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("dockerd.log").toFile())
        .start();
    DockerDaemon daemon = new DockerDaemon(dir, p);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!p.isAlive()) {
        throw new IOException("dockerd exited with " + p.exitValue() + ":\n" + daemon.logTail());
      }
      try {
        daemon.run("version", "--format", "{{.Server.Version}}");
        return daemon;
      } catch (DockerException notYet) {
        if (System.nanoTime() > deadline) {
          daemon.close();
          throw new IOException("dockerd did not answer within " + START_TIMEOUT + ":\n" + daemon.logTail());
        }
        sleep(250);
      }
    }
  }

  /** Runs {@code docker ARGS} against this daemon and returns stdout, trimmed. */
  String run(String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(dir, "docker-", ".out");
      Path err = Files.createTempFile(dir, "docker-", ".err");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().put("DOCKER_HOST", host);
      pb.environment().put("DOCKER_CONFIG", dir.resolve("cli").toString());
      Process p = pb.start();
      if (!p.waitFor(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new DockerException(cmd + " timed out after " + CALL_TIMEOUT);
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8).trim();
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      Files.delete(out);
      Files.delete(err);
      if (p.exitValue() != 0) {
        throw new DockerException(String.join(" ", cmd) + " -> exit " + p.exitValue() + ":\n" + stderr);
      }
      return stdout;
    } catch (IOException e) {
      throw new DockerException(String.join(" ", cmd) + " -> " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DockerException(String.join(" ", cmd) + " -> interrupted");
    }
  }

  String logTail() {
    try {
      String log = Files.readString(dir.resolve("dockerd.log"), StandardCharsets.UTF_8);
      return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Stops the daemon (SIGTERM; it stops its containerd), killing it if it does not stop in time. */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static String jsonArray(List<String> values) {
    List<String> quoted = new ArrayList<>();
    for (String v : values) {
      quoted.add("\"" + v + "\"");
    }
    return "[" + String.join(", ", quoted) + "]";
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static final class DockerException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    DockerException(String message) {
      super(message);
    }
  }
}
