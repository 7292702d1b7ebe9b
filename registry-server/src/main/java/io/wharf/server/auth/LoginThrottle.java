package io.wharf.server.auth;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Slows down password guessing: after {@code maxFailures} failed logins within {@code window}
 * from one client address, or for one user name, logins from that address (or for that name)
 * are refused with 429 for {@code lockout}, even with the right password. A successful login
 * clears the failures of its user name (not of its address, so a guesser who also holds an
 * account cannot reset its own count). {@code maxFailures = 0} turns throttling off.
 *
 * <p>Memory is bounded: entries whose window and lockout are over are dropped when the table grows.
 * Thread-safe.
 */
public final class LoginThrottle {
  private static final int SWEEP_AT = 50_000;

  private final int maxFailures;
  private final Duration window;
  private final Duration lockout;
  private final Clock clock;
  private final Map<String, Counter> counters = new ConcurrentHashMap<>();

  private static final class Counter {
    Instant windowStart;
    int failures;
    Instant lockedUntil = Instant.MIN;

    Counter(Instant now) {
      windowStart = now;
    }
  }

  /**
   * A throttle that counts failures per address and per user separately.
   *
   * @param maxFailures how many failed logins within {@code window} lock out; 0 or less: never
   * @param window how long failures are counted together
   * @param lockout how long a lockout lasts
   * @param clock the clock windows and lockouts are measured by
   */
  public LoginThrottle(int maxFailures, Duration window, Duration lockout, Clock clock) {
    this.maxFailures = maxFailures;
    this.window = window;
    this.lockout = lockout;
    this.clock = clock;
  }

  /** How long logins from {@code address} or for {@code user} stay refused; empty if they are not. */
  Optional<Duration> lockedFor(String address, String user) {
    if (maxFailures <= 0) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    Instant until = max(lockedUntil("ip:" + address), user == null ? Instant.MIN : lockedUntil("user:" + user));
    return until.isAfter(now) ? Optional.of(Duration.between(now, until)) : Optional.empty();
  }

  /**
   * Counts a failed login.
   *
   * @param address the client's address
   * @param user the user name given, or null
   */
  public void failure(String address, String user) {
    if (maxFailures <= 0) {
      return;
    }
    if (counters.size() > SWEEP_AT) {
      sweep();
    }
    count("ip:" + address);
    if (user != null) {
      count("user:" + user);
    }
  }

  /**
   * A successful login of {@code user}: its failures are forgotten.
   *
   * @param user the user name
   */
  public void success(String user) {
    counters.remove("user:" + user);
  }

  private Instant lockedUntil(String key) {
    Counter c = counters.get(key);
    if (c == null) {
      return Instant.MIN;
    }
    synchronized (c) {
      return c.lockedUntil;
    }
  }

  private void count(String key) {
    Instant now = clock.instant();
    Counter c = counters.computeIfAbsent(key, k -> new Counter(now));
    synchronized (c) {
      if (Duration.between(c.windowStart, now).compareTo(window) > 0) {
        c.windowStart = now;
        c.failures = 0;
      }
      if (++c.failures >= maxFailures) {
        c.lockedUntil = now.plus(lockout);
        c.failures = 0;
        c.windowStart = now;
      }
    }
  }

  private void sweep() {
    Instant now = clock.instant();
    counters.entrySet().removeIf(e -> {
      Counter c = e.getValue();
      synchronized (c) {
        return c.lockedUntil.isBefore(now) && Duration.between(c.windowStart, now).compareTo(window) > 0;
      }
    });
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
