package io.wharf.server.it;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The shaded {@code wharf.jar} running in a child JVM:
 * {@code java [-Xmx..] -jar wharf.jar serve --bind 127.0.0.1 --port P --data DIR}.
 *
 * <pre>{@code
 * try (WharfProcess wharf = WharfProcess.serve(dataDir)) {
 *   skopeo.copy("oci:" + layout + ":1.0", "docker://" + wharf.hostPort() + "/team/app:1.0");
 * }
 * }</pre>
 *
 * The jar is the one Failsafe names in the system property {@code wharf.jar}
 * ({@code registry-server/target/wharf.jar}, built in the {@code package} phase).
 */
public final class WharfProcess extends ServerProcess {
  private final Path dataDir;

  private WharfProcess(Started s, Path dataDir) {
    super(s.process(), s.port(), s.log());
    this.dataDir = dataDir;
  }

  /** Serves {@code dataDir} (a distribution {@code rootdirectory}) with the JVM's default heap. */
  public static WharfProcess serve(Path dataDir) throws IOException {
    return serve(dataDir, null);
  }

  /**
   * Serves {@code dataDir}; {@code maxHeap} (e.g. {@code "64m"}) becomes {@code -Xmx}, null for
   * the default.
   */
  public static WharfProcess serve(Path dataDir, String maxHeap) throws IOException {
    Path jar = jar();
    Files.createDirectories(dataDir);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Started s = launch("wharf", port -> {
      List<String> cmd = new ArrayList<>(List.of(java));
      if (maxHeap != null) {
        cmd.add("-Xmx" + maxHeap);
      }
      cmd.addAll(List.of("-jar", jar.toString(), "serve",
          "--bind", "127.0.0.1", "--port", Integer.toString(port), "--data", dataDir.toString()));
      return cmd;
    }, DEFAULT_START_TIMEOUT);
    return new WharfProcess(s, dataDir);
  }

  /**
   * Serves with a configuration file; the listener comes from the command line so the port is
   * free. {@code dataDir} is the default blob store's directory (overrides the file's).
   */
  public static WharfProcess serveConfig(Path configFile, Path dataDir, String maxHeap) throws IOException {
    Path jar = jar();
    Files.createDirectories(dataDir);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Started s = launch("wharf", port -> {
      List<String> cmd = new ArrayList<>(List.of(java));
      if (maxHeap != null) {
        cmd.add("-Xmx" + maxHeap);
      }
      cmd.addAll(List.of("-jar", jar.toString(), "serve", "--config", configFile.toString(),
          "--bind", "127.0.0.1", "--port", Integer.toString(port), "--data", dataDir.toString()));
      return cmd;
    }, DEFAULT_START_TIMEOUT);
    return new WharfProcess(s, dataDir);
  }

  public Path dataDir() {
    return dataDir;
  }

  static Path jar() {
    String prop = System.getProperty("wharf.jar");
    Path jar = Path.of(prop != null ? prop : "target/wharf.jar").toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException("no Wharf jar at " + jar
          + ": run through Failsafe (mvn verify), which builds it and sets -Dwharf.jar");
    }
    return jar;
  }
}
