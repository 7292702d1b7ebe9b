package io.wharf.server.auth.ldap;

import io.wharf.server.auth.Identity;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Successful directory logins, remembered for {@code ttl} so that a client sending Basic
 * credentials with every request does not cost a bind each. Keyed by name and holding an HMAC
 * (under a key that never leaves this process) of name and password, never the password: another
 * password misses, and so does any login after {@code ttl}. Failures are never stored. Bounded;
 * thread-safe.
 */
final class LoginCache {
  private static final int MAX_ENTRIES = 10_000;

  private record Entry(byte[] mac, Identity identity, Instant until) {}

  private final Duration ttl;
  private final Clock clock;
  private final byte[] key = new byte[32];
  private final Map<String, Entry> entries = new ConcurrentHashMap<>();

  LoginCache(Duration ttl, Clock clock) {
    this.ttl = ttl;
    this.clock = clock;
    new SecureRandom().nextBytes(key);
  }

  /** The identity a login of {@code name} with {@code password} got within the ttl, if any. */
  Optional<Identity> get(String name, char[] password) {
    Entry e = entries.get(name);
    if (e == null || ttl.isZero()) {
      return Optional.empty();
    }
    if (!e.until().isAfter(clock.instant())) {
      entries.remove(name, e);
      return Optional.empty();
    }
    return MessageDigest.isEqual(e.mac(), mac(name, password)) ? Optional.of(e.identity()) : Optional.empty();
  }

  void put(String name, char[] password, Identity identity) {
    if (ttl.isZero()) {
      return;
    }
    if (entries.size() >= MAX_ENTRIES) {
      Instant now = clock.instant();
      entries.values().removeIf(e -> !e.until().isAfter(now));
      if (entries.size() >= MAX_ENTRIES) {
        entries.clear(); // the next logins bind again
      }
    }
    entries.put(name, new Entry(mac(name, password), identity, clock.instant().plus(ttl)));
  }

  private byte[] mac(String name, char[] password) {
    ByteBuffer bytes = StandardCharsets.UTF_8.encode(CharBuffer.wrap(password));
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update(name.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      mac.update(bytes);
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    } finally {
      if (bytes.hasArray()) {
        Arrays.fill(bytes.array(), (byte) 0);
      }
    }
  }
}
