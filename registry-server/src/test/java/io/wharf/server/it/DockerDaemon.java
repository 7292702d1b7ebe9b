package io.wharf.server.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

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

  private final Path dir;
  private final Process process;
  private final Map<String, String> env;

  private DockerDaemon(Path dir, Process process) {
    this.dir = dir;
    this.process = process;
    this.env = Map.of("DOCKER_HOST", "unix://" + dir.resolve("docker.sock"), "DOCKER_CONFIG", dir.resolve("cli").toString());
  }

  static boolean isInstalled() {
    return Files.isExecutable(DOCKERD);
  }

  /** Starts the daemon and waits until its API answers. */
  static DockerDaemon start(Path dir, List<String> mirrors, List<String> insecureRegistries) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("daemon.json"), "{\"registry-mirrors\": " + jsonArray(mirrors)
        + ", \"insecure-registries\": " + jsonArray(insecureRegistries) + "}");
    Process p = new ProcessBuilder(DOCKERD.toString(),
        "--iptables=false", "--ip6tables=false", "--ip-masq=false", "--bridge=none",
        "--storage-driver=vfs",
        "--data-root", dir.resolve("root").toString(),
        "--exec-root", dir.resolve("exec").toString(),
        "--pidfile", dir.resolve("docker.pid").toString(),
        "-H", "unix://" + dir.resolve("docker.sock"),
        "--config-file", dir.resolve("daemon.json").toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("dockerd.log").toFile())
        .start();
    DockerDaemon daemon = new DockerDaemon(dir, p);
    Command.awaitReady("dockerd", p, dir.resolve("dockerd.log"), START_TIMEOUT,
        () -> daemon.run("version", "--format", "{{.Server.Version}}"));
    return daemon;
  }

  /** Runs {@code docker ARGS} against this daemon and returns stdout, trimmed. */
  String run(String... args) {
    List<String> cmd = new ArrayList<>(List.of("docker"));
    cmd.addAll(List.of(args));
    return Command.run(cmd, env, dir).trim();
  }

  /** Stops the daemon (SIGTERM; it stops its containerd), killing it if it does not stop in time. */
  @Override
  public void close() {
    Command.stop(process, Duration.ofSeconds(30));
  }

  private static String jsonArray(List<String> values) {
    List<String> quoted = new ArrayList<>();
    for (String v : values) {
      quoted.add("\"" + v + "\"");
    }
    return "[" + String.join(", ", quoted) + "]";
  }
}
