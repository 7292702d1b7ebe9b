package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.testing.MutableClock;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.InetAddress;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A user who exists only at the company's OpenID Connect provider (mock-oauth2-server on
 * loopback) and has no password: signs in to the web UI (the browser's redirects followed by
 * hand), makes a personal API token through Wharf's API with that session, and uses it as the
 * {@code docker login} password on {@code /v2}. The token carries the roles of the user's latest
 * sign-in: it keeps working after the sign-in is long forgotten, and a new sign-in with other
 * groups changes what it may.
 */
class SsoApiTokenTest {
  static final String ISSUER_ID = "corp";

  @TempDir Path dir;
  final MockOAuth2Server provider = new MockOAuth2Server();
  /** The registry's clock (identities, tokens); the provider and the UI's sessions run on real time. */
  final MutableClock clock = new MutableClock();
  WharfServer wharf;
  String base;

  @BeforeEach
  void start() throws Exception {
    provider.start(InetAddress.getByName("127.0.0.1"), 0);
    wharf = WharfServer.start(ConfigLoader.parse(config(dir, provider), "sso.yaml"), clock);
    base = wharf.url().toString().replaceAll("/$", "");
  }

  /** Two repositories; the provider's group devs-a gives push to team-a; a local administrator. */
  static String config(Path dir, MockOAuth2Server provider) {
    return """
        server: {bind: 127.0.0.1, port: 0, accessLog: false, defaultRepository: team-a}
        blobStores:
          default: {type: file, path: "DATA"}
        security:
          realms: [docker-token, basic]
          anonymous: false
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: team-a-push, privileges: ["team-a:read", "team-a:write"]}
          oidc:
            issuer: "ISSUER"
            clientId: wharf-ui
            clientSecret: s3cret
            groupRoles: {devs-a: [team-a-push]}
        repositories:
          - {name: team-a, type: hosted}
          - {name: team-b, type: hosted}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("ISSUER", provider.issuerUrl(ISSUER_ID).toString());
  }

  @AfterEach
  void stop() throws Exception {
    if (wharf != null) {
      wharf.close();
    }
    provider.shutdown();
  }

  @Test
  void ssoUser_makesAnApiToken_withItsSession_andPushesWithIt() throws Exception {
    UiBrowser browser = signIn(base, provider, "alice", List.of("devs-a"));
    String csrf = browser.csrf("/ui/");

    // the session alone is not enough: a page of another site could send the cookie, not the header
    assertThat(browser.api("POST", "/v1/users/me/tokens", "{\"name\":\"laptop\"}", null).statusCode()).isEqualTo(401);
    HttpResponse<String> forged = browser.api("POST", "/v1/users/me/tokens", "{\"name\":\"laptop\"}", "not-the-token");
    assertThat(forged.statusCode()).as(forged.body()).isEqualTo(403);
    assertThat(forged.body()).contains("X-Wharf-CSRF");

    HttpResponse<String> made = browser.api("POST", "/v1/users/me/tokens", "{\"name\":\"laptop\"}", csrf);
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    String secret = DockerTokenClient.json(made).path("secret").asString();
    assertThat(secret).startsWith("wharf_pat_");
    HttpResponse<String> listed = browser.api("GET", "/v1/users/me/tokens", null, csrf);
    assertThat(listed.statusCode()).isEqualTo(200);
    assertThat(listed.body()).contains("laptop").doesNotContain(secret);

    DockerTokenClient docker = new DockerTokenClient("alice", secret);
    assertThat(docker.login(base).statusCode()).isEqualTo(200);
    assertThat(RobotAccountsTest.push(docker, base, "alice/app")).isEqualTo(201);
    assertThat(docker.send("GET", base + "/v2/alice/app/manifests/1.0", null).statusCode()).isEqualTo(200);
    HttpResponse<String> elsewhere = docker.push(base + "/v2/team-b/alice/app", "1.0", SecureServer.Image.random());
    assertThat(elsewhere.statusCode()).isEqualTo(403); // the groups gave nothing on team-b
    assertThat(DockerTokenClient.errorCode(elsewhere)).isEqualTo("DENIED");
    // Basic credentials on every request work the same
    assertThat(SecureServer.send("GET", base + "/v2/alice/app/tags/list", null, "Authorization",
        SecureServer.basic("alice", secret)).statusCode()).isEqualTo(200);
  }

  @Test
  void theToken_keepsTheRolesOfTheLatestSignIn_longAfterTheSignInIsForgotten() throws Exception {
    UiBrowser browser = signIn(base, provider, "bob", List.of("devs-a"));
    String secret = makeToken(browser);

    // a day later: the sign-in (12 hours at most) is long forgotten; the token still vouches for bob
    clock.advance(Duration.ofDays(1));
    DockerTokenClient docker = new DockerTokenClient("bob", secret);
    assertThat(RobotAccountsTest.push(docker, base, "bob/app")).isEqualTo(201);

    // bob signs in again, no longer in devs-a: his token loses what the group gave at once
    signIn(base, provider, "bob", List.of());
    HttpResponse<String> refused = SecureServer.send("GET", base + "/v2/bob/app/tags/list", null, "Authorization",
        SecureServer.basic("bob", secret));
    assertThat(refused.statusCode()).as(refused.body()).isEqualTo(403);
    assertThat(RobotAccountsTest.push(new DockerTokenClient("bob", secret), base, "bob/app")).isEqualTo(403);

    // and back in the group: the rights come back with the next sign-in
    signIn(base, provider, "bob", List.of("devs-a"));
    assertThat(RobotAccountsTest.push(new DockerTokenClient("bob", secret), base, "bob/app")).isEqualTo(201);
  }

  @Test
  void anSsoTokenIsNoPassword_forTheManagementApi_orTheLoginForm() throws Exception {
    String secret = makeToken(signIn(base, provider, "carol", List.of("devs-a")));
    assertThat(SecureServer.send("GET", base + "/wharf/api/v1/users/me/tokens", null, "Authorization",
        SecureServer.basic("carol", secret)).statusCode()).isEqualTo(401);
    assertThat(new UiBrowser(base).formLogin("carol", secret).statusCode()).isEqualTo(401);
  }

  // ---------------------------------------------------------------- helpers

  static String makeToken(UiBrowser browser) throws Exception {
    return browser.makeApiToken("ci");
  }

  static UiBrowser signIn(String base, MockOAuth2Server provider, String user, List<String> groups) throws Exception {
    return UiBrowser.ssoSignIn(base, provider, ISSUER_ID, user, groups);
  }
}
