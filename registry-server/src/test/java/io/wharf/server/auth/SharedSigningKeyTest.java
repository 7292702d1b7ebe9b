package io.wharf.server.auth;

import static io.wharf.server.auth.SecureServer.basic;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The signing keys are made on first start and kept in the first blob store, so a restarted node,
 * or another node on the same storage, accepts the tokens; a node with other keys does not. A key
 * file of an older version is adopted as the first key.
 */
class SharedSigningKeyTest {
  @TempDir Path dir;

  WharfServer start(Path data) throws Exception {
    return WharfServer.start(ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores: {default: {type: file, path: DATA}}
        security:
          users: [{name: ci, passwordHash: "HASH", roles: [r]}]
          roles: [{name: r, privileges: ["hosted:read"]}]
        repositories: [{name: hosted}]
        """.replace("DATA", data.toString()).replace("HASH", PasswordHashes.hash("ci-pw".toCharArray(), 4)), "t.yaml"));
  }

  static String token(WharfServer server) throws Exception {
    HttpResponse<String> r = send("GET", server.url() + "/v2/token?service=wharf&scope=repository:team/app:pull", null,
        "Authorization", basic("ci", "ci-pw"));
    assertThat(r.statusCode()).isEqualTo(200);
    return DockerTokenClient.json(r).path("token").asString();
  }

  static int pull(WharfServer server, String token) throws Exception {
    return send("GET", server.url() + "/v2/team/app/tags/list", null, "Authorization", "Bearer " + token).statusCode();
  }

  @Test
  void nodesOnTheSameStorage_acceptEachOthersTokens_othersDoNot() throws Exception {
    Path shared = dir.resolve("shared");
    try (WharfServer a = start(shared); WharfServer b = start(shared); WharfServer other = start(dir.resolve("other"))) {
      String fromA = token(a);
      try (var keys = Files.list(shared.resolve("docker/registry/v2/_wharf/token-keys"))) {
        assertThat(keys).hasSize(1);
      }

      assertThat(pull(a, fromA)).isEqualTo(404); // allowed, nothing there
      assertThat(pull(b, fromA)).isEqualTo(404);
      assertThat(pull(other, fromA)).isEqualTo(401);
    }
  }

  @Test
  void theKeyFileOfAnOlderVersion_signsOn() throws Exception {
    Path data = dir.resolve("upgraded");
    SigningKey old = SigningKey.loadOrCreate(data.resolve(SigningKey.DEFAULT_FILE));
    try (WharfServer s = start(data)) {
      assertThat(com.nimbusds.jwt.SignedJWT.parse(token(s)).getHeader().getKeyID()).isEqualTo(old.keyId());
    }
  }
}
