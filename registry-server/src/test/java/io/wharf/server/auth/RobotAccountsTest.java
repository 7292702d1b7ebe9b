package io.wharf.server.auth;

import static io.wharf.server.auth.SecureServer.basic;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.core.testing.MutableClock;
import io.wharf.server.WharfServer;
import io.wharf.server.config.ConfigLoader;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Robot accounts and personal API tokens on a real server over HTTP, with a clock the test
 * moves: scoped pushes, refusals outside the scope, revocation and expiry effective on the very
 * next request (bearer tokens issued before included), secrets shown once and kept only hashed,
 * API tokens as {@code docker login} passwords, and all of it across a restart and a second node.
 *
 * <pre>
 * users (password NAME-pw): admin (*:admin), dev (read, write, delete on docker-hosted), reader (read on docker-hosted)
 * repositories: docker-hosted (main port's default), other
 * </pre>
 */
class RobotAccountsTest {
  @TempDir Path dir;
  final MutableClock clock = new MutableClock(Instant.parse("2026-12-01T10:00:00Z"));
  WharfServer server;
  String main;

  @BeforeEach
  void start() throws Exception {
    server = start(dir.resolve("data"), "");
    main = server.url().toString();
  }

  @AfterEach
  void stop() throws Exception {
    server.close();
  }

  WharfServer start(Path data, String robots) throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false, defaultRepository: docker-hosted}
        blobStores: {default: {type: file, path: DATA}}
        security:
          realms: [docker-token, basic]
          anonymous: false
          ROBOTS
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
            - {name: dev, passwordHash: "DEV", roles: [hosted-all]}
            - {name: reader, passwordHash: "READER", roles: [hosted-read]}
          roles:
            - {name: admins, privileges: ["*:admin"]}
            - {name: hosted-all, privileges: ["docker-hosted:read", "docker-hosted:write", "docker-hosted:delete"]}
            - {name: hosted-read, privileges: ["docker-hosted:read"]}
        repositories: [{name: docker-hosted}, {name: other}]
        """
        .replace("DATA", data.toString())
        .replace("ROBOTS", robots)
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("DEV", PasswordHashes.hash("dev-pw".toCharArray(), 4))
        .replace("READER", PasswordHashes.hash("reader-pw".toCharArray(), 4));
    return WharfServer.start(ConfigLoader.parse(yaml, "robots.yaml"), clock);
  }

  // ---------------------------------------------------------------- helpers

  static HttpResponse<String> api(WharfServer s, String method, String path, String body, String user) throws Exception {
    return send(method, s.url() + "/wharf/api" + path, body == null ? null : body.getBytes(StandardCharsets.UTF_8),
        "Content-Type", body == null ? null : "application/json", "Authorization",
        user == null ? null : basic(user, user + "-pw"));
  }

  HttpResponse<String> api(String method, String path, String body, String user) throws Exception {
    return api(server, method, path, body, user);
  }

  /** Makes a robot account as admin; returns the create answer (with the secret). */
  JsonNode robot(String name, String scope, String expiresIn) throws Exception {
    HttpResponse<String> r = api("POST", "/v1/robots", "{\"name\":\"" + name + "\",\"description\":\"CI\",\"scope\":" + scope
        + (expiresIn == null ? "" : ",\"expiresIn\":\"" + expiresIn + "\"") + "}", "admin");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return DockerTokenClient.json(r);
  }

  static final String PUSH_TEAM = "[{\"repositories\":[\"docker-hosted\"],\"images\":[\"team/*\"],\"actions\":[\"pull\",\"push\"]}]";

  static int push(DockerTokenClient client, String base, String image) throws Exception {
    return client.push(base + "/v2/" + image, "1.0", SecureServer.Image.random()).statusCode();
  }

  // ---------------------------------------------------------------- robots

  @Test
  void robot_pushesInsideItsScope_isRefusedOutside() throws Exception {
    JsonNode made = robot("ci-builder", PUSH_TEAM, null);
    assertThat(made.path("name").asString()).isEqualTo("robot$ci-builder");
    assertThat(made.path("expires").asString()).isEqualTo("2026-12-31T10:00:00Z"); // the default: 30 days
    String secret = made.path("secret").asString();
    assertThat(secret).startsWith("wharf_robot_").hasSizeGreaterThan(40);

    DockerTokenClient robot = new DockerTokenClient("robot$ci-builder", secret);
    assertThat(robot.login(main).statusCode()).isEqualTo(200);
    assertThat(push(robot, main, "team/app")).isEqualTo(201);
    assertThat(robot.send("GET", main + "/v2/team/app/manifests/1.0", null).statusCode()).isEqualTo(200);

    HttpResponse<String> otherImage = robot.push(main + "/v2/elsewhere/app", "1.0", SecureServer.Image.random());
    assertThat(otherImage.statusCode()).isEqualTo(403);
    assertThat(DockerTokenClient.errorCode(otherImage)).isEqualTo("DENIED");
    assertThat(push(robot, main, "other/team/app")).isEqualTo(403); // repository other: outside the scope
    HttpResponse<String> delete = robot.send("DELETE", main + "/v2/team/app/manifests/1.0", null);
    assertThat(delete.statusCode()).isEqualTo(403); // no delete action
    // Basic credentials on every request (the basic realm) obey the same scope
    assertThat(send("GET", main + "/v2/team/app/manifests/1.0", null, "Authorization", basic("robot$ci-builder", secret))
        .statusCode()).isEqualTo(200);
    assertThat(send("GET", main + "/v2/_catalog", null, "Authorization", basic("robot$ci-builder", secret))
        .statusCode()).isEqualTo(403); // the catalog names every image: not for an image-scoped robot
    // a robot is no user: the management API does not take its secret
    assertThat(send("GET", main + "/wharf/api/v1/users/me/tokens", null, "Authorization",
        basic("robot$ci-builder", secret)).statusCode()).isEqualTo(401);
  }

  @Test
  void secret_isShownOnce_listedWithoutIt_storedOnlyHashed_andRegenerated() throws Exception {
    String secret = robot("lister", PUSH_TEAM, "7d").path("secret").asString();
    send("GET", main + "/v2/team/app/tags/list", null, "Authorization", basic("robot$lister", secret));

    HttpResponse<String> list = api("GET", "/v1/robots", null, "admin");
    HttpResponse<String> one = api("GET", "/v1/robots/lister", null, "admin");
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(list.body() + one.body()).doesNotContain(secret).doesNotContain("\"secret\"").doesNotContain("hash")
        .doesNotContain("salt");
    JsonNode robot = DockerTokenClient.json(one);
    assertThat(robot.path("name").asString()).isEqualTo("robot$lister");
    assertThat(robot.path("created").asString()).isEqualTo("2026-12-01T10:00:00Z");
    assertThat(robot.path("expires").asString()).isEqualTo("2026-12-08T10:00:00Z");
    assertThat(robot.path("lastUsed").asString()).isEqualTo("2026-12-01T10:00:00Z");
    assertThat(robot.path("lastUsedFrom").asString()).isEqualTo("127.0.0.1");
    assertThat(robot.path("scope").path(0).path("images").path(0).asString()).isEqualTo("team/*");
    Path stored = dir.resolve("data/docker/registry/v2/_wharf/settings/api-credentials.json");
    assertThat(Files.readString(stored)).contains("robot$lister").doesNotContain(secret);

    HttpResponse<String> regenerated = api("POST", "/v1/robots/robot$lister/secret", null, "admin");
    assertThat(regenerated.statusCode()).isEqualTo(200);
    String fresh = DockerTokenClient.json(regenerated).path("secret").asString();
    assertThat(fresh).isNotEqualTo(secret);
    assertThat(send("GET", main + "/v2/team/app/tags/list", null, "Authorization", basic("robot$lister", secret))
        .statusCode()).isEqualTo(401);
    assertThat(send("GET", main + "/v2/team/app/tags/list", null, "Authorization", basic("robot$lister", fresh))
        .statusCode()).isEqualTo(404); // allowed; nothing pushed yet
  }

  @Test
  void revokedRobot_isRefusedOnTheNextRequest_evenWithATokenIssuedBefore() throws Exception {
    String secret = robot("revoked", PUSH_TEAM, null).path("secret").asString();
    DockerTokenClient robot = new DockerTokenClient("robot$revoked", secret);
    assertThat(push(robot, main, "team/app")).isEqualTo(201);
    String token = robot.token();
    String tags = main + "/v2/team/app/tags/list";
    assertThat(send("GET", tags, null, "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);

    assertThat(api("PUT", "/v1/robots/revoked", "{\"disabled\":true}", "admin").statusCode()).isEqualTo(200);
    HttpResponse<String> refused = send("GET", tags, null, "Authorization", "Bearer " + token);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.body()).contains("disabled");
    assertThat(send("GET", tags, null, "Authorization", basic("robot$revoked", secret)).statusCode()).isEqualTo(401);
    assertThat(robot.fetchToken(main + "/v2/token", "wharf", java.util.List.of("repository:team/app:pull"))
        .statusCode()).isEqualTo(401);

    assertThat(api("PUT", "/v1/robots/revoked", "{\"disabled\":false}", "admin").statusCode()).isEqualTo(200);
    assertThat(send("GET", tags, null, "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);

    assertThat(api("DELETE", "/v1/robots/robot$revoked", null, "admin").statusCode()).isEqualTo(204);
    assertThat(send("GET", tags, null, "Authorization", "Bearer " + token).statusCode()).isEqualTo(401);
    assertThat(api("GET", "/v1/robots/revoked", null, "admin").statusCode()).isEqualTo(404);
  }

  @Test
  void expiredRobot_isRefusedOnTheNextRequest_evenWithATokenStillValid() throws Exception {
    String secret = robot("short", PUSH_TEAM, "2m").path("secret").asString();
    DockerTokenClient robot = new DockerTokenClient("robot$short", secret);
    assertThat(push(robot, main, "team/app")).isEqualTo(201);
    String token = robot.token(); // valid for 5 minutes
    String tags = main + "/v2/team/app/tags/list";

    clock.advance(Duration.ofSeconds(119));
    assertThat(send("GET", tags, null, "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);
    clock.advance(Duration.ofSeconds(1));
    HttpResponse<String> refused = send("GET", tags, null, "Authorization", "Bearer " + token);
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.body()).contains("expired");
    assertThat(send("GET", tags, null, "Authorization", basic("robot$short", secret)).statusCode()).isEqualTo(401);
  }

  @Test
  void badInput_andWhoMay() throws Exception {
    HttpResponse<String> never = api("POST", "/v1/robots",
        "{\"name\":\"forever\",\"scope\":" + PUSH_TEAM + ",\"expiresIn\":\"never\"}", "admin");
    assertThat(never.statusCode()).isEqualTo(400);
    assertThat(DockerTokenClient.json(never).path("fields").path(0).path("id").asString()).isEqualTo("expiresIn");

    HttpResponse<String> bad = api("POST", "/v1/robots",
        "{\"name\":\"Bad Name\",\"scope\":[{\"repositories\":[],\"actions\":[\"fly\"]}]}", "admin");
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(bad.body()).contains("\"name\"").contains("scope[0].repositories").contains("unknown action \\\"fly\\\"");
    assertThat(api("POST", "/v1/robots", "{\"name\":\"x\"}", "admin").body()).contains("\"scope\"");

    robot("taken", PUSH_TEAM, null);
    assertThat(api("POST", "/v1/robots", "{\"name\":\"robot$taken\",\"scope\":" + PUSH_TEAM + "}", "admin").statusCode())
        .isEqualTo(409);
    assertThat(api("GET", "/v1/robots", null, "dev").statusCode()).isEqualTo(403);
    assertThat(api("GET", "/v1/robots", null, null).statusCode()).isEqualTo(401);
    assertThat(api("POST", "/v1/robots/nobody/secret", null, "admin").statusCode()).isEqualTo(404);
    assertThat(send("GET", main + "/v2/", null, "Authorization", basic("robot$nobody", "wharf_robot_x")).statusCode())
        .isEqualTo(401);
  }

  @Test
  void neverExpiring_whenTheConfigAllowsIt() throws Exception {
    server.close();
    server = start(dir.resolve("data"), "robots: {allowNeverExpire: true, defaultExpiry: 90d}");
    main = server.url().toString();
    JsonNode made = robot("forever", PUSH_TEAM, "never");
    assertThat(made.path("expires").isNull()).isTrue();
    assertThat(robot("ninety", PUSH_TEAM, null).path("expires").asString()).isEqualTo("2027-03-01T10:00:00Z");
    clock.advance(Duration.ofDays(3650));
    assertThat(send("GET", main + "/v2/", null, "Authorization", basic("robot$forever", made.path("secret").asString()))
        .statusCode()).isEqualTo(200);
  }

  @Test
  void robots_surviveARestart_andWorkOnEveryNodeOfTheStorage() throws Exception {
    String secret = robot("shared", PUSH_TEAM, null).path("secret").asString();
    DockerTokenClient robot = new DockerTokenClient("robot$shared", secret);
    assertThat(push(robot, main, "team/app")).isEqualTo(201);
    String token = robot.token();
    String tags = "/v2/team/app/tags/list";

    try (WharfServer b = start(dir.resolve("data"), "")) {
      // made on the first node a moment ago: the second reads it when asked for it
      assertThat(send("GET", b.url() + tags, null, "Authorization", basic("robot$shared", secret)).statusCode())
          .isEqualTo(200);
      assertThat(send("GET", b.url() + tags, null, "Authorization", "Bearer " + token).statusCode()).isEqualTo(200);
      // revoked on the first node: the second re-reads within 5 s
      assertThat(api("PUT", "/v1/robots/shared", "{\"disabled\":true}", "admin").statusCode()).isEqualTo(200);
      clock.advance(Duration.ofSeconds(5));
      assertThat(send("GET", b.url() + tags, null, "Authorization", "Bearer " + token).statusCode()).isEqualTo(401);
      assertThat(api(b, "PUT", "/v1/robots/shared", "{\"disabled\":false}", "admin").statusCode()).isEqualTo(200);
    }

    server.close(); // writes the last uses
    server = start(dir.resolve("data"), "");
    main = server.url().toString();
    assertThat(send("GET", main + tags, null, "Authorization", basic("robot$shared", secret)).statusCode()).isEqualTo(200);
    JsonNode listed = DockerTokenClient.json(api("GET", "/v1/robots/shared", null, "admin"));
    assertThat(listed.path("lastUsed").asString()).startsWith("2026-12-01T10:00:0");
  }

  // ---------------------------------------------------------------- API tokens

  JsonNode token(String user, String body) throws Exception {
    HttpResponse<String> r = api("POST", "/v1/users/me/tokens", body, user);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return DockerTokenClient.json(r);
  }

  @Test
  void apiToken_isADockerLoginPassword_grantingAtMostItsUsersRights() throws Exception {
    JsonNode made = token("dev", "{\"name\":\"laptop\"}");
    String pat = made.path("secret").asString();
    assertThat(pat).startsWith("wharf_pat_" + made.path("id").asString() + "_");
    assertThat(made.path("expires").asString()).isEqualTo("2026-12-31T10:00:00Z");

    DockerTokenClient dev = new DockerTokenClient("dev", pat);
    assertThat(dev.login(main).statusCode()).isEqualTo(200);
    assertThat(push(dev, main, "team/app")).isEqualTo(201);
    assertThat(new DockerTokenClient("admin", pat).login(main).statusCode()).isEqualTo(401); // someone else's name
    // the management API takes passwords only
    assertThat(send("GET", main + "/wharf/api/v1/users/me/tokens", null, "Authorization", basic("dev", pat))
        .statusCode()).isEqualTo(401);

    // scoped: pull only
    String pullOnly = token("dev", "{\"name\":\"pull\",\"scope\":[{\"repositories\":[\"docker-hosted\"],"
        + "\"actions\":[\"pull\"]}],\"expiresIn\":\"1h\"}").path("secret").asString();
    DockerTokenClient puller = new DockerTokenClient("dev", pullOnly);
    assertThat(puller.send("GET", main + "/v2/team/app/manifests/1.0", null).statusCode()).isEqualTo(200);
    assertThat(push(puller, main, "team/app")).isEqualTo(403);
    // a scope wider than the user's rights grants no more than they hold
    String wide = token("reader", "{\"name\":\"wide\",\"scope\":[{\"repositories\":[\"*\"],"
        + "\"actions\":[\"pull\",\"push\",\"delete\"]}]}").path("secret").asString();
    DockerTokenClient reader = new DockerTokenClient("reader", wide);
    assertThat(reader.send("GET", main + "/v2/team/app/manifests/1.0", null).statusCode()).isEqualTo(200);
    assertThat(push(reader, main, "team/app")).isEqualTo(403);

    HttpResponse<String> mine = api("GET", "/v1/users/me/tokens", null, "dev");
    assertThat(mine.body()).contains("laptop").contains("pull").doesNotContain(pat).doesNotContain(pullOnly)
        .doesNotContain("\"secret\"");
    assertThat(DockerTokenClient.json(mine).path(0).path("lastUsedFrom").asString()).isEqualTo("127.0.0.1");
    assertThat(api("GET", "/v1/users/dev/tokens", null, "reader").statusCode()).isEqualTo(403);
    assertThat(api("GET", "/v1/users/dev/tokens", null, "admin").body()).contains("laptop");

    // revoked: the next request fails, with the token obtained before too
    String bearer = dev.token();
    assertThat(api("DELETE", "/v1/users/me/tokens/" + made.path("id").asString(), null, "dev").statusCode())
        .isEqualTo(204);
    assertThat(send("GET", main + "/v2/team/app/tags/list", null, "Authorization", "Bearer " + bearer).statusCode())
        .isEqualTo(401);
    assertThat(send("GET", main + "/v2/team/app/tags/list", null, "Authorization", basic("dev", pat)).statusCode())
        .isEqualTo(401);
    assertThat(api("DELETE", "/v1/users/me/tokens/" + made.path("id").asString(), null, "dev").statusCode())
        .isEqualTo(404);
  }

  @Test
  void expiredApiToken_isRefused() throws Exception {
    String pat = token("dev", "{\"name\":\"brief\",\"expiresIn\":\"1m\"}").path("secret").asString();
    assertThat(send("GET", main + "/v2/", null, "Authorization", basic("dev", pat)).statusCode()).isEqualTo(200);
    clock.advance(Duration.ofMinutes(1));
    assertThat(send("GET", main + "/v2/", null, "Authorization", basic("dev", pat)).statusCode()).isEqualTo(401);
    // the password still works
    assertThat(send("GET", main + "/v2/", null, "Authorization", basic("dev", "dev-pw")).statusCode()).isEqualTo(200);
  }
}
