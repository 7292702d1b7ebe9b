package io.wharf.server.ui;

import static org.assertj.core.api.Assertions.assertThat;

import io.wharf.server.WharfServer;
import io.wharf.server.auth.PasswordHashes;
import io.wharf.server.config.ConfigLoader;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Servers with other UI settings: the UI off, at another path, on an open server, and the login throttle. */
class UiServerSettingsTest {
  static {
    if (System.getProperty("logback.configurationFile") == null) {
      System.setProperty("logback.configurationFile", "wharf-logback.xml");
    }
  }

  static final HttpClient CLIENT = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER)
      .connectTimeout(Duration.ofSeconds(10)).build();

  @TempDir Path dir;

  WharfServer start(String management, String security) throws Exception {
    String yaml = """
        server: {bind: 127.0.0.1, port: 0, accessLog: false}
        blobStores:
          default: {type: file, path: DATA}
        repositories:
          - {name: docker-hosted, type: hosted}
        """.replace("DATA", dir.resolve("data").toString())
        + (management.isEmpty() ? "" : "management: " + management + "\n")
        + (security.isEmpty() ? "" : "security:\n" + security);
    return WharfServer.start(ConfigLoader.parse(yaml, "ui-settings.yaml"));
  }

  static HttpResponse<String> send(URI base, String method, String path, String form, String... headers)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(60))
        .method(method, form == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(form));
    if (form != null) {
      b.header("Content-Type", "application/x-www-form-urlencoded");
    }
    for (int i = 0; i < headers.length; i += 2) {
      b.header(headers[i], headers[i + 1]);
    }
    return CLIENT.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void disabled_uiPathsBelongToTheRegistryAgain() throws Exception {
    try (WharfServer server = start("{ui: {enabled: false}}", "")) {
      HttpResponse<String> ui = send(server.url(), "GET", "/ui/", null);
      assertThat(ui.statusCode()).isEqualTo(404);
      assertThat(ui.body()).contains("\"errors\"");
      HttpResponse<String> root = send(server.url(), "GET", "/", null);
      assertThat(root.statusCode()).isEqualTo(404);
      assertThat(root.body()).contains("\"errors\"");
      assertThat(send(server.url(), "GET", "/v2/", null).statusCode()).isEqualTo(200);
    }
  }

  @Test
  void otherPath_servesThereAndTheRootPointsAtIt() throws Exception {
    try (WharfServer server = start("{ui: {path: /console}}", "")) {
      assertThat(send(server.url(), "GET", "/", null).headers().firstValue("Location")).hasValue("/console/");
      HttpResponse<String> page = send(server.url(), "GET", "/console/", null);
      assertThat(page.statusCode()).isEqualTo(200);
      assertThat(page.body()).contains("href=\"/console/static/wharf.css\"").contains("docker-hosted");
      assertThat(send(server.url(), "GET", "/ui/", null).statusCode()).isEqualTo(404);
    }
  }

  @Test
  void openServer_noLogin_everyoneSeesAndMayDelete() throws Exception {
    try (WharfServer server = start("", "")) {
      HttpResponse<String> page = send(server.url(), "GET", "/ui/", null);
      assertThat(page.body()).contains("Open server").doesNotContain(">Log in<").contains("docker-hosted");
      HttpResponse<String> login = send(server.url(), "GET", "/ui/login", null);
      assertThat(login.body()).contains("nothing to log in to");
    }
  }

  /** The UI's logins count against the registry's throttle: locked out in one, locked out in the other. */
  @Test
  void failedFormLogins_lockOutRegistryLoginsToo() throws Exception {
    String security = """
          users:
            - {name: admin, passwordHash: "HASH", roles: [admins]}
          roles:
            - {name: admins, privileges: ["*:*"]}
          throttle: {maxFailures: 3, window: 1h, lockout: 1h}
        """.replace("HASH", PasswordHashes.hash("admin-pw".toCharArray(), 4));
    try (WharfServer server = start("", security)) {
      HttpResponse<String> form = send(server.url(), "GET", "/ui/login", null);
      String cookie = form.headers().firstValue("Set-Cookie").orElseThrow();
      cookie = cookie.substring(0, cookie.indexOf(';'));
      Matcher m = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(form.body());
      assertThat(m.find()).isTrue();
      String csrf = "_csrf=" + URLEncoder.encode(m.group(1), StandardCharsets.UTF_8) + "&next=%2Fui%2F";
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> r = send(server.url(), "POST", "/ui/login", csrf + "&username=admin&password=guess" + i,
            "Cookie", cookie);
        assertThat(r.statusCode()).isEqualTo(401);
      }
      HttpResponse<String> locked = send(server.url(), "POST", "/ui/login", csrf + "&username=admin&password=admin-pw",
          "Cookie", cookie);
      assertThat(locked.statusCode()).isEqualTo(429);
      assertThat(locked.headers().firstValue("Retry-After")).isPresent();
      assertThat(locked.body()).contains("Too many failed logins");
      assertThat(locked.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("wharf_session="));
      HttpResponse<String> registry = send(server.url(), "GET", "/v2/", null, UiFixture.ADMIN);
      assertThat(registry.statusCode()).as(text(registry)).isEqualTo(429);
    }
  }

  private static String text(HttpResponse<String> r) {
    return r.body();
  }
}
