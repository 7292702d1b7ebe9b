package io.wharf.core.model;

import io.wharf.core.error.ErrorCode;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * A content digest, {@code algorithm:hex}. {@code sha256} and {@code sha512} are supported;
 * anything else that fits the OCI grammar is rejected as unsupported, anything that does not
 * fit it as malformed. Both are {@code DIGEST_INVALID} (400), never an internal error.
 */
public record Digest(String algorithm, String hex) implements Reference, Comparable<Digest> {
  private static final Pattern ALGORITHM = Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*");
  private static final Pattern ENCODED = Pattern.compile("[a-zA-Z0-9=_-]+");
  private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");
  private static final Pattern SHA512_HEX = Pattern.compile("[a-f0-9]{128}");
  private static final HexFormat HEX = HexFormat.of();

  public static final String SHA256 = "sha256";
  public static final String SHA512 = "sha512";

  public Digest {
    if (algorithm == null || hex == null) {
      throw ErrorCode.DIGEST_INVALID.exception("digest is missing");
    }
    if (!ALGORITHM.matcher(algorithm).matches() || !ENCODED.matcher(hex).matches()) {
      throw ErrorCode.DIGEST_INVALID.exception(
          "malformed digest " + Strings.quote(algorithm + ":" + hex) + ": expected algorithm:hex");
    }
    switch (algorithm) {
      case SHA256 -> requireHex(SHA256_HEX, algorithm, hex, 64);
      case SHA512 -> requireHex(SHA512_HEX, algorithm, hex, 128);
      default -> throw ErrorCode.DIGEST_INVALID.exception(
          "unsupported digest algorithm " + Strings.quote(algorithm) + ": use sha256 or sha512");
    }
  }

  private static void requireHex(Pattern p, String algorithm, String hex, int length) {
    if (!p.matcher(hex).matches()) {
      throw ErrorCode.DIGEST_INVALID.exception(
          "malformed " + algorithm + " digest " + Strings.quote(algorithm + ":" + hex) + ": expected "
              + length + " lower-case hex characters");
    }
  }

  /** Parses {@code algorithm:hex}; throws {@code DIGEST_INVALID} if it is malformed or unsupported. */
  public static Digest parse(String s) {
    if (s == null) {
      throw ErrorCode.DIGEST_INVALID.exception("digest is missing");
    }
    int colon = s.indexOf(':');
    if (colon <= 0 || colon == s.length() - 1) {
      throw ErrorCode.DIGEST_INVALID.exception(
          "malformed digest " + Strings.quote(s) + ": expected algorithm:hex");
    }
    return new Digest(s.substring(0, colon), s.substring(colon + 1));
  }

  /** True if {@code algorithm} names a digest algorithm Wharf can compute. */
  public static boolean isSupportedAlgorithm(String algorithm) {
    return SHA256.equals(algorithm) || SHA512.equals(algorithm);
  }

  public static Digest sha256(byte[] content) {
    return of(SHA256, newMessageDigest(SHA256).digest(content));
  }

  public static Digest sha256(String content) {
    return sha256(content.getBytes(StandardCharsets.UTF_8));
  }

  /** Builds a digest from the raw output of a {@link MessageDigest}. */
  public static Digest of(String algorithm, byte[] raw) {
    return new Digest(algorithm, HEX.formatHex(raw));
  }

  /** A fresh {@link MessageDigest} for this digest's algorithm. */
  public MessageDigest newMessageDigest() {
    return newMessageDigest(algorithm);
  }

  /** A fresh {@link MessageDigest} for a supported algorithm name ({@code sha256}, {@code sha512}). */
  public static MessageDigest newMessageDigest(String algorithm) {
    try {
      return switch (algorithm) {
        case SHA256 -> MessageDigest.getInstance("SHA-256");
        case SHA512 -> MessageDigest.getInstance("SHA-512");
        default -> throw ErrorCode.DIGEST_INVALID.exception(
            "unsupported digest algorithm " + Strings.quote(algorithm) + ": use sha256 or sha512");
      };
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK lacks " + algorithm, e);
    }
  }

  /** True if {@code content} hashes to this digest. */
  public boolean matches(byte[] content) {
    return of(algorithm, newMessageDigest().digest(content)).equals(this);
  }

  @Override
  public String value() {
    return algorithm + ":" + hex;
  }

  @Override
  public int compareTo(Digest o) {
    int c = algorithm.compareTo(o.algorithm);
    return c != 0 ? c : hex.compareTo(o.hex);
  }

  @Override
  public String toString() {
    return value();
  }
}
