package io.wharf.server.auth.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * One OpenID Connect provider, found by discovery: where to send the browser
 * ({@code authorization_endpoint}), where to trade the code for tokens ({@code token_endpoint})
 * and the keys its ID tokens are signed with ({@code jwks_uri}, cached and refreshed when a token
 * names a key id not yet seen, so the provider may rotate its keys).
 *
 * <p>Only the authorization code flow with PKCE ({@code S256}); ID tokens are accepted only when
 * signed with an asymmetric algorithm the provider announces (never {@code none}, never HMAC with
 * the client secret), by the configured issuer, for this client, unexpired, with the nonce of the
 * login that asked for them. Thread-safe.
 */
public final class OidcProvider {
  private static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final Set<JWSAlgorithm> ASYMMETRIC = new HashSet<>();

  static {
    ASYMMETRIC.addAll(JWSAlgorithm.Family.RSA);
    ASYMMETRIC.addAll(JWSAlgorithm.Family.EC);
    ASYMMETRIC.addAll(JWSAlgorithm.Family.ED);
  }

  private final OidcSettings settings;
  private final HttpClient http;
  private final URI authorizationEndpoint;
  private final URI tokenEndpoint;
  private final DefaultJWTProcessor<SecurityContext> signatures;

  private OidcProvider(OidcSettings settings, HttpClient http, URI authorizationEndpoint, URI tokenEndpoint,
      URI jwksUri, Set<JWSAlgorithm> algorithms) throws MalformedURLException {
    this.settings = settings;
    this.http = http;
    this.authorizationEndpoint = authorizationEndpoint;
    this.tokenEndpoint = tokenEndpoint;
    int millis = (int) Math.min(Integer.MAX_VALUE, settings.requestTimeout().toMillis());
    JWKSource<SecurityContext> keys = JWKSourceBuilder.<SecurityContext>create(jwksUri.toURL(),
        new DefaultResourceRetriever(millis, millis, JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT)).build();
    this.signatures = new DefaultJWTProcessor<>();
    signatures.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, keys));
    // the claims are checked below against our own clock: the library's check reads the system clock
    signatures.setJWTClaimsSetVerifier(null);
  }

  /**
   * Reads the provider's discovery document. Its {@code issuer} must be exactly the configured
   * one (OpenID Connect Discovery, section 4.3), so a document served elsewhere cannot redirect
   * logins to another issuer.
   *
   * @throws OidcException when the document cannot be read or lacks what the code flow needs
   * @param settings the provider and this client's registration
   * @param http the client that reads the document, the keys and the token endpoint
   * @return the provider
   */
  public static OidcProvider discover(OidcSettings settings, HttpClient http) throws OidcException {
    String issuer = stripSlash(settings.issuer().toString());
    URI where = URI.create(issuer + "/.well-known/openid-configuration");
    JsonNode doc;
    try {
      HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(where).timeout(settings.requestTimeout())
          .header("Accept", "application/json").GET().build(), HttpResponse.BodyHandlers.ofByteArray());
      if (r.statusCode() != 200) {
        throw new OidcException("the provider's discovery document " + where + " answered " + r.statusCode());
      }
      doc = JSON.readTree(r.body());
    } catch (IOException | JacksonException e) {
      throw new OidcException("cannot read the provider's discovery document " + where + ": " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OidcException("interrupted while reading " + where, e);
    }
    if (!issuer.equals(stripSlash(doc.path("issuer").asString("")))) {
      throw new OidcException("the discovery document at " + where + " names issuer \""
          + doc.path("issuer").asString("") + "\", not the configured " + issuer);
    }
    Set<JWSAlgorithm> algorithms = new HashSet<>();
    JsonNode announced = doc.path("id_token_signing_alg_values_supported");
    for (JsonNode a : announced) {
      JWSAlgorithm alg = JWSAlgorithm.parse(a.asString(""));
      if (ASYMMETRIC.contains(alg)) {
        algorithms.add(alg);
      }
    }
    if (announced.isMissingNode() || announced.isEmpty()) {
      algorithms.add(JWSAlgorithm.RS256); // the one every provider must support (OIDC Core 15.1)
    }
    if (algorithms.isEmpty()) {
      throw new OidcException("the provider announces no asymmetric ID token signature algorithm: " + announced);
    }
    try {
      return new OidcProvider(settings, http, endpoint(doc, "authorization_endpoint", where),
          endpoint(doc, "token_endpoint", where), endpoint(doc, "jwks_uri", where), algorithms);
    } catch (MalformedURLException e) {
      throw new OidcException("the provider's jwks_uri is not a URL: " + e.getMessage(), e);
    }
  }

  /**
   * What the provider was discovered with.
   *
   * @return the settings
   */
  public OidcSettings settings() {
    return settings;
  }

  /** Where to send the browser to sign in; the answer comes back to {@code redirectUri}. */
  URI authorizationUri(URI redirectUri, String state, String nonce, String codeChallenge) {
    Map<String, String> q = new LinkedHashMap<>();
    q.put("response_type", "code");
    q.put("client_id", settings.clientId());
    q.put("redirect_uri", redirectUri.toString());
    q.put("scope", String.join(" ", settings.scopes()));
    q.put("state", state);
    q.put("nonce", nonce);
    q.put("code_challenge", codeChallenge);
    q.put("code_challenge_method", "S256");
    String sep = authorizationEndpoint.getRawQuery() == null ? "?" : "&";
    return URI.create(authorizationEndpoint + sep + form(q));
  }

  /**
   * Trades an authorization code for the provider's tokens and returns the ID token (compact JWT),
   * unverified.
   */
  String exchange(String code, String codeVerifier, URI redirectUri) throws OidcException {
    Map<String, String> body = new LinkedHashMap<>();
    body.put("grant_type", "authorization_code");
    body.put("code", code);
    body.put("redirect_uri", redirectUri.toString());
    body.put("code_verifier", codeVerifier);
    HttpRequest.Builder b = HttpRequest.newBuilder(tokenEndpoint).timeout(settings.requestTimeout())
        .header("Content-Type", "application/x-www-form-urlencoded").header("Accept", "application/json");
    if (settings.clientSecret() == null) {
      body.put("client_id", settings.clientId());
    } else { // client_secret_basic: both parts form-encoded first (RFC 6749, section 2.3.1)
      String basic = enc(settings.clientId()) + ":" + enc(settings.clientSecret());
      b.header("Authorization", "Basic " + Base64.getEncoder().encodeToString(basic.getBytes(StandardCharsets.UTF_8)));
    }
    JsonNode answer;
    int status;
    try {
      HttpResponse<byte[]> r = http.send(b.POST(HttpRequest.BodyPublishers.ofString(form(body))).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      status = r.statusCode();
      answer = JSON.readTree(r.body());
    } catch (IOException | JacksonException e) {
      throw new OidcException("the provider's token endpoint could not be reached or answered garbage", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new OidcException("interrupted while asking the provider for tokens", e);
    }
    if (status != 200) {
      throw new OidcException("the provider refused the sign-in (" + status + " "
          + answer.path("error").asString("no error code") + ")");
    }
    String idToken = answer.path("id_token").asString("");
    if (idToken.isEmpty()) {
      throw new OidcException("the provider's token answer has no ID token (is the scope \"openid\" allowed for this client?)");
    }
    return idToken;
  }

  /**
   * The claims of an ID token, after checking its signature against the provider's keys and its
   * claims against the settings: {@code iss} the issuer, {@code aud} holding this client (and
   * {@code azp} this client when there are several audiences), {@code exp} in the future and
   * {@code iat} not in the future (both within the clock skew), {@code nonce} the login's.
   */
  JWTClaimsSet verifyIdToken(String idToken, String nonce, Instant now) throws OidcException {
    JWTClaimsSet claims;
    try {
      claims = signatures.process(idToken, null);
    } catch (ParseException e) {
      throw new OidcException("the ID token is not a signed JWT", e);
    } catch (BadJOSEException | JOSEException e) {
      throw new OidcException("the ID token's signature does not verify with the provider's keys", e);
    }
    String issuer = stripSlash(settings.issuer().toString());
    if (claims.getIssuer() == null || !issuer.equals(stripSlash(claims.getIssuer()))) {
      throw new OidcException("the ID token was issued by \"" + claims.getIssuer() + "\", not " + issuer);
    }
    List<String> audience = claims.getAudience();
    if (!audience.contains(settings.clientId())) {
      throw new OidcException("the ID token is for " + audience + ", not this client (" + settings.clientId() + ")");
    }
    Object azp = claims.getClaim("azp");
    if (audience.size() > 1 && azp != null && !settings.clientId().equals(azp)) {
      throw new OidcException("the ID token was requested by another client (azp " + azp + ")");
    }
    long skew = settings.clockSkew().toMillis();
    Date exp = claims.getExpirationTime();
    if (exp == null || exp.getTime() + skew < now.toEpochMilli()) {
      throw new OidcException("the ID token has expired");
    }
    Date iat = claims.getIssueTime();
    if (iat == null || iat.getTime() - skew > now.toEpochMilli()) {
      throw new OidcException("the ID token is issued in the future (check the clocks)");
    }
    Date nbf = claims.getNotBeforeTime();
    if (nbf != null && nbf.getTime() - skew > now.toEpochMilli()) {
      throw new OidcException("the ID token is not valid yet");
    }
    Object tokenNonce = claims.getClaim("nonce");
    if (nonce == null || !nonce.equals(tokenNonce)) {
      throw new OidcException("the ID token does not belong to this sign-in (nonce mismatch)");
    }
    if (claims.getSubject() == null || claims.getSubject().isEmpty()) {
      throw new OidcException("the ID token has no subject");
    }
    return claims;
  }

  private static URI endpoint(JsonNode doc, String field, URI where) throws OidcException {
    String value = doc.path(field).asString("");
    if (value.isEmpty()) {
      throw new OidcException("the discovery document at " + where + " has no " + field);
    }
    try {
      URI u = URI.create(value);
      if (!"https".equals(u.getScheme()) && !"http".equals(u.getScheme())) {
        throw new OidcException(field + " is not an http(s) URL: " + value);
      }
      return u;
    } catch (IllegalArgumentException e) {
      throw new OidcException(field + " is not a URL: " + value, e);
    }
  }

  private static String form(Map<String, String> fields) {
    return fields.entrySet().stream().map(e -> enc(e.getKey()) + "=" + enc(e.getValue()))
        .collect(Collectors.joining("&"));
  }

  private static String enc(String s) {
    return URLEncoder.encode(Objects.requireNonNull(s), StandardCharsets.UTF_8);
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") ? s.substring(0, s.length() - 1) : s;
  }
}
