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
 * A private containerd (Debian's, installed with docker.io; run as root) for interop tests, as
 * {@code ../shared/CLIENTS.md} describes: its own root, state and sockets under {@code dir}, the
 * CRI plugin off. {@code ctr} drives it; pulls unpack with the {@code native} snapshotter.
 */
final class Containerd implements AutoCloseable {
  static final Path CONTAINERD = Path.of("/usr/bin/containerd");
  static final Path CTR = Path.of("/usr/bin/ctr");
  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration CALL_TIMEOUT = Duration.ofMinutes(3);

  private final Path dir;
  private final Process process;

  private Containerd(Path dir, Process process) {
    this.dir = dir;
    this.process = process;
  }

  static boolean isInstalled() {
    return Files.isExecutable(CONTAINERD) && Files.isExecutable(CTR);
  }

  static Containerd start(Path dir) throws IOException {
    Files.createDirectories(dir);
    String config = String.join("\n",
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
        "");
    Files.writeString(dir.resolve("config.toml"), config);
    Process p = new ProcessBuilder(CONTAINERD.toString(), "--config", dir.resolve("config.toml").toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("containerd.log").toFile())
        .start();
    Containerd containerd = new Containerd(dir, p);
    long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
    while (true) {
      if (!p.isAlive()) {
        throw new IOException("containerd exited with " + p.exitValue() + ":\n" + containerd.logTail());
      }
      try {
        containerd.ctr("version");
        return containerd;
      } catch (CtrException notYet) {
        if (System.nanoTime() > deadline) {
          containerd.close();
          throw new IOException("containerd did not answer within " + START_TIMEOUT + ":\n" + containerd.logTail());
        }
        try {
          Thread.sleep(200);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IOException("interrupted", e);
        }
      }
    }
  }

  /** Runs {@code ctr -a SOCKET ARGS} and returns stdout. */
  String ctr(String... args) {
    List<String> cmd = new ArrayList<>(List.of(CTR.toString(), "-a", dir.resolve("containerd.sock").toString()));
    cmd.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(dir, "ctr-", ".out");
      Path err = Files.createTempFile(dir, "ctr-", ".err");
      Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new CtrException(String.join(" ", cmd) + " timed out after " + CALL_TIMEOUT);
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      Files.delete(out);
      Files.delete(err);
      if (p.exitValue() != 0) {
        throw new CtrException(String.join(" ", cmd) + " -> exit " + p.exitValue() + ":\n" + stderr + stdout);
      }
      return stdout;
    } catch (IOException e) {
      throw new CtrException(String.join(" ", cmd) + " -> " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CtrException(String.join(" ", cmd) + " -> interrupted");
    }
  }

  String logTail() {
    try {
      String log = Files.readString(dir.resolve("containerd.log"), StandardCharsets.UTF_8);
      return log.length() > 4000 ? log.substring(log.length() - 4000) : log;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(20, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static final class CtrException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CtrException(String message) {
      super(message);
    }
  }
}
