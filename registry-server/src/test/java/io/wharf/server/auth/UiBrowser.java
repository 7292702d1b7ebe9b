package io.wharf.server.auth;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;

/**
 * A browser without JavaScript for the web UI: keeps Wharf's cookies, follows no redirect by
 * itself, and calls the management API the way the UI's own scripts would (the session cookie
 * and its CSRF token in {@code X-Wharf-CSRF}).
 */
public final class UiBrowser {
  private static final Duration PATIENT = Duration.ofMinutes(2);
  private static final Pattern CSRF = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"");
  private static final HttpClient HTTP = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(PATIENT).build();

  private final String base;
  final List<String> cookies = new ArrayList<>();

  /** @param base Wharf's URL, without a trailing slash */
  public UiBrowser(String base) {
    this.base = base;
  }

  public HttpResponse<String> get(String url) throws Exception {
    return send(HttpRequest.newBuilder(URI.create(url)).GET(), url);
  }

  HttpResponse<String> send(HttpRequest.Builder r, String url) throws Exception {
    r.timeout(PATIENT);
    if (!cookies.isEmpty() && url.startsWith(base)) {
      r.header("Cookie", String.join("; ", cookies));
    }
    HttpResponse<String> resp = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    if (url.startsWith(base)) {
      for (String set : resp.headers().allValues("Set-Cookie")) {
        String pair = set.substring(0, set.indexOf(';'));
        String name = pair.substring(0, pair.indexOf('='));
        cookies.removeIf(c -> c.startsWith(name + "="));
        if (!set.toLowerCase(Locale.ROOT).contains("max-age=0") && !pair.endsWith("=")) {
          cookies.add(pair);
        }
      }
    }
    return resp;
  }

  /** The CSRF token of the forms on {@code page} (the session's, once logged in). */
  public String csrf(String page) throws Exception {
    HttpResponse<String> r = get(base + page);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    Matcher m = CSRF.matcher(r.body());
    assertThat(m.find()).as("a form with a CSRF token on " + page).isTrue();
    return m.group(1);
  }

  /** Logs in with the UI's login form; returns the answer (303 when it worked). */
  HttpResponse<String> formLogin(String user, String password) throws Exception {
    String token = csrf("/ui/login");
    String form = "username=" + enc(user) + "&password=" + enc(password) + "&_csrf=" + enc(token) + "&next=/ui/";
    return send(HttpRequest.newBuilder(URI.create(base + "/ui/login"))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .POST(HttpRequest.BodyPublishers.ofString(form)), base + "/ui/login");
  }

  /**
   * Calls Wharf's API with this browser's session: its cookie and, if {@code csrf} is not null,
   * that CSRF token in {@code X-Wharf-CSRF}.
   */
  public HttpResponse<String> api(String method, String path, String json, String csrf) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + "/wharf/api" + path))
        .method(method, json == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(json));
    if (json != null) {
      r.header("Content-Type", "application/json");
    }
    if (csrf != null) {
      r.header("X-Wharf-CSRF", csrf);
    }
    return send(r, base + "/wharf/api" + path);
  }

  /**
   * Signs {@code user} in through the OpenID Connect provider, as a browser would: Wharf's SSO
   * button, the provider's authorization endpoint (mock-oauth2-server, which signs in at once as
   * {@code user} with {@code groups}), the callback.
   */
  public static UiBrowser ssoSignIn(String base, MockOAuth2Server provider, String issuerId, String user,
      List<String> groups) throws Exception {
    provider.enqueueCallback(new DefaultOAuth2TokenCallback(issuerId, "sub-" + user, JOSEObjectType.JWT.getType(),
        null, Map.of("preferred_username", user, "groups", groups), 3600));
    UiBrowser b = new UiBrowser(base);
    HttpResponse<String> begin = b.get(base + "/ui/login/sso?next=/ui/");
    assertThat(begin.statusCode()).as(begin.body()).isEqualTo(302);
    HttpResponse<String> back = b.get(begin.headers().firstValue("Location").orElseThrow());
    assertThat(back.statusCode()).as(back.body()).isEqualTo(302);
    HttpResponse<String> done = b.get(back.headers().firstValue("Location").orElseThrow());
    assertThat(done.statusCode()).as(done.body()).isEqualTo(303);
    assertThat(b.hasSession()).isTrue();
    return b;
  }

  /** Makes a personal API token with this browser's session through Wharf's API; returns its secret. */
  public String makeApiToken(String name) throws Exception {
    HttpResponse<String> made = api("POST", "/v1/users/me/tokens", "{\"name\":\"" + name + "\",\"expiresIn\":\"7d\"}",
        csrf("/ui/"));
    assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
    String secret = DockerTokenClient.json(made).path("secret").asString();
    assertThat(secret).startsWith("wharf_pat_");
    return secret;
  }

  boolean hasSession() {
    return cookies.stream().anyMatch(c -> c.startsWith("wharf_session="));
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
