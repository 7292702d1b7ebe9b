package io.wharf.server.auth;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Robot accounts and personal API tokens: credentials for machines, made by the server, scoped,
 * expiring and revocable, usable wherever a password is on the registry API ({@code docker login},
 * Basic credentials, the token endpoint).
 *
 * <p><b>Robot accounts</b> are named {@code robot$<name>} (Harbor's form; {@code <name>}: lower
 * case letters, digits and {@code . _ -}, at most 64) and may exactly what their
 * {@link CredentialScope} says; they are no users (they cannot use the management API or the UI).
 * <b>API tokens</b> belong to a user, who logs in with their own name and the token as the
 * password; a token may at most what its user may, narrowed by its scope if it has one.
 *
 * <p><b>Secrets</b> are 256 random bits, shown once when made (and when regenerated) and kept
 * only as an HMAC-SHA256 under a random per-credential salt. A fast hash is enough here, unlike
 * for passwords: bcrypt's cost protects guessable secrets, and nobody can guess 256 random bits
 * however fast each guess is; the fast hash lets every request be checked in microseconds,
 * without a cache of verified secrets. API tokens read {@code wharf_pat_<id>_<secret>}, robot
 * secrets {@code wharf_robot_<secret>}, so secret scanners can recognise them.
 *
 * <p><b>Kept</b> in the settings document {@value #SUBJECT} ({@link Storage}): every node sharing the
 * store sees the same credentials. A node re-reads it every {@link #RELOAD} and at once (at most
 * once a second) when asked for a credential it does not know; a change made on this node
 * applies to its next request. Last use (time and address) is remembered in memory and written
 * to the document {@value #USAGE_SUBJECT} at most once per {@link #FLUSH}, not on every request.
 * Thread-safe.
 */
public final class ApiCredentials {
  private static final Logger LOG = LoggerFactory.getLogger(ApiCredentials.class);
  private static final JsonMapper JSON = JsonMapper.builder().build();
  private static final SecureRandom RANDOM = new SecureRandom();
  /** How every robot account's name begins, so it can never be a user's. */
  public static final String ROBOT_PREFIX = "robot$";
  static final String TOKEN_PREFIX = "wharf_pat_";
  static final String ROBOT_SECRET_PREFIX = "wharf_robot_";
  static final String SUBJECT = "api-credentials";
  static final String USAGE_SUBJECT = "api-credentials-usage";
  static final Duration RELOAD = Duration.ofSeconds(5);
  static final Duration FLUSH = Duration.ofMinutes(1);
  private static final Pattern ROBOT_NAME = Pattern.compile("robot\\$[a-z0-9][a-z0-9._-]{0,63}");
  private static final Pattern TOKEN_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}");
  private static final int MAX_TOKENS_PER_USER = 100;

  /** Where the documents live: the management API's settings store. */
  public interface Storage {
    /**
     * Reads a document.
     *
     * @param subject the document's name
     * @return its bytes, or empty when it was never written
     */
    Optional<byte[]> read(String subject);

    /**
     * Replaces a document.
     *
     * @param subject the document's name
     * @param json its new bytes
     */
    void write(String subject, byte[] json);

    /**
     * A storage of these two methods (a settings store's).
     *
     * @param read reads a document
     * @param write replaces a document
     * @return the storage
     */
    static Storage of(java.util.function.Function<String, Optional<byte[]>> read,
        java.util.function.BiConsumer<String, byte[]> write) {
      return new Storage() {
        @Override
        public Optional<byte[]> read(String subject) {
          return read.apply(subject);
        }

        @Override
        public void write(String subject, byte[] json) {
          write.accept(subject, json);
        }
      };
    }
  }

  /**
   * The rules for expiry: {@code defaultExpiry} when none is given, and whether a credential may
   * never expire ({@code security.robots.allowNeverExpire}).
   */
  public record Policy(Duration defaultExpiry, boolean allowNeverExpire) {
    /** Thirty days by default, and every credential expires: the policy without a {@code security.robots} section. */
    public static final Policy DEFAULT = new Policy(Duration.ofDays(30), false);
  }

  /**
   * A credential in force, as a request carries it.
   *
   * @param id {@code robot:robot$<name>} or {@code token:<id>}, as bearer tokens name it
   * @param user the robot's name, or the token's user
   * @param scope what it may; null: an unscoped API token (its user's rights)
   * @param identity for an API token of a single sign-on user: who the provider said the user is
   *     at the user's latest sign-in (name and roles); null otherwise
   */
  public record Credential(String id, String user, boolean robot, CredentialScope scope, Identity identity) {}

  /** The outcome of a login: a credential, a refusal with its reason, or neither (not a credential of ours). */
  public record Login(Credential credential, String refusal) {
    static final Login NOT_OURS = new Login(null, null);
  }

  /** What the API shows of a credential: never its secret or hash. */
  public record View(String kind, String name, String id, String user, String description, CredentialScope scope,
      Instant created, String createdBy, Instant expires, boolean disabled, Instant lastUsed, String lastUsedFrom) {}

  /** A credential just made or given a new secret: the only time the secret is shown. */
  public record WithSecret(View credential, String secret) {}

  /** {@code ssoRoles}: the roles of a single sign-on user's latest sign-in (API tokens of such users only). */
  record Stored(String kind, String name, String id, String user, String description, CredentialScope scope,
      Instant created, String createdBy, Instant expires, boolean disabled, String salt, String hash,
      List<String> ssoRoles) {
    boolean expired(Instant now) {
      return expires != null && !now.isBefore(expires);
    }

    String credentialId() {
      return kind + ":" + (kind.equals("robot") ? name : id);
    }

    Stored withSecret(String salt, String hash) {
      return new Stored(kind, name, id, user, description, scope, created, createdBy, expires, disabled, salt, hash,
          ssoRoles);
    }

    Stored disabled(boolean d) {
      return new Stored(kind, name, id, user, description, scope, created, createdBy, expires, d, salt, hash,
          ssoRoles);
    }

    Stored withSsoRoles(List<String> roles) {
      return new Stored(kind, name, id, user, description, scope, created, createdBy, expires, disabled, salt, hash,
          roles);
    }
  }

  record Document(List<Stored> credentials) {
    static final Document EMPTY = new Document(List.of());

    Document {
      credentials = credentials == null ? List.of() : List.copyOf(credentials);
    }
  }

  record Usage(Instant at, String from) {}

  record UsageDocument(Map<String, Usage> used) {
    UsageDocument {
      used = used == null ? Map.of() : Map.copyOf(used);
    }
  }

  private final Storage storage;
  private final Clock clock;
  private final Policy policy;
  private volatile Document document = Document.EMPTY;
  private volatile Map<String, Stored> byCredentialId = Map.of();
  private volatile Instant loadedAt = Instant.MIN;
  private volatile long missReloadNanos = System.nanoTime() - 1_000_000_000L;
  private final Map<String, Usage> usage = new ConcurrentHashMap<>();
  private volatile Map<String, Usage> storedUsage = Map.of();
  private volatile Instant flushedAt;

  /**
   * Loads the robot accounts and API tokens from {@code storage}.
   *
   * @param storage where the credentials and their last uses are stored (shared by the nodes)
   * @param clock the clock expiries and last uses are read from
   * @param policy the expiry rules for new credentials
   * @throws IllegalStateException if the stored document cannot be read (better not start than lose it)
   */
  public ApiCredentials(Storage storage, Clock clock, Policy policy) {
    this.storage = Objects.requireNonNull(storage);
    this.clock = Objects.requireNonNull(clock);
    this.policy = Objects.requireNonNull(policy);
    this.flushedAt = clock.instant();
    load();
    storedUsage = readUsage();
  }

  /**
   * The expiry rules new credentials are made under.
   *
   * @return the policy
   */
  public Policy policy() {
    return policy;
  }

  // ---------------------------------------------------------------- logging in

  /**
   * Checks {@code user} and {@code secret} if they are a robot's or an API token's: a credential,
   * a refusal (a robot name with a wrong secret, a revoked or expired credential), or
   * {@link Login#NOT_OURS} for anything else (a user's password, for the caller to check).
   *
   * @param user the user name of the Basic credentials or token request
   * @param secret the password given
   * @param from the client's address, recorded as the credential's last use
   * @return the outcome; never null
   */
  public Login login(String user, char[] secret, String from) {
    String s = new String(secret);
    Stored c;
    if (isRobotName(user)) {
      c = find("robot:" + user);
      if (c == null) {
        return new Login(null, "no such robot account");
      }
    } else if (s.startsWith(TOKEN_PREFIX)) {
      int end = s.indexOf('_', TOKEN_PREFIX.length());
      c = end < 0 ? null : find("token:" + s.substring(TOKEN_PREFIX.length(), end));
      if (c == null || !c.user().equals(user)) {
        return new Login(null, "no such API token for this user");
      }
    } else {
      return Login.NOT_OURS;
    }
    if (!MessageDigest.isEqual(hash(c.salt(), s), Base64.getDecoder().decode(c.hash()))) {
      return new Login(null, "wrong secret");
    }
    String refusal = refusal(c);
    if (refusal != null) {
      return new Login(null, refusal);
    }
    used(c, from);
    return new Login(credential(c), null);
  }

  /**
   * The credential {@code id} (as a bearer token names it) if it is still in force: not deleted,
   * disabled or expired. Called for every request with such a token.
   *
   * @param id {@code robot:robot$<name>} or {@code token:<id>}
   * @param from the client's address, recorded as the credential's last use
   * @return the credential, or empty when it is no longer in force
   */
  public Optional<Credential> current(String id, String from) {
    Stored c = find(id);
    if (c == null || refusal(c) != null) {
      return Optional.empty();
    }
    used(c, from);
    return Optional.of(credential(c));
  }

  /**
   * Why {@code id} is not in force (for the audit line), or null if it is.
   *
   * @param id {@code robot:robot$<name>} or {@code token:<id>}
   * @return the reason, or null
   */
  public String refusal(String id) {
    Stored c = find(id);
    return c == null ? "the credential was deleted" : refusal(c);
  }

  private String refusal(Stored c) {
    if (c.disabled()) {
      return (c.kind().equals("robot") ? "the robot account" : "the API token") + " is disabled";
    }
    if (c.expired(clock.instant())) {
      return (c.kind().equals("robot") ? "the robot account" : "the API token") + " expired at " + c.expires();
    }
    return null;
  }

  private static Credential credential(Stored c) {
    return new Credential(c.credentialId(), c.kind().equals("robot") ? c.name() : c.user(), c.kind().equals("robot"),
        c.scope(), c.ssoRoles() == null ? null : new Identity(c.user(), Realm.OIDC, c.ssoRoles()));
  }

  private Stored find(String credentialId) {
    if (!clock.instant().isBefore(loadedAt.plus(RELOAD))) {
      load();
    }
    Stored c = byCredentialId.get(credentialId);
    long now = System.nanoTime();
    if (c == null && now - missReloadNanos >= 1_000_000_000L) {
      missReloadNanos = now; // a rate limit (real time): unknown names must not make every request read storage
      load(); // made on another node a moment ago?
      c = byCredentialId.get(credentialId);
    }
    return c;
  }

  // ---------------------------------------------------------------- last use

  private void used(Stored c, String from) {
    Instant now = clock.instant();
    usage.put(c.credentialId(), new Usage(now, from));
    if (!now.isBefore(flushedAt.plus(FLUSH))) {
      flush();
    }
  }

  /** Writes the last uses seen since the last write (merged with other nodes': the later use wins). */
  public synchronized void flush() {
    flushedAt = clock.instant();
    if (usage.isEmpty()) {
      return;
    }
    try {
      Map<String, Usage> merged = new HashMap<>(readUsage());
      Map<String, Usage> mine = new HashMap<>(usage);
      mine.forEach((id, u) -> merged.merge(id, u, (a, b) -> a.at().isAfter(b.at()) ? a : b));
      merged.keySet().removeIf(id -> !byCredentialId.containsKey(id));
      storage.write(USAGE_SUBJECT, JSON.writeValueAsBytes(new UsageDocument(merged)));
      storedUsage = Map.copyOf(merged);
      mine.forEach(usage::remove); // two-argument remove: a use seen meanwhile stays for the next write
    } catch (RuntimeException e) {
      LOG.warn("api credentials: cannot write the last uses: {}", e.toString());
    }
  }

  private Map<String, Usage> readUsage() {
    try {
      return storage.read(USAGE_SUBJECT).map(b -> JSON.readValue(b, UsageDocument.class).used()).orElse(Map.of());
    } catch (JacksonException e) {
      LOG.warn("api credentials: the last uses ({}) cannot be read: {}; starting afresh", USAGE_SUBJECT,
          e.getOriginalMessage());
      return Map.of();
    }
  }

  // ---------------------------------------------------------------- managing

  /**
   * Makes a robot account; the result holds its secret, shown this once.
   *
   * @param expiresIn null: the default expiry; {@link Duration#ZERO}: never (if allowed)
   * @throws IllegalArgumentException naming the field at fault ({@code field: message})
   * @throws IllegalStateException if the name is taken
   * @param name {@code robot$<name>}: a-z, 0-9, {@code . _ -}, at most 64 after the prefix
   * @param description what the account is for; may be null
   * @param scope the repositories and actions it may
   * @param by who creates it, for the audit log
   * @return the account with its secret
   */
  public synchronized WithSecret createRobot(String name, String description, CredentialScope scope,
      Duration expiresIn, String by) {
    List<String[]> problems = new ArrayList<>();
    if (name == null || !ROBOT_NAME.matcher(name).matches()) {
      problems.add(new String[] {"name", name == null ? "missing" : "\"" + name + "\" is not robot$<name> (<name>:"
          + " a-z, 0-9, . _ -, starting with a letter or digit, at most 64)"});
    }
    problems.addAll(scope == null ? List.<String[]>of(new String[] {"scope", "missing"}) : scope.problems("scope"));
    Instant expires = expires(expiresIn, problems);
    fail(problems);
    load();
    if (byCredentialId.containsKey("robot:" + name)) {
      throw new IllegalStateException("robot account " + name + " exists");
    }
    String secret = ROBOT_SECRET_PREFIX + random(32);
    String salt = random(16);
    Stored c = new Stored("robot", name, null, null, description, scope, clock.instant(), by, expires, false, salt,
        Base64.getEncoder().encodeToString(hash(salt, secret)), null);
    save(with(c));
    Audit.credential("robot-created", by, name, scopeText(scope), expires);
    return new WithSecret(view(c), secret);
  }

  /**
   * Makes an API token for {@code user}; the result holds the token, shown this once.
   *
   * @param scope null: the user's own rights
   * @param user the user the token acts as
   * @param name what the token is for: letters, digits, space, {@code . _ -}, at most 64
   * @param expiresIn null: the default expiry; {@link Duration#ZERO}: never (if allowed)
   * @return the token's view with the token itself
   * @throws IllegalArgumentException naming the field at fault ({@code field: message})
   * @throws IllegalStateException when the user has 100 tokens already
   */
  public WithSecret createToken(String user, String name, CredentialScope scope, Duration expiresIn) {
    return createToken(user, name, scope, expiresIn, null);
  }

  /**
   * Makes an API token for {@code user}, who signed in through single sign-on as {@code sso}
   * (null: a user of the local users or the directory). Such a user has no password and the
   * provider cannot be asked about them later, so the token keeps the roles of the sign-in;
   * each later sign-in replaces them ({@link #signedIn}).
   *
   * @param user the user the token acts as
   * @param name what the token is for: letters, digits, space, {@code . _ -}, at most 64
   * @param scope null: the user's own rights
   * @param expiresIn null: the default expiry; {@link Duration#ZERO}: never (if allowed)
   * @param sso the user's single sign-on identity, or null
   * @return the token's view with the token itself
   * @throws IllegalArgumentException naming the field at fault ({@code field: message}), or when
   *     {@code sso} is not {@code user}'s
   * @throws IllegalStateException when the user has 100 tokens already
   */
  public synchronized WithSecret createToken(String user, String name, CredentialScope scope, Duration expiresIn,
      Identity sso) {
    if (sso != null && !sso.name().equals(user)) {
      throw new IllegalArgumentException("user: the signed-in identity is " + sso.name() + ", not " + user);
    }
    List<String[]> problems = new ArrayList<>();
    if (name == null || !TOKEN_NAME.matcher(name).matches()) {
      problems.add(new String[] {"name", name == null ? "missing: a name that says what the token is for"
          : "\"" + name + "\" is not a token name (letters, digits, space, . _ -, at most 64)"});
    }
    if (scope != null) {
      problems.addAll(scope.problems("scope"));
    }
    Instant expires = expires(expiresIn, problems);
    fail(problems);
    load();
    if (document.credentials().stream().filter(c -> user.equals(c.user())).count() >= MAX_TOKENS_PER_USER) {
      throw new IllegalStateException("user " + user + " has " + MAX_TOKENS_PER_USER + " API tokens; delete some first");
    }
    String id = HexFormat.of().formatHex(randomBytes(6));
    String secret = TOKEN_PREFIX + id + "_" + random(32);
    String salt = random(16);
    Stored c = new Stored("token", name, id, user, null, scope, clock.instant(), user, expires, false, salt,
        Base64.getEncoder().encodeToString(hash(salt, secret)), sso == null ? null : sso.roles());
    save(with(c));
    Audit.credential("token-created", user, "token:" + id, scope == null ? "the user's rights" : scopeText(scope), expires);
    return new WithSecret(view(c), secret);
  }

  /**
   * Every robot account, by name, with its last use on any node (as last written).
   *
   * @return the robot accounts, sorted by name
   */
  public List<View> robots() {
    load();
    storedUsage = readUsage();
    return document.credentials().stream().filter(c -> c.kind().equals("robot")).map(this::view)
        .sorted(java.util.Comparator.comparing(View::name)).toList();
  }

  /**
   * One robot account, with its last use.
   *
   * @param name its name, {@code robot$<name>}
   * @return the account, or empty when there is none of that name
   */
  public Optional<View> robot(String name) {
    load();
    storedUsage = readUsage();
    return Optional.ofNullable(byCredentialId.get("robot:" + name)).map(this::view);
  }

  /**
   * The API tokens of {@code user}, oldest first.
   *
   * @param user the user name
   * @return the tokens, never their secrets
   */
  public List<View> tokens(String user) {
    load();
    storedUsage = readUsage();
    return document.credentials().stream().filter(c -> c.kind().equals("token") && user.equals(c.user()))
        .map(this::view).toList();
  }

  /**
   * Turns a robot account off or on; off, its next request fails, bearer tokens it obtained too.
   *
   * @param name the robot account's name
   * @param disabled true to turn it off, false to turn it on again
   * @param by who does it, for the audit log
   * @return the account as it is now
   * @throws java.util.NoSuchElementException if there is no such robot account
   */
  public synchronized View disableRobot(String name, boolean disabled, String by) {
    Stored c = require("robot:" + name, "robot account " + name);
    Stored next = c.disabled(disabled);
    save(replace(c, next));
    Audit.credential(disabled ? "robot-disabled" : "robot-enabled", by, name, null, null);
    return view(next);
  }

  /**
   * Gives a robot account a new secret (the old one fails at once); the result shows it this once.
   *
   * @param name the robot account's name
   * @param by who does it, for the audit log
   * @return the account with its new secret
   * @throws java.util.NoSuchElementException if there is no such robot account
   */
  public synchronized WithSecret regenerateRobot(String name, String by) {
    Stored c = require("robot:" + name, "robot account " + name);
    String secret = ROBOT_SECRET_PREFIX + random(32);
    String salt = random(16);
    Stored next = c.withSecret(salt, Base64.getEncoder().encodeToString(hash(salt, secret)));
    save(replace(c, next));
    Audit.credential("robot-secret-regenerated", by, name, null, null);
    return new WithSecret(view(next), secret);
  }

  /**
   * Deletes a robot account; its next request fails. Returns whether there was one.
   *
   * @param name the robot account's name
   * @param by who does it, for the audit log
   * @return false when there was no such account
   */
  public synchronized boolean deleteRobot(String name, String by) {
    load();
    Stored c = byCredentialId.get("robot:" + name);
    if (c == null) {
      return false;
    }
    save(replace(c, null));
    Audit.credential("robot-deleted", by, name, null, null);
    return true;
  }

  /**
   * Deletes {@code user}'s API token {@code id}; its next use fails. Returns whether there was one.
   *
   * @param user the token's user
   * @param id the token's id
   * @param by who does it, for the audit log
   * @return false when {@code user} had no such token
   */
  public synchronized boolean deleteToken(String user, String id, String by) {
    load();
    Stored c = byCredentialId.get("token:" + id);
    if (c == null || !user.equals(c.user())) {
      return false;
    }
    save(replace(c, null));
    Audit.credential("token-revoked", by, "token:" + id, null, null);
    return true;
  }

  /**
   * {@code identity} signed in again through single sign-on: its API tokens take the roles the
   * provider's groups give now (a user dropped from a group loses that group's rights on its
   * tokens at its next sign-in). Writes only when the roles changed.
   *
   * @param identity the user and the roles of the sign-in
   */
  synchronized void signedIn(Identity identity) {
    load();
    List<Stored> next = new ArrayList<>();
    boolean changed = false;
    for (Stored c : document.credentials()) {
      if (c.ssoRoles() != null && identity.name().equals(c.user()) && !c.ssoRoles().equals(identity.roles())) {
        next.add(c.withSsoRoles(identity.roles()));
        changed = true;
      } else {
        next.add(c);
      }
    }
    if (changed) {
      save(new Document(next));
      Audit.credential("tokens-roles-updated", identity.name(), "user:" + identity.name(),
          "roles " + identity.roles(), null);
    }
  }

  /**
   * Deletes every API token of {@code user} (the user was removed); returns how many.
   *
   * @param user the user name
   * @param by who removed the user, for the audit log
   * @return the number of tokens deleted
   */
  public synchronized int deleteTokens(String user, String by) {
    load();
    List<Stored> keep = document.credentials().stream().filter(c -> !user.equals(c.user())).toList();
    int gone = document.credentials().size() - keep.size();
    if (gone > 0) {
      save(new Document(keep));
      Audit.credential("tokens-revoked", by, "user:" + user, gone + " tokens", null);
    }
    return gone;
  }

  private Stored require(String id, String what) {
    load();
    Stored c = byCredentialId.get(id);
    if (c == null) {
      throw new java.util.NoSuchElementException("no " + what);
    }
    return c;
  }

  private Instant expires(Duration expiresIn, List<String[]> problems) {
    Duration d = expiresIn == null ? policy.defaultExpiry() : expiresIn;
    if (d.isZero()) {
      if (!policy.allowNeverExpire()) {
        problems.add(new String[] {"expiresIn", "\"never\" is not allowed here (security.robots.allowNeverExpire is"
            + " false); give a duration such as 30d"});
      }
      return null;
    }
    if (d.isNegative()) {
      problems.add(new String[] {"expiresIn", "must be a positive duration such as 30d, or never"});
      return null;
    }
    return clock.instant().plus(d);
  }

  private static void fail(List<String[]> problems) {
    if (!problems.isEmpty()) {
      StringBuilder sb = new StringBuilder();
      for (String[] p : problems) {
        sb.append(sb.length() == 0 ? "" : "\n").append(p[0]).append(": ").append(p[1]);
      }
      throw new IllegalArgumentException(sb.toString());
    }
  }

  private View view(Stored c) {
    Usage u = usage.get(c.credentialId());
    Usage s = storedUsage.get(c.credentialId());
    if (u == null || s != null && s.at().isAfter(u.at())) {
      u = s;
    }
    return new View(c.kind(), c.name(), c.kind().equals("token") ? c.id() : null, c.user(), c.description(),
        c.scope(), c.created(), c.createdBy(), c.expires(), c.disabled(), u == null ? null : u.at(),
        u == null ? null : u.from());
  }

  private static String scopeText(CredentialScope scope) {
    List<String> out = new ArrayList<>();
    for (CredentialScope.Rule r : scope.rules()) {
      out.add(String.join(",", r.repositories()) + (r.images().isEmpty() ? "" : "/" + String.join(",", r.images()))
          + ":" + String.join(",", r.actions()));
    }
    return String.join(" ", out);
  }

  // ---------------------------------------------------------------- storage

  private Document with(Stored c) {
    List<Stored> next = new ArrayList<>(document.credentials());
    next.add(c);
    return new Document(next);
  }

  private Document replace(Stored old, Stored next) {
    List<Stored> out = new ArrayList<>();
    for (Stored c : document.credentials()) {
      if (c.credentialId().equals(old.credentialId())) {
        if (next != null) {
          out.add(next);
        }
      } else {
        out.add(c);
      }
    }
    return new Document(out);
  }

  private void save(Document d) {
    storage.write(SUBJECT, JSON.writeValueAsBytes(d));
    set(d);
  }

  /** Re-reads the document (changes are made on a fresh copy: another node may have changed it). */
  private synchronized void load() {
    Optional<byte[]> bytes = storage.read(SUBJECT);
    Document d;
    try {
      d = bytes.isEmpty() ? Document.EMPTY : JSON.readValue(bytes.get(), Document.class);
    } catch (JacksonException e) {
      if (loadedAt.equals(Instant.MIN)) {
        throw new IllegalStateException("the stored robot accounts and API tokens (" + SUBJECT + ") cannot be read: "
            + e.getOriginalMessage(), e);
      }
      LOG.warn("api credentials: {} cannot be read now: {}; keeping the copy read before", SUBJECT,
          e.getOriginalMessage());
      loadedAt = clock.instant();
      return;
    }
    set(d);
  }

  private void set(Document d) {
    Map<String, Stored> byId = new HashMap<>();
    d.credentials().forEach(c -> byId.put(c.credentialId(), c));
    document = d;
    byCredentialId = Map.copyOf(byId);
    loadedAt = clock.instant();
  }

  // ---------------------------------------------------------------- secrets

  private static byte[] hash(String salt, String secret) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(salt.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
      return mac.doFinal(secret.getBytes(StandardCharsets.UTF_8));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is missing from this JVM", e);
    }
  }

  private static byte[] randomBytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  private static String random(int bytes) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes(bytes));
  }

  /**
   * Whether {@code name} has the form of a robot account's name.
   *
   * @param name a user name, or null
   * @return true when it starts with {@link #ROBOT_PREFIX}
   */
  public static boolean isRobotName(String name) {
    return name != null && name.startsWith(ROBOT_PREFIX);
  }
}
