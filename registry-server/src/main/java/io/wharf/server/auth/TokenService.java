package io.wharf.server.auth;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.factories.DefaultJWSSignerFactory;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
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
 * <p>Refresh tokens (the OAuth2 {@code refresh_token} grant of containerd and buildkit) are
 * JWTs of the same key with {@code "use":"refresh"} and a longer expiry; neither kind is accepted
 * as the other. Verified access tokens are remembered until they expire, so a pull of many blobs
 * verifies one signature. Thread-safe.
 */
public final class TokenService {
  private static final int MAX_REMEMBERED = 4096;
  private static final java.security.SecureRandom RANDOM = new java.security.SecureRandom();
  private static final int CLOCK_SKEW_SECONDS = 30;
  private static final String USE = "use";
  private static final String REFRESH = "refresh";

  /**
   * One entry of the {@code access} claim.
   *
   * @param repository the Wharf repository {@code name} was routed to
   */
  public record Access(String type, String name, List<String> actions, String repository) {
    public Access {
      actions = List.copyOf(actions);
    }

    /** {@code type:name:actions}, as in a scope. */
    public String scope() {
      return type + ":" + name + ":" + String.join(",", actions);
    }
  }

  /** A token that passed every check. {@code subject} is null for an anonymous token. */
  public record Verified(String subject, List<Access> access, Instant expiresAt) {
    /** Whether the token grants {@code action} (a Docker action name) on {@code type:name} in {@code repository}. */
    public boolean covers(String repository, String type, String name, String action) {
      for (Access a : access) {
        if (a.type().equals(type) && a.name().equals(name) && repository.equals(a.repository())
            && (a.actions().contains(action) || a.actions().contains("*"))) {
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

  private final SigningKey key;
  private final String issuer;
  private final String service;
  private final Duration expiry;
  private final Duration refreshExpiry;
  private final Clock clock;
  private final JWSSigner signer;
  private final DefaultJWTProcessor<SecurityContext> processor;
  private final Map<String, Verified> remembered = new ConcurrentHashMap<>();

  /**
   * @param service the audience of the tokens: the {@code service} of the challenge
   * @param expiry lifetime of access tokens (Docker's default is 5 minutes)
   * @param refreshExpiry lifetime of refresh tokens
   */
  public TokenService(SigningKey key, String issuer, String service, Duration expiry, Duration refreshExpiry,
      Clock clock) {
    this.key = Objects.requireNonNull(key, "key");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    this.service = Objects.requireNonNull(service, "service");
    this.expiry = Objects.requireNonNull(expiry, "expiry");
    this.refreshExpiry = Objects.requireNonNull(refreshExpiry, "refreshExpiry");
    this.clock = Objects.requireNonNull(clock, "clock");
    try {
      this.signer = new DefaultJWSSignerFactory().createJWSSigner(key.jwk(), key.algorithm());
    } catch (JOSEException e) {
      throw new IllegalArgumentException("cannot sign with " + key + ": " + e.getMessage(), e);
    }
    DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
    p.setJWSTypeVerifier(new DefaultJOSEObjectTypeVerifier<>(JOSEObjectType.JWT, null));
    // Only our algorithm with our public key: "alg":"none", HS256 and foreign keys all fail here.
    p.setJWSKeySelector(new JWSVerificationKeySelector<>(key.algorithm(),
        new ImmutableJWKSet<>(new JWKSet(key.jwk().toPublicJWK()))));
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

  public String service() {
    return service;
  }

  public String issuer() {
    return issuer;
  }

  public Duration expiry() {
    return expiry;
  }

  /** The signing key's algorithm and id, for status checks (never the key). */
  public String keyDescription() {
    return key.algorithm() + " key " + key.keyId();
  }

  /** A signed access token for {@code subject} (null: anonymous) granting {@code access}. */
  public Issued issue(String subject, List<Access> access) {
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
    return new Issued(sign(b.build()), now, expiry);
  }

  /** A refresh token for user {@code subject}. */
  public String issueRefresh(String subject) {
    Objects.requireNonNull(subject, "subject");
    return sign(base(subject, clock.instant(), refreshExpiry).claim(USE, REFRESH).build());
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
  public Verified verify(String token) throws InvalidTokenException {
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
    Verified v = new Verified(claims.getSubject(), access(claims), claims.getExpirationTime().toInstant());
    if (remembered.size() >= MAX_REMEMBERED) {
      remembered.clear();
    }
    remembered.put(token, v);
    return v;
  }

  /** Checks a refresh token; returns its user. */
  public String verifyRefresh(String token) throws InvalidTokenException {
    JWTClaimsSet claims = check(token);
    if (!REFRESH.equals(claims.getClaim(USE)) || claims.getSubject() == null) {
      throw new InvalidTokenException("not a refresh token");
    }
    return claims.getSubject();
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

  private static List<Access> access(JWTClaimsSet claims) throws InvalidTokenException {
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
