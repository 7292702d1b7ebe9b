package io.wharf.server.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.auth.PasswordHashes;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code wharf hash-password}, through the real command line. */
class HashPasswordTest {
  final StringWriter out = new StringWriter();
  final StringWriter err = new StringWriter();

  int run(String stdin, String... args) {
    HashPassword.stdin = new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8));
    CommandLine cli = new CommandLine(new WharfCli());
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    String[] all = new String[args.length + 1];
    all[0] = "hash-password";
    System.arraycopy(args, 0, all, 1, args.length);
    return cli.execute(all);
  }

  @AfterEach
  void restore() {
    HashPassword.stdin = System.in;
  }

  @Test
  void readsTheFirstLineOfStdin_printsABcryptHash() {
    assertThat(run("s3cret pass\nignored\n", "--cost", "4")).isZero();

    String hash = out.toString().strip();
    assertThat(hash).startsWith("$2y$04$");
    assertThat(PasswordHashes.verify("s3cret pass".toCharArray(), hash)).isTrue();
  }

  @Test
  void defaultCost_is10() {
    assertThat(run("pw")).isZero();
    assertThat(out.toString()).startsWith("$2y$10$");
  }

  @Test
  void withUser_printsAnHtpasswdLine() {
    assertThat(run("pw", "--cost", "4", "--user", "ci")).isZero();
    assertThat(out.toString().strip()).matches("ci:\\$2y\\$04\\$.{53}");
  }

  @Test
  void emptyInput_orBadCost_isAnError() {
    assertThat(run("")).isEqualTo(2);
    assertThat(err.toString()).contains("no password");
    assertThat(run("pw", "--cost", "40")).isEqualTo(2);
    assertThat(err.toString()).contains("cost");
    assertThat(out.toString()).isEmpty();
  }

  @Test
  void isListedInTheHelp() {
    CommandLine cli = new CommandLine(new WharfCli());
    assertThat(cli.getSubcommands()).containsKey("hash-password");
  }
}
