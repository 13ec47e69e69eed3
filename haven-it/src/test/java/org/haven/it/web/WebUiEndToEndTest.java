package org.haven.it.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.haven.access.Totp;
import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.CliResult;
import org.haven.it.HavenNode.Resp;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import tools.jackson.databind.JsonNode;

/**
 * The web UI in Debian's headless Chromium against a real havend: the page and its modules over HTTPS
 * (trusting exactly the node's certificate), login through the dialog, the resource tree, a node summary
 * checked against the API, the Create VM wizard whose task log is shown, a task log that tails a running
 * task, and re-login after logout and after the ticket is gone.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@E2eTest
class WebUiEndToEndTest {
    static final String NODE = "webnode";

    @TempDir static Path dir;
    static HavenNode node;
    static ChromeDriver browser;
    static String base;
    static Auth admin;

    @BeforeAll
    static void start() throws Exception {
        node = HavenNode.start(dir.resolve("node"), NODE);
        admin = node.login("admin@pve", node.adminPassword());
        base = "https://127.0.0.1:" + node.port();
        byte[] pem = Files.readAllBytes(node.cfsDir().resolve("nodes/" + NODE + "/pve-ssl.pem"));
        X509Certificate cert = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem));
        String spki = Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-256").digest(cert.getPublicKey().getEncoded()));

        ChromeOptions o = new ChromeOptions();
        o.setBinary("/usr/bin/chromium");
        o.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1400,1000", "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")),
                "--ignore-certificate-errors-spki-list=" + spki);
        ChromeDriverService svc = new ChromeDriverService.Builder().usingDriverExecutable(Path.of("/usr/bin/chromedriver").toFile())
                .usingAnyFreePort().build();
        browser = new ChromeDriver(svc, o);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (browser != null) browser.quit();
        } finally {
            try {
                stopGuests();
            } finally {
                if (node != null) node.close();
            }
        }
    }

    /** QEMU processes outlive the daemon: stop every running guest before it goes. */
    static void stopGuests() throws Exception {
        if (node == null || admin == null) return;
        Resp list = node.get("/nodes/" + NODE + "/qemu", admin);
        if (list.status() != 200) return;
        for (JsonNode vm : list.data()) {
            if (!"running".equals(vm.get("status").asString())) continue;
            String vmid = vm.get("vmid").asString();
            node.post("/nodes/" + NODE + "/qemu/" + vmid + "/status/stop", Map.of(), admin);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (System.nanoTime() < deadline
                    && "running".equals(node.get("/nodes/" + NODE + "/qemu/" + vmid + "/status/current", admin).data().get("status").asString()))
                Thread.sleep(200);
        }
    }

    /** Each test starts from a freshly loaded page (no dialog left open by an earlier one); a session resumes. */
    @BeforeEach
    void freshPage() throws InterruptedException {
        if (browser.getCurrentUrl() == null || !browser.getCurrentUrl().startsWith(base)) return;
        browser.navigate().refresh();
        waitUntil("page", () -> present("#login-form") || present("[data-id='root']"));
    }

    /** A screenshot of the page after each test (kept in the temp dir while the class runs). */
    @AfterEach
    void evidence(TestInfo info) {
        try {
            Files.write(dir.resolve(info.getTestMethod().orElseThrow().getName() + ".png"), browser.getScreenshotAs(OutputType.BYTES));
        } catch (Exception ignored) {
            // best effort
        }
    }

    static void waitUntil(String what, Supplier<Boolean> cond) throws InterruptedException {
        waitUntil(what, Duration.ofSeconds(30), cond);
    }

    static void waitUntil(String what, Duration timeout, Supplier<Boolean> cond) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try {
                if (Boolean.TRUE.equals(cond.get())) return;
                last = null;
            } catch (RuntimeException e) {
                last = e;
            }
            Thread.sleep(100);
        }
        String text;
        try { text = browser.findElement(By.tagName("body")).getText(); } catch (RuntimeException e) { text = "?"; }
        throw new AssertionError("timed out waiting for " + what + "; page text:\n" + text, last);
    }

    static WebElement el(String css) throws InterruptedException {
        waitUntil(css, () -> !browser.findElements(By.cssSelector(css)).isEmpty() && browser.findElement(By.cssSelector(css)).isDisplayed());
        return browser.findElement(By.cssSelector(css));
    }

    static boolean present(String css) { return !browser.findElements(By.cssSelector(css)).isEmpty(); }

    /** Replace the text of an input with key presses (select all, then type), as a user does. */
    static void type(String css, String text) throws InterruptedException {
        WebElement e = el(css);
        e.sendKeys(Keys.chord(Keys.CONTROL, "a"), text);
        waitUntil(css + " = " + text, () -> text.equals(browser.findElement(By.cssSelector(css)).getDomProperty("value")));
    }

    static void login(String user, String realm, String password) throws InterruptedException {
        el("#login-form");
        type("input[name=username]", user);
        type("input[name=password]", password);
        el("select[name=realm] option[value='" + realm + "']").click();
        el("#login-submit").click();
    }

    @Test
    @Order(1)
    void pageAndModulesAreServedOverHttps() throws Exception {
        HttpResponse<String> r = node.https().send(HttpRequest.newBuilder(URI.create(base + "/")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
        assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
        assertThat(r.body()).contains("<script type=\"importmap\">");
        String module = r.body().replaceAll("(?s).*\"@novnc/novnc\": \"([^\"]+)\".*", "$1");
        HttpResponse<String> m = node.https().send(HttpRequest.newBuilder(URI.create(base + module)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(m.statusCode()).isEqualTo(200);
        assertThat(m.headers().firstValue("Content-Type")).hasValue("text/javascript; charset=utf-8");
        assertThat(m.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
        // the API is untouched by the UI handler
        assertThat(node.get("/version", null).status()).isEqualTo(401);
    }

    @Test
    @Order(2)
    void loginThroughTheDialogShowsTheTreeAndTheNodeSummary() throws Exception {
        browser.get(base + "/");
        el("#login-form");
        // realms come from GET /access/domains
        waitUntil("realm list", () -> browser.findElements(By.cssSelector("select[name=realm] option")).size() >= 2);
        login("admin", "pve", "wrong-password");
        assertThat(el("#login-error").getText()).contains("Login failed");
        login("admin", "pve", node.adminPassword());

        WebElement nodeRow = el("[data-id='node/" + NODE + "']");
        assertThat(nodeRow.getAttribute("data-status")).isEqualTo("online");
        assertThat(nodeRow.findElement(By.cssSelector(".icon")).getAttribute("class")).contains("icon-node-online");
        assertThat(el("#current-user").getText()).isEqualTo("admin@pve");

        nodeRow.click();
        assertThat(el("#panel-title").getText()).isEqualTo("Node '" + NODE + "'");
        JsonNode st = node.get("/nodes/" + NODE + "/status", admin).data();
        waitUntil("node status", () -> present("[data-kv=node-status] td[data-key='Kernel Version']"));
        assertThat(el("[data-kv=node-status] td[data-key='Kernel Version']").getText()).isEqualTo(st.get("kversion").asString());
        assertThat(el("[data-kv=node-status] td[data-key='CPU(s)']").getText())
                .startsWith(st.get("cpuinfo").get("cpus").asInt() + " x ");
        assertThat(el("[data-kv=node-status] td[data-key='RAM usage']").getText()).contains("GiB");

        // the console and graph libraries load in the browser through the import map (their whole module graphs)
        Object loaded = ((JavascriptExecutor) browser).executeAsyncScript("""
                const done = arguments[arguments.length - 1];
                Promise.all([import('@novnc/novnc'), import('@xterm/xterm'), import('@xterm/addon-fit'), import('uplot')])
                  .then(([rfb, xterm, fit, uplot]) => done([typeof rfb.default, typeof xterm.Terminal, typeof fit.FitAddon, typeof uplot.default].join(',')),
                        e => done('error: ' + e));""");
        assertThat(loaded).isEqualTo("function,function,function,function");
    }

    @Test
    @Order(3)
    void createVmWizardRunsTheTaskAndShowsItsLog() throws Exception {
        int vmid = node.get("/cluster/nextid", admin).data().asInt();
        el("#create-vm").click();
        el("[data-dialog=create-vm]");
        waitUntil("next free VM ID", () -> String.valueOf(vmid).equals(browser.findElement(By.cssSelector("input[name=vmid]")).getDomProperty("value")));
        type("input[name=name]", "webui-vm");
        el("[data-dialog=create-vm] [data-tab=disks]").click();
        type("input[name=disksize]", "1");
        el("[data-dialog=create-vm] [data-tab=memory]").click();
        type("input[name=memory]", "256");
        el("[data-dialog=create-vm] [data-tab=confirm]").click();
        assertThat(el("[data-kv=wizard-confirm] td[data-key=scsi0]").getText()).isEqualTo("local:1,iothread=1");
        el("#wizard-finish").click();

        el("[data-dialog=task-viewer]");
        waitUntil("task end", () -> "stopped".equals(browser.findElement(By.id("task-state")).getAttribute("data-state")));
        assertThat(el("#task-state").getAttribute("data-exitstatus")).isEqualTo("OK");
        String log = el("#task-log").getText();
        assertThat(log).contains("TASK OK");
        assertThat(log).contains("scsi0");
        el("[data-dialog=task-viewer] [data-tab=status]").click();
        assertThat(el("[data-kv=task-status] td[data-key='Task type']").getText()).isEqualTo("qmcreate");
        el("[data-dialog=task-viewer] .close").click();

        JsonNode cfg = node.get("/nodes/" + NODE + "/qemu/" + vmid + "/config", admin).data();
        assertThat(cfg.get("name").asString()).isEqualTo("webui-vm");
        assertThat(cfg.get("memory").asString()).isEqualTo("256");
        assertThat(cfg.get("scsi0").asString()).startsWith("local:" + vmid + "/vm-" + vmid + "-disk-0");

        // the guest appears under its node; its hardware view shows the configuration
        el("[data-id='qemu/" + vmid + "']").click();
        assertThat(el("#panel-title").getText()).isEqualTo("Virtual Machine " + vmid + " (webui-vm) on node '" + NODE + "'");
        el("[data-tab=hardware]").click();
        waitUntil("hardware rows", () -> present("[data-grid=vm-hardware] tr[data-row=scsi0]"));
        assertThat(el("[data-grid=vm-hardware] tr[data-row=memory]").getText()).contains("256.00 MiB");
        assertThat(el("[data-grid=vm-hardware] tr[data-row=scsi0]").getText()).contains("Hard Disk (scsi0)").contains("vm-" + vmid + "-disk-0");
        assertThat(el("#vm-start").isEnabled()).isTrue();
        assertThat(el("#vm-stop").isEnabled()).isFalse();

        // the new disk is in the storage's content list
        el("[data-id='storage/" + NODE + "/local']").click();
        el("[data-tab=content]").click();
        waitUntil("disk in content", () -> present("[data-grid=storage-content] tr[data-row^='local:" + vmid + "/vm-" + vmid + "-disk-0']"));
        assertThat(el("[data-grid=storage-content] tr[data-row^='local:" + vmid + "/']").getText()).contains("1.00 GiB");
    }

    @Test
    @Order(4)
    void datacenterPanelsListAccessAndStorageConfiguration() throws Exception {
        el("[data-id=root]").click();
        el("[data-tab=users]").click();
        assertThat(el("[data-grid=users] tr[data-row='admin@pve']").getText()).contains("pve");
        el("[data-tab=acl]").click();
        assertThat(el("[data-grid=acl] tr[data-row='/|user|admin@pve|Administrator']").getText()).contains("Administrator");
        el("[data-tab=roles]").click();
        assertThat(el("[data-grid=roles] tr[data-row=PVEAuditor]").getText()).contains("VM.Audit");
        el("[data-tab=storage]").click();
        assertThat(el("[data-grid=storage-cfg] tr[data-row=local]").getText()).contains("dir");

        // a group added through its dialog is in the API
        el("[data-tab=groups]").click();
        el("[data-action=add]").click();
        type("[data-dialog=group-edit] input[name=groupid]", "webops");
        type("[data-dialog=group-edit] input[name=comment]", "from the browser");
        el("#dialog-submit").click();
        el("[data-grid=groups] tr[data-row=webops]");
        JsonNode g = node.get("/access/groups/webops", admin).data();
        assertThat(g.get("comment").asString()).isEqualTo("from the browser");
    }

    @Test
    @Order(5)
    void taskViewerTailsARunningTask() throws Exception {
        Resp started = node.post("/nodes/" + NODE + "/haven-test/task", Map.of("gate", "webgate"), admin);
        assertThat(started.status()).isEqualTo(200);
        String upid = started.data().asString();
        // the bottom task list shows it; a double-click opens the viewer
        String row = "[data-grid=cluster-tasks] tr[data-row='" + upid + "']";
        WebElement tr = el(row);
        assertThat(tr.getText()).contains("hatest");
        new Actions(browser).doubleClick(tr).perform();
        el("[data-dialog=task-viewer]");
        waitUntil("first log line", () -> browser.findElement(By.id("task-log")).getText().contains("step one"));
        assertThat(el("#task-state").getAttribute("data-state")).isEqualTo("running");
        assertThat(el("#task-log").getText()).doesNotContain("step two");
        assertThat(el("#task-stop").isEnabled()).isTrue();

        Files.writeString(node.dataDir().resolve("webgate"), "go");
        waitUntil("task end", () -> "stopped".equals(browser.findElement(By.id("task-state")).getAttribute("data-state")));
        List<String> lines = List.of(el("#task-log").getText().split("\n"));
        assertThat(lines).containsSubsequence("step one", "step two", "TASK OK");
        assertThat(el("#task-stop").isEnabled()).isFalse();
        el("[data-dialog=task-viewer] .close").click();
        waitUntil("status column", () -> browser.findElement(By.cssSelector(row + " .task-status")).getText().equals("OK"));
    }

    @Test
    @Order(6)
    void startAVmUseItsConsolesAndStopIt() throws Exception {
        int vmid = node.get("/cluster/nextid", admin).data().asInt();
        // the guest is a busybox system that writes to its serial port (args need root: qm)
        TestGuest.require();
        Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        CliResult r = node.cli("qm", "create", Integer.toString(vmid), "--name", "console-vm", "--memory", "256",
                "--serial0", "socket", "--args", TestGuest.args(initrd));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        waitUntil("guest in the tree", () -> present("[data-id='qemu/" + vmid + "']"));
        el("[data-id='qemu/" + vmid + "']").click();
        el("#vm-start").click();
        el("[data-dialog=task-viewer]");
        waitUntil("start task end", Duration.ofSeconds(90), () -> "stopped".equals(browser.findElement(By.id("task-state")).getAttribute("data-state")));
        assertThat(el("#task-state").getAttribute("data-exitstatus")).as(el("#task-log").getText()).isEqualTo("OK");
        el("[data-dialog=task-viewer] .close").click();
        waitUntil("running in the tree", () -> "running".equals(browser.findElement(By.cssSelector("[data-id='qemu/" + vmid + "']")).getAttribute("data-status")));

        // noVNC through vncproxy + vncwebsocket: connected, and the guest's screen is drawn into the canvas
        el("[data-tab=console]").click();
        waitUntil("VNC connected", () -> "connected".equals(browser.findElement(By.id("console-state")).getAttribute("data-state")));
        waitUntil("framebuffer", () -> {
            Object w = ((JavascriptExecutor) browser).executeScript("const c = document.querySelector('.vnc canvas'); return c ? c.width : 0;");
            return w instanceof Number n && n.intValue() >= 320;
        });

        // xterm.js on the serial port through termproxy: the guest's output appears in the terminal
        el("#console-kind option[value=serial0]").click();
        waitUntil("terminal connected", () -> "connected".equals(browser.findElement(By.id("console-state")).getAttribute("data-state")));
        waitUntil("guest output in xterm.js", Duration.ofSeconds(90), () -> String.valueOf(((JavascriptExecutor) browser).executeScript(
                "const r = document.querySelector('.xterm-rows'); return r ? r.textContent : '';")).contains(TestGuest.MARKER));

        // the console window URL of the Console button (PVE's /?console=kvm&novnc=1&vmid=…&node=…)
        String panel = browser.getCurrentUrl();
        browser.get(base + "/?console=kvm&novnc=1&vmid=" + vmid + "&vmname=console-vm&node=" + NODE + "&resize=off&cmd=");
        el("#console-window");
        waitUntil("console window connected", () -> "connected".equals(browser.findElement(By.id("console-state")).getAttribute("data-state")));
        assertThat(browser.getTitle()).isEqualTo("VM " + vmid + " ('console-vm') - Haven Console");
        browser.get(panel);
        el("#vm-stop");

        el("#vm-stop").click();
        el("[data-dialog=confirm] button.primary").click();
        el("[data-dialog=task-viewer]");
        waitUntil("stop task end", () -> "stopped".equals(browser.findElement(By.id("task-state")).getAttribute("data-state")));
        assertThat(el("#task-state").getAttribute("data-exitstatus")).isEqualTo("OK");
        el("[data-dialog=task-viewer] .close").click();
        waitUntil("stopped in the tree", () -> "stopped".equals(browser.findElement(By.cssSelector("[data-id='qemu/" + vmid + "']")).getAttribute("data-status")));
        assertThat(node.get("/nodes/" + NODE + "/qemu/" + vmid + "/status/current", admin).data().get("status").asString()).isEqualTo("stopped");
    }

    @Test
    @Order(7)
    void sessionSurvivesAReloadAndLogoutOrALostTicketAsksAgain() throws Exception {
        browser.navigate().refresh();
        el("[data-id='node/" + NODE + "']");
        assertThat(present("#login-form")).isFalse();

        el("#logout").click();
        el("#login-form");
        assertThat(browser.manage().getCookieNamed("PVEAuthCookie")).isNull();
        login("admin", "pve", node.adminPassword());
        el("[data-id='node/" + NODE + "']");

        // a request answered 401 (here: the ticket cookie is gone) brings the login dialog back
        browser.manage().deleteCookieNamed("PVEAuthCookie");
        ((JavascriptExecutor) browser).executeScript("sessionStorage.clear()");
        el("#login-form");
        login("admin", "pve", node.adminPassword());
        el("[data-id='node/" + NODE + "']");
    }

    @Test
    @Order(8)
    void anAuditorSeesTheTreeButNoActions() throws Exception {
        assertThat(node.post("/access/users", Map.of("userid", "auditor@pve", "password", "Auditor-pw-1"), admin).status()).isEqualTo(200);
        assertThat(node.put("/access/acl", Map.of("path", "/", "users", "auditor@pve", "roles", "PVEAuditor"), admin).status()).isEqualTo(200);
        el("#logout").click();
        login("auditor", "pve", "Auditor-pw-1");
        assertThat(el("#current-user").getText()).isEqualTo("auditor@pve");
        // the capabilities of the ticket disable what the role does not allow; the tree is the same
        assertThat(el("#create-vm").isEnabled()).isFalse();
        String vm = el("[data-type=qemu]").getAttribute("data-id");
        el("[data-id='" + vm + "']").click();
        assertThat(el("#vm-start").isEnabled()).isFalse();
        assertThat(el("#vm-remove").isEnabled()).isFalse();
        el("[data-id=root]").click();
        el("[data-tab=users]").click();
        waitUntil("user list", () -> present("[data-grid=users] tr[data-row='auditor@pve']"));
        assertThat(el("[data-action=add]").isEnabled()).isFalse();
        el("#logout").click();
        el("#login-form");
    }

    @Test
    @Order(9)
    void aUserWithTotpCompletesTheSecondStepInTheDialog() throws Exception {
        assertThat(node.post("/access/users", Map.of("userid", "tfauser@pve", "password", "Tfa-pw-123"), admin).status()).isEqualTo(200);
        assertThat(node.put("/access/acl", Map.of("path", "/", "users", "tfauser@pve", "roles", "PVEAuditor"), admin).status()).isEqualTo(200);
        Auth self = node.login("tfauser@pve", "Tfa-pw-123");
        Totp totp = Totp.parseUri("otpauth://totp/Haven:tfauser@pve?secret=" + Totp.generateSecret());
        Resp added = node.post("/access/tfa/tfauser@pve", Map.of("type", "totp", "totp", totp.toUri(),
                "value", totp.code(System.currentTimeMillis() / 1000), "password", "Tfa-pw-123"), self);
        assertThat(added.status()).as(added.body()).isEqualTo(200);

        browser.get(base + "/");
        login("tfauser", "pve", "Tfa-pw-123");
        // the password step answers with a partial ticket: the dialog asks for the second factor
        type("input[name=otp]", "000000");
        el("#login-submit").click();
        assertThat(el("#login-error").getText()).contains("Login failed");
        login("tfauser", "pve", "Tfa-pw-123");
        type("input[name=otp]", totp.code(System.currentTimeMillis() / 1000));
        el("#login-submit").click();
        assertThat(el("#current-user").getText()).isEqualTo("tfauser@pve");
        el("#logout").click();
        el("#login-form");
    }
}
