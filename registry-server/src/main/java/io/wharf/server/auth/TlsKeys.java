package io.wharf.server.auth;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyPair;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

/**
 * The key store of an HTTPS listener, from a PEM certificate chain and key, or from a PKCS#12
 * file. Checked when read: the key must exist and fit the certificate, so a bad pair fails at
 * start with a message, not at the first handshake.
 *
 * @param keyStore an in-memory key store with one key entry
 * @param password the password of the store and of its key
 */
public record TlsKeys(KeyStore keyStore, char[] password) {

  /**
   * From PEM files: {@code certificate} holds the server's certificate first, then any
   * intermediates; {@code key} its unencrypted private key (PKCS#8, SEC 1 or PKCS#1).
   *
   * @throws IllegalArgumentException saying which file is wrong and how
   * @param certificate the certificate chain's file
   * @param key the private key's file
   * @return the server's key and chain
   * @throws IOException if a file cannot be read
   */
  public static TlsKeys pem(Path certificate, Path key) throws IOException {
    List<X509Certificate> chain;
    try {
      chain = Pem.certificates(certificate);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(certificate + ": " + e.getMessage());
    }
    KeyPair pair;
    try {
      pair = Pem.keyPair(key);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(key + ": " + e.getMessage());
    }
    if (pair.getPublic() != null && !pair.getPublic().equals(chain.get(0).getPublicKey())) {
      throw new IllegalArgumentException(key + " is not the key of the first certificate in " + certificate);
    }
    byte[] random = new byte[18];
    new SecureRandom().nextBytes(random);
    char[] password = Base64.getEncoder().encodeToString(random).toCharArray();
    try {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(null, null);
      ks.setKeyEntry("wharf", pair.getPrivate(), password, chain.toArray(new Certificate[0]));
      return new TlsKeys(ks, password);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(certificate + ", " + key + ": cannot make a key store of them: " + e.getMessage());
    }
  }

  /**
   * From a PKCS#12 file (what {@code openssl pkcs12 -export} and {@code keytool} write) with one
   * key entry.
   *
   * @param file the PKCS#12 file
   * @param password the file's password; null: none
   * @return the server's key and chain
   * @throws IOException declared only: every read error becomes an IllegalArgumentException
   * @throws IllegalArgumentException naming the file, when it is missing, the password is wrong, or
   *     it holds no key entry with a certificate
   */
  public static TlsKeys pkcs12(Path file, String password) throws IOException {
    char[] pw = password == null ? new char[0] : password.toCharArray();
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, pw);
      for (String alias : Collections.list(ks.aliases())) {
        if (ks.isKeyEntry(alias)) {
          Key k = ks.getKey(alias, pw);
          if (k instanceof PrivateKey && ks.getCertificateChain(alias) != null) {
            return new TlsKeys(ks, pw);
          }
        }
      }
      throw new IllegalArgumentException(file + ": holds no private key with a certificate");
    } catch (IOException e) {
      if (e.getCause() instanceof java.security.UnrecoverableKeyException || String.valueOf(e.getMessage()).contains("password")) {
        throw new IllegalArgumentException(file + ": wrong password, or not a PKCS#12 file");
      }
      if (e instanceof java.nio.file.NoSuchFileException) {
        throw new IllegalArgumentException(file + ": no such file");
      }
      throw new IllegalArgumentException(file + ": cannot read it as PKCS#12: " + e.getMessage());
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(file + ": cannot read it as PKCS#12: " + e.getMessage());
    }
  }
}
