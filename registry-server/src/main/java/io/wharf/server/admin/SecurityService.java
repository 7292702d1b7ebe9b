package io.wharf.server.admin;

import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.auth.Privilege;
import io.wharf.server.auth.Realm;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.auth.UserDirectory;
import io.wharf.server.events.Event;
import io.wharf.server.events.SystemEvents;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;

/**
 * Users, roles, realms and anonymous access as the management API changes them, live: a change
 * applies to the next request (a new user can log in at once, a removed one or an old password
 * fails at once, a role's new privileges count at once) and is kept in the {@link SettingsStore}
 * (subject {@value #SUBJECT}), so it survives a restart.
 *
 * <p><b>The files come first.</b> Users and roles of the config file ({@code security.users},
 * {@code security.roles}) and of htpasswd files are pinned: the API shows them read-only and
 * refuses to change or delete them (409); a name the files use cannot be taken. The API's own
 * users and roles are stored with their bcrypt hashes (never a password). The realms and the
 * anonymous switch, which the file always has a value for, take the API's value until the file's
 * value changes: whichever changed last wins.
 *
 * <p><b>Who may.</b> Only administrators ({@link Privilege#ALL}, Nexus's {@code nx-all}); a user
 * may change its own password. No change may leave the server without an administrator (409).
 * Nothing returned holds a password or a hash.
 *
 * <p>Changes are serialised; each is validated whole, written, then applied, so a refused or
 * failed change leaves nothing behind. Thread-safe.
 */
