package io.wharf.server.auth;

import at.favre.lib.crypto.bcrypt.BCrypt;
import at.favre.lib.crypto.bcrypt.LongPasswordStrategies;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.regex.Pattern;

/**
 * bcrypt password hashes, the format of {@code htpasswd -B} and of CNCF distribution:
 * {@code $2y$10$<22 chars salt><31 chars hash>}. Reads {@code $2a$}, {@code $2b$} and {@code $2y$};
 * writes {@code $2y$}. The final comparison is constant-time (the library's).
 */
public final class PasswordHashes {
  /** The work factor of new hashes: 2^10 rounds, ~50 ms on a server core. */
  public static final int DEFAULT_COST = 10;
  /** bcrypt reads only the first 72 bytes of a password. */
  static final int MAX_PASSWORD_BYTES = 72;
  private static final Pattern BCRYPT = Pattern.compile("\\$2[aby]\\$(0[4-9]|[12][0-9]|3[01])\\$[./A-Za-z0-9]{53}");
  private static final SecureRandom RANDOM = new SecureRandom();
  /**
   * Checked against when a user does not exist, so that an unknown name costs as long as a wrong
   * password and the timing does not tell which names exist.
   */
  private static final String DUMMY = hash("not a password".toCharArray(), DEFAULT_COST);

  private PasswordHashes() {}

  /**
   * Whether {@code hash} is a bcrypt hash this class can check.
   *
   * @param hash a stored hash, or null
   * @return true for {@code $2a$}, {@code $2b$} and {@code $2y$} hashes
   */
  public static boolean isBcrypt(String hash) {
    return hash != null && BCRYPT.matcher(hash).matches();
  }

  /**
   * A new {@code $2y$} hash of {@code password}.
   *
   * @throws IllegalArgumentException if the password is empty or longer than 72 bytes in UTF-8
   *     (bcrypt would silently ignore the rest), or the cost is outside 4-31
   * @param password the password; not kept
   * @param cost the log2 of the rounds, 4-31
   * @return the hash, as htpasswd files hold it
   */
  public static String hash(char[] password, int cost) {
    if (password.length == 0) {
      throw new IllegalArgumentException("the password is empty");
    }
    if (new String(password).getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
      throw new IllegalArgumentException("the password is longer than " + MAX_PASSWORD_BYTES
          + " bytes; bcrypt would ignore the rest");
    }
    if (cost < 4 || cost > 31) {
      throw new IllegalArgumentException("cost " + cost + " is outside 4-31");
    }
    return BCrypt.with(BCrypt.Version.VERSION_2Y, RANDOM, LongPasswordStrategies.strict(BCrypt.Version.VERSION_2Y))
        .hashToString(cost, password);
  }

  /**
   * Whether {@code password} matches {@code hash}; {@code false} for a hash that is no bcrypt hash.
   *
   * @param password the password given
   * @param hash the stored hash
   * @return true when they match
   */
  public static boolean verify(char[] password, String hash) {
    if (!isBcrypt(hash)) {
      return false;
    }
    try {
      // htpasswd and Go's bcrypt use the first 72 bytes of longer passwords: do the same
      return BCrypt.verifyer(BCrypt.Version.VERSION_2Y, LongPasswordStrategies.truncate(BCrypt.Version.VERSION_2Y))
          .verify(password, hash.toCharArray()).verified;
    } catch (IllegalArgumentException e) { // IllegalBCryptFormatException is one
      return false;
    }
  }

  /** Spends the time of one check, for a user that does not exist. */
  static void verifyDummy(char[] password) {
    verify(password, DUMMY);
  }
}
