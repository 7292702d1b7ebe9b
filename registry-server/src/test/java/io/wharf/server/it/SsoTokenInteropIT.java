package io.wharf.server.it;

import static io.wharf.server.it.OciLayouts.Compression.GZIP;
import static io.wharf.server.it.OciLayouts.Platform.LINUX_AMD64;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.auth.UiBrowser;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A person with no password, only an account at the company's OpenID Connect provider
 * (mock-oauth2-server in the test JVM), signs in to a secured {@code wharf.jar}'s web UI (the
 * browser's redirects followed by hand), makes a personal API token with that session, and skopeo
 * logs in with it as the password: push and pull where the provider's groups allow, 403 elsewhere.
 */
@Tag("interop")
class SsoTokenInteropIT {
  static final String ISSUER_ID = "corp";
  @TempDir static Path tmp;
  static MockOAuth2Server provider;
  static WharfProcess wharf;
  static Skopeo skopeo;

  @BeforeAll
  static void start() throws Exception {
    assertThat(Skopeo.isInstalled()).as("skopeo is missing: .ci/run installs it with apt-get").isTrue();
    provider = new MockOAuth2Server();
    provider.start(InetAddress.getByName("127.0.0.1"), 0);
    Path config = Files.writeString(tmp.resolve("wharf.yaml"), """
        security:
          realms: [docker-token, basic]
          anonymous: false
          users: [{name: admin, passwordHash: "HASH", roles: [admins]}]
          roles:
            - {name: admins, privileges: ["*:admin"]}
            - {name: team-a-push, privileges: ["team-a:read", "team-a:write"]}
          oidc: {issuer: "ISSUER", clientId: wharf-ui, clientSecret: s3cret, groupRoles: {devs-a: [team-a-push]}}
        repositories: [{name: team-a}, {name: team-b}]
        server: {defaultRepository: team-a}
        """.replace("HASH", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("ISSUER", provider.issuerUrl(ISSUER_ID).toString()));
    wharf = WharfProcess.serveConfig(config, tmp.resolve("data"), "128m");
    skopeo = new Skopeo(tmp.resolve("skopeo"));
  }

  @AfterAll
  static void stop() {
    if (wharf != null) {
      wharf.close();
    }
    if (provider != null) {
      provider.shutdown();
    }
  }

  @Test
  void skopeo_logsInWithTheApiTokenOfAnSsoUser() throws Exception {
    String base = wharf.url().replaceAll("/$", "");
    String secret = UiBrowser.ssoSignIn(base, provider, ISSUER_ID, "alice", List.of("devs-a")).makeApiToken("skopeo");

    Path auth = tmp.resolve("auth-alice.json");
    assertThat(new String(skopeo.run(List.of("login", "--tls-verify=false", "--authfile", auth.toString(),
        "-u", "alice", "-p", secret, wharf.hostPort())))).contains("Login Succeeded");
    OciLayouts src = OciLayouts.create(tmp.resolve("src"), 911);
    src.tag("1.0", src.image(LINUX_AMD64, GZIP, 1, 64 * 1024).manifest());
    skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/alice/app:1.0", "--dest-authfile", auth.toString());
    assertThat(skopeo.run(List.of("list-tags", "--tls-verify=false", "--authfile", auth.toString(),
        "docker://" + wharf.hostPort() + "/alice/app"))).asString().contains("1.0");
    skopeo.copy("docker://" + wharf.hostPort() + "/alice/app:1.0", "oci:" + tmp.resolve("back") + ":1.0",
        "--src-authfile", auth.toString());

    // the provider's groups gave nothing on team-b
    assertThatThrownBy(() -> skopeo.copy(src.ref("1.0"), "docker://" + wharf.hostPort() + "/team-b/alice/app:1.0",
        "--dest-authfile", auth.toString()))
        .isInstanceOf(Skopeo.SkopeoException.class).hasMessageContaining("403 (Forbidden)");
  }
}
