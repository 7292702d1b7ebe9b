package io.wharf.server.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Runs {@code /usr/bin/skopeo} against registries on 127.0.0.1 over plain HTTP.
 *
 * <p>Every call is a fresh client: skopeo keeps a persistent blob-info cache (root:
 * {@code /var/lib/containers/cache}) and uses it to HEAD or cross-mount blobs it saw in earlier
 * runs, so a test would otherwise depend on what ran before it. As in
 * {@code /work/shared/bench/bench.sh}, we make skopeo believe it is rootless
 * ({@code _CONTAINERS_ROOTLESS_UID}) with an unusable {@code XDG_DATA_HOME}, which makes it fall
 * back to its per-process in-memory cache.
 *
 * <p>Each call is bounded by a timeout, returns stdout, and throws {@link SkopeoException} with
 * stderr when skopeo exits non-zero.
 */
public final class Skopeo {
  public static final Path BINARY = Path.of("/usr/bin/skopeo");
  private static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(3);

  private final Path workDir;
  private final Duration timeout;

  /** {@code workDir} holds the stdout/stderr files of each call (and skopeo's TMPDIR). */
  public Skopeo(Path workDir) {
    this(workDir, DEFAULT_TIMEOUT);
  }

  public Skopeo(Path workDir, Duration timeout) {
    this.workDir = workDir;
    this.timeout = timeout;
  }

  public static boolean isInstalled() {
    return Files.isExecutable(BINARY);
  }

  /** {@code skopeo copy} with TLS verification off on both sides; extra flags go before the refs. */
  public String copy(String source, String destination, String... flags) {
    List<String> args = new ArrayList<>(List.of("copy", "--src-tls-verify=false",
        "--dest-tls-verify=false"));
    args.addAll(Arrays.asList(flags));
    args.add(source);
    args.add(destination);
    return text(args);
  }

  /** {@code skopeo inspect --raw}: the manifest bytes exactly as the registry served them. */
  public byte[] inspectRaw(String ref) {
    return run(List.of("inspect", "--raw", "--tls-verify=false", ref));
  }

  /** {@code skopeo inspect} (JSON); for an index, of the child matching {@code flags}' platform. */
  public String inspect(String ref, String... flags) {
    List<String> args = new ArrayList<>(List.of("--tls-verify=false"));
    args.addAll(Arrays.asList(flags));
    return global("inspect", args, ref);
  }

  /** {@code skopeo list-tags} (JSON {@code {"Repository":..,"Tags":[..]}}). */
  public String listTags(String ref) {
    return global("list-tags", List.of("--tls-verify=false"), ref);
  }

  public String delete(String ref) {
    return global("delete", List.of("--tls-verify=false"), ref);
  }

  private String global(String command, List<String> flags, String ref) {
    List<String> args = new ArrayList<>();
    args.add(command);
    args.addAll(flags);
    args.add(ref);
    return text(args);
  }

  private String text(List<String> args) {
    return new String(run(args), StandardCharsets.UTF_8);
  }

  /** Runs {@code skopeo --insecure-policy ARGS} and returns stdout. */
  public byte[] run(List<String> args) {
    List<String> cmd = new ArrayList<>(List.of(BINARY.toString(), "--insecure-policy"));
    cmd.addAll(args);
    Map<String, String> env = Map.of(
        "_CONTAINERS_ROOTLESS_UID", "65534",
        "XDG_DATA_HOME", "/dev/null/no-blob-info-cache",
        "TMPDIR", workDir.toString());
    try {
      return Command.runForBytes(cmd, env, workDir, timeout);
    } catch (Command.CommandException e) {
      throw new SkopeoException(e);
    }
  }

  /** skopeo failed: the message holds the command, the exit code and stderr. */
  public static final class SkopeoException extends Command.CommandException {
    private static final long serialVersionUID = 1L;

    SkopeoException(Command.CommandException failed) {
      super(failed);
    }
  }
}
