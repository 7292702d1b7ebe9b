package io.wharf.server.ui;

import static io.wharf.server.ui.UiFixture.ADMIN;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import java.io.File;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web UI in a real browser: Debian's chromium, headless, driven through Debian's
 * {@code /usr/bin/chromedriver} (Selenium never downloads one). A real Wharf with pushed images
 * ({@link UiFixture}). Each step leaves a screenshot in {@code target/ui-screenshots/}.
 *
 * <p>Interop profile: it needs the two Debian packages, which {@code .ci/run} installs; without
 * them it fails, it never skips.
 */
@Tag("interop")
class WebUiBrowserIT {
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path SHOTS = Path.of("target", "ui-screenshots");
  /** Generous: the machine is shared and busy; waits end as soon as the condition holds. */
  static final Duration WAIT = Duration.ofSeconds(60);

  @TempDir static Path dir;
  static UiFixture wharf;
  ChromeDriver browser;
  WebDriverWait wait;

  @BeforeAll
  static void start() throws Exception {
    assertThat(CHROMEDRIVER).as("chromium-driver is missing: .ci/run installs it with apt-get").isExecutable();
    assertThat(CHROMIUM).as("chromium is missing: .ci/run installs it with apt-get").isExecutable();
    Files.createDirectories(SHOTS);
    wharf = new UiFixture(dir);
  }

  @AfterAll
  static void stop() throws Exception {
    if (wharf != null) {
      wharf.close();
    }
  }

