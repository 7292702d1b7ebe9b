package io.wharf.server.ui;

import static io.wharf.server.ui.UiFixture.ADMIN;
import static io.wharf.server.ui.UiFixture.SCRIPT;
import static io.wharf.server.ui.UiFixture.text;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web UI over plain HTTP, as a browser without JavaScript sees it: every page readable, the
 * login and its cookie, who sees what, CSRF refusals, the delete confirmation, escaping, and the
 * registry's own paths untouched. Real server, real pushes ({@link UiFixture}).
 */
class WebUiTest {
  @TempDir static Path dir;
  static UiFixture wharf;

  @BeforeAll
  static void start() throws Exception {
    wharf = new UiFixture(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    wharf.close();
  }

  /** A browser without JavaScript: cookies kept, redirects seen. */
  static final class Browser {
    final List<String> cookies = new ArrayList<>();
    HttpResponse<byte[]> last;

    HttpResponse<byte[]> get(String path) {
      return remember(wharf.send("GET", path, null, headers()));
    }

    HttpResponse<byte[]> post(String path, String form, String... extra) {
      String[] h = UiFixture.concat(headers(), "Content-Type", "application/x-www-form-urlencoded");
      return remember(wharf.send("POST", path, form.getBytes(StandardCharsets.UTF_8), UiFixture.concat(h, extra)));
    }

    String[] headers() {
      return cookies.isEmpty() ? new String[0] : new String[] {"Cookie", String.join("; ", cookies)};
    }

    private HttpResponse<byte[]> remember(HttpResponse<byte[]> r) {
      for (String set : r.headers().allValues("Set-Cookie")) {
        String pair = set.substring(0, set.indexOf(';'));
        String name = pair.substring(0, pair.indexOf('='));
        cookies.removeIf(c -> c.startsWith(name + "="));
        if (!set.toLowerCase().contains("max-age=0") && !pair.endsWith("=")) {
          cookies.add(pair);
        }
      }
      last = r;
      return r;
    }

    /** The CSRF token of the last page's forms. */
    String csrf() {
      Matcher m = Pattern.compile("name=\"_csrf\" value=\"([^\"]+)\"").matcher(text(last));
      assertThat(m.find()).as("a form with a CSRF token in %s", text(last)).isTrue();
      return m.group(1);
    }

    Browser login(String user, String password) {
      get("/ui/login");
      HttpResponse<byte[]> r = post("/ui/login", "_csrf=" + enc(csrf()) + "&next=%2Fui%2F&username=" + enc(user)
          + "&password=" + enc(password));
      assertThat(r.statusCode()).as("login of %s: %s", user, text(r)).isEqualTo(303);
      return this;
    }
  }

  static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  static String page(HttpResponse<byte[]> r, int status) {
    assertThat(r.statusCode()).as("status of %s", text(r)).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type").orElse("")).startsWith("text/html");
    return text(r);
  }

  // ---------------------------------------------------------------- routing

  @Test
  void root_redirectsBrowsersToTheUi() {
    HttpResponse<byte[]> r = wharf.send("GET", "/", null);
    assertThat(r.statusCode()).isEqualTo(302);
    assertThat(r.headers().firstValue("Location")).hasValue("/ui/");
    assertThat(wharf.send("GET", "/ui", null).headers().firstValue("Location")).hasValue("/ui/");
  }

  @Test
  void registryAndApiPaths_stillAnswerAsBefore() {
    HttpResponse<byte[]> v2 = wharf.send("GET", "/v2/", null);
    assertThat(v2.statusCode()).isEqualTo(401);
    assertThat(text(v2)).contains("\"errors\"");
    assertThat(wharf.send("GET", "/v2/docker-hosted/demo/app/tags/list", null, ADMIN).statusCode()).isEqualTo(200);
    assertThat(wharf.send("GET", "/repository/docker-hosted/v2/demo/app/tags/list", null, ADMIN).statusCode())
        .isEqualTo(200);
    assertThat(wharf.send("GET", "/v2/token?service=x", null, ADMIN).statusCode()).isEqualTo(200);
    assertThat(wharf.send("GET", "/service/rest/v1/status", null).statusCode()).isEqualTo(200);
    assertThat(wharf.send("GET", "/health/live", null).statusCode()).isEqualTo(200);
    assertThat(wharf.send("GET", "/metrics", null).statusCode()).isEqualTo(200);
    HttpResponse<byte[]> other = wharf.send("GET", "/uinot", null);
    assertThat(other.statusCode()).isEqualTo(404);
    assertThat(text(other)).contains("\"errors\"");
  }

  @Test
  void staticFiles_served() {
    HttpResponse<byte[]> htmx = wharf.send("GET", "/ui/static/htmx.min.js", null);
    assertThat(htmx.statusCode()).isEqualTo(200);
    assertThat(htmx.headers().firstValue("Content-Type").orElse("")).startsWith("text/javascript");
    assertThat(text(htmx)).contains("htmx");
    assertThat(wharf.send("GET", "/ui/static/wharf.css", null).statusCode()).isEqualTo(200);
    assertThat(wharf.send("GET", "/ui/static/wharf.js", null).statusCode()).isEqualTo(200);
    assertThat(wharf.send("GET", "/ui/static/../../etc/passwd", null).statusCode()).isIn(400, 404);
  }

  @Test
  void pages_carryStrictSecurityHeaders() {
    HttpResponse<byte[]> r = wharf.send("GET", "/ui/", null);
    assertThat(r.headers().firstValue("Content-Security-Policy").orElse(""))
        .contains("script-src 'self'").contains("frame-ancestors 'none'").doesNotContain("unsafe");
    assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
  }

  // ---------------------------------------------------------------- who sees what

  @Test
  void anonymous_seesOnlyAnonymousPullRepositories() {
    String html = page(new Browser().get("/ui/"), 200);
    assertThat(html).contains("<title>Repositories · Wharf</title>").contains("docker-hosted")
        .contains("anonymous pull").contains("Log in")
        .doesNotContain("private").doesNotContain("hub");
  }

  @Test
  void anonymous_otherRepository_notFoundWithoutLeakingIt() {
    String html = page(new Browser().get("/ui/repositories/private"), 404);
    assertThat(html).doesNotContain("secret");
    page(new Browser().get("/ui/repositories/private/images/secret/app:1.0"), 404);
    page(new Browser().get("/ui/repositories/nosuch"), 404);
  }

  @Test
  void reader_seesItsRepositoryAndAnonymousOnes_notTheOthers() {
    Browser reader = new Browser().login("reader", "reader-pw");
    String html = page(reader.get("/ui/"), 200);
    assertThat(html).contains("Logged in as <strong>reader</strong>").contains("private").contains("docker-hosted")
        .doesNotContain(">hub<");
    assertThat(page(reader.get("/ui/repositories/private"), 200)).contains("secret/app");
    page(reader.get("/ui/repositories/hub"), 404);
  }

  @Test
  void admin_seesEveryRepository_andTheProxyBlockedUntil() {
    String html = page(new Browser().login("admin", "admin-pw").get("/ui/"), 200);
    assertThat(html).contains("docker-hosted").contains("private").contains("hub")
        .contains("upstream blocked until").contains("caches http://127.0.0.1:9");
  }

  @Test
  void repositories_showHowToReachThem() {
    String html = page(new Browser().get("/ui/"), 200);
    int own = wharf.server.port("docker-hosted");
    int main = wharf.server.port();
    assertThat(html).contains("docker login 127.0.0.1:" + own)
        .contains("docker pull 127.0.0.1:" + own + "/IMAGE:TAG")
        .contains("127.0.0.1:" + main + "/docker-hosted").contains("its own port " + own);
  }

  // ---------------------------------------------------------------- login

  @Test
  void login_setsAnHttpOnlySameSiteSessionCookie() {
    Browser b = new Browser();
    b.get("/ui/login");
    HttpResponse<byte[]> r = b.post("/ui/login", "_csrf=" + enc(b.csrf()) + "&next=%2Fui%2Frepositories%2Fprivate"
        + "&username=admin&password=admin-pw");
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue("/ui/repositories/private");
    String cookie = r.headers().allValues("Set-Cookie").stream().filter(c -> c.startsWith("wharf_session="))
        .findFirst().orElseThrow();
    assertThat(cookie).containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Lax").contains("Path=/ui/")
        .doesNotContainIgnoringCase("Secure"); // plain HTTP here; Secure over TLS
  }

  @Test
  void login_nextOutsideTheUi_goesHome() {
    Browser b = new Browser();
    b.get("/ui/login");
    HttpResponse<byte[]> r = b.post("/ui/login", "_csrf=" + enc(b.csrf()) + "&next=" + enc("//evil.example/")
        + "&username=admin&password=admin-pw");
    assertThat(r.headers().firstValue("Location")).hasValue("/ui/");
  }

  @Test
  void login_wrongPassword_401WithTheFormAgain() {
    Browser b = new Browser();
    b.get("/ui/login");
    String html = page(b.post("/ui/login", "_csrf=" + enc(b.csrf()) + "&next=%2Fui%2F&username=reader"
        + "&password=wrong"), 401);
    assertThat(html).contains("Wrong user name or password").contains("value=\"reader\"");
    assertThat(b.cookies).noneMatch(c -> c.startsWith("wharf_session="));
  }

  @Test
  void login_withoutCsrfToken_refused() {
    HttpResponse<byte[]> r = wharf.send("POST", "/ui/login", "username=admin&password=admin-pw".getBytes(),
        "Content-Type", "application/x-www-form-urlencoded");
    assertThat(page(r, 403)).contains("reload the page");
    assertThat(r.headers().allValues("Set-Cookie")).noneMatch(c -> c.startsWith("wharf_session="));
  }

  @Test
  void logout_endsTheSessionOnTheServer() {
    Browser b = new Browser().login("reader", "reader-pw");
    List<String> stolen = List.copyOf(b.cookies);
    b.get("/ui/");
    HttpResponse<byte[]> r = b.post("/ui/logout", "_csrf=" + enc(b.csrf()));
    assertThat(r.statusCode()).isEqualTo(303);
    assertThat(page(b.get("/ui/?loggedOut"), 200)).contains("You are logged out").doesNotContain("private");
    Browser replay = new Browser();
    replay.cookies.addAll(stolen);
    assertThat(page(replay.get("/ui/"), 200)).doesNotContain("Logged in as").doesNotContain("private");
  }

  @Test
  void logout_byGet_refused() {
    Browser b = new Browser().login("reader", "reader-pw");
    page(b.get("/ui/logout"), 405);
    assertThat(page(b.get("/ui/"), 200)).contains("Logged in as");
  }

  // ---------------------------------------------------------------- images, tags, detail

  @Test
  void images_ofARepository_withTagCountsAndLastPush() {
    String html = page(new Browser().get("/ui/repositories/docker-hosted"), 200);
    assertThat(html).contains(">demo/app<").contains(">demo/many<").contains(">120<")
        .containsPattern("<time datetime=\"[0-9T:.Z-]+\" title=\"[0-9 :-]+ UTC\">(just now|[0-9]+ minutes? ago)</time>");
    String filtered = page(new Browser().get("/ui/repositories/docker-hosted?q=demo/m"), 200);
    assertThat(filtered).contains(">demo/many<").doesNotContain(">demo/app<");
    String paged = page(new Browser().get("/ui/repositories/docker-hosted?n=1"), 200);
    assertThat(paged).contains(">demo/app<").doesNotContain(">demo/many<");
    String second = page(new Browser().get(link(paged, "Next page")), 200);
    assertThat(second).contains(">demo/many<").doesNotContain(">demo/app<").contains("First page");
  }

  /** The href of the link whose text starts with {@code text}, unescaped. */
  static String link(String html, String text) {
    Matcher m = Pattern.compile("<a href=\"([^\"]+)\"[^>]*>" + Pattern.quote(text)).matcher(html);
    assertThat(m.find()).as("a link %s in %s", text, html).isTrue();
    return m.group(1).replace("&amp;", "&");
  }

  @Test
  void tags_pagedWithSharedDigests() {
    Browser b = new Browser();
    String first = page(b.get("/ui/repositories/docker-hosted/images/demo/many"), 200);
    assertThat(first).contains("120 tags").contains(">t000<").contains(">t049<").doesNotContain(">t050<");
    assertThat(first).contains("class=\"tag shared\">t001<").contains("and 45 more"); // one manifest, 50 tags
    String second = page(b.get(link(first, "Next page")), 200);
    assertThat(second).contains(">t050<").contains(">t099<").doesNotContain(">t049<").contains("First page");
    String app = page(b.get("/ui/repositories/docker-hosted/images/demo/app"), 200);
    assertThat(app).contains("4 tags").contains("index, 2 platforms").contains(wharf.app10.toString())
        .contains("linux/amd64");
  }

  @Test
  void tags_filtered() {
    String html = page(new Browser().get("/ui/repositories/docker-hosted/images/demo/many?q=t11"), 200);
    assertThat(html).contains("containing &ldquo;t11&rdquo;").contains(">t110<").contains(">t119<")
        .doesNotContain(">t100<");
  }

  @Test
  void tags_sortedByNamePushAndSize_bothWays() {
    Browser b = new Browser();
    String bySize = page(b.get("/ui/repositories/docker-hosted/images/demo/app?sort=size&order=desc"), 200);
    // 2.0 is an index of two images: the largest; old has one layer: the smallest of the tags
    assertThat(bySize.indexOf(">2.0<")).isPositive().isLessThan(bySize.indexOf(">old<"));
    assertThat(bySize).contains("aria-sort=\"descending\"");
    String bySizeUp = page(b.get("/ui/repositories/docker-hosted/images/demo/app?sort=size&order=asc"), 200);
    assertThat(bySizeUp.indexOf(">old<")).isPositive().isLessThan(bySizeUp.indexOf(">2.0<"));
    String byName = page(b.get("/ui/repositories/docker-hosted/images/demo/app?order=desc"), 200);
    assertThat(byName.indexOf(">old<")).isPositive().isLessThan(byName.indexOf(">1.0<"));
    String byPush = page(b.get("/ui/repositories/docker-hosted/images/demo/app?sort=pushed&order=desc"), 200);
    assertThat(byPush.indexOf(">old<")).as("old was pushed last").isPositive().isLessThan(byPush.indexOf(">2.0<"));
    // the column headers link to the other orders and keep the filter
    String filtered = page(b.get("/ui/repositories/docker-hosted/images/demo/many?q=t1"), 200);
    assertThat(filtered).contains("?q=t1&amp;sort=size&amp;order=desc");
    page(b.get("/ui/repositories/docker-hosted/images/demo/app?sort=color"), 400);
  }

  @Test
  void tags_liveFilter_sendsTheSortShown_andPutsItInTheUrl() {
    String html = page(new Browser().get("/ui/repositories/docker-hosted/images/demo/app?sort=size&order=desc"), 200);
    // the filter's requests take the whole form (with the sort) and push their URL
    assertThat(html).containsPattern("<input id=\"q\"[^>]*hx-include=\"closest form\"[^>]*hx-push-url=\"true\"")
        .contains("<span id=\"view\"><input type=\"hidden\" name=\"sort\" value=\"size\">"
            + "<input type=\"hidden\" name=\"order\" value=\"desc\"></span>");
    // a sort link's answer brings the sort the filter sends next
    assertThat(html).containsPattern("<a href=\"[^\"]*sort=pushed[^\"]*\" hx-get=[^>]*hx-select-oob=\"#view\"");
    // what the form sends, the defaults spelled out too (the filter form, the Tag column's link)
    assertThat(page(new Browser().get("/ui/repositories/docker-hosted/images/demo/many?q=t11&show=tagged&sort=name"
        + "&order=asc"), 200)).contains("containing &ldquo;t11&rdquo;").contains(">t110<");
    assertThat(page(new Browser().get("/ui/repositories/docker-hosted/images/demo/app?show=every"), 400))
        .contains("show must be one of tagged, untagged, all");
  }

  @Test
  void tags_untaggedManifests_shownOnRequest() {
    Browser b = new Browser();
    String tagged = page(b.get("/ui/repositories/docker-hosted/images/demo/app"), 200);
    assertThat(tagged).doesNotContain(wharf.untagged.toString());
    String untagged = page(b.get("/ui/repositories/docker-hosted/images/demo/app?show=untagged"), 200);
    assertThat(untagged).contains(wharf.untagged.toString()).contains(">untagged<").doesNotContain(">1.0<")
        .contains("/ui/repositories/docker-hosted/images/demo/app@" + wharf.untagged);
    String all = page(b.get("/ui/repositories/docker-hosted/images/demo/app?show=all"), 200);
    assertThat(all).contains(wharf.untagged.toString()).contains(">1.0<");
  }

  // ---------------------------------------------------------------- search

  @Test
  void search_byNameTagOrDigest_acrossReadableRepositories() {
    Browser admin = new Browser().login("admin", "admin-pw");
    String byName = page(admin.get("/ui/search?q=secret"), 200);
    assertThat(byName).contains("<title>Search: secret · Wharf</title>").contains(">secret/app<").contains(">private<")
        .contains("/ui/repositories/private/images/secret/app:1.0");
    String byTag = page(admin.get("/ui/search?q=latest"), 200);
    assertThat(byTag).contains(">demo/app<").contains(">latest<").doesNotContain(">secret/app<");
    String byDigest = page(admin.get("/ui/search?q=" + wharf.app10), 200);
    assertThat(byDigest).contains(">1.0<").contains(">latest<").doesNotContain(">2.0<").doesNotContain(">old<");
    String inOne = page(admin.get("/ui/search?q=app&repository=private"), 200);
    assertThat(inOne).contains(">secret/app<").doesNotContain(">demo/app<");
    page(admin.get("/ui/search?q=sha256:nothex"), 400);
  }

  @Test
  void search_anonymous_findsOnlyWhatItMayRead() {
    String html = page(new Browser().get("/ui/search?q=app"), 200);
    assertThat(html).contains(">demo/app<").doesNotContain("secret");
    page(new Browser().get("/ui/search?q=app&repository=private"), 404);
  }

  @Test
  void search_pagedWithoutACap() {
    Browser b = new Browser();
    String first = page(b.get("/ui/search?q=demo/many"), 200);
    assertThat(first).contains(">t000<").contains(">t049<").doesNotContain(">t050<");
    String second = page(b.get(link(first, "Next page")), 200);
    assertThat(second).contains(">t050<").contains(">t099<");
    String third = page(b.get(link(second, "Next page")), 200);
    assertThat(third).contains(">t100<").contains(">t119<").doesNotContain("Next page");
  }

  @Test
  void imageDetail_layersConfigHistoryAndPullCommands() {
    String html = page(new Browser().get("/ui/repositories/docker-hosted/images/demo/app:1.0"), 200);
    int own = wharf.server.port("docker-hosted");
    String ref = "127.0.0.1:" + own + "/demo/app";
    assertThat(html).contains("<title>demo/app:1.0 · Wharf</title>")
        .contains(wharf.app10.toString())
        .contains("Layers").contains("RUN step 3")
        .contains("Wharf tests").contains("linux/amd64")
        .contains("org.opencontainers.image.title").contains("demo app")
        .contains(Format.size(wharf.app10Layers))
        .contains("docker pull " + ref + ":1.0")
        .contains("docker pull " + ref + "@" + wharf.app10)
        .contains("podman pull --tls-verify=false " + ref + ":1.0")
        .contains("skopeo copy --src-tls-verify=false docker://" + ref + ":1.0")
        .contains(">latest<"); // the other tag of this manifest
  }

  @Test
  void imageDetail_ofAnIndex_listsItsPlatforms() {
    String html = page(new Browser().get("/ui/repositories/docker-hosted/images/demo/app:2.0"), 200);
    assertThat(html).contains("Platforms").contains("linux/amd64").contains("linux/arm64")
        .contains("/ui/repositories/docker-hosted/images/demo/app@sha256:");
    String byDigest = page(new Browser().get("/ui/repositories/docker-hosted/images/demo/app@" + wharf.app20), 200);
    assertThat(byDigest).contains("linux/arm64");
  }

  @Test
  void imageDetail_unknownTag_404_badName_400() {
    page(new Browser().get("/ui/repositories/docker-hosted/images/demo/app:nope"), 404);
    page(new Browser().get("/ui/repositories/docker-hosted/images/Demo/App"), 400);
    page(new Browser().get("/ui/repositories/docker-hosted/images/demo/nothing"), 404);
  }

  @Test
  void clientContent_isEscaped_neverMarkup() {
    String html = page(new Browser().get("/ui/repositories/docker-hosted/images/demo/app:1.0"), 200);
    assertThat(html).doesNotContain(SCRIPT).contains("&lt;script&gt;window.pwned=1&lt;/script&gt;");
    assertThat(html).contains("org.example.note"); // the annotation, escaped like the label
  }

  // ---------------------------------------------------------------- recent activity

  /** The page's "recent activity" section, to its end. */
  static String activityOf(String html) {
    int at = html.indexOf("id=\"recent-activity\"");
    assertThat(at).as("a recent activity section in %s", html).isNotNegative();
    return html.substring(at, html.indexOf("</section>", at));
  }

  @Test
  void activity_ofARepository_forItsAdministrators_whoWhenTagAndDigestLinked() {
    Browser admin = new Browser().login("admin", "admin-pw");
    String html = page(admin.get("/ui/repositories/docker-hosted"), 200);
    String activity = activityOf(html);
    // the newest pushes are demo/many's last tags, all by admin from this machine
    assertThat(activity).contains("Recent activity").contains(">pushed<").contains(">demo/many<")
        .contains("href=\"/ui/repositories/docker-hosted/images/demo/many:t119\">t119<")
        .contains("href=\"/ui/repositories/docker-hosted/images/demo/many@sha256:")
        .contains("<strong>admin</strong>").contains("from 127.0.0.1")
        .containsPattern("<time datetime=\"[0-9T:.Z-]+\" title=\"[0-9 :-]+ UTC\">");
  }

  @Test
  void activity_ofAnImage_onlyItsDigestAndTags_withTheTagMoves() {
    Browser admin = new Browser().login("admin", "admin-pw");
    String app = page(admin.get("/ui/repositories/docker-hosted/images/demo/app:1.0"), 200);
    String activity = activityOf(app);
    assertThat(activity).contains(">1.0<").contains(">latest<").contains(Format.shortDigest(wharf.app10.toString()))
        .doesNotContain(Format.shortDigest(wharf.appOld.toString())).doesNotContain(">old<")
        .doesNotContain("demo/many");

    // a repository of its own: a tag pushed, then pushed again at another image, moved
    HttpResponse<byte[]> made = wharf.send("POST", "/service/rest/v1/repositories/docker/hosted",
        ("{\"name\":\"moves\",\"online\":true,\"storage\":{\"blobStoreName\":\"default\",\"writePolicy\":\"ALLOW\"},"
            + "\"docker\":{\"forceBasicAuth\":false}}").getBytes(StandardCharsets.UTF_8),
        UiFixture.concat(ADMIN, "Content-Type", "application/json"));
    assertThat(made.statusCode()).as(text(made)).isEqualTo(201);
    var first = wharf.pushImage("moves/team/app", "stable", "{}", null, "linux", "amd64", 1);
    var second = wharf.pushImage("moves/team/app", "stable", "{}", null, "linux", "amd64", 1);
    String moved = page(admin.get("/ui/repositories/moves/images/team/app:stable"), 200);
    String rows = activityOf(moved);
    assertThat(rows).contains(">tag moved<").contains(">pushed<")
        .contains("href=\"/ui/repositories/moves/images/team/app@" + second + "\"")
        .contains(Format.shortDigest(first.toString()));
    assertThat(rows.indexOf(">tag moved<")).as("newest first").isLessThan(rows.indexOf(">pushed<"));
  }

  @Test
  void activity_notShownToThoseWhoDoNotAdministerTheRepository() {
    Browser reader = new Browser().login("reader", "reader-pw");
    for (String path : List.of("/ui/repositories/private", "/ui/repositories/private/images/secret/app:1.0",
        "/ui/repositories/docker-hosted")) {
      String html = page(reader.get(path), 200);
      assertThat(html).as(path).contains("Recent activity is shown to the administrators of")
          .doesNotContain(">pushed<").doesNotContain("from 127.0.0.1");
    }
    String anonymous = page(new Browser().get("/ui/repositories/docker-hosted/images/demo/app:1.0"), 200);
    assertThat(anonymous).contains("Recent activity is shown to the administrators of docker-hosted")
        .doesNotContain(">pushed<");
    // the API agrees: the same caller reads no event of these repositories
    HttpResponse<byte[]> api = wharf.send("GET", "/wharf/api/v1/events?repository=private", null,
        UiFixture.basic("reader", "reader-pw"));
    assertThat(text(api)).as(text(api)).contains("\"items\":[]");
  }

  // ---------------------------------------------------------------- robot accounts, API tokens

  /** What a page says, HTML entities read as the characters they stand for. */
  static String unescaped(String html) {
    return html.replace("&#34;", "\"").replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
        .replace("&amp;", "&");
  }

  static String secretIn(String html, String prefix) {
    Matcher m = Pattern.compile(Pattern.quote(prefix) + "[A-Za-z0-9_-]+").matcher(html);
    assertThat(m.find()).as("a secret %s... in %s", prefix, html).isTrue();
    String secret = m.group();
    assertThat(html.indexOf(secret, m.end())).as("the secret is on the page once").isEqualTo(-1);
    return secret;
  }

  @Test
  void robots_created_secretShownOnce_usable_listedWithScopeAndLastUse_thenRevoked() {
    Browser admin = new Browser().login("admin", "admin-pw");
    assertThat(page(admin.get("/ui/"), 200)).contains("href=\"/ui/robots\"");
    String form = page(admin.get("/ui/robots/new"), 200);
    assertThat(form).contains("name=\"repositories\"").contains("value=\"push\"").contains("name=\"expiresIn\"");
    HttpResponse<byte[]> created = admin.post("/ui/robots/new", "_csrf=" + enc(admin.csrf()) + "&name=ci-ui"
        + "&description=" + enc(SCRIPT) + "&repositories=docker-hosted&actions=pull&actions=push&expiresIn=7d",
        "Origin", wharf.base.toString());
    String shown = page(created, 201);
    String secret = secretIn(shown, "wharf_robot_");
    assertThat(unescaped(shown)).contains("shown this once")
        .contains("docker login -u 'robot$ci-ui' " + wharf.base.getAuthority());

    HttpResponse<byte[]> used = wharf.send("GET", "/v2/docker-hosted/demo/app/tags/list", null,
        UiFixture.basic("robot$ci-ui", secret));
    assertThat(used.statusCode()).as(text(used)).isEqualTo(200);

    String list = page(admin.get("/ui/robots"), 200);
    assertThat(list).contains("<strong>robot$ci-ui</strong>").contains("<code>docker-hosted: pull, push</code>")
        .contains("from 127.0.0.1").contains("&lt;script&gt;window.pwned=1&lt;/script&gt;").doesNotContain(SCRIPT)
        .doesNotContain(secret).containsPattern("<time datetime=\"[0-9T:.Z-]+\" title=\"[0-9 :-]+ UTC\">in (6|7) days");
    assertThat(text(wharf.send("GET", "/wharf/api/v1/robots", null, ADMIN))).contains("robot$ci-ui");

    assertThat(page(admin.get("/ui/robots/ci-ui/revoke"), 200)).contains("Revoke robot$ci-ui")
        .contains("next request fails");
    HttpResponse<byte[]> revoked = admin.post("/ui/robots/ci-ui/revoke", "_csrf=" + enc(admin.csrf()));
    assertThat(revoked.statusCode()).as(text(revoked)).isEqualTo(303);
    assertThat(page(admin.get(revoked.headers().firstValue("Location").orElseThrow()), 200))
        .contains("robot$ci-ui revoked.").doesNotContain("<strong>robot$ci-ui</strong>");
    assertThat(wharf.send("GET", "/v2/docker-hosted/demo/app/tags/list", null,
        UiFixture.basic("robot$ci-ui", secret)).statusCode()).isEqualTo(401);
    page(admin.get("/ui/robots/ci-ui/revoke"), 404);
  }

  @Test
  void robots_form_refusedWithTheApisOwnMessages_valuesKept() {
    Browser admin = new Browser().login("admin", "admin-pw");
    admin.get("/ui/robots/new");
    String badExpiry = unescaped(page(admin.post("/ui/robots/new", "_csrf=" + enc(admin.csrf())
        + "&name=ok&repositories=docker-hosted&actions=pull&expiresIn=soon"), 400));
    String badBody = unescaped(page(admin.post("/ui/robots/new", "_csrf=" + enc(admin.csrf())
        + "&name=" + enc("Bad <b>Name") + "&description=kept&repositories=&expiresIn="), 400));
    assertThat(badBody).contains("value=\"kept\"").contains("id=\"f-name-error\"")
        .contains("id=\"f-repositories-error\"").contains("id=\"f-actions-error\"");
    assertThat(page(admin.post("/ui/robots/new", "_csrf=" + enc(admin.csrf()) + "&name=" + enc("Bad <b>Name")), 400))
        .contains("&lt;b&gt;").doesNotContain("<b>Name");

    // the API, asked the same, says the same words
    for (String[] pair : new String[][] {
        {"{\"name\":\"ok\",\"scope\":[{\"repositories\":[\"docker-hosted\"],\"actions\":[\"pull\"]}],"
            + "\"expiresIn\":\"soon\"}", badExpiry},
        {"{\"name\":\"Bad <b>Name\",\"description\":\"kept\",\"scope\":[{\"repositories\":[],\"actions\":[]}]}",
            badBody}}) {
      HttpResponse<byte[]> api = wharf.send("POST", "/wharf/api/v1/robots", pair[0].getBytes(StandardCharsets.UTF_8),
          UiFixture.concat(ADMIN, "Content-Type", "application/json"));
      assertThat(api.statusCode()).as(text(api)).isEqualTo(400);
      List<tools.jackson.databind.JsonNode> fields = new ArrayList<>();
      tools.jackson.databind.json.JsonMapper.builder().build().readTree(api.body()).get("fields").forEach(fields::add);
      assertThat(fields).as(text(api)).isNotEmpty();
      for (tools.jackson.databind.JsonNode f : fields) {
        assertThat(pair[1]).as("the UI shows the API's %s", f).contains(f.get("message").stringValue());
      }
    }
    assertThat(text(wharf.send("GET", "/wharf/api/v1/robots", null, ADMIN))).doesNotContain("robot$ok");
  }

  @Test
  void robots_onlyForAdministrators_andEveryFormNeedsItsCsrfToken() {
    page(new Browser().get("/ui/robots"), 401);
    page(new Browser().get("/ui/tokens"), 401);
    Browser reader = new Browser().login("reader", "reader-pw");
    assertThat(page(reader.get("/ui/"), 200)).doesNotContain("href=\"/ui/robots\"").contains("href=\"/ui/tokens\"");
    page(reader.get("/ui/robots"), 403);
    page(reader.get("/ui/robots/new"), 403);
    page(reader.post("/ui/robots/new", "_csrf=" + enc(reader.csrf())
        + "&name=sneaky&repositories=private&actions=pull"), 403);

    Browser admin = new Browser().login("admin", "admin-pw");
    admin.get("/ui/robots/new");
    String token = admin.csrf();
    String body = "&name=forged&repositories=docker-hosted&actions=push";
    assertThat(page(admin.post("/ui/robots/new", body.substring(1)), 403)).contains("reload the page");
    assertThat(page(admin.post("/ui/robots/new", "_csrf=" + enc(token) + body, "Origin", "http://evil.example"), 403))
        .contains("another site");
    assertThat(page(admin.post("/ui/tokens/new", "_csrf=" + enc(token) + "&name=forged", "Sec-Fetch-Site",
        "cross-site"), 403)).contains("another site");
    assertThat(text(wharf.send("GET", "/wharf/api/v1/robots", null, ADMIN))).doesNotContain("forged")
        .doesNotContain("sneaky");
    assertThat(text(wharf.send("GET", "/wharf/api/v1/users/me/tokens", null, ADMIN))).doesNotContain("forged");
  }

  @Test
  void tokens_eachUserMakesUsesAndRevokesItsOwn() {
    Browser reader = new Browser().login("reader", "reader-pw");
    assertThat(page(reader.get("/ui/tokens"), 200)).contains("Your API tokens");
    reader.get("/ui/tokens/new");
    assertThat(page(reader.post("/ui/tokens/new", "_csrf=" + enc(reader.csrf()) + "&name=scoped&actions=pull"), 400))
        .contains("id=\"f-repositories-error\"").contains("missing: repository names or globs");
    String shown = page(reader.post("/ui/tokens/new", "_csrf=" + enc(reader.csrf()) + "&name=laptop"), 201);
    String secret = secretIn(shown, "wharf_pat_");
    assertThat(shown).as("a token logs in as its user: no robot login line").doesNotContain("Paste the secret at its password prompt");
    assertThat(wharf.send("GET", "/v2/private/secret/app/tags/list", null, UiFixture.basic("reader", secret))
        .statusCode()).isEqualTo(200);
    String list = page(reader.get("/ui/tokens"), 200);
    assertThat(list).contains("<strong>laptop</strong>").contains("your own rights").doesNotContain(secret);
    Matcher id = Pattern.compile("/ui/tokens/([0-9a-f]+)/revoke").matcher(list);
    assertThat(id.find()).isTrue();

    Browser admin = new Browser().login("admin", "admin-pw");
    assertThat(page(admin.get("/ui/tokens"), 200)).doesNotContain("laptop");
    page(admin.get("/ui/tokens/" + id.group(1) + "/revoke"), 404);
    page(admin.post("/ui/tokens/" + id.group(1) + "/revoke", "_csrf=" + enc(admin.csrf())), 404);

    reader.get("/ui/tokens/" + id.group(1) + "/revoke");
    HttpResponse<byte[]> revoked = reader.post("/ui/tokens/" + id.group(1) + "/revoke", "_csrf=" + enc(reader.csrf()));
    assertThat(revoked.statusCode()).as(text(revoked)).isEqualTo(303);
    assertThat(page(reader.get("/ui/tokens"), 200)).doesNotContain("<strong>laptop</strong>");
    assertThat(wharf.send("GET", "/v2/private/secret/app/tags/list", null, UiFixture.basic("reader", secret))
        .statusCode()).isEqualTo(401);
  }

  // ---------------------------------------------------------------- delete a tag

  @Test
  void delete_confirmationSaysWhatElseGoes() {
    Browser admin = new Browser().login("admin", "admin-pw");
    String shared = page(admin.get("/ui/repositories/docker-hosted/images/demo/app:latest/delete"), 200);
    assertThat(shared).contains("Delete tag latest?").contains("Only the tag goes")
        .contains("keeps its other tag 1.0").contains(wharf.app10.toString());
    String alone = page(admin.get("/ui/repositories/docker-hosted/images/demo/app:old/delete"), 200);
    assertThat(alone).contains("left without a tag").contains("garbage collection");
  }

  @Test
  void delete_withoutTheRight_hiddenAndRefused() {
    Browser reader = new Browser().login("reader", "reader-pw");
    String tags = page(reader.get("/ui/repositories/docker-hosted/images/demo/app"), 200);
    assertThat(tags).doesNotContain("/delete");
    page(reader.get("/ui/repositories/docker-hosted/images/demo/app:old/delete"), 403);
    reader.get("/ui/");
    page(reader.post("/ui/repositories/docker-hosted/images/demo/app:old/delete", "_csrf=" + enc(reader.csrf())), 403);
    Browser anonymous = new Browser();
    anonymous.get("/ui/login");
    page(anonymous.post("/ui/repositories/docker-hosted/images/demo/app:old/delete",
        "_csrf=" + enc(anonymous.csrf())), 401);
    assertThat(wharf.send("GET", "/v2/docker-hosted/demo/app/manifests/old", null,
        UiFixture.concat(ADMIN, "Accept", "application/vnd.oci.image.manifest.v1+json")).statusCode()).isEqualTo(200);
  }

  @Test
  void delete_csrfMissingOrFromAnotherOrigin_refused() {
    Browser admin = new Browser().login("admin", "admin-pw");
    admin.get("/ui/repositories/docker-hosted/images/demo/app:old/delete");
    String token = admin.csrf();
    assertThat(page(admin.post("/ui/repositories/docker-hosted/images/demo/app:old/delete", ""), 403))
        .contains("reload the page");
    assertThat(page(admin.post("/ui/repositories/docker-hosted/images/demo/app:old/delete", "_csrf=" + enc(token),
        "Origin", "http://evil.example"), 403)).contains("another site");
    assertThat(page(admin.post("/ui/repositories/docker-hosted/images/demo/app:old/delete", "_csrf=" + enc(token),
        "Sec-Fetch-Site", "cross-site"), 403)).contains("another site");
    assertThat(page(admin.get("/ui/repositories/docker-hosted/images/demo/app"), 200)).contains(">old<");
  }

  @Test
  void delete_confirmed_removesTheTagOnly() {
    Browser deleter = new Browser().login("deleter", "deleter-pw");
    wharf.tag("docker-hosted/demo/app", "doomed", wharf.appOld);
    deleter.get("/ui/repositories/docker-hosted/images/demo/app:doomed/delete");
    HttpResponse<byte[]> r = deleter.post("/ui/repositories/docker-hosted/images/demo/app:doomed/delete",
        "_csrf=" + enc(deleter.csrf()), "Origin", wharf.base.toString());
    assertThat(r.statusCode()).as(text(r)).isEqualTo(303);
    assertThat(r.headers().firstValue("Location")).hasValue("/ui/repositories/docker-hosted/images/demo/app?deleted=doomed");
    String after = page(deleter.get("/ui/repositories/docker-hosted/images/demo/app?deleted=doomed"), 200);
    assertThat(after).contains("Tag doomed deleted.").doesNotContain(">doomed<").contains(">old<");
    assertThat(wharf.send("GET", "/v2/docker-hosted/demo/app/manifests/" + wharf.appOld, null,
        UiFixture.concat(ADMIN, "Accept", "application/vnd.oci.image.manifest.v1+json")).statusCode()).isEqualTo(200);
  }

  // ---------------------------------------------------------------- administration: repositories

  static int freePort() throws java.io.IOException {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void admin_createsAHostedRepositoryWithItsOwnPort_servingAtOnce_thenEditsAndDeletesIt() throws Exception {
    Browser admin = new Browser().login("admin", "admin-pw");
    assertThat(page(admin.get("/ui/"), 200)).contains("/ui/admin/repositories/new?type=hosted");
    String form = page(admin.get("/ui/admin/repositories/new?type=hosted"), 200);
    assertThat(form).contains("<title>New hosted repository · Wharf</title>").contains("name=\"docker.httpPort\"")
        .contains("name=\"storage.writePolicy\"");
    int port = freePort();
    HttpResponse<byte[]> created = admin.post("/ui/admin/repositories/new?type=hosted", "_csrf=" + enc(admin.csrf())
        + "&name=made-in-ui&storage.blobStoreName=default&storage.writePolicy=ALLOW_ONCE&docker.httpPort=" + port
        + "&wharf.anonymousPull=true&wharf.cleanup.keepLatest=2", "Origin", wharf.base.toString());
    assertThat(created.statusCode()).as(text(created)).isEqualTo(303);
    assertThat(created.headers().firstValue("Location")).hasValue("/ui/repositories/made-in-ui?created");
    assertThat(page(admin.get("/ui/repositories/made-in-ui?created"), 200)).contains("Repository made-in-ui created.")
        .contains("its own port " + port).contains("write policy allow once");
    // its port listens now, as the registry of that repository
    java.net.http.HttpResponse<String> v2 = java.net.http.HttpClient.newHttpClient().send(
        java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://127.0.0.1:" + port + "/v2/")).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(v2.statusCode()).isIn(200, 401);
    // the same repository as the REST API sees it
    assertThat(text(wharf.send("GET", "/service/rest/v1/repositories/docker/hosted/made-in-ui", null, ADMIN)))
        .contains("\"httpPort\":" + port).contains("ALLOW_ONCE");

    String edit = page(admin.get("/ui/admin/repositories/made-in-ui/edit"), 200);
    assertThat(edit).contains("value=\"" + port + "\"").contains("<option value=\"ALLOW_ONCE\" selected>");
    HttpResponse<byte[]> saved = admin.post("/ui/admin/repositories/made-in-ui/edit", "_csrf=" + enc(admin.csrf())
        + "&storage.blobStoreName=default&storage.writePolicy=DENY&docker.httpPort=" + port);
    assertThat(saved.statusCode()).as(text(saved)).isEqualTo(303);
    assertThat(page(admin.get("/ui/repositories/made-in-ui?saved"), 200)).contains("write policy deny")
        .doesNotContain("anonymous pull");

    String confirm = page(admin.get("/ui/admin/repositories/made-in-ui/delete"), 200);
    assertThat(confirm).contains("Delete repository made-in-ui?").contains("its own port " + port + " closes");
    HttpResponse<byte[]> deleted = admin.post("/ui/admin/repositories/made-in-ui/delete", "_csrf=" + enc(admin.csrf()));
    assertThat(deleted.statusCode()).isEqualTo(303);
    assertThat(page(admin.get("/ui/?deleted=made-in-ui"), 200)).contains("Repository made-in-ui deleted.")
        .doesNotContain("/ui/repositories/made-in-ui\"");
    page(admin.get("/ui/repositories/made-in-ui"), 404);
  }

  @Test
  void admin_form_showsTheApisMessagesNextToTheFields_andKeepsTheValues() {
    Browser admin = new Browser().login("admin", "admin-pw");
    admin.get("/ui/admin/repositories/new?type=hosted");
    String html = page(admin.post("/ui/admin/repositories/new?type=hosted", "_csrf=" + enc(admin.csrf())
        + "&name=" + enc("bad name!") + "&storage.blobStoreName=default&storage.writePolicy=ALLOW&docker.httpPort=99999"),
        400);
    assertThat(html).containsPattern("name=\"name\" type=\"text\"[^>]*value=\"bad name!\"[^>]*aria-invalid=\"true\"")
        .contains("id=\"f-name-error\">\"bad name!\" is not a repository name")
        .contains("id=\"f-docker-httpPort-error\">99999 is not a port number");
    // a port another repository listens on: the API's message, next to the port
    String clash = page(admin.post("/ui/admin/repositories/new?type=hosted", "_csrf=" + enc(admin.csrf())
        + "&name=clash&storage.blobStoreName=default&storage.writePolicy=ALLOW&docker.httpPort="
        + wharf.server.port("docker-hosted")), 400);
    assertThat(clash).contains("id=\"f-docker-httpPort-error\">").contains("port " + wharf.server.port("docker-hosted") + " cannot be opened");
    // a name taken: about no field of the form
    assertThat(page(admin.post("/ui/admin/repositories/new?type=hosted", "_csrf=" + enc(admin.csrf())
        + "&name=private&storage.blobStoreName=default&storage.writePolicy=ALLOW"), 409))
        .contains("a repository named private already exists");
    page(admin.get("/ui/repositories/clash"), 404);
  }

  @Test
  void admin_createsProxyAndGroup() {
    Browser admin = new Browser().login("admin", "admin-pw");
    admin.get("/ui/admin/repositories/new?type=proxy");
    HttpResponse<byte[]> proxy = admin.post("/ui/admin/repositories/new?type=proxy", "_csrf=" + enc(admin.csrf())
        + "&name=ui-proxy&storage.blobStoreName=default&proxy.remoteUrl=" + enc("http://127.0.0.1:9")
        + "&dockerProxy.indexType=REGISTRY");
    assertThat(proxy.statusCode()).as(text(proxy)).isEqualTo(303);
    admin.get("/ui/admin/repositories/new?type=group");
    assertThat(page(admin.last, 200)).contains("value=\"ui-proxy\"");
    HttpResponse<byte[]> group = admin.post("/ui/admin/repositories/new?type=group", "_csrf=" + enc(admin.csrf())
        + "&name=ui-group&group.memberNames=private&group.memberNames=ui-proxy&group.writableMember=private");
    assertThat(group.statusCode()).as(text(group)).isEqualTo(303);
    assertThat(page(admin.get("/ui/repositories/ui-group"), 200)).contains("group of private, ui-proxy")
        .contains("pushes go to private").contains("secret/app");
    // a member of a group cannot go first: the API's 409, on the confirmation's form
    admin.get("/ui/admin/repositories/ui-proxy/delete");
    assertThat(page(admin.post("/ui/admin/repositories/ui-proxy/delete", "_csrf=" + enc(admin.csrf())), 409))
        .contains("member of group ui-group");
    admin.get("/ui/admin/repositories/ui-group/delete");
    assertThat(admin.post("/ui/admin/repositories/ui-group/delete", "_csrf=" + enc(admin.csrf())).statusCode())
        .isEqualTo(303);
    admin.get("/ui/admin/repositories/ui-proxy/delete");
    assertThat(admin.post("/ui/admin/repositories/ui-proxy/delete", "_csrf=" + enc(admin.csrf())).statusCode())
        .isEqualTo(303);
  }

  @Test
  void admin_forms_notForOthers_norFromAnotherSite_norForTheFilesRepositories() {
    Browser reader = new Browser().login("reader", "reader-pw");
    assertThat(page(reader.get("/ui/"), 200)).doesNotContain("/ui/admin/");
    page(reader.get("/ui/admin/repositories/new?type=hosted"), 403);
    assertThat(page(reader.get("/ui/repositories/private"), 200)).doesNotContain("Edit settings");
    page(reader.post("/ui/admin/repositories/new?type=hosted", "_csrf=" + enc(reader.csrf())
        + "&name=sneaky&storage.blobStoreName=default&storage.writePolicy=ALLOW"), 403);
    page(new Browser().get("/ui/admin/repositories/new?type=hosted"), 401);
    Browser admin = new Browser().login("admin", "admin-pw");
    admin.get("/ui/admin/repositories/new?type=hosted");
    assertThat(page(admin.post("/ui/admin/repositories/new?type=hosted", "_csrf=" + enc(admin.csrf())
        + "&name=evil&storage.blobStoreName=default&storage.writePolicy=ALLOW", "Origin", "http://evil.example"), 403))
        .contains("another site");
    assertThat(page(admin.post("/ui/admin/repositories/new?type=hosted",
        "name=evil&storage.blobStoreName=default&storage.writePolicy=ALLOW"), 403)).contains("reload the page");
    page(admin.get("/ui/repositories/evil"), 404);
    // the configuration file's repositories are changed in the file
    assertThat(page(admin.get("/ui/repositories/private"), 200)).doesNotContain("Edit settings");
    assertThat(page(admin.get("/ui/admin/repositories/private/edit"), 409)).contains("configuration file");
    page(admin.get("/ui/admin/repositories/new?type=nosuch"), 400);
  }

  // ---------------------------------------------------------------- blob stores

  static void await(String what, java.util.function.BooleanSupplier condition) {
    java.time.Instant deadline = java.time.Instant.now().plusSeconds(120);
    while (!condition.getAsBoolean()) {
      assertThat(java.time.Instant.now()).as("waiting for: %s", what).isBefore(deadline);
      try {
        Thread.sleep(50); // a pause between looks, not the wait: that is the deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
  }

  @Test
  void blobStores_sizeFreeSpaceQuotaAndMaintenance_forAdministratorsOnly() {
    Browser admin = new Browser().login("admin", "admin-pw");
    assertThat(page(admin.get("/ui/"), 200)).contains("href=\"/ui/blobstores\"").contains("href=\"/ui/security\"");
    String html = page(admin.get("/ui/blobstores"), 200);
    assertThat(html).contains("<title>Blob stores · Wharf</title>").contains(">default<").containsPattern(
        "<strong>[0-9.]+ (KiB|MiB)</strong> in [0-9]+ blobs").contains("Free space").containsPattern("[0-9.]+ [KMGT]iB")
        .contains("within its reserve").contains("Cleanup policies").contains("on demand only")
        .contains("Preview cleanup").contains("Run maintenance now");
    Browser reader = new Browser().login("reader", "reader-pw");
    assertThat(page(reader.get("/ui/"), 200)).doesNotContain("/ui/blobstores").doesNotContain("/ui/security");
    page(reader.get("/ui/blobstores"), 403);
    page(new Browser().get("/ui/blobstores"), 401);
    reader.get("/ui/");
    page(reader.post("/ui/blobstores/default/run", "_csrf=" + enc(reader.csrf())), 403);
  }

  @Test
  void cleanupPreview_listsExactlyWhatThePolicyDeletes_withSizes_andTheRunDeletesThat() {
    Browser admin = new Browser().login("admin", "admin-pw");
    String preview = page(admin.get("/ui/blobstores/default/preview"), 200);
    assertThat(preview).contains("cleanup of cleaned").contains("tags to delete 2")
        .contains("href=\"/ui/repositories/cleaned/images/tool:v1\">tool:v1<")
        .contains("href=\"/ui/repositories/cleaned/images/tool:v2\">tool:v2<").doesNotContain("tool:v3")
        .containsPattern("tool:v1</a></td><td class=\"num\">[0-9.]+ KiB<").contains("Garbage collection");
    // the API's preview holds the same sizes (the page shows nothing a script could not read)
    HttpResponse<byte[]> api = wharf.send("GET", "/wharf/api/v1/cleanup/preview?store=default", null, ADMIN);
    assertThat(api.statusCode()).as(text(api)).isEqualTo(200);
    tools.jackson.databind.JsonNode cleaned = null;
    for (tools.jackson.databind.JsonNode step : tools.jackson.databind.json.JsonMapper.builder().build()
        .readTree(api.body()).get("stores").get(0).get("steps")) {
      if (step.path("repository").isString() && step.path("repository").stringValue().equals("cleaned")) {
        cleaned = step;
      }
    }
    assertThat(cleaned).as(text(api)).isNotNull();
    assertThat(cleaned.get("items")).hasSize(2);
    assertThat(cleaned.get("sizeComplete").booleanValue()).isTrue();
    long sum = 0;
    for (tools.jackson.databind.JsonNode item : cleaned.get("items")) {
      long size = item.get("sizeInBytes").longValue();
      assertThat(size).isPositive();
      assertThat(preview).contains(item.get("item").stringValue() + "</a></td><td class=\"num\">"
          + Format.size(size) + "<");
      sum += size;
    }
    assertThat(cleaned.get("sizeInBytes").longValue()).isEqualTo(sum);
    assertThat(page(admin.get("/ui/repositories/cleaned/images/tool"), 200)).contains(">v1<").contains(">v2<");
    HttpResponse<byte[]> run = admin.post("/ui/blobstores/default/run", "_csrf=" + enc(admin.csrf()),
        "Origin", wharf.base.toString());
    assertThat(run.statusCode()).as(text(run)).isEqualTo(303);
    assertThat(page(admin.get("/ui/blobstores?started=default"), 200)).contains("Maintenance started");
    await("the run's report", () -> text(admin.get("/ui/blobstores")).contains("tags deleted 2"));
    assertThat(page(admin.get("/ui/blobstores"), 200)).contains(">OK<").contains("Last run's report");
    // browse follows as soon as the index has walked the store again (it does after each run)
    await("v1 and v2 gone from the tags", () -> !text(admin.get("/ui/repositories/cleaned/images/tool")).contains(">v1<"));
    String after = page(admin.get("/ui/repositories/cleaned/images/tool"), 200);
    assertThat(after).contains(">v3<").doesNotContain(">v1<").doesNotContain(">v2<");
    assertThat(page(admin.get("/ui/blobstores/default/preview"), 200)).contains("tags to delete 0");
  }

  // ---------------------------------------------------------------- security

  @Test
  void security_usersRolesAndAnonymousAccess_forAdministratorsOnly() {
    Browser admin = new Browser().login("admin", "admin-pw");
    String html = page(admin.get("/ui/security"), 200);
    assertThat(html).contains("<title>Security · Wharf</title>").contains("<strong>reader</strong>")
        .contains("<code>nx-repository-view-docker-private-read</code>").contains("<strong>admins</strong>").contains("Anonymous access")
        .contains("Turn anonymous access off");
    page(new Browser().login("reader", "reader-pw").get("/ui/security"), 403);
    page(new Browser().get("/ui/security/users/new"), 401);
  }

  @Test
  void security_createAUser_whoLogsInAtOnce_thenResetItsPassword() {
    Browser admin = new Browser().login("admin", "admin-pw");
    String form = page(admin.get("/ui/security/users/new"), 200);
    assertThat(form).contains("name=\"userId\"").contains("value=\"readers\"");
    String refused = page(admin.post("/ui/security/users/new", "_csrf=" + enc(admin.csrf())
        + "&userId=" + enc("no spaces") + "&emailAddress=nope&password=x&roles=nosuch"), 400);
    assertThat(refused).contains("id=\"f-userId-error\">").contains("id=\"f-emailAddress-error\">")
        .contains("is not an email address").contains("unknown role").contains("value=\"nope\"");
    HttpResponse<byte[]> created = admin.post("/ui/security/users/new", "_csrf=" + enc(admin.csrf())
        + "&userId=carol&firstName=Carol&emailAddress=carol%40example.org&password=" + enc("carol-pw-1")
        + "&roles=readers", "Origin", wharf.base.toString());
    assertThat(created.statusCode()).as(text(created)).isEqualTo(303);
    assertThat(page(admin.get("/ui/security?created=carol"), 200)).contains("User carol created.")
        .contains("<strong>carol</strong>");
    Browser carol = new Browser().login("carol", "carol-pw-1");
    assertThat(page(carol.get("/ui/"), 200)).contains("Logged in as <strong>carol</strong>").contains("private");

    admin.get("/ui/security/users/carol/password");
    assertThat(page(admin.post("/ui/security/users/carol/password", "_csrf=" + enc(admin.csrf())
        + "&password=a-new-pw-2&confirm=other"), 400)).contains("the two passwords differ");
    HttpResponse<byte[]> reset = admin.post("/ui/security/users/carol/password", "_csrf=" + enc(admin.csrf())
        + "&password=a-new-pw-2&confirm=a-new-pw-2");
    assertThat(reset.statusCode()).as(text(reset)).isEqualTo(303);
    new Browser().login("carol", "a-new-pw-2");
    Browser old = new Browser();
    old.get("/ui/login");
    page(old.post("/ui/login", "_csrf=" + enc(old.csrf()) + "&next=%2Fui%2F&username=carol&password=carol-pw-1"), 401);
  }
}
