package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasswordHashesTest {
  @Test
  void hash_thenVerify() {
    String hash = PasswordHashes.hash("s3cret".toCharArray(), 4);
    assertThat(hash).startsWith("$2y$04$").hasSize(60);
    assertThat(PasswordHashes.isBcrypt(hash)).isTrue();
    assertThat(PasswordHashes.verify("s3cret".toCharArray(), hash)).isTrue();
    assertThat(PasswordHashes.verify("s3cret ".toCharArray(), hash)).isFalse();
    assertThat(PasswordHashes.verify("".toCharArray(), hash)).isFalse();
  }

  @Test
  void verify_readsEveryBcryptVersion() {
    String y = PasswordHashes.hash("pw".toCharArray(), 4);
    for (String prefix : List.of("$2a$", "$2b$", "$2y$")) {
      assertThat(PasswordHashes.verify("pw".toCharArray(), prefix + y.substring(4))).as(prefix).isTrue();
    }
  }

  @Test
  void verify_somethingThatIsNoBcryptHash_isFalse() {
    assertThat(PasswordHashes.verify("pw".toCharArray(), "pw")).isFalse();
    assertThat(PasswordHashes.verify("pw".toCharArray(), "$apr1$abc$def")).isFalse();
    assertThat(PasswordHashes.verify("pw".toCharArray(), null)).isFalse();
  }

  @Test
  void hash_refusesPasswordsBcryptWouldCut() {
    assertThatThrownBy(() -> PasswordHashes.hash("x".repeat(73).toCharArray(), 4)).hasMessageContaining("72 bytes");
    assertThatThrownBy(() -> PasswordHashes.hash(new char[0], 4)).hasMessageContaining("empty");
    assertThatThrownBy(() -> PasswordHashes.hash("x".toCharArray(), 3)).hasMessageContaining("cost");
  }

  @Test
  void verify_aHashMadeByApacheHtpasswd(@TempDir Path dir) throws Exception {
    Path htpasswd = Path.of("/usr/bin/htpasswd");
    assumeTrue(Files.isExecutable(htpasswd), "apache2-utils not installed");
    Path file = dir.resolve("users");
    Process p = new ProcessBuilder(htpasswd.toString(), "-B", "-C", "5", "-b", "-c", file.toString(), "ci", "from-apache")
        .redirectErrorStream(true).start();
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();

    String hash = Htpasswd.read(file).users().get("ci");

    assertThat(hash).startsWith("$2y$05$");
    assertThat(PasswordHashes.verify("from-apache".toCharArray(), hash)).isTrue();
    assertThat(PasswordHashes.verify("from-apach".toCharArray(), hash)).isFalse();
  }
}
