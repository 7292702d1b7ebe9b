package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Keys in the shapes openssl writes them, as signing keys and TLS keys. */
class PemTest {
  @TempDir Path dir;

  static void assertSigns(SigningKey key) throws Exception {
    TokenService s = new TokenService(key, "i", "s", Duration.ofMinutes(1), Duration.ofDays(1), Clock.systemUTC());
    assertThat(s.verify(s.issue("ci", List.of()).token()).subject()).isEqualTo("ci");
  }

  @Test
  void opensslKeys_pkcs8_sec1_pkcs1_allLoad() throws Exception {
    assumeTrue(TestCa.available());
    TestCa.openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "ec8.pem");
    TestCa.openssl(dir, "ec", "-in", "ec8.pem", "-out", "sec1.pem");
    TestCa.openssl(dir, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "rsa8.pem");
    TestCa.openssl(dir, "rsa", "-in", "rsa8.pem", "-traditional", "-out", "rsa1.pem");
    assertThat(Files.readString(dir.resolve("sec1.pem"))).contains("BEGIN EC PRIVATE KEY");
    assertThat(Files.readString(dir.resolve("rsa1.pem"))).contains("BEGIN RSA PRIVATE KEY");

    SigningKey ec8 = SigningKey.load(dir.resolve("ec8.pem"));
    SigningKey sec1 = SigningKey.load(dir.resolve("sec1.pem"));
    SigningKey rsa8 = SigningKey.load(dir.resolve("rsa8.pem"));
    SigningKey rsa1 = SigningKey.load(dir.resolve("rsa1.pem"));

    assertThat(ec8.algorithm().getName()).isEqualTo("ES256");
    assertThat(sec1.keyId()).isEqualTo(ec8.keyId());
    assertThat(rsa8.algorithm().getName()).isEqualTo("RS256");
    assertThat(rsa1.keyId()).isEqualTo(rsa8.keyId());
    for (SigningKey k : List.of(ec8, sec1, rsa8, rsa1)) {
      assertSigns(k);
    }
  }

  @Test
  void encryptedKey_isRefusedWithAHint() throws Exception {
    assumeTrue(TestCa.available());
    TestCa.openssl(dir, "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-aes256",
        "-pass", "pass:x", "-out", "enc.pem");
    assertThatThrownBy(() -> Pem.keyPair(dir.resolve("enc.pem"))).hasMessageContaining("encrypted")
        .hasMessageContaining("openssl pkey");
  }

  @Test
  void ecKeyWithoutItsPublicHalf_saysHowToAddIt() throws Exception {
    KeyPair pair = SecureServer.ecKey();
    assertThatThrownBy(() -> Pem.keyPair(Pem.encode("PRIVATE KEY", pair.getPrivate().getEncoded())))
        .hasMessageContaining("-pubout");
    assertThat(Pem.keyPair(Pem.encode("PRIVATE KEY", pair.getPrivate().getEncoded())
        + Pem.encode("PUBLIC KEY", pair.getPublic().getEncoded())).getPublic()).isEqualTo(pair.getPublic());
    assertThatThrownBy(() -> Pem.keyPair("nothing here")).hasMessageContaining("no private key");
  }

  @Test
  void loadOrCreate_writesAPrivateFileOnce_andReadsItBack() throws Exception {
    Path file = dir.resolve("data/wharf/token-signing-key.pem");

    SigningKey first = SigningKey.loadOrCreate(file);
    SigningKey second = SigningKey.loadOrCreate(file);

    assertThat(second.keyId()).isEqualTo(first.keyId());
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file); // no temp files left
    }
  }

  @Test
  void tlsKeys_pemAndPkcs12_andAKeyThatDoesNotFit() throws Exception {
    assumeTrue(TestCa.available());
    TestCa ca = TestCa.create(dir.resolve("ca"));

    assertThat(TlsKeys.pem(ca.serverCertificate(), ca.serverKey()).keyStore().size()).isEqualTo(1);
    assertThat(TlsKeys.pkcs12(ca.serverPkcs12(), TestCa.P12_PASSWORD).keyStore().size()).isGreaterThanOrEqualTo(1);
    assertThatThrownBy(() -> TlsKeys.pkcs12(ca.serverPkcs12(), "wrong")).hasMessageContaining("wrong password");
    assertThatThrownBy(() -> TlsKeys.pem(ca.serverCertificate(), ca.dir().resolve("ca.key")))
        .hasMessageContaining("is not the key of the first certificate");
    assertThatThrownBy(() -> TlsKeys.pem(ca.serverKey(), ca.serverKey())).hasMessageContaining("certificate");
  }
}
