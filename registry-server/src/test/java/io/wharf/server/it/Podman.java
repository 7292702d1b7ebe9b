package io.wharf.server.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs Debian's podman 4.3 (as root) configured only through environment variables, as
 * {@code ../shared/CLIENTS.md} describes: cgroupfs and file events ({@code CONTAINERS_CONF}), vfs
 * storage under {@code dir} ({@code CONTAINERS_STORAGE_CONF}), the test's registries and mirrors
 * ({@code CONTAINERS_REGISTRIES_CONF}) and an empty auth file ({@code REGISTRY_AUTH_FILE}).
 */
final class Podman {
  static final Path BINARY = Path.of("/usr/bin/podman");

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
    return Command.run(cmd, env, dir).trim();
  }
}
