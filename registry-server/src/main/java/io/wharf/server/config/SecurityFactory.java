package io.wharf.server.config;

import io.wharf.core.repository.Registry;
import io.wharf.core.storage.StorageDriver;
import io.wharf.server.auth.ExternalTokens;
import io.wharf.server.auth.Htpasswd;
import io.wharf.server.auth.LoginThrottle;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.auth.Privilege;
import io.wharf.server.auth.Realm;
import io.wharf.server.auth.RegistrySecurity;
import io.wharf.server.auth.SigningKey;
import io.wharf.server.auth.TlsKeys;
import io.wharf.server.auth.TokenKeys;
import io.wharf.server.auth.TokenService;
import io.wharf.server.auth.UserDirectory;
import io.wharf.server.auth.UserSources;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the {@link RegistrySecurity} and the TLS key stores a validated {@link WharfConfig}
 * describes, and checks the {@code security:} and {@code tls:} keys for {@link ConfigLoader}.
 */
public final class SecurityFactory {
  private static final Logger LOG = LoggerFactory.getLogger(SecurityFactory.class);

  private SecurityFactory() {}

  /**
   * The access control of {@code config}'s {@code security:} section, or {@code null} when there
   * is none (the server is then open). Reads htpasswd files and the token signing key (generating
   * one on first start).
   *
   * @param config a validated configuration
   * @param registry its repositories (for their realms and anonymous pull)
   * @return the security, or null
   * @throws IOException if an htpasswd or key file cannot be read, or the generated key not written
   */
  public static RegistrySecurity build(WharfConfig config, Registry registry) throws IOException {
    return build(config, registry, Clock.systemUTC(), null);
  }

  /**
   * As {@link #build(WharfConfig, Registry)}, with the clock expiries and key rotation read, and
   * the driver that keeps the rotating token keys (null: this process only).
   *
   * @param config a validated configuration
   * @param registry its repositories (for their realms and anonymous pull)
   * @param clock the clock
   * @param keys where the rotating token keys live, or null
   * @return the security, or null
   * @throws IOException if an htpasswd or key file cannot be read, or the generated key not written
   */
  public static RegistrySecurity build(WharfConfig config, Registry registry, Clock clock, StorageDriver keys)
      throws IOException {
    WharfConfig.Security s = config.security();
    if (s == null) {
      return null;
    }
    Map<String, Set<Privilege>> roles = new LinkedHashMap<>();
    for (WharfConfig.Role r : s.roles()) {
      Set<Privilege> privileges = new LinkedHashSet<>();
      for (String p : r.privileges() == null ? List.<String>of() : r.privileges()) {
        privileges.add(Privilege.parse(p));
      }
      roles.put(r.name(), privileges);
    }
    List<Htpasswd> files = new ArrayList<>();
    for (String f : s.htpasswd()) {
      files.add(Htpasswd.read(Path.of(f)));
    }
    List<UserDirectory.Entry> entries = new ArrayList<>();
    s.users().forEach(u -> entries.add(new UserDirectory.Entry(u.name(), u.passwordHash(), u.roles())));
    UserDirectory users = new UserDirectory(entries, roles, files, s.htpasswdRoles());

    RegistrySecurity.Builder b = RegistrySecurity.builder()
        .realms(realms(s.realms(), "security.realms"))
        .anonymous(s.anonymous())
        .users(users)
        .sources(sources(s, users, roles.keySet(), clock))
        .clock(clock)
        .service(s.token().service())
        .throttle(new LoginThrottle(s.throttle().maxFailures(),
            Durations.parse(s.throttle().window(), "security.throttle.window"),
            Durations.parse(s.throttle().lockout(), "security.throttle.lockout"), Clock.systemUTC()));
    boolean tokenRealm = s.realms().contains(WharfConfig.Security.DOCKER_TOKEN);
    Set<String> hosts = new HashSet<>();
    for (WharfConfig.Repository r : config.repositories()) {
      if (registry.repository(r.name()).isEmpty()) {
        continue;
      }
      if (Boolean.TRUE.equals(r.anonymousPull())) {
        b.anonymousPull(r.name());
      }
      if (r.realms() != null) {
        b.realms(r.name(), realms(r.realms(), "repositories (" + r.name() + ").realms"));
        tokenRealm |= r.realms().contains(WharfConfig.Security.DOCKER_TOKEN);
      }
      hosts.addAll(r.hosts());
    }
    b.claimedHosts(hosts);
    if (config.server().publicUrl() != null) {
      b.publicUrl(URI.create(config.server().publicUrl()));
    }
    if (tokenRealm) {
      Duration expiry = Durations.parse(s.token().expiry(), "security.token.expiry");
      Duration refreshExpiry = Durations.parse(s.token().refreshExpiry(), "security.token.refreshExpiry");
      b.tokens(new TokenService(tokenKeys(config, keys, clock, expiry.compareTo(refreshExpiry) > 0 ? expiry : refreshExpiry),
          s.token().issuer(), s.token().service(), expiry, refreshExpiry, clock));
    }
    if (s.externalToken() != null) {
      b.external(externalTokens(s, clock, ""));
    }
    if (s.users().isEmpty() && s.htpasswd().isEmpty()) {
      LOG.warn("security: no users are defined; nobody can push");
    }
    return b.build();
  }

