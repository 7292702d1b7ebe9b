package io.wharf.server.auth.oidc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.wharf.core.testing.MutableClock;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The code flow with PKCE against a real OpenID Connect provider running in the test
 * (mock-oauth2-server on loopback): the browser's part is played by following the authorization
 * endpoint's redirect by hand. Every way an ID token or a callback can be wrong is refused.
 */
class OidcLoginTest {
  private static final String ISSUER_ID = "corp";
  private static final String CLIENT = "wharf-ui";
  /** The provider's answers may be slow on a busy machine; nothing here is about time. */
  private static final Duration PATIENT = Duration.ofMinutes(2);
  private static final URI CALLBACK = URI.create("http://127.0.0.1:5000/ui/login/sso/callback");

  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(PATIENT).build();
  private final MockOAuth2Server provider = new MockOAuth2Server();
  private final MutableClock clock = new MutableClock();
  private OidcSettings settings;

  @BeforeEach
  void start() throws Exception {
    provider.start(InetAddress.getByName("127.0.0.1"), 0);
    settings = new OidcSettings(URI.create(provider.issuerUrl(ISSUER_ID).toString()), CLIENT, "s3cret", null,
        "preferred_username", "groups", Map.of("registry-admins", List.of("admin"), "devs", List.of("developer")),
        List.of("reader"), null, null, PATIENT);
  }

  @AfterEach
  void stop() {
    provider.shutdown();
  }

  @Test
  void aSignInMapsTheUserAndTheirGroupsToRoles() throws Exception {
    OidcLogin login = new OidcLogin(OidcProvider.discover(settings, http), clock);
    signsInAs("alice", List.of("devs", "unmapped"));

    OidcLogin.Started started = login.begin(CALLBACK, "/ui/repositories");
    assertThat(started.authorizationUri().getRawQuery()).contains("code_challenge_method=S256",
        "client_id=" + CLIENT, "scope=openid+profile+email", "redirect_uri=http%3A%2F%2F127.0.0.1%3A5000%2Fui");
    URI back = followToCallback(started.authorizationUri());
    OidcLogin.Completed done = login.complete(param(back, "state"), param(back, "code"), param(back, "error"));

    assertThat(done.next()).isEqualTo("/ui/repositories");
    assertThat(done.identity().user()).isEqualTo("alice");
    assertThat(done.identity().groups()).containsExactly("devs", "unmapped");
    assertThat(done.identity().roles()).containsExactly("reader", "developer");
    assertThat(login.pending()).isZero();
  }

  @Test
  void theProviderSawThePkceVerifierAndTheClientSecret() throws Exception {
    OidcLogin login = new OidcLogin(OidcProvider.discover(settings, http), clock);
    signsInAs("alice", List.of());
    URI back = followToCallback(login.begin(CALLBACK, "/ui/").authorizationUri());
    login.complete(param(back, "state"), param(back, "code"), null);

    var requests = new java.util.ArrayList<okhttp3.mockwebserver.RecordedRequest>();
    for (int i = 0; i < 3; i++) { // discovery, authorization, token (the keys are read from the JWKS next)
      requests.add(provider.takeRequest(60, java.util.concurrent.TimeUnit.SECONDS));
    }
    var token = requests.stream().filter(x -> x.getPath().endsWith("/token")).findFirst().orElseThrow();
    assertThat(token.getBody().readUtf8()).contains("grant_type=authorization_code", "code_verifier=");
    assertThat(token.getHeader("Authorization")).startsWith("Basic ");
  }

  @Test
  void aReplayedCallbackIsRefused() throws Exception {
    OidcLogin login = new OidcLogin(OidcProvider.discover(settings, http), clock);
    signsInAs("alice", List.of());
    URI back = followToCallback(login.begin(CALLBACK, "/ui/").authorizationUri());
    login.complete(param(back, "state"), param(back, "code"), null);

    assertThatThrownBy(() -> login.complete(param(back, "state"), param(back, "code"), null))
        .isInstanceOf(OidcException.class).hasMessageContaining("unknown or was already used");
    assertThatThrownBy(() -> login.complete("made-up", "code", null))
        .isInstanceOf(OidcException.class).hasMessageContaining("unknown or was already used");
    assertThatThrownBy(() -> login.complete(null, "code", null)).isInstanceOf(OidcException.class);
  }

