package io.wharf.server.auth;

import static io.wharf.server.auth.SecureServer.basic;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a login opened ends when the login no longer stands, on a real server over HTTP: a new
 * password ends the user's web UI sessions and refresh tokens (they recorded a fingerprint of the
 * old password's hash) but keeps its personal API tokens, which are credentials of their own (as
 * Harbor and GitLab do), and lets bearer tokens live out their few minutes; disabling the user
 * ends all of it at once and revokes the API tokens for good.
 */
class LoginEndsTest {
  @TempDir Path dir;
  WharfServer wharf;
  String base;

  @BeforeEach
  void start() throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false, defaultRepository: docker-hosted}
        blobStores: {default: {type: file, path: "DATA"}}
        security:
          realms: [docker-token, basic]
          anonymous: false
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: hosted-all, privileges: ["docker-hosted:read", "docker-hosted:write"]}
        repositories: [{name: docker-hosted}]
        """.replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4));
    wharf = WharfServer.start(ConfigLoader.parse(yaml, "login-ends.yaml"));
    base = wharf.url().toString().replaceAll("/$", "");
  }

  @AfterEach
  void stop() throws Exception {
    wharf.close();
  }

  /** Everything a user can hold after logging in with a password. */
  record Held(UiBrowser ui, String csrf, String access, String refresh, String apiToken) {}

  @Test
  void aNewPassword_endsSessionsBearerAndRefreshTokens_butKeepsApiTokens() throws Exception {
    createUser("dev", "dev-pw-1");
    Held held = logIn("dev", "dev-pw-1");

    HttpResponse<String> changed = nexus("PUT", "/v1/security/users/dev/change-password", "dev-pw-2", "text/plain");
    assertThat(changed.statusCode()).as(changed.body()).isEqualTo(204);

    assertEnded(held, "password changed");
    // a bearer token (minutes long) lives out its life
    assertThat(send("GET", base + "/v2/", null, "Authorization", "Bearer " + held.access()).statusCode())
        .isEqualTo(200);
    // the API token is a credential of its own
    assertThat(send("GET", base + "/v2/", null, "Authorization", basic("dev", held.apiToken())).statusCode())
        .isEqualTo(200);
    assertThat(RobotAccountsTest.push(new DockerTokenClient("dev", held.apiToken()), base, "dev/app")).isEqualTo(201);
    // and the new password opens new ones
    Held again = logIn("dev", "dev-pw-2");
    assertThat(again.ui().hasSession()).isTrue();
  }

  @Test
  void disablingAUser_endsEverything_andRevokesItsApiTokens() throws Exception {
    createUser("ops", "ops-pw");
    Held held = logIn("ops", "ops-pw");

    HttpResponse<String> disabled = nexus("PUT", "/v1/security/users/ops", userBody("ops", "disabled"), "application/json");
    assertThat(disabled.statusCode()).as(disabled.body()).isEqualTo(204);

    assertEnded(held, "no longer exists or is disabled");
    HttpResponse<String> bearer = send("GET", base + "/v2/", null, "Authorization", "Bearer " + held.access());
    assertThat(bearer.statusCode()).isEqualTo(401);
    assertThat(DockerTokenClient.errorCode(bearer)).isEqualTo("UNAUTHORIZED");
    assertThat(bearer.body()).contains("no longer exists or is disabled");
    assertThat(bearer.headers().firstValue("WWW-Authenticate").orElseThrow()).contains("error=\"invalid_token\"");
    assertThat(send("GET", base + "/v2/", null, "Authorization", basic("ops", held.apiToken())).statusCode())
        .isEqualTo(401);
    HttpResponse<String> tokens = send("GET", base + "/wharf/api/v1/users/ops/tokens", null, "Authorization",
        basic("admin", "admin-pw"));
    assertThat(tokens.statusCode()).isEqualTo(200);
    assertThat(DockerTokenClient.json(tokens).size()).isZero();

    // enabled again: the password works, the revoked API token stays revoked
    assertThat(nexus("PUT", "/v1/security/users/ops", userBody("ops", "active"), "application/json").statusCode())
        .isEqualTo(204);
    assertThat(send("GET", base + "/v2/", null, "Authorization", basic("ops", "ops-pw")).statusCode()).isEqualTo(200);
    assertThat(send("GET", base + "/v2/", null, "Authorization", basic("ops", held.apiToken())).statusCode())
        .isEqualTo(401);
  }

  // ---------------------------------------------------------------- helpers

  /** A UI session, a bearer token and a refresh token (the OAuth2 password grant), an API token: each checked to work. */
  Held logIn(String user, String password) throws Exception {
    UiBrowser ui = new UiBrowser(base);
    HttpResponse<String> form = ui.formLogin(user, password);
    assertThat(form.statusCode()).as(form.body()).isEqualTo(303);
    String csrf = ui.csrf("/ui/");
    assertThat(ui.api("GET", "/v1/users/me/tokens", null, csrf).statusCode()).isEqualTo(200);

    HttpResponse<String> granted = tokenPost("grant_type=password&username=" + user + "&password=" + password
        + "&service=wharf&client_id=containerd&access_type=offline&scope="
        + URLEncoder.encode("repository:" + user + "/app:pull", StandardCharsets.UTF_8));
    assertThat(granted.statusCode()).as(granted.body()).isEqualTo(200);
    String access = DockerTokenClient.json(granted).path("access_token").asString();
    String refresh = DockerTokenClient.json(granted).path("refresh_token").asString();
    assertThat(send("GET", base + "/v2/", null, "Authorization", "Bearer " + access).statusCode()).isEqualTo(200);
    assertThat(tokenPost(refreshForm(refresh)).statusCode()).isEqualTo(200);

    HttpResponse<String> made = send("POST", base + "/wharf/api/v1/users/me/tokens",
        "{\"name\":\"ci\"}".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/json",
        "Authorization", basic(user, password));
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    return new Held(ui, csrf, access, refresh, DockerTokenClient.json(made).path("secret").asString());
  }

  /** The UI session and the refresh token of {@code held} are refused, the refresh saying {@code why}. */
  void assertEnded(Held held, String why) throws Exception {
    assertThat(held.ui().api("GET", "/v1/users/me/tokens", null, held.csrf()).statusCode()).isEqualTo(401);
    assertThat(held.ui().get(base + "/ui/").body()).doesNotContain("Logged in as");

    HttpResponse<String> refreshed = tokenPost(refreshForm(held.refresh()));
    assertThat(refreshed.statusCode()).isEqualTo(401);
    assertThat(refreshed.body()).contains(why);
  }

  HttpResponse<String> tokenPost(String form) throws Exception {
    return send("POST", base + "/v2/token", form.getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded");
  }

  static String refreshForm(String refresh) {
    return "grant_type=refresh_token&service=wharf&client_id=containerd&refresh_token=" + refresh;
  }

  void createUser(String id, String password) throws Exception {
    HttpResponse<String> r = nexus("POST", "/v1/security/users", "{\"userId\":\"" + id + "\",\"firstName\":\"F\","
        + "\"lastName\":\"L\",\"emailAddress\":\"" + id + "@example.com\",\"password\":\"" + password
        + "\",\"status\":\"active\",\"roles\":[\"hosted-all\"]}", "application/json");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
  }

  static String userBody(String id, String status) {
    return "{\"userId\":\"" + id + "\",\"firstName\":\"F\",\"lastName\":\"L\",\"emailAddress\":\"" + id
        + "@example.com\",\"status\":\"" + status + "\",\"roles\":[\"hosted-all\"]}";
  }

  HttpResponse<String> nexus(String method, String path, String body, String type) throws Exception {
    return send(method, base + "/service/rest" + path, body.getBytes(StandardCharsets.UTF_8), "Content-Type", type,
        "Authorization", basic("admin", "admin-pw"));
  }
}
