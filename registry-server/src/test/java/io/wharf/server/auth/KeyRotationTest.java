package io.wharf.server.auth;

import static io.wharf.server.auth.SecureServer.basic;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.SignedJWT;
import io.wharf.core.testing.MutableClock;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token signing keys rotate, on demand and on a schedule, on a real server with a clock the
 * test moves: tokens signed by the old key keep working until they expire, new ones name the new
 * key, the JWKS lists both, then (once no token of the old key can be valid) only the new one;
 * and a second node on the same storage verifies with every live key.
 */
class KeyRotationTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  WharfServer server;

  @BeforeEach
  void start() throws Exception {
    server = start(dir.resolve("data"));
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  WharfServer start(Path data) throws Exception {
    return WharfServer.start(ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores: {default: {type: file, path: DATA}}
        security:
          anonymous: false
          token: {expiry: 5m, refreshExpiry: 1d, rotateEvery: 30d}
          users: [{name: admin, passwordHash: "HASH", roles: [admins]}]
          roles: [{name: admins, privileges: ["*:admin"]}]
        repositories: [{name: hosted}]
        """.replace("DATA", data.toString()).replace("HASH", PasswordHashes.hash("admin-pw".toCharArray(), 4)),
        "keys.yaml"), clock);
  }

  static String token(WharfServer s) throws Exception {
    HttpResponse<String> r = send("GET", s.url() + "/v2/token?service=wharf&scope=repository:team/app:pull", null,
        "Authorization", basic("admin", "admin-pw"));
    assertThat(r.statusCode()).isEqualTo(200);
    return DockerTokenClient.json(r).path("token").asString();
  }

  static int pull(WharfServer s, String token) throws Exception {
    return send("GET", s.url() + "/v2/team/app/tags/list", null, "Authorization", "Bearer " + token).statusCode();
  }

  static String kid(String token) throws Exception {
    return SignedJWT.parse(token).getHeader().getKeyID();
  }

  static JWKSet jwks(WharfServer s) throws Exception {
    HttpResponse<String> r = send("GET", s.url() + "/.well-known/jwks.json", null);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/jwk-set+json");
    assertThat(r.body()).doesNotContain("\"d\""); // public halves only
    return JWKSet.parse(r.body());
  }

  static List<String> kids(WharfServer s) throws Exception {
    return jwks(s).getKeys().stream().map(k -> k.getKeyID()).toList();
  }

  String rotate() throws Exception {
    HttpResponse<String> r = send("POST", server.url() + "/wharf/api/v1/security/keys/rotate", null,
        "Authorization", basic("admin", "admin-pw"));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return DockerTokenClient.json(r).path("kid").asString();
  }

  @Test
  void rotation_oldTokensWorkUntilTheyExpire_jwksListsBothThenOnlyTheNewKey() throws Exception {
    String old = token(server);
    String oldKid = kid(old);
    assertThat(kids(server)).containsExactly(oldKid);
    // the JWKS verifies Wharf's tokens: what another service would do with it
    assertThat(SignedJWT.parse(old).verify(new ECDSAVerifier((ECKey) jwks(server).getKeyByKeyId(oldKid)))).isTrue();

    clock.advance(Duration.ofSeconds(1));
    String newKid = rotate();
    assertThat(newKid).isNotEqualTo(oldKid);
    String fresh = token(server);
    assertThat(kid(fresh)).isEqualTo(newKid);
    assertThat(kids(server)).containsExactly(oldKid, newKid);
    assertThat(pull(server, old)).isEqualTo(404); // allowed, nothing there
    assertThat(pull(server, fresh)).isEqualTo(404);
    HttpResponse<String> keys = send("GET", server.url() + "/wharf/api/v1/security/keys", null,
        "Authorization", basic("admin", "admin-pw"));
    assertThat(DockerTokenClient.json(keys).path(0).path("retiredAt").asString()).isEqualTo("2026-12-01T10:00:01Z");

    clock.advance(Duration.ofMinutes(5).plusSeconds(31)); // the old access token expired
    assertThat(pull(server, old)).isEqualTo(401);
    assertThat(kids(server)).containsExactly(oldKid, newKid); // a refresh token of the old key may still be valid

    clock.advance(Duration.ofDays(1)); // longer than any token's lifetime, and a key-set reload, and the skew
    assertThat(kids(server)).containsExactly(newKid);
    try (var files = Files.list(dir.resolve("data/docker/registry/v2/_wharf/token-keys"))) {
      assertThat(files.map(p -> p.getFileName().toString())).containsExactly(newKid + ".json");
    }
  }

  @Test
  void aKeyOlderThanRotateEvery_isReplacedWhenTheNextTokenIsSigned() throws Exception {
    String first = kid(token(server));
    clock.advance(Duration.ofDays(29));
    assertThat(kid(token(server))).isEqualTo(first);
    clock.advance(Duration.ofDays(1));
    String second = kid(token(server));
    assertThat(second).isNotEqualTo(first);
    assertThat(kids(server)).containsExactly(first, second);
  }

  @Test
  void nodesOnTheSameStorage_verifyWithEveryLiveKey_andASecondRotation() throws Exception {
    String old = token(server);
    try (WharfServer b = start(dir.resolve("data"))) {
      assertThat(kid(token(b))).isEqualTo(kid(old)); // one key set for both
      assertThat(pull(b, old)).isEqualTo(404);

      String newKid = rotate();
      String fromA = token(server);
      assertThat(kid(fromA)).isEqualTo(newKid);
      // b has not re-read the set yet: the unknown kid makes it do so
      assertThat(pull(b, fromA)).isEqualTo(404);
      assertThat(pull(b, old)).isEqualTo(404);
      clock.advance(Duration.ofMinutes(1)); // b's regular re-read: the newest key signs there too
      assertThat(kid(token(b))).isEqualTo(newKid);
      assertThat(kids(b)).containsExactly(kid(old), newKid);
    }
  }

  @Test
  void aPinnedKey_doesNotRotate() throws Exception {
    server.close();
    java.security.KeyPair pair = SecureServer.ecKey();
    Path pem = dir.resolve("pinned.pem");
    Files.writeString(pem, Pem.encode("PRIVATE KEY", pair.getPrivate().getEncoded())
        + Pem.encode("PUBLIC KEY", pair.getPublic().getEncoded()));
    server = WharfServer.start(ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores: {default: {type: file, path: DATA}}
        security:
          token: {signingKey: PEM}
          users: [{name: admin, passwordHash: "HASH", roles: [admins]}]
          roles: [{name: admins, privileges: ["*:admin"]}]
        repositories: [{name: hosted}]
        """.replace("DATA", dir.resolve("pinned").toString()).replace("PEM", pem.toString())
        .replace("HASH", PasswordHashes.hash("admin-pw".toCharArray(), 4)), "pinned.yaml"), clock);
    String kid = kid(token(server));
    HttpResponse<String> r = send("POST", server.url() + "/wharf/api/v1/security/keys/rotate", null,
        "Authorization", basic("admin", "admin-pw"));
    assertThat(r.statusCode()).isEqualTo(409);
    assertThat(r.body()).contains("security.token.signingKey");
    clock.advance(Duration.ofDays(400));
    assertThat(kid(token(server))).isEqualTo(kid);
    assertThat(kids(server)).containsExactly(kid);
  }
}
