package io.wharf.server.auth;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSKeySelector;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jose.util.X509CertChainUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.net.URL;
import java.security.Key;
import java.security.cert.CertPathValidator;
import java.security.cert.CertificateFactory;
import java.security.cert.PKIXParameters;
import java.security.cert.TrustAnchor;
import java.security.cert.X509Certificate;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.text.ParseException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Date;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * Bearer tokens of an existing token server ({@code security.externalToken}, CNCF distribution's
 * {@code auth.token}), so Wharf can sit behind the token server a company already runs: its
 * challenges name that server's realm and service, and {@code /v2} accepts its tokens.
 *
 * <p>A token is accepted when it is signed (RS256/384/512 or ES256/384/512) by a key of the
 * server's JWKS document, or of the certificate bundle (directly, or through an {@code x5c}
 * chain that leads to one of the bundle's certificates), names {@link #issuer} as {@code iss} and
 * {@link #service} among its audiences, and is within its {@code nbf}/{@code exp} (30 seconds of
 * skew). What it grants is its distribution {@code access} claim, nothing more: the token server
 * decided who may what; Wharf's users and roles play no part.
 *
 * <p>Thread-safe. The JWKS document is cached and re-read when a token names a key it lacks.
 */
public final class ExternalTokens {
  private static final int CLOCK_SKEW_SECONDS = 30;
  private static final Set<JWSAlgorithm> RSA = Set.of(JWSAlgorithm.RS256, JWSAlgorithm.RS384, JWSAlgorithm.RS512);
  private static final Set<JWSAlgorithm> EC = Set.of(JWSAlgorithm.ES256, JWSAlgorithm.ES384, JWSAlgorithm.ES512);
  private static final int JWKS_TIMEOUT_MILLIS = 10_000;

  private final String realm;
  private final String service;
  private final String issuer;
  private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

  private ExternalTokens(String realm, String service, String issuer, JWSKeySelector<SecurityContext> keys,
      Clock clock) {
    this.realm = Objects.requireNonNull(realm, "realm");
    this.service = Objects.requireNonNull(service, "service");
    this.issuer = Objects.requireNonNull(issuer, "issuer");
    processor.setJWSKeySelector(keys);
    DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(service,
        new JWTClaimsSet.Builder().issuer(issuer).build(), Set.of("exp", "iss", "aud")) {
      @Override
      protected Date currentTime() {
        return Date.from(clock.instant());
      }
    };
    claims.setMaxClockSkew(CLOCK_SKEW_SECONDS);
    processor.setJWTClaimsSetVerifier(claims);
  }

  /**
   * Tokens whose keys the token server publishes at {@code jwks}.
   *
   * @param realm the token server's URL, named as {@code realm} in challenges
   * @param service the {@code service} of challenges and the audience tokens must name
   * @param issuer the {@code iss} the token server's tokens carry
   * @param jwks where the token server publishes its public keys (read on first use, then cached)
   * @param clock the clock expiries are checked by
   * @return the verifier
   */
  public static ExternalTokens withJwks(String realm, String service, String issuer, URL jwks, Clock clock) {
    JWKSource<SecurityContext> source = JWKSourceBuilder.<SecurityContext>create(jwks,
        new DefaultResourceRetriever(JWKS_TIMEOUT_MILLIS, JWKS_TIMEOUT_MILLIS, JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT))
        .build();
    Set<JWSAlgorithm> all = new HashSet<>(RSA);
    all.addAll(EC);
    return new ExternalTokens(realm, service, issuer, new JWSVerificationKeySelector<>(all, source), clock);
  }