  @BeforeEach
  void open() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
        "--window-size=1280,1000", "--lang=en-US");
    // Debian's driver, never a download: quitting the browser stops this service with it
    ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
        .usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
    wait = new WebDriverWait(browser, WAIT);
  }

  @AfterEach
  void close() {
    if (browser != null) {
      browser.quit();
    }
  }

  String url(String path) {
    return wharf.base + path;
  }

  /** Saves what the browser shows, the whole page tall. */
  void shot(String name) throws Exception {
    Object height = browser.executeScript("return document.documentElement.scrollHeight");
    long h = Math.min(4000, Math.max(700, ((Number) height).longValue()));
    browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, (int) h));
    File png = browser.getScreenshotAs(OutputType.FILE);
    Files.copy(png.toPath(), SHOTS.resolve(name + ".png"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    browser.manage().window().setSize(new org.openqa.selenium.Dimension(1280, 1000));
  }

  String body() {
    return browser.findElement(By.tagName("body")).getText();
  }

  void login(String user, String password) {
    browser.get(url("/ui/"));
    browser.findElement(By.linkText("Log in")).click();
    wait.until(ExpectedConditions.titleContains("Log in"));
    browser.findElement(By.id("username")).sendKeys(user);
    browser.findElement(By.id("password")).sendKeys(password, Keys.ENTER);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("who"), "Logged in as " + user));
  }

  // ---------------------------------------------------------------- the admin's round

  @Test
  void admin_logsIn_browses_inspects_copies_deletes_logsOut() throws Exception {
    browser.get(url("/"));
    wait.until(ExpectedConditions.titleIs("Repositories · Wharf"));
    shot("01-repositories-anonymous");
    browser.findElement(By.linkText("Log in")).click();
    wait.until(ExpectedConditions.titleContains("Log in"));
    browser.findElement(By.id("username")).sendKeys("admin");
    browser.findElement(By.id("password")).sendKeys("wrong", Keys.ENTER);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("alert"), "Wrong user name"));
    shot("02-login-failed");
    browser.findElement(By.id("password")).sendKeys("admin-pw", Keys.ENTER);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("who"), "Logged in as admin"));
    assertThat(body()).contains("docker-hosted").contains("private").contains("hub")
        .contains("upstream blocked until");
    shot("03-repositories-admin");

    browser.findElement(By.linkText("docker-hosted")).click();
    wait.until(ExpectedConditions.titleIs("docker-hosted · Wharf"));
    assertThat(body()).contains("demo/app").contains("demo/many");
    shot("04-images");

    browser.findElement(By.linkText("demo/app")).click();
    wait.until(ExpectedConditions.titleIs("demo/app in docker-hosted · Wharf"));
    assertThat(body()).contains("4 tags").contains("index, 2 platforms");
    shot("05-tags");

    browser.findElement(By.linkText("1.0")).click();
    wait.until(ExpectedConditions.titleIs("demo/app:1.0 · Wharf"));
    String detail = body();
    assertThat(detail).contains(wharf.app10.toString()).contains("Layers").contains("Build history")
        .contains("org.opencontainers.image.title").contains(Format.size(wharf.app10Layers));
    // the label holding <script> shows as text and never ran
    assertThat(detail).contains(UiFixture.SCRIPT);
    assertThat(browser.executeScript("return window.pwned === undefined")).isEqualTo(true);
    shot("06-image-detail");

    // copy the first pull command: the clipboard then holds exactly the command shown
    browser.executeCdpCommand("Browser.grantPermissions", Map.of("origin", wharf.base.toString(),
        "permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
    WebElement cmd = browser.findElement(By.cssSelector("section[aria-labelledby=pull] .cmd"));
    String shown = cmd.findElement(By.tagName("code")).getText();
    assertThat(shown).isEqualTo("docker pull 127.0.0.1:" + wharf.server.port("docker-hosted") + "/demo/app:1.0");
    WebElement copy = cmd.findElement(By.cssSelector("button.copy"));
    wait.until(ExpectedConditions.visibilityOf(copy));
    copy.click();
    wait.until(ExpectedConditions.textToBePresentInElement(copy, "Copied"));
    Object clip = browser.executeAsyncScript("const done = arguments[arguments.length - 1];"
        + " navigator.clipboard.readText().then(done, e => done('error: ' + e));");
    assertThat(clip).isEqualTo(shown);

    // an index: its platforms, each a link to its own detail
    browser.get(url("/ui/repositories/docker-hosted/images/demo/app:2.0"));
    wait.until(ExpectedConditions.titleIs("demo/app:2.0 · Wharf"));
    assertThat(body()).contains("Platforms").contains("linux/amd64").contains("linux/arm64");
    shot("07-index-detail");
    browser.findElement(By.linkText("linux/arm64")).click();
    wait.until(ExpectedConditions.titleContains("demo/app@sha256:"));
    assertThat(body()).contains("linux/arm64").contains("Layers");

    // delete a tag: the confirmation says what else goes, then the tag is gone and nothing else
    browser.get(url("/ui/repositories/docker-hosted/images/demo/app"));
    browser.findElement(By.cssSelector("a[href$='demo/app:old/delete']")).click();
    wait.until(ExpectedConditions.titleContains("Delete demo/app:old"));
    assertThat(body()).contains("Only the tag goes").contains("left without a tag");
    shot("08-delete-confirmation");
    browser.findElement(By.id("confirm-delete")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("flash"), "Tag old deleted."));
    assertThat(browser.findElements(By.linkText("old"))).isEmpty();
    assertThat(browser.findElements(By.linkText("latest"))).isNotEmpty();
    assertThat(wharf.send("GET", "/v2/docker-hosted/demo/app/manifests/" + wharf.appOld, null,
        UiFixture.concat(ADMIN, "Accept", "application/vnd.oci.image.manifest.v1+json")).statusCode()).isEqualTo(200);
    shot("09-tag-deleted");

    browser.findElement(By.cssSelector("form[action$='/logout'] button")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("flash"), "You are logged out"));
    assertThat(body()).doesNotContain("private").contains("Log in");
  }

  // ---------------------------------------------------------------- a repository's life, with skopeo

  /** Runs skopeo to its end (three minutes at most); its stderr in the failure. */
  static void skopeo(String... args) throws Exception {
    List<String> command = new java.util.ArrayList<>(List.of("skopeo", "--insecure-policy"));
    command.addAll(List.of(args));
    Path err = Files.createTempFile(dir, "skopeo-", ".err");
    Process p = new ProcessBuilder(command).redirectErrorStream(false).redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(err.toFile()).start();
    assertThat(p.waitFor(3, java.util.concurrent.TimeUnit.MINUTES)).as("skopeo %s finished", command).isTrue();
    assertThat(p.exitValue()).as("skopeo %s: %s", command, Files.readString(err)).isZero();
  }

  static int freePort() throws Exception {
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  void admin_createsARepositoryWithItsPort_pushesWithSkopeo_searches_deletes_previewsAndRunsCleanup() throws Exception {
    login("admin", "admin-pw");
    browser.findElement(By.linkText("hosted")).click();
    wait.until(ExpectedConditions.titleIs("New hosted repository · Wharf"));
    int port = freePort();
    browser.findElement(By.id("f-name")).sendKeys("team-ui");
    browser.findElement(By.id("f-docker-httpPort")).sendKeys("99999");
    browser.findElement(By.id("f-wharf-cleanup-keepLatest")).sendKeys("1");
    browser.findElement(By.id("save")).click();
    // the API's message, next to the field it is about; what was typed stays
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("f-docker-httpPort-error"),
        "99999 is not a port number"));
    assertThat(browser.findElement(By.id("f-name")).getAttribute("value")).isEqualTo("team-ui");
    shot("15-repository-form-refused");
    WebElement portField = browser.findElement(By.id("f-docker-httpPort"));
    portField.clear();
    portField.sendKeys(String.valueOf(port));
    browser.findElement(By.id("save")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("flash"), "Repository team-ui created."));
    assertThat(browser.getPageSource()).contains("its own port " + port); // under "How to reach it"
    shot("16-repository-created");

    // push to its own port with skopeo: two images from the server's other repositories, three tags
    String creds = "admin:admin-pw";
    String main = "127.0.0.1:" + wharf.server.port();
    String dest = "docker://127.0.0.1:" + port + "/team/app:";
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", creds, "--dest-creds", creds,
        "docker://" + main + "/docker-hosted/demo/app:1.0", dest + "1");
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", creds, "--dest-creds", creds,
        "docker://" + main + "/private/secret/app:1.0", dest + "2");
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", creds, "--dest-creds", creds,
        "docker://" + main + "/docker-hosted/demo/app:1.0", dest + "3");

    browser.get(url("/ui/repositories/team-ui"));
    browser.findElement(By.linkText("team/app")).click();
    wait.until(ExpectedConditions.titleIs("team/app in team-ui · Wharf"));
    assertThat(body()).contains("3 tags");
    browser.findElement(By.linkText("1")).click();
    wait.until(ExpectedConditions.titleIs("team/app:1 · Wharf"));
    assertThat(body()).contains("Total size").contains("Layers").contains(Format.size(wharf.app10Layers))
        .contains("docker pull 127.0.0.1:" + port + "/team/app:1");
    assertThat(browser.findElements(By.cssSelector("section[aria-labelledby=layers] tbody tr"))).hasSize(3);

    // search finds it by name, across repositories
    browser.findElement(By.linkText("Search")).click();
    browser.findElement(By.id("q")).sendKeys("team/app", Keys.ENTER);
    wait.until(ExpectedConditions.titleIs("Search: team/app · Wharf"));
    assertThat(browser.findElements(By.cssSelector("#hits tbody tr"))).hasSize(3);
    shot("17-search");

    // delete tag 3
    browser.get(url("/ui/repositories/team-ui/images/team/app:3/delete"));
    assertThat(body()).contains("keeps its other tag 1");
    browser.findElement(By.id("confirm-delete")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("flash"), "Tag 3 deleted."));

    // the cleanup preview: keep the newest tag of each image, so exactly team/app:1 goes
    browser.findElement(By.linkText("Blob stores")).click();
    wait.until(ExpectedConditions.titleIs("Blob stores · Wharf"));
    shot("18-blob-stores");
    browser.findElement(By.linkText("Preview cleanup…")).click();
    wait.until(ExpectedConditions.titleIs("Cleanup preview of default · Wharf"));
    WebElement step = browser.findElement(By.xpath("//section[h2='cleanup of team-ui']"));
    assertThat(step.findElements(By.cssSelector("tbody td:first-child"))).extracting(WebElement::getText)
        .containsExactly("team/app:1");
    assertThat(step.findElement(By.cssSelector("tbody td.num")).getText()).endsWith("KiB");
    shot("19-cleanup-preview");
    browser.findElement(By.id("run-now")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("flash"), "Maintenance started"));
    WebDriverWait report = new WebDriverWait(browser, WAIT);
    report.until(d -> {
      d.navigate().refresh();
      return d.findElement(By.tagName("body")).getText().contains("cleanup of team-ui: images 1, tags deleted 1");
    });
    shot("20-maintenance-report");
    report.until(d -> {
      d.get(url("/ui/repositories/team-ui/images/team/app"));
      return d.findElements(By.linkText("1")).isEmpty();
    });
    assertThat(browser.findElements(By.linkText("2"))).isNotEmpty();
  }

  @Test
  void admin_securityPages_createAUser() throws Exception {
    login("admin", "admin-pw");
    browser.findElement(By.linkText("Security")).click();
    wait.until(ExpectedConditions.titleIs("Security · Wharf"));
    shot("21-security");
    browser.findElement(By.linkText("New user")).click();
    browser.findElement(By.id("f-userId")).sendKeys("dave");
    browser.findElement(By.id("f-password")).sendKeys("dave-pw-1");
    browser.findElement(By.cssSelector("input[name=roles][value=readers]")).click();
    browser.findElement(By.id("save")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("flash"), "User dave created."));
    browser.findElement(By.cssSelector("form[action$='/logout'] button")).click();
    login("dave", "dave-pw-1");
    assertThat(browser.findElements(By.cssSelector(".card h2"))).extracting(WebElement::getText).contains("private");
  }

  // ---------------------------------------------------------------- robot accounts, API tokens, activity

  @Test
  void admin_makesARobot_copiesItsSecretOnce_pushesWithItBySkopeo_seesThePushInTheActivity() throws Exception {
    login("admin", "admin-pw");
    browser.findElement(By.linkText("Robots")).click();
    wait.until(ExpectedConditions.titleIs("Robot accounts · Wharf"));
    browser.findElement(By.linkText("New robot account")).click();
    wait.until(ExpectedConditions.titleIs("New robot account · Wharf"));
    browser.findElement(By.id("f-name")).sendKeys("ci-browser");
    browser.findElement(By.id("f-description")).sendKeys("pushes from the browser test");
    browser.findElement(By.id("f-repositories")).sendKeys("docker-hosted");
    browser.findElement(By.cssSelector("input[name=actions][value=push]")).click();
    browser.findElement(By.id("f-expiresIn")).sendKeys("90d");
    browser.findElement(By.id("save")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("secret"), "shown this once"));
    List<WebElement> commands = browser.findElements(By.cssSelector(".secret .cmd"));
    assertThat(commands).hasSize(2);
    String login = commands.get(1).findElement(By.tagName("code")).getText();
    assertThat(login).isEqualTo("docker login -u 'robot$ci-browser' 127.0.0.1:" + wharf.server.port());

    // the secret, through its Copy button: the clipboard holds exactly what is shown
    browser.executeCdpCommand("Browser.grantPermissions", Map.of("origin", wharf.base.toString(),
        "permissions", List.of("clipboardReadWrite", "clipboardSanitizedWrite")));
    String shown = commands.get(0).findElement(By.tagName("code")).getText();
    WebElement copy = commands.get(0).findElement(By.cssSelector("button.copy"));
    wait.until(ExpectedConditions.visibilityOf(copy));
    copy.click();
    wait.until(ExpectedConditions.textToBePresentInElement(copy, "Copied"));
    Object secret = browser.executeAsyncScript("const done = arguments[arguments.length - 1];"
        + " navigator.clipboard.readText().then(done, e => done('error: ' + e));");
    assertThat(secret).isEqualTo(shown);
    assertThat(shown).startsWith("wharf_robot_");
    shot("22-robot-created");

    // shown once: the list, and the same page loaded again, hold no secret
    browser.get(url("/ui/robots"));
    wait.until(ExpectedConditions.titleIs("Robot accounts · Wharf"));
    assertThat(browser.getPageSource()).doesNotContain(shown).contains("robot$ci-browser");

    // skopeo pushes with the robot's secret to the repository its scope names
    String main = "127.0.0.1:" + wharf.server.port();
    skopeo("copy", "--src-tls-verify=false", "--dest-tls-verify=false", "--src-creds", "admin:admin-pw",
        "--dest-creds", "robot$ci-browser:" + shown, "docker://" + main + "/docker-hosted/demo/app:1.0",
        "docker://" + main + "/docker-hosted/robot/app:ci");

    browser.navigate().refresh();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.cssSelector("table.credentials"),
        "from 127.0.0.1"));
    assertThat(body()).contains("docker-hosted: pull, push").contains("pushes from the browser test");
    shot("23-robots");

    // the push, in the repository's recent activity, by the robot, its digest linked to the image
    browser.get(url("/ui/repositories/docker-hosted"));
    WebElement activity = wait.until(ExpectedConditions.presenceOfElementLocated(By.id("recent-activity")));
    WebElement first = activity.findElement(By.cssSelector("tbody tr"));
    assertThat(first.getText()).contains("pushed").contains("robot/app:ci").contains("robot$ci-browser")
        .contains("from 127.0.0.1");
    shot("24-repository-activity");
    first.findElement(By.tagName("code")).click();
    wait.until(ExpectedConditions.titleContains("robot/app@sha256:"));
    assertThat(browser.findElement(By.id("recent-activity")).getText()).contains("robot$ci-browser");
    shot("25-image-activity");

    // revoked after a confirmation: its next push fails
    browser.get(url("/ui/robots"));
    browser.findElement(By.cssSelector("a[aria-label='Revoke robot$ci-browser']")).click();
    wait.until(ExpectedConditions.titleIs("Revoke robot$ci-browser · Wharf"));
    browser.findElement(By.id("confirm-revoke")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("flash"), "robot$ci-browser revoked."));
    assertThat(wharf.send("GET", "/v2/docker-hosted/robot/app/tags/list", null,
        UiFixture.basic("robot$ci-browser", shown)).statusCode()).isEqualTo(401);
  }

  @Test
  void user_makesAnApiToken_shownOnce() throws Exception {
    login("reader", "reader-pw");
    browser.findElement(By.linkText("API tokens")).click();
    wait.until(ExpectedConditions.titleIs("API tokens · Wharf"));
    browser.findElement(By.linkText("New API token")).click();
    browser.findElement(By.id("f-name")).sendKeys("laptop");
    browser.findElement(By.id("f-repositories")).sendKeys("private");
    assertThat(browser.findElement(By.cssSelector("input[name=actions][value=pull]")).isSelected())
        .as("pull is chosen at first").isTrue();
    browser.findElement(By.id("save")).click();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("secret"), "shown this once"));
    String token = browser.findElement(By.cssSelector(".secret code")).getText();
    assertThat(token).startsWith("wharf_pat_");
    assertThat(wharf.send("GET", "/v2/private/secret/app/tags/list", null, UiFixture.basic("reader", token))
        .statusCode()).isEqualTo(200);
    assertThat(body()).contains("private: pull");
    shot("26-api-token-created");
  }

  // ---------------------------------------------------------------- rights

  @Test
  void reader_seesItsRepositoryOnly_andNoDeleteButtons() throws Exception {
    login("reader", "reader-pw");
    assertThat(browser.findElements(By.cssSelector(".card h2"))).extracting(WebElement::getText)
        .containsExactly("docker-hosted", "private");
    shot("10-repositories-reader");
    browser.get(url("/ui/repositories/docker-hosted/images/demo/app"));
    assertThat(browser.findElements(By.partialLinkText("Delete"))).isEmpty();
    browser.get(url("/ui/repositories/hub"));
    assertThat(browser.getTitle()).isEqualTo("Not found · Wharf");
  }

  @Test
  void anonymous_browsesWhatAnonymousPullAllows() throws Exception {
    browser.get(url("/ui/"));
    assertThat(browser.findElements(By.cssSelector(".card h2"))).extracting(WebElement::getText)
        .containsExactly("docker-hosted");
    assertThat(body()).contains("Log in to see yours");
    browser.get(url("/ui/repositories/docker-hosted/images/demo/app:latest"));
    assertThat(body()).contains(wharf.app10.toString());
    assertThat(browser.findElements(By.partialLinkText("Delete"))).isEmpty();
    browser.get(url("/ui/repositories/private"));
    assertThat(browser.getTitle()).isEqualTo("Not found · Wharf");
    assertThat(body()).doesNotContain("secret");
    shot("11-not-found-anonymous");
  }

  // ---------------------------------------------------------------- htmx: partial updates

  @Test
  void tags_filterAndPaging_updateInPlace() throws Exception {
    browser.get(url("/ui/repositories/docker-hosted/images/demo/many"));
    assertThat(body()).contains("120 tags");
    // a marker on the window survives partial updates and dies with a full page load
    browser.executeScript("window.wharfMarker = 42");
    browser.findElement(By.linkText("Next page →")).click();
    wait.until(ExpectedConditions.presenceOfElementLocated(By.linkText("t050")));
    assertThat(browser.getCurrentUrl()).contains("page=");
    assertThat(((JavascriptExecutor) browser).executeScript("return window.wharfMarker")).isEqualTo(42L);

    browser.findElement(By.id("q")).sendKeys("t11");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("count"), "containing “t11”"));
    assertThat(browser.findElements(By.cssSelector("#tags tbody tr"))).hasSize(10);
    assertThat(browser.getCurrentUrl()).contains("q=t11");
    assertThat(browser.findElements(By.linkText("t050"))).isEmpty();
    assertThat(((JavascriptExecutor) browser).executeScript("return window.wharfMarker")).isEqualTo(42L);
    shot("12-tags-filtered");
  }

  @Test
  void tags_liveFilter_keepsTheChosenSort_andAReloadKeepsBoth() throws Exception {
    browser.get(url("/ui/repositories/docker-hosted/images/demo/app"));
    browser.executeScript("window.wharfMarker = 42");
    // the headers show in capitals (CSS): found by where they lead
    browser.findElement(By.cssSelector("th a[href*='sort=size']")).click(); // largest first
    wait.until(ExpectedConditions.attributeToBe(By.xpath("//th[a[starts-with(., 'Size')]]"), "aria-sort", "descending"));
    browser.findElement(By.id("q")).sendKeys("0");
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("count"), "containing “0”"));
    // 1.0 and 2.0 contain a 0; 2.0, an index of two images, is the larger
    assertThat(browser.findElements(By.cssSelector("#tags tbody tr td:first-child"))).extracting(WebElement::getText)
        .containsExactly("2.0", "1.0");
    assertThat(browser.getCurrentUrl()).contains("q=0").contains("sort=size").contains("order=desc");
    assertThat(((JavascriptExecutor) browser).executeScript("return window.wharfMarker")).isEqualTo(42L);

    browser.navigate().refresh();
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("count"), "containing “0”"));
    assertThat(browser.findElements(By.cssSelector("#tags tbody tr td:first-child"))).extracting(WebElement::getText)
        .containsExactly("2.0", "1.0");
    assertThat(browser.findElement(By.id("q")).getAttribute("value")).isEqualTo("0");
  }

  @Test
  void darkMode_followsTheSystem() throws Exception {
    browser.executeCdpCommand("Emulation.setEmulatedMedia",
        Map.of("features", List.of(Map.of("name", "prefers-color-scheme", "value", "dark"))));
    browser.get(url("/ui/repositories/docker-hosted/images/demo/app:1.0"));
    Object bg = browser.executeScript("return getComputedStyle(document.body).backgroundColor");
    assertThat(bg).isEqualTo("rgb(20, 23, 28)");
    shot("13-image-detail-dark");
  }

  // ---------------------------------------------------------------- CSRF from another origin

  @Test
  void csrf_formFromAnotherOrigin_refused() throws Exception {
    login("admin", "admin-pw");
    String target = url("/ui/repositories/docker-hosted/images/demo/app:latest/delete");
    HttpServer evil = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    byte[] page = ("<!DOCTYPE html><html><body><form id=f method=post action=\"" + target + "\">"
        + "<input name=_csrf value=guess></form><script>document.getElementById('f').submit()</script>"
        + "</body></html>").getBytes(StandardCharsets.UTF_8);
    evil.createContext("/", x -> {
      x.getResponseHeaders().add("Content-Type", "text/html");
      x.sendResponseHeaders(200, page.length);
      x.getResponseBody().write(page);
      x.close();
    });
    evil.start();
    try {
      browser.get("http://127.0.0.1:" + evil.getAddress().getPort() + "/");
      wait.until(ExpectedConditions.titleIs("Not allowed · Wharf"));
      assertThat(body()).contains("another site");
      shot("14-csrf-refused");
    } finally {
      evil.stop(0);
    }
    assertThat(wharf.send("GET", "/v2/docker-hosted/demo/app/manifests/latest", null,
        UiFixture.concat(ADMIN, "Accept", "application/vnd.oci.image.manifest.v1+json")).statusCode()).isEqualTo(200);
  }
}
