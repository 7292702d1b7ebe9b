package io.wharf.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single sign-on to the web UI against a real OpenID Connect provider on loopback
 * (mock-oauth2-server): the browser's redirects are followed by hand, cookies kept. The provider's
 * groups decide what the signed-in user sees; a callback is accepted once and only in the browser
 * that began the sign-in; the provider cannot hand out a local user's name.
 */
class WebUiSsoTest {
  private static final String ISSUER_ID = "corp";
  private static final Duration PATIENT = Duration.ofMinutes(2);

  @TempDir Path dir;
  private final MockOAuth2Server provider = new MockOAuth2Server();
  private final HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(PATIENT).build();
  private WharfServer wharf;

  @BeforeEach
  void start() throws Exception {
    provider.start(InetAddress.getByName("127.0.0.1"), 0);
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: "DATA"}
        security:
          users:
            - {name: admin, passwordHash: "ADMIN", roles: [admins]}
          roles:
            - {name: admins, privileges: ["*:*"]}
            - {name: team-a, privileges: ["team-a:read"]}
          oidc:
            issuer: "ISSUER"
            clientId: wharf-ui
            clientSecret: s3cret
            label: Sign in with Corp SSO
            groupRoles: {devs-a: [team-a]}
        repositories:
          - {name: team-a, type: hosted}
          - {name: team-b, type: hosted}
        """.replace("DATA", dir.resolve("data").toString())
        .replace("ADMIN", PasswordHashes.hash("admin-pw".toCharArray(), 4))
        .replace("ISSUER", provider.issuerUrl(ISSUER_ID).toString());
    wharf = WharfServer.start(ConfigLoader.parse(yaml, "sso.yaml"));
  }

  @AfterEach
  void stop() throws Exception {
    if (wharf != null) {
      wharf.close();
    }
    provider.shutdown();
  }

  @Test
  void signInThroughTheProvider_seesWhatItsGroupsAllow() throws Exception {
    Browser b = new Browser();
    assertThat(b.body(b.get(base() + "/ui/login"))).contains("Sign in with Corp SSO", "/ui/login/sso?next=");
    signsInAs("alice", List.of("devs-a"));

    HttpResponse<String> done = b.signIn("/ui/");
    assertThat(done.statusCode()).isEqualTo(303);
    assertThat(done.headers().firstValue("Location")).hasValue("/ui/");
    String home = b.body(b.get(base() + "/ui/"));
    assertThat(home).contains("alice").contains("team-a").doesNotContain("team-b");
  }

  @Test
  void aReplayedCallback_orOneFromAnotherBrowser_isRefused() throws Exception {
    Browser victim = new Browser();
    signsInAs("mallory", List.of("devs-a"));
    URI callback = victim.toCallback("/ui/");
    // another browser (no state cookie) opening the callback URL: login CSRF
    Browser other = new Browser();
    HttpResponse<String> refused = other.get(callback.toString());
    assertThat(refused.statusCode()).isEqualTo(401);
    assertThat(refused.body()).contains("not started in this browser");
    assertThat(other.cookies).noneMatch(c -> c.startsWith("wharf_session="));

    assertThat(victim.get(callback.toString()).statusCode()).isEqualTo(303);
    // the same callback again, even in the browser that began it
    victim.cookies.add("wharf_sso=" + query(callback, "state"));
    HttpResponse<String> again = victim.get(callback.toString());
    assertThat(again.statusCode()).isEqualTo(401);
    assertThat(again.body()).contains("unknown or was already used");
  }

  @Test
  void theProviderCannotHandOutALocalUsersName() throws Exception {
    Browser b = new Browser();
    signsInAs("admin", List.of());
    HttpResponse<String> r = b.signIn("/ui/");
    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(r.body()).contains("the name of a user of this registry");
    assertThat(b.cookies).noneMatch(c -> c.startsWith("wharf_session="));
    // the local administrator still logs in with the password
    assertThat(b.body(b.get(base() + "/ui/login"))).contains("Log in");
  }

  @Test
  void aProviderRefusal_isSaidOnTheLoginPage() throws Exception {
    Browser b = new Browser();
    HttpResponse<String> begin = b.get(base() + "/ui/login/sso?next=/ui/");
    String state = query(URI.create(begin.headers().firstValue("Location").orElseThrow()), "state");
    HttpResponse<String> r = b.get(base() + "/ui/login/sso/callback?state=" + state + "&error=access_denied");
    assertThat(r.statusCode()).isEqualTo(401);
    assertThat(r.body()).contains("access_denied");
  }

  private String base() {
    String u = wharf.url().toString();
    return u.endsWith("/") ? u.substring(0, u.length() - 1) : u;
  }

  private void signsInAs(String user, List<String> groups) {
    provider.enqueueCallback(new DefaultOAuth2TokenCallback(ISSUER_ID, "sub-" + user, JOSEObjectType.JWT.getType(),
        null, Map.of("preferred_username", user, "groups", groups), 3600));
  }

  private static String query(URI uri, String name) {
    for (String pair : uri.getRawQuery().split("&")) {
      if (pair.startsWith(name + "=")) {
        return java.net.URLDecoder.decode(pair.substring(name.length() + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }

  /** A browser without JavaScript: cookies kept, redirects followed by the test. */
  final class Browser {
    final List<String> cookies = new ArrayList<>();

    HttpResponse<String> get(String url) throws Exception {
      HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(PATIENT).GET();
      if (!cookies.isEmpty() && url.startsWith(base())) {
        r.header("Cookie", String.join("; ", cookies));
      }
      HttpResponse<String> resp = http.send(r.build(), HttpResponse.BodyHandlers.ofString());
      if (url.startsWith(base())) {
        for (String set : resp.headers().allValues("Set-Cookie")) {
          String pair = set.substring(0, set.indexOf(';'));
          String name = pair.substring(0, pair.indexOf('='));
          cookies.removeIf(c -> c.startsWith(name + "="));
          if (!set.toLowerCase().contains("max-age=0") && !pair.endsWith("=")) {
            cookies.add(pair);
          }
        }
      }
      return resp;
    }

    String body(HttpResponse<String> r) {
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      return r.body();
    }

    /** Wharf's SSO button, then the provider (which signs in at once): where it sends the browser back. */
    URI toCallback(String next) throws Exception {
      HttpResponse<String> begin = get(base() + "/ui/login/sso?next=" + next);
      assertThat(begin.statusCode()).as(begin.body()).isEqualTo(302);
      URI authorize = URI.create(begin.headers().firstValue("Location").orElseThrow());
      assertThat(authorize.toString()).startsWith(provider.issuerUrl(ISSUER_ID).toString());
      HttpResponse<String> back = get(authorize.toString());
      assertThat(back.statusCode()).isEqualTo(302);
      URI callback = URI.create(back.headers().firstValue("Location").orElseThrow());
      assertThat(callback.toString()).startsWith(base() + "/ui/login/sso/callback");
      return callback;
    }

    HttpResponse<String> signIn(String next) throws Exception {
      return get(toCallback(next).toString());
    }
  }
}
