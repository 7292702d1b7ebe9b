package io.wharf.server.config;

import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.util.ssl.PEMFileTrustManager;
import com.unboundid.util.ssl.TrustStoreTrustManager;
import io.wharf.server.auth.ldap.LdapSource;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import javax.net.ssl.X509TrustManager;

/**
 * Checks {@code security.ldap} for {@link ConfigLoader} and builds the {@link LdapSource} it
 * describes for {@link SecurityFactory}: one place that reads the section, so that what is
 * checked is what is built.
 */
final class LdapFactory {
  /** A built-in role that {@code groupRoles} may name besides the config file's roles. */
  private static final String NX_ADMIN = "nx-admin";

  private LdapFactory() {}

  /** Checks the section; {@code roles} are the config file's role names, {@code key} is {@code security.ldap} with the file's prefix. */
  static void validate(WharfConfig.Ldap ldap, Set<String> roles, String key) {
    settings(ldap.withDefaults(), roles, key);
  }

  /** The source the section describes; the pool starts connecting (a directory down is no error). */
  static LdapSource build(WharfConfig.Ldap ldap, Set<String> roles, Clock clock) {
    LdapSource.Settings settings = settings(ldap, roles, "security.ldap");
    try {
      return new LdapSource(settings, clock);
    } catch (GeneralSecurityException | LDAPException e) {
      throw new ConfigException("security.ldap: cannot set up the connection pool: " + e.getMessage(), e);
    }
  }

  /** How long a directory login stays cached, 0 for never. */
  static Duration cacheTtl(WharfConfig.Ldap ldap) {
    return Durations.parse(ldap.cacheTtl(), "security.ldap.cacheTtl");
  }

  private static LdapSource.Settings settings(WharfConfig.Ldap l, Set<String> roles, String key) {
    if (l.urls().isEmpty()) {
      throw new ConfigException(key + ".urls: missing: one or more ldap:// or ldaps:// URLs");
    }
    List<URI> urls = new ArrayList<>();
    for (String u : l.urls()) {
      URI uri = url(u, key + ".urls");
      if (l.startTls() && uri.getScheme().equals("ldaps")) {
        throw new ConfigException(key + ".startTls: applies to ldap:// URLs; " + u + " is ldaps:// (TLS from the start)");
      }
      urls.add(uri);
    }
    if (l.trustStorePassword() != null && l.trustStore() == null) {
      throw new ConfigException(key + ".trustStorePassword: applies only with trustStore");
    }
    X509TrustManager trust = l.trustStore() == null ? null : trust(l.trustStore(), l.trustStorePassword(), key + ".trustStore");
    if (l.bindDn() == null != (l.bindPassword() == null)) {
      throw new ConfigException(key + (l.bindDn() == null ? ".bindDn: missing (bindPassword is set)"
          : ".bindPassword: missing (bindDn is set); leave both out to search anonymously"));
    }
    if (l.bindDn() != null) {
      dn(l.bindDn(), key + ".bindDn");
    }
    if (l.userBaseDn() == null) {
      throw new ConfigException(key + ".userBaseDn: missing: where the users are, e.g. ou=people,dc=example,dc=com");
    }
    dn(l.userBaseDn(), key + ".userBaseDn");
    filter(l.userFilter(), key + ".userFilter", "the login name");
    if (l.groupBaseDn() != null) {
      dn(l.groupBaseDn(), key + ".groupBaseDn");
      filter(l.groupFilter(), key + ".groupFilter", "the user's DN");
    }
    if (l.groupAttribute() == null && l.groupBaseDn() == null && !l.groupRoles().isEmpty()) {
      throw new ConfigException(key + ".groupRoles: no way to find groups: set groupAttribute (e.g. memberOf)"
          + " and/or groupBaseDn");
    }
    l.groupRoles().forEach((group, mapped) -> knownRoles(mapped, roles, key + ".groupRoles." + group));
    knownRoles(l.defaultRoles(), roles, key + ".defaultRoles");
    Duration connect = positive(l.connectTimeout(), key + ".connectTimeout");
    Duration response = positive(l.responseTimeout(), key + ".responseTimeout");
    if (l.poolSize() < 1) {
      throw new ConfigException(key + ".poolSize: " + l.poolSize() + " is not 1 or more");
    }
    Duration cache = Durations.parse(l.cacheTtl(), key + ".cacheTtl");
    return new LdapSource.Settings(urls, l.startTls(), trust, l.bindDn(),
        l.bindPassword() == null ? null : l.bindPassword().toCharArray(), l.userBaseDn(), l.userFilter(),
        l.groupAttribute(), l.groupBaseDn(), l.groupFilter(), l.groupNameAttribute(), l.groupRoles(),
        l.defaultRoles(), connect, response, l.poolSize(), cache);
  }

