package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.cloud.tools.jib.api.Containerizer;
import com.google.cloud.tools.jib.api.Jib;
import com.google.cloud.tools.jib.api.RegistryImage;
import com.google.cloud.tools.jib.api.buildplan.AbsoluteUnixPath;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The non-JVM pipeline's way in: {@code wharf serve --ephemeral --port 0} in a process of its
 * own prints its URL, serves pushes, and leaves nothing on disk.
 */
class EphemeralServeTest {
  private static final Pattern LISTENING = Pattern.compile("^Wharf listening on (http://\\S+)$");

  @TempDir Path cwd;
  @TempDir Path work;

  @Test
  void serveEphemeralPortZero_printsTheUrl_servesPushes_writesNothing() throws Exception {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", classpath, "io.wharf.server.cli.WharfCli", "serve", "--ephemeral", "--port", "0"));
    Process server = new ProcessBuilder(cmd).directory(cwd.toFile()).redirectError(work.resolve("stderr.txt").toFile())
        .start();
    try {
      CompletableFuture<String> url = CompletableFuture.supplyAsync(() -> firstUrl(server));
      URI base = URI.create(url.get(60, TimeUnit.SECONDS));

      assertThat(Http.get(base, "/v2/").statusCode()).isEqualTo(200);
      Path file = Files.writeString(work.resolve("hello.txt"), "hello");
      Jib.fromScratch().addLayer(List.of(file), AbsoluteUnixPath.get("/app"))
          .containerize(Containerizer.to(RegistryImage.named(base.getAuthority() + "/ci/app:1")).setAllowInsecureRegistries(true)
              .setApplicationLayersCache(work.resolve("cache")).setBaseImageLayersCache(work.resolve("cache")));
      assertThat(new String(Http.get(base, "/v2/ci/app/tags/list").body(), StandardCharsets.UTF_8)).contains("\"1\"");
    } finally {
      server.destroy();
      server.waitFor(20, TimeUnit.SECONDS);
    }
    try (Stream<Path> left = Files.list(cwd)) {
      assertThat(left).isEmpty(); // no ./wharf-data
    }
  }

  @Test
  void ephemeralWithData_isAConfigurationError() {
    java.io.PrintStream err = System.err;
    java.io.ByteArrayOutputStream captured = new java.io.ByteArrayOutputStream();
    int exit;
    try {
      System.setErr(new java.io.PrintStream(captured, true, StandardCharsets.UTF_8));
      exit = new picocli.CommandLine(new io.wharf.server.cli.WharfCli())
          .execute("serve", "--ephemeral", "--data", cwd.resolve("data").toString(), "--port", "0");
    } finally {
      System.setErr(err);
    }
    assertThat(exit).isEqualTo(2);
    assertThat(captured.toString(StandardCharsets.UTF_8)).contains("--ephemeral").contains("--data");
    assertThat(cwd.resolve("data")).doesNotExist();
  }

  private static String firstUrl(Process server) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8))) {
      for (String line; (line = r.readLine()) != null; ) {
        Matcher m = LISTENING.matcher(line.trim());
        if (m.matches()) {
          return m.group(1);
        }
      }
      throw new IllegalStateException("the server ended without printing its URL");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
