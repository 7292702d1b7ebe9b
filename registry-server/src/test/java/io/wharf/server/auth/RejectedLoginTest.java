package io.wharf.server.auth;

import static io.wharf.server.auth.DockerTokenClient.challenge;
import static io.wharf.server.auth.DockerTokenClient.errorCode;
import static io.wharf.server.auth.SecureServer.basic;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way in that must fail, and how: forged, expired, foreign and tampered tokens, tokens that
 * do not cover the request, wrong passwords, unknown users, and a client locked out after
 * repeated failures. Tokens here are made by the test with nimbus directly, not by Wharf.
 */
class RejectedLoginTest {
  @TempDir static Path dir;
  static SecureServer s;
  static String pullUrl;

  @BeforeAll
  static void start() throws Exception {
    s = SecureServer.start(dir);
    pullUrl = s.main() + "/v2/team/app/tags/list";
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
  }

  /** Claims a Wharf token would have, for {@code ci} with pull and push on team/app in docker-hosted. */
  static JWTClaimsSet.Builder claims() {
    Instant now = Instant.now();
    return new JWTClaimsSet.Builder()
        .issuer(SecureServer.ISSUER)
        .audience(SecureServer.SERVICE)
        .subject("ci")
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(now.plusSeconds(300)))
        .claim("access", List.of(Map.of("type", "repository", "name", "team/app", "actions", List.of("pull", "push"),
            "repository", "docker-hosted")));
  }

  static String sign(JWTClaimsSet claims, KeyPair key) throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT).build(), claims);
    jwt.sign(new ECDSASigner((ECPrivateKey) key.getPrivate()));
    return jwt.serialize();
  }

  static HttpResponse<String> pull(String token) throws Exception {
    return send("GET", pullUrl, null, "Authorization", "Bearer " + token);
  }

  static void assertRefused401(HttpResponse<String> r) {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    assertThat(errorCode(r)).isEqualTo("UNAUTHORIZED");
    assertThat(challenge(r)).containsEntry("realm", s.main() + "/v2/token").containsEntry("error", "invalid_token")
        .containsEntry("scope", "repository:team/app:pull");
  }

  @Test
  void aTokenOfTheRightShape_signedWithOurKey_isAccepted() throws Exception {
    // the control for the tests below: only the one thing they change makes them fail
    assertThat(pull(sign(claims().build(), s.signingKey)).statusCode()).isEqualTo(404);
  }

  @Test
  void forgedToken_signedWithAnotherKey_is401() throws Exception {
    assertRefused401(pull(sign(claims().build(), SecureServer.ecKey())));
  }

  @Test
  void expiredToken_is401() throws Exception {
    Instant past = Instant.now().minusSeconds(600);
    assertRefused401(pull(sign(claims().issueTime(Date.from(past.minusSeconds(300)))
        .notBeforeTime(Date.from(past.minusSeconds(300))).expirationTime(Date.from(past)).build(), s.signingKey)));
  }

  @Test
  void tokenForAnotherService_is401() throws Exception {
    assertRefused401(pull(sign(claims().audience("some-other-registry").build(), s.signingKey)));
  }

  @Test
  void tokenOfAnotherIssuer_is401() throws Exception {
    assertRefused401(pull(sign(claims().issuer("someone-else").build(), s.signingKey)));
  }

  @Test
  void tamperedHeader_algNone_is401() throws Exception {
    String valid = sign(claims().build(), s.signingKey);
    String payload = valid.split("\\.")[1];
    String none = Base64.getUrlEncoder().withoutPadding()
        .encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));

    assertRefused401(pull(none + "." + payload + "."));
    assertRefused401(pull(none + "." + payload + "." + valid.split("\\.")[2]));
  }

  @Test
  void tamperedPayload_is401() throws Exception {
    String[] parts = sign(claims().build(), s.signingKey).split("\\.");
    String more = Base64.getUrlEncoder().withoutPadding().encodeToString(
        claims().subject("admin").build().toString().getBytes(StandardCharsets.UTF_8));
    assertRefused401(pull(parts[0] + "." + more + "." + parts[2]));
  }

  @Test
  void hmacTokenKeyedWithThePublicKey_is401() throws Exception {
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims().build());
    byte[] secret = java.util.Arrays.copyOf(s.signingKey.getPublic().getEncoded(), 64);
    jwt.sign(new MACSigner(secret));
    assertRefused401(pull(jwt.serialize()));
  }

  @Test
  void tokenWithoutTheRepositoryItWasIssuedFor_grantsNothing() throws Exception {
    String token = sign(claims().claim("access", List.of(Map.of("type", "repository", "name", "team/app",
        "actions", List.of("pull", "push")))).build(), s.signingKey);
    HttpResponse<String> r = pull(token);
    assertThat(r.statusCode()).isEqualTo(401); // ci may pull there: it is told to fetch a proper token
    assertThat(challenge(r)).containsEntry("error", "insufficient_scope");
  }

  @Test
  void tokenWhoseScopeDoesNotCoverTheRequest_isRefused() throws Exception {
    String pullOnlyForReader = sign(claims().subject("reader").claim("access", List.of(Map.of("type", "repository",
        "name", "team/app", "actions", List.of("pull"), "repository", "docker-hosted"))).build(), s.signingKey);

    // another image: reader may pull it, the token just does not say so: 401, fetch another token
    HttpResponse<String> other = send("GET", s.main() + "/v2/team/other/tags/list", null,
        "Authorization", "Bearer " + pullOnlyForReader);
    assertThat(other.statusCode()).isEqualTo(401);
    assertThat(challenge(other)).containsEntry("scope", "repository:team/other:pull")
        .containsEntry("error", "insufficient_scope");
    // push: reader may not, whatever the token: 403
    HttpResponse<String> push = send("POST", s.main() + "/v2/team/app/blobs/uploads/", null,
        "Authorization", "Bearer " + pullOnlyForReader);
    assertThat(push.statusCode()).isEqualTo(403);
    assertThat(errorCode(push)).isEqualTo("DENIED");
    // an anonymous token: 401 naming the scope
    String anonymous = sign(new JWTClaimsSet.Builder(claims().build()).subject(null)
        .claim("access", List.of()).build(), s.signingKey);
    HttpResponse<String> anon = send("POST", s.main() + "/v2/team/app/blobs/uploads/", null,
        "Authorization", "Bearer " + anonymous);
    assertThat(anon.statusCode()).isEqualTo(401);
    assertThat(challenge(anon)).containsEntry("scope", "repository:team/app:pull,push");
  }

  @Test
  void garbageToken_is401() throws Exception {
    assertRefused401(pull("not-a-jwt"));
    assertRefused401(pull(""));
  }

  @Test
  void wrongPassword_and_unknownUser_areTheSame401() throws Exception {
    HttpResponse<String> wrong = send("GET", s.main() + "/v2/token?service=wharf-test", null,
        "Authorization", basic("ci", "wrong"), "X-Forwarded-For", "198.51.100.10");
    HttpResponse<String> unknown = send("GET", s.main() + "/v2/token?service=wharf-test", null,
        "Authorization", basic("nobody", "whatever"), "X-Forwarded-For", "198.51.100.11");
    HttpResponse<String> wrongBasic = send("GET", pullUrl, null,
        "Authorization", basic("ci", "wrong"), "X-Forwarded-For", "198.51.100.12");
    HttpResponse<String> unknownBasic = send("GET", pullUrl, null,
        "Authorization", basic("nobody", "whatever"), "X-Forwarded-For", "198.51.100.13");

    for (HttpResponse<String> r : List.of(wrong, unknown, wrongBasic, unknownBasic)) {
      assertThat(r.statusCode()).isEqualTo(401);
      assertThat(errorCode(r)).isEqualTo("UNAUTHORIZED");
    }
    assertThat(wrong.body()).isEqualTo(unknown.body());
    assertThat(wrongBasic.body()).isEqualTo(unknownBasic.body());
    assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"wharf-test\"");
  }

  @Test
  void malformedBasicCredentials_are401() throws Exception {
    assertThat(send("GET", pullUrl, null, "Authorization", "Basic !!!").statusCode()).isEqualTo(401);
    assertThat(send("GET", pullUrl, null, "Authorization", "Basic " + Base64.getEncoder()
        .encodeToString("no-colon".getBytes(StandardCharsets.UTF_8))).statusCode()).isEqualTo(401);
    assertThat(send("GET", pullUrl, null, "Authorization", "Digest x").statusCode()).isEqualTo(401);
  }

  @Test
  void repeatedFailuresFromOneClient_lockItOut_with429() throws Exception {
    String from = "203.0.113.50";
    for (int i = 0; i < 3; i++) { // a different user name each time: the address is what gets locked
      assertThat(send("GET", s.main() + "/v2/", null, "Authorization", basic("guessed-" + i, "guess"),
          "X-Forwarded-For", from).statusCode()).isEqualTo(401);
    }

    HttpResponse<String> locked = send("GET", s.main() + "/v2/", null, "Authorization", basic("ci"),
        "X-Forwarded-For", from);
    HttpResponse<String> lockedToken = send("GET", s.main() + "/v2/token?service=wharf-test", null,
        "Authorization", basic("ci"), "X-Forwarded-For", from);

    assertThat(locked.statusCode()).as("even the right password, while locked").isEqualTo(429);
    assertThat(errorCode(locked)).isEqualTo("TOOMANYREQUESTS");
    assertThat(locked.headers().firstValue("Retry-After")).hasValueSatisfying(v ->
        assertThat(Integer.parseInt(v)).isBetween(1, 60));
    assertThat(lockedToken.statusCode()).isEqualTo(429);
    // other clients are not affected
    assertThat(send("GET", s.main() + "/v2/", null, "Authorization", basic("ci"), "X-Forwarded-For", "203.0.113.51")
        .statusCode()).isEqualTo(200);
  }

  @Test
  void repeatedFailuresForOneUser_lockTheUserOut_fromAnyAddress() throws Exception {
    for (int i = 0; i < 3; i++) {
      send("GET", s.main() + "/v2/", null, "Authorization", basic("victim", "guess" + i),
          "X-Forwarded-For", "203.0.113." + (60 + i));
    }

    HttpResponse<String> r = send("GET", s.main() + "/v2/", null, "Authorization", basic("victim"),
        "X-Forwarded-For", "203.0.113.70");
    assertThat(r.statusCode()).isEqualTo(429);
    assertThat(errorCode(r)).isEqualTo("TOOMANYREQUESTS");
  }
}