  private static URI url(String text, String key) {
    URI u;
    try {
      u = new URI(text);
    } catch (URISyntaxException e) {
      throw new ConfigException(key + ": \"" + text + "\" is not a URL: " + e.getMessage());
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("ldap") && !scheme.equals("ldaps") || u.getHost() == null) {
      throw new ConfigException(key + ": \"" + text + "\" is not an ldap://host[:port] or ldaps://host[:port] URL");
    }
    if (u.getRawPath() != null && !u.getRawPath().isEmpty() && !u.getRawPath().equals("/") || u.getRawQuery() != null) {
      throw new ConfigException(key + ": \"" + text + "\" has a path or query; give the base DNs in userBaseDn and"
          + " groupBaseDn");
    }
    return URI.create(scheme + "://" + (u.getHost().contains(":") ? "[" + u.getHost() + "]" : u.getHost())
        + (u.getPort() > 0 ? ":" + u.getPort() : ""));
  }

  /** PEM certificates, or a PKCS#12 / JKS key store; loaded now, so that a bad file fails the start. */
  private static X509TrustManager trust(String file, String password, String key) {
    Path p = Path.of(file);
    if (!Files.isRegularFile(p)) {
      throw new ConfigException(key + ": no such file: " + file);
    }
    try {
      X509TrustManager trust;
      if (new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1).contains("-----BEGIN CERTIFICATE-----")) {
        if (password != null) {
          throw new ConfigException(key + "Password: a PEM file has no password");
        }
        trust = new PEMFileTrustManager(p.toFile());
      } else {
        trust = new TrustStoreTrustManager(p.toFile(), password == null ? null : password.toCharArray(), null, true);
      }
      if (trust.getAcceptedIssuers().length == 0) {
        throw new ConfigException(key + ": " + file + " holds no certificate");
      }
      return trust;
    } catch (IOException | GeneralSecurityException e) {
      throw new ConfigException(key + ": cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private static void dn(String dn, String key) {
    try {
      new DN(dn);
    } catch (LDAPException e) {
      throw new ConfigException(key + ": \"" + dn + "\" is not a DN: " + e.getMessage());
    }
  }

  private static void filter(String filter, String key, String what) {
    if (!filter.contains("{0}")) {
      throw new ConfigException(key + ": \"" + filter + "\" has no {0} (" + what + ")");
    }
    try {
      LdapSource.filter(filter, "x");
    } catch (LDAPException e) {
      throw new ConfigException(key + ": \"" + filter + "\" is not an LDAP filter: " + e.getMessage());
    }
  }

  private static void knownRoles(List<String> mapped, Set<String> roles, String key) {
    for (String r : mapped) {
      if (!roles.contains(r) && !r.equals(NX_ADMIN)) {
        throw new ConfigException(key + ": unknown role \"" + r + "\"; roles: " + roles + " (or " + NX_ADMIN + ")");
      }
    }
  }

  private static Duration positive(String text, String key) {
    Duration d = Durations.parse(text, key);
    if (d.isZero() || d.isNegative()) {
      throw new ConfigException(key + ": must be longer than 0");
    }
    return d;
  }
}
