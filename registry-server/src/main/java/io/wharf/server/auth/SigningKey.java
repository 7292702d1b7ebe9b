package io.wharf.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key that signs bearer tokens: EC P-256 (ES256) or RSA of 2048 bits or more (RS256). Every
 * node that has the same key accepts the others' tokens.
 *
 * <p>{@link #loadOrCreate} keeps a generated key as a PEM file (PKCS#8 private key followed by
 * its public key), readable by the owner only.
 */
public final class SigningKey {
  private static final Logger LOG = LoggerFactory.getLogger(SigningKey.class);
  /** Where a generated key lives, relative to the default file blob store's directory. */
  public static final String DEFAULT_FILE = "wharf/token-signing-key.pem";

  private final JWK jwk;
  private final JWSAlgorithm algorithm;

  private SigningKey(JWK jwk, JWSAlgorithm algorithm) {
    this.jwk = jwk;
    this.algorithm = algorithm;
  }

  /**
   * A signing key from a key pair.
   *
   * @throws IllegalArgumentException if it is neither EC P-256 nor RSA of at least 2048 bits
   * @param pair the private key and its public half
   * @return the signing key, ES256 for EC and RS256 for RSA
   */
  public static SigningKey of(KeyPair pair) {
    try {
      if (pair.getPublic() instanceof ECPublicKey ec) {
        Curve curve = Curve.forECParameterSpec(ec.getParams());
        if (!Curve.P_256.equals(curve)) {
          throw new IllegalArgumentException("an EC signing key must be on P-256 (ES256), not " + curve);
        }
        ECKey k = new ECKey.Builder(Curve.P_256, ec).privateKey(pair.getPrivate()).keyIDFromThumbprint().build();
        return new SigningKey(k, JWSAlgorithm.ES256);
      }
      if (pair.getPublic() instanceof RSAPublicKey rsa) {
        if (rsa.getModulus().bitLength() < 2048) {
          throw new IllegalArgumentException("an RSA signing key needs at least 2048 bits, this one has "
              + rsa.getModulus().bitLength());
        }
        RSAKey k = new RSAKey.Builder(rsa).privateKey(pair.getPrivate()).keyIDFromThumbprint().build();
        return new SigningKey(k, JWSAlgorithm.RS256);
      }
    } catch (JOSEException e) {
      throw new IllegalArgumentException("unusable signing key: " + e.getMessage(), e);
    }
    throw new IllegalArgumentException("the signing key must be EC (P-256) or RSA, not " + pair.getPublic().getAlgorithm());
  }

  /**
   * Reads a PEM key file (see {@link Pem#keyPair(Path)}).
   *
   * @param pem the key file
   * @return the signing key
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it holds no usable key
   */
  public static SigningKey load(Path pem) throws IOException {
    return of(Pem.keyPair(pem));
  }

  /**
   * A fresh EC P-256 key.
   *
   * @return the new key
   */
  public static SigningKey generate() {
    return of(generatePair());
  }

  /**
   * The key in {@code file}, or a new one written there first (directories created, mode 0600).
   * When two nodes start together on shared storage, the first file written wins and both use it.
   *
   * @param file the key file
   * @return the key of the file
   * @throws IOException if the file cannot be read or written
   * @throws IllegalArgumentException if the file holds no usable key
   */
  public static SigningKey loadOrCreate(Path file) throws IOException {
    if (Files.exists(file)) {
      return load(file);
    }
    Files.createDirectories(file.toAbsolutePath().getParent());
    KeyPair pair = generatePair();
    String pem = Pem.encode("PRIVATE KEY", pair.getPrivate().getEncoded())
        + Pem.encode("PUBLIC KEY", pair.getPublic().getEncoded());
    Path tmp = file.resolveSibling(file.getFileName() + "." + UUID.randomUUID() + ".tmp");
    try {
      try {
        Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        Files.createFile(tmp); // not a POSIX file system
      }
      Files.writeString(tmp, pem, StandardCharsets.US_ASCII);
      try {
        // a hard link fails if the target exists: no node ever replaces another's key
        Files.createLink(file, tmp);
        LOG.info("generated the token signing key {}", file);
      } catch (FileAlreadyExistsException e) {
        LOG.info("another node created the token signing key {} first; using it", file);
      } catch (UnsupportedOperationException | IOException e) {
        if (Files.exists(file)) {
          return load(file);
        }
        try {
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e2) {
          Files.move(tmp, file);
        }
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    return load(file);
  }

  private static KeyPair generatePair() {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot generate EC P-256 keys", e);
    }
  }

  /** The private and public key as a JWK (the private half never leaves the process). */
  JWK jwk() {
    return jwk;
  }

  /**
   * ES256 or RS256.
   *
   * @return the JWS algorithm of the key
   */
  public JWSAlgorithm algorithm() {
    return algorithm;
  }

  /** The key id ({@code kid}): the RFC 7638 thumbprint of the public key. */
  String keyId() {
    return jwk.getKeyID();
  }

  @Override
  public String toString() {
    return "SigningKey[" + algorithm + ", kid=" + keyId() + "]";
  }
}
