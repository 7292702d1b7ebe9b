package io.wharf.server.auth;

import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigException;
import io.wharf.server.config.ConfigLoader;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPrivateKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.json.JsonMapper;

/**
 * Wharf behind an existing token server ({@code security.externalToken}, distribution's
 * {@code auth.token}): a token server runs in the test (JDK HTTP server on loopback; RS256 keys
 * published as a JWKS document, or ES256 keys of certificates made with openssl). Challenges send
 * clients to it; its tokens open exactly what their {@code access} claim says; a token of another
 * issuer, for another service, expired, badly signed or short of access is refused.
 */
class ExternalTokenTest {
  static final String ISSUER = "corp-token-server";
  static final String SERVICE = "registry.corp";
  static final JsonMapper JSON = JsonMapper.builder().build();

  @TempDir Path dir;
  TokenServer tokenServer;
  WharfServer wharf;
  String base;

  @AfterEach
  void stop() throws Exception {
    if (wharf != null) {
      wharf.close();
    }
    if (tokenServer != null) {
      tokenServer.close();
    }
  }

  void startWharf(String trust) throws Exception {
    wharf = WharfServer.start(ConfigLoader.parse(config(trust), "external.yaml"));
    base = wharf.url().toString().replaceAll("/$", "");
  }

  String config(String trust) {
    return """
        server: {bind: 127.0.0.1, port: 0, accessLog: false, defaultRepository: docker-hosted}
        blobStores: {default: {type: file, path: "DATA"}}
        security:
          realms: [docker-token]
          anonymous: false
          externalToken: {realm: "REALM", service: SERVICE, issuer: ISSUER, TRUST}
        repositories: [{name: docker-hosted}]
        """.replace("DATA", dir.resolve("data").toString())
        .replace("REALM", tokenServer == null ? "http://127.0.0.1:9/token" : tokenServer.url() + "/token")
        .replace("SERVICE", SERVICE).replace("ISSUER", ISSUER).replace("TRUST", trust);
  }

  // ---------------------------------------------------------------- JWKS

  @Test
  void jwks_theChallengeSendsClientsToTheTokenServer_whoseTokensPushAndPull() throws Exception {
    tokenServer = new TokenServer();
    startWharf("jwks: \"" + tokenServer.url() + "/jwks\"");

    HttpResponse<String> anonymous = send("GET", base + "/v2/team/app/tags/list", null);
    assertThat(anonymous.statusCode()).isEqualTo(401);
    assertThat(anonymous.headers().firstValue("WWW-Authenticate").orElseThrow()).isEqualTo("Bearer realm=\""
        + tokenServer.url() + "/token\",service=\"" + SERVICE + "\",scope=\"repository:team/app:pull\"");

    // docker's dance, against the token server the challenge names
    DockerTokenClient docker = new DockerTokenClient("ci", "ci-pw");
    assertThat(docker.login(base).statusCode()).isEqualTo(200);
    assertThat(RobotAccountsTest.push(docker, base, "team/app")).isEqualTo(201);
    assertThat(docker.send("GET", base + "/v2/team/app/manifests/1.0", null).statusCode()).isEqualTo(200);
    assertThat(docker.tokenRequests).allMatch(r -> r.startsWith(tokenServer.url() + "/token?service=" + SERVICE));
    // the token server grants nothing outside team/: Wharf sends the client back, which gets no better token
    HttpResponse<String> outside = docker.push(base + "/v2/other/app", "1.0", SecureServer.Image.random());
    assertThat(outside.statusCode()).isEqualTo(401);
    assertThat(outside.headers().firstValue("WWW-Authenticate").orElseThrow())
        .contains("realm=\"" + tokenServer.url() + "/token\"", "error=\"insufficient_scope\"");
  }

