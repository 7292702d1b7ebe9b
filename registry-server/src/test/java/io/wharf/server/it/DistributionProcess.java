package io.wharf.server.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Debian's reference registry (CNCF distribution 2.8.2, {@code /usr/bin/docker-registry}) as a
 * child process, serving a filesystem {@code rootdirectory} on 127.0.0.1 with anonymous access
 * and deletes enabled. There is no systemd here: we write a config and run {@code serve} ourselves.
 */
public final class DistributionProcess extends ServerProcess {
  public static final Path BINARY = Path.of("/usr/bin/docker-registry");

  private final Path rootDirectory;

  private DistributionProcess(Started s, Path rootDirectory) {
    super(s.process(), s.port(), s.log());
    this.rootDirectory = rootDirectory;
  }

  public static boolean isInstalled() {
    return Files.isExecutable(BINARY);
  }

  /** Serves {@code rootDirectory}; the config file is written next to the log under target/. */
  public static DistributionProcess serve(Path rootDirectory) throws IOException {
    return serve(rootDirectory, null);
  }

  /** As {@link #serve(Path)}, with Basic authentication against {@code htpasswd} (bcrypt entries) unless null. */
  public static DistributionProcess serve(Path rootDirectory, Path htpasswd) throws IOException {
    return serve(rootDirectory, htpasswd, 0);
  }

  /**
   * As {@link #serve(Path, Path)}, on {@code port} unless it is 0 (then a free one): a registry
   * stopped and started again where its clients expect it.
   */
  public static DistributionProcess serve(Path rootDirectory, Path htpasswd, int port) throws IOException {
    Files.createDirectories(rootDirectory);
    CommandForPort command = p -> {
      Path config = Files.createTempFile(logDir(), "docker-registry-" + p + "-", ".yml");
      Files.writeString(config, config(rootDirectory, p) + (htpasswd == null ? "" : """
          auth:
            htpasswd:
              realm: wharf-test
              path: %s
          """.formatted(quote(htpasswd.toAbsolutePath().toString()))), StandardCharsets.UTF_8);
      return List.of(BINARY.toString(), "serve", config.toString());
    };
    Started s = port == 0 ? launch("docker-registry", command, DEFAULT_START_TIMEOUT)
        : launchOn("docker-registry", port, command, DEFAULT_START_TIMEOUT);
    return new DistributionProcess(s, rootDirectory);
  }

  public Path rootDirectory() {
    return rootDirectory;
  }

  private static String config(Path root, int port) {
    // JSON strings are valid YAML scalars, so quoting the path keeps odd characters safe.
    return """
        version: 0.1
        log:
          level: warn
          accesslog:
            disabled: true
        storage:
          filesystem:
            rootdirectory: %s
          delete:
            enabled: true
          maintenance:
            uploadpurging:
              enabled: false
        http:
          addr: 127.0.0.1:%d
        """.formatted(quote(root.toAbsolutePath().toString()), port);
  }

  private static String quote(String s) {
    return '"' + s.replace("\\", "\\\\").replace("\"", "\\\"") + '"';
  }
}
