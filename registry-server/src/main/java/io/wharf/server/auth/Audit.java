package io.wharf.server.auth;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit log: one line per login, failed login, lockout, push, delete and denial, with who,
 * what and from where, on the SLF4J logger {@value #LOGGER}. Never a password or a token. Names
 * a client made up (an unknown user) are cleaned of control characters and cut, so they cannot
 * forge lines.
 *
 * <pre>
 * login user=ci from=10.0.0.7 via=token granted="repository:team/app:pull,push"
 * login-failed user=ci from=10.0.0.7 via=basic reason="invalid username or password"
 * push user=ci from=10.0.0.7 repository=docker-hosted image=team/app reference=1.0
 * denied user=reader from=10.0.0.7 repository=docker-hosted need="repository:team/app:pull,push" status=403
 * robot-created by=admin credential=robot$ci scope="docker-hosted:pull,push" expires=2027-01-01T00:00:00Z
 * </pre>
 */
final class Audit {
  static final String LOGGER = "io.wharf.audit";
  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);

  static final String TOKEN_LACKS_SCOPE = "token lacks the scope";

  private Audit() {}

  static void login(String user, String from, String via, String granted) {
    LOG.info("login user={} from={} via={}{}", clean(user), clean(from), via,
        granted == null ? "" : " granted=" + quote(granted));
  }

  static void loginFailed(String user, String from, String via, String reason) {
    LOG.warn("login-failed user={} from={} via={} reason={}", clean(user), clean(from), via, quote(reason));
  }

  static void lockedOut(String user, String from, String via, long seconds) {
    LOG.warn("locked-out user={} from={} via={} retryAfter={}s", clean(user), clean(from), via, seconds);
  }

  static void push(String user, String from, String repository, String image, String reference) {
    LOG.info("push user={} from={} repository={} image={} reference={}", clean(user), clean(from), repository,
        clean(image), clean(reference));
  }

  static void delete(String user, String from, String repository, String what) {
    LOG.info("delete user={} from={} repository={} {}", clean(user), clean(from), repository, clean(what));
  }

  /** A robot account or API token made, changed or revoked ({@code event}: robot-created, token-revoked, ...). */
  static void credential(String event, String by, String credential, String scope, java.time.Instant expires) {
    LOG.info("{} by={} credential={}{}{}", event, clean(by), clean(credential),
        scope == null ? "" : " scope=" + quote(scope), expires == null ? "" : " expires=" + expires);
  }

  /**
   * A refused request. A 401 that only asks for a login or a better token is the first step of
   * the token protocol, not an incident: INFO. Refusals of known users and bad tokens: WARN.
   */
  static void denied(String user, String from, String method, String repository, String need, int status,
      String reason) {
    Object[] args = {clean(user), clean(from), clean(method), repository, quote(need), status,
        reason == null ? "" : " reason=" + quote(reason)};
    String format = "denied user={} from={} method={} repository={} need={} status={}{}";
    if (status == 401 && (reason == null || reason.equals(TOKEN_LACKS_SCOPE))) {
      LOG.info(format, args);
    } else {
      LOG.warn(format, args);
    }
  }

  /** {@code -} for nobody; else printable ASCII only, at most 100 characters. */
  static String clean(String s) {
    if (s == null) {
      return "-";
    }
    StringBuilder sb = new StringBuilder(Math.min(s.length(), 100));
    for (int i = 0; i < s.length() && sb.length() < 100; i++) {
      char c = s.charAt(i);
      sb.append(c < 0x21 || c > 0x7E || c == '"' ? '?' : c);
    }
    return sb.toString();
  }

  private static String quote(String s) {
    if (s == null) {
      return "\"\"";
    }
    StringBuilder sb = new StringBuilder(Math.min(s.length(), 300) + 2).append('"');
    for (int i = 0; i < s.length() && sb.length() < 300; i++) {
      char c = s.charAt(i);
      sb.append(c < 0x20 || c > 0x7E || c == '"' ? '?' : c);
    }
    return sb.append('"').toString();
  }
}
