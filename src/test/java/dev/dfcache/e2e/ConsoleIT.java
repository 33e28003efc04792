package dev.dfcache.e2e;

import static dev.dfcache.e2e.LocalCluster.cli;
import static dev.dfcache.e2e.LocalCluster.freePort;
import static dev.dfcache.e2e.NetworkDeleteIT.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import dev.dfcache.e2e.LocalCluster.Proc;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The manager's web console in a real browser (Debian's headless Chromium driven by Selenium)
 * against a real manager, scheduler and two daemons, all with certificates of one CA (the
 * console over HTTPS; the browser does not know the CA and is told to accept the certificate,
 * the test's own HTTP client trusts the CA): sign-in, the cluster seen active, a
 * transfer seen on the rate chart, a configuration change saved and a bad value refused with the
 * manager's message, personal access tokens, the audit log, a read-only user without edit
 * controls, an expired session sent back to sign-in, and the manager killed shown as an error
 * banner. A screenshot of each page goes to target/console-screenshots.
 */
class ConsoleIT {
  static final String PASSWORD = "correct-horse-battery";
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path SHOTS = Path.of("target", "console-screenshots").toAbsolutePath();
  static final int MIB = 1 << 20;

  LocalCluster cluster;
  /** Trusts the cluster's CA: the manager serves the console over HTTPS. */
  static HttpClient https;
  ChromeDriver browser;
  WebDriverWait wait;

  @BeforeEach
  void setUp() throws Exception {
    if (!Files.isExecutable(CHROMEDRIVER) || !Files.isExecutable(CHROMIUM)) {
      fail("ConsoleIT needs Debian's chromium and chromium-driver packages "
          + "(apt-get install chromium chromium-driver; .ci/run installs them)");
    }
    cluster = LocalCluster.inTempDir("dfcache-console");
    Path tls = cluster.enableTls();
    https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .sslContext(dev.dfcache.tls.TlsFiles.context(tls)).build();
    Files.createDirectories(SHOTS);
  }

  @AfterEach
  void tearDown() {
    if (browser != null) {
      browser.quit();
    }
    cluster.close();
  }

  void startBrowser() {
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start
    // --ignore-certificate-errors: the manager's certificate is of the cluster's own CA, which
    // this browser profile does not trust (an operator's browser would be given the CA)
    options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
        "--window-size=1400,1000", "--ignore-certificate-errors");
    ChromeDriverService service = new ChromeDriverService.Builder()
        .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
    browser = new ChromeDriver(service, options);
    wait = waitFor(30);
  }

  WebDriverWait waitFor(int seconds) {
    WebDriverWait w = new WebDriverWait(browser, Duration.ofSeconds(seconds),
        Duration.ofMillis(200));
    // the pages redraw their tables every 5 s: an element found may be replaced meanwhile
    w.ignoring(StaleElementReferenceException.class);
    return w;
  }

  Proc scheduler(String name, String manager) throws Exception {
    int grpc = freePort();
    int clusterPort = freePort();
    return cluster.process(name, List.of(), List.of("scheduler", "--host", "127.0.0.1",
            "--grpc-port", Integer.toString(grpc), "--cluster-port", Integer.toString(clusterPort),
            "--seed-nodes", "127.0.0.1:" + clusterPort, "--manager", manager,
            "--data-dir", cluster.work().resolve(name).toString()),
        Map.of(), "scheduler up", grpc, clusterPort);
  }

  @Test
  void theConsoleShowsTheClusterChangesItsConfigurationAndReportsFailures() throws Exception {
    long t0 = System.nanoTime();
    // one metrics sample per component every 2 s (not 15): the rate chart has points within
    // the test
    cluster.setJvmOptions("-Ddfcache.manager.metrics-sample-interval=2s");
    Proc manager = cluster.manager("manager", List.of(),
        Map.of("DFCACHE_MANAGER_ADMIN_PASSWORD", PASSWORD));
    cluster.setJvmOptions();
    String m = "127.0.0.1:" + manager.grpcPort;
    scheduler("s1", m);
    Proc d1 = cluster.daemon("d1", "", List.of("--manager", m));
    Proc d2 = cluster.daemon("d2", "", List.of("--manager", m));
    int port = manager.otherPort;
    String base = "https://127.0.0.1:" + port;
    ManagerApi api = ManagerApi.of(manager).signIn("root", PASSWORD);
    long clusterId = ManagerIT.defaultClusterId(api);

    staticFilesAreServedWithTheirHeaders(base);

    startBrowser();
    long browserStarted = System.nanoTime();
    browser.get(base + "/");
    shot("signin");
    signIn("root", PASSWORD);
    // the overview counts the scheduler and both daemons active
    wait.until(d -> attr(By.cssSelector("[data-test=schedulers-active]"), "data-active") == 1
        && attr(By.cssSelector("[data-test=peers-active]"), "data-active") == 2);

    open("schedulers");
    wait.until(d -> d.findElements(
        By.cssSelector("[data-test=scheduler-row][data-state=active]")).size() == 1);
    shot("schedulers");
    open("peers");
    wait.until(d -> d.findElements(
        By.cssSelector("[data-test=peer-row][data-state=active]")).size() == 2);
    assertTrue(text(By.id("peers")).contains("ago"), "relative keep-alive times shown");
    assertEquals(2, browser.findElements(By.cssSelector("[data-test=peer-rates]")).size());
    shot("peers");

    // a transfer: d2 downloads from d1, and the chart shows the upload rate
    open("overview");
    byte[] data = new byte[16 * MIB];
    new Random(13).nextBytes(data);
    Path src = Files.write(cluster.work().resolve("src"), data);
    ok(cli(d1, "import", "-i", "console-demo", src.toString()));
    Path kept = Files.write(cluster.work().resolve("kept"), new byte[] {1, 2, 3});
    ok(cli(d1, "import", "-i", "console-kept", kept.toString()));
    String keptId = dev.dfcache.common.TaskIds.taskId(
        dev.dfcache.common.TaskIds.urlForCid("console-kept"),
        dev.dfcache.api.common.UrlMeta.getDefaultInstance());
    ok(cli(d2, "export", "-i", "console-demo", "-O", cluster.work().resolve("out").toString()));
    long exported = System.nanoTime();
    waitFor(60).until(d -> attr(By.cssSelector("[data-test=rate-chart]"), "data-peak-upload") > 0
        && attr(By.cssSelector("[data-test=rate-chart]"), "data-peak-download") > 0);
    System.out.printf("console: the upload rate showed on the chart %.1f s after the export%n",
        (System.nanoTime() - exported) / 1e9);
    wait.until(d -> attr(By.cssSelector("[data-test=tasks]"), null) >= 2);
    // the export's latency as d2 timed it, on the latency chart
    waitFor(60).until(d -> attr(By.cssSelector("[data-test=latency-chart]"),
        "data-peak-export-us") > 0);
    assertFalse(browser.findElements(By.cssSelector("[data-test=failed-chart]")).isEmpty());
    wait.until(d -> attr(By.cssSelector("[data-test=cache-free]"), "data-bytes") > 0);
    shot("overview");

    // the task, found by its cid, with both daemons as holders
    open("tasks");
    type(By.id("task-search"), "console-demo");
    browser.findElement(By.id("task-search-submit")).click();
    WebElement row = wait.until(d -> visible(By.cssSelector("[data-test=task-row]")));
    String taskId = row.getDomAttribute("data-task-id");
    assertEquals(1, browser.findElements(By.cssSelector("[data-test=task-row]")).size());
    shot("tasks");
    row.findElement(By.cssSelector("[data-test=task-link]")).click();
    wait.until(d -> "task".equals(d.findElement(By.id("view")).getDomAttribute("data-page")));
    wait.until(d -> d.findElements(By.cssSelector("[data-test=holder-row][data-done=true]"))
        .size() == 2);
    assertEquals(Integer.toString(16 * MIB), browser.findElement(
        By.cssSelector("[data-test=task-size]")).getDomAttribute("data-bytes"));
    assertTrue(text(By.cssSelector("[data-test=task-cid]")).equals("console-demo"));
    shot("task");

    // a holder's page lists the task it holds
    browser.findElement(By.cssSelector("[data-test=holder-row] a")).click();
    wait.until(d -> "peer".equals(d.findElement(By.id("view")).getDomAttribute("data-page")));
    wait.until(d -> d.findElements(By.cssSelector("[data-test=peer-task-row][data-task-id='"
        + taskId + "']")).size() == 1);
    shot("peer");

    // a configuration change, saved and confirmed with the new version
    open("config");
    By rateField = By.id("cfg-client_config-download_rate_limit");
    type(rateField, Integer.toString(100 * MIB));
    browser.findElement(By.id("config-save")).click();
    WebElement saved = wait.until(d -> visible(By.id("config-status")));
    assertTrue(saved.getText().startsWith("Saved: configuration version"), saved.getText());
    long version = Long.parseLong(saved.getDomAttribute("data-version"));
    // each component says it runs the new version within a keep-alive or two
    long savedAt = System.nanoTime();
    waitFor(30).until(d -> {
      List<WebElement> rows = d.findElements(By.cssSelector("[data-test=config-component-row]"));
      return rows.size() == 3 && rows.stream().allMatch(r -> Long.toString(version).equals(
          r.getDomAttribute("data-version")));
    });
    System.out.printf("console: all 3 components showed configuration version %d %.1f s after "
        + "the save%n", version, (System.nanoTime() - savedAt) / 1e9);
    ((JavascriptExecutor) browser).executeScript(
        "document.getElementById('config-components').scrollIntoView()");
    shot("config-versions");
    ((JavascriptExecutor) browser).executeScript("window.scrollTo(0, 0)");
    JsonNode stored = api.get("/api/v1/scheduler-clusters/" + clusterId).body();
    assertEquals(100 * MIB, stored.get("client_config").get("download_rate_limit").asLong(),
        stored.toString());
    assertEquals(version, stored.get("config_version").asLong());
    shot("config");

    // a bad value: the manager's message next to the form and next to the field it names
    type(rateField, "-5");
    browser.findElement(By.id("config-save")).click();
    WebElement refused = wait.until(d -> visible(By.id("config-error")));
    assertTrue(refused.getText().contains("client_config.download_rate_limit"),
        refused.getText());
    assertTrue(text(By.id("err-client_config-download_rate_limit"))
        .contains("download_rate_limit"));
    assertEquals("true", browser.findElement(rateField).getDomAttribute("aria-invalid"));
    shot("config-invalid");
    JsonNode unchanged = api.get("/api/v1/scheduler-clusters/" + clusterId).body();
    assertEquals(version, unchanged.get("config_version").asLong(), "a refused PATCH wrote");

    // personal access tokens: created (shown once and working), listed, revoked
    open("tokens");
    type(By.id("token-name"), "ci");
    browser.findElement(By.id("token-create")).click();
    String token = wait.until(d -> visible(By.id("token-value"))).getText();
    assertTrue(token.startsWith("dfc_pat_"), token);
    assertEquals(200, status(base + "/api/v1/peers", token));
    wait.until(d -> d.findElements(By.cssSelector("[data-test=token-row][data-name=ci]"))
        .size() == 1);
    shot("tokens");
    browser.findElement(By.cssSelector("[data-test=token-revoke]")).click();
    wait.until(d -> !d.findElements(By.cssSelector("[data-test=tokens-table-empty]")).isEmpty());
    assertEquals(401, status(base + "/api/v1/peers", token));

    // the audit log lists the console's changes
    open("audits");
    wait.until(d -> !d.findElements(By.cssSelector(
        "[data-test=audit-row][data-action='scheduler-cluster.patch']")).isEmpty()
        && !d.findElements(By.cssSelector(
            "[data-test=audit-row][data-action='personal-access-token.delete']")).isEmpty());
    shot("audits");

    // the task deleted across the network from its page: a job the scheduler carries out
    browser.get(base + "/#/task/" + taskId);
    wait.until(d -> visible(By.id("task-delete"))).click();
    wait.until(d -> visible(By.id("task-delete-confirm"))).click();
    long deleteClicked = System.nanoTime();
    WebElement job = waitFor(30).until(d -> {
      WebElement j = visible(By.id("job-status"));
      return j != null && List.of("SUCCESS", "FAILURE").contains(j.getDomAttribute("data-state"))
          ? j : null;
    });
    assertEquals("SUCCESS", job.getDomAttribute("data-state"), job.getText());
    assertTrue(job.getText().contains("deleted from 2 holder(s)"), job.getText());
    shot("task-deleted");
    for (Proc d : List.of(d1, d2)) {
      waitUntilGone(d, "console-demo");
    }
    System.out.printf("console: the delete job succeeded and both daemons dropped the task "
        + "%.1f s after the click%n", (System.nanoTime() - deleteClicked) / 1e9);
    wait.until(d -> visible(By.cssSelector("[data-test=task-gone]")));
    open("jobs");
    wait.until(d -> d.findElements(By.cssSelector("[data-test=job-row][data-state=SUCCESS]"))
        .size() == 1);
    shot("jobs");

    // a read-only user sees the configuration but no Save
    ManagerApi.Reply viewer = api.call("POST", "/api/v1/users",
        "{\"name\":\"viewer\",\"password\":\"viewer-password\",\"role\":\"readonly\"}");
    assertEquals(201, viewer.status(), viewer.toString());
    String rootSession = (String) ((JavascriptExecutor) browser).executeScript(
        "return sessionStorage.getItem('dfcache.token')");
    browser.findElement(By.id("signout")).click();
    wait.until(d -> visible(By.id("signin-form")));
    assertEquals(401, status(base + "/api/v1/peers", rootSession),
        "signing out ends the session at the manager");
    signIn("viewer", "viewer-password");
    assertEquals("viewer (readonly)", text(By.id("whoami")));
    open("config");
    wait.until(d -> visible(By.id("config-readonly")));
    assertTrue(browser.findElements(By.id("config-save")).isEmpty(), "no Save for read-only");
    assertFalse(browser.findElement(rateField).isEnabled());
    assertEquals(Integer.toString(100 * MIB), browser.findElement(rateField).getDomProperty(
        "value"));
    shot("config-readonly");
    // nor a delete control on a task's page
    browser.get(base + "/#/task/" + keptId);
    wait.until(d -> d.findElements(By.cssSelector("[data-test=holder-row]")).size() == 1);
    assertTrue(browser.findElements(By.id("task-delete")).isEmpty(), "no Delete for read-only");
    ManagerApi.Reply refusedJob = ManagerApi.of(manager).signIn("viewer", "viewer-password")
        .call("POST", "/api/v1/jobs", "{\"type\":\"delete_task\",\"args\":{\"task_id\":\""
            + keptId + "\"}}");
    assertEquals(403, refusedJob.status(), refusedJob.toString());

    // a token the manager no longer accepts: back to sign-in, with the reason
    ((JavascriptExecutor) browser).executeScript(
        "sessionStorage.setItem('dfcache.token', 'dfc_session_not-a-valid-one')");
    // (not open(): the peers page is left for sign-in at its first call)
    browser.findElement(By.cssSelector("[data-test=nav-peers]")).click();
    wait.until(d -> visible(By.id("signin-form")) != null
        && text(By.id("signin-message")).equals("session expired, sign in again"));
    shot("session-expired");
    signIn("root", PASSWORD);

    // the manager dies: the page says so, and keeps what it showed
    wait.until(d -> attr(By.cssSelector("[data-test=peers-active]"), "data-active") == 2);
    assertFalse(browser.findElement(By.id("error-banner")).isDisplayed(),
        "no error while the manager is up");
    assertEquals(null, browser.findElement(By.tagName("html"))
        .getDomAttribute("data-csp-violations"), "the pages keep to their own CSP");
    cluster.kill(manager);
    long killed = System.nanoTime();
    WebElement banner = waitFor(20).until(d -> visible(By.id("error-banner")));
    assertTrue(banner.getText().contains("cannot reach the manager"), banner.getText());
    assertFalse(browser.findElements(By.cssSelector("[data-test=rate-chart]")).isEmpty(),
        "the last overview stays on the page");
    System.out.printf("console: the manager killed, the error banner showed %.1f s later%n",
        (System.nanoTime() - killed) / 1e9);
    shot("manager-down");
    System.out.printf("console: ConsoleIT took %.1f s (browser part %.1f s)%n",
        (System.nanoTime() - t0) / 1e9, (System.nanoTime() - browserStarted) / 1e9);
  }

  /** Waits until the daemon no longer holds the cid (its copy dropped). */
  static void waitUntilGone(Proc daemon, String cid) throws Exception {
    long deadline = System.nanoTime() + 20_000_000_000L;
    while (true) {
      LocalCluster.CliResult r = cli(daemon, "stat", "-i", cid, "--local");
      if (r.exit() != 0) {
        return;
      }
      if (System.nanoTime() > deadline) {
        fail(daemon.name + " still holds " + cid + " 20 s after the delete job");
      }
      Thread.sleep(200);
    }
  }

  /** The page and its files come with their types and headers; no other name is served. */
  void staticFilesAreServedWithTheirHeaders(String base) throws Exception {
    HttpClient http = https;
    HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(base + "/")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode());
    assertTrue(page.headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
    assertTrue(page.headers().firstValue("Content-Security-Policy").orElse("")
        .startsWith("default-src 'self'"), page.headers().toString());
    assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(""));
    assertEquals("no-cache", page.headers().firstValue("Cache-Control").orElse(""));
    assertTrue(page.body().contains("/console/app.js"));
    for (String[] file : new String[][] {{"app.js", "application/javascript"},
        {"app.css", "text/css"}}) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(
          URI.create(base + "/console/" + file[0])).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(200, r.statusCode(), file[0]);
      assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith(file[1]),
          file[0] + ": " + r.headers().firstValue("Content-Type"));
    }
    for (String bad : List.of("/console/", "/console/nope.js", "/console/..%2fapplication.conf",
        "/console/%2e%2e/%2e%2e/etc/passwd", "/console/app.js/", "/index.html")) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + bad)).build(),
          HttpResponse.BodyHandlers.ofString());
      assertEquals(404, r.statusCode(), bad + ": " + r.body());
    }
    HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create(base + "/"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertEquals(405, post.statusCode());
  }

  void signIn(String name, String password) {
    wait.until(d -> visible(By.id("signin-form")));
    type(By.id("signin-name"), name);
    type(By.id("signin-password"), password);
    browser.findElement(By.id("signin-submit")).click();
    wait.until(d -> "overview".equals(
        d.findElement(By.id("view")).getDomAttribute("data-page")));
  }

  /** Follows a link of the navigation bar and waits for the page. */
  void open(String page) {
    browser.findElement(By.cssSelector("[data-test=nav-" + page + "]")).click();
    wait.until(d -> page.equals(d.findElement(By.id("view")).getDomAttribute("data-page")));
  }

  void type(By field, String text) {
    WebElement e = wait.until(d -> visible(field));
    e.clear();
    e.sendKeys(text);
  }

  /** The element when it is displayed, else null (to keep waiting). */
  WebElement visible(By by) {
    List<WebElement> found = browser.findElements(by);
    return !found.isEmpty() && found.get(0).isDisplayed() ? found.get(0) : null;
  }

  String text(By by) {
    return browser.findElement(by).getText();
  }

  /** A numeric attribute (or, with a null name, the text) of an element; -1 when absent. */
  long attr(By by, String name) {
    List<WebElement> found = browser.findElements(by);
    if (found.isEmpty()) {
      return -1;
    }
    String v = name == null ? found.get(0).getText() : found.get(0).getDomAttribute(name);
    return v == null || !v.matches("[0-9]{1,18}") ? -1 : Long.parseLong(v);
  }

  void shot(String page) throws Exception {
    Files.write(SHOTS.resolve(page + ".png"), browser.getScreenshotAs(OutputType.BYTES));
  }

  static int status(String url, String token) throws Exception {
    return https.send(HttpRequest.newBuilder(URI.create(url))
            .header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.discarding()).statusCode();
  }
}