  /**
   * Tokens signed by the keys of {@code roots} (distribution's {@code rootcertbundle}).
   *
   * @param realm the token server's URL, named as {@code realm} in challenges
   * @param service the {@code service} of challenges and the audience tokens must name
   * @param issuer the {@code iss} the token server's tokens carry
   * @param roots the certificates whose keys sign the tokens, or lead to the {@code x5c} chain that does
   * @param clock the clock expiries and certificate validity are checked by
   * @return the verifier
   * @throws IllegalArgumentException if {@code roots} is empty
   */
  public static ExternalTokens withCertificates(String realm, String service, String issuer,
      List<X509Certificate> roots, Clock clock) {
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("the certificate bundle holds no certificate");
    }
    List<X509Certificate> trusted = List.copyOf(roots);
    JWSKeySelector<SecurityContext> keys = (header, context) -> {
      JWSAlgorithm alg = header.getAlgorithm();
      if (!RSA.contains(alg) && !EC.contains(alg)) {
        return List.of();
      }
      if (header.getX509CertChain() != null && !header.getX509CertChain().isEmpty()) {
        X509Certificate leaf = validChain(header.getX509CertChain(), trusted, clock);
        return List.of(leaf.getPublicKey());
      }
      List<Key> out = new ArrayList<>();
      for (X509Certificate c : trusted) {
        if (RSA.contains(alg) && c.getPublicKey() instanceof RSAPublicKey
            || EC.contains(alg) && c.getPublicKey() instanceof ECPublicKey) {
          out.add(c.getPublicKey());
        }
      }
      return out;
    };
    return new ExternalTokens(realm, service, issuer, keys, clock);
  }

  /** The leaf of an {@code x5c} chain that leads to one of {@code roots}, checked as of the clock's time. */
  private static X509Certificate validChain(List<com.nimbusds.jose.util.Base64> x5c, List<X509Certificate> roots,
      Clock clock) throws KeySourceException {
    try {
      List<X509Certificate> chain = X509CertChainUtils.parse(x5c);
      Set<TrustAnchor> anchors = new HashSet<>();
      roots.forEach(r -> anchors.add(new TrustAnchor(r, null)));
      PKIXParameters params = new PKIXParameters(anchors);
      params.setRevocationEnabled(false);
      params.setDate(Date.from(clock.instant()));
      // a chain may end with the root itself; the validator wants it without
      List<X509Certificate> path = new ArrayList<>(chain);
      if (path.size() > 1 && roots.contains(path.get(path.size() - 1))) {
        path.remove(path.size() - 1);
      }
      CertPathValidator.getInstance("PKIX").validate(CertificateFactory.getInstance("X.509").generateCertPath(path),
          params);
      return chain.get(0);
    } catch (ParseException | java.security.GeneralSecurityException e) {
      throw new KeySourceException("the token's x5c chain does not lead to a certificate of the bundle: "
          + e.getMessage(), e);
    }
  }

  /**
   * The token server's URL: the {@code realm} of challenges.
   *
   * @return the realm URL
   */
  public String realm() {
    return realm;
  }

  /**
   * The {@code service} of challenges, and the audience tokens must name.
   *
   * @return the service name
   */
  public String service() {
    return service;
  }

  /**
   * The {@code iss} of the token server's tokens; Wharf's own must differ.
   *
   * @return the issuer
   */
  public String issuer() {
    return issuer;
  }

  /**
   * Whether {@code token} says it comes from the token server ({@code iss}, not yet verified): it
   * is then checked here, and only here; Wharf's own tokens are told apart by their issuer.
   */
  boolean claims(String token) {
    try {
      return issuer.equals(SignedJWT.parse(token).getJWTClaimsSet().getIssuer());
    } catch (ParseException e) {
      return false;
    }
  }

  /**
   * Checks a token of the token server: signature, algorithm, issuer, audience, time.
   *
   * @return its subject (null if it names none) and access; the access entries name no Wharf repository
   */
  TokenService.Verified verify(String token) throws TokenService.InvalidTokenException {
    JWTClaimsSet claims;
    try {
      claims = processor.process(SignedJWT.parse(token), null);
    } catch (ParseException e) {
      throw new TokenService.InvalidTokenException("malformed or unsigned token: " + e.getMessage());
    } catch (BadJOSEException e) {
      throw new TokenService.InvalidTokenException(e.getMessage());
    } catch (com.nimbusds.jose.JOSEException e) {
      throw new TokenService.InvalidTokenException("cannot verify the token: " + e.getMessage());
    }
    return new TokenService.Verified(claims.getSubject(), TokenService.access(claims),
        claims.getExpirationTime().toInstant());
  }
}
