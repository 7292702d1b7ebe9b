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
 * Runs one command of a client under test (skopeo, docker, ctr, podman) to its end: bounded by a
 * timeout, stdout returned, stderr in the exception when it exits non-zero. Output goes through
 * files in {@code workDir}, so a chatty client never blocks on a full pipe.
 */
final class Command {
  static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(3);

  private Command() {}

  static String run(List<String> command, Map<String, String> env, Path workDir) {
    return new String(runForBytes(command, env, workDir, DEFAULT_TIMEOUT), StandardCharsets.UTF_8);
  }

  /** Runs {@code command} and returns its stdout as bytes (skopeo's raw manifests are bytes). */
  static byte[] runForBytes(List<String> command, Map<String, String> env, Path workDir, Duration timeout) {
    try {
      Files.createDirectories(workDir);
      Path out = Files.createTempFile(workDir, "cmd-", ".out");
      Path err = Files.createTempFile(workDir, "cmd-", ".err");
      ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new CommandException(command, -1, "timed out after " + timeout + "; stderr:\n"
            + Files.readString(err, StandardCharsets.UTF_8));
      }
      byte[] stdout = Files.readAllBytes(out);
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      Files.delete(out);
      Files.delete(err);
      if (p.exitValue() != 0) {
        throw new CommandException(command, p.exitValue(), stderr);
      }
      return stdout;
    } catch (IOException e) {
      throw new CommandException(command, -1, e.toString());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CommandException(command, -1, "interrupted");
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

  /** The command failed: the message holds the command, the exit code (-1: it did not exit) and stderr. */
  static class CommandException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;
    private final String stderr;

    CommandException(List<String> command, int exitCode, String stderr) {
      super(String.join(" ", command) + " -> exit " + exitCode + ":\n" + stderr);
      this.exitCode = exitCode;
      this.stderr = stderr;
    }

    /** The same failure, under a client's own name (see {@link Skopeo.SkopeoException}). */
    CommandException(CommandException failed) {
      super(failed.getMessage(), failed);
      this.exitCode = failed.exitCode;
      this.stderr = failed.stderr;
    }

    int exitCode() {
      return exitCode;
    }

    String stderr() {
      return stderr;
    }
  }
}
