package io.wharf.server.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.config.Durations;
import io.wharf.server.config.WharfConfig;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code examples/wharf.service} is a unit systemd accepts as written ({@code systemd-analyze
 * verify}: no unknown key, no bad value, an executable {@code ExecStart}), with the hardening the
 * README promises, and a stop timeout longer than the server's own graceful stop, so that systemd
 * does not kill the JVM while uploads finish. {@code examples/wharf.env} sets only variables that
 * {@code wharf serve} reads. Interop: it needs {@code systemd-analyze} (Debian's systemd package).
 */
@Tag("interop")
class SystemdUnitTest {
  static final Path UNIT = Path.of("../examples/wharf.service");
  static final Path ENV = Path.of("../examples/wharf.env");

  @Test
  void systemdAnalyzeVerify_acceptsTheUnit_withoutAWord() throws Exception {
    Process p = new ProcessBuilder("systemd-analyze", "verify", UNIT.toAbsolutePath().normalize().toString())
        .redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(2, TimeUnit.MINUTES)).isTrue();
    // systemd-analyze exits 0 for unknown keys and unparsable values too: only silence is a pass
    assertThat(out).as("systemd-analyze verify output").isEmpty();
    assertThat(p.exitValue()).isZero();
  }

  @Test
  void unit_runsAsItsOwnUser_readOnlySystem_writesOnlyTheDataDirectory() throws Exception {
    Map<String, List<String>> service = serviceSection();

    assertThat(service.get("User")).containsExactly("wharf");
    assertThat(service.get("ProtectSystem")).containsExactly("strict");
    assertThat(service.get("ReadWritePaths")).containsExactly("/var/lib/wharf");
    assertThat(service.get("NoNewPrivileges")).containsExactly("yes");
    assertThat(service.get("Restart")).containsExactly("on-failure");
    assertThat(service.get("SuccessExitStatus")).as("the JVM's exit status after SIGTERM").containsExactly("143");
    assertThat(service.get("EnvironmentFile")).containsExactly("/etc/wharf/wharf.env");
  }

  @Test
  void stopTimeout_outlastsTheServersGracefulStop() throws Exception {
    Duration systemdStop = Durations.parse(serviceSection().get("TimeoutStopSec").get(0), "TimeoutStopSec");
    Duration serverStop = Durations.parse(WharfConfig.defaults().server().shutdownTimeout(), "server.shutdownTimeout");

    // the server's stop is its shutdownTimeout for requests in flight plus the last flushes: leave
    // it several times that
    assertThat(systemdStop).isGreaterThanOrEqualTo(serverStop.multipliedBy(4));
  }

  @Test
  void envFile_setsOnlyVariablesWharfReads() throws Exception {
    Set<String> set = Files.readAllLines(ENV).stream()
        .map(String::strip)
        .filter(l -> !l.isEmpty() && !l.startsWith("#"))
        .map(l -> l.substring(0, l.indexOf('=')))
        .collect(Collectors.toSet());

    assertThat(set).contains("WHARF_CONFIG")
        .isSubsetOf("WHARF_CONFIG", "WHARF_BIND", "WHARF_PORT", "WHARF_DATA", "WHARF_JAVA_OPTS");
  }

  private static Map<String, List<String>> serviceSection() throws Exception {
    String section = "";
    Map<String, List<String>> keys = new java.util.LinkedHashMap<>();
    for (String line : Files.readAllLines(UNIT)) {
      String l = line.strip();
      if (l.startsWith("[")) {
        section = l;
      } else if ("[Service]".equals(section) && !l.isEmpty() && !l.startsWith("#")) {
        int eq = l.indexOf('=');
        keys.computeIfAbsent(l.substring(0, eq), k -> new java.util.ArrayList<>()).add(l.substring(eq + 1));
      }
    }
    return keys;
  }
}
