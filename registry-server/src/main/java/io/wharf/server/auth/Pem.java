package io.wharf.server.auth;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPrivateKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPrivateKeySpec;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.RSAPrivateCrtKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PEM files with the JDK alone: certificate chains, and unencrypted private keys in the three
 * shapes openssl writes ({@code PRIVATE KEY} = PKCS#8, {@code EC PRIVATE KEY} = SEC 1,
 * {@code RSA PRIVATE KEY} = PKCS#1), RSA or EC (P-256, P-384, P-521). A {@code PUBLIC KEY}
 * block next to the private key is used as its public half; without one, RSA's comes from the
 * private key and EC's from the public point openssl embeds in it.
 */
public final class Pem {
  private static final Pattern BLOCK = Pattern.compile(
      "-----BEGIN ([A-Z0-9 ]+)-----\\s*(.*?)-----END \\1-----", Pattern.DOTALL);
  private static final Map<String, String> CURVES = Map.of(
      "1.2.840.10045.3.1.7", "secp256r1",
      "1.3.132.0.34", "secp384r1",
      "1.3.132.0.35", "secp521r1");

  private Pem() {}

  /** One {@code -----BEGIN type-----} block, decoded. */
  record Block(String type, byte[] der) {}

  /** The blocks of a PEM text, in order. */
  static List<Block> blocks(String text) {
    List<Block> blocks = new ArrayList<>();
    Matcher m = BLOCK.matcher(text);
    while (m.find()) {
      String body = m.group(2);
      if (body.contains("Proc-Type:") || body.contains("DEK-Info:")) {
        throw new IllegalArgumentException("the " + m.group(1) + " is encrypted; decrypt it first, e.g. "
            + "openssl pkey -in KEY -out PLAIN.pem (and keep that file readable by the server only)");
      }
      try {
        blocks.add(new Block(m.group(1), Base64.getMimeDecoder().decode(body)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("the " + m.group(1) + " block is not valid base64");
      }
    }
    return blocks;
  }

  /**
   * The private key of a PEM file and its public half.
   *
   * @throws IllegalArgumentException saying what is wrong with the file
   */
  static KeyPair keyPair(Path file) throws IOException {
    return keyPair(Files.readString(file, StandardCharsets.US_ASCII));
  }

  /** As {@link #keyPair(Path)}, from the text. */
  static KeyPair keyPair(String text) {
    List<Block> blocks = blocks(text);
    PrivateKey privateKey = null;
    PublicKey publicKey = null;
    byte[] publicBlock = null;
    for (Block b : blocks) {
      switch (b.type()) {
        case "PRIVATE KEY" -> {
          privateKey = pkcs8(b.der());
          publicKey = publicFromPkcs8(privateKey, b.der());
        }
        case "EC PRIVATE KEY" -> {
          KeyPair p = sec1(b.der(), null);
          privateKey = p.getPrivate();
          publicKey = p.getPublic();
        }
        case "RSA PRIVATE KEY" -> privateKey = pkcs1(b.der());
        case "PUBLIC KEY" -> publicBlock = b.der();
        case "ENCRYPTED PRIVATE KEY" -> throw new IllegalArgumentException("the private key is encrypted; decrypt "
            + "it first, e.g. openssl pkey -in KEY -out PLAIN.pem (and keep that file readable by the server only)");
        default -> { } // certificates, parameters: not ours to read here
      }
    }
    if (privateKey == null) {
      throw new IllegalArgumentException("no private key in it (expected a PRIVATE KEY, EC PRIVATE KEY or RSA "
          + "PRIVATE KEY block)");
    }
    try {
      if (publicBlock != null) {
        publicKey = KeyFactory.getInstance(privateKey.getAlgorithm()).generatePublic(new X509EncodedKeySpec(publicBlock));
      } else if (privateKey instanceof RSAPrivateCrtKey rsa) {
        publicKey = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("the PUBLIC KEY block does not fit the private key: " + e.getMessage());
    }
    if (publicKey == null) {
      throw new IllegalArgumentException("the EC private key carries no public key; append it: "
          + "openssl pkey -in KEY -pubout >> KEY");
    }
    return new KeyPair(publicKey, privateKey);
  }

  /**
   * The certificates of a PEM file, leaf first (as TLS servers send them).
   *
   * @param file a PEM file of {@code CERTIFICATE} blocks
   * @return the certificates, in the file's order
   * @throws IOException if the file cannot be read
   * @throws IllegalArgumentException if it holds no certificate or a malformed one
   */
  public static List<X509Certificate> certificates(Path file) throws IOException {
    byte[] bytes = Files.readAllBytes(file);
    try {
      List<X509Certificate> chain = new ArrayList<>();
      for (var c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes))) {
        chain.add((X509Certificate) c);
      }
      if (chain.isEmpty()) {
        throw new IllegalArgumentException("no certificate in it (expected a CERTIFICATE block)");
      }
      return chain;
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a PEM certificate chain: " + e.getMessage());
    }
  }

  /**
   * A PEM block of {@code der}.
   *
   * @param type the block's type, e.g. {@code CERTIFICATE} or {@code PRIVATE KEY}
   * @param der the DER bytes
   * @return the block, base64 in lines of 64, ending with a newline
   */
  public static String encode(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n"
        + Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der)
        + "\n-----END " + type + "-----\n";
  }

  // ---------------------------------------------------------------- key formats

  private static PrivateKey pkcs8(byte[] der) {
    for (String algorithm : List.of("EC", "RSA")) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next
      }
    }
    throw new IllegalArgumentException("the PRIVATE KEY is neither an EC nor an RSA key");
  }

  /** PKCS#8 EC: the SEC 1 structure inside may carry the public point. */
  private static PublicKey publicFromPkcs8(PrivateKey key, byte[] der) {
    if (!(key instanceof ECPrivateKey ec)) {
      return null;
    }
    try {
      Der info = Der.parse(der);                 // PrivateKeyInfo ::= SEQUENCE {
      byte[] sec1 = info.child(2).content();     //   version, algorithm, OCTET STRING privateKey }
      return sec1(sec1, ec.getParams()).getPublic();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * SEC 1 {@code ECPrivateKey ::= SEQUENCE { version, OCTET STRING key, [0] curve OID, [1] BIT STRING
   * public point }}; {@code params} when the curve comes from outside (PKCS#8).
   */
  private static KeyPair sec1(byte[] der, ECParameterSpec params) {
    try {
      Der seq = Der.parse(der);
      BigInteger s = new BigInteger(1, seq.child(1).content());
      byte[] point = null;
      for (Der d : seq.children()) {
        if (d.tag() == 0xA0 && params == null) {
          String oid = d.children().get(0).oid();
          String curve = CURVES.get(oid);
          if (curve == null) {
            throw new IllegalArgumentException("unsupported EC curve " + oid + "; use P-256, P-384 or P-521");
          }
          AlgorithmParameters ap = AlgorithmParameters.getInstance("EC");
          ap.init(new ECGenParameterSpec(curve));
          params = ap.getParameterSpec(ECParameterSpec.class);
        } else if (d.tag() == 0xA1) {
          byte[] bits = d.children().get(0).content();
          point = Arrays.copyOfRange(bits, 1, bits.length); // skip the unused-bits byte
        }
      }
      if (params == null) {
        throw new IllegalArgumentException("the EC PRIVATE KEY does not name its curve");
      }
      KeyFactory kf = KeyFactory.getInstance("EC");
      PrivateKey priv = kf.generatePrivate(new ECPrivateKeySpec(s, params));
      PublicKey pub = point == null ? null : kf.generatePublic(new ECPublicKeySpec(decodePoint(point, params), params));
      return new KeyPair(pub, priv);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("not a valid EC key: " + e.getMessage());
    }
  }

  private static ECPoint decodePoint(byte[] encoded, ECParameterSpec params) {
    int size = (params.getCurve().getField().getFieldSize() + 7) / 8;
    if (encoded.length != 1 + 2 * size || encoded[0] != 4) {
      throw new IllegalArgumentException("only uncompressed EC public points are supported");
    }
    return new ECPoint(new BigInteger(1, Arrays.copyOfRange(encoded, 1, 1 + size)),
        new BigInteger(1, Arrays.copyOfRange(encoded, 1 + size, encoded.length)));
  }

  /** PKCS#1 {@code RSAPrivateKey ::= SEQUENCE { version, n, e, d, p, q, dp, dq, qinv }}. */
  private static PrivateKey pkcs1(byte[] der) {
    try {
      List<Der> f = Der.parse(der).children();
      BigInteger[] v = new BigInteger[8];
      for (int i = 0; i < 8; i++) {
        v[i] = new BigInteger(f.get(i + 1).content());
      }
      return KeyFactory.getInstance("RSA").generatePrivate(
          new RSAPrivateCrtKeySpec(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException("not a valid RSA PRIVATE KEY: " + e.getMessage());
    }
  }

  /** Just enough DER to read keys: tag, content, children of constructed values. */
  record Der(int tag, byte[] content) {
    static Der parse(byte[] der) {
      List<Der> all = parseAll(der);
      if (all.size() != 1) {
        throw new IllegalArgumentException("malformed DER");
      }
      return all.get(0);
    }

    static List<Der> parseAll(byte[] der) {
      try {
        return parseAllUnchecked(der);
      } catch (IndexOutOfBoundsException e) {
        throw new IllegalArgumentException("malformed DER: truncated");
      }
    }

    private static List<Der> parseAllUnchecked(byte[] der) {
      List<Der> out = new ArrayList<>();
      int i = 0;
      while (i < der.length) {
        int tag = der[i++] & 0xFF;
        int len = der[i++] & 0xFF;
        if (len >= 0x80) {
          int n = len & 0x7F;
          if (n == 0 || n > 4) {
            throw new IllegalArgumentException("malformed DER length");
          }
          len = 0;
          for (int k = 0; k < n; k++) {
            len = (len << 8) | (der[i++] & 0xFF);
          }
        }
        if (len < 0 || i + len > der.length) {
          throw new IllegalArgumentException("malformed DER length");
        }
        out.add(new Der(tag, Arrays.copyOfRange(der, i, i + len)));
        i += len;
      }
      return out;
    }

    List<Der> children() {
      return parseAll(content);
    }

    Der child(int index) {
      return children().get(index);
    }

    String oid() {
      StringBuilder sb = new StringBuilder();
      sb.append(content[0] / 40).append('.').append(content[0] % 40);
      long v = 0;
      for (int i = 1; i < content.length; i++) {
        v = (v << 7) | (content[i] & 0x7F);
        if ((content[i] & 0x80) == 0) {
          sb.append('.').append(v);
          v = 0;
        }
      }
      return sb.toString();
    }
  }
}
