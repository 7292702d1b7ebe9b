package io.wharf.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.factories.DefaultJWSSignerFactory;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.DefaultJOSEObjectTypeVerifier;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Issues and verifies the bearer tokens of the Docker token protocol: JWTs signed with the
 * {@link SigningKey} (ES256 or RS256), with issuer, audience (the service), subject (the user;
 * absent for anonymous), issue time, expiry and the Docker {@code access} claim:
 *
 * <pre>
 * {"iss":"wharf","aud":"wharf","sub":"ci","iat":…,"nbf":…,"exp":…,"jti":"…",
 *  "access":[{"type":"repository","name":"docker-hosted/team/app","actions":["pull","push"],
 *             "repository":"docker-hosted"}]}
 * </pre>
 *
 * Each access entry carries, besides the name the client asked for, the Wharf repository that
 * name was routed to when the token was issued; a token is good for that repository only, so a
 * token obtained on one port, host or base path opens nothing elsewhere.
 *
 * <p>A token obtained with a robot account's secret or a personal API token also names that
 * credential ({@code "cred":"robot:robot$ci"}, {@code "cred":"token:<id>"}), so each request
 * can check that it is still valid ({@link ApiCredentials}). A refresh token obtained with a
 * password names what that login stood on ({@code "login"}, {@link RegistrySecurity#loginStamp}:
 * a fingerprint of the password's hash), so a new password or a disabled user ends it.
 *
 * <p>The keys come from {@link TokenKeys}: the newest signs, every live one verifies (the JWT
 * header's {@code kid} names it), so keys rotate without logging anyone out.
 *
 * <p>Refresh tokens (the OAuth2 {@code refresh_token} grant of containerd and buildkit) are
 * JWTs of the same keys with {@code "use":"refresh"} and a longer expiry; neither kind is accepted
 * as the other. Verified access tokens are remembered until they expire, so a pull of many blobs
 * verifies one signature. Thread-safe.
 */
public final class TokenService {
  private static final int MAX_REMEMBERED = 4096;
  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
  private static final int CLOCK_SKEW_SECONDS = 30;
  private static final String USE = "use";
  private static final String REFRESH = "refresh";
  private static final String CREDENTIAL = "cred";
  private static final String LOGIN = "login";

  /**
   * One entry of the {@code access} claim.
   *
   * @param repository the Wharf repository {@code name} was routed to
   */
  public record Access(String type, String name, List<String> actions, String repository) {
    /**
     * Copies {@code actions}, so the entry cannot change.
     *
     * @param type the resource type, {@code repository} (or {@code registry} for the catalog)
     * @param name the image name as the client wrote it
     * @param actions the Docker actions granted: {@code pull}, {@code push}, {@code delete}, {@code *}
     * @param repository the Wharf repository {@code name} was routed to
     */
    public Access {
      actions = List.copyOf(actions);
    }

    /**
     * {@code type:name:actions}, as in a scope.
     *
     * @return the scope text, e.g. {@code repository:library/alpine:pull,push}
     */
    public String scope() {
      return type + ":" + name + ":" + String.join(",", actions);
    }
  }

  /**
   * A token that passed every check. {@code subject} is null for an anonymous token;
   * {@code credential} names the robot account or API token it was obtained with (null: a password);
   * {@code login} is what the password login stood on when the token was issued
   * ({@link RegistrySecurity#loginStamp}; null: none was recorded), so a changed password ends it.
   */
  public record Verified(String subject, List<Access> access, Instant expiresAt, String credential, String login) {
    Verified(String subject, List<Access> access, Instant expiresAt) {
      this(subject, access, expiresAt, null, null);
    }

    Verified(String subject, List<Access> access, Instant expiresAt, String credential) {
      this(subject, access, expiresAt, credential, null);
    }

    /** Whether the token grants {@code action} (a Docker action name) on {@code type:name} in {@code repository}. */
    boolean covers(String repository, String type, String name, String action) {
      for (Access a : access) {
        if (a.type().equals(type) && a.name().equals(name) && repository.equals(a.repository())
            && (a.actions().contains(action) || a.actions().contains("*"))) {
          return true;
        }
      }
      return false;
    }

    /**
     * Whether the token grants {@code action} on {@code type:name}, whatever repository the name
     * routes to: for tokens of an external token server, whose access names images only.
     */
    boolean coversName(String type, String name, String action) {
      for (Access a : access) {
        if (a.type().equals(type) && a.name().equals(name) && (a.actions().contains(action) || a.actions().contains("*"))) {
          return true;
        }
      }
      return false;
    }
  }

  /** An issued token and what the token endpoint says about it. */
  public record Issued(String token, Instant issuedAt, Duration expiresIn) {}

  /** The token failed a check; the message says which (never the token). */
  public static final class InvalidTokenException extends Exception {
    private static final long serialVersionUID = 1L;

    InvalidTokenException(String message) {
      super(message);
    }
  }

  private final TokenKeys keys;
  private final String issuer;
  private final String service;
  private final Duration expiry;
  private final Duration refreshExpiry;
  private final Clock clock;
  private final Map<String, JWSSigner> signers = new ConcurrentHashMap<>();
  private final DefaultJWTProcessor<SecurityContext> processor;
  private final Map<String, Verified> remembered = new ConcurrentHashMap<>();

  /**
   * A token service that signs with one fixed key, never rotated.
   *
   * @param key the one key that signs and verifies
   * @param issuer the {@code iss} of the tokens, checked on each
   * @param service the audience of the tokens: the {@code service} of the challenge
   * @param expiry lifetime of access tokens (Docker's default is 5 minutes)
   * @param refreshExpiry lifetime of refresh tokens
   * @param clock the clock of issue and expiry times
   */
  public TokenService(SigningKey key, String issuer, String service, Duration expiry, Duration refreshExpiry,
      Clock clock) {
    this(TokenKeys.pinned(Objects.requireNonNull(key, "key")), issuer, service, expiry, refreshExpiry, clock);
  }

  /**
   * A token service whose keys rotate (or not) as {@code keys} say.
   *
   * @param keys the key that signs and those that verify
   * @param issuer the {@code iss} of the tokens, checked on each
   * @param service the audience of the tokens: the {@code service} of the challenge
   * @param expiry lifetime of access tokens
   * @param refreshExpiry lifetime of refresh tokens
   * @param clock the clock of issue and expiry times
   */
  public TokenService(TokenKeys keys, String issuer, String service, Duration expiry, Duration refreshExpiry,
      Clock clock) {
    this.keys = Objects.requireNonNull(keys, "keys");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.service = Objects.requireNonNull(service, "service");
    this.expiry = Objects.requireNonNull(expiry, "expiry");
    this.refreshExpiry = Objects.requireNonNull(refreshExpiry, "refreshExpiry");
    this.clock = Objects.requireNonNull(clock, "clock");
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, null));
    // Only our algorithms with our live public keys: "alg":"none", HS256, foreign keys and
    // dropped keys all fail here. A kid this node has not seen yet (another node rotated) makes
    // it re-read the key set once.
    JWKSource<SecurityContext> live = (selector, context) -> {
      List<JWK> found = selector.select(keys.publicSet());
      if (found.isEmpty() && selector.getMatcher().getKeyIDs() != null) {
        selector.getMatcher().getKeyIDs().forEach(keys::unknownKey);
        found = selector.select(keys.publicSet());
      }
      return found;
    };
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.ES256, JWSAlgorithm.RS256), live));
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(service,
        new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp", "iat", "iss", "aud")) {
      @Override
      protected Date currentTime() {
        return Date.from(clock.instant());
      }
    };
    claims.setMaxClockSkew(CLOCK_SKEW_SECONDS);
    p.setJWTClaimsSetVerifier(claims);
    this.processor = p;
  }

  /**
   * The audience ({@code aud}) of the tokens, named as {@code service} in the challenges.
   *
   * @return the service name
   */
  public String service() {
    return service;
  }

  /**
   * The issuer ({@code iss}) of the tokens; an external token server's must differ.
   *
   * @return the issuer
   */
  public String issuer() {
    return issuer;
  }

  /**
   * How long an access token lives.
   *
   * @return the lifetime of access tokens
   */
  public Duration expiry() {
    return expiry;
  }

  /** The signing key's algorithm and id, for status checks (never the key). */
  String keyDescription() {
    SigningKey key = keys.signing();
    return key.algorithm() + " key " + key.keyId();
  }

  /**
   * The signing keys: the one that signs, those that verify, the JWKS.
   *
   * @return the keys
   */
  public TokenKeys keys() {
    return keys;
  }

  /** A signed access token for {@code subject} (null: anonymous) granting {@code access}. */
  Issued issue(String subject, List<Access> access) {
    return issue(subject, null, access);
  }

  /**
   * A signed access token for {@code subject} granting {@code access}, obtained with
   * {@code credential} (a robot account or API token, see {@link ApiCredentials}; null: a password).
   */
  Issued issue(String subject, String credential, List<Access> access) {
    Instant now = clock.instant();
    List<Map<String, Object>> claim = new ArrayList<>();
    for (Access a : access) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("type", a.type());
      m.put("name", a.name());
      m.put("actions", a.actions());
      m.put("repository", a.repository());
      claim.add(m);
    }
    JWTClaimsSet.Builder b = base(subject, now, expiry).claim("access", claim);
    if (credential != null) {
      b.claim(CREDENTIAL, credential);
    }
    return new Issued(sign(b.build()), now, expiry);
  }

  /** A refresh token for user {@code subject}. */
  String issueRefresh(String subject) {
    return issueRefresh(subject, null);
  }

  /** A refresh token for user {@code subject}, obtained with {@code credential} (null: a password). */
  String issueRefresh(String subject, String credential) {
    return issueRefresh(subject, credential, null);
  }

  /**
   * As {@link #issueRefresh(String, String)}, recording {@code login}: what the user's password
   * login stood on ({@link RegistrySecurity#loginStamp}), checked again on each use.
   */
  String issueRefresh(String subject, String credential, String login) {
    Objects.requireNonNull(subject, "subject");
    JWTClaimsSet.Builder b = base(subject, clock.instant(), refreshExpiry).claim(USE, REFRESH);
    if (credential != null) {
      b.claim(CREDENTIAL, credential);
    }
    if (login != null) {
      b.claim(LOGIN, login);
    }
    return sign(b.build());
  }

  private JWTClaimsSet.Builder base(String subject, Instant now, Duration lifetime) {
    byte[] id = new byte[16];
    RANDOM.nextBytes(id);
    return new JWTClaimsSet.Builder()
        .issuer(issuer)
        .audience(service)
        .subject(subject)
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plus(lifetime)))
        .jwtID(Base64.getUrlEncoder().withoutPadding().encodeToString(id));
  }

  private String sign(JWTClaimsSet claims) {
    SigningKey key = keys.signing();
    JWSSigner signer = signers.computeIfAbsent(key.keyId(), kid -> {
      try {
        return new DefaultJWSSignerFactory().createJWSSigner(key.jwk(), key.algorithm());
      } catch (JOSEException e) {
        throw new IllegalArgumentException("cannot sign with " + key + ": " + e.getMessage(), e);
      }
    });
    JWSHeader header = new JWSHeader.Builder(key.algorithm()).type(JOSEObjectType.JWT).keyID(key.keyId()).build();
    SignedJWT jwt = new SignedJWT(header, claims);
    try {
      jwt.sign(signer);
    } catch (JOSEException e) {
      throw new IllegalStateException("signing a token failed", e);
    }
    return jwt.serialize();
  }

  /** Checks an access token: signature, algorithm, issuer, audience, time; and that it is no refresh token. */
  Verified verify(String token) throws InvalidTokenException {
    Verified known = remembered.get(token);
    Instant now = clock.instant();
    if (known != null) {
      if (now.isBefore(known.expiresAt().plusSeconds(CLOCK_SKEW_SECONDS))) {
        return known;
      }
      remembered.remove(token);
    }
    JWTClaimsSet claims = check(token);
    if (REFRESH.equals(claims.getClaim(USE))) {
      throw new InvalidTokenException("a refresh token is no access token");
    }
    Verified v = new Verified(claims.getSubject(), access(claims), claims.getExpirationTime().toInstant(),
        string(claims, CREDENTIAL), string(claims, LOGIN));
    if (remembered.size() >= MAX_REMEMBERED) {
      remembered.clear();
    }
    remembered.put(token, v);
    return v;
  }

  /** Checks a refresh token; returns its user. */
  String verifyRefresh(String token) throws InvalidTokenException {
    return verifyRefreshToken(token).subject();
  }

  /** Checks a refresh token; returns its user and the credential it was obtained with. */
  Verified verifyRefreshToken(String token) throws InvalidTokenException {
    JWTClaimsSet claims = check(token);
    if (!REFRESH.equals(claims.getClaim(USE)) || claims.getSubject() == null) {
      throw new InvalidTokenException("not a refresh token");
    }
    return new Verified(claims.getSubject(), List.of(), claims.getExpirationTime().toInstant(),
        string(claims, CREDENTIAL), string(claims, LOGIN));
  }

  private static String string(JWTClaimsSet claims, String name) throws InvalidTokenException {
    Object c = claims.getClaim(name);
    if (c != null && !(c instanceof String)) {
      throw new InvalidTokenException("malformed " + name + " claim");
    }
    return (String) c;
  }

  private JWTClaimsSet check(String token) throws InvalidTokenException {
    try {
      return processor.process(SignedJWT.parse(token), null);
    } catch (ParseException e) {
      throw new InvalidTokenException("malformed or unsigned token: " + e.getMessage());
    } catch (BadJOSEException e) {
      throw new InvalidTokenException(e.getMessage());
    } catch (JOSEException e) {
      throw new InvalidTokenException("cannot verify the token: " + e.getMessage());
    }
  }

  /** The {@code access} claim (distribution's shape; {@code repository} is Wharf's own addition). */
  static List<Access> access(JWTClaimsSet claims) throws InvalidTokenException {
    Object claim = claims.getClaim("access");
    if (claim == null) {
      return List.of();
    }
    if (!(claim instanceof List<?> list)) {
      throw new InvalidTokenException("malformed access claim");
    }
    List<Access> out = new ArrayList<>();
    for (Object o : list) {
      if (!(o instanceof Map<?, ?> m) || !(m.get("type") instanceof String type) || !(m.get("name") instanceof String name)
          || !(m.get("actions") instanceof List<?> actions)) {
        throw new InvalidTokenException("malformed access claim");
      }
      List<String> names = new ArrayList<>();
      actions.forEach(a -> names.add(String.valueOf(a)));
      out.add(new Access(type, name, names, m.get("repository") instanceof String r ? r : null));
    }
    return List.copyOf(out);
  }
}
