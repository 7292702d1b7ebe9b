package io.wharf.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The users: those of the config file ({@code security.users}), those of htpasswd files, and
 * those added at run time through the management API (the {@link Overlay}), with the privileges
 * of their roles.
 *
 * <p>A config user without a password hash takes it from the htpasswd files, so the config can
 * give roles to htpasswd users; htpasswd users the config does not list get
 * {@code htpasswdRoles}. When a name is in both with a hash, the config's hash wins. The files
 * come first: a user or role of the overlay never shadows one of the files (the management API
 * refuses such names, and one that a file adds later is the file's).
 *
 * <p>Roles nest, as Nexus's do: a role holds its own privileges and those of the roles it
 * contains. The overlay is replaced as a whole ({@link #overlay(Overlay)}), so every request sees
 * either the old or the new users and roles, never a mix.
 *
 * <p>Checking a bcrypt hash costs tens of milliseconds by design, and a client using Basic
 * credentials sends them with every request. So a successful check is remembered for a few
 * minutes as an HMAC (under a key that never leaves this process) of name and password, tied to
 * the hash it was checked against: a changed password, a removed user or a re-read htpasswd file
 * ends it. Thread-safe.
 */
public final class UserDirectory {
  private static final long REMEMBER_NANOS = 5L * 60 * 1_000_000_000L;
  private static final int MAX_REMEMBERED = 10_000;

  /** A user of the config file; {@code passwordHash} null: from the htpasswd files. */
  public record Entry(String name, String passwordHash, List<String> roles) {
    /**
     * Checks the name and copies the roles.
     *
     * @throws NullPointerException if {@code name} is null
     * @param name the user name
     * @param passwordHash its bcrypt hash; null for a user of the htpasswd files
     * @param roles its roles (null: none)
     */
    public Entry {
      Objects.requireNonNull(name, "name");
      roles = roles == null ? List.of() : List.copyOf(roles);
    }

    @Override
    public String toString() {
      return "Entry[name=" + name + ", roles=" + roles + "]";
    }
  }

  /** A role: its own privileges and the roles whose privileges it includes. */
  public record Role(String name, Set<Privilege> privileges, List<String> roles) {
    /**
     * Checks the name and copies the privileges and roles (null: none).
     *
     * @throws NullPointerException if {@code name} is null
     * @param name the role name
     * @param privileges its own privileges (null: none)
     * @param roles the roles it contains (null: none)
     */
    public Role {
      Objects.requireNonNull(name, "name");
      privileges = privileges == null ? Set.of() : Set.copyOf(privileges);
      roles = roles == null ? List.of() : List.copyOf(roles);
    }
  }

  /**
   * Users and roles added at run time, over those of the files. Users need a password hash; their
   * roles may be the files' or the overlay's.
   */
  public record Overlay(List<Entry> users, List<Role> roles) {
    /** No users or roles at run time: the overlay until the management API stores one. */
    public static final Overlay EMPTY = new Overlay(List.of(), List.of());

    /**
     * Copies the users and roles.
     *
     * @param users the users added at run time
     * @param roles the roles added at run time
     */
    public Overlay {
      users = List.copyOf(users);
      roles = List.copyOf(roles);
    }
  }

  /** A user the files define, as the management API lists it. */
  public record FileUser(String name, Source source, List<String> roles) {}

  /** Where a file user comes from. */
  public enum Source {
    /** {@code security.users} of the config file. */
    CONFIG,
    /** An htpasswd file (and not listed in {@code security.users}). */
    HTPASSWD
  }

  /** The overlay in force, with every role's privileges resolved through the roles it contains. */
  private record State(Map<String, Entry> users, Map<String, Role> roles, Map<String, Set<Privilege>> effective) {}

  private record Remembered(byte[] mac, String hash, long until) {}

  private final Map<String, Entry> configured;
  private final Map<String, Role> fileRoles;
  private final List<Htpasswd> files;
  private final List<String> htpasswdRoles;
  private final byte[] macKey = new byte[32];
  private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();
  private volatile State state;

  /**
   * @param roles role name to privileges; every role a user names must be here
   * @param htpasswdRoles roles of htpasswd users that {@code users} does not list
   * @param users the users of the config file ({@code security.users})
   * @param files the htpasswd files, read already; their users' passwords are checked against them
   */
  public UserDirectory(List<Entry> users, Map<String, Set<Privilege>> roles, List<Htpasswd> files,
      List<String> htpasswdRoles) {
    Map<String, Entry> byName = new LinkedHashMap<>();
    for (Entry e : users) {
      if (byName.putIfAbsent(e.name(), e) != null) {
        throw new IllegalArgumentException("user \"" + e.name() + "\" is defined twice");
      }
      e.roles().forEach(r -> requireRole(roles.keySet(), r, "user " + e.name()));
    }
    htpasswdRoles.forEach(r -> requireRole(roles.keySet(), r, "htpasswdRoles"));
    this.configured = Collections.unmodifiableMap(byName);
    Map<String, Role> fileRoles = new LinkedHashMap<>();
    roles.forEach((name, privileges) -> fileRoles.put(name, new Role(name, privileges, List.of())));
    this.fileRoles = Collections.unmodifiableMap(fileRoles);
    this.files = List.copyOf(files);
    this.htpasswdRoles = List.copyOf(htpasswdRoles);
    this.state = resolve(Overlay.EMPTY);
    new SecureRandom().nextBytes(macKey);
  }

  private static void requireRole(Set<String> roles, String role, String who) {
    if (!roles.contains(role)) {
      throw new IllegalArgumentException(who + ": unknown role \"" + role + "\"; roles: " + roles);
    }
  }

  /**
   * Replaces the users and roles of the overlay, at once for every request that starts after.
   *
   * @throws IllegalArgumentException if a name is the files' or taken twice, a role is unknown, or
   *     roles contain each other
   * @param overlay the users and roles of the management API
   */
  public void overlay(Overlay overlay) {
    this.state = resolve(overlay);
  }

  private State resolve(Overlay overlay) {
    Map<String, Role> roles = new LinkedHashMap<>();
    for (Role r : overlay.roles()) {
      if (fileRoles.containsKey(r.name()) || roles.putIfAbsent(r.name(), r) != null) {
        throw new IllegalArgumentException("role \"" + r.name() + "\" is defined twice");
      }
    }
    Set<String> known = new LinkedHashSet<>(fileRoles.keySet());
    known.addAll(roles.keySet());
    roles.values().forEach(r -> r.roles().forEach(c -> requireRole(known, c, "role " + r.name())));
    Map<String, Entry> users = new LinkedHashMap<>();
    for (Entry e : overlay.users()) {
      if (e.passwordHash() == null || isFileUser(e.name()) || users.putIfAbsent(e.name(), e) != null) {
        throw new IllegalArgumentException("user \"" + e.name() + "\" is defined twice or has no password hash");
      }
      e.roles().forEach(r -> requireRole(known, r, "user " + e.name()));
    }
    Map<String, Set<Privilege>> effective = new LinkedHashMap<>();
    fileRoles.values().forEach(r -> effective.put(r.name(), r.privileges()));
    for (Role r : roles.values()) {
      Set<Privilege> all = new LinkedHashSet<>();
      collect(r, roles, all, new LinkedHashSet<>());
      effective.put(r.name(), Set.copyOf(all));
    }
    return new State(Map.copyOf(users), Collections.unmodifiableMap(roles), Map.copyOf(effective));
  }

  private void collect(Role role, Map<String, Role> overlayRoles, Set<Privilege> into, Set<String> path) {
    if (!path.add(role.name())) {
      throw new IllegalArgumentException("roles contain each other: " + String.join(" > ", path) + " > " + role.name());
    }
    into.addAll(role.privileges());
    for (String c : role.roles()) {
      Role contained = fileRoles.containsKey(c) ? fileRoles.get(c) : overlayRoles.get(c);
      collect(contained, overlayRoles, into, path);
    }
    path.remove(role.name());
  }

  /**
   * The users who would hold admin on every repository ({@link Privilege#ALL}) with
   * {@code candidate} as the overlay: those of the files, then the candidate's.
   *
   * @throws IllegalArgumentException as {@link #overlay} would
   * @param candidate the overlay about to be stored
   * @return the administrators' names, sorted
   */
  public Set<String> administrators(Overlay candidate) {
    State s = resolve(candidate);
    Set<String> out = new TreeSet<>();
    for (FileUser u : fileUsers()) {
      if (holdsAll(u.roles(), s)) {
        out.add(u.name());
      }
    }
    s.users().values().forEach(e -> {
      if (holdsAll(e.roles(), s)) {
        out.add(e.name());
      }
    });
    return out;
  }

  private static boolean holdsAll(List<String> roles, State s) {
    return roles.stream().anyMatch(r -> s.effective().getOrDefault(r, Set.of()).contains(Privilege.ALL));
  }

  /**
   * Whether the files (config or htpasswd) define user {@code name}.
   *
   * @param name the user name
   * @return true for a user the management API may not change
   */
  public boolean isFileUser(String name) {
    return configured.containsKey(name) || fromFiles(name) != null;
  }

  /**
   * Whether the config file defines role {@code name}.
   *
   * @param name the role name
   * @return true for a role the management API may not change
   */
  public boolean isFileRole(String name) {
    return fileRoles.containsKey(name);
  }

  /**
   * The users the files define: the config's, then the htpasswd files' it does not list.
   *
   * @return the file users, each with its source and roles
   */
  public List<FileUser> fileUsers() {
    List<FileUser> out = new ArrayList<>();
    configured.values().forEach(e -> out.add(new FileUser(e.name(), Source.CONFIG, e.roles())));
    Set<String> seen = new LinkedHashSet<>(configured.keySet());
    for (Htpasswd f : files) {
      for (String name : f.users().keySet()) {
        if (seen.add(name)) {
          out.add(new FileUser(name, Source.HTPASSWD, htpasswdRoles));
        }
      }
    }
    return out;
  }

  /**
   * The roles of the config file, by name.
   *
   * @return the roles, in the file's order
   */
  public Map<String, Role> fileRoles() {
    return fileRoles;
  }

  /**
   * Whether {@code password} is the password of user {@code name}. Unknown users take as long as
   * known ones.
   */
  boolean authenticate(String name, char[] password) {
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

  /**
   * A fingerprint of user {@code name}'s password hash (a truncated SHA-256 of it: it tells
   * nothing of the password, and changes whenever the password does); empty if there is no such
   * user. What refresh tokens and UI sessions are tied to, so a new password ends them.
   */
  Optional<String> passwordStamp(String name) {
    String hash = hashOf(name);
    if (hash == null) {
      return Optional.empty();
    }
    try {
      byte[] d = MessageDigest.getInstance("SHA-256").digest(hash.getBytes(StandardCharsets.UTF_8));
      return Optional.of(Base64.getUrlEncoder().withoutPadding().encodeToString(Arrays.copyOf(d, 12)));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * Whether {@code name} is a user (in the config, an htpasswd file or the overlay).
   *
   * @param name the user name
   * @return true for a local user
   */
  public boolean exists(String name) {
    return isFileUser(name) || state.users().containsKey(name);
  }

  /**
   * The privileges of user {@code name}; empty if there is no such user.
   *
   * @param name the user name
   * @return the privileges of every role the user has, resolved through contained roles
   */
  public Set<Privilege> privileges(String name) {
    State s = state;
    Entry e = configured.get(name);
    List<String> roleNames;
    if (e != null) {
      roleNames = e.roles();
    } else if (fromFiles(name) != null) {
      roleNames = htpasswdRoles;
    } else if (s.users().containsKey(name)) {
      roleNames = s.users().get(name).roles();
    } else {
      return Set.of();
    }
    Set<Privilege> all = new LinkedHashSet<>();
    roleNames.forEach(r -> all.addAll(s.effective().getOrDefault(r, Set.of())));
    return all;
  }

  /** The privileges {@code roles} grant (unknown roles grant none): for users of other sources. */
  Set<Privilege> privilegesOf(List<String> roles) {
    State s = state;
    Set<Privilege> all = new LinkedHashSet<>();
    roles.forEach(r -> all.addAll(s.effective().getOrDefault(r, Set.of())));
    return all;
  }

  private String hashOf(String name) {
    Entry e = configured.get(name);
    if (e != null && e.passwordHash() != null) {
      return e.passwordHash();
    }
    String fromFiles = fromFiles(name);
    if (fromFiles != null || e != null) {
      return fromFiles;
    }
    Entry added = state.users().get(name);
    return added == null ? null : added.passwordHash();
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