  @Test
  void jwks_refusesOtherIssuers_otherServices_expiredTokens_badSignatures_andMissingAccess() throws Exception {
    tokenServer = new TokenServer();
    startWharf("jwks: \"" + tokenServer.url() + "/jwks\"");
    String pull = "repository:team/app:pull";
    assertThat(get(tokenServer.token(claims(pull)))).isEqualTo(404); // allowed: nothing there yet

    assertRefused(tokenServer.token(claims(pull).issuer("someone-else").build()), "invalid_token");
    assertRefused(tokenServer.token(claims(pull).audience("another-registry").build()), "invalid_token");
    Instant past = Instant.now().minus(Duration.ofHours(2));
    assertRefused(tokenServer.token(claims(pull).issueTime(Date.from(past)).notBeforeTime(Date.from(past))
        .expirationTime(Date.from(past.plus(Duration.ofMinutes(5)))).build()), "invalid_token");
    // the token server's key id, another key's signature
    TokenServer impostor = new TokenServer();
    try {
      assertRefused(impostor.token(claims(pull)), "invalid_token");
    } finally {
      impostor.close();
    }
    String unsigned = tokenServer.token(claims(pull));
    assertRefused(unsigned.substring(0, unsigned.lastIndexOf('.') + 1), "invalid_token");
    // genuine, but for pull only, or for another image
    HttpResponse<String> push = send("POST", base + "/v2/team/app/blobs/uploads/", null, "Authorization",
        "Bearer " + tokenServer.token(claims(pull)));
    assertThat(push.statusCode()).isEqualTo(401);
    assertThat(DockerTokenClient.errorCode(push)).isEqualTo("UNAUTHORIZED");
    assertThat(push.headers().firstValue("WWW-Authenticate").orElseThrow())
        .contains("error=\"insufficient_scope\"", "scope=\"repository:team/app:pull,push\"");
    assertRefused(tokenServer.token(claims("repository:team/other:pull")), "insufficient_scope");
  }

  // ---------------------------------------------------------------- certificate bundle

  @Test
  void certificateBundle_acceptsTokensSignedByItsKeys_orWithAChainToIt() throws Exception {
    assumeTrue(TestCa.available(), "openssl makes the certificates");
    TestCa ca = TestCa.create(dir.resolve("ca"));
    KeyPair leafKey = Pem.keyPair(ca.dir().resolve("server.key"));
    JWSSigner signer = new ECDSASigner((ECPrivateKey) leafKey.getPrivate());
    String leafDer = java.util.Base64.getEncoder().encodeToString(
        Pem.certificates(ca.dir().resolve("leaf.crt")).get(0).getEncoded());

    // the bundle holds the CA only: a token must carry its chain (x5c) up to it
    startWharf("rootCertBundle: \"" + ca.caCertificate() + "\"");
    String pull = "repository:team/app:pull";
    JWSHeader withChain = new JWSHeader.Builder(JWSAlgorithm.ES256).type(JOSEObjectType.JWT)
        .x509CertChain(List.of(new Base64(leafDer))).build();
    assertThat(get(sign(withChain, claims(pull), signer))).isEqualTo(404);
    assertRefused(sign(new JWSHeader.Builder(JWSAlgorithm.ES256).build(), claims(pull), signer), "invalid_token");
    // a chain that does not lead to the bundle: a certificate of its own
    TestCa other = TestCa.create(dir.resolve("other-ca"));
    String otherDer = java.util.Base64.getEncoder().encodeToString(
        Pem.certificates(other.dir().resolve("leaf.crt")).get(0).getEncoded());
    JWSSigner otherSigner = new ECDSASigner((ECPrivateKey) Pem.keyPair(other.dir().resolve("server.key")).getPrivate());
    assertRefused(sign(new JWSHeader.Builder(JWSAlgorithm.ES256).x509CertChain(List.of(new Base64(otherDer))).build(),
        claims(pull), otherSigner), "invalid_token");
    wharf.close();

    // the bundle holds the signing certificate itself: no chain needed (as distribution with docker_auth)
    startWharf("rootCertBundle: \"" + ca.dir().resolve("leaf.crt") + "\"");
    assertThat(get(sign(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("any").build(), claims(pull), signer)))
        .isEqualTo(404);
    assertRefused(sign(new JWSHeader.Builder(JWSAlgorithm.ES256).build(), claims(pull), otherSigner), "invalid_token");
  }

  // ---------------------------------------------------------------- config

  @Test
  void config_namesWhatIsWrong() throws Exception {
    assertConfigError("jwks: \"http://127.0.0.1:9/jwks\", rootCertBundle: \"" + dir.resolve("none.pem") + "\"",
        "security.externalToken: give exactly one of rootCertBundle");
    assertConfigError("jwksUrl: \"http://127.0.0.1:9/jwks\"", "jwksUrl");
    assertConfigError("rootCertBundle: \"" + dir.resolve("none.pem") + "\"",
        "security.externalToken.rootCertBundle: no such file");
    assertConfigError("jwks: \"not a url\"", "security.externalToken.jwks");
    String sameIssuer = config("jwks: \"http://127.0.0.1:9/jwks\"").replace("issuer: " + ISSUER, "issuer: wharf");
    assertThatThrownBy(() -> WharfServer.start(ConfigLoader.parse(sameIssuer, "external.yaml")).close())
        .isInstanceOf(ConfigException.class).hasMessageContaining("security.externalToken.issuer");
  }

