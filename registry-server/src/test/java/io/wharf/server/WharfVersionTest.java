package io.wharf.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.cli.WharfCli;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * {@code wharf --version} names the build's version. The shaded server jar's manifest has no
 * {@code Implementation-Version}, so a release jar once answered "(development build)"; the
 * version now comes from the resource the build filters, as the OpenAPI document's does.
 */
class WharfVersionTest {
  @Test
  void version_isTheBuildsProjectVersion() {
    StringWriter out = new StringWriter();
    CommandLine cli = new CommandLine(new WharfCli());
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("--version")).isZero();
    // target/classes holds the filtered resource, as the jar does
    assertThat(WharfVersion.current()).matches("\\d+\\.\\d+\\.\\d+(-[A-Za-z0-9.]+)?");
    assertThat(out.toString().trim()).isEqualTo("wharf " + WharfVersion.current());
  }

  @Test
  void outsideAMavenBuild_theVersionIsDevelopment() {
    ClassLoader empty = new ClassLoader(null) { };
    assertThat(WharfVersion.read(empty)).isEqualTo(WharfVersion.DEVELOPMENT);
  }
}
