package io.wharf.server.auth;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A throwaway certificate authority and a server certificate it signed for {@code localhost} and
 * {@code 127.0.0.1}, made with the {@code openssl} command line in a directory:
 *
 * <pre>
 * ca.crt            the CA certificate (what clients trust; skopeo's --src-cert-dir wants *.crt)
 * server.crt        server certificate + CA (PEM chain)      server.key  its key (PKCS#8 PEM)
 * server.p12        both as PKCS#12, password {@value #P12_PASSWORD}
 * </pre>
 */
public final class TestCa {
  public static final String P12_PASSWORD = "test-p12-password";
  public static final Path OPENSSL = Path.of("/usr/bin/openssl");

  private final Path dir;

  private TestCa(Path dir) {
    this.dir = dir;
  }

  public static boolean available() {
    return Files.isExecutable(OPENSSL);
  }

  /** Makes the CA and the server certificate in {@code dir}. */
  public static TestCa create(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n");
    openssl(dir, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Wharf Test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl(dir, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost");
    openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
        "-out", "leaf.crt", "-days", "2", "-extfile", "server.ext");
    Files.writeString(dir.resolve("server.crt"), Files.readString(dir.resolve("leaf.crt")) + Files.readString(dir.resolve("ca.crt")));
    openssl(dir, "pkcs12", "-export", "-in", "leaf.crt", "-inkey", "server.key", "-certfile", "ca.crt",
        "-out", "server.p12", "-passout", "pass:" + P12_PASSWORD, "-name", "server");
    return new TestCa(dir);
  }

  public Path dir() {
    return dir;
  }

  public Path caCertificate() {
    return dir.resolve("ca.crt");
  }

  public Path serverCertificate() {
    return dir.resolve("server.crt");
  }

  public Path serverKey() {
    return dir.resolve("server.key");
  }

  public Path serverPkcs12() {
    return dir.resolve("server.p12");
  }

  /** A directory holding only {@code ca.crt}: what skopeo's {@code --src-cert-dir} takes. */
  public Path certDir() throws IOException {
    Path d = Files.createDirectories(dir.resolve("certs.d"));
    Files.copy(caCertificate(), d.resolve("ca.crt"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return d;
  }

  /** An SSL context that trusts this CA only. */
  public SSLContext clientContext() throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    try (var in = Files.newInputStream(caCertificate())) {
      trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(null, tmf.getTrustManagers(), null);
    return ctx;
  }

  /** Runs {@code openssl ARGS} in {@code dir}; fails with its output if it fails. */
  public static String openssl(Path dir, String... args) {
    List<String> cmd = new ArrayList<>(List.of(OPENSSL.toString()));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + " failed:\n" + out);
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
