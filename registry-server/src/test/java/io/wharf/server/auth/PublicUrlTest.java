package io.wharf.server.auth;

import static io.wharf.server.auth.DockerTokenClient.challenge;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** With {@code server.publicUrl}, the token realm of main-port requests is built from it. */
class PublicUrlTest {
  @TempDir static Path dir;
  static WharfServer server;

  @BeforeAll
  static void start() throws Exception {
    server = WharfServer.start(ConfigLoader.parse("""
        server: {bind: 127.0.0.1, port: 0, accessLog: false, publicUrl: "https://registry.example.com/", trustedProxies: [127.0.0.1]}
        blobStores: {default: {type: file, path: DATA}}
        security: {}
        repositories:
          - {name: hosted}
          - {name: claimed, hosts: [docker.sc.lan], http: {port: 0}}
        """.replace("DATA", dir.toString()), "t.yaml"));
  }

  @AfterAll
  static void stop() throws Exception {
    server.close();
  }

  static String realm(String url, String... headers) throws Exception {
    return challenge(send("GET", url, null, headers)).get("realm");
  }

  @Test
  void mainPort_usesThePublicUrl_withTheNexusBasePath() throws Exception {
    assertThat(realm(server.url() + "/v2/")).isEqualTo("https://registry.example.com/v2/token");
    assertThat(realm(server.url() + "/repository/claimed/v2/")).isEqualTo("https://registry.example.com/repository/claimed/v2/token");
  }

  @Test
  void aHostAClaimedRepository_keepsItsHostName() throws Exception {
    assertThat(realm(server.url() + "/v2/", "X-Forwarded-Host", "docker.sc.lan"))
        .isEqualTo("https://docker.sc.lan/v2/token");
  }

  @Test
  void aRepositoryPort_getsARealmOnItsOwnPort() throws Exception {
    assertThat(realm(server.url("claimed") + "/v2/")).isEqualTo(server.url("claimed") + "/v2/token");
  }
}
