package io.wharf.testkit;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * A self-signed EC P-256 certificate for the loopback names ({@code 127.0.0.1}, {@code ::1},
 * {@code localhost}), written in DER by hand: the JDK reads certificates but has no public API
 * to make one, and neither a keytool/openssl process (slow, maybe absent) nor Bouncy Castle (a
 * large dependency in every user's test classpath) is worth it for one fixed shape.
 *
 * <p>It is its own CA ({@code basicConstraints CA:TRUE}), so clients can take it as the trust
 * anchor in every format they read: a Java trust store, a PEM {@code ca.crt} for docker's
 * {@code certs.d} or skopeo's {@code --cert-dir}, curl's {@code --cacert}.
 */
final class SelfSignedCertificate {
  private static final String COMMON_NAME = "Wharf test kit";
  private static final DateTimeFormatter UTC_TIME = DateTimeFormatter.ofPattern("yyMMddHHmmss'Z'").withZone(ZoneOffset.UTC);

  private SelfSignedCertificate() {}

  record Generated(KeyPair keys, X509Certificate certificate) {}

  static Generated generate(SecureRandom random) throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), random);
    KeyPair keys = generator.generateKeyPair();

    byte[] serial = new byte[16];
    random.nextBytes(serial);
    serial[0] &= 0x7f; // positive
    Instant now = Instant.now();
    byte[] ecdsaWithSha256 = seq(oid("1.2.840.10045.4.3.2"));
    byte[] name = seq(set(seq(oid("2.5.4.3"), tlv(0x0c, COMMON_NAME.getBytes(StandardCharsets.UTF_8)))));
    byte[] altNames = seq(
        tlv(0x87, new byte[] {127, 0, 0, 1}),                              // iPAddress 127.0.0.1
        tlv(0x87, new byte[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}), // iPAddress ::1
        tlv(0x82, "localhost".getBytes(StandardCharsets.US_ASCII)));       // dNSName
    byte[] extensions = tlv(0xa3, seq(
        seq(oid("2.5.29.19"), bool(true), octets(seq(bool(true)))),                       // basicConstraints CA
        seq(oid("2.5.29.15"), bool(true), octets(tlv(0x03, new byte[] {1, (byte) 0x86}))), // digitalSignature, keyCertSign, cRLSign
        seq(oid("2.5.29.37"), octets(seq(oid("1.3.6.1.5.5.7.3.1")))),                     // extKeyUsage serverAuth
        seq(oid("2.5.29.17"), octets(altNames))));                                        // subjectAltName
    byte[] tbs = seq(
        tlv(0xa0, tlv(0x02, new byte[] {2})), // v3
        tlv(0x02, new BigInteger(serial).toByteArray()),
        ecdsaWithSha256,
        name,
        seq(time(now.minus(Duration.ofHours(1))), time(now.plus(Duration.ofDays(3650)))),
        name,
        keys.getPublic().getEncoded(), // SubjectPublicKeyInfo, DER already
        extensions);
    Signature signer = Signature.getInstance("SHA256withECDSA");
    signer.initSign(keys.getPrivate(), random);
    signer.update(tbs);
    byte[] der = seq(tbs, ecdsaWithSha256, bitString(signer.sign()));

    X509Certificate certificate = (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(der));
    certificate.verify(keys.getPublic()); // the encoding is right, or we fail here and not in a handshake
    return new Generated(keys, certificate);
  }

  // ---- DER

  private static byte[] tlv(int tag, byte[] value) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(value.length + 6);
    out.write(tag);
    int n = value.length;
    if (n < 0x80) {
      out.write(n);
    } else {
      int bytes = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
      out.write(0x80 | bytes);
      for (int i = bytes - 1; i >= 0; i--) {
        out.write(n >>> (8 * i));
      }
    }
    out.writeBytes(value);
    return out.toByteArray();
  }

  private static byte[] seq(byte[]... parts) {
    return tlv(0x30, concat(parts));
  }

  private static byte[] set(byte[]... parts) {
    return tlv(0x31, concat(parts));
  }

  private static byte[] bool(boolean b) {
    return tlv(0x01, new byte[] {(byte) (b ? 0xff : 0)});
  }

  private static byte[] octets(byte[] value) {
    return tlv(0x04, value);
  }

  private static byte[] bitString(byte[] value) {
    return tlv(0x03, concat(new byte[] {0}, value)); // no unused bits
  }

  private static byte[] time(Instant t) {
    return tlv(0x17, UTC_TIME.format(t).getBytes(StandardCharsets.US_ASCII)); // UTCTime: until 2049
  }

  private static byte[] oid(String dotted) {
    String[] parts = dotted.split("\\.");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(Integer.parseInt(parts[0]) * 40 + Integer.parseInt(parts[1]));
    for (int i = 2; i < parts.length; i++) {
      long v = Long.parseLong(parts[i]);
      int groups = 1;
      while ((v >>> (7 * groups)) != 0) {
        groups++;
      }
      for (int g = groups - 1; g >= 0; g--) {
        out.write((int) ((v >>> (7 * g)) & 0x7f) | (g == 0 ? 0 : 0x80));
      }
    }
    return tlv(0x06, out.toByteArray());
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
