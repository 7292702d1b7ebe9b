package io.wharf.testkit.bench;

import io.wharf.testkit.TestRegistry;
import io.wharf.testkit.TestRegistryOptions;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Start-to-ready of the test kit, beside other registries started the way a pipeline would.
 * "Ready" is the first answer to {@code GET /v2/} on a new connection, with status 200. Not a
 * unit test: run it by hand (it prints a Markdown table for docs/benchmarks.md).
 *
 * <pre>
 * cd registry-testkit
 * mvn -q -o test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test-classpath.txt
 * java -cp target/test-classes:target/classes:$(cat target/test-classpath.txt) \
 *     io.wharf.testkit.bench.StartupBenchmark [--jar ../registry-server/target/wharf.jar] [--rounds 50]
 * </pre>
 *
 * Rows:
 * <ol>
 *   <li>{@code TestRegistry.start()} then the first request, in this JVM: the first round (cold
 *       JVM: class loading, JIT) and then, after warm-up rounds, a warm JVM (what every test
 *       after the first one in a run pays; the extension's {@code beforeEach} is this call);
 *   <li>the same with {@code fakeUpstream()} (two servers, three ports, proxy and group);
 *   <li>Debian's {@code docker-registry serve cfg.yml}: process start to first 200;
 *   <li>{@code java -jar wharf.jar serve --ephemeral}: process start (a new JVM) to first 200.
 * </ol>
 */
public final class StartupBenchmark {
  private static final Path DOCKER_REGISTRY = Path.of("/usr/bin/docker-registry");

  public static void main(String[] args) throws Exception {
    int rounds = 50;
    int warmup = 30;
    int processRounds = 15;
    Path jar = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--warmup" -> warmup = Integer.parseInt(args[++i]);
        case "--process-rounds" -> processRounds = Integer.parseInt(args[++i]);
        case "--jar" -> jar = Path.of(args[++i]).toAbsolutePath();
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    System.out.printf(Locale.ROOT, "%s, %d cores, Java %s, load average at start: %s%n", System.getProperty("os.name"),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"), loadAverage());
    System.out.println();
    System.out.println("| what | rounds | min | median | p90 | max |");
    System.out.println("|---|---:|---:|---:|---:|---:|");

    double cold = kitOnce(TestRegistryOptions.defaults());
    System.out.printf(Locale.ROOT, "| `TestRegistry.start()` + first request, cold JVM (first in the process) | 1 | %.1f ms | | | |%n", cold);
    for (int i = 0; i < warmup; i++) {
      kitOnce(TestRegistryOptions.defaults());
      kitOnce(TestRegistryOptions.defaults().fakeUpstream());
    }
    double[] warm = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      warm[i] = kitOnce(TestRegistryOptions.defaults());
    }
    row("`TestRegistry.start()` + first request, warm JVM", warm);
    double[] scenario = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      scenario[i] = kitOnce(TestRegistryOptions.defaults().fakeUpstream());
    }
    row("`TestRegistry.start(fakeUpstream())` + first request to the proxy, warm JVM", scenario);
    double[] tempDir = new double[rounds];
    for (int i = 0; i < rounds; i++) {
      tempDir[i] = kitOnce(TestRegistryOptions.defaults().storage(TestRegistryOptions.Storage.TEMP_DIRECTORY));
    }
    row("`TestRegistry.start(TEMP_DIRECTORY)` + first request, warm JVM", tempDir);

    if (Files.isExecutable(DOCKER_REGISTRY)) {
      double[] distribution = new double[processRounds];
      for (int i = 0; i < processRounds; i++) {
        distribution[i] = dockerRegistryOnce();
      }
      row("`docker-registry serve cfg.yml` (Debian, distribution 2.8) process start to first 200", distribution);
    }
    if (jar != null) {
      double[] process = new double[Math.min(processRounds, 10)];
      for (int i = 0; i < process.length; i++) {
        process[i] = processOnce(List.of(javaBin(), "-jar", jar.toString(), "serve", "--ephemeral", "--port"));
      }
      row("`java -jar wharf.jar serve --ephemeral` process start (new JVM) to first 200", process);
    }
    System.out.println();
    System.out.println("load average at the end: " + loadAverage());
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /** Starts a kit registry, sends the first request on a new connection, stops it; returns ms to the answer. */
  private static double kitOnce(TestRegistryOptions options) throws IOException {
    long t0 = System.nanoTime();
    try (TestRegistry r = TestRegistry.start(options)) {
      int port = isScenario(r) ? r.proxy().url().getPort() : r.url().getPort();
      int status = firstRequest(port);
      double ms = (System.nanoTime() - t0) / 1e6;
      if (status != 200) {
        throw new IllegalStateException("GET /v2/ answered " + status);
      }
      return ms;
    }
  }

  private static boolean isScenario(TestRegistry r) {
    try {
      r.upstream();
      return true;
    } catch (IllegalStateException e) {
      return false;
    }
  }

  private static double dockerRegistryOnce() throws Exception {
    Path dir = Files.createTempDirectory("bench-distribution-");
    try {
      int port = freePort();
      Path cfg = dir.resolve("cfg.yml");
      Files.writeString(cfg, String.join("\n",
          "version: 0.1",
          "log: {level: error, accesslog: {disabled: true}}",
          "storage: {filesystem: {rootdirectory: " + dir.resolve("data") + "}}",
          "http: {addr: 127.0.0.1:" + port + "}", ""));
      return timeProcess(new ProcessBuilder(DOCKER_REGISTRY.toString(), "serve", cfg.toString()), port);
    } finally {
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  private static double processOnce(List<String> commandWithoutPort) throws Exception {
    int port = freePort();
    List<String> cmd = new ArrayList<>(commandWithoutPort);
    cmd.add(Integer.toString(port));
    Path cwd = Files.createTempDirectory("bench-wharf-");
    try {
      return timeProcess(new ProcessBuilder(cmd).directory(cwd.toFile()), port);
    } finally {
      cwd.toFile().delete();
    }
  }

  /** Starts the process and polls {@code GET /v2/} until it answers 200; returns ms from start. */
  private static double timeProcess(ProcessBuilder pb, int port) throws Exception {
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD);
    long t0 = System.nanoTime();
    Process p = pb.start();
    try {
      long deadline = t0 + TimeUnit.SECONDS.toNanos(60);
      while (System.nanoTime() < deadline) {
        if (!p.isAlive()) {
          throw new IllegalStateException(pb.command() + " exited with " + p.exitValue());
        }
        try {
          if (firstRequest(port) == 200) {
            return (System.nanoTime() - t0) / 1e6;
          }
        } catch (IOException notYet) {
          // connection refused: not listening yet
        }
        Thread.sleep(1);
      }
      throw new IllegalStateException(pb.command() + " did not answer within 60 s");
    } finally {
      p.destroy();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
    }
  }

  /** {@code GET /v2/} on a new connection; returns the status code. */
  private static int firstRequest(int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(("GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] line = new byte[12];
      int n = in.readNBytes(line, 0, line.length);
      if (n < 12) {
        throw new IOException("short response");
      }
      return Integer.parseInt(new String(line, 9, 3, StandardCharsets.US_ASCII));
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static void row(String what, double[] ms) {
    double[] s = ms.clone();
    Arrays.sort(s);
    System.out.printf(Locale.ROOT, "| %s | %d | %.1f ms | %.1f ms | %.1f ms | %.1f ms |%n", what, s.length, s[0],
        percentile(s, 50), percentile(s, 90), s[s.length - 1]);
  }

  private static double percentile(double[] sorted, int p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }
}
