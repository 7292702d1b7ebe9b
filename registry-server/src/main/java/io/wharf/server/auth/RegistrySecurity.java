package io.wharf.server.auth;

import io.wharf.core.error.ErrorCode;
import io.wharf.core.repository.GroupRepository;
import io.wharf.core.repository.Repository;
import io.wharf.server.routing.RepositoryRouter;
import io.wharf.server.routing.Route;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Collection;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import tools.jackson.databind.json.JsonMapper;

/**
 * The configured {@link AccessControl}: users and roles, anonymous pull, Basic credentials and
 * the Docker token protocol, login throttling and the audit log.
 *
 * <p><b>Who the caller is.</b> No {@code Authorization} header: anonymous. {@code Basic}: a user,
 * if the password is right (realm {@code basic}). {@code Bearer}: whatever the token grants, if it
 * is ours, unexpired and for this service (realm {@code docker-token}). Passwords are checked by
 * the {@link UserSources}: the local users and, with realm {@code ldap}, the company directory.
 *
 * <p><b>What a user may do</b> on a repository: what the privileges of its roles allow
 * ({@link Privilege}), plus what anonymous callers may (pull from repositories with
 * {@code anonymousPull}, while the global {@code anonymous} switch is on). Reading through a group
 * needs read on the group; writing or deleting through a group needs the privilege on the group
 * and on its writable member, where the content lands.
 *
 * <p><b>Refusals.</b> Anonymous, or a token that lacks a scope its user would get: 401
 * {@code UNAUTHORIZED} with a challenge naming the scope, so the client logs in or fetches a
 * better token. A known user without the privilege: 403 {@code DENIED}. Wrong credentials: 401.
 * Too many failed logins: 429 {@code TOOMANYREQUESTS} with {@code Retry-After}.
 *
 * <p><b>The token endpoint</b> {@code <base>/v2/token} (base: the request's scheme, host, port and
 * Nexus base path, or {@code server.publicUrl}): {@code GET} with Basic credentials or none
 * (docker, podman, skopeo), {@code POST} with the OAuth2 {@code password} or
 * {@code refresh_token} grant (containerd, buildkit). The token grants
 * the intersection of the scopes asked for and the caller's rights.
 */
public final class RegistrySecurity implements AccessControl {
  /** Request attribute holding the authenticated caller. */
  private static final String PRINCIPAL = RegistrySecurity.class.getName() + ".principal";
  private static final JsonMapper JSON = JsonMapper.builder().build();
  /** How a caller with a token of the external token server came ({@link Principal#via}). */
  private static final String EXTERNAL = "external-token";

  /**
   * Who is calling. {@code user} null: anonymous; {@code token} non-null: a bearer token;
   * {@code credential} non-null: a robot account or API token (directly or through the token).
   */
  private record Principal(String user, TokenService.Verified token, String via, ApiCredentials.Credential credential) {
    static final Principal ANONYMOUS = new Principal(null, null, "anonymous", null);
  }

  /** A caller who logged in: a user with its password, or a robot account or API token. */
  private record LoggedIn(String user, ApiCredentials.Credential credential) {}

  private record Credentials(String user, char[] password) {}

  /** The repositories that allow anonymous pull, and the host names (lower case) repositories claim. */
  private record PerRepository(Set<String> anonymousPull, Set<String> claimedHosts) {}

  // The global realms and anonymous switch change at run time (the management API); one volatile
  // read per request sees either the old or the new setting.
  private volatile List<Realm> realms;
  private final Map<String, List<Realm>> repositoryRealms;
  private volatile boolean anonymous;
  /** Replaced whole when repositories change live (see {@link #repositories}). */
  private volatile PerRepository perRepository;
  private final UserDirectory users;
  /** The local users and the other sources (LDAP), in the order of the realms: who a login is. */
  private final UserSources sources;
  private final TokenService tokens;
  /** The external token server whose tokens are accepted and whose realm challenges name; null: none. */
  private final ExternalTokens external;
  private final String service;
  private final LoginThrottle throttle;
  private final URI publicUrl;
  private volatile int mainPort = -1;
  private volatile LoginObserver loginObserver = LoginObserver.NONE;
  private volatile ApiCredentials credentials;
  private volatile BrowserSessions browserSessions = req -> null;
  private final Clock clock;

  /**
   * The web UI's logins, as the management APIs accept them: how a user who signed in through
   * single sign-on (and so has no password for Basic) calls the API, e.g. to make an API token.
   */
  public interface BrowserSessions {
    /**
     * The user of the live UI session {@code req} carries together with that session's CSRF
     * token; null when it carries none (anonymous, or Basic credentials decide).
     *
     * @throws RuntimeException (a 403 of the API) when the CSRF token is not the session's
     * @param req the request to a management API
     * @return the session's user, or null
     */
    String user(HttpServletRequest req);
  }

  /** Hears of failed logins and lockouts (for metrics, events); called on request threads, must be cheap. */
  public interface LoginObserver {
    /** Hears nothing: the observer until {@link #observeLogins} names one. */
    LoginObserver NONE = new LoginObserver() {};

    /**
     * A login with a wrong password or an unknown user ({@code via}: basic, token, refresh-token, form).
     *
     * @param via how the login came: basic, token, refresh-token or form
     */
    default void failed(String via) {}

    /**
     * A login refused because its address or user is locked out.
     *
     * @param via how the login came: basic, token, refresh-token or form
     */
    default void lockedOut(String via) {}

    /**
     * {@link #failed(String)} with who tried and from where.
     *
     * @param user the user name given (null: none, e.g. a bad refresh token)
     * @param address the client's address
     * @param via how the login came, as for {@link #failed(String)}
     */
    default void failed(String via, String user, String address) {
      failed(via);
    }

    /**
     * {@link #lockedOut(String)} with who tried, from where, and for how many more seconds.
     *
     * @param via how the login came, as for {@link #failed(String)}
     * @param user the user name given (null: none)
     * @param address the client's address
     * @param retryAfterSeconds how long the lockout lasts from now, in seconds
     */
    default void lockedOut(String via, String user, String address, long retryAfterSeconds) {
      lockedOut(via);
    }
  }

  private RegistrySecurity(Builder b) {
    this.realms = List.copyOf(b.realms);
    this.repositoryRealms = Map.copyOf(b.repositoryRealms);
    this.anonymous = b.anonymous;
    this.perRepository = new PerRepository(Set.copyOf(b.anonymousPull), Set.copyOf(b.claimedHosts));
    this.users = b.users;
    this.sources = b.sources;
    this.sources.order(this.realms);
    this.tokens = b.tokens;
    this.external = b.external;
    this.service = b.tokens != null ? b.tokens.service() : b.service;
    this.throttle = b.throttle;
    this.publicUrl = b.publicUrl;
    this.clock = b.clock;
  }

