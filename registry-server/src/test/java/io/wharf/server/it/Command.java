package io.wharf.server.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one command of a client under test (docker, ctr, podman) to its end: bounded by a
 * timeout, stdout returned, stderr in the exception when it exits non-zero. Output goes through
 * files in {@code workDir}, so a chatty client never blocks on a full pipe.
 */
final class Command {
  static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(3);

  private Command() {}

  static String run(List<String> command, Map<String, String> env, Path workDir) {
    try {
      Files.createDirectories(workDir);
      Path out = Files.createTempFile(workDir, "cmd-", ".out");
      Path err = Files.createTempFile(workDir, "cmd-", ".err");
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(DEFAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new CommandException(command, "timed out after " + DEFAULT_TIMEOUT);
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      Files.delete(out);
      Files.delete(err);
      if (p.exitValue() != 0) {
        throw new CommandException(command, "exit " + p.exitValue() + ":\n" + stderr + stdout);
      }
      return stdout;
    } catch (IOException e) {
      throw new CommandException(command, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommandException(command, "interrupted");
    }
  }

  /**
   * Waits until {@code probe} (a client command against the daemon) succeeds; fails with the
   * daemon's log if the daemon exits or does not answer within {@code timeout}.
   */
  static void awaitReady(String name, Process daemon, Path log, Duration timeout, Runnable probe) throws IOException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      if (!daemon.isAlive()) {
        throw new IOException(name + " exited with " + daemon.exitValue() + ":\n" + tail(log, 4000));
      }
      try {
        probe.run();
        return;
      } catch (CommandException notYet) {
        if (System.nanoTime() > deadline) {
          stop(daemon, Duration.ofSeconds(10));
          throw new IOException(name + " did not answer within " + timeout + ":\n" + tail(log, 4000));
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

  /** SIGTERM, and SIGKILL if the process has not ended after {@code grace}. */
  static void stop(Process process, Duration grace) {
    process.destroy();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The last {@code maxChars} characters of a log file, for failure messages. */
  static String tail(Path log, int maxChars) {
    try {
      String text = Files.readString(log, StandardCharsets.UTF_8);
      return text.length() > maxChars ? text.substring(text.length() - maxChars) : text;
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  static final class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    CommandException(List<String> command, String what) {
      super(String.join(" ", command) + " -> " + what);
    }
  }
}
