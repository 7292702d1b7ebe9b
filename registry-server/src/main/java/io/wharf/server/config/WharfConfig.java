package io.wharf.server.config;

import com.fasterxml.jackson.annotation.JsonFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The server's configuration file, as read from YAML. Every key is documented in the README's
 * "Configuration" section and the guides in {@code docs/} ({@code operations.md} for maintenance and
 * lifecycle, {@code security.md}, {@code sync.md} for pull and push rules, {@code events.md});
 * an unknown key is an error that names it. {@link ConfigLoader} reads
 * and validates it; absent values mean "the default" and are filled in by {@link #withDefaults()}.
 *
 * <pre>
 * server: {bind: 127.0.0.1, port: 5000}
 * blobStores:
 *   default: {type: file, path: ./wharf-data}
 * http:                     # outbound, for proxy repositories
 *   proxy: {host: 10.0.0.5, port: 8118}
 *   nonProxyHosts: ["*.lan"]
 * repositories:
 *   - {name: docker-hosted, type: hosted, writePolicy: allow}
 *   - {name: docker-hub, type: proxy, remoteUrl: https://registry-1.docker.io, index: hub}
 * </pre>
 */
public record WharfConfig(Server server, Map<String, BlobStore> blobStores, Outbound http, List<Repository> repositories,
    Security security, Management management, Events events, List<SyncConfig.Credential> credentials) {
  /** The address the main listener binds to by default: loopback only. */
  public static final String DEFAULT_BIND = "127.0.0.1";
  /** The main listener's default port, the registry's customary one. */
  public static final int DEFAULT_PORT = 5000;
  /** The name of the blob store used when a configuration names none. */
  public static final String DEFAULT_STORE = "default";
  /** The directory of the default file blob store, relative to the working directory. */
  public static final String DEFAULT_DATA = "./wharf-data";
  /** The name of the hosted repository a configuration without repositories gets. */
  public static final String DEFAULT_REPOSITORY = "hosted";

  /**
   * A configuration without a {@code security:} section: anonymous pull and push, as the quick start.
   *
   * @param server the {@code server:} section, or null
   * @param blobStores the {@code blobStores:} section, or null
   * @param http the {@code http:} section, or null
   * @param repositories the {@code repositories:} section, or null
   */
  public WharfConfig(Server server, Map<String, BlobStore> blobStores, Outbound http, List<Repository> repositories) {
    this(server, blobStores, http, repositories, null);
  }

  /**
   * A configuration without a {@code management:} section: its defaults.
   *
   * @param server the {@code server:} section, or null
   * @param blobStores the {@code blobStores:} section, or null
   * @param http the {@code http:} section, or null
   * @param repositories the {@code repositories:} section, or null
   * @param security the {@code security:} section, or null
   */
  public WharfConfig(Server server, Map<String, BlobStore> blobStores, Outbound http, List<Repository> repositories,
      Security security) {
    this(server, blobStores, http, repositories, security, null);
  }

  /**
   * A configuration without an {@code events:} section: no webhooks.
   *
   * @param server the {@code server:} section, or null
   * @param blobStores the {@code blobStores:} section, or null
   * @param http the {@code http:} section, or null
   * @param repositories the {@code repositories:} section, or null
   * @param security the {@code security:} section, or null
   * @param management the {@code management:} section, or null
   */
  public WharfConfig(Server server, Map<String, BlobStore> blobStores, Outbound http, List<Repository> repositories,
      Security security, Management management) {
    this(server, blobStores, http, repositories, security, management, null);
  }

  /**
   * A configuration without a top-level {@code credentials:} section: rules find their credentials
   * in the deprecated {@code security.credentials} only.
   *
   * @param server the {@code server:} section, or null
   * @param blobStores the {@code blobStores:} section, or null
   * @param http the {@code http:} section, or null
   * @param repositories the {@code repositories:} section, or null
   * @param security the {@code security:} section, or null
   * @param management the {@code management:} section, or null
   * @param events the {@code events:} section, or null
   */
  public WharfConfig(Server server, Map<String, BlobStore> blobStores, Outbound http, List<Repository> repositories,
      Security security, Management management, Events events) {
    this(server, blobStores, http, repositories, security, management, events, null);
  }

  /**
   * {@code events:} webhook endpoints that receive the registry's events (see
   * {@code io.wharf.server.events}); {@code maxPending} bounds each endpoint's queue.
   */
  public record Events(List<EventEndpoint> endpoints, Integer maxPending, Audit audit) {
    Events withDefaults() {
      Audit a = audit == null ? new Audit(null, null, null) : audit;
      return new Events(endpoints == null ? List.of() : endpoints, maxPending,
          new Audit(a.enabled() == null ? Boolean.TRUE : a.enabled(), a.keep() == null ? Audit.DEFAULT_KEEP : a.keep(),
              a.pulls() == null ? Boolean.FALSE : a.pulls()));
    }
  }

  /**
   * {@code events.audit:} the audit trail of every push, delete and mount (and pull, if
   * {@code pulls}), kept in the first blob store for {@code keep} (default 30d) and queryable at
   * {@code /wharf/api/v1/events}; on unless {@code enabled: false}.
   */
  public record Audit(Boolean enabled, String keep, Boolean pulls) {
    /** How long the audit trail is kept when {@code keep} is not set. */
    public static final String DEFAULT_KEEP = "30d";
  }

  /**
   * {@code events.endpoints[]:} one receiver. {@code format}: {@code distribution} (default) or
   * {@code cloudevents}; {@code repositories}: names or globs; {@code actions}: push, pull,
   * delete, mount (default all but pull); {@code mediaTypes}: manifest media types;
   * {@code timeout} per attempt (5s), {@code backoff} first retry wait (1s) doubling to
   * {@code maxBackoff} (5m), {@code maxAge} before an undelivered event goes to the dead letters (24h).
   */
  public record EventEndpoint(String name, String url, Map<String, String> headers, String secret,
      List<String> repositories, List<String> actions, List<String> mediaTypes, String format, String timeout,
      String backoff, String maxBackoff, String maxAge) {
    /** Hides the secret and the header values (credentials) from logs and error messages. */
    @Override
    public String toString() {
      return "EventEndpoint[" + name + " -> " + url + "]";
    }
  }

  /**
   * {@code management:} the management plane's own endpoints on the main port (the REST API under
   * {@code /service/rest} and the health probes under {@code /health} are always there).
   */
  public record Management(Metrics metrics, Ui ui) {
    /**
     * Metrics settings and the web UI's defaults.
     *
     * @param metrics the {@code metrics:} settings, or null
     */
    public Management(Metrics metrics) {
      this(metrics, null);
    }

    Management withDefaults() {
      Metrics m = metrics == null ? new Metrics(null, null) : metrics;
      Ui u = ui == null ? new Ui(null, null) : ui;
      return new Management(new Metrics(m.enabled() == null ? Boolean.TRUE : m.enabled(),
          m.path() == null ? Metrics.DEFAULT_PATH : m.path()),
          new Ui(u.enabled() == null ? Boolean.TRUE : u.enabled(), u.path() == null ? Ui.DEFAULT_PATH : u.path()));
    }
  }

  /**
   * {@code management.ui:} the web UI: on ({@code enabled}, default true) at {@code path} (default
   * {@value #DEFAULT_PATH}) of every listener; a browser asking for {@code /} is sent there.
   */
  public record Ui(Boolean enabled, String path) {
    /** Where the UI is when {@code path} is not set. */
    public static final String DEFAULT_PATH = "/ui";
  }

  /**
   * {@code management.metrics:} Prometheus metrics: on ({@code enabled}, default true) at
   * {@code path} (default {@value #DEFAULT_PATH}), without authentication, as Prometheus scrapes.
   */
  public record Metrics(Boolean enabled, String path) {
    /** Where the metrics are when {@code path} is not set. */
    public static final String DEFAULT_PATH = "/metrics";
  }

  /**
   * {@code server:} the main listener. {@code defaultRepository} answers main-port requests that
   * no host name or path claims (default: the first repository).
   *
   * @param trustedProxies addresses and CIDR ranges ({@code 10.0.0.0/8}, {@code ::1}) of the reverse
   *     proxies whose {@code Forwarded} and {@code X-Forwarded-*} headers are believed; from any
   *     other peer they are ignored (default: none)
   * @param idleTimeout a connection on which no byte moves either way for this long is closed
   * @param headerTimeout how long a request's line and headers may take, however slowly they
   *     trickle (a new connection's from its opening); never cut before this, always by twice it
   * @param maxConnections open connections per listener; more wait in the accept queue
   */
  public record Server(String bind, Integer port, String publicUrl, Boolean accessLog, String shutdownTimeout,
      String defaultRepository, Tls tls, List<String> trustedProxies, String idleTimeout, String headerTimeout,
      Integer maxConnections) {
    /** The {@code idleTimeout} when none is set. */
    public static final String DEFAULT_IDLE_TIMEOUT = "5m";
    /** The {@code headerTimeout} when none is set. */
    public static final String DEFAULT_HEADER_TIMEOUT = "30s";
    /** The {@code maxConnections} when none is set. */
    public static final int DEFAULT_MAX_CONNECTIONS = 1000;

    /**
     * A {@code server:} section without trusted proxies or connection limits: their defaults.
     *
     * @param bind the address to listen on
     * @param port the port
     * @param publicUrl the URL clients reach the main port by, or null
     * @param accessLog whether requests are logged
     * @param shutdownTimeout how long a graceful stop may take
     * @param defaultRepository the repository that answers main-port requests no host or path claims
     * @param tls the main listener's HTTPS, or null for plain HTTP
     */
    public Server(String bind, Integer port, String publicUrl, Boolean accessLog, String shutdownTimeout,
        String defaultRepository, Tls tls) {
      this(bind, port, publicUrl, accessLog, shutdownTimeout, defaultRepository, tls, null, null, null, null);
    }

    /**
     * A {@code server:} section over plain HTTP, without trusted proxies or connection limits.
     *
     * @param bind the address to listen on
     * @param port the port
     * @param publicUrl the URL clients reach the main port by, or null
     * @param accessLog whether requests are logged
     * @param shutdownTimeout how long a graceful stop may take
     * @param defaultRepository the repository that answers main-port requests no host or path claims
     */
    public Server(String bind, Integer port, String publicUrl, Boolean accessLog, String shutdownTimeout,
        String defaultRepository) {
      this(bind, port, publicUrl, accessLog, shutdownTimeout, defaultRepository, null);
    }

    /** A copy listening on {@code bind} and {@code port}. */
    Server at(String bind, Integer port) {
      return new Server(bind, port, publicUrl, accessLog, shutdownTimeout, defaultRepository, tls, trustedProxies,
          idleTimeout, headerTimeout, maxConnections);
    }
  }

  /**
   * {@code repositories[].http:} a repository's own listener, Nexus's "HTTP connector". Its
   * {@code tls} overrides {@code server.tls}, which applies to every listener; its
   * {@code maxConnections} overrides {@code server.maxConnections}.
   */
  public record Listener(Integer port, Tls tls, Integer maxConnections) {
    /**
     * A plain HTTP listener on {@code port}.
     *
     * @param port the repository's own port
     */
    public Listener(Integer port) {
      this(port, null, null);
    }

    /**
     * A listener on {@code port}, with the server's connection limit.
     *
     * @param port the repository's own port
     * @param tls its HTTPS, or null for {@code server.tls}
     */
    public Listener(Integer port, Tls tls) {
      this(port, tls, null);
    }
  }

  /**
   * {@code server.tls:} or {@code repositories[].http.tls:} HTTPS, from a PEM {@code certificate}
   * chain and an unencrypted PEM {@code key}, or from a {@code pkcs12} file and its {@code password}.
   */
  public record Tls(String certificate, String key, String pkcs12, String password) {
    @Override
    public String toString() {
      return "Tls[certificate=" + certificate + ", key=" + key + ", pkcs12=" + pkcs12 + "]"; // never the password
    }
  }

  /**
   * {@code security:} users, roles and login. Without this section the server is open (anonymous
   * pull and push, the loopback quick start); with it, every request is checked.
   *
   * @param realms {@code docker-token} (bearer tokens from {@code /v2/token}) and/or {@code basic}
   *     (Basic credentials on every request); the first of these decides the challenge; {@code ldap}
   *     adds the directory's users, asked before or after the local users as it stands to {@code basic}
   * @param anonymous the global switch for anonymous pull; a repository still needs {@code anonymousPull}
   * @param htpasswd bcrypt htpasswd files (as CNCF distribution reads them), re-read when they change
   * @param htpasswdRoles the roles of htpasswd users that {@code users} does not list
   * @param ldap the company directory, the realm {@code ldap} (see {@link Ldap})
   * @param externalToken bearer tokens of an existing token server, accepted on {@code /v2} (see {@link ExternalToken})
   * @param credentials deprecated: named outbound credentials for sync rules, read as the top-level
   *     {@code credentials:} are ({@link SyncConfig#credentials}); never shown
   */
  public record Security(
      List<String> realms,
      Boolean anonymous,
      List<User> users,
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> htpasswd,
      List<String> htpasswdRoles,
      List<Role> roles,
      Token token,
      Throttle throttle,
      Ldap ldap,
      Robots robots,
      Oidc oidc,
      ExternalToken externalToken,
      List<SyncConfig.Credential> credentials) {
    /** The realm of bearer tokens from {@code /v2/token}. */
    public static final String DOCKER_TOKEN = "docker-token";
    /** The realm of Basic credentials on every request. */
    public static final String BASIC = "basic";

    /**
     * Without an external token server, and no {@code credentials}.
     *
     * @param realms the realms, in order (default docker-token, basic)
     * @param anonymous the global switch for anonymous pull
     * @param users the users of the file
     * @param htpasswd bcrypt htpasswd files
     * @param htpasswdRoles the roles of htpasswd users that {@code users} does not list
     * @param roles the roles
     * @param token the token service ({@code security.token})
     * @param throttle the login throttle
     * @param ldap the company directory, or null
     * @param robots the rules for robot accounts and API tokens
     * @param oidc the web UI's single sign-on, or null
     */
    public Security(List<String> realms, Boolean anonymous, List<User> users, List<String> htpasswd,
        List<String> htpasswdRoles, List<Role> roles, Token token, Throttle throttle, Ldap ldap, Robots robots,
        Oidc oidc) {
      this(realms, anonymous, users, htpasswd, htpasswdRoles, roles, token, throttle, ldap, robots, oidc, null, null);
    }

    /**
     * Without {@code credentials}: none.
     *
     * @param realms the realms, in order (default docker-token, basic)
     * @param anonymous the global switch for anonymous pull
     * @param users the users of the file
     * @param htpasswd bcrypt htpasswd files
     * @param htpasswdRoles the roles of htpasswd users that {@code users} does not list
     * @param roles the roles
     * @param token the token service ({@code security.token})
     * @param throttle the login throttle
     * @param ldap the company directory, or null
     * @param robots the rules for robot accounts and API tokens
     * @param oidc the web UI's single sign-on, or null
     * @param externalToken an external token server, or null
     */
    public Security(List<String> realms, Boolean anonymous, List<User> users, List<String> htpasswd,
        List<String> htpasswdRoles, List<Role> roles, Token token, Throttle throttle, Ldap ldap, Robots robots,
        Oidc oidc, ExternalToken externalToken) {
      this(realms, anonymous, users, htpasswd, htpasswdRoles, roles, token, throttle, ldap, robots, oidc,
          externalToken, null);
    }

    Security withDefaults() {
      Token t = token == null ? new Token(null, null, null, null, null, null) : token;
      Robots ro = robots == null ? new Robots(null, null) : robots;
      Throttle th = throttle == null ? new Throttle(null, null, null) : throttle;
      return new Security(
          realms == null ? List.of(DOCKER_TOKEN, BASIC) : realms,
          anonymous == null ? Boolean.TRUE : anonymous,
          users == null ? List.of() : users,
          htpasswd == null ? List.of() : htpasswd,
          htpasswdRoles == null ? List.of() : htpasswdRoles,
          roles == null ? List.of() : roles,
          new Token(t.issuer() == null ? "wharf" : t.issuer(), t.service() == null ? "wharf" : t.service(),
              t.expiry() == null ? "5m" : t.expiry(), t.refreshExpiry() == null ? "7d" : t.refreshExpiry(),
              t.signingKey(), t.rotateEvery() == null ? "30d" : t.rotateEvery()),
          new Throttle(th.maxFailures() == null ? 10 : th.maxFailures(), th.window() == null ? "5m" : th.window(),
              th.lockout() == null ? "5m" : th.lockout()),
          ldap == null ? null : ldap.withDefaults(),
          new Robots(ro.allowNeverExpire() == null ? Boolean.FALSE : ro.allowNeverExpire(),
              ro.defaultExpiry() == null ? "30d" : ro.defaultExpiry()),
          oidc,
          externalToken,
          credentials == null ? List.of() : credentials);
    }
  }

  /**
   * {@code security.externalToken:} an existing token server whose bearer tokens {@code /v2}
   * accepts, as CNCF distribution's {@code auth.token} configures one; challenges then send
   * clients to it. See {@link io.wharf.server.auth.ExternalTokens}.
   *
   * @param realm the token server's URL, the {@code realm} of challenges
   * @param service the {@code service} of challenges; tokens must name it as their audience
   * @param issuer the tokens' {@code iss}; must differ from {@code security.token.issuer}
   * @param rootCertBundle PEM certificates: tokens are signed by one of their keys, or carry an
   *     {@code x5c} chain that leads to one (distribution's {@code rootcertbundle})
   * @param jwks the URL of the token server's JWKS document (instead of {@code rootCertBundle})
   */
  public record ExternalToken(String realm, String service, String issuer, String rootCertBundle, String jwks) {}

  /**
   * {@code security.ldap:} users of a company directory, the realm {@code ldap} (list it in
   * {@code security.realms}; where it stands against {@code basic}, the local users, decides
   * which is asked first). See {@link io.wharf.server.auth.ldap.LdapSource}.
   *
   * @param urls {@code ldap://} or {@code ldaps://} URLs, tried in order
   * @param trustStore the CAs TLS trusts: PEM certificates, or a PKCS#12 or JKS store (with
   *     {@code trustStorePassword}); default the JVM's
   * @param userFilter {@code {0}} is the login name; default {@code (<nameAttribute>={0})}
   * @param groupAttribute the user entry's attribute listing its groups' DNs ({@code memberOf})
   * @param groupBaseDn where to search the groups whose {@code groupFilter} ({@code {0}}: the
   *     user's DN, default {@code (member={0})}) matches; their {@code groupNameAttribute}
   *     (default {@code cn}) is the group's name
   * @param groupRoles group name or DN to Wharf roles
   * @param defaultRoles roles every directory user gets
   * @param cacheTtl how long a successful login is remembered without asking the directory (0: never)
   */
  public record Ldap(
      @JsonFormat(with = JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY) List<String> urls,
      Boolean startTls,
      String trustStore,
      String trustStorePassword,
      String bindDn,
      String bindPassword,
      String userBaseDn,
      String nameAttribute,
      String userFilter,
      String groupAttribute,
      String groupBaseDn,
      String groupFilter,
      String groupNameAttribute,
      Map<String, List<String>> groupRoles,
      List<String> defaultRoles,
      String connectTimeout,
      String responseTimeout,
      Integer poolSize,
      String cacheTtl) {
    Ldap withDefaults() {
      String name = nameAttribute == null ? "uid" : nameAttribute;
      return new Ldap(urls == null ? List.of() : urls, startTls != null && startTls, trustStore, trustStorePassword,
          bindDn, bindPassword, userBaseDn, name, userFilter == null ? "(" + name + "={0})" : userFilter,
          groupAttribute, groupBaseDn, groupFilter == null ? "(member={0})" : groupFilter,
          groupNameAttribute == null ? "cn" : groupNameAttribute, groupRoles == null ? Map.of() : groupRoles,
          defaultRoles == null ? List.of() : defaultRoles, connectTimeout == null ? "5s" : connectTimeout,
          responseTimeout == null ? "10s" : responseTimeout, poolSize == null ? 8 : poolSize,
          cacheTtl == null ? "5m" : cacheTtl);
    }

    @Override
    public String toString() {
      return "Ldap[urls=" + urls + ", bindDn=" + bindDn + ", userBaseDn=" + userBaseDn + "]"; // never a password
    }
  }

  /**
   * {@code security.users[]:} a user. Without {@code passwordHash} the password comes from the
   * {@code htpasswd} files (the entry then only gives an htpasswd user its roles).
   */
  public record User(String name, String passwordHash, List<String> roles) {
    @Override
    public String toString() {
      return "User[name=" + name + ", roles=" + roles + "]";
    }
  }

  /** {@code security.roles[]:} privileges such as {@code docker-hosted:write} or {@code *:read}. */
  public record Role(String name, List<String> privileges) {}

  /**
   * {@code security.token:} the bearer tokens of the {@code docker-token} realm. With
   * {@code signingKey} (a PEM file: EC P-256 for ES256, or RSA for RS256) that key signs, always.
   * Without, the keys are generated and kept in the first blob store, shared by every node on
   * it, and a new key signs every {@code rotateEvery} (the old ones verify until their tokens
   * expire; see {@code io.wharf.server.auth.TokenKeys}).
   */
  public record Token(String issuer, String service, String expiry, String refreshExpiry, String signingKey,
      String rotateEvery) {}

  /**
   * {@code security.robots:} robot accounts and personal API tokens: they expire after
   * {@code defaultExpiry} unless made with another expiry; "never" only with
   * {@code allowNeverExpire}.
   */
  public record Robots(Boolean allowNeverExpire, String defaultExpiry) {}

  /**
   * {@code security.oidc:} single sign-on to the web UI with an OpenID Connect provider (the
   * authorization code flow with PKCE). See {@link io.wharf.server.auth.oidc.OidcLogin}.
   *
   * @param issuer the provider's issuer URL (its discovery document is below it)
   * @param clientId this registry's client at the provider
   * @param clientSecret null for a public client
   * @param redirectUri the callback registered at the provider; default
   *     {@code <the URL the browser used>/ui/login/sso/callback}
   * @param label the sign-in button's text; default "Sign in with single sign-on"
   * @param scopes default openid, profile, email
   * @param usernameClaim default {@code preferred_username}
   * @param groupsClaim default {@code groups}
   * @param groupRoles provider group to Wharf roles
   * @param defaultRoles roles everyone signed in this way gets
   */
  public record Oidc(
      String issuer,
      String clientId,
      String clientSecret,
      String redirectUri,
      String label,
      List<String> scopes,
      String usernameClaim,
      String groupsClaim,
      Map<String, List<String>> groupRoles,
      List<String> defaultRoles) {
    @Override
    public String toString() {
      return "Oidc[issuer=" + issuer + ", clientId=" + clientId + "]"; // never the secret
    }
  }

  /** {@code security.throttle:} after {@code maxFailures} failed logins within {@code window}, 429 for {@code lockout}. */
  public record Throttle(Integer maxFailures, String window, String lockout) {}

  /**
   * {@code blobStores.<name>:} where bytes live. {@code type}: {@code file} (default, with
   * {@code path}), {@code memory}, or {@code s3} (with {@code bucket} and the other S3 keys;
   * without {@code accessKey} the AWS SDK's default credentials chain is used).
   *
   * @param minFree free space that uploads must leave on a {@code file} store (or a {@code memory}
   *     store with {@code maxSize}), so that manifests, tags, deletes and garbage collection still
   *     work when it is nearly full: a size, {@code 0} for none; default the smaller of 1 GiB and
   *     5 % of the disk (see {@code io.wharf.core.storage.StoreSpace})
   * @param maxSize a {@code memory} store's size limit (default none): it fills up like a disk
   */
  public record BlobStore(
      String type,
      String path,
      String bucket,
      String prefix,
      String region,
      String endpoint,
      Boolean pathStyle,
      String accessKey,
      String secretKey,
      String storageClass,
      String encryption,
      String kmsKeyId,
      Boolean redirect,
      String redirectExpiry,
      String partSize,
      Maintenance maintenance,
      String minFree,
      String maxSize) {

    /**
     * A blob store without maintenance or space settings.
     *
     * @param type {@code file}, {@code memory} or {@code s3}
     * @param path a file store's directory
     * @param bucket an S3 store's bucket
     * @param prefix the key prefix within the bucket
     * @param region the bucket's region
     * @param endpoint an S3-compatible endpoint, or null for AWS
     * @param pathStyle path-style bucket addressing (MinIO and the like)
     * @param accessKey the access key, or null for the SDK's credentials chain
     * @param secretKey the secret key
     * @param storageClass the objects' storage class
     * @param encryption server-side encryption: {@code none}, {@code aes256} or {@code kms}
     * @param kmsKeyId the KMS key of {@code kms} encryption
     * @param redirect whether blob GETs answer with a 307 to a presigned URL
     * @param redirectExpiry how long a presigned URL lives
     * @param partSize the multipart upload part size
     */
    public BlobStore(String type, String path, String bucket, String prefix, String region, String endpoint,
        Boolean pathStyle, String accessKey, String secretKey, String storageClass, String encryption,
        String kmsKeyId, Boolean redirect, String redirectExpiry, String partSize) {
      this(type, path, bucket, prefix, region, endpoint, pathStyle, accessKey, secretKey, storageClass, encryption,
          kmsKeyId, redirect, redirectExpiry, partSize, null);
    }

    /**
     * A blob store without space settings.
     *
     * @param type {@code file}, {@code memory} or {@code s3}
     * @param path a file store's directory
     * @param bucket an S3 store's bucket
     * @param prefix the key prefix within the bucket
     * @param region the bucket's region
     * @param endpoint an S3-compatible endpoint, or null for AWS
     * @param pathStyle path-style bucket addressing (MinIO and the like)
     * @param accessKey the access key, or null for the SDK's credentials chain
     * @param secretKey the secret key
     * @param storageClass the objects' storage class
     * @param encryption server-side encryption: {@code none}, {@code aes256} or {@code kms}
     * @param kmsKeyId the KMS key of {@code kms} encryption
     * @param redirect whether blob GETs answer with a 307 to a presigned URL
     * @param redirectExpiry how long a presigned URL lives
     * @param partSize the multipart upload part size
     * @param maintenance its maintenance job, or null
     */
    public BlobStore(String type, String path, String bucket, String prefix, String region, String endpoint,
        Boolean pathStyle, String accessKey, String secretKey, String storageClass, String encryption,
        String kmsKeyId, Boolean redirect, String redirectExpiry, String partSize, Maintenance maintenance) {
      this(type, path, bucket, prefix, region, endpoint, pathStyle, accessKey, secretKey, storageClass, encryption,
          kmsKeyId, redirect, redirectExpiry, partSize, maintenance, null, null);
    }

    /**
     * A file blob store in {@code path}.
     *
     * @param path the directory
     * @return the blob store
     */
    public static BlobStore file(String path) {
      return new BlobStore("file", path, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * A blob store in memory, without a size limit: gone when the process ends.
     *
     * @return the blob store
     */
    public static BlobStore memory() {
      return new BlobStore("memory", null, null, null, null, null, null, null, null, null, null, null, null, null, null);
    }

    /**
     * A copy with a {@code maintenance:} section.
     *
     * @param m the maintenance section
     * @return the copy
     */
    public BlobStore withMaintenance(Maintenance m) {
      return new BlobStore(type, path, bucket, prefix, region, endpoint, pathStyle, accessKey, secretKey,
          storageClass, encryption, kmsKeyId, redirect, redirectExpiry, partSize, m, minFree, maxSize);
    }

    /**
     * A copy with a reserve of free space ({@code minFree}) and, for a memory store, a size limit.
     *
     * @param minFree the free space uploads must leave
     * @param maxSize a memory store's size limit
     * @return the copy
     */
    public BlobStore withSpace(String minFree, String maxSize) {
      return new BlobStore(type, path, bucket, prefix, region, endpoint, pathStyle, accessKey, secretKey,
          storageClass, encryption, kmsKeyId, redirect, redirectExpiry, partSize, maintenance, minFree, maxSize);
    }

    BlobStore withDefaults() {
      return new BlobStore(type == null ? "file" : type, path, bucket, prefix, region, endpoint, pathStyle, accessKey,
          secretKey, storageClass, encryption, kmsKeyId, redirect, redirectExpiry, partSize,
          maintenance == null ? null : maintenance.withDefaults(), minFree, maxSize);
    }

    @Override
    public String toString() {
      return "BlobStore[type=" + type + ", path=" + path + ", bucket=" + bucket + "]"; // never the secret key
    }
  }

  /**
   * {@code blobStores.<name>.maintenance:} the store's maintenance job: the cleanup policies of
   * its hosted repositories, the cache limits of its proxies, then garbage collection and the
   * purge of stale uploads, one run at a time across all nodes. Without {@code schedule} the job
   * only runs on demand ({@code wharf gc}, {@code POST /wharf/api/v1/maintenance/<store>}).
   *
   * @param schedule cron in UTC ({@code "0 3 * * *"}), {@code @daily}, or {@code "every 6h"}
   * @param gc run garbage collection after the policies (default true)
   * @param grace blobs written or linked more recently than this are kept (links: at least the last
   *     10 s, see {@code GarbageCollector}) (default 1h)
   * @param deleteUntagged also remove manifests no tag reaches (default false)
   * @param purgeUploads incomplete uploads idle this long are removed (default 24h; {@code off} keeps them)
   * @param dryRun scheduled runs only report (default false)
   * @param tagHistory how long the manifests a tag pointed at stay restorable: tag history keeps
   *     them (and their blobs) from garbage collection for this long (default 14d)
   */
  public record Maintenance(String schedule, Boolean gc, String grace, Boolean deleteUntagged, String purgeUploads,
      Boolean dryRun, String tagHistory) {
    /** How long tag history keeps manifests when {@code tagHistory} is not set. */
    public static final String DEFAULT_TAG_HISTORY = "14d";

    /**
     * Without {@code tagHistory}: its default.
     *
     * @param schedule when the job runs; null: on demand only
     * @param gc whether garbage collection runs after the policies
     * @param grace how recent blobs are kept
     * @param deleteUntagged whether manifests no tag reaches are removed
     * @param purgeUploads how long incomplete uploads may idle
     * @param dryRun whether scheduled runs only report
     */
    public Maintenance(String schedule, Boolean gc, String grace, Boolean deleteUntagged, String purgeUploads,
        Boolean dryRun) {
      this(schedule, gc, grace, deleteUntagged, purgeUploads, dryRun, null);
    }

    Maintenance withDefaults() {
      return new Maintenance(schedule, gc == null ? Boolean.TRUE : gc, grace == null ? "1h" : grace,
          deleteUntagged == null ? Boolean.FALSE : deleteUntagged, purgeUploads == null ? "24h" : purgeUploads,
          dryRun == null ? Boolean.FALSE : dryRun, tagHistory == null ? DEFAULT_TAG_HISTORY : tagHistory);
    }
  }

  /**
   * {@code repositories[].cleanup:} which tags of a hosted repository its store's maintenance
   * deletes. A tag goes when it matches {@code include} (default: every tag) and not
   * {@code exclude}, is not among the {@code keepLatest} newest of its image, and every age set
   * holds: last pushed more than {@code olderThan} ago, not pulled for {@code notPulledFor}.
   */
  public record Cleanup(Integer keepLatest, String olderThan, String notPulledFor, String include, String exclude) {}

  /**
   * {@code repositories[].quota:} a hosted repository's storage limit ({@code 10GiB}): a push
   * past {@code hard} is refused with {@code DENIED}; past {@code soft} it is accepted with a
   * warning.
   */
  public record Quota(String hard, String soft) {}

  /**
   * {@code repositories[].cache:} a proxy repository's cache limits: at most {@code maxSize}
   * (least recently used images are evicted first) and nothing unused for longer than
   * {@code maxUnusedAge}. Applied by the blob store's maintenance job.
   */
  public record Cache(String maxSize, String maxUnusedAge) {}

  /** An HTTP proxy for outbound traffic. */
  public record ProxyServer(String host, Integer port, String username, String password) {}

  /**
   * Outbound HTTP settings of proxy repositories: {@code http:} for all of them, {@code outbound:}
   * on one repository to override single keys.
   */
  public record Outbound(
      ProxyServer proxy,
      ProxyServer httpsProxy,
      List<String> nonProxyHosts,
      String connectTimeout,
      String timeout,
      Integer retries,
      String userAgent,
      AutoBlock autoBlock) {

    static final Outbound DEFAULTS = new Outbound(null, null, List.of(), "10s", "60s", 2, "wharf",
        new AutoBlock(3, "10s", "10m"));

    /**
     * {@code this} with absent keys taken from {@code base}.
     *
     * @param base the settings under these (the {@code http:} section, or the defaults)
     * @return the merged settings
     */
    public Outbound over(Outbound base) {
      return new Outbound(
          proxy != null ? proxy : base.proxy,
          httpsProxy != null ? httpsProxy : base.httpsProxy,
          nonProxyHosts != null ? nonProxyHosts : base.nonProxyHosts,
          connectTimeout != null ? connectTimeout : base.connectTimeout,
          timeout != null ? timeout : base.timeout,
          retries != null ? retries : base.retries,
          userAgent != null ? userAgent : base.userAgent,
          autoBlock == null ? base.autoBlock : base.autoBlock == null ? autoBlock : autoBlock.over(base.autoBlock));
    }
  }

  /**
   * {@code autoBlock:} an upstream is no longer called after {@code after} consecutive outages
   * (0: never), for {@code initial}, doubling on each renewed failure up to {@code max}.
   */
  public record AutoBlock(Integer after, String initial, String max) {
    /** {@code this} with absent keys taken from {@code base}. */
    AutoBlock over(AutoBlock base) {
      return new AutoBlock(after != null ? after : base.after, initial != null ? initial : base.initial,
          max != null ? max : base.max);
    }
  }

  /**
   * {@code repositories[]:} one repository. {@code type}: {@code hosted}, {@code proxy} or
   * {@code group}. Every type: {@code http} (own port), {@code hosts}, {@code anonymousPull}, {@code realms}
   * (overrides {@code security.realms} for this repository).
   * Hosted keys: {@code writePolicy} ({@code allow}, {@code allow_once}, {@code deny}),
   * {@code allowLatestRedeploy}, {@code metadataCacheTtl}, {@code cleanup}, {@code quota}, {@code sync} (pull
   * rules, {@link SyncConfig}), {@code replication} (push rules, {@link ReplicationConfig}). Proxy keys:
   * {@code remoteUrl}, {@code index} ({@code hub} or {@code registry}), {@code username}, {@code password},
   * {@code metadataMaxAge}, {@code negativeCacheTtl}, {@code outbound}, {@code cache}. Group keys:
   * {@code members}, {@code writableMember}.
   */
  public record Repository(
      String name,
      String type,
      Listener http,
      List<String> hosts,
      Boolean anonymousPull,
      List<String> members,
      String writableMember,
      String blobStore,
      String writePolicy,
      Boolean allowLatestRedeploy,
      String metadataCacheTtl,
      String remoteUrl,
      String index,
      String username,
      String password,
      String metadataMaxAge,
      String negativeCacheTtl,
      Outbound outbound,
      String namespace,
      List<String> realms,
      Cleanup cleanup,
      Quota quota,
      Cache cache,
      List<SyncConfig.Rule> sync,
      List<ReplicationConfig.Rule> replication) {

    /**
     * A repository without realms, lifecycle keys or pull rules.
     *
     * @param name the repository's name
     * @param type {@code hosted}, {@code proxy} or {@code group}
     * @param http its own listener, or null
     * @param hosts the host names it claims
     * @param anonymousPull whether anonymous callers may pull
     * @param members a group's members
     * @param writableMember the group member pushes go to
     * @param blobStore the blob store its content lives in
     * @param writePolicy {@code allow}, {@code allow_once} or {@code deny}
     * @param allowLatestRedeploy whether {@code latest} may be pushed again under {@code allow_once}
     * @param metadataCacheTtl how long manifests and tag lookups may be served from memory
     * @param remoteUrl a proxy's upstream
     * @param index {@code hub} or {@code registry}
     * @param username the upstream's user
     * @param password the upstream's password
     * @param metadataMaxAge how long a proxy trusts a cached tag
     * @param negativeCacheTtl how long a proxy remembers that the upstream lacks something
     * @param outbound a proxy's own outbound HTTP settings over {@code http:}
     * @param namespace the prefix its images are kept under in the blob store
     */
    public Repository(String name, String type, Listener http, List<String> hosts, Boolean anonymousPull,
        List<String> members, String writableMember, String blobStore, String writePolicy, Boolean allowLatestRedeploy,
        String metadataCacheTtl, String remoteUrl, String index, String username, String password,
        String metadataMaxAge, String negativeCacheTtl, Outbound outbound, String namespace) {
      this(name, type, http, hosts, anonymousPull, members, writableMember, blobStore, writePolicy, allowLatestRedeploy,
          metadataCacheTtl, remoteUrl, index, username, password, metadataMaxAge, negativeCacheTtl, outbound, namespace,
          null, null, null, null, null, null);
    }

    /**
     * Without {@code sync}: no pull rules.
     *
     * @param name the repository's name
     * @param type {@code hosted}, {@code proxy} or {@code group}
     * @param http its own listener, or null
     * @param hosts the host names it claims
     * @param anonymousPull whether anonymous callers may pull
     * @param members a group's members
     * @param writableMember the group member pushes go to
     * @param blobStore the blob store its content lives in
     * @param writePolicy {@code allow}, {@code allow_once} or {@code deny}
     * @param allowLatestRedeploy whether {@code latest} may be pushed again under {@code allow_once}
     * @param metadataCacheTtl how long manifests and tag lookups may be served from memory
     * @param remoteUrl a proxy's upstream
     * @param index {@code hub} or {@code registry}
     * @param username the upstream's user
     * @param password the upstream's password
     * @param metadataMaxAge how long a proxy trusts a cached tag
     * @param negativeCacheTtl how long a proxy remembers that the upstream lacks something
     * @param outbound a proxy's own outbound HTTP settings over {@code http:}
     * @param namespace the prefix its images are kept under in the blob store
     * @param realms its own realms, or null for {@code security.realms}
     * @param cleanup a hosted repository's cleanup policy, or null
     * @param quota a hosted repository's quota, or null
     * @param cache a proxy's cache limits, or null
     */
    public Repository(String name, String type, Listener http, List<String> hosts, Boolean anonymousPull,
        List<String> members, String writableMember, String blobStore, String writePolicy, Boolean allowLatestRedeploy,
        String metadataCacheTtl, String remoteUrl, String index, String username, String password,
        String metadataMaxAge, String negativeCacheTtl, Outbound outbound, String namespace, List<String> realms,
        Cleanup cleanup, Quota quota, Cache cache) {
      this(name, type, http, hosts, anonymousPull, members, writableMember, blobStore, writePolicy, allowLatestRedeploy,
          metadataCacheTtl, remoteUrl, index, username, password, metadataMaxAge, negativeCacheTtl, outbound, namespace,
          realms, cleanup, quota, cache, null, null);
    }

    /**
     * A copy with the lifecycle keys set ({@code null} for none).
     *
     * @param cleanup the cleanup policy
     * @param quota the quota
     * @param cache the cache limits
     * @return the copy
     */
    public Repository withLifecycle(Cleanup cleanup, Quota quota, Cache cache) {
      return new Repository(name, type, http, hosts, anonymousPull, members, writableMember, blobStore, writePolicy,
          allowLatestRedeploy, metadataCacheTtl, remoteUrl, index, username, password, metadataMaxAge,
          negativeCacheTtl, outbound, namespace, realms, cleanup, quota, cache, sync, replication);
    }

    /**
     * A copy keeping its images under {@code namespace} ({@code ""}: none).
     *
     * @param namespace the prefix in the blob store
     * @return the copy
     */
    public Repository withNamespace(String namespace) {
      return new Repository(name, type, http, hosts, anonymousPull, members, writableMember, blobStore, writePolicy,
          allowLatestRedeploy, metadataCacheTtl, remoteUrl, index, username, password, metadataMaxAge,
          negativeCacheTtl, outbound, namespace, realms, cleanup, quota, cache, sync, replication);
    }

    /**
     * A copy with the pull rules {@code sync}, its push rules kept (the management API adds its pull
     * rules to a repository's own this way).
     *
     * @param sync the pull rules, or null for none
     * @return the copy
     */
    public Repository withSync(List<SyncConfig.Rule> sync) {
      return new Repository(name, type, http, hosts, anonymousPull, members, writableMember, blobStore, writePolicy,
          allowLatestRedeploy, metadataCacheTtl, remoteUrl, index, username, password, metadataMaxAge,
          negativeCacheTtl, outbound, namespace, realms, cleanup, quota, cache, sync, replication);
    }

    /**
     * A copy with the push rules {@code replication}.
     *
     * @param replication the push rules
     * @return the copy
     */
    public Repository withReplication(List<ReplicationConfig.Rule> replication) {
      return new Repository(name, type, http, hosts, anonymousPull, members, writableMember, blobStore, writePolicy,
          allowLatestRedeploy, metadataCacheTtl, remoteUrl, index, username, password, metadataMaxAge,
          negativeCacheTtl, outbound, namespace, realms, cleanup, quota, cache, sync, replication);
    }

    /**
     * The pull rules, none when the section is absent.
     *
     * @return {@code sync}, or an empty list
     */
    public List<SyncConfig.Rule> pullRules() {
      return sync == null ? List.of() : sync;
    }

    /**
     * The push rules, none when the section is absent.
     *
     * @return {@code replication}, or an empty list
     */
    public List<ReplicationConfig.Rule> pushRules() {
      return replication == null ? List.of() : replication;
    }

    /**
     * Whether this is a proxy repository.
     *
     * @return true for {@code type: proxy}
     */
    public boolean isProxy() {
      return "proxy".equals(type);
    }

    /**
     * Whether this is a group repository.
     *
     * @return true for {@code type: group}
     */
    public boolean isGroup() {
      return "group".equals(type);
    }

    /**
     * A hosted repository with default settings.
     *
     * @param name the repository's name
     * @param blobStore its blob store, or null for the default
     * @return the repository
     */
    public static Repository hosted(String name, String blobStore) {
      return new Repository(name, "hosted", null, null, null, null, null, blobStore, null, null, null, null, null,
          null, null, null, null, null, null);
    }

    /**
     * A proxy repository of {@code remoteUrl} with default settings.
     *
     * @param name the repository's name
     * @param remoteUrl the upstream registry's URL
     * @param index {@code hub} or {@code registry}
     * @return the repository
     */
    public static Repository proxy(String name, String remoteUrl, String index) {
      return new Repository(name, "proxy", null, null, null, null, null, null, null, null, null, remoteUrl, index,
          null, null, null, null, null, null);
    }

    /**
     * A group of {@code members}.
     *
     * @param name the repository's name
     * @param members the member repositories, in the order they are asked
     * @param writableMember the member pushes go to, or null (read-only group)
     * @return the repository
     */
    public static Repository group(String name, List<String> members, String writableMember) {
      return new Repository(name, "group", null, null, null, members, writableMember, null, null, null, null, null,
          null, null, null, null, null, null, null);
    }

    Repository withDefaults(String defaultStore) {
      boolean proxy = "proxy".equals(type);
      boolean hosted = type == null || "hosted".equals(type);
      return new Repository(name, type == null ? "hosted" : type, http, hosts == null ? List.of() : hosts,
          anonymousPull, members, writableMember,
          blobStore == null && !"group".equals(type) ? defaultStore : blobStore,
          writePolicy == null && hosted ? "allow" : writePolicy,
          allowLatestRedeploy,
          metadataCacheTtl, // default by store type: RegistryFactory.metadataCacheTtl
          remoteUrl,
          index == null && proxy ? "registry" : index,
          username, password,
          metadataMaxAge == null && proxy ? "24h" : metadataMaxAge,
          negativeCacheTtl == null && proxy ? "5m" : negativeCacheTtl,
          outbound, namespace, realms, cleanup, quota, cache, sync == null ? List.of() : sync,
          replication == null ? List.of() : replication);
    }
  }

  /**
   * The configuration used when no file is given: one hosted repository in ./wharf-data on 127.0.0.1:5000.
   *
   * @return the configuration, its defaults filled in
   */
  public static WharfConfig defaults() {
    return new WharfConfig(null, null, null, null).withDefaults();
  }

  /**
   * A copy with every absent value set to its default.
   *
   * @return the copy
   */
  public WharfConfig withDefaults() {
    Server s = server == null ? new Server(null, null, null, null, null, null) : server;
    s = new Server(
        s.bind() == null ? DEFAULT_BIND : s.bind(),
        s.port() == null ? DEFAULT_PORT : s.port(),
        s.publicUrl(),
        s.accessLog() == null ? Boolean.TRUE : s.accessLog(),
        s.shutdownTimeout() == null ? "15s" : s.shutdownTimeout(),
        s.defaultRepository(),
        s.tls(),
        s.trustedProxies() == null ? List.of() : s.trustedProxies(),
        s.idleTimeout() == null ? Server.DEFAULT_IDLE_TIMEOUT : s.idleTimeout(),
        s.headerTimeout() == null ? Server.DEFAULT_HEADER_TIMEOUT : s.headerTimeout(),
        s.maxConnections() == null ? Server.DEFAULT_MAX_CONNECTIONS : s.maxConnections());
    Map<String, BlobStore> stores = new LinkedHashMap<>();
    if (blobStores == null || blobStores.isEmpty()) {
      stores.put(DEFAULT_STORE, BlobStore.file(DEFAULT_DATA));
    } else {
      blobStores.forEach((k, v) -> stores.put(k, v == null ? BlobStore.file(DEFAULT_DATA) : v.withDefaults()));
    }
    String defaultStore = stores.containsKey(DEFAULT_STORE) ? DEFAULT_STORE : stores.keySet().iterator().next();
    List<Repository> repos = repositories == null || repositories.isEmpty()
        ? List.of(Repository.hosted(DEFAULT_REPOSITORY, defaultStore).withDefaults(defaultStore))
        : repositories.stream().map(r -> r == null ? null : r.withDefaults(defaultStore)).toList();
    Outbound out = http == null ? Outbound.DEFAULTS : http.over(Outbound.DEFAULTS);
    return new WharfConfig(s, stores, out, repos, security == null ? null : security.withDefaults(),
        (management == null ? new Management(null) : management).withDefaults(),
        (events == null ? new Events(null, null, null) : events).withDefaults(),
        credentials == null ? List.of() : credentials);
  }

  /**
   * A copy with the command line's overrides applied ({@code null} leaves a value alone).
   *
   * @param bind the address to listen on ({@code --bind}), or null
   * @param port the main port ({@code --port}), or null
   * @param dataDir the default file store's directory ({@code --data}), or null
   * @return the copy, its defaults filled in
   */
  public WharfConfig override(String bind, Integer port, String dataDir) {
    WharfConfig c = withDefaults();
    Server s = c.server().at(bind != null ? bind : c.server().bind(), port != null ? port : c.server().port());
    Map<String, BlobStore> stores = new LinkedHashMap<>(c.blobStores());
    if (dataDir != null) {
      String target = stores.containsKey(DEFAULT_STORE) ? DEFAULT_STORE : stores.keySet().iterator().next();
      stores.put(target, BlobStore.file(dataDir));
    }
    return new WharfConfig(s, stores, c.http(), c.repositories(), c.security(), c.management(), c.events(),
        c.credentials());
  }

  /**
   * A copy with a different repository list (used by tests and embedders).
   *
   * @param repositories the repositories
   * @return the copy, its defaults filled in
   */
  public WharfConfig withRepositories(List<Repository> repositories) {
    return new WharfConfig(server, blobStores, http, repositories, security, management, events, credentials)
        .withDefaults();
  }

  /**
   * A copy with a different {@code security:} section ({@code null}: none, the server is open).
   *
   * @param security the section
   * @return the copy, its defaults filled in
   */
  public WharfConfig withSecurity(Security security) {
    return new WharfConfig(server, blobStores, http, repositories, security, management, events, credentials)
        .withDefaults();
  }

  /**
   * A copy with a different {@code management:} section ({@code null}: the defaults).
   *
   * @param management the section
   * @return the copy, its defaults filled in
   */
  public WharfConfig withManagement(Management management) {
    return new WharfConfig(server, blobStores, http, repositories, security, management, events, credentials)
        .withDefaults();
  }

  /**
   * A copy with a different top-level {@code credentials:} section (the management API adds its
   * credentials to the file's this way).
   *
   * @param credentials the section ({@code null}: none)
   * @return the copy, its defaults filled in
   */
  public WharfConfig withCredentials(List<SyncConfig.Credential> credentials) {
    return new WharfConfig(server, blobStores, http, repositories, security, management, events, credentials)
        .withDefaults();
  }

  /**
   * A copy with a different {@code events:} section ({@code null}: no webhooks).
   *
   * @param events the section
   * @return the copy, its defaults filled in
   */
  public WharfConfig withEvents(Events events) {
    return new WharfConfig(server, blobStores, http, repositories, security, management, events, credentials)
        .withDefaults();
  }
}