  /**
   * The local users and the directory of {@code security.ldap}, if any. A directory identity is
   * remembered for at least a token's lifetime, so the tokens of a login stay valid.
   */
  private static UserSources sources(WharfConfig.Security s, UserDirectory users, Set<String> roles, Clock clock) {
    if (s.ldap() == null) {
      return new UserSources(users, List.of(), Duration.ZERO, clock); // single sign-on identities only
    }
    if (!s.realms().contains(Realm.LDAP.configName())) {
      LOG.warn("security: security.ldap is set but security.realms does not list ldap: directory users cannot log in"
          + " until the realm is made active (security.realms, or the management API's LdapRealm)");
    }
    Duration expiry = Durations.parse(s.token().expiry(), "security.token.expiry");
    Duration cache = LdapFactory.cacheTtl(s.ldap());
    return new UserSources(users, List.of(LdapFactory.build(s.ldap(), roles, Clock.systemUTC())),
        expiry.compareTo(cache) > 0 ? expiry : cache, clock);
  }

  /**
   * Tells {@code security} which repositories of {@code config} allow anonymous pull and which
   * host names they claim, after repositories changed while the server runs.
   *
   * @param security the running server's security
   * @param config the configuration with the repositories as they are now
   */
  public static void applyRepositories(RegistrySecurity security, WharfConfig config) {
    List<String> anonymous = new ArrayList<>();
    Set<String> hosts = new HashSet<>();
    for (WharfConfig.Repository r : config.repositories()) {
      if (Boolean.TRUE.equals(r.anonymousPull())) {
        anonymous.add(r.name());
      }
      hosts.addAll(r.hosts());
    }
    security.repositories(anonymous, hosts);
  }

  /**
   * {@code security.token.signingKey} (pinned), else keys that rotate every
   * {@code security.token.rotateEvery}, kept in {@code driver} (from the first start on; a key
   * file of an older version in the default file store's directory is adopted as the first key),
   * else (no driver: a caller's registry) in this process, starting from the key file if there is
   * a file store.
   */
  static TokenKeys tokenKeys(WharfConfig config, StorageDriver driver, Clock clock, Duration longestToken)
      throws IOException {
    WharfConfig.Token t = config.security().token();
    if (t.signingKey() != null) {
      return TokenKeys.pinned(SigningKey.load(Path.of(t.signingKey())));
    }
    Duration every = Durations.parse(t.rotateEvery(), "security.token.rotateEvery");
    Path legacy = defaultKeyFile(config);
    SigningKey adopt = null;
    if (driver == null) {
      adopt = legacy != null ? SigningKey.loadOrCreate(legacy) : null;
      if (adopt == null) {
        LOG.warn("security: no blob store to keep the token signing keys in; tokens will not survive a restart.");
      }
    } else if (legacy != null && Files.exists(legacy)) {
      adopt = SigningKey.load(legacy);
    }
    return TokenKeys.rotating(driver, every, longestToken, clock, adopt);
  }