  @Test
  void aLoginThatTakesTooLongExpires() throws Exception {
    OidcLogin login = new OidcLogin(OidcProvider.discover(settings, http), clock);
    signsInAs("alice", List.of());
    URI back = followToCallback(login.begin(CALLBACK, "/ui/").authorizationUri());
    clock.advance(settings.loginTimeout().plusSeconds(1));

    assertThatThrownBy(() -> login.complete(param(back, "state"), param(back, "code"), null))
        .isInstanceOf(OidcException.class).hasMessageContaining("took too long");
  }

  @Test
  void aRefusalByTheProviderIsSaidPlainly() throws Exception {
    OidcLogin login = new OidcLogin(OidcProvider.discover(settings, http), clock);
    OidcLogin.Started started = login.begin(CALLBACK, "/ui/");

    assertThatThrownBy(() -> login.complete(started.state(), null, "access_denied"))
        .isInstanceOf(OidcException.class).hasMessageContaining("access_denied");
  }

  @Test
  void anIdTokenForAnotherClientIsRefused() throws Exception {
    OidcProvider p = OidcProvider.discover(settings, http);
    SignedJWT forAnother = provider.issueToken(ISSUER_ID, "bob", "another-app", Map.of("nonce", "n",
        "preferred_username", "bob"), 3600);

    assertThatThrownBy(() -> p.verifyIdToken(forAnother.serialize(), "n", clock.instant()))
        .isInstanceOf(OidcException.class).hasMessageContaining("not this client");
  }

