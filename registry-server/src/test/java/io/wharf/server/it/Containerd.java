package io.wharf.server.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A private containerd (Debian's, installed with docker.io; run as root) for interop tests, as
 * {@code ../shared/CLIENTS.md} describes: its own root, state and sockets under {@code dir}, the
 * CRI plugin off. {@code ctr} drives it; pulls unpack with the {@code native} snapshotter.
 */
final class Containerd implements AutoCloseable {
  static final Path CONTAINERD = Path.of("/usr/bin/containerd");
  static final Path CTR = Path.of("/usr/bin/ctr");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);

  private final Path dir;
  private final Process process;

  private Containerd(Path dir, Process process) {
    this.dir = dir;
    this.process = process;
  }

  static boolean isInstalled() {
    return Files.isExecutable(CONTAINERD) && Files.isExecutable(CTR);
  }

  /** Starts containerd and waits until it answers. */
  static Containerd start(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("config.toml"), String.join("\n",
        "version = 2",
        "root = \"" + dir.resolve("root") + "\"",
        "state = \"" + dir.resolve("state") + "\"",
        "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]",
        "[grpc]",
        "  address = \"" + dir.resolve("containerd.sock") + "\"",
        "[ttrpc]",
        "  address = \"" + dir.resolve("containerd-ttrpc.sock") + "\"",
        "[debug]",
        "  address = \"" + dir.resolve("debug.sock") + "\"",
        ""));
    Process p = new ProcessBuilder(CONTAINERD.toString(), "--config", dir.resolve("config.toml").toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("containerd.log").toFile())
        .start();
    Containerd containerd = new Containerd(dir, p);
    Command.awaitReady("containerd", p, dir.resolve("containerd.log"), START_TIMEOUT, () -> containerd.ctr("version"));
    return containerd;
  }

  /** Runs {@code ctr -a SOCKET ARGS} and returns stdout. */
  String ctr(String... args) {
    List<String> cmd = new ArrayList<>(List.of(CTR.toString(), "-a", dir.resolve("containerd.sock").toString()));
    cmd.addAll(List.of(args));
    return Command.run(cmd, Map.of(), dir);
  }

  @Override
  public void close() {
    Command.stop(process, Duration.ofSeconds(20));
  }
}
