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
 * The signing key is made on first start and kept in the default file blob store's directory, so
 * a restarted node, or another node on the same storage, accepts the tokens; a node with another
 * key does not.
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
      assertThat(Files.exists(shared.resolve("wharf/token-signing-key.pem"))).isTrue();
      String fromA = token(a);

      assertThat(pull(a, fromA)).isEqualTo(404); // allowed, nothing there
      assertThat(pull(b, fromA)).isEqualTo(404);
      assertThat(pull(other, fromA)).isEqualTo(401);
    }
  }
}