  /**
   * Starts a security configuration: docker-token and basic realms, anonymous pull on, a login
   * throttle of 10 failures in 5 minutes; a token service is needed for the docker-token realm.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The local port that {@code publicUrl} stands for (the standalone server's main port);
   * requests to other ports (a repository's own) get token realms built from the request.
   *
   * @param port the main connector's local port, known once it is bound
   */
  public void mainPort(int port) {
    this.mainPort = port;
  }

  /**
   * Replaces, at once, which repositories allow anonymous pull and which host names repositories
   * claim: the repositories changed while the server runs (management API). Repository realms
   * stay as the config file set them.
   *
   * @param anonymousPull the names of the repositories that allow anonymous pull
   * @param claimedHosts the host names repositories claim (compared ignoring case)
   */
  public void repositories(Collection<String> anonymousPull, Collection<String> claimedHosts) {
    Set<String> hosts = new HashSet<>();
    claimedHosts.forEach(h -> hosts.add(h.toLowerCase(Locale.ROOT)));
    perRepository = new PerRepository(Set.copyOf(anonymousPull), Set.copyOf(hosts));
  }

  /**
   * Whether {@code user} (null: anonymous) has {@code action} on every repository ({@code *:admin}
   * and the like): what creating a repository needs, as Nexus's global administrator rights.
   *
   * @param user the user name, or null for anonymous
   * @param action the action asked for
   * @return true only when one of the user's privileges grants {@code action} on {@code *}
   */
  public boolean mayEverywhere(String user, Action action) {
    if (user == null) {
      return false;
    }
    for (Privilege p : sources.privileges(user)) {
      if (p.repository().equals(Privilege.ANY) && p.action().implies(action)) {
        return true;
      }
    }
    return false;
  }

  /**
   * The users and roles; the management API changes them through {@link UserDirectory#overlay}.
   *
   * @return the local users and roles as the server holds them now
   */
  public UserDirectory users() {
    return users;
  }

  /**
   * Where users come from: the local users and the directory, in the order of the realms.
   *
   * @return the sources of users; the server closes them when it stops
   */
  public UserSources sources() {
    return sources;
  }

  /**
   * The global realms in order (repositories may have their own).
   *
   * @return the realms, immutable
   */
  public List<Realm> realms() {
    return realms;
  }

  /**
   * Replaces the global realms, from the next request on.
   *
   * @throws IllegalArgumentException if none presents credentials (docker-token, basic), with
   *     {@link Realm#DOCKER_TOKEN} on a server built without a token service, or with a source of
   *     users that is not configured
   * @param realms the new realms, in order
   */
  public void realms(List<Realm> realms) {
    requirePresenting(realms);
    if (realms.contains(Realm.DOCKER_TOKEN) && tokens == null) {
      throw new IllegalArgumentException("the docker-token realm needs a token service");
    }
    for (Realm r : realms) {
      if (!r.presentsCredentials() && !sources.has(r)) {
        throw new IllegalArgumentException("the " + r.configName() + " realm is not configured");
      }
    }
    this.realms = List.copyOf(realms);
    sources.order(this.realms);
  }

  private static void requirePresenting(List<Realm> realms) {
    if (realms.stream().noneMatch(Realm::presentsCredentials)) {
      throw new IllegalArgumentException("at least one realm that takes credentials is needed: docker-token, basic");
    }
  }

  /**
   * Whether a token service is there, so the docker-token realm can be turned on.
   *
   * @return true when Wharf has its own token service
   */
  public boolean issuesTokens() {
    return tokens != null;
  }

  /**
   * The global switch for anonymous pull.
   *
   * @return true when anonymous pull is on (each repository still has to allow it)
   */
  public boolean anonymous() {
    return anonymous;
  }

  /**
   * Turns anonymous pull on or off everywhere, from the next request on (also for anonymous tokens).
   *
   * @param anonymous true to allow anonymous pull from the repositories that allow it
   */
  public void anonymous(boolean anonymous) {
    this.anonymous = anonymous;
  }

  /**
   * Whether {@code user} administers the whole server: holds {@link Privilege#ALL}. Only
   * administrators manage users, roles, realms and anonymous access.
   *
   * @param user the user name, or null for anonymous
   * @return true for an administrator; false for anonymous
   */
  public boolean administers(String user) {
    return user != null && sources.privileges(user).contains(Privilege.ALL);
  }

  /**
   * Accepts, from now on, the robot accounts and API tokens of {@code credentials} on the
   * registry API (Basic credentials and the token endpoint; not on the management API or the UI).
   *
   * @param credentials the robot accounts and API tokens to accept
   */
  public void credentials(ApiCredentials credentials) {
    this.credentials = credentials;
  }

  /**
   * Lets the management APIs accept the web UI's sessions ({@link #apiUser}).
   *
   * @param sessions the UI's sessions, asked when a request has no Basic credentials
   */
  public void browserSessions(BrowserSessions sessions) {
    this.browserSessions = Objects.requireNonNull(sessions);
  }

  /**
   * The user a call to a management API comes from: that of its Basic credentials (checked and
   * throttled as registry logins are), else that of the web UI session it carries with the
   * session's CSRF token (see {@link BrowserSessions}); null for anonymous.
   *
   * @param req the request to a management API
   * @return the user, or null for anonymous
   */
  public String apiUser(HttpServletRequest req) {
    String user = basicUser(req);
    return user != null ? user : browserSessions.user(req);
  }

  /**
   * The robot accounts and API tokens; null until {@link #credentials(ApiCredentials)}.
   *
   * @return the robot accounts and API tokens, or null
   */
  public ApiCredentials credentials() {
    return credentials;
  }

  /**
   * The token service; null without the docker-token realm.
   *
   * @return the token service, or null
   */
  public TokenService tokens() {
    return tokens;
  }

  /**
   * The clock that expiries are read from.
   *
   * @return the clock of this security configuration
   */
  public Clock clock() {
    return clock;
  }

  /**
   * Tells {@code observer} of every failed login and lockout from now on.
   *
   * @param observer the observer, replacing the one before
   */
  public void observeLogins(LoginObserver observer) {
    this.loginObserver = Objects.requireNonNull(observer);
  }