public final class SecurityService {
  private static final Logger LOG = LoggerFactory.getLogger(SecurityService.class);
  static final String SUBJECT = "security";
  /** Nexus's source of local users and roles: the API's own. */
  static final String DEFAULT_SOURCE = "default";
  /** A built-in role, as in Nexus: {@code nx-all}, unless the config file has a role of that name. */
  static final String NX_ADMIN = "nx-admin";
  static final String ANONYMOUS_USER = "anonymous";
  static final String ANONYMOUS_REALM = "NexusAuthorizingRealm";
  private static final Pattern USER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}");
  private static final Pattern ROLE_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");
  private static final List<String> STATUSES = List.of("active", "disabled");

  /** Nexus's realm ids and names for Wharf's realms. */
  private static final Map<Realm, RealmInfo> NEXUS_REALMS = Map.of(
      Realm.BASIC, new RealmInfo("NexusAuthenticatingRealm", "Local Authenticating Realm"),
      Realm.DOCKER_TOKEN, new RealmInfo("DockerToken", "Docker Bearer Token Realm"),
      Realm.LDAP, new RealmInfo("LdapRealm", "LDAP Realm"));

  // ---------------------------------------------------------------- what the API shows and takes

  /**
   * A user in Nexus's shape; never a password or a hash.
   *
   * @param userId the login name
   * @param firstName as given; null for the files' users
   * @param lastName as given; null for the files' users
   * @param emailAddress as given; null for the files' users
   * @param source {@value #DEFAULT_SOURCE} for the API's users, {@code config} or {@code htpasswd} for the files'
   * @param status {@code active} or {@code disabled}
   * @param readOnly true for the files' users, which only the files change
   * @param roles the roles it holds
   * @param externalRoles always empty (Nexus's roles of an external source)
   */
  public record User(String userId, String firstName, String lastName, String emailAddress, String source,
      String status, boolean readOnly, List<String> roles, List<String> externalRoles) {}

  /**
   * A role in Nexus's shape.
   *
   * @param id the role's id, as users and other roles name it
   * @param source {@value #DEFAULT_SOURCE} for the API's roles and {@value #NX_ADMIN}, {@code config} for the file's
   * @param name its display name
   * @param description as given; null for the file's roles
   * @param readOnly true for the file's roles and the built-in {@value #NX_ADMIN}
   * @param privileges its privileges as Nexus names them ({@code nx-all}, {@code nx-repository-view-docker-NAME-read})
   * @param roles the roles it contains
   */
  public record Role(String id, String source, String name, String description, boolean readOnly,
      List<String> privileges, List<String> roles) {}

  record RealmInfo(String id, String name) {}

  /**
   * Nexus's anonymous access settings ({@code /v1/security/anonymous}).
   *
   * @param enabled whether anonymous pull is on, for the repositories with {@code anonymousPull}
   * @param userId always {@code anonymous}: Wharf's anonymous caller is built in
   * @param realmName always {@code NexusAuthorizingRealm}
   */
  public record Anonymous(boolean enabled, String userId, String realmName) {}

  /**
   * A user's fields as a call gives them; the password comes apart, as a {@code char[]}.
   *
   * @param userId the login name: letters, digits and {@code . _ @ + -}, at most 128; on an
   *     update null or the user's own
   * @param firstName free text; null allowed
   * @param lastName free text; null allowed
   * @param emailAddress an address with one {@code @}; null or empty allowed
   * @param status {@code active} or {@code disabled}; null: active
   * @param roles the roles it holds; each must exist
   */
  public record UserInput(String userId, String firstName, String lastName, String emailAddress, String status,
      List<String> roles) {}

  /** A role's fields as a call gives them ({@code name} null: the id). */
  record RoleInput(String id, String name, String description, List<String> privileges, List<String> roles) {}

  // ---------------------------------------------------------------- what is kept

  record StoredUser(String userId, String firstName, String lastName, String emailAddress, String status,
      List<String> roles, String passwordHash) {
    StoredUser {
      roles = roles == null ? List.of() : List.copyOf(roles);
    }
  }

  record StoredRole(String id, String name, String description, List<String> privileges, List<String> roles) {
    StoredRole {
      privileges = privileges == null ? List.of() : List.copyOf(privileges);
      roles = roles == null ? List.of() : List.copyOf(roles);
    }
  }

  /** The API's realms, and the file's at the time (if the file changes since, the file wins). */
  record StoredRealms(List<String> active, List<String> file) {}

  record StoredAnonymous(boolean enabled, boolean file) {}

  record Document(List<StoredUser> users, List<StoredRole> roles, StoredRealms realms, StoredAnonymous anonymous) {
    static final Document EMPTY = new Document(List.of(), List.of(), null, null);

    Document {
      users = users == null ? List.of() : List.copyOf(users);
      roles = roles == null ? List.of() : List.copyOf(roles);
    }

    Optional<StoredUser> user(String id) {
      return users.stream().filter(u -> u.userId().equals(id)).findFirst();
    }

    Optional<StoredRole> role(String id) {
      return roles.stream().filter(r -> r.id().equals(id)).findFirst();
    }

    Document withUsers(List<StoredUser> u) {
      return new Document(u, roles, realms, anonymous);
    }

    Document withRoles(List<StoredRole> r) {
      return new Document(users, r, realms, anonymous);
    }
  }

  private final RegistrySecurity security;
  private final UserDirectory directory;
  private final SettingsStore settings;
  private final Predicate<String> repositoryExists;
  private final List<Realm> fileRealms;
  private final boolean fileAnonymous;
  private final SystemEvents events;
  private volatile Document document;

  /**
   * Loads what the API changed before (from {@code settings}) and applies it.
   *
   * @param security null: the server is open; every call is refused (409)
   * @param repositoryExists whether a repository of that name exists now (privileges must name one)
   * @throws IllegalStateException if the stored document cannot be read: better not start than
   *     drop the API's users and overwrite them with the next change
   */
  SecurityService(RegistrySecurity security, SettingsStore settings, Predicate<String> repositoryExists) {
    this(security, settings, repositoryExists, new SystemEvents(null));
  }

  /** As above, telling {@code events} of each user and role created, changed or deleted. */
  SecurityService(RegistrySecurity security, SettingsStore settings, Predicate<String> repositoryExists,
      SystemEvents events) {
    this.events = Objects.requireNonNull(events);
    this.security = security;
    this.directory = security == null ? null : security.users();
    this.settings = Objects.requireNonNull(settings);
    this.repositoryExists = Objects.requireNonNull(repositoryExists);
    this.fileRealms = security == null ? List.of() : security.realms();
    this.fileAnonymous = security != null && security.anonymous();
    this.document = Document.EMPTY;
    if (security != null) {
      load();
    }
  }

  private void load() {
    Optional<byte[]> bytes = settings.read(SUBJECT);
    if (bytes.isEmpty()) {
      return;
    }
    Document stored;
    try {
      stored = RestCall.JSON.readValue(bytes.get(), Document.class);
    } catch (JacksonException e) {
      throw new IllegalStateException("the stored security settings (" + SettingsStore.PREFIX + SUBJECT
          + ".json) cannot be read: " + e.getOriginalMessage(), e);
    }
    Document d = reconcile(stored);
    directory.overlay(overlay(d));
    apply(d);
    this.document = d;
    LOG.info("security: {} users and {} roles from the management API", d.users().size(), d.roles().size());
  }

  /** The stored document, less what the files have taken since (their names, their newer settings). */
  private Document reconcile(Document d) {
    List<StoredRole> roles = new ArrayList<>();
    for (StoredRole r : d.roles()) {
      if (directory.isFileRole(r.id()) || builtIn(r.id())) {
        LOG.warn("security: role {} of the management API is now defined in the config file; the file's is used", r.id());
      } else {
        roles.add(r);
      }
    }
    Set<String> roleIds = new LinkedHashSet<>(directory.fileRoles().keySet());
    if (!directory.isFileRole(NX_ADMIN)) {
      roleIds.add(NX_ADMIN);
    }
    roles.forEach(r -> roleIds.add(r.id()));
    List<StoredRole> kept = new ArrayList<>();
    for (StoredRole r : roles) {
      kept.add(new StoredRole(r.id(), r.name(), r.description(), r.privileges(), known(r.roles(), roleIds, "role " + r.id())));
    }
    List<StoredUser> users = new ArrayList<>();
    for (StoredUser u : d.users()) {
      if (directory.isFileUser(u.userId())) {
        LOG.warn("security: user {} of the management API is now defined in the config or an htpasswd file;"
            + " the file's is used", u.userId());
      } else {
        users.add(new StoredUser(u.userId(), u.firstName(), u.lastName(), u.emailAddress(), u.status(),
            known(u.roles(), roleIds, "user " + u.userId()), u.passwordHash()));
      }
    }
    StoredRealms realms = d.realms();
    if (realms != null && !realms.file().equals(configNames(fileRealms))) {
      LOG.info("security: security.realms changed in the config file since the API set them; the file's are used");
      realms = null;
    } else if (realms != null && !availableIds().containsAll(realms.active())) {
      LOG.warn("security: the realms the API set, {}, are not all available now ({}); the file's are used",
          realms.active(), availableIds());
      realms = null;
    }
    StoredAnonymous anonymous = d.anonymous();
    if (anonymous != null && anonymous.file() != fileAnonymous) {
      LOG.info("security: security.anonymous changed in the config file since the API set it; the file's is used");
      anonymous = null;
    }
    return new Document(users, kept, realms, anonymous);
  }

  private static List<String> known(List<String> roles, Set<String> known, String who) {
    List<String> out = new ArrayList<>();
    for (String r : roles) {
      if (known.contains(r)) {
        out.add(r);
      } else {
        LOG.warn("security: {} loses role {}, which no longer exists", who, r);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- users

  /**
   * Every user, sorted by id: the files' (read-only, source {@code config} or {@code htpasswd})
   * and the API's (source {@value #DEFAULT_SOURCE}).
   *
   * @param caller must be an administrator ({@code nx-all}, {@code *:admin})
   * @param userId null, or the start of the ids to list (Nexus's search term)
   * @param source null, or only the users of this source
   * @return the users, sorted by id
   * @throws ManagementException {@code BAD_REQUEST} for an unknown source;
   *     {@code UNAUTHENTICATED} for an anonymous caller, {@code FORBIDDEN}
   *     for a user who is no administrator, {@code CONFLICT} when security is off
   */
  public List<User> users(Caller caller, String userId, String source) {
    requireAdmin(caller);
    if (source != null && !List.of(DEFAULT_SOURCE, "config", "htpasswd").contains(source)) {
      throw ManagementException.invalid("PARAMETER source", "unknown source \"" + source
          + "\"; sources: default (the API's users), config, htpasswd");
    }
    List<User> out = new ArrayList<>();
    for (UserDirectory.FileUser f : directory.fileUsers()) {
      out.add(new User(f.name(), null, null, null, f.source().name().toLowerCase(Locale.ROOT), "active", true,
          f.roles(), List.of()));
    }
    for (StoredUser u : document.users()) {
      out.add(view(u));
    }
    out.removeIf(u -> userId != null && !u.userId().startsWith(userId) || source != null && !u.source().equals(source));
    out.sort(Comparator.comparing(User::userId));
    return out;
  }

  private static User view(StoredUser u) {
    return new User(u.userId(), u.firstName(), u.lastName(), u.emailAddress(), DEFAULT_SOURCE, u.status(), false,
        u.roles(), List.of());
  }

  /**
   * Creates a user of the API (source {@value #DEFAULT_SOURCE}), who can log in at once.
   *
   * @param caller must be an administrator ({@code nx-all}, {@code *:admin})
   * @param in the user's fields
   * @param password the password: not empty, at most 72 bytes in UTF-8 (bcrypt's limit); hashed, and
   *     overwritten with zeros before this returns, whatever happens
   * @return the user as listed
   * @throws ManagementException {@code BAD_REQUEST} naming every field at fault (the password
   *     included); {@code CONFLICT} if the id is taken (the files' users included);
   *     {@code UNAUTHENTICATED} for an anonymous caller, {@code FORBIDDEN}
   *     for a user who is no administrator, {@code CONFLICT} when security is off
   * @throws java.io.UncheckedIOException when the change cannot be recorded (nothing changed)
   */
  public synchronized User create(Caller caller, UserInput in, char[] password) {
    requireAdmin(caller);
    try {
      Document d = document;
      List<ManagementException.Violation> violations = new ArrayList<>();
      if (in.userId() == null || !USER_ID.matcher(in.userId()).matches()) {
        violations.add(new ManagementException.Violation("userId", in.userId() == null ? "missing"
            : "\"" + in.userId() + "\" is not a user id: letters, digits and . _ @ + -, starting with a letter or digit,"
                + " at most 128"));
      }
      validate(in, violations);
      String hash = hash(password, violations);
      if (!violations.isEmpty()) {
        throw ManagementException.invalid(violations);
      }
      if (directory.isFileUser(in.userId())) {
        throw conflict("user " + in.userId() + " is defined in the config file or an htpasswd file");
      }
      if (d.user(in.userId()).isPresent()) {
        throw conflict("user " + in.userId() + " exists");
      }
      StoredUser u = new StoredUser(in.userId(), in.firstName(), in.lastName(), in.emailAddress(), status(in),
          in.roles(), hash);
      List<StoredUser> users = new ArrayList<>(d.users());
      users.add(u);
      change(d.withUsers(users));
      events.user(Event.Action.USER_CREATE, u.userId(), u.roles(), false, caller.actor());
      return view(u);
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  /** Replaces a user's names, address, status and roles (not its password). */
  synchronized void update(Caller caller, String userId, UserInput in) {
    requireAdmin(caller);
    Document d = document;
    StoredUser old = apiUser(d, userId);
    List<ManagementException.Violation> violations = new ArrayList<>();
    if (in.userId() != null && !in.userId().equals(userId)) {
      violations.add(new ManagementException.Violation("userId", "\"" + in.userId()
          + "\" is not the user of the path, " + userId + "; a user id cannot be changed"));
    }
    validate(in, violations);
    if (!violations.isEmpty()) {
      throw ManagementException.invalid(violations);
    }
    StoredUser u = new StoredUser(userId, in.firstName(), in.lastName(), in.emailAddress(), status(in), in.roles(),
        old.passwordHash());
    change(d.withUsers(d.users().stream().map(x -> x.userId().equals(userId) ? u : x).toList()));
    if (u.status().equals("disabled") && !old.status().equals("disabled") && security.credentials() != null) {
      // as Harbor and GitLab: disabling a user revokes its API tokens (a password change keeps them);
      // its sessions, bearer and refresh tokens end by themselves: the user no longer exists for them
      security.credentials().deleteTokens(userId, caller.user());
    }
    events.user(Event.Action.USER_CHANGE, userId, u.roles(), false, caller.actor());
  }

  /** Deletes a user; its next request fails. */
  synchronized void delete(Caller caller, String userId) {
    requireAdmin(caller);
    Document d = document;
    apiUser(d, userId);
    change(d.withUsers(d.users().stream().filter(x -> !x.userId().equals(userId)).toList()));
    if (security.credentials() != null) {
      security.credentials().deleteTokens(userId, caller.user()); // a user made again later must not inherit them
    }
    events.user(Event.Action.USER_DELETE, userId, null, false, caller.actor());
  }

  /**
   * Sets a user's password (an administrator, or the user itself); the old one fails at once, and
   * so do the user's UI sessions, bearer and refresh tokens (they recorded the old password's
   * fingerprint). Its API tokens stay: they are credentials of their own.
   *
   * @param caller an administrator, or the user itself
   * @param userId a user of the API; the files' users change their passwords in the files
   * @param password the new password; overwritten with zeros before this returns, whatever happens
   * @throws ManagementException {@code BAD_REQUEST} for an empty password or one over 72 bytes;
   *     {@code NOT_FOUND} for an unknown user; {@code CONFLICT} for a user of the files or when security is off;
   *     {@code UNAUTHENTICATED} for an anonymous caller; {@code FORBIDDEN} for another user who is
   *     no administrator
   * @throws java.io.UncheckedIOException when the change cannot be recorded (nothing changed)
   */
  public synchronized void changePassword(Caller caller, String userId, char[] password) {
    try {
      requirePasswordChange(caller, userId);
      Document d = document;
      StoredUser old = apiUser(d, userId);
      List<ManagementException.Violation> violations = new ArrayList<>();
      String hash = hash(password, violations);
      if (!violations.isEmpty()) {
        throw ManagementException.invalid(violations);
      }
      StoredUser u = new StoredUser(old.userId(), old.firstName(), old.lastName(), old.emailAddress(), old.status(),
          old.roles(), hash);
      change(d.withUsers(d.users().stream().map(x -> x.userId().equals(userId) ? u : x).toList()));
      events.user(Event.Action.USER_CHANGE, userId, null, true, caller.actor());
    } finally {
      Arrays.fill(password, '\0');
    }
  }

  private void validate(UserInput in, List<ManagementException.Violation> violations) {
    if (in.status() != null && !STATUSES.contains(in.status())) {
      violations.add(new ManagementException.Violation("status", "\"" + in.status()
          + "\" is not supported; Wharf's users are active or disabled"));
    }
    if (in.emailAddress() != null && !in.emailAddress().isEmpty() && !in.emailAddress().matches("[^@\\s]+@[^@\\s]+")) {
      violations.add(new ManagementException.Violation("emailAddress", "\"" + in.emailAddress()
          + "\" is not an email address"));
    }
    for (String r : in.roles()) {
      if (!roleExists(r, document)) {
        violations.add(new ManagementException.Violation("roles", "unknown role \"" + r + "\"; roles: " + roleIds(document)));
      }
    }
  }

  private static String status(UserInput in) {
    return in.status() == null ? "active" : in.status();
  }

  private static String hash(char[] password, List<ManagementException.Violation> violations) {
    try {
      return PasswordHashes.hash(password, PasswordHashes.DEFAULT_COST);
    } catch (IllegalArgumentException e) {
      violations.add(new ManagementException.Violation("password", e.getMessage()));
      return null;
    }
  }

  /** The API's user {@code userId}: 409 if the files define it, 404 if nobody does. */
  private StoredUser apiUser(Document d, String userId) {
    if (directory.isFileUser(userId)) {
      throw conflict("user " + userId + " is defined in the config file or an htpasswd file; change it there");
    }
    return d.user(userId).orElseThrow(() -> new ManagementException(ManagementException.Reason.NOT_FOUND,
        "no user " + userId));
  }

  // ---------------------------------------------------------------- roles

  /**
   * Every role: the config file's (read-only), the built-in {@value #NX_ADMIN} (unless the file has
   * a role of that name), the API's, in that order.
   *
   * @param caller must be an administrator ({@code nx-all}, {@code *:admin})
   * @param source null, or only the roles of this source ({@value #DEFAULT_SOURCE} or {@code config})
   * @return the roles
   * @throws ManagementException {@code BAD_REQUEST} for an unknown source;
   *     {@code UNAUTHENTICATED} for an anonymous caller, {@code FORBIDDEN}
   *     for a user who is no administrator, {@code CONFLICT} when security is off
   */
  public List<Role> roles(Caller caller, String source) {
    requireAdmin(caller);
    if (source != null && !List.of(DEFAULT_SOURCE, "config").contains(source)) {
      throw ManagementException.invalid("PARAMETER source", "unknown source \"" + source
          + "\"; sources: default (the API's roles and nx-admin), config");
    }
    List<Role> out = new ArrayList<>();
    directory.fileRoles().values().forEach(r -> out.add(new Role(r.name(), "config", r.name(), null, true,
        NexusPrivileges.names(r.privileges()), r.roles())));
    if (!directory.isFileRole(NX_ADMIN)) {
      out.add(new Role(NX_ADMIN, DEFAULT_SOURCE, NX_ADMIN, "Administrator Role", true,
          List.of(NexusPrivileges.NX_ALL), List.of()));
    }
    document.roles().forEach(r -> out.add(view(r)));
    out.removeIf(r -> source != null && !r.source().equals(source));
    return out;
  }

  Role role(Caller caller, String id) {
    return roles(caller, null).stream().filter(r -> r.id().equals(id)).findFirst()
        .orElseThrow(() -> new ManagementException(ManagementException.Reason.NOT_FOUND, "no role " + id));
  }

  private static Role view(StoredRole r) {
    return new Role(r.id(), DEFAULT_SOURCE, r.name(), r.description(), false, r.privileges(), r.roles());
  }

  synchronized Role create(Caller caller, RoleInput in) {
    requireAdmin(caller);
    Document d = document;
    List<ManagementException.Violation> violations = new ArrayList<>();
    if (in.id() == null || !ROLE_ID.matcher(in.id()).matches()) {
      violations.add(new ManagementException.Violation("id", in.id() == null ? "missing"
          : "\"" + in.id() + "\" is not a role id: letters, digits and . _ -, starting with a letter or digit, at most 128"));
    }
    validate(in, in.id(), d, violations);
    if (!violations.isEmpty()) {
      throw ManagementException.invalid(violations);
    }
    if (roleExists(in.id(), d)) {
      throw conflict("role " + in.id() + " exists");
    }
    StoredRole r = stored(in, in.id());
    List<StoredRole> roles = new ArrayList<>(d.roles());
    roles.add(r);
    change(d.withRoles(roles));
    events.role(Event.Action.ROLE_CREATE, r.id(), r.privileges(), r.roles(), caller.actor());
    return view(r);
  }

  synchronized void update(Caller caller, String id, RoleInput in) {
    requireAdmin(caller);
    Document d = document;
    apiRole(d, id);
    List<ManagementException.Violation> violations = new ArrayList<>();
    if (in.id() != null && !in.id().equals(id)) {
      violations.add(new ManagementException.Violation("id", "\"" + in.id() + "\" is not the role of the path, " + id
          + "; a role id cannot be changed"));
    }
    validate(in, id, d, violations);
    if (!violations.isEmpty()) {
      throw ManagementException.invalid(violations);
    }
    StoredRole r = stored(in, id);
    change(d.withRoles(d.roles().stream().map(x -> x.id().equals(id) ? r : x).toList()));
    events.role(Event.Action.ROLE_CHANGE, id, r.privileges(), r.roles(), caller.actor());
  }

  /** Deletes a role no user or role holds (409 otherwise, naming them). */
  synchronized void deleteRole(Caller caller, String id) {
    requireAdmin(caller);
    Document d = document;
    apiRole(d, id);
    List<String> holders = new ArrayList<>();
    d.users().stream().filter(u -> u.roles().contains(id)).forEach(u -> holders.add("user " + u.userId()));
    d.roles().stream().filter(r -> r.roles().contains(id)).forEach(r -> holders.add("role " + r.id()));
    if (!holders.isEmpty()) {
      throw conflict("role " + id + " is in use by " + String.join(", ", holders) + "; take it from them first");
    }
    change(d.withRoles(d.roles().stream().filter(x -> !x.id().equals(id)).toList()));
    events.role(Event.Action.ROLE_DELETE, id, null, null, caller.actor());
  }

  private void validate(RoleInput in, String id, Document d, List<ManagementException.Violation> violations) {
    for (String p : in.privileges()) {
      try {
        for (Privilege privilege : NexusPrivileges.parse(p)) {
          if (!privilege.repository().equals(Privilege.ANY) && !repositoryExists.test(privilege.repository())) {
            violations.add(new ManagementException.Violation("privileges", "\"" + p + "\" names no repository \""
                + privilege.repository() + "\""));
            break;
          }
        }
      } catch (IllegalArgumentException e) {
        violations.add(new ManagementException.Violation("privileges", e.getMessage()));
      }
    }
    for (String r : in.roles()) {
      if (r.equals(id)) {
        violations.add(new ManagementException.Violation("roles", "a role cannot contain itself"));
      } else if (!roleExists(r, d)) {
        violations.add(new ManagementException.Violation("roles", "unknown role \"" + r + "\"; roles: " + roleIds(d)));
      }
    }
  }

  private static StoredRole stored(RoleInput in, String id) {
    return new StoredRole(id, in.name() == null ? id : in.name(), in.description(), in.privileges(), in.roles());
  }

  private StoredRole apiRole(Document d, String id) {
    if (directory.isFileRole(id) || builtIn(id)) {
      throw conflict("role " + id + (builtIn(id) ? " is built in" : " is defined in the config file; change it there"));
    }
    return d.role(id).orElseThrow(() -> new ManagementException(ManagementException.Reason.NOT_FOUND, "no role " + id));
  }

  private boolean builtIn(String id) {
    return id.equals(NX_ADMIN) && !directory.isFileRole(NX_ADMIN);
  }

  private boolean roleExists(String id, Document d) {
    return directory.isFileRole(id) || builtIn(id) || d.role(id).isPresent();
  }

  private List<String> roleIds(Document d) {
    List<String> ids = new ArrayList<>(directory.fileRoles().keySet());
    if (!directory.isFileRole(NX_ADMIN)) {
      ids.add(NX_ADMIN);
    }
    d.roles().forEach(r -> ids.add(r.id()));
    return ids;
  }

  // ---------------------------------------------------------------- realms and anonymous access

  /**
   * The realms that can be active: Basic always, the token realm if the server issues tokens, the
   * LDAP realm if {@code security.ldap} is configured.
   */
  List<RealmInfo> availableRealms(Caller caller) {
    requireAdmin(caller);
    return available();
  }

  private List<RealmInfo> available() {
    List<RealmInfo> out = new ArrayList<>();
    out.add(NEXUS_REALMS.get(Realm.BASIC));
    if (security.issuesTokens()) {
      out.add(NEXUS_REALMS.get(Realm.DOCKER_TOKEN));
    }
    if (security.sources().has(Realm.LDAP)) {
      out.add(NEXUS_REALMS.get(Realm.LDAP));
    }
    return out;
  }

  private List<String> availableIds() {
    return available().stream().map(RealmInfo::id).toList();
  }

  /** The active realms' Nexus ids, in order (the first decides the challenge). */
  List<String> activeRealms(Caller caller) {
    requireAdmin(caller);
    return security.realms().stream().map(r -> NEXUS_REALMS.get(r).id()).toList();
  }

  synchronized void activeRealms(Caller caller, List<String> ids) {
    requireAdmin(caller);
    List<String> available = availableIds();
    List<ManagementException.Violation> violations = new ArrayList<>();
    if (ids.isEmpty()) {
      violations.add(new ManagementException.Violation("*", "at least one realm must be active; available: " + available));
    }
    Set<String> seen = new LinkedHashSet<>();
    for (String id : ids) {
      if (!available.contains(id)) {
        violations.add(new ManagementException.Violation("*", "unknown realm \"" + id + "\"; available: " + available
            + (id.equals("DockerToken") ? " (DockerToken needs docker-token in security.realms at start)" : "")
            + (id.equals("LdapRealm") ? " (LdapRealm needs a security.ldap section in the configuration)" : "")));
      } else if (!seen.add(id)) {
        violations.add(new ManagementException.Violation("*", "realm " + id + " is listed twice"));
      }
    }
    if (!ids.isEmpty() && violations.isEmpty() && ids.stream().map(SecurityService::realm).noneMatch(Realm::presentsCredentials)) {
      violations.add(new ManagementException.Violation("*", "LdapRealm is a source of users; keep"
          + " NexusAuthenticatingRealm and/or DockerToken active, the ways clients present credentials"));
    }
    if (!violations.isEmpty()) {
      throw ManagementException.invalid(violations);
    }
    Document d = document;
    change(new Document(d.users(), d.roles(), new StoredRealms(ids, configNames(fileRealms)), d.anonymous()));
  }

  /**
   * Whether anonymous pull is on now (the file's value or the API's, whichever changed last).
   *
   * @param caller must be an administrator ({@code nx-all}, {@code *:admin})
   * @return the settings in Nexus's shape
   * @throws ManagementException {@code UNAUTHENTICATED} for an anonymous caller, {@code FORBIDDEN}
   *     for a user who is no administrator, {@code CONFLICT} when security is off
   */
  public Anonymous anonymous(Caller caller) {
    requireAdmin(caller);
    return new Anonymous(security.anonymous(), ANONYMOUS_USER, ANONYMOUS_REALM);
  }

  /**
   * Turns anonymous pull on or off (for the repositories with {@code anonymousPull}). Wharf's
   * anonymous caller is built in: {@code userId} and {@code realmName} may only repeat Nexus's
   * defaults. Applies to the next request and is kept.
   *
   * @param caller must be an administrator ({@code nx-all}, {@code *:admin})
   * @param enabled on or off; required
   * @param userId null or {@code anonymous}
   * @param realmName null or {@code NexusAuthorizingRealm}
   * @return the settings now
   * @throws ManagementException {@code BAD_REQUEST} naming the fields at fault;
   *     {@code UNAUTHENTICATED} for an anonymous caller, {@code FORBIDDEN}
   *     for a user who is no administrator, {@code CONFLICT} when security is off
   * @throws java.io.UncheckedIOException when the change cannot be recorded (nothing changed)
   */
  public synchronized Anonymous anonymous(Caller caller, Boolean enabled, String userId, String realmName) {
    requireAdmin(caller);
    List<ManagementException.Violation> violations = new ArrayList<>();
    if (enabled == null) {
      violations.add(new ManagementException.Violation("enabled", "missing: true or false"));
    }
    if (userId != null && !userId.equals(ANONYMOUS_USER)) {
      violations.add(new ManagementException.Violation("userId", "Wharf's anonymous user is \"" + ANONYMOUS_USER
          + "\"; its rights are the repositories' anonymousPull"));
    }
    if (realmName != null && !realmName.equals(ANONYMOUS_REALM)) {
      violations.add(new ManagementException.Violation("realmName", "must be \"" + ANONYMOUS_REALM + "\""));
    }
    if (!violations.isEmpty()) {
      throw ManagementException.invalid(violations);
    }
    Document d = document;
    change(new Document(d.users(), d.roles(), d.realms(), new StoredAnonymous(enabled, fileAnonymous)));
    return anonymous(caller);
  }

  // ---------------------------------------------------------------- applying a change

  /**
   * Checks {@code next} whole, keeps it, then applies it: refused (nothing written) if it would
   * leave no administrator.
   */
  private void change(Document next) {
    UserDirectory.Overlay overlay = overlay(next);
    Set<String> before = directory.administrators(overlay(document));
    Set<String> after;
    try {
      after = directory.administrators(overlay); // resolves the roles: names and nesting
    } catch (IllegalArgumentException e) {
      // what the checks before cannot see: roles that come to contain each other
      throw ManagementException.invalid("roles", e.getMessage());
    }
    if (!before.isEmpty() && after.isEmpty()) {
      throw conflict("this would leave no administrator (a user with nx-all, *:admin); administrators now: " + before);
    }
    settings.write(SUBJECT, RestCall.JSON.writeValueAsBytes(next));
    directory.overlay(overlay);
    apply(next);
    document = next;
  }

  private void apply(Document d) {
    security.realms(d.realms() == null ? fileRealms : d.realms().active().stream().map(SecurityService::realm).toList());
    security.anonymous(d.anonymous() == null ? fileAnonymous : d.anonymous().enabled());
  }

  /** What {@code d} gives the user directory: its active users and its roles, plus the built-in role. */
  private UserDirectory.Overlay overlay(Document d) {
    List<UserDirectory.Role> roles = new ArrayList<>();
    if (!directory.isFileRole(NX_ADMIN)) {
      roles.add(new UserDirectory.Role(NX_ADMIN, Set.of(Privilege.ALL), List.of()));
    }
    for (StoredRole r : d.roles()) {
      Set<Privilege> privileges = new LinkedHashSet<>();
      r.privileges().forEach(p -> privileges.addAll(NexusPrivileges.parse(p)));
      roles.add(new UserDirectory.Role(r.id(), privileges, r.roles()));
    }
    List<UserDirectory.Entry> users = new ArrayList<>();
    d.users().stream().filter(u -> u.status().equals("active"))
        .forEach(u -> users.add(new UserDirectory.Entry(u.userId(), u.passwordHash(), u.roles())));
    return new UserDirectory.Overlay(users, roles);
  }

  private static Realm realm(String nexusId) {
    for (Map.Entry<Realm, RealmInfo> e : NEXUS_REALMS.entrySet()) {
      if (e.getValue().id().equals(nexusId)) {
        return e.getKey();
      }
    }
    throw new IllegalArgumentException("unknown realm " + nexusId);
  }

  private static List<String> configNames(List<Realm> realms) {
    return realms.stream().map(Realm::configName).toList();
  }

  // ---------------------------------------------------------------- who may

  private void requireSecurity() {
    if (security == null) {
      throw conflict("security is off: this server's configuration has no security section, so there are no users,"
          + " roles or realms to manage");
    }
  }

  /** Refuses unless {@code caller} may change the password of {@code userId}: itself, or an administrator. */
  void requirePasswordChange(Caller caller, String userId) {
    requireSecurity();
    if (caller.isAnonymous()) {
      throw new ManagementException(ManagementException.Reason.UNAUTHENTICATED, "authentication required");
    }
    if (!caller.user().equals(userId) && !security.administers(caller.user())) {
      throw new ManagementException(ManagementException.Reason.FORBIDDEN,
          "user " + caller.user() + " may change only its own password");
    }
  }

  /** Refuses unless {@code caller} is an administrator (401 anonymous, 403 others, 409 security off). */
  void requireAdmin(Caller caller) {
    requireSecurity();
    if (caller.isAnonymous()) {
      throw new ManagementException(ManagementException.Reason.UNAUTHENTICATED,
          "authentication required: users, roles and realms are for administrators");
    }
    if (!security.administers(caller.user())) {
      throw new ManagementException(ManagementException.Reason.FORBIDDEN,
          "user " + caller.user() + " is no administrator (needs nx-all, *:admin)");
    }
  }

  private static ManagementException conflict(String message) {
    return new ManagementException(ManagementException.Reason.CONFLICT, message);
  }
}
