package dev.vigil.infra.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.vigil.infra.cli.VigilMain;
import dev.vigil.infra.embedded.EmbeddedStack;
import dev.vigil.starter.api.ApiServer;
import dev.vigil.workflows.backup.PlanResult;
import dev.vigil.workflows.drill.DrillReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The web console in a real browser (Debian's headless Chromium through chromedriver) against the
 * embedded stack with the demo's data (a backup of every source and a drill): login, overview,
 * backups, drills, a drill started and followed live, and a viewer's refused action. Screenshots go
 * to target/console-screenshots/.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleBrowserIT {
  private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
  private static final String TEMPORAL_UI = "http://127.0.0.1:8233";
  private static final Duration WAIT = Duration.ofSeconds(30);
  private static final int ROLLOUTS = 60;

  private EmbeddedStack stack;
  private ApiServer api;
  private ChromeDriver browser;
  private String base;
  private String operatorToken;
  private String viewerToken;
  private String seededDrillId;

  @BeforeAll
  void startStackWithDemoDataAndBrowser() throws IOException {
    Path work = Files.createTempDirectory("vigil-console-it");
    stack = EmbeddedStack.start(work, System.err);
    operatorToken =
        Files.readString(work.resolve("secrets").resolve(EmbeddedStack.OPERATOR_TOKEN_FILE))
            .strip();
    viewerToken =
        Files.readString(work.resolve("secrets").resolve(EmbeddedStack.VIEWER_TOKEN_FILE)).strip();
    // More config files than a page of the backup's manifest holds (50), to page through.
    for (int i = 0; i < ROLLOUTS; i++) {
      Path rollout = work.resolve("data/config/rollouts/r%02d.yaml".formatted(i));
      Files.createDirectories(rollout.getParent());
      Files.writeString(rollout, "replicas: " + i + "\n");
    }
    // What vigil demo does: back up every source, then drill that backup.
    PlanResult backups =
        stack
            .backups()
            .await(stack.backups().start("demo", List.of(), System.currentTimeMillis(), "test"));
    assertThat(backups.complete()).isTrue();
    seededDrillId = stack.drills().start("quarterly", System.currentTimeMillis(), "test");
    DrillReport drill = stack.drills().await(seededDrillId);
    assertThat(drill.passed()).isTrue();

    Map<String, Object> properties = new LinkedHashMap<>(ApiSettings.from(stack.config()));
    properties.put("vigil.console.temporal-ui-url", TEMPORAL_UI + "/");
    api = ApiServer.start(properties);
    base = api.url().toString();

    Files.createDirectories(SCREENSHOTS);
    ChromeOptions options = new ChromeOptions();
    options.setBinary("/usr/bin/chromium");
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1400,1000");
    browser =
        new ChromeDriver(
            new ChromeDriverService.Builder()
                .usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .usingAnyFreePort()
                .build(),
            options);
  }

  @AfterAll
  void stopEverything() {
    if (browser != null) {
      browser.quit();
    }
    if (api != null) {
      api.close();
    }
    if (stack != null) {
      stack.close();
    }
  }

  @Test
  @Order(1)
  void theConsoleAsksForATokenAndKeepsItOutOfUrlsAndTheBrowser() {
    browser.get(base + "/console/");
    waitFor(() -> browser.getCurrentUrl().endsWith("/console/login"));
    logIn("not-a-configured-token-0123456789");
    waitFor(() -> text("#login-error").contains("Unknown token"));

    logIn(viewerToken);
    waitFor(() -> text("#overview-summary").contains("sources"));
    assertThat(browser.getCurrentUrl()).doesNotContain(viewerToken);
    Cookie session = browser.manage().getCookieNamed("vigil_session");
    assertThat(session.isHttpOnly()).isTrue();
    assertThat(session.getSameSite()).isEqualTo("Strict");
    assertThat(session.getValue()).doesNotContain(viewerToken);
    Object stored =
        script(
            "return document.cookie + JSON.stringify(localStorage) + JSON.stringify(sessionStorage)"
                + " + document.documentElement.outerHTML;");
    assertThat(String.valueOf(stored)).doesNotContain(viewerToken);
    assertThat(text("#who")).isEqualTo("viewer (viewer)");
  }

  @Test
  @Order(2)
  void theOverviewShowsEverySourceWithItsVerifiedBackupAndDrill() throws IOException {
    browser.get(base + "/console/#overview");
    waitFor(() -> browser.findElements(By.cssSelector("tr[data-source]")).size() == 4);
    for (String source : List.of("appdb", "models", "datasets", "config")) {
      String row = text("tr[data-source='" + source + "']");
      assertThat(row).contains("ok", "OK", source + "-").contains("PASSED", seededDrillId);
    }
    assertThat(text("#overview-summary")).contains("4 sources, all green");
    screenshot("overview.png");
  }

  @Test
  @Order(3)
  void backupsAreFilterableAndABackupShowsItsChecksumContentsAndSteps() throws IOException {
    browser.get(base + "/console/#backups");
    waitFor(() -> browser.findElements(By.cssSelector("tr[data-backup]")).size() == 4);
    new Select(browser.findElement(By.id("filter-source"))).selectByValue("appdb");
    browser.findElement(By.cssSelector("form.filters button")).click();
    waitFor(() -> browser.findElements(By.cssSelector("tr[data-backup]")).size() == 1);
    assertThat(text("tr[data-backup]")).contains("appdb", "ARCHIVED", "STANDARD");
    assertThat(browser.getCurrentUrl()).contains("#backups?").contains("source=appdb");
    screenshot("backups.png");

    browser.findElement(By.cssSelector("tr[data-backup] a")).click();
    waitFor(() -> browser.findElements(By.id("backup-sha256")).size() == 1);
    assertThat(text("#backup-sha256")).matches("[0-9a-f]{64}");
    assertThat(text("main")).contains("appdb (database)", "vigil-demo/vigil/appdb/");
    // A database backup: its tables with their row counts, and the steps its run took.
    waitFor(() -> browser.findElements(By.cssSelector("tr[data-entry]")).size() == 3);
    assertThat(text("tr[data-entry='public.conversations']"))
        .isEqualTo("public.conversations 100,000");
    assertThat(text("#manifest-count")).isEqualTo("1–3 of 3 tables");
    assertThat(browser.findElements(By.cssSelector("tr[data-step]"))).hasSize(8);
    assertThat(text("tr[data-step='dump']")).matches("dump \\d{4}-.* UTC [0-9.]+ (s|min.*)");
    screenshot("backup.png");
    script("document.getElementById('manifest').scrollIntoView()");
    screenshot("backup-tables.png");

    // A directory backup: its files with size and SHA-256, a page at a time, filtered by path.
    browser.get(base + "/console/#backups?source=config");
    waitFor(() -> browser.findElements(By.cssSelector("tr[data-backup]")).size() == 1);
    browser.findElement(By.cssSelector("tr[data-backup] a")).click();
    waitFor(() -> browser.findElements(By.cssSelector("tr[data-entry]")).size() == 50);
    assertThat(text("#manifest-count")).startsWith("1–50 of ").endsWith(" files");
    assertThat(text("tr[data-entry='feature-flags.json']"))
        .matches(
            "feature-flags\\.json file \\d+ B "
                + sha256("{\"streaming\": true, \"tools\": [\"orders\", \"refunds\"]}\n"));
    assertThat(text("tr[data-step='upload']")).startsWith("upload ");
    browser.findElement(By.id("manifest-next")).click();
    waitFor(() -> text("#manifest-count").startsWith("51–"));
    assertThat(browser.findElements(By.cssSelector("tr[data-entry]")).size()).isPositive();
    assertThat(browser.findElement(By.id("manifest-next")).isEnabled()).isFalse();
    browser.findElement(By.id("manifest-filter")).sendKeys("ROLLOUTS/R1");
    browser.findElement(By.cssSelector("#manifest form button")).click();
    waitFor(() -> text("#manifest-count").startsWith("1–10 of 10 matching ("));
    assertThat(browser.findElements(By.cssSelector("tr[data-entry]"))).hasSize(10);
    assertThat(text("tr[data-entry='rollouts/r13.yaml']"))
        .matches("rollouts/r13\\.yaml file 13 B " + sha256("replicas: 13\n"));
    screenshot("backup-files.png");
  }

  @Test
  @Order(4)
  void drillsShowTheChartAgainstObjectivesAndEachComponent() throws IOException {
    browser.get(base + "/console/#drills");
    waitFor(() -> browser.findElements(By.cssSelector("#charts-quarterly canvas")).size() == 2);
    assertThat(browser.findElement(By.id("chart-quarterly-RTO")).getAttribute("aria-label"))
        .contains(seededDrillId + ": ");
    String row = text("tr[data-drill='" + seededDrillId + "']");
    assertThat(row).contains("PASSED", "test");
    browser.findElement(By.cssSelector("details summary")).click();
    String components = text("details table");
    assertThat(components).contains("appdb", "models", "datasets", "config", "PASSED");
    screenshot("drills.png");
  }

  @Test
  @Order(5)
  void aViewerSeesAnActionRefusedAfterConfirming() throws IOException {
    browser.get(base + "/console/#actions");
    waitFor(() -> browser.findElements(By.id("viewer-note")).size() == 1);
    browser.findElement(By.cssSelector("#start-drill button[type=submit]")).click();
    waitFor(() -> browser.findElement(By.id("confirm")).isDisplayed());
    assertThat(text("#confirm-text")).contains("plan quarterly");
    browser.findElement(By.id("confirm-ok")).click();
    waitFor(() -> text("#start-drill-outcome").contains("needs an operator token"));
    screenshot("viewer-refused.png");

    browser.findElement(By.id("logout")).click();
    waitFor(() -> browser.getCurrentUrl().endsWith("/console/login"));
    browser.get(base + "/console/");
    waitFor(() -> browser.getCurrentUrl().endsWith("/console/login"));
  }

  @Test
  @Order(6)
  void anOperatorStartsADrillAndWatchesItRunWithoutReloading() throws IOException {
    browser.get(base + "/console/login");
    logIn(operatorToken);
    waitFor(() -> text("#who").equals("operator (operator)"));
    browser.get(base + "/console/#actions");
    waitFor(() -> browser.findElements(By.id("start-drill")).size() == 1);
    script("window.vigilNotReloaded = true;");
    browser.findElement(By.cssSelector("#start-drill button[type=submit]")).click();
    waitFor(() -> browser.findElement(By.id("confirm")).isDisplayed());
    browser.findElement(By.id("confirm-ok")).click();

    waitFor(() -> browser.getCurrentUrl().endsWith("#runs"));
    waitFor(
        () -> browser.findElements(By.cssSelector("[data-run^='drill-quarterly-']")).size() > 0);
    String drillId =
        browser
            .findElement(By.cssSelector("[data-run^='drill-quarterly-']"))
            .getAttribute("data-run");
    assertThat(drillId).isNotEqualTo(seededDrillId);
    String selector = "[data-run='" + drillId + "'] ";
    List<String> seen = new ArrayList<>();
    boolean screenshotTaken = false;
    long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
    while (System.nanoTime() < deadline) {
      // Read in one script: the page replaces the run's elements every second.
      String state = textNow(selector + ".run-state");
      String step = textNow(selector + ".run-step");
      String observation = state + ": " + step;
      if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(observation)) {
        seen.add(observation);
      }
      if (!screenshotTaken && "RUNNING".equals(state) && !step.isBlank() && !"…".equals(step)) {
        screenshot("run-in-progress.png");
        screenshotTaken = true;
      }
      if ("COMPLETED".equals(state)) {
        break;
      }
      sleep(150);
    }
    assertThat(seen.get(0)).as("seen: %s", seen).startsWith("RUNNING: ");
    assertThat(seen)
        .as("the step shown while it ran: %s", seen)
        .anyMatch(observation -> observation.startsWith("RUNNING: ") && !observation.endsWith("…"));
    assertThat(seen.get(seen.size() - 1)).as("seen: %s", seen).startsWith("COMPLETED");
    assertThat(script("return window.vigilNotReloaded === true;")).isEqualTo(true);
    assertThat(
            script(
                "return document.querySelector("
                    + quoted(selector + "a[target=_blank]")
                    + ").href;"))
        .asString()
        .startsWith(TEMPORAL_UI + "/namespaces/default/workflows/" + drillId + "/");
    screenshot("run-completed.png");

    browser.get(base + "/console/#drills");
    // Two drills: the seeded one and this one; the viewer's attempt started none.
    waitFor(() -> browser.findElements(By.cssSelector("tr[data-drill]")).size() == 2);
    assertThat(text("tr[data-drill='" + drillId + "']")).contains("PASSED", "api:operator");
  }

  @Test
  @Order(7)
  void anOperatorRestoresIntoAnAllowedDirectoryAndPausesASchedule() throws IOException {
    Path target = stack.workDir().resolve(EmbeddedStack.RESTORES).resolve("console-config");
    browser.get(base + "/console/#actions");
    waitFor(() -> browser.findElements(By.id("start-restore")).size() == 1);
    new Select(browser.findElement(By.id("restore-source"))).selectByValue("config");
    new Select(browser.findElement(By.id("restore-type"))).selectByValue("directory");
    browser.findElement(By.id("restore-into")).sendKeys(target.toString());
    browser.findElement(By.cssSelector("#start-restore button[type=submit]")).click();
    waitFor(() -> browser.findElement(By.id("confirm")).isDisplayed());
    assertThat(text("#confirm-text")).contains("config", "directory", target.toString());
    browser.findElement(By.id("confirm-ok")).click();
    waitFor(() -> browser.getCurrentUrl().endsWith("#runs"));
    waitFor(() -> textNow("[data-run^='restore-'] .run-state").equals("COMPLETED"));
    try (var files = Files.walk(target)) {
      assertThat(files.filter(Files::isRegularFile).count()).isPositive();
    }

    StringWriter out = new StringWriter();
    assertThat(
            VigilMain.commandLine()
                .setOut(new PrintWriter(out))
                .execute(
                    "schedules",
                    "apply",
                    "--config",
                    stack.workDir().resolve("vigil.yaml").toString()))
        .as(out.toString())
        .isZero();
    browser.get(base + "/console/#actions");
    By nightly = By.cssSelector("tr[data-schedule='nightly-backup']");
    waitFor(() -> browser.findElements(nightly).size() == 1);
    assertThat(text("tr[data-schedule='nightly-backup']"))
        .contains("backup", "0 2 * * *", "ACTIVE");
    browser.findElement(nightly).findElement(By.xpath(".//button[text()='Pause']")).click();
    waitFor(() -> browser.findElement(By.id("confirm")).isDisplayed());
    assertThat(text("#confirm-text")).isEqualTo("pause schedule nightly-backup?");
    browser.findElement(By.id("confirm-ok")).click();
    waitFor(() -> text("tr[data-schedule='nightly-backup']").contains("PAUSED"));
    screenshot("schedule-paused.png");
  }

  @Test
  @Order(8)
  void aConsoleSessionChangesNothingWithoutItsCsrfTokenFromThisOrigin() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> login =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/console/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + operatorToken))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(login.statusCode()).isEqualTo(303);
    String setCookie = login.headers().firstValue("Set-Cookie").orElseThrow();
    assertThat(setCookie).containsIgnoringCase("HttpOnly").containsIgnoringCase("SameSite=Strict");
    String cookie = setCookie.substring(0, setCookie.indexOf(';'));

    HttpResponse<String> session = get(http, "/console/session", cookie);
    assertThat(session.statusCode()).isEqualTo(200);
    String csrf = session.body().replaceAll(".*\"csrfToken\":\"([^\"]+)\".*", "$1");
    assertThat(session.body()).doesNotContain(operatorToken).contains("\"role\":\"operator\"");

    // An invalid body: a request that passes authentication is answered 400, not 403.
    String body = "{\"sources\": 5}";
    assertThat(post(http, cookie, null, null, body).statusCode()).isEqualTo(403);
    assertThat(post(http, cookie, "wrong-csrf-token", null, body).statusCode()).isEqualTo(403);
    assertThat(post(http, cookie, csrf, "http://evil.example", body).statusCode()).isEqualTo(403);
    assertThat(post(http, cookie, csrf, base, body).statusCode()).isEqualTo(400);
    HttpResponse<String> crossSiteLogin =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/console/login"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", "http://evil.example")
                .POST(HttpRequest.BodyPublishers.ofString("token=" + operatorToken))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(crossSiteLogin.statusCode()).isEqualTo(403);
    assertThat(crossSiteLogin.headers().firstValue("Set-Cookie")).isEmpty();

    // Bearer tokens keep working for the API.
    HttpResponse<String> bearer =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/api/v1/backups?limit=1"))
                .header("Authorization", "Bearer " + viewerToken)
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(bearer.statusCode()).isEqualTo(200);

    HttpResponse<String> logout =
        http.send(
            HttpRequest.newBuilder(URI.create(base + "/console/logout"))
                .header("Cookie", cookie)
                .header("X-Vigil-Csrf", csrf)
                .POST(HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertThat(logout.statusCode()).isEqualTo(204);
    assertThat(get(http, "/console/session", cookie).statusCode()).isEqualTo(401);
    assertThat(get(http, "/api/v1/backups", cookie).statusCode()).isEqualTo(401);
  }

  private HttpResponse<String> get(HttpClient http, String path, String cookie)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create(base + path)).header("Cookie", cookie).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> post(
      HttpClient http, String cookie, String csrf, String origin, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder request =
        HttpRequest.newBuilder(URI.create(base + "/api/v1/backups"))
            .header("Cookie", cookie)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (csrf != null) {
      request.header("X-Vigil-Csrf", csrf);
    }
    if (origin != null) {
      request.header("Origin", origin);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private void logIn(String token) {
    WebElement field = browser.findElement(By.id("token"));
    field.clear();
    field.sendKeys(token);
    browser.findElement(By.cssSelector("form button[type=submit]")).click();
  }

  /** The text of the first match, read in the page at once (no stale element in between). */
  private String textNow(String css) {
    Object text =
        script(
            "const e = document.querySelector("
                + quoted(css)
                + "); return e ? e.textContent : '';");
    return String.valueOf(text).strip();
  }

  private static String quoted(String text) {
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }

  /**
   * The visible text of the first match. A page that re-renders (a hash change, a refresh) replaces
   * its elements between the find and the read: find it again then.
   */
  private String text(String css) {
    for (int attempt = 1; ; attempt++) {
      try {
        List<WebElement> found = browser.findElements(By.cssSelector(css));
        return found.isEmpty() ? "" : found.get(0).getText();
      } catch (org.openqa.selenium.StaleElementReferenceException replaced) {
        if (attempt == 5) {
          throw replaced;
        }
      }
    }
  }

  private Object script(String code) {
    return ((JavascriptExecutor) browser).executeScript(code);
  }

  private void waitFor(java.util.function.BooleanSupplier condition) {
    new WebDriverWait(browser, WAIT)
        .ignoring(org.openqa.selenium.StaleElementReferenceException.class)
        .until(driver -> condition.getAsBoolean());
  }

  private void screenshot(String name) throws IOException {
    Path shot = browser.getScreenshotAs(OutputType.FILE).toPath();
    Files.copy(shot, SCREENSHOTS.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  private static String sha256(String content) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256")
                  .digest(content.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