  // ---------------------------------------------------------------- AccessControl

  @Override
  public Verdict authorize(ApiCall call) {
    RequiredAccess required = RequiredAccess.of(call);
    if (required.isNothing()) {
      return Verdict.ALLOW;
    }
    Principal p = authenticate(call, required);
    call.request().setAttribute(PRINCIPAL, p);
    if (required.login()) {
      if (p.user() == null && p.token() == null) {
        throw challenge(call, List.of(), null, "authentication required: log in");
      }
      if (p.token() == null) {
        Audit.login(p.user(), call.clientAddress(), p.via(), null);
      }
      return Verdict.ALLOW;
    }
    boolean skipMount = false;
    List<RequiredAccess.Need> missing = new ArrayList<>();
    for (RequiredAccess.Need n : required.needs()) {
      if (allowed(p, n, call.target().namePrefix())) {
        continue;
      }
      if (n.optional()) {
        skipMount = true;
      } else {
        missing.add(n);
      }
    }
    if (missing.isEmpty()) {
      return skipMount ? Verdict.ALLOW_WITHOUT_MOUNT : Verdict.ALLOW;
    }
    throw refuse(call, p, missing);
  }

  @Override
  public boolean serve(ApiCall call) throws IOException {
    if (tokens == null || call.target().route().kind() != Route.Kind.UNKNOWN || !call.isApiPath("token")
        || !realms(call.target().repository()).contains(Realm.DOCKER_TOKEN)) {
      return false;
    }
    switch (call.request().getMethod()) {
      case "GET" -> tokenGet(call);
      case "POST" -> tokenPost(call);
      default -> {
        call.response().setHeader("Allow", "GET, POST");
        throw ErrorCode.METHOD_NOT_ALLOWED.exception("the token endpoint takes GET and POST");
      }
    }
    return true;
  }

  @Override
  public String user(ApiCall call) {
    return call.request().getAttribute(PRINCIPAL) instanceof Principal p ? p.user() : null;
  }

  @Override
  public void completed(ApiCall call, int status) {
    Route route = call.target().route();
    String method = call.request().getMethod();
    Principal p = call.request().getAttribute(PRINCIPAL) instanceof Principal pr ? pr : Principal.ANONYMOUS;
    String repository = call.target().repository().name();
    if (route.kind() == Route.Kind.MANIFEST && method.equals("PUT") && status == 201) {
      Audit.push(p.user(), call.clientAddress(), repository, route.name(), route.argument());
    } else if (method.equals("DELETE") && status == 202
        && (route.kind() == Route.Kind.MANIFEST || route.kind() == Route.Kind.BLOB)) {
      Audit.delete(p.user(), call.clientAddress(), repository,
          (route.kind() == Route.Kind.MANIFEST ? "manifest=" : "blob=") + route.name() + "@" + route.argument());
    }
  }

  /**
   * The user a request to Wharf's own API (maintenance) comes from, checked to hold {@code admin}
   * on every one of {@code repositories}. That API takes Basic credentials only, as Nexus's REST
   * API does; failed logins count against the same throttle as registry logins.
   *
   * @throws UnauthorizedException (401, Basic challenge) without credentials or with wrong ones
   * @throws io.wharf.core.error.RegistryException {@code DENIED} (403) when the user lacks the privilege
   * @param req the request to the maintenance API
   * @param repositories the repositories the request touches
   * @return the administrator's user name
   */
  public String requireAdmin(HttpServletRequest req, Collection<? extends Repository> repositories) {
    String user = basicUser(req);
    if (user == null) {
      throw basicChallenge("authentication required: Basic credentials of an administrator", null);
    }
    for (Repository r : repositories) {
      if (!may(user, r, Action.ADMIN)) {
        Audit.denied(user, req.getRemoteAddr(), req.getMethod(), r.name(), "admin", 403, null);
        throw ErrorCode.DENIED.exception("user " + user + " needs the admin privilege on repository " + r.name());
      }
    }
    return user;
  }

  /**
   * The user a request to a management API comes from: {@code null} without an
   * {@code Authorization} header (anonymous), else the user of its Basic credentials, checked
   * and throttled as registry logins are. Management APIs take Basic credentials only, as
   * Nexus's REST API does.
   *
   * @throws UnauthorizedException (401, Basic challenge) for wrong, malformed or non-Basic credentials
   * @throws io.wharf.core.error.RegistryException {@code TOOMANYREQUESTS} (429) while logins are throttled
   * @param req the request to a management API
   * @return the user name, or null when the request carries no credentials
   */
  private String basicUser(HttpServletRequest req) {
    String header = req.getHeader("Authorization");
    if (header == null || header.isBlank()) {
      return null;
    }
    if (!header.strip().regionMatches(true, 0, "Basic ", 0, 6)) {
      throw basicChallenge("this API takes Basic credentials", null);
    }
    Credentials c = parseBasic(header.strip().substring(6).strip());
    if (c == null) {
      throw basicChallenge("malformed Basic credentials", null);
    }
    if (!login(req.getRemoteAddr(), c, "basic")) {
      throw basicChallenge("invalid username or password", null);
    }
    return c.user();
  }

  /**
   * A login from a form (the web UI): whether {@code password} is {@code user}'s, checked and
   * throttled exactly as registry and API logins are (the same lockouts, audit lines and
   * metrics). {@code password} is wiped.
   *
   * @param address the client's address (after {@code server.trustedProxies})
   * @throws io.wharf.core.error.RegistryException {@code TOOMANYREQUESTS} (429, detail
   *     {@code retryAfter} in seconds) while logins from the address or for the user are locked out
   * @param user the user name typed in
   * @param password the password typed in
   * @return true when the password is right and the user may log in
   */
  public boolean formLogin(String address, String user, char[] password) {
    if (user == null || user.isEmpty()) {
      Arrays.fill(password, '\0');
      return false;
    }
    return login(address, new Credentials(user, password), "form");
  }

  /**
   * A sign-in through single sign-on: the web UI's OpenID Connect provider vouched for
   * {@code identity}, which becomes a user with its roles for {@code session}, audited as logins
   * are. False (and audited) when the name is a local user's: see {@link UserSources#signedIn}.
   *
   * @param address the client's address, for the audit log
   * @param identity the user and roles the provider vouched for
   * @param session how long the sign-in lasts (the identity is remembered that long)
   * @return true when the user is signed in
   */
  public boolean singleSignOn(String address, Identity identity, Duration session) {
    if (sources.signedIn(identity, session)) {
      Audit.login(identity.name(), address, "sso", "roles " + identity.roles());
      ApiCredentials api = credentials;
      if (api != null) {
        api.signedIn(identity); // the user's API tokens take the roles of this sign-in
      }
      return true;
    }
    Audit.loginFailed(identity.name(), address, "sso", "the provider's name is a local user's");
    return false;
  }

