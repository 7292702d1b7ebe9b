package io.wharf.server.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs Debian's podman 4.3 (as root) configured only through environment variables, as
 * {@code ../shared/CLIENTS.md} describes: cgroupfs and file events ({@code CONTAINERS_CONF}), vfs
 * storage under {@code dir} ({@code CONTAINERS_STORAGE_CONF}), the test's registries and mirrors
 * ({@code CONTAINERS_REGISTRIES_CONF}) and an empty auth file ({@code REGISTRY_AUTH_FILE}).
 */
final class Podman {
  static final Path BINARY = Path.of("/usr/bin/podman");
  private static final Duration CALL_TIMEOUT = Duration.ofMinutes(3);

  private final Path dir;
  private final Map<String, String> env;

  /** {@code registriesConf} is the content of registries.conf (v2 TOML). */
  Podman(Path dir, String registriesConf) throws IOException {
    this.dir = Files.createDirectories(dir);
    Files.writeString(dir.resolve("containers.conf"),
        "[engine]\ncgroup_manager = \"cgroupfs\"\nevents_logger = \"file\"\n");
    Files.writeString(dir.resolve("storage.conf"), "[storage]\ndriver = \"vfs\"\n"
        + "runroot = \"" + dir.resolve("run") + "\"\ngraphroot = \"" + dir.resolve("root") + "\"\n");
    Files.writeString(dir.resolve("registries.conf"), registriesConf);
    Files.writeString(dir.resolve("auth.json"), "{}");
    this.env = Map.of(
        "CONTAINERS_CONF", dir.resolve("containers.conf").toString(),
        "CONTAINERS_STORAGE_CONF", dir.resolve("storage.conf").toString(),
        "CONTAINERS_REGISTRIES_CONF", dir.resolve("registries.conf").toString(),
        "REGISTRY_AUTH_FILE", dir.resolve("auth.json").toString(),
        "TMPDIR", dir.toString());
  }

  static boolean isInstalled() {
    return Files.isExecutable(BINARY);
  }

  /** Runs {@code podman ARGS} and returns stdout, trimmed. */
  String run(String... args) {
    List<String> cmd = new ArrayList<>(List.of(BINARY.toString()));
    cmd.addAll(List.of(args));
    try {
      Path out = Files.createTempFile(dir, "podman-", ".out");
      Path err = Files.createTempFile(dir, "podman-", ".err");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().putAll(env);
      Process p = pb.start();
      if (!p.waitFor(CALL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new PodmanException(String.join(" ", cmd) + " timed out after " + CALL_TIMEOUT);
      }
      String stdout = Files.readString(out, StandardCharsets.UTF_8).trim();
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      Files.delete(out);
      Files.delete(err);
      if (p.exitValue() != 0) {
        throw new PodmanException(String.join(" ", cmd) + " -> exit " + p.exitValue() + ":\n" + stderr);
      }
      return stdout;
    } catch (IOException e) {
      throw new PodmanException(String.join(" ", cmd) + " -> " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new PodmanException(String.join(" ", cmd) + " -> interrupted");
    }
  }

  static final class PodmanException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    PodmanException(String message) {
      super(message);
    }
  }
}
