package io.wharf.storage.s3;

import java.io.IOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * s3proxy (an S3 server over a directory: its {@code filesystem-nio2} store) as a child process on 127.0.0.1, one per
 * test class:
 *
 * <pre>{@code
 * @RegisterExtension static final S3ProxyProcess S3 = new S3ProxyProcess();
 * ... S3Driver.create(S3.config(uniquePrefix()).build())
 * }</pre>
 *
 * <p>The build copies s3proxy's self-contained jar to {@code target/s3proxy/s3proxy.jar}
 * (maven-dependency-plugin, phase generate-test-resources), and Surefire passes its path as the
 * system property {@code s3proxy.jar}. A separate process keeps s3proxy's own Jetty 11, jclouds
 * and Guice off the test classpath. Its output goes to {@code target/s3proxy/s3proxy-<port>.log}.
 */
public final class S3ProxyProcess implements BeforeAllCallback, AfterAllCallback {
  public static final String IDENTITY = "wharf-test";
  public static final String CREDENTIAL = "wharf-test-secret";
  public static final String BUCKET = "wharf";
  /** A deadline for a JVM starting on a loaded machine (it took over a minute there): free when fast. */
  private static final Duration STARTUP = Duration.ofSeconds(300);

  private final boolean strictHeaders;
  private Process process;
  private Path dataDir;
  private URI endpoint;

  /** s3proxy as most tests want it: tolerant of the checksum headers it does not know. */
  public S3ProxyProcess() {
    this(false);
  }

  /**
   * With {@code strictHeaders}, s3proxy keeps its default and answers a request with a header it
   * does not know (such as the SDK's {@code x-amz-checksum-crc32} on DeleteObjects) with 501.
   */
  S3ProxyProcess(boolean strictHeaders) {
    this.strictHeaders = strictHeaders;
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    Path jar = Path.of(System.getProperty("s3proxy.jar", "target/s3proxy/s3proxy.jar")).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      throw new IllegalStateException(jar + " is missing: the build copies it in phase generate-test-resources"
          + " (mvn -pl registry-storage test)");
    }
    int port = freePort();
    endpoint = URI.create("http://127.0.0.1:" + port);
    dataDir = Files.createTempDirectory("s3proxy-");
    Files.createDirectories(dataDir.resolve("blobs"));
    Properties p = new Properties();
    p.setProperty("s3proxy.endpoint", endpoint.toString());
    p.setProperty("s3proxy.authorization", "aws-v2-or-v4");
    p.setProperty("s3proxy.identity", IDENTITY);
    p.setProperty("s3proxy.credential", CREDENTIAL);
    p.setProperty("s3proxy.ignore-unknown-headers", Boolean.toString(!strictHeaders));
    p.setProperty("jclouds.provider", "filesystem-nio2");
    p.setProperty("jclouds.identity", "local");
    p.setProperty("jclouds.credential", "local");
    p.setProperty("jclouds.filesystem.basedir", dataDir.resolve("blobs").toString());
    Path conf = dataDir.resolve("s3proxy.conf");
    try (Writer w = Files.newBufferedWriter(conf, StandardCharsets.UTF_8)) {
      p.store(w, "written by " + S3ProxyProcess.class.getName());
    }
    Path log = jar.resolveSibling("s3proxy-" + port + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    process = new ProcessBuilder(List.of(java, "-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
            "--properties", conf.toString()))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    // Should the test JVM exit without afterAll (a Surefire timeout), s3proxy must not outlive it.
    Process started = process;
    Runtime.getRuntime().addShutdownHook(new Thread(started::destroyForcibly, "stop-s3proxy"));
    awaitReady(log);
    try (S3Driver driver = S3Driver.create(config("").build())) {
      driver.client().createBucket(b -> b.bucket(BUCKET));
    }
  }

  /** Waits until s3proxy answers HTTP (403 to an anonymous request is an answer). */
  private void awaitReady(Path log) throws Exception {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    long deadline = System.nanoTime() + STARTUP.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("s3proxy exited with " + process.exitValue() + ":\n" + tail(log));
      }
      try {
        http.send(HttpRequest.newBuilder(endpoint).timeout(Duration.ofSeconds(2)).build(),
            HttpResponse.BodyHandlers.discarding());
        return;
      } catch (IOException e) { // refused or reset while Jetty starts
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("s3proxy did not answer on " + endpoint + " within " + STARTUP + ":\n"
              + tail(log), e);
        }
        Thread.sleep(50);
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    if (process != null) {
      process.destroy();
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    }
    if (dataDir != null) {
      try (Stream<Path> files = Files.walk(dataDir)) {
        files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }

  public URI endpoint() {
    return endpoint;
  }

  /** A configuration for the test bucket under {@code prefix}, with static credentials and path-style URLs. */
  public S3DriverConfig.Builder config(String prefix) {
    return S3DriverConfig.builder(BUCKET)
        .prefix(prefix)
        .region("us-east-1")
        .endpoint(endpoint)
        .pathStyle(true)
        .credentials(IDENTITY, CREDENTIAL)
        .maxConnections(16);
  }

  /** A fresh prefix, so tests sharing the bucket never see each other's keys. */
  public static String uniquePrefix() {
    return "t-" + UUID.randomUUID();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String tail(Path log) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
