package io.wharf.server.ui;

import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The UI's logins: a random session id (the cookie) per login, the user it stands for and the
 * CSRF token of its forms. A session ends at logout, after {@link #IDLE} without a request, and
 * {@link #MAX_AGE} after the login whatever happens; the server's restart ends them all (people
 * log in again; nothing else depends on them).
 *
 * <p>In memory, so behind a load balancer the UI needs sticky sessions (the registry and the
 * APIs do not: they authenticate every request).
 *
 * <p>Thread-safe; bounded (expired sessions are dropped when the table grows).
 */
final class UiSessions {
  static final Duration IDLE = Duration.ofMinutes(30);
  static final Duration MAX_AGE = Duration.ofHours(12);
  private static final int SWEEP_AT = 10_000;
  private static final SecureRandom RANDOM = new SecureRandom();

  /**
   * A login. {@code csrf} is the token its forms carry; {@code login} what the login stood on
   * ({@link io.wharf.server.auth.RegistrySecurity#loginStamp}): the session ends when that changes.
   */
  static final class Session {
    final String id;
    final String user;
    final String csrf;
    final String login;
    final Instant created;
    volatile Instant lastSeen;

    Session(String id, String user, String csrf, String login, Instant created) {
      this.id = id;
      this.user = user;
      this.csrf = csrf;
      this.login = login;
      this.created = created;
      this.lastSeen = created;
    }
  }

  private final Clock clock;
  private final Map<String, Session> sessions = new ConcurrentHashMap<>();

  UiSessions(Clock clock) {
    this.clock = Objects.requireNonNull(clock);
  }

  /** A new session of {@code user} (after its password was checked), standing on {@code login}. */
  Session create(String user, String login) {
    if (sessions.size() > SWEEP_AT) {
      Instant now = clock.instant();
      sessions.values().removeIf(s -> expired(s, now));
    }
    Session s = new Session(token(), user, token(), login, clock.instant());
    sessions.put(s.id, s);
    return s;
  }

  /** The live session with this id, its idle time reset; empty if unknown or expired. */
  Optional<Session> find(String id) {
    if (id == null) {
      return Optional.empty();
    }
    Session s = sessions.get(id);
    if (s == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    if (expired(s, now)) {
      sessions.remove(id);
      return Optional.empty();
    }
    s.lastSeen = now;
    return Optional.of(s);
  }

  void remove(String id) {
    if (id != null) {
      sessions.remove(id);
    }
  }

  private static boolean expired(Session s, Instant now) {
    return !now.isBefore(s.lastSeen.plus(IDLE)) || !now.isBefore(s.created.plus(MAX_AGE));
  }

  /** 256 random bits, URL-safe. */
  static String token() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }
}