  /** {@code <path of the default file blob store>/wharf/token-signing-key.pem}, or null. */
  static Path defaultKeyFile(WharfConfig config) {
    Map<String, WharfConfig.BlobStore> stores = config.blobStores();
    WharfConfig.BlobStore store = stores.containsKey(WharfConfig.DEFAULT_STORE)
        ? stores.get(WharfConfig.DEFAULT_STORE) : stores.values().iterator().next();
    if (!"file".equals(store.type()) || store.path() == null) {
      return null;
    }
    return Path.of(store.path()).resolve(SigningKey.DEFAULT_FILE);
  }

  /**
   * The key store of {@code tls}, checked; {@code key} names it in errors.
   *
   * @param tls the section as written
   * @param key the config key, for the error message
   * @return the key store
   * @throws ConfigException when files are missing, unreadable, or do not fit together
   */
  public static TlsKeys tls(WharfConfig.Tls tls, String key) {
    boolean pem = tls.certificate() != null || tls.key() != null;
    boolean p12 = tls.pkcs12() != null;
    if (pem == p12) {
      throw new ConfigException(key + ": give either certificate and key (PEM files) or pkcs12 (and password)");
    }
    try {
      if (p12) {
        return TlsKeys.pkcs12(existing(tls.pkcs12(), key + ".pkcs12"), tls.password());
      }
      if (tls.certificate() == null) {
        throw new ConfigException(key + ".certificate: missing (the PEM certificate chain that goes with key)");
      }
      if (tls.key() == null) {
        throw new ConfigException(key + ".key: missing (the PEM private key of certificate)");
      }
      if (tls.password() != null) {
        throw new ConfigException(key + ".password: applies to pkcs12 only; PEM keys must be unencrypted");
      }
      return TlsKeys.pem(existing(tls.certificate(), key + ".certificate"), existing(tls.key(), key + ".key"));
    } catch (IllegalArgumentException e) {
      throw new ConfigException(key + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ConfigException(key + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static Path existing(String file, String key) {
    Path p = Path.of(file);
    if (!Files.isRegularFile(p)) {
      throw new ConfigException(key + ": no such file: " + file);
    }
    return p;
  }

  static List<Realm> realms(List<String> names, String key) {
    if (names == null || names.isEmpty()) {
      throw new ConfigException(key + ": at least one realm is needed: docker-token, basic");
    }
    if (names.stream().noneMatch(n -> !Realm.LDAP.configName().equals(n))) {
      throw new ConfigException(key + ": ldap is a source of users; list docker-token and/or basic too, the ways"
          + " clients present credentials");
    }
    List<Realm> out = new ArrayList<>();
    for (String n : names) {
      try {
        Realm r = Realm.parse(n);
        if (out.contains(r)) {
          throw new ConfigException(key + ": " + n + " is listed twice");
        }
        out.add(r);
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key + ": " + e.getMessage());
      }
    }
    return out;
  }

  /** Checks the {@code security:} section and every {@code tls:}; {@code p} is the file's prefix for messages. */
  static void validate(WharfConfig c, Map<String, WharfConfig.Repository> byName, String p) {
    if (c.server().publicUrl() != null) {
      ConfigLoader.remoteUrl(c.server().publicUrl(), p + "server.publicUrl");
    }
    if (c.server().tls() != null) {
      tls(c.server().tls(), p + "server.tls");
    }
    for (WharfConfig.Repository r : byName.values()) {
      String key = p + "repositories (" + r.name() + ")";
      if (r.http() != null && r.http().tls() != null) {
        tls(r.http().tls(), key + ".http.tls");
      }
      if (r.realms() != null) {
        if (c.security() == null) {
          throw new ConfigException(key + ".realms: applies only with a security section");
        }
        if (realms(r.realms(), key + ".realms").contains(Realm.LDAP)) {
          throw new ConfigException(key + ".realms: ldap applies to the whole server; list it in security.realms");
        }
      }
    }
    WharfConfig.Security s = c.security();
    if (s == null) {
      return;
    }
    if (realms(s.realms(), p + "security.realms").contains(Realm.LDAP) && s.ldap() == null) {
      throw new ConfigException(p + "security.realms: ldap needs a security.ldap section (the directory's URL,"
          + " base DN, ...)");
    }
    Map<String, WharfConfig.Role> roles = new LinkedHashMap<>();
    for (int i = 0; i < s.roles().size(); i++) {
      WharfConfig.Role r = s.roles().get(i);
      String key = p + "security.roles[" + i + "]";
      if (r == null || r.name() == null || r.name().isBlank()) {
        throw new ConfigException(key + ".name: missing");
      }
      key = key + " (" + r.name() + ")";
      if (roles.putIfAbsent(r.name(), r) != null) {
        throw new ConfigException(key + ".name: duplicate role name \"" + r.name() + "\"");
      }
      List<String> privileges = r.privileges() == null ? List.of() : r.privileges();
      for (String text : privileges) {
        Privilege privilege;
        try {
          privilege = Privilege.parse(text);
        } catch (IllegalArgumentException e) {
          throw new ConfigException(key + ".privileges: " + e.getMessage());
        }
        if (!privilege.repository().equals(Privilege.ANY) && !byName.containsKey(privilege.repository())) {
          throw new ConfigException(key + ".privileges: \"" + text + "\" names no repository; repositories: "
              + byName.keySet() + " (or * for any)");
        }
      }
    }
    Set<String> htpasswdUsers = new HashSet<>();
    for (int i = 0; i < s.htpasswd().size(); i++) {
      String key = p + "security.htpasswd[" + i + "]";
      try {
        htpasswdUsers.addAll(Htpasswd.read(existing(s.htpasswd().get(i), key)).users().keySet());
      } catch (IllegalArgumentException e) {
        throw new ConfigException(key + ": " + e.getMessage());
      } catch (IOException e) {
        throw new ConfigException(key + ": cannot read " + s.htpasswd().get(i) + ": " + e.getMessage(), e);
      }
    }
    for (String role : s.htpasswdRoles()) {
      if (!roles.containsKey(role)) {
        throw new ConfigException(p + "security.htpasswdRoles: unknown role \"" + role + "\"; roles: " + roles.keySet());
      }
    }
    Set<String> userNames = new HashSet<>();
    for (int i = 0; i < s.users().size(); i++) {
      WharfConfig.User u = s.users().get(i);
      String key = p + "security.users[" + i + "]";
      if (u == null || u.name() == null || u.name().isBlank() || u.name().contains(":")) {
        throw new ConfigException(key + ".name: " + (u == null || u.name() == null ? "missing" : "\"" + u.name()
            + "\" is invalid; a user name is not empty and has no ':'"));
      }
      key = key + " (" + u.name() + ")";
      if (!userNames.add(u.name())) {
        throw new ConfigException(key + ".name: duplicate user name \"" + u.name() + "\"");
      }
      if (u.passwordHash() == null) {
        if (!htpasswdUsers.contains(u.name())) {
          throw new ConfigException(key + ".passwordHash: missing, and no htpasswd file has the user; make one with"
              + " java -jar wharf.jar hash-password");
        }
      } else if (!PasswordHashes.isBcrypt(u.passwordHash())) {
        throw new ConfigException(key + ".passwordHash: not a bcrypt hash ($2y$..., $2a$..., $2b$...); make one with"
            + " java -jar wharf.jar hash-password");
      }
      for (String role : u.roles() == null ? List.<String>of() : u.roles()) {
        if (!roles.containsKey(role)) {
          throw new ConfigException(key + ".roles: unknown role \"" + role + "\"; roles: " + roles.keySet());
        }
      }
    }
    Duration expiry = Durations.parse(s.token().expiry(), p + "security.token.expiry");
    if (expiry.isZero() || expiry.compareTo(Duration.ofDays(1)) > 0) {
      throw new ConfigException(p + "security.token.expiry: " + s.token().expiry() + " is not between 1s and 1d");
    }
    if (Durations.parse(s.token().refreshExpiry(), p + "security.token.refreshExpiry").isZero()) {
      throw new ConfigException(p + "security.token.refreshExpiry: must be longer than 0");
    }
    if (s.token().service().isBlank() || s.token().service().contains("\"")) {
      throw new ConfigException(p + "security.token.service: must not be empty or contain '\"'");
    }
    if (s.token().issuer().isBlank()) {
      throw new ConfigException(p + "security.token.issuer: must not be empty");
    }
    if (s.token().signingKey() != null) {
      try {
        SigningKey.load(existing(s.token().signingKey(), p + "security.token.signingKey"));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(p + "security.token.signingKey: " + s.token().signingKey() + ": " + e.getMessage());
      } catch (IOException e) {
        throw new ConfigException(p + "security.token.signingKey: cannot read " + s.token().signingKey() + ": "
            + e.getMessage(), e);
      }
    }
    if (Durations.parse(s.token().rotateEvery(), p + "security.token.rotateEvery").isZero()) {
      throw new ConfigException(p + "security.token.rotateEvery: must be longer than 0");
    }
    if (Durations.parse(s.robots().defaultExpiry(), p + "security.robots.defaultExpiry").isZero()) {
      throw new ConfigException(p + "security.robots.defaultExpiry: must be longer than 0");
    }
    if (s.throttle().maxFailures() < 0) {
      throw new ConfigException(p + "security.throttle.maxFailures: " + s.throttle().maxFailures()
          + " is negative (0 turns throttling off)");
    }
    Durations.parse(s.throttle().window(), p + "security.throttle.window");
    Durations.parse(s.throttle().lockout(), p + "security.throttle.lockout");
    if (s.ldap() != null) {
      LdapFactory.validate(s.ldap(), roles.keySet(), p + "security.ldap");
    }
    if (s.externalToken() != null) {
      externalTokens(s, Clock.systemUTC(), p);
    }
  }

  /**
   * The external token server of {@code security.externalToken}.
   *
   * @throws ConfigException naming the key of a missing or malformed value
   */
  static ExternalTokens externalTokens(WharfConfig.Security s, Clock clock, String p) {
    WharfConfig.ExternalToken e = s.externalToken();
    String k = p + "security.externalToken";
    URI realm = httpUrl(e.realm(), k + ".realm", "the token server's URL, where clients get tokens");
    if (e.service() == null || e.service().isBlank() || e.service().contains("\"")) {
      throw new ConfigException(k + ".service: required: the service name tokens are issued for (their audience),"
          + " without '\"'");
    }
    if (e.issuer() == null || e.issuer().isBlank()) {
      throw new ConfigException(k + ".issuer: required: the iss of the token server's tokens");
    }
    if (e.issuer().equals(s.token().issuer())) {
      throw new ConfigException(k + ".issuer: \"" + e.issuer() + "\" is also Wharf's own (security.token.issuer);"
          + " they must differ, so a token's issuer says who checks it");
    }
    if (!s.realms().contains(WharfConfig.Security.DOCKER_TOKEN)) {
      throw new ConfigException(k + ": needs the docker-token realm in security.realms (bearer tokens)");
    }
    if ((e.rootCertBundle() == null) == (e.jwks() == null)) {
      throw new ConfigException(k + ": give exactly one of rootCertBundle (PEM certificates) and jwks (a URL)");
    }
    if (e.jwks() != null) {
      URI jwks = httpUrl(e.jwks(), k + ".jwks", "the URL of the token server's JWKS document");
      try {
        return ExternalTokens.withJwks(realm.toString(), e.service(), e.issuer(), jwks.toURL(), clock);
      } catch (java.net.MalformedURLException x) {
        throw new ConfigException(k + ".jwks: not a URL: " + x.getMessage(), x);
      }
    }
    try {
      List<java.security.cert.X509Certificate> roots =
          io.wharf.server.auth.Pem.certificates(existing(e.rootCertBundle(), k + ".rootCertBundle"));
      return ExternalTokens.withCertificates(realm.toString(), e.service(), e.issuer(), roots, clock);
    } catch (IllegalArgumentException x) {
      throw new ConfigException(k + ".rootCertBundle: " + e.rootCertBundle() + ": " + x.getMessage());
    } catch (IOException x) {
      throw new ConfigException(k + ".rootCertBundle: cannot read " + e.rootCertBundle() + ": " + x.getMessage(), x);
    }
  }

  private static URI httpUrl(String value, String key, String what) {
    if (value == null || value.isBlank()) {
      throw new ConfigException(key + ": required: " + what);
    }
    try {
      URI u = new URI(value.strip());
      if (!u.isAbsolute() || !("https".equals(u.getScheme()) || "http".equals(u.getScheme())) || u.getHost() == null) {
        throw new ConfigException(key + ": an http(s) URL is required, not \"" + value + "\"");
      }
      return u;
    } catch (java.net.URISyntaxException x) {
      throw new ConfigException(key + ": not a URL: " + x.getMessage(), x);
    }
  }
}