  /**
   * Checks that bearer tokens can be issued and verified now: signs an empty token and verifies
   * it. Returns a description of the key; empty when no realm uses tokens.
   *
   * @throws IllegalStateException when signing or verifying fails
   * @return the key's description, or empty without a token service
   */
  public Optional<String> checkSigningKey() {
    if (tokens == null) {
      return Optional.empty();
    }
    try {
      tokens.verify(tokens.issue(null, List.of()).token());
      return Optional.of(tokens.keyDescription());
    } catch (TokenService.InvalidTokenException | RuntimeException e) {
      throw new IllegalStateException("the token signing key cannot sign and verify: " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- who

  private Principal authenticate(ApiCall call, RequiredAccess required) {
    String header = call.request().getHeader("Authorization");
    if (header == null || header.isBlank()) {
      return Principal.ANONYMOUS;
    }
    header = header.strip();
    int space = header.indexOf(' ');
    String scheme = space < 0 ? header : header.substring(0, space);
    String value = space < 0 ? "" : header.substring(space + 1).strip();
    List<Realm> here = realms(call.target().repository());
    if (scheme.equalsIgnoreCase("Basic")) {
      if (!here.contains(Realm.BASIC)) {
        throw challenge(call, required.needs(), null,
            "Basic credentials are not accepted here; get a token from " + tokenRealm(call));
      }
      Credentials c = parseBasic(value);
      if (c == null) {
        throw challenge(call, required.needs(), null, "malformed Basic credentials");
      }
      LoggedIn in = login(call.clientAddress(), c, "basic", true);
      if (in == null) {
        throw challenge(call, required.needs(), null, "invalid username or password");
      }
      return new Principal(in.user(), null, "basic", in.credential());
    }
    if (scheme.equalsIgnoreCase("Bearer") && external != null && here.contains(Realm.DOCKER_TOKEN)
        && external.claims(value)) {
      try {
        TokenService.Verified v = external.verify(value);
        return new Principal(v.subject(), v, EXTERNAL, null);
      } catch (TokenService.InvalidTokenException e) {
        Audit.denied(null, call.clientAddress(), call.request().getMethod(), call.target().repository().name(),
            scopes(required.needs()), 401, "invalid token of " + external.issuer() + ": " + e.getMessage());
        throw challenge(call, required.needs(), "invalid_token", "invalid token: " + e.getMessage());
      }
    }
    if (scheme.equalsIgnoreCase("Bearer") && tokens != null && here.contains(Realm.DOCKER_TOKEN)) {
      try {
        TokenService.Verified v = tokens.verify(value);
        ApiCredentials.Credential credential = credential(v, call.clientAddress());
        // a short-lived access token lives out its minutes after a password change (refresh tokens
        // and UI sessions end at once, see loginStamp); a removed or disabled user's ends now
        if (v.subject() != null && credential == null && !sources.exists(v.subject())) {
          throw new TokenService.InvalidTokenException("its user no longer exists or is disabled");
        }
        return new Principal(v.subject(), v, "token", credential);
      } catch (TokenService.InvalidTokenException e) {
        Audit.denied(null, call.clientAddress(), call.request().getMethod(), call.target().repository().name(),
            scopes(required.needs()), 401, "invalid token: " + e.getMessage());
        throw challenge(call, required.needs(), "invalid_token", "invalid token: " + e.getMessage());
      }
    }
    if (scheme.equalsIgnoreCase("Bearer")) {
      throw challenge(call, required.needs(), null, "bearer tokens are not accepted here; use Basic credentials");
    }
    throw challenge(call, required.needs(), null, "unsupported authorization scheme \"" + Audit.clean(scheme) + "\"");
  }

  /**
   * The robot account or API token a token was obtained with, checked to be still in force (a
   * revoked or expired one ends its tokens at once); null for a token obtained with a password.
   */
  private ApiCredentials.Credential credential(TokenService.Verified v, String from)
      throws TokenService.InvalidTokenException {
    if (v.credential() == null) {
      return null;
    }
    ApiCredentials api = credentials;
    ApiCredentials.Credential c = api == null ? null : api.current(v.credential(), from).orElse(null);
    if (c == null || !c.user().equals(v.subject()) || !userInForce(c)) {
      throw new TokenService.InvalidTokenException(api == null ? "robot accounts and API tokens are off"
          : c == null ? Objects.requireNonNullElse(api.refusal(v.credential()), "the credential is not in force")
          : "its user no longer exists");
    }
    return c;
  }

  /**
   * Whether the user behind a robot account or API token is still one: a robot is its own; an
   * API token of a single sign-on user vouches for the identity of the user's latest sign-in
   * (the provider cannot be asked); others must exist in their source.
   */
  private boolean userInForce(ApiCredentials.Credential c) {
    if (c.robot()) {
      return true;
    }
    if (c.identity() != null) {
      return sources.vouched(c.identity(), tokens != null ? tokens.expiry() : Duration.ofMinutes(5));
    }
    return sources.exists(c.user());
  }

  /**
   * What a password login of {@code user} stands on now: for a local user, a fingerprint of its
   * password hash; for a user of the directory or single sign-on, its realm. Empty when
   * {@code user} is no user now (removed, disabled, forgotten). Refresh tokens and UI sessions
   * record it when they are made and end when it changes: a new password, a disabled user ends
   * them at once. (Access tokens, minutes long, are not tied to it: they live out their minutes.)
   *
   * @throws io.wharf.core.error.RegistryException {@code UNAVAILABLE} (503) when a directory
   *     user's identity expired and the directory cannot be asked
   * @param user the user name, or null
   * @return the stamp, or empty when there is no such user now
   */
  public Optional<String> loginStamp(String user) {
    if (user == null) {
      return Optional.empty();
    }
    Optional<Identity> other = sources.remembered(user);
    if (other.isPresent()) {
      return Optional.of(other.get().realm().configName());
    }
    Optional<String> local = users.passwordStamp(user);
    if (local.isPresent()) {
      return Optional.of("local:" + local.get());
    }
    if (!sources.exists(user)) {
      return Optional.empty();
    }
    return Optional.of(sources.remembered(user).map(i -> i.realm().configName()).orElse("directory"));
  }

  /** Refuses a refresh token obtained with a password once its user is gone or the password changed. */
  private void checkLogin(TokenService.Verified v) throws TokenService.InvalidTokenException {
    Optional<String> now = loginStamp(v.subject());
    if (now.isEmpty()) {
      throw new TokenService.InvalidTokenException("its user no longer exists or is disabled");
    }
    if (!now.get().equals(v.login())) {
      throw new TokenService.InvalidTokenException("the user's password changed since it was issued; log in again");
    }
  }

  private boolean login(String from, Credentials c, String via) {
    return login(from, c, via, false) != null;
  }

  /**
   * Checks a user's password, throttled; with {@code machines}, robot accounts' secrets and API
   * tokens too (the registry API). Returns who logged in, or null if the credentials are wrong;
   * throws 429 while the address or the user is locked out.
   */
  private LoggedIn login(String from, Credentials c, String via, boolean machines) {
    Optional<Duration> locked = throttle.lockedFor(from, c.user());
    if (locked.isPresent()) {
      long seconds = Math.max(1, (locked.get().toMillis() + 999) / 1000);
      Audit.lockedOut(c.user(), from, via, seconds);
      loginObserver.lockedOut(via, c.user(), from, seconds);
      throw ErrorCode.TOOMANYREQUESTS.exception("too many failed logins; try again in " + seconds + " s",
          Map.of("retryAfter", seconds));
    }
    String reason = "invalid username or password";
    try {
      ApiCredentials api = credentials;
      ApiCredentials.Login m = machines && api != null ? api.login(c.user(), c.password(), from)
          : ApiCredentials.Login.NOT_OURS;
      if (m.credential() != null && userInForce(m.credential())) {
        throttle.success(c.user());
        return new LoggedIn(m.credential().user(), m.credential());
      }
      if (m.credential() != null || m.refusal() != null) {
        reason = m.credential() != null ? "the API token's user no longer exists" : m.refusal();
      } else {
        UserSources.Login result;
        try {
          result = sources.login(c.user(), c.password());
        } catch (RuntimeException e) { // the directory is down: no verdict on the password, nothing to count
          Audit.loginFailed(c.user(), from, via, e.getMessage());
          throw e;
        }
        if (result.accepted()) {
          throttle.success(c.user());
          return new LoggedIn(result.identity().name(), null);
        }
        reason = result.refusal();
      }
    } finally {
      Arrays.fill(c.password(), '\0');
    }
    throttle.failure(from, c.user());
    Audit.loginFailed(c.user(), from, via, reason);
    loginObserver.failed(via, c.user(), from);
    return null;
  }

  /** {@code user:password} in base64 (UTF-8); null if malformed. */
  private static Credentials parseBasic(String value) {
    byte[] raw;
    try {
      raw = Base64.getDecoder().decode(value);
    } catch (IllegalArgumentException e) {
      return null;
    }
    CharBuffer chars;
    try {
      chars = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(raw));
    } catch (CharacterCodingException e) {
      return null;
    } finally {
      Arrays.fill(raw, (byte) 0);
    }
    char[] all = new char[chars.remaining()];
    chars.get(all);
    int colon = -1;
    for (int i = 0; i < all.length; i++) {
      if (all[i] == ':') {
        colon = i;
        break;
      }
    }
    if (colon <= 0) {
      Arrays.fill(all, '\0');
      return null;
    }
    Credentials c = new Credentials(new String(all, 0, colon), Arrays.copyOfRange(all, colon + 1, all.length));
    Arrays.fill(all, '\0');
    return c;
  }

  // ---------------------------------------------------------------- what

  private boolean allowed(Principal p, RequiredAccess.Need n, String namePrefix) {
    if (p.token() != null && p.via().equals(EXTERNAL)) {
      // the external token server decided who may what, as distribution trusts it: its access claim is all
      return p.token().coversName(n.type(), n.name(), n.type().equals("registry") ? "*" : n.action().dockerName());
    }
    if (p.token() != null) {
      String action = n.type().equals("registry") ? "*" : n.action().dockerName();
      // what the token says, and what its user may still do: a removed user, a role taken away or
      // anonymous pull switched off ends an issued token's rights at once
      return p.token().covers(n.repository().name(), n.type(), n.name(), action)
          && may(p, n.repository(), n.action(), image(n, namePrefix));
    }
    return may(p, n.repository(), n.action(), image(n, namePrefix));
  }

  /** The image a need is about, without the routing prefix ({@code docker-hosted/}); null for the catalog. */
  private static String image(RequiredAccess.Need n, String namePrefix) {
    if (n.type().equals("registry")) {
      return null;
    }
    return n.name().startsWith(namePrefix) ? n.name().substring(namePrefix.length()) : n.name();
  }

  /**
   * What the caller may: its user's rights, narrowed by the scope of the API token it used; a
   * robot account's scope (it holds no roles), plus anonymous pull.
   */
  private boolean may(Principal p, Repository repository, Action action, String image) {
    ApiCredentials.Credential c = p.credential();
    if (c == null) {
      return may(p.user(), repository, action);
    }
    if (c.robot() && action == Action.READ && anonymous && perRepository.anonymousPull().contains(repository.name())) {
      return true;
    }
    if (c.scope() != null && !c.scope().allows(repository.name(), image, action)) {
      return false;
    }
    if (!c.robot()) {
      return may(p.user(), repository, action);
    }
    if ((action == Action.WRITE || action == Action.DELETE) && repository instanceof GroupRepository group
        && group.writableMember().isPresent()) {
      return may(p, group.writableMember().get(), action, image); // where the content lands
    }
    return true;
  }

  /**
   * Whether {@code user} (null: anonymous) may do {@code action} on {@code repository}.
   *
   * @param user the user name, or null for anonymous
   * @param repository the repository acted on
   * @param action the action asked for
   * @return true when anonymous pull or one of the user's privileges allows it
   */
  public boolean may(String user, Repository repository, Action action) {
    if (action == Action.READ && anonymous && perRepository.anonymousPull().contains(repository.name())) {
      return true;
    }
    if (user == null) {
      return false;
    }
    boolean granted = false;
    for (Privilege p : sources.privileges(user)) {
      if (p.grants(repository.name(), action)) {
        granted = true;
        break;
      }
    }
    if (granted && (action == Action.WRITE || action == Action.DELETE)
        && repository instanceof GroupRepository group && group.writableMember().isPresent()) {
      return may(user, group.writableMember().get(), action); // where the content lands
    }
    return granted;
  }

  private RuntimeException refuse(ApiCall call, Principal p, List<RequiredAccess.Need> missing) {
    String need = scopes(missing);
    String method = call.request().getMethod();
    String repository = call.target().repository().name();
    String what = describe(missing);
    if (p.token() != null && p.via().equals(EXTERNAL)) {
      // only the token server can grant more: send the client back to it for a token that does
      Audit.denied(p.user(), call.clientAddress(), method, repository, need, 401, Audit.TOKEN_LACKS_SCOPE);
      return challenge(call, missing, "insufficient_scope", "the token does not grant " + need);
    }
    if (p.user() == null) {
      Audit.denied(null, call.clientAddress(), method, repository, need, 401, null);
      return challenge(call, missing, p.token() != null ? "insufficient_scope" : null,
          "authentication required to " + what);
    }
    if (p.token() != null && missing.stream().allMatch(n -> may(p, n.repository(), n.action(), image(n, call.target().namePrefix())))) {
      // the user may, the token just does not say so: let the client fetch one that does
      Audit.denied(p.user(), call.clientAddress(), method, repository, need, 401, Audit.TOKEN_LACKS_SCOPE);
      return challenge(call, missing, "insufficient_scope", "the token does not grant " + need);
    }
    Audit.denied(p.user(), call.clientAddress(), method, repository, need, 403, null);
    return ErrorCode.DENIED.exception("user " + Audit.clean(p.user()) + " may not " + what, detail(missing));
  }

  private static String describe(List<RequiredAccess.Need> needs) {
    RequiredAccess.Need n = needs.get(0);
    String verb = switch (n.action()) {
      case READ -> "pull";
      case WRITE -> "push to";
      case DELETE -> "delete from";
      case ADMIN -> "administer";
    };
    String object = n.type().equals("registry") ? "the catalog" : n.name();
    return verb + " " + object + " in repository " + n.repository().name();
  }

  private static List<Map<String, String>> detail(List<RequiredAccess.Need> needs) {
    List<Map<String, String>> out = new ArrayList<>();
    for (RequiredAccess.Need n : needs) {
      Map<String, String> d = new LinkedHashMap<>();
      d.put("Type", n.type());
      d.put("Name", n.name());
      d.put("Action", n.type().equals("registry") ? "*" : n.action().dockerName());
      out.add(d);
    }
    return out;
  }

  // ---------------------------------------------------------------- challenges

  private List<Realm> realms(Repository repository) {
    return repositoryRealms.getOrDefault(repository.name(), realms);
  }

  /** A 401 with the challenge of the routed repository's first realm. */
  private UnauthorizedException challenge(ApiCall call, List<RequiredAccess.Need> needs, String error,
      String message) {
    List<Realm> here = realms(call.target().repository());
    boolean bearer = here.stream().filter(Realm::presentsCredentials).findFirst().orElse(Realm.BASIC) == Realm.DOCKER_TOKEN;
    if (bearer && tokens != null) {
      StringBuilder sb = new StringBuilder("Bearer realm=\"")
          .append(external != null ? external.realm() : tokenRealm(call))
          .append("\",service=\"").append(external != null ? external.service() : service).append('"');
      String scope = scopes(needs);
      if (!scope.isEmpty()) {
        sb.append(",scope=\"").append(scope).append('"');
      }
      if (error != null) {
        sb.append(",error=\"").append(error).append('"');
      }
      return new UnauthorizedException(message, sb.toString(), needs.isEmpty() ? null : detail(needs));
    }
    return basicChallenge(message, needs.isEmpty() ? null : detail(needs));
  }

  private UnauthorizedException basicChallenge(String message, Object detail) {
    return new UnauthorizedException(message, "Basic realm=\"" + service + "\"", detail);
  }

  /** The scopes of {@code needs}, merged per name: {@code repository:a:pull,push repository:b:pull}. */
  static String scopes(List<RequiredAccess.Need> needs) {
    Map<String, Set<String>> byName = new LinkedHashMap<>();
    for (RequiredAccess.Need n : needs) {
      String s = n.scope();
      int last = s.lastIndexOf(':');
      byName.computeIfAbsent(s.substring(0, last), k -> new java.util.LinkedHashSet<>())
          .addAll(List.of(s.substring(last + 1).split(",")));
    }
    List<String> out = new ArrayList<>();
    byName.forEach((k, actions) -> out.add(k + ":" + String.join(",", actions)));
    return String.join(" ", out);
  }

  /** {@code <public base>/v2/token} for a request that arrived the way {@code call} did. */
  String tokenRealm(ApiCall call) {
    return publicBase(call) + "/v2/token";
  }

  /**
   * What clients put before {@code /v2/} to reach what {@code call} reached. With
   * {@code publicUrl} (and a request to the main port): that URL plus the Nexus base path, with
   * the request's host name if the host is one a repository claims. Else built from the request,
   * whose scheme, host and port Jetty already took from {@code X-Forwarded-*}.
   */
  String publicBase(ApiCall call) {
    HttpServletRequest req = call.request();
    String context = req.getContextPath() == null ? "" : req.getContextPath();
    String basePath = call.target().basePath();
    String relative = basePath.startsWith(context) ? basePath.substring(context.length()) : basePath;
    int main = mainPort;
    if (publicUrl != null && (main <= 0 || req.getLocalPort() == main)) {
      String root = stripSlash(publicUrl.toString());
      String host = req.getServerName();
      if (host != null && perRepository.claimedHosts().contains(host.toLowerCase(Locale.ROOT))) {
        root = publicUrl.getScheme() + "://" + hostPort(host, publicUrl.getPort(), publicUrl.getScheme())
            + stripSlash(publicUrl.getRawPath() == null ? "" : publicUrl.getRawPath());
      }
      return root + relative;
    }
    return req.getScheme() + "://" + hostPort(req.getServerName(), req.getServerPort(), req.getScheme()) + basePath;
  }

  private static String hostPort(String host, int port, String scheme) {
    return io.wharf.server.http.RequestOrigin.hostPort(host, port, scheme);
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }

  // ---------------------------------------------------------------- the token endpoint

  private void tokenGet(ApiCall call) throws IOException {
    HttpServletRequest req = call.request();
    String header = req.getHeader("Authorization");
    LoggedIn in = new LoggedIn(null, null);
    if (header != null && !header.isBlank()) {
      header = header.strip();
      Credentials c = header.regionMatches(true, 0, "Basic ", 0, 6) ? parseBasic(header.substring(6).strip()) : null;
      if (c == null) {
        throw basicChallenge("the token endpoint takes Basic credentials", null);
      }
      in = login(call.clientAddress(), c, "token", true);
      if (in == null) {
        throw basicChallenge("invalid username or password", null);
      }
    } else if (!anonymous) {
      throw basicChallenge("authentication required: log in", null);
    }
    String user = in.user();
    List<TokenService.Access> granted = grant(call, new Principal(user, null, "token", in.credential()),
        scopes(req.getParameterValues("scope")));
    if (user != null) {
      Audit.login(user, call.clientAddress(), "token", scopeString(granted));
    }
    // No refresh token here, even with offline_token=true (as Nexus and Harbor): docker then keeps
    // the password and logs in anew each time, so password changes and removed users take effect
    // at once, and a login never expires under a client that saved an identity token.
    sendToken(call.response(), tokens.issue(user, credentialId(in.credential()), granted), null, null);
  }

  private void tokenPost(ApiCall call) throws IOException {
    HttpServletRequest req = call.request();
    String grantType = req.getParameter("grant_type");
    String user;
    ApiCredentials.Credential credential = null;
    String refresh = null;
    if ("password".equals(grantType)) {
      String username = req.getParameter("username");
      String password = req.getParameter("password");
      if (username == null || username.isEmpty() || password == null) {
        throw basicChallenge("the password grant needs username and password", null);
      }
      LoggedIn in = login(call.clientAddress(), new Credentials(username, password.toCharArray()), "token", true);
      if (in == null) {
        throw basicChallenge("invalid username or password", null);
      }
      user = in.user();
      credential = in.credential();
      if ("offline".equals(req.getParameter("access_type"))) {
        refresh = tokens.issueRefresh(user, credentialId(credential), stampFor(user, credential));
      }
    } else if ("refresh_token".equals(grantType)) {
      String token = req.getParameter("refresh_token");
      TokenService.Verified v;
      try {
        v = tokens.verifyRefreshToken(token == null ? "" : token);
        user = v.subject();
        credential = credential(v, call.clientAddress());
      } catch (TokenService.InvalidTokenException e) {
        Audit.loginFailed(null, call.clientAddress(), "refresh-token", "invalid refresh token: " + e.getMessage());
        loginObserver.failed("refresh-token", null, call.clientAddress());
        throw basicChallenge("invalid refresh token: " + e.getMessage(), null);
      }
      if (credential == null) {
        try {
          checkLogin(v);
        } catch (TokenService.InvalidTokenException e) {
          Audit.loginFailed(user, call.clientAddress(), "refresh-token", e.getMessage());
          throw basicChallenge("invalid refresh token: " + e.getMessage(), null);
        }
      }
      refresh = token;
    } else {
      throw ErrorCode.UNSUPPORTED.exception("grant_type \"" + Audit.clean(grantType)
          + "\" is not supported; use password or refresh_token (or GET with Basic credentials)");
    }
    List<TokenService.Access> granted = grant(call, new Principal(user, null, "token", credential),
        scopes(req.getParameterValues("scope")));
    Audit.login(user, call.clientAddress(), "token", scopeString(granted));
    sendToken(call.response(), tokens.issue(user, credentialId(credential), granted), refresh,
        scopeString(granted));
  }

  private static String credentialId(ApiCredentials.Credential c) {
    return c == null ? null : c.id();
  }

  /** What a refresh token obtained with a password records of the login (null: a credential, checked itself). */
  private String stampFor(String user, ApiCredentials.Credential c) {
    return user == null || c != null ? null : loginStamp(user).orElse(null);
  }

  /** Every scope of the {@code scope} parameters (repeated, or space-separated as OAuth2 has it). */
  private static List<String> scopes(String[] values) {
    List<String> out = new ArrayList<>();
    if (values != null) {
      for (String v : values) {
        for (String s : v.split(" ")) {
          if (!s.isBlank()) {
            out.add(s.strip());
          }
        }
      }
    }
    return out;
  }

  /** What of {@code scopes} the caller gets: the intersection of what was asked and what it may. */
  private List<TokenService.Access> grant(ApiCall call, Principal caller, List<String> scopes) {
    Map<String, TokenService.Access> granted = new LinkedHashMap<>();
    for (String scope : scopes) {
      int first = scope.indexOf(':');
      int last = scope.lastIndexOf(':');
      if (first <= 0 || last == first) {
        continue;
      }
      String type = scope.substring(0, first);
      int paren = type.indexOf('(');
      type = paren < 0 ? type : type.substring(0, paren); // repository(plugin) is a repository
      String name = scope.substring(first + 1, last);
      List<String> actions = List.of(scope.substring(last + 1).split(","));
      if (type.equals("repository")) {
        RepositoryRouter.Target t = call.resolve(name);
        if (t == null || t.route().kind() != Route.Kind.TAGS || !name.equals(t.namePrefix() + t.route().name())) {
          continue;
        }
        Set<Action> allowed = EnumSet.noneOf(Action.class);
        for (String a : actions) {
          for (Action wanted : Action.fromDocker(a)) {
            if (may(caller, t.repository(), wanted, t.route().name())) {
              allowed.add(wanted);
            }
          }
        }
        String key = type + ":" + name + "@" + t.repository().name();
        TokenService.Access before = granted.get(key);
        if (before != null) {
          before.actions().forEach(a -> allowed.addAll(Action.fromDocker(a)));
        }
        if (!allowed.isEmpty()) {
          List<String> names = new ArrayList<>();
          allowed.forEach(a -> names.add(a.dockerName()));
          granted.put(key, new TokenService.Access(type, name, names, t.repository().name()));
        }
      } else if (type.equals("registry") && name.equals("catalog")) {
        Repository r = call.target().repository();
        if (may(caller, r, Action.READ, null)) {
          granted.put("registry:catalog@" + r.name(), new TokenService.Access("registry", "catalog", List.of("*"), r.name()));
        }
      }
    }
    return List.copyOf(granted.values());
  }

  private static String scopeString(List<TokenService.Access> granted) {
    List<String> out = new ArrayList<>();
    granted.forEach(a -> out.add(a.scope()));
    return String.join(" ", out);
  }

  private static void sendToken(HttpServletResponse resp, TokenService.Issued t, String refresh, String scope)
      throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token", t.token());
    body.put("access_token", t.token());
    body.put("expires_in", t.expiresIn().toSeconds());
    body.put("issued_at", t.issuedAt().toString());
    if (refresh != null) {
      body.put("refresh_token", refresh);
    }
    if (scope != null) {
      body.put("scope", scope);
    }
    byte[] bytes = JSON.writeValueAsBytes(body);
    resp.setStatus(200);
    resp.setHeader("Cache-Control", "no-store");
    resp.setHeader("Pragma", "no-cache");
    resp.setContentType("application/json");
    resp.setContentLength(bytes.length);
    resp.getOutputStream().write(bytes);
  }

  // ---------------------------------------------------------------- building

  /** Builds a {@link RegistrySecurity}; every setting has a default but {@code tokens}. */
  public static final class Builder {
    private List<Realm> realms = List.of(Realm.DOCKER_TOKEN, Realm.BASIC);
    private final Map<String, List<Realm>> repositoryRealms = new HashMap<>();
    private boolean anonymous = true;
    private final Set<String> anonymousPull = new HashSet<>();
    private UserDirectory users = new UserDirectory(List.of(), Map.of(), List.of(), List.of());
    private UserSources sources;
    private TokenService tokens;
    private String service = "wharf";
    private LoginThrottle throttle = new LoginThrottle(10, Duration.ofMinutes(5), Duration.ofMinutes(5),
        Clock.systemUTC());
    private URI publicUrl;
    private final Set<String> claimedHosts = new HashSet<>();
    private Clock clock = Clock.systemUTC();
    private ExternalTokens external;

    private Builder() {}

    /**
     * Accepts the bearer tokens of an external token server besides Wharf's own, and names its
     * realm and service in challenges (needs the docker-token realm).
     *
     * @param external the external token server's keys, issuer and service
     * @return this builder
     */
    public Builder external(ExternalTokens external) {
      this.external = external;
      return this;
    }

    /**
     * The clock robot accounts' and API tokens' expiries are read from (default: the system's).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    /**
     * The realms, in order: the first that takes credentials decides the challenge; basic and
     * ldap are also the order of the user sources. Default: docker-token, basic.
     *
     * @param realms the realms, at least one of which takes credentials
     * @return this builder
     * @throws IllegalArgumentException if no realm takes credentials
     */
    public Builder realms(List<Realm> realms) {
      requirePresenting(realms);
      this.realms = List.copyOf(realms);
      return this;
    }

    /**
     * Other realms for one repository (e.g. Basic only); the sources of users stay the global ones.
     *
     * @param repository the repository's name
     * @param realms its realms, at least one of which takes credentials
     * @return this builder
     * @throws IllegalArgumentException if no realm takes credentials
     */
    public Builder realms(String repository, List<Realm> realms) {
      requirePresenting(realms);
      repositoryRealms.put(repository, List.copyOf(realms));
      return this;
    }

    /**
     * The global switch for anonymous pull (default on; repositories opt in with {@link #anonymousPull}).
     *
     * @param anonymous false to refuse anonymous pull everywhere
     * @return this builder
     */
    public Builder anonymous(boolean anonymous) {
      this.anonymous = anonymous;
      return this;
    }

    /**
     * Lets anonymous callers pull from {@code repository}.
     *
     * @param repository the repository's name
     * @return this builder
     */
    public Builder anonymousPull(String repository) {
      anonymousPull.add(Objects.requireNonNull(repository));
      return this;
    }

    /**
     * The local users and roles (default: none).
     *
     * @param users the users and roles
     * @return this builder
     */
    public Builder users(UserDirectory users) {
      this.users = Objects.requireNonNull(users);
      return this;
    }

    /**
     * The users of every source (over {@link #users}'s directory); default: the local users only.
     *
     * @param sources the sources of users, local users first
     * @return this builder
     */
    public Builder sources(UserSources sources) {
      this.sources = Objects.requireNonNull(sources);
      return this;
    }

    /**
     * The token service; needed for the docker-token realm.
     *
     * @param tokens the token service; null for none
     * @return this builder
     */
    public Builder tokens(TokenService tokens) {
      this.tokens = tokens;
      return this;
    }

    /**
     * The service name of Basic challenges when there is no token service.
     *
     * @param service the service name (default {@code wharf})
     * @return this builder
     */
    public Builder service(String service) {
      this.service = Objects.requireNonNull(service);
      return this;
    }

    /**
     * How failed logins lock out an address or a user (default: 10 failures in 5 minutes lock out for 5
     * minutes).
     *
     * @param throttle the throttle
     * @return this builder
     */
    public Builder throttle(LoginThrottle throttle) {
      this.throttle = Objects.requireNonNull(throttle);
      return this;
    }

    /**
     * The URL clients reach the main port by ({@code server.publicUrl}); null: built from each request.
     *
     * @param publicUrl the public URL, or null
     * @return this builder
     */
    public Builder publicUrl(URI publicUrl) {
      this.publicUrl = publicUrl;
      return this;
    }

    /**
     * Host names that repositories claim; with {@code publicUrl}, their requests keep their host name.
     *
     * @param hosts the host names (compared ignoring case)
     * @return this builder
     */
    public Builder claimedHosts(Collection<String> hosts) {
      hosts.forEach(h -> claimedHosts.add(h.toLowerCase(Locale.ROOT)));
      return this;
    }

    /**
     * The security configuration.
     *
     * @return the security configuration
     * @throws IllegalStateException if a realm is not configured: the docker-token realm without a token
     *     service, an external token server without that realm or with Wharf's own issuer, ldap or oidc
     *     without their source of users
     */
    public RegistrySecurity build() {
      boolean tokenRealm = realms.contains(Realm.DOCKER_TOKEN)
          || repositoryRealms.values().stream().anyMatch(r -> r.contains(Realm.DOCKER_TOKEN));
      if (tokenRealm && tokens == null) {
        throw new IllegalStateException("the docker-token realm needs a token service");
      }
      if (external != null && !tokenRealm) {
        throw new IllegalStateException("an external token server needs the docker-token realm");
      }
      if (external != null && tokens != null && external.issuer().equals(tokens.issuer())) {
        throw new IllegalStateException("the external token server's issuer must differ from Wharf's own ("
            + tokens.issuer() + ")");
      }
      if (sources == null) {
        sources = UserSources.localOnly(users);
      }
      realms.stream().filter(r -> !sources.has(r)).findFirst().ifPresent(r -> {
        throw new IllegalStateException("the " + r.configName() + " realm is not configured");
      });
      return new RegistrySecurity(this);
    }
  }
}
