package io.wharf.server.auth;

import static io.wharf.server.auth.DockerTokenClient.challenge;
import static io.wharf.server.auth.DockerTokenClient.errorCode;
import static io.wharf.server.auth.SecureServer.basic;
import static io.wharf.server.auth.SecureServer.send;
import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.wharf.core.model.MediaTypes;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Login and access over real HTTP, as the clients do it: the Docker token dance with a raw
 * {@code java.net.http} client, Basic credentials, anonymous pull, and a user confined to one
 * repository trying every route to another.
 */
class SecurityHttpTest {
  @TempDir static Path dir;
  static SecureServer s;
  static final Captured LOGS = new Captured();

  /** Every log event, from any thread. */
  static final class Captured extends AppenderBase<ILoggingEvent> {
    final List<ILoggingEvent> list = new CopyOnWriteArrayList<>();

    @Override
    protected void append(ILoggingEvent e) {
      list.add(e);
    }
  }

  @BeforeAll
  static void start() throws Exception {
    LOGS.start();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(LOGS);
    s = SecureServer.start(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    s.close();
    ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(LOGS);
  }

  // ---------------------------------------------------------------- /v2/ and the challenge

  @Test
  void base_withoutCredentials_is401WithBearerChallenge() throws Exception {
    HttpResponse<String> r = send("GET", s.main() + "/v2/", null);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(errorCode(r)).isEqualTo("UNAUTHORIZED");
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue(
        "Bearer realm=\"" + s.main() + "/v2/token\",service=\"" + SecureServer.SERVICE + "\"");
    assertThat(r.headers().firstValue("Docker-Distribution-API-Version")).hasValue("registry/2.0");
  }

  @Test
  void base_withBasicCredentials_is200_andWrongOnesAre401() throws Exception {
    assertThat(send("GET", s.main() + "/v2/", null, "Authorization", basic("ci")).statusCode()).isEqualTo(200);

    HttpResponse<String> wrong = send("GET", s.main() + "/v2/", null, "Authorization", basic("reader", "nope"),
        "X-Forwarded-For", "198.51.100.1");
    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(errorCode(wrong)).isEqualTo("UNAUTHORIZED");
    assertThat(wrong.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(h -> assertThat(h).startsWith("Bearer "));
  }

  @Test
  void dockerLogin_tokenDance_thenBaseIs200() throws Exception {
    DockerTokenClient ci = DockerTokenClient.as("ci");

    HttpResponse<String> r = ci.login(s.main());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(ci.tokenRequests).singleElement().asString().startsWith(s.main() + "/v2/token?service=wharf-test");
  }

  @Test
  void challenge_namesTheScopeTheRequestNeeds() throws Exception {
    Map<String, String> pull = challenge(send("GET", s.url("repo-a") + "/v2/team/app/manifests/1.0", null));
    Map<String, String> push = challenge(send("POST", s.url("repo-a") + "/v2/team/app/blobs/uploads/", null));
    Map<String, String> catalog = challenge(send("GET", s.url("repo-a") + "/v2/_catalog", null));

    assertThat(pull).containsEntry("realm", s.url("repo-a") + "/v2/token").containsEntry("service", "wharf-test")
        .containsEntry("scope", "repository:team/app:pull");
    assertThat(push).containsEntry("scope", "repository:team/app:pull,push");
    assertThat(catalog).containsEntry("scope", "registry:catalog:*");
  }

  @Test
  void realm_isOnThePortAndBasePathTheRequestCameThrough() throws Exception {
    assertThat(challenge(send("GET", s.main() + "/repository/repo-a/v2/team/x/tags/list", null)))
        .containsEntry("realm", s.main() + "/repository/repo-a/v2/token")
        .containsEntry("scope", "repository:team/x:pull");
    assertThat(challenge(send("GET", s.main() + "/v2/repo-a/team/x/tags/list", null)))
        .containsEntry("realm", s.main() + "/v2/token")
        .containsEntry("scope", "repository:repo-a/team/x:pull");
    assertThat(challenge(send("GET", s.main() + "/v2/", null, "X-Forwarded-Proto", "https",
        "X-Forwarded-Host", "registry.example.com", "X-Forwarded-Port", "8443")))
        .containsEntry("realm", "https://registry.example.com:8443/v2/token");
  }

  // ---------------------------------------------------------------- push and pull

  @Test
  void push_withWriteUser_throughTheTokenDance_thenPullItBack() throws Exception {
    DockerTokenClient ci = DockerTokenClient.as("ci");
    SecureServer.Image image = SecureServer.Image.random();

    HttpResponse<String> put = ci.push(s.main() + "/v2/team/pushed", "1.0", image);

    assertThat(put.statusCode()).as(put.body()).isEqualTo(201);
    assertThat(ci.tokenRequests).singleElement().asString()
        .contains("scope=" + URLEncoder.encode("repository:team/pushed:pull,push", StandardCharsets.UTF_8));
    HttpResponse<String> get = ci.send("GET", s.main() + "/v2/team/pushed/manifests/1.0", null,
        "Accept", MediaTypes.OCI_MANIFEST);
    assertThat(get.statusCode()).isEqualTo(200);
    assertThat(get.headers().firstValue("Docker-Content-Digest")).hasValue(image.digest());
  }

  @Test
  void push_withBasicCredentials_works() throws Exception {
    SecureServer.Image image = SecureServer.Image.random();
    String base = s.main() + "/v2/team/basic";

    assertThat(send("POST", base + "/blobs/uploads/?digest=" + image.configDigest(), image.config(),
        "Authorization", basic("ci")).statusCode()).isEqualTo(201);
    assertThat(send("PUT", base + "/manifests/1.0", image.manifest(), "Authorization", basic("ci"),
        "Content-Type", MediaTypes.OCI_MANIFEST).statusCode()).isEqualTo(201);
  }

  @Test
  void anonymousPull_whereAllowed_withAndWithoutToken() throws Exception {
    SecureServer.Image image = SecureServer.Image.random();
    assertThat(DockerTokenClient.as("ci").push(s.main() + "/v2/team/public", "1.0", image).statusCode()).isEqualTo(201);

    // a plain client without credentials
    HttpResponse<String> plain = send("GET", s.main() + "/v2/team/public/manifests/1.0", null,
        "Accept", MediaTypes.OCI_MANIFEST);
    assertThat(plain.statusCode()).isEqualTo(200);
    // docker's way: /v2/ says 401, so it fetches an anonymous token and uses it
    DockerTokenClient anonymous = DockerTokenClient.anonymous();
    assertThat(anonymous.login(s.main()).statusCode()).isEqualTo(200);
    HttpResponse<String> t = anonymous.fetchToken(s.main() + "/v2/token", SecureServer.SERVICE,
        List.of("repository:team/public:pull"));
    assertThat(DockerTokenClient.json(t).path("token").asString()).isNotEmpty();
    HttpResponse<String> viaToken = send("GET", s.main() + "/v2/team/public/blobs/" + image.configDigest(), null,
        "Authorization", "Bearer " + DockerTokenClient.json(t).path("token").asString());
    assertThat(viaToken.statusCode()).isEqualTo(200);
    assertThat(viaToken.body()).isEqualTo(new String(image.config(), StandardCharsets.UTF_8));
  }

  @Test
  void anonymousPull_whereNotAllowed_is401WithChallenge() throws Exception {
    HttpResponse<String> r = DockerTokenClient.anonymous().send("GET", s.url("repo-a") + "/v2/team/app/tags/list", null);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(errorCode(r)).isEqualTo("UNAUTHORIZED");
    assertThat(challenge(r)).containsEntry("scope", "repository:team/app:pull").containsEntry("error", "insufficient_scope");
  }

  @Test
  void anonymousPush_isRefusedWith401AndAChallenge() throws Exception {
    DockerTokenClient anonymous = DockerTokenClient.anonymous();

    HttpResponse<String> r = anonymous.push(s.main() + "/v2/team/anon", "1.0", SecureServer.Image.random());

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(errorCode(r)).isEqualTo("UNAUTHORIZED");
    assertThat(challenge(r)).containsEntry("scope", "repository:team/anon:pull,push");
    // and without any token at all
    HttpResponse<String> bare = send("PUT", s.main() + "/v2/team/anon/manifests/1.0",
        SecureServer.Image.random().manifest(), "Content-Type", MediaTypes.OCI_MANIFEST);
    assertThat(bare.statusCode()).isEqualTo(401);
    assertThat(challenge(bare)).containsEntry("scope", "repository:team/anon:pull,push");
  }

  @Test
  void readOnlyUser_gets403OnPush_withTokenAndWithBasic() throws Exception {
    DockerTokenClient reader = DockerTokenClient.as("reader");

    HttpResponse<String> r = reader.push(s.main() + "/v2/team/ro", "1.0", SecureServer.Image.random());

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(errorCode(r)).isEqualTo("DENIED");
    // the token it got grants pull only: the intersection of what it asked and what it holds
    assertThat(reader.tokenRequests).hasSize(1);
    HttpResponse<String> basic = send("POST", s.main() + "/v2/team/ro/blobs/uploads/", null,
        "Authorization", basic("reader"));
    assertThat(basic.statusCode()).isEqualTo(403);
    assertThat(errorCode(basic)).isEqualTo("DENIED");
    assertThat(send("GET", s.main() + "/v2/team/ro/tags/list", null, "Authorization", basic("reader")).statusCode())
        .isEqualTo(404); // allowed to look, there is nothing
  }

  @Test
  void delete_needsTheDeletePrivilege() throws Exception {
    SecureServer.Image image = SecureServer.Image.random();
    assertThat(DockerTokenClient.as("ci").push(s.main() + "/v2/team/del", "1.0", image).statusCode()).isEqualTo(201);
    String manifest = s.main() + "/v2/team/del/manifests/" + image.digest();

    assertThat(send("DELETE", manifest, null, "Authorization", basic("reader")).statusCode()).isEqualTo(403);
    assertThat(send("DELETE", manifest, null).statusCode()).isEqualTo(401);
    assertThat(send("DELETE", manifest, null, "Authorization", basic("ci")).statusCode()).isEqualTo(202);
  }

  @Test
  void mountFromASourceTheUserCannotRead_fallsBackToAnUpload() throws Exception {
    SecureServer.Image image = SecureServer.Image.random();
    assertThat(DockerTokenClient.as("alice").push(s.url("repo-a") + "/v2/team/src", "1.0", image).statusCode())
        .isEqualTo(201);
    String mount = s.url("repo-a") + "/v2/team/dst/blobs/uploads/?mount=" + image.configDigest() + "&from=team/src";

    HttpResponse<String> writeOnly = send("POST", mount, null, "Authorization", basic("writeonly"));
    HttpResponse<String> encoded = send("POST", mount.replace("?mount=", "?%6Dount=").replace("&from=", "&%66rom="),
        null, "Authorization", basic("writeonly"));
    HttpResponse<String> readWrite = send("POST", mount, null, "Authorization", basic("alice"));

    assertThat(writeOnly.statusCode()).as("an upload session, not a mount").isEqualTo(202);
    assertThat(encoded.statusCode()).as("percent-encoded keys are no way around it").isEqualTo(202);
    assertThat(readWrite.statusCode()).as("mounted").isEqualTo(201);
  }

  @Test
  void catalog_needsReadOnTheRepository() throws Exception {
    assertThat(send("GET", s.url("repo-a") + "/v2/_catalog", null).statusCode()).isEqualTo(401);
    assertThat(send("GET", s.url("repo-a") + "/v2/_catalog", null, "Authorization", basic("ci")).statusCode())
        .isEqualTo(403);
    assertThat(send("GET", s.url("repo-a") + "/v2/_catalog", null, "Authorization", basic("alice")).statusCode())
        .isEqualTo(200);
    // with a token: registry:catalog:* is granted for the repository the token endpoint was reached through
    DockerTokenClient alice = DockerTokenClient.as("alice");
    assertThat(alice.send("GET", s.url("repo-a") + "/v2/_catalog", null).statusCode()).isEqualTo(200);
    assertThat(alice.send("GET", s.url("repo-b") + "/v2/_catalog", null).statusCode()).isEqualTo(403);
  }

  // ---------------------------------------------------------------- one repository, every route

  @Test
  void userWithRightsOnA_cannotTouchB_throughAnyRoute() throws Exception {
    DockerTokenClient alice = DockerTokenClient.as("alice");
    assertThat(alice.push(s.url("repo-a") + "/v2/team/mine", "1.0", SecureServer.Image.random()).statusCode())
        .isEqualTo(201);
    String aToken = alice.token();

    List<String> routesToB = List.of(
        s.url("repo-b") + "/v2/team/mine",                     // B's own port
        s.main() + "/repository/repo-b/v2/team/mine",          // Nexus base path
        s.main() + "/v2/repo-b/team/mine",                     // name prefix
        s.url("all") + "/v2/team/mine",                        // the group (writable member repo-b)
        s.main() + "/v2/all/team/mine");                       // the group by name prefix
    for (String route : routesToB) {
      DockerTokenClient fresh = DockerTokenClient.as("alice");
      assertThat(fresh.push(route, "1.0", SecureServer.Image.random()).statusCode()).as("push " + route).isEqualTo(403);
      assertThat(fresh.send("GET", route + "/tags/list", null).statusCode()).as("pull " + route).isEqualTo(403);
      assertThat(send("GET", route + "/tags/list", null, "Authorization", basic("alice")).statusCode())
          .as("basic " + route).isEqualTo(403);
      // the token from A's port names the same image, but it was issued for repo-a
      assertThat(send("GET", route + "/tags/list", null, "Authorization", "Bearer " + aToken).statusCode())
          .as("A's token on " + route).isEqualTo(403);
    }
    // the host name B claims (X-Forwarded-Host, as behind a reverse proxy)
    HttpResponse<String> byHost = send("POST", s.main() + "/v2/team/mine/blobs/uploads/", null,
        "Authorization", basic("alice"), "X-Forwarded-Host", "b.docker.lan");
    assertThat(byHost.statusCode()).isEqualTo(403);
    assertThat(send("GET", s.main() + "/v2/team/mine/tags/list", null, "Authorization", "Bearer " + aToken,
        "X-Forwarded-Host", "b.docker.lan").statusCode()).isEqualTo(403);
    // while A through A's host name works
    assertThat(send("GET", s.main() + "/v2/team/mine/tags/list", null, "Authorization", basic("alice"),
        "X-Forwarded-Host", "a.docker.lan").statusCode()).isEqualTo(200);
  }

  @Test
  void readingThroughAGroup_needsReadOnTheGroup_writingAlsoOnItsWritableMember() throws Exception {
    DockerTokenClient alice = DockerTokenClient.as("alice");
    assertThat(alice.push(s.url("repo-a") + "/v2/team/grouped", "1.0", SecureServer.Image.random()).statusCode())
        .isEqualTo(201);

    // alice owns repo-a but has nothing on the group: no reading repo-a's image through it
    assertThat(send("GET", s.url("all") + "/v2/team/grouped/tags/list", null, "Authorization", basic("alice"))
        .statusCode()).isEqualTo(403);
    // read on the group is enough to read every member through it
    assertThat(send("GET", s.url("all") + "/v2/team/grouped/tags/list", null, "Authorization", basic("grouponly"))
        .statusCode()).isEqualTo(200);
    // pushing through the group lands in repo-b: write on the group alone is not enough
    assertThat(DockerTokenClient.as("grouponly").push(s.url("all") + "/v2/team/via-group", "1.0",
        SecureServer.Image.random()).statusCode()).isEqualTo(403);
    assertThat(DockerTokenClient.as("groupie").push(s.url("all") + "/v2/team/via-group", "1.0",
        SecureServer.Image.random()).statusCode()).isEqualTo(201);
  }

  // ---------------------------------------------------------------- OAuth2 POST

  @Test
  void tokenPost_passwordGrant_thenRefreshTokenGrant() throws Exception {
    String form = "grant_type=password&username=ci&password=" + SecureServer.password("ci")
        + "&service=wharf-test&client_id=containerd&access_type=offline&scope="
        + URLEncoder.encode("repository:team/oauth:pull,push", StandardCharsets.UTF_8);
    HttpResponse<String> password = send("POST", s.main() + "/v2/token", form.getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded");
    assertThat(password.statusCode()).as(password.body()).isEqualTo(200);
    String accessToken = DockerTokenClient.json(password).path("access_token").asString();
    String refreshToken = DockerTokenClient.json(password).path("refresh_token").asString();
    assertThat(DockerTokenClient.json(password).path("scope").asString()).isEqualTo("repository:team/oauth:pull,push");
    assertThat(DockerTokenClient.json(password).path("expires_in").asInt()).isEqualTo(300);
    assertThat(send("POST", s.main() + "/v2/team/oauth/blobs/uploads/", null, "Authorization", "Bearer " + accessToken)
        .statusCode()).isEqualTo(202);

    String refreshForm = "grant_type=refresh_token&service=wharf-test&client_id=containerd&refresh_token="
        + refreshToken + "&scope=" + URLEncoder.encode("repository:team/oauth2:pull", StandardCharsets.UTF_8);
    HttpResponse<String> refreshed = send("POST", s.main() + "/v2/token", refreshForm.getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded");
    assertThat(refreshed.statusCode()).as(refreshed.body()).isEqualTo(200);
    String second = DockerTokenClient.json(refreshed).path("access_token").asString();
    assertThat(send("GET", s.main() + "/v2/team/oauth2/tags/list", null, "Authorization", "Bearer " + second)
        .statusCode()).isEqualTo(404); // allowed; nothing there
    assertThat(DockerTokenClient.json(refreshed).path("scope").asString()).isEqualTo("repository:team/oauth2:pull");

    // a refresh token is no access token, and the other way round
    assertThat(send("GET", s.main() + "/v2/", null, "Authorization", "Bearer " + refreshToken).statusCode()).isEqualTo(401);
    HttpResponse<String> swapped = send("POST", s.main() + "/v2/token",
        refreshForm.replace(refreshToken, accessToken).getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded");
    assertThat(swapped.statusCode()).isEqualTo(401);
  }

  @Test
  void tokenGet_givesNoRefreshToken_evenWhenAsked() throws Exception {
    // docker then keeps the password and logs in anew: no saved identity token that outlives a password change
    HttpResponse<String> r = send("GET", s.main() + "/v2/token?service=wharf-test&offline_token=true&client_id=docker",
        null, "Authorization", basic("ci"));
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(DockerTokenClient.json(r).has("refresh_token")).isFalse();
    assertThat(DockerTokenClient.json(r).path("expires_in").asInt()).isEqualTo(300);
    assertThat(DockerTokenClient.json(r).path("issued_at").asString()).isNotEmpty();
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
  }

  @Test
  void tokenPost_wrongPassword_is401_andAnUnknownGrantIsRefused() throws Exception {
    String form = "grant_type=password&username=ci&password=wrong&service=wharf-test";
    HttpResponse<String> r = send("POST", s.main() + "/v2/token", form.getBytes(StandardCharsets.UTF_8),
        "Content-Type", "application/x-www-form-urlencoded", "X-Forwarded-For", "198.51.100.2");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(errorCode(r)).isEqualTo("UNAUTHORIZED");

    HttpResponse<String> other = send("POST", s.main() + "/v2/token",
        "grant_type=client_credentials".getBytes(StandardCharsets.UTF_8), "Content-Type", "application/x-www-form-urlencoded");
    assertThat(other.statusCode()).isEqualTo(405);
  }

  // ---------------------------------------------------------------- Basic realm, logs

  @Test
  void basicOnlyRepository_challengesWithBasic_andHasNoTokenEndpoint() throws Exception {
    HttpResponse<String> r = send("GET", s.url("basic-only") + "/v2/", null);

    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"wharf-test\"");
    assertThat(send("GET", s.url("basic-only") + "/v2/", null, "Authorization", basic("ci")).statusCode()).isEqualTo(200);
    assertThat(send("GET", s.url("basic-only") + "/v2/token", null, "Authorization", basic("ci")).statusCode())
        .isEqualTo(404);
    assertThat(send("GET", s.url("basic-only") + "/v2/team/x/tags/list", null).statusCode())
        .as("anonymous pull allowed there").isEqualTo(404);
  }

  @Test
  void auditLog_saysWhoDidWhatFromWhere_andNeverLogsSecrets() throws Exception {
    DockerTokenClient ci = DockerTokenClient.as("ci");
    SecureServer.Image image = SecureServer.Image.random();
    assertThat(ci.push(s.main() + "/v2/team/audited", "7.0", image).statusCode()).isEqualTo(201);
    send("DELETE", s.main() + "/v2/team/audited/manifests/" + image.digest(), null, "Authorization", basic("ci"));
    send("POST", s.main() + "/v2/team/audited/blobs/uploads/", null, "Authorization", basic("reader"));

    List<String> audit = LOGS.list.stream().filter(e -> e.getLoggerName().equals("io.wharf.audit"))
        .map(ILoggingEvent::getFormattedMessage).toList();
    assertThat(audit).anySatisfy(l -> assertThat(l).startsWith("login user=ci from=127.0.0.1 via=token"));
    assertThat(audit).anySatisfy(l -> assertThat(l)
        .isEqualTo("push user=ci from=127.0.0.1 repository=docker-hosted image=team/audited reference=7.0"));
    assertThat(audit).anySatisfy(l -> assertThat(l).startsWith("delete user=ci from=127.0.0.1 repository=docker-hosted"));
    assertThat(audit).anySatisfy(l -> assertThat(l).startsWith("denied user=reader from=127.0.0.1 method=POST"
        + " repository=docker-hosted need=\"repository:team/audited:pull,push\" status=403"));
    // what the shipped logging shows (INFO and up; Jetty's own DEBUG dumps headers), and all of ours
    List<ILoggingEvent> shown = LOGS.list.stream().filter(e -> e.getLevel().isGreaterOrEqual(ch.qos.logback.classic.Level.INFO)
        || e.getLoggerName().startsWith("io.wharf")).toList();
    assertThat(shown).isNotEmpty().noneSatisfy(e -> assertThat(e.getFormattedMessage())
        .containsAnyOf(SecureServer.password("ci"), SecureServer.password("reader"), ci.token(),
            basic("ci").substring(6)));
  }
}
