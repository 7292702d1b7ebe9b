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
 *
 * @param algorithm the algorithm, {@value #SHA256} or {@value #SHA512}
 * @param hex the hash in lower-case hex
 */
public record Digest(String algorithm, String hex) implements Reference, Comparable<Digest> {
  private static final Pattern ALGORITHM = Pattern.compile("[a-z0-9]+(?:[+._-][a-z0-9]+)*");
  private static final Pattern ENCODED = Pattern.compile("[a-zA-Z0-9=_-]+");
  private static final Pattern SHA256_HEX = Pattern.compile("[a-f0-9]{64}");
  private static final Pattern SHA512_HEX = Pattern.compile("[a-f0-9]{128}");
  private static final HexFormat HEX = HexFormat.of();

  /** The SHA-256 algorithm's name, what clients use. */
  public static final String SHA256 = "sha256";
  /** The SHA-512 algorithm's name. */
  public static final String SHA512 = "sha512";

  /**
   * Checks the digest against OCI's grammar and the algorithm's length.
   *
   * @param algorithm the algorithm, {@value #SHA256} or {@value #SHA512}
   * @param hex the hash in lower-case hex
   * @throws io.wharf.core.error.RegistryException {@code DIGEST_INVALID} if it is malformed or
   *     unsupported
   */
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

  /**
   * Parses {@code algorithm:hex}; throws {@code DIGEST_INVALID} if it is malformed or unsupported.
   *
   * @param s the digest as written, e.g. {@code sha256:abc...}
   * @return the digest
   * @throws io.wharf.core.error.RegistryException {@code DIGEST_INVALID}
   */
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

  /**
   * True if {@code algorithm} names a digest algorithm Wharf can compute.
   *
   * @param algorithm an algorithm name, e.g. from a storage path
   * @return true for {@value #SHA256} and {@value #SHA512}
   */
  public static boolean isSupportedAlgorithm(String algorithm) {
    return SHA256.equals(algorithm) || SHA512.equals(algorithm);
  }

  /**
   * {@return the SHA-256 digest of {@code content}}
   *
   * @param content the bytes
   */
  public static Digest sha256(byte[] content) {
    return of(SHA256, newMessageDigest(SHA256).digest(content));
  }

  /**
   * {@return the SHA-256 digest of {@code content}'s UTF-8 bytes}
   *
   * @param content the text
   */
  public static Digest sha256(String content) {
    return sha256(content.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Builds a digest from the raw output of a {@link MessageDigest}.
   *
   * @param algorithm the algorithm's name
   * @param raw the hash as the {@code MessageDigest} returned it
   * @return the digest
   */
  public static Digest of(String algorithm, byte[] raw) {
    return new Digest(algorithm, HEX.formatHex(raw));
  }

  /**
   * A fresh {@link MessageDigest} for this digest's algorithm.
   *
   * @return a new message digest, not shared
   */
  public MessageDigest newMessageDigest() {
    return newMessageDigest(algorithm);
  }

  /**
   * A fresh {@link MessageDigest} for a supported algorithm name ({@code sha256}, {@code sha512}).
   *
   * @param algorithm the algorithm's name
   * @return a new message digest, not shared
   */
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

  /**
   * True if {@code content} hashes to this digest.
   *
   * @param content the bytes
   * @return true if they are what this digest names
   */
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