  @Test
  void anExpiredIdTokenIsRefused() throws Exception {
    OidcLogin login = new OidcLogin(OidcProvider.discover(settings, http), clock);
    provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, "alice", JOSEObjectType.JWT.getType(),
        null, Map.of("preferred_username", "alice"), 60));
    OidcLogin.Started started = login.begin(CALLBACK, "/ui/");
    URI back = followToCallback(started.authorizationUri());
    // the browser came back in time, but the token's minute (plus the skew) is over when it is checked
    clock.advance(Duration.ofMinutes(3));

    assertThatThrownBy(() -> login.complete(param(back, "state"), param(back, "code"), null))
        .isInstanceOf(OidcException.class).hasMessageContaining("expired");
  }

  @Test
  void aForgedIdTokenIsRefused() throws Exception {
    OidcProvider p = OidcProvider.discover(settings, http);
    RSAKey forger = new RSAKeyGenerator(2048).keyID("forged").generate();
    JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(settings.issuer().toString()).audience(CLIENT)
        .subject("mallory").claim("preferred_username", "admin").claim("nonce", "n")
        .issueTime(Date.from(clock.instant())).expirationTime(Date.from(clock.instant().plusSeconds(300))).build();
    SignedJWT forged = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("forged").build(), claims);
    forged.sign(new RSASSASigner(forger));

    assertThatThrownBy(() -> p.verifyIdToken(forged.serialize(), "n", clock.instant()))
        .isInstanceOf(OidcException.class).hasMessageContaining("signature");
    // "alg":"none" with the same claims
    String unsigned = new com.nimbusds.jwt.PlainJWT(claims).serialize();
    assertThatThrownBy(() -> p.verifyIdToken(unsigned, "n", clock.instant())).isInstanceOf(OidcException.class);
  }

  @Test
  void aGenuineTokenWithTheWrongNonceOrIssuerIsRefused() throws Exception {
    OidcProvider p = OidcProvider.discover(settings, http);
    SignedJWT genuine = provider.issueToken(ISSUER_ID, "alice", CLIENT, Map.of("nonce", "theirs",
        "preferred_username", "alice"), 3600);
    assertThat(p.verifyIdToken(genuine.serialize(), "theirs", clock.instant()).getSubject()).isEqualTo("alice");
    assertThatThrownBy(() -> p.verifyIdToken(genuine.serialize(), "ours", clock.instant()))
        .isInstanceOf(OidcException.class).hasMessageContaining("nonce");

    // the same provider's key, but another issuer of it
    SignedJWT otherIssuer = provider.issueToken("other", "alice", CLIENT, Map.of("nonce", "n"), 3600);
    assertThatThrownBy(() -> p.verifyIdToken(otherIssuer.serialize(), "n", clock.instant()))
        .isInstanceOf(OidcException.class);
  }

  @Test
  void aDiscoveryDocumentNamingAnotherIssuerIsRefused() throws Exception {
    // a document that sends logins elsewhere (a misconfigured proxy, a hijacked path)
    com.sun.net.httpserver.HttpServer other = com.sun.net.httpserver.HttpServer.create(
        new java.net.InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
    byte[] doc = ("{\"issuer\":\"https://evil.example\",\"authorization_endpoint\":\"https://evil.example/auth\","
        + "\"token_endpoint\":\"https://evil.example/token\",\"jwks_uri\":\"https://evil.example/jwks\"}")
        .getBytes(java.nio.charset.StandardCharsets.UTF_8);
    other.createContext("/", x -> {
      x.getResponseHeaders().set("Content-Type", "application/json");
      x.sendResponseHeaders(200, doc.length);
      x.getResponseBody().write(doc);
      x.close();
    });
    other.start();
    try {
      URI issuer = URI.create("http://127.0.0.1:" + other.getAddress().getPort() + "/corp");
      OidcSettings there = new OidcSettings(issuer, CLIENT, null, null, null, null, null, null, null, null, PATIENT);

      assertThatThrownBy(() -> OidcProvider.discover(there, http))
          .isInstanceOf(OidcException.class).hasMessageContaining("names issuer \"https://evil.example\"");
    } finally {
      other.stop(0);
    }
  }

  @Test
  void withoutTheUsernameClaimNoOneIsSignedIn() throws Exception {
    OidcSettings byEmail = new OidcSettings(settings.issuer(), CLIENT, "s3cret", null, "email", null, null, null,
        null, null, PATIENT);
    OidcLogin login = new OidcLogin(OidcProvider.discover(byEmail, http), clock);
    signsInAs("alice", List.of());
    URI back = followToCallback(login.begin(CALLBACK, "/ui/").authorizationUri());

    assertThatThrownBy(() -> login.complete(param(back, "state"), param(back, "code"), null))
        .isInstanceOf(OidcException.class).hasMessageContaining("\"email\"");
  }

  @Test
  void theSecretIsNeverPrinted() {
    assertThat(settings.toString()).doesNotContain("s3cret").contains("***");
  }

  private void signsInAs(String user, List<String> groups) {
    provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, "sub-" + user, JOSEObjectType.JWT.getType(),
        null, Map.of("preferred_username", user, "groups", groups), 3600));
  }

  /** The browser's part: the provider signs the user in at once and redirects to the callback. */
  private URI followToCallback(URI authorization) throws Exception {
    HttpResponse<Void> r = http.send(HttpRequest.newBuilder(authorization).timeout(PATIENT).GET().build(),
        HttpResponse.BodyHandlers.discarding());
    assertThat(r.statusCode()).as("the authorization endpoint redirects back").isEqualTo(302);
    URI back = URI.create(r.headers().firstValue("Location").orElseThrow());
    assertThat(back.getPath()).isEqualTo(CALLBACK.getPath());
    return back;
  }

  private static String param(URI uri, String name) {
    if (uri.getRawQuery() == null) {
      return null;
    }
    for (String pair : uri.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      if (eq > 0 && pair.substring(0, eq).equals(name)) {
        return java.net.URLDecoder.decode(pair.substring(eq + 1), java.nio.charset.StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
