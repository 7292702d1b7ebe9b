package io.wharf.server.auth.ldap;

import com.unboundid.ldap.sdk.BindRequest;
import com.unboundid.ldap.sdk.DN;
import com.unboundid.ldap.sdk.Filter;
import com.unboundid.ldap.sdk.LDAPConnectionOptions;
import com.unboundid.ldap.sdk.LDAPConnectionPool;
import com.unboundid.ldap.sdk.LDAPException;
import com.unboundid.ldap.sdk.LDAPSearchException;
import com.unboundid.ldap.sdk.PostConnectProcessor;
import com.unboundid.ldap.sdk.ResultCode;
import com.unboundid.ldap.sdk.SearchRequest;
import com.unboundid.ldap.sdk.SearchResult;
import com.unboundid.ldap.sdk.SearchResultEntry;
import com.unboundid.ldap.sdk.SearchScope;
import com.unboundid.ldap.sdk.ServerSet;
import com.unboundid.ldap.sdk.SimpleBindRequest;
import com.unboundid.ldap.sdk.SingleServerSet;
import com.unboundid.ldap.sdk.FailoverServerSet;
import com.unboundid.ldap.sdk.StartTLSPostConnectProcessor;
import com.unboundid.util.ssl.HostNameSSLSocketVerifier;
import com.unboundid.util.ssl.JVMDefaultTrustManager;
import com.unboundid.util.ssl.SSLUtil;
import io.wharf.server.auth.Identity;
import io.wharf.server.auth.Realm;
import io.wharf.server.auth.UserSource;
import java.net.URI;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.X509TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code ldap} realm: users of a company directory (OpenLDAP, Active Directory, 389 DS).
 *
 * <p><b>A login</b> binds as the service account ({@code bindDn}; anonymous without one),
 * searches {@code userBaseDn} with {@code userFilter} ({@code {0}}: the name, escaped), then
 * binds as the entry found to check the password (on a pooled connection that returns to the
 * service account after). Its groups, from an attribute of the entry ({@code memberOf}) and/or a
 * search under {@code groupBaseDn} ({@code {0}}: the user's DN), become Wharf roles through
 * {@code groupRoles} (keyed by group name or DN, case-insensitively), plus {@code defaultRoles}.
 *
 * <p><b>Answers.</b> No entry: {@link UserSource#UNKNOWN} (the next realm may know the name).
 * A wrong password, an empty one (an LDAP bind without a password would succeed anonymously),
 * several entries for one name, or a locked account ({@code nsAccountLock: true}, or OpenLDAP's
 * {@code pwdAccountLockedTime}): {@link UserSource.Refused}. The directory unreachable, timing
 * out or refusing the service account: {@link UserSource.SourceUnavailableException}.
 *
 * <p><b>Cost.</b> Connections come from a pool of {@code poolSize}. A successful login is
 * remembered for {@code cacheTtl} under an HMAC of name and password ({@link LoginCache}), so a
 * client that sends Basic credentials with each of 30 layer requests costs one bind, and a
 * changed password misses the cache. Failures are never cached.
 */
public final class LdapSource implements UserSource, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(LdapSource.class);
  /** OpenLDAP ppolicy's value for an account an administrator locked for good. */
  private static final String LOCKED_FOR_GOOD = "000001010000Z";
  private static final String NS_ACCOUNT_LOCK = "nsAccountLock";
  private static final String PWD_LOCKED_TIME = "pwdAccountLockedTime";

  /**
   * What the source needs, checked by the config layer.
   *
   * @param urls {@code ldap://host[:389]} or {@code ldaps://host[:636]}, tried in order (failover)
   * @param startTls upgrade {@code ldap://} connections with StartTLS before anything is sent
   * @param trust whom TLS trusts; null: the JVM's default trust store
   * @param bindDn the service account; null: search anonymously
   * @param bindPassword the service account's password (with {@code bindDn})
   * @param userBaseDn where to search users
   * @param userFilter the user search's filter, {@code {0}} the name given
   * @param groupAttribute the entry's attribute that lists its groups' DNs (memberOf); null: none
   * @param groupBaseDn where to search groups; null: no group search
   * @param groupFilter the group search's filter, {@code {0}} the user's DN
   * @param groupNameAttribute the group entry's attribute that names it (e.g. {@code cn})
   * @param groupRoles group name or DN (any case) to Wharf roles
   * @param defaultRoles roles every user of the directory gets
   * @param connectTimeout how long to wait for a connection (also for a free one of the pool)
   * @param responseTimeout how long to wait for each answer of the directory
   * @param poolSize the most connections open at once
   * @param cacheTtl how long a successful login is remembered; zero: not at all
   */
  public record Settings(List<URI> urls, boolean startTls, X509TrustManager trust, String bindDn, char[] bindPassword,
      String userBaseDn, String userFilter, String groupAttribute, String groupBaseDn, String groupFilter,
      String groupNameAttribute, Map<String, List<String>> groupRoles, List<String> defaultRoles,
      Duration connectTimeout, Duration responseTimeout, int poolSize, Duration cacheTtl) {
    /**
     * Copies the lists and the map.
     *
     * @param urls the directory's URLs, tried in order
     * @param startTls upgrade {@code ldap://} connections with StartTLS
     * @param trust whom TLS trusts; null: the JVM's default
     * @param bindDn the service account; null: anonymous
     * @param bindPassword the service account's password
     * @param userBaseDn where to search users
     * @param userFilter the user search's filter
     * @param groupAttribute the entry's attribute that lists its groups; null: none
     * @param groupBaseDn where to search groups; null: no group search
     * @param groupFilter the group search's filter
     * @param groupNameAttribute the group entry's attribute that names it
     * @param groupRoles group to Wharf roles
     * @param defaultRoles roles every user gets
     * @param connectTimeout how long to wait for a connection
     * @param responseTimeout how long to wait for each answer
     * @param poolSize the most connections open at once
     * @param cacheTtl how long a successful login is remembered
     */
    public Settings {
      urls = List.copyOf(urls);
      groupRoles = Map.copyOf(groupRoles);
      defaultRoles = List.copyOf(defaultRoles);
    }

    @Override
    public String toString() {
      return "Settings[urls=" + urls + ", bindDn=" + bindDn + ", userBaseDn=" + userBaseDn + "]"; // never the password
    }
  }

  private final Settings settings;
  private final LDAPConnectionPool pool;
  private final LoginCache cache;
  /** groupRoles with lower-case keys; DN keys normalised. */
  private final Map<String, List<String>> roleOf = new HashMap<>();

  /**
   * Opens the pool. A directory that is down now does not stop Wharf from starting: the pool
   * connects again on demand, and logins answer 503 until it is back.
   *
   * @param settings the directory and how to search it
   * @param clock the clock the login cache expires by
   * @throws GeneralSecurityException if the TLS context cannot be made
   * @throws LDAPException if the pool cannot be set up (not for a directory that is down)
   */
  public LdapSource(Settings settings, Clock clock) throws GeneralSecurityException, LDAPException {
    this.settings = Objects.requireNonNull(settings);
    this.cache = new LoginCache(settings.cacheTtl(), clock);
    settings.groupRoles().forEach((group, roles) -> roleOf.put(key(group), roles));
    LDAPConnectionOptions options = new LDAPConnectionOptions();
    options.setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, settings.connectTimeout().toMillis()));
    options.setResponseTimeoutMillis(settings.responseTimeout().toMillis());
    options.setSSLSocketVerifier(new HostNameSSLSocketVerifier(true)); // the certificate must name the host
    SSLUtil ssl = new SSLUtil(settings.trust() != null ? settings.trust() : JVMDefaultTrustManager.getInstance());
    SSLContext context = ssl.createSSLContext();
    List<ServerSet> servers = new ArrayList<>();
    for (URI u : settings.urls()) {
      boolean ldaps = u.getScheme().equalsIgnoreCase("ldaps");
      int port = u.getPort() > 0 ? u.getPort() : ldaps ? 636 : 389;
      servers.add(ldaps ? new SingleServerSet(u.getHost(), port, context.getSocketFactory(), options)
          : new SingleServerSet(u.getHost(), port, options));
    }
    ServerSet set = servers.size() == 1 ? servers.get(0) : new FailoverServerSet(servers);
    BindRequest bind = settings.bindDn() == null ? null
        : new SimpleBindRequest(settings.bindDn(), new String(settings.bindPassword()));
    PostConnectProcessor startTls = settings.startTls() ? new StartTLSPostConnectProcessor(context) : null;
    this.pool = new LDAPConnectionPool(set, bind, 1, settings.poolSize(), startTls, false);
    pool.setConnectionPoolName("wharf-ldap");
    pool.setRetryFailedOperationsDueToInvalidConnections(true); // a restarted directory: reconnect, not fail
    pool.setMaxWaitTimeMillis(settings.connectTimeout().toMillis());
    if (pool.getCurrentAvailableConnections() == 0) {
      LOG.warn("security: the LDAP directory {} cannot be reached now; its users get 503 until it can",
          settings.urls());
    }
  }

  @Override
  public Realm realm() {
    return Realm.LDAP;
  }

  @Override
  public Result authenticate(String name, char[] password) throws SourceUnavailableException {
    if (name.isEmpty()) {
      return UNKNOWN;
    }
    Optional<Identity> cached = cache.get(name, password);
    if (cached.isPresent()) {
      return new Accepted(cached.get());
    }
    SearchResultEntry entry;
    try {
      entry = findUser(name);
    } catch (AmbiguousName e) {
      return new Refused(e.getMessage());
    }
    if (entry == null) {
      return UNKNOWN;
    }
    if (lockedForGood(entry)) {
      return new Refused("account locked or disabled in the directory");
    }
    if (password.length == 0) {
      return new Refused("empty password"); // an LDAP bind without one is anonymous, and succeeds
    }
    try {
      pool.bindAndRevertAuthentication(new SimpleBindRequest(entry.getDN(), new String(password)));
    } catch (LDAPException e) {
      if (!e.getResultCode().isConnectionUsable()) {
        throw unavailable("binding as the user", e);
      }
      if (e.getResultCode() == ResultCode.INVALID_CREDENTIALS && entry.hasAttribute(PWD_LOCKED_TIME)) {
        return new Refused("account locked in the directory (" + PWD_LOCKED_TIME + ")");
      }
      return new Refused(e.getResultCode() == ResultCode.INVALID_CREDENTIALS ? "invalid username or password"
          : "the directory refused the bind: " + e.getResultCode());
    }
    Identity identity = identity(name, entry);
    cache.put(name, password, identity);
    return new Accepted(identity);
  }

  @Override
  public Optional<Identity> lookup(String name) throws SourceUnavailableException {
    try {
      SearchResultEntry entry = findUser(name);
      return entry == null || lockedForGood(entry) ? Optional.empty() : Optional.of(identity(name, entry));
    } catch (AmbiguousName e) {
      return Optional.empty();
    }
  }

  @Override
  public void close() {
    pool.close();
  }

  // ---------------------------------------------------------------- the directory

  private static final class AmbiguousName extends Exception {
    AmbiguousName(String message) {
      super(message);
    }
  }

  /** The one entry {@code userFilter} finds for {@code name}, or null. */
  private SearchResultEntry findUser(String name) throws SourceUnavailableException, AmbiguousName {
    List<String> attributes = new ArrayList<>(List.of(NS_ACCOUNT_LOCK, PWD_LOCKED_TIME));
    if (settings.groupAttribute() != null) {
      attributes.add(settings.groupAttribute());
    }
    SearchRequest search;
    try {
      search = new SearchRequest(settings.userBaseDn(), SearchScope.SUB, filter(settings.userFilter(), name),
          attributes.toArray(String[]::new));
    } catch (LDAPException e) {
      throw new IllegalStateException("security.ldap.userFilter: " + e.getMessage(), e); // checked at start
    }
    search.setSizeLimit(2);
    try {
      SearchResult r = pool.search(search);
      return r.getEntryCount() == 0 ? null : r.getSearchEntries().get(0);
    } catch (LDAPSearchException e) {
      if (e.getResultCode() == ResultCode.SIZE_LIMIT_EXCEEDED) {
        throw new AmbiguousName("userFilter matches more than one entry for this name");
      }
      if (e.getResultCode() == ResultCode.NO_SUCH_OBJECT) {
        throw unavailable("searching userBaseDn " + settings.userBaseDn() + " (it does not exist)", e);
      }
      throw unavailable("searching the user", e);
    }
  }

  private static boolean lockedForGood(SearchResultEntry entry) {
    return "true".equalsIgnoreCase(entry.getAttributeValue(NS_ACCOUNT_LOCK))
        || LOCKED_FOR_GOOD.equals(entry.getAttributeValue(PWD_LOCKED_TIME));
  }

  private Identity identity(String name, SearchResultEntry entry) throws SourceUnavailableException {
    Set<String> roles = new LinkedHashSet<>(settings.defaultRoles());
    if (settings.groupAttribute() != null) {
      for (String dn : entry.getAttributeValues(settings.groupAttribute()) == null ? new String[0]
          : entry.getAttributeValues(settings.groupAttribute())) {
        roles.addAll(rolesOf(dn, firstRdnValue(dn)));
      }
    }
    if (settings.groupBaseDn() != null) {
      try {
        SearchResult groups = pool.search(new SearchRequest(settings.groupBaseDn(), SearchScope.SUB,
            filter(settings.groupFilter(), entry.getDN()), settings.groupNameAttribute()));
        for (SearchResultEntry g : groups.getSearchEntries()) {
          String[] names = g.getAttributeValues(settings.groupNameAttribute());
          roles.addAll(rolesOf(g.getDN(), names == null || names.length == 0 ? firstRdnValue(g.getDN()) : names[0]));
        }
      } catch (LDAPException e) {
        throw unavailable("searching the user's groups", e);
      }
    }
    return new Identity(name, Realm.LDAP, List.copyOf(roles));
  }

  private List<String> rolesOf(String dn, String groupName) {
    List<String> out = new ArrayList<>(roleOf.getOrDefault(key(dn), List.of()));
    if (groupName != null) {
      out.addAll(roleOf.getOrDefault(groupName.toLowerCase(Locale.ROOT), List.of()));
    }
    return out;
  }

  /** A group name or DN as {@code groupRoles} keys it: DNs normalised, everything lower case. */
  private static String key(String groupOrDn) {
    if (groupOrDn.contains("=")) {
      try {
        return new DN(groupOrDn).toNormalizedString();
      } catch (LDAPException e) {
        // not a DN after all: a name with '=' in it
      }
    }
    return groupOrDn.toLowerCase(Locale.ROOT);
  }

  private static String firstRdnValue(String dn) {
    try {
      String[] values = new DN(dn).getRDN().getAttributeValues();
      return values.length == 0 ? null : values[0];
    } catch (LDAPException | NullPointerException e) {
      return null;
    }
  }

  /**
   * {@code pattern} with {@code {0}} replaced by {@code value}, escaped as a filter value.
   *
   * @param pattern a filter with {@code {0}}
   * @param value the value, e.g. a user name; escaped, so it cannot change the filter
   * @return the filter
   * @throws LDAPException if {@code pattern} is no valid filter
   */
  public static Filter filter(String pattern, String value) throws LDAPException {
    return Filter.create(pattern.replace("{0}", Filter.encodeValue(value)));
  }

  /** The client hears the result code; the log also gets the directory's own words (host names, causes). */
  private SourceUnavailableException unavailable(String doing, LDAPException e) {
    LOG.warn("security: LDAP {} failed: {}", doing, e.getExceptionMessage());
    return new SourceUnavailableException(doing + " failed: " + e.getResultCode(), e);
  }
}
