package io.wharf.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.testkit.bench.FirstStartProbe;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The first start of a fresh JVM, in a process of its own: with more than two processors the kit
 * does part of it on a second thread ({@code JettyWarmUp}), which this machine's tests would
 * otherwise never run. The registry must serve, and the JVM print nothing on standard error (no
 * SLF4J warning about loggers replayed).
 */
class FirstStartTest {
  @TempDir Path work;

  @Test
  void firstStartWithTheWarmUpThread_serves_andPrintsNothingOnStandardError() throws Exception {
    assertFirstStart(4);
  }

  @Test
  void firstStartOnTwoProcessors_serves_andPrintsNothingOnStandardError() throws Exception {
    assertFirstStart(2);
  }

  private void assertFirstStart(int processors) throws Exception {
    String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path out = work.resolve("stdout-" + processors + ".txt");
    Path err = work.resolve("stderr-" + processors + ".txt");
    Process p = new ProcessBuilder(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-XX:ActiveProcessorCount=" + processors, "-cp", classpath, FirstStartProbe.class.getName(), "--warm", "2"))
        .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("the probe ends").isTrue();
    assertThat(p.exitValue()).as(Files.readString(err, StandardCharsets.UTF_8)).isZero();
    assertThat(Files.readString(out, StandardCharsets.UTF_8)).startsWith("first_ms=");
    assertThat(Files.readString(err, StandardCharsets.UTF_8)).isEmpty();
  }
}
