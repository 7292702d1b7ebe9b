package io.wharf.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The users: those of the config file ({@code security.users}) and those of htpasswd files,
 * with the privileges of their roles.
 *
 * <p>A config user without a password hash takes it from the htpasswd files, so the config can
 * give roles to htpasswd users; htpasswd users the config does not list get
 * {@code htpasswdRoles}. When a name is in both with a hash, the config's hash wins.
 *
 * <p>Checking a bcrypt hash costs tens of milliseconds by design, and a client using Basic
 * credentials sends them with every request. So a successful check is remembered for a few
 * minutes as an HMAC (under a key that never leaves this process) of name and password, tied to
 * the hash it was checked against: a changed password or a re-read htpasswd file ends it.
 * Thread-safe.
 */
public final class UserDirectory {
  private static final long REMEMBER_NANOS = 5L * 60 * 1_000_000_000L;
  private static final int MAX_REMEMBERED = 10_000;

  /** A user of the config file; {@code passwordHash} null: from the htpasswd files. */
  public record Entry(String name, String passwordHash, List<String> roles) {
    public Entry {
      Objects.requireNonNull(name, "name");
      roles = roles == null ? List.of() : List.copyOf(roles);
    }

    @Override
    public String toString() {
      return "Entry[name=" + name + ", roles=" + roles + "]";
    }
  }

  private record Remembered(byte[] mac, String hash, long until) {}

  private final Map<String, Entry> configured;
  private final Map<String, Set<Privilege>> roles;
  private final List<Htpasswd> files;
  private final List<String> htpasswdRoles;
  private final byte[] macKey = new byte[32];
  private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();

  /**
   * @param roles role name to privileges; every role a user names must be here
   * @param htpasswdRoles roles of htpasswd users that {@code users} does not list
   */
  public UserDirectory(List<Entry> users, Map<String, Set<Privilege>> roles, List<Htpasswd> files,
      List<String> htpasswdRoles) {
    Map<String, Entry> byName = new LinkedHashMap<>();
    for (Entry e : users) {
      if (byName.putIfAbsent(e.name(), e) != null) {
        throw new IllegalArgumentException("user \"" + e.name() + "\" is defined twice");
      }
      e.roles().forEach(r -> requireRole(roles, r, "user " + e.name()));
    }
    htpasswdRoles.forEach(r -> requireRole(roles, r, "htpasswdRoles"));
    this.configured = Map.copyOf(byName);
    this.roles = Map.copyOf(roles);
    this.files = List.copyOf(files);
    this.htpasswdRoles = List.copyOf(htpasswdRoles);
    new SecureRandom().nextBytes(macKey);
  }

  private static void requireRole(Map<String, Set<Privilege>> roles, String role, String who) {
    if (!roles.containsKey(role)) {
      throw new IllegalArgumentException(who + ": unknown role \"" + role + "\"; roles: " + roles.keySet());
    }
  }

  /**
   * Whether {@code password} is the password of user {@code name}. Unknown users take as long as
   * known ones.
   */
  public boolean authenticate(String name, char[] password) {
    String hash = hashOf(name);
    byte[] mac = mac(name, password);
    Remembered r = remembered.get(name);
    if (r != null && hash != null && r.hash().equals(hash) && System.nanoTime() - r.until() < 0
        && MessageDigest.isEqual(r.mac(), mac)) {
      return true;
    }
    if (hash == null) {
      PasswordHashes.verifyDummy(password);
      return false;
    }
    if (!PasswordHashes.verify(password, hash)) {
      return false;
    }
    if (remembered.size() >= MAX_REMEMBERED) {
      remembered.clear();
    }
    remembered.put(name, new Remembered(mac, hash, System.nanoTime() + REMEMBER_NANOS));
    return true;
  }

  /** Whether {@code name} is a user (in the config or an htpasswd file). */
  public boolean exists(String name) {
    return configured.containsKey(name) || fromFiles(name) != null;
  }

  /** The privileges of user {@code name}; empty if there is no such user. */
  public Set<Privilege> privileges(String name) {
    Entry e = configured.get(name);
    List<String> roleNames;
    if (e != null) {
      roleNames = e.roles();
    } else if (fromFiles(name) != null) {
      roleNames = htpasswdRoles;
    } else {
      return Set.of();
    }
    Set<Privilege> all = new LinkedHashSet<>();
    roleNames.forEach(r -> all.addAll(roles.getOrDefault(r, Set.of())));
    return all;
  }

  private String hashOf(String name) {
    Entry e = configured.get(name);
    if (e != null && e.passwordHash() != null) {
      return e.passwordHash();
    }
    return fromFiles(name);
  }

  private String fromFiles(String name) {
    for (Htpasswd f : files) {
      String h = f.users().get(name);
      if (h != null) {
        return h;
      }
    }
    return null;
  }

  private byte[] mac(String name, char[] password) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(macKey, "HmacSHA256"));
      mac.update(name.getBytes(StandardCharsets.UTF_8));
      mac.update((byte) 0);
      return mac.doFinal(new String(password).getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }
}