  void assertConfigError(String trust, String message) {
    assertThatThrownBy(() -> WharfServer.start(ConfigLoader.parse(config(trust), "external.yaml")).close())
        .isInstanceOf(ConfigException.class).hasMessageContaining(message);
  }

  // ---------------------------------------------------------------- helpers

  int get(String token) throws Exception {
    return send("GET", base + "/v2/team/app/tags/list", null, "Authorization", "Bearer " + token).statusCode();
  }

  void assertRefused(String token, String error) throws Exception {
    HttpResponse<String> r = send("GET", base + "/v2/team/app/tags/list", null, "Authorization", "Bearer " + token);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(401);
    assertThat(DockerTokenClient.errorCode(r)).isEqualTo("UNAUTHORIZED");
    assertThat(r.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"" + error + "\"");
  }

  /** A token's claims as the token server issues them, granting {@code scope} (type:name:actions). */
  static JWTClaimsSet.Builder claims(String scope) {
    String[] p = scope.split(":");
    Instant now = Instant.now();
    Map<String, Object> access = new LinkedHashMap<>();
    access.put("type", p[0]);
    access.put("name", p[1]);
    access.put("actions", List.of(p[2].split(",")));
    return new JWTClaimsSet.Builder().issuer(ISSUER).audience(SERVICE).subject("ci").issueTime(Date.from(now))
        .notBeforeTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofMinutes(5))))
        .jwtID(java.util.UUID.randomUUID().toString()).claim("access", List.of(access));
  }

  static String sign(JWSHeader header, JWTClaimsSet.Builder claims, JWSSigner signer) throws Exception {
    SignedJWT jwt = new SignedJWT(header, claims.build());
    jwt.sign(signer);
    return jwt.serialize();
  }

  /**
   * A token server: {@code /jwks} publishes its RS256 key, {@code /token} issues tokens as
   * docker asks for them ({@code ?service=&scope=} with Basic {@code ci:ci-pw}), granting what
   * is asked under {@code team/} and nothing elsewhere.
   */
  static final class TokenServer implements AutoCloseable {
    final RSAKey key;
    final HttpServer http;

    TokenServer() throws Exception {
      key = new RSAKeyGenerator(2048).keyID("token-server-1").generate();
      http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
      http.createContext("/jwks", ex -> answer(ex, 200, new JWKSet(key.toPublicJWK()).toString(true)));
      http.createContext("/token", this::issue);
      http.start();
    }

    String url() {
      return "http://127.0.0.1:" + http.getAddress().getPort();
    }

    String token(JWTClaimsSet.Builder claims) throws Exception {
      return token(claims.build());
    }

    String token(JWTClaimsSet claims) throws Exception {
      SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).type(JOSEObjectType.JWT)
          .keyID(key.getKeyID()).build(), claims);
      jwt.sign(new RSASSASigner(key));
      return jwt.serialize();
    }

    private void issue(HttpExchange ex) throws java.io.IOException {
      String expected = "Basic " + java.util.Base64.getEncoder().encodeToString("ci:ci-pw".getBytes(StandardCharsets.UTF_8));
      if (!expected.equals(ex.getRequestHeaders().getFirst("Authorization"))) {
        answer(ex, 401, "{\"details\":\"wrong credentials\"}");
        return;
      }
      List<Map<String, Object>> access = new ArrayList<>();
      String query = Objects.requireNonNullElse(ex.getRequestURI().getRawQuery(), "");
      for (String pair : query.split("&")) {
        if (!pair.startsWith("scope=")) {
          continue;
        }
        String[] p = URLDecoder.decode(pair.substring(6), StandardCharsets.UTF_8).split(":");
        if (p.length == 3 && p[1].startsWith("team/")) {
          access.add(Map.of("type", p[0], "name", p[1], "actions", List.of(p[2].split(","))));
        }
      }
      try {
        String token = token(claims("registry:catalog:*").claim("access", access));
        answer(ex, 200, JSON.writeValueAsString(Map.of("token", token, "expires_in", 300)));
      } catch (Exception e) {
        answer(ex, 500, "{\"details\":\"" + e.getMessage() + "\"}");
      }
    }

    private static void answer(HttpExchange ex, int status, String body) throws java.io.IOException {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", "application/json");
      ex.sendResponseHeaders(status, bytes.length);
      ex.getResponseBody().write(bytes);
      ex.close();
    }

    @Override
    public void close() {
      http.stop(0);
    }
  }
}
