package io.wharf.testkit;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The certificate of a registry started with {@link TestRegistryOptions#https()}, in every form
 * a client takes it. The certificate is self-signed (its own CA), made when the registry starts,
 * and valid for {@code 127.0.0.1}, {@code ::1} and {@code localhost}; its files live in the
 * registry's temporary directory and are deleted on {@code close()}.
 *
 * <pre>
 * TestTls tls = registry.tls();
 * HttpClient.newBuilder().sslContext(tls.sslContext()).build();                // java.net.http
 * new ProcessBuilder("skopeo", "copy", "--dest-cert-dir", tls.certDirectory().toString(), ...);
 * new ProcessBuilder("curl", "--cacert", tls.certificateFile().toString(), ...);
 * // a JVM (Jib, Maven, Gradle): -Djavax.net.ssl.trustStore=tls.trustStore()
 * //                             -Djavax.net.ssl.trustStorePassword=tls.trustStorePassword()
 * // a docker daemon: copy tls.certificateFile() to /etc/docker/certs.d/HOST:PORT/ca.crt
 * </pre>
 */
public final class TestTls {
  private static final String TRUST_STORE_PASSWORD = "wharf-testkit";

  private final X509Certificate certificate;
  private final KeyStore keyStore;
  private final char[] keyPassword;
  private final Path certDirectory;
  private final Path trustStore;
  private final SSLContext sslContext;

  private TestTls(X509Certificate certificate, KeyStore keyStore, char[] keyPassword, Path certDirectory,
      Path trustStore, SSLContext sslContext) {
    this.certificate = certificate;
    this.keyStore = keyStore;
    this.keyPassword = keyPassword;
    this.certDirectory = certDirectory;
    this.trustStore = trustStore;
    this.sslContext = sslContext;
  }

  /** Makes a certificate and writes its files under {@code dir}. */
  static TestTls create(Path dir) {
    try {
      SecureRandom random = new SecureRandom();
      SelfSignedCertificate.Generated made = SelfSignedCertificate.generate(random);
      byte[] secret = new byte[18];
      random.nextBytes(secret);
      char[] keyPassword = Base64.getEncoder().encodeToString(secret).toCharArray();
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("wharf", made.keys().getPrivate(), keyPassword, new Certificate[] {made.certificate()});

      KeyStore trust = KeyStore.getInstance("PKCS12");
      trust.load(null, null);
      trust.setCertificateEntry("wharf-testkit", made.certificate());
      Path certs = Files.createDirectories(dir.resolve("certs"));
      Files.writeString(certs.resolve("ca.crt"), pem(made.certificate()), StandardCharsets.US_ASCII);
      Path trustStore = dir.resolve("truststore.p12");
      try (OutputStream out = Files.newOutputStream(trustStore)) {
        trust.store(out, TRUST_STORE_PASSWORD.toCharArray());
      }
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trust);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, tmf.getTrustManagers(), random);
      return new TestTls(made.certificate(), keys, keyPassword, certs, trustStore, context);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("could not make the test registry's certificate: " + e, e);
    }
  }

  /** {@return the server's certificate (self-signed, so also the CA to trust)} */
  public X509Certificate certificate() {
    return certificate;
  }

  /** {@return the certificate in PEM ({@code -----BEGIN CERTIFICATE-----...})} */
  public String certificatePem() {
    return pem(certificate);
  }

  /**
   * {@return {@code ca.crt} in {@link #certDirectory()}: the PEM file for curl's {@code --cacert}
   * or docker's {@code certs.d}}
   */
  public Path certificateFile() {
    return certDirectory.resolve("ca.crt");
  }

  /**
   * A directory holding only {@code ca.crt}: what skopeo's {@code --cert-dir} ({@code
   * --src-cert-dir}, {@code --dest-cert-dir}) and podman's {@code --cert-dir} read.
   *
   * @return the directory
   */
  public Path certDirectory() {
    return certDirectory;
  }

  /** {@return a PKCS#12 trust store with the certificate, for {@code javax.net.ssl.trustStore}} */
  public Path trustStore() {
    return trustStore;
  }

  /** {@return the password of {@link #trustStore()}} */
  public String trustStorePassword() {
    return TRUST_STORE_PASSWORD;
  }

  /**
   * {@return {@code PKCS12}: the type of {@link #trustStore()}, for {@code
   * javax.net.ssl.trustStoreType}}
   */
  public String trustStoreType() {
    return "PKCS12";
  }

  /**
   * {@return a TLS context that trusts this certificate (and nothing else): for {@code
   * HttpClient.Builder.sslContext}}
   */
  public SSLContext sslContext() {
    return sslContext;
  }

  KeyStore keyStore() {
    return keyStore;
  }

  String keyPassword() {
    return new String(keyPassword);
  }

  private static String pem(X509Certificate c) {
    try {
      return "-----BEGIN CERTIFICATE-----\n"
          + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(c.getEncoded())
          + "\n-----END CERTIFICATE-----\n";
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return "TestTls[" + certificate.getSubjectX500Principal() + ", " + certDirectory + "]";
  }
}
