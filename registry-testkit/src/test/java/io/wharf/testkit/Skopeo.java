package io.wharf.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code /usr/bin/skopeo} against test registries over plain HTTP. As in
 * registry-server's interop tests, every call is a fresh client: skopeo keeps a persistent
 * blob-info cache and would use it to HEAD or mount blobs it saw in earlier runs, so it is made
 * to believe it is rootless ({@code _CONTAINERS_ROOTLESS_UID}) with an unusable
 * {@code XDG_DATA_HOME}, which leaves it a per-process in-memory cache.
 */
final class Skopeo {
  static final Path BINARY = Path.of("/usr/bin/skopeo");

  private final Path workDir;

  Skopeo(Path workDir) {
    this.workDir = workDir;
  }

  static boolean isInstalled() {
    return Files.isExecutable(BINARY);
  }

  /** {@code skopeo copy} with TLS verification off on both sides; extra flags go before the refs. */
  String copy(String source, String destination, String... flags) {
    List<String> args = new ArrayList<>(List.of("copy", "--src-tls-verify=false", "--dest-tls-verify=false"));
    args.addAll(List.of(flags));
    args.add(source);
    args.add(destination);
    return run(args);
  }

  String listTags(String ref) {
    return run(List.of("list-tags", "--tls-verify=false", ref));
  }

  String inspectRaw(String ref) {
    return run(List.of("inspect", "--raw", "--tls-verify=false", ref));
  }

  String run(List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--insecure-policy"));
    cmd.addAll(args);
    try {
      Files.createDirectories(workDir);
      Path out = Files.createTempFile(workDir, "skopeo-", ".out");
      Path err = Files.createTempFile(workDir, "skopeo-", ".err");
      ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile());
      pb.environment().put("_CONTAINERS_ROOTLESS_UID", "65534");
      pb.environment().put("XDG_DATA_HOME", "/dev/null/no-blob-info-cache");
      pb.environment().put("TMPDIR", workDir.toString());
      Process p = pb.start();
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError(String.join(" ", cmd) + " timed out: " + Files.readString(err));
      }
      if (p.exitValue() != 0) {
        throw new AssertionError(String.join(" ", cmd) + " -> exit " + p.exitValue() + ":\n" + Files.readString(err));
      }
      return Files.readString(out, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError(String.join(" ", cmd) + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }
}
