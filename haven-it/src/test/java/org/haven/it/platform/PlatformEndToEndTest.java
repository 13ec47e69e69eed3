package org.haven.it.platform;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.haven.access.AccessControl;
import org.haven.access.UserConfig;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.CliResult;
import org.haven.it.HavenNode.Resp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * One real daemon driven over HTTPS and the CLI: logins for pve and pam users, ticket and CSRF rules, API
 * tokens with privilege separation, field errors, tasks, and history across a restart.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@E2eTest
class PlatformEndToEndTest {
    static final String NODE = "itnode";
    static final String PVE_PASSWORD = "carol-secret-1";
    static final String TOKEN_SECRET_FULL = "0b4a9c34-5a31-4f2e-9a3e-6f8e2d7c1a01";
    static final String TOKEN_SECRET_SEP = "1c5b8d45-6b42-4a3f-8b4f-7a9f3e8d2b12";

    @TempDir static Path dir;
    static HavenNode node;
    static String pamUser;
    static String pamPassword;

    @BeforeAll
    static void start() throws Exception {
        Random r = new Random();
        pamUser = "havenit" + Integer.toString(r.nextInt(1 << 20), 36);
        pamPassword = "Pw-" + Long.toString(r.nextLong() & Long.MAX_VALUE, 36);
        run("useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", pamUser);
        runWithInput(pamUser + ":" + pamPassword + "\n", "chpasswd");

        // seed users, ACLs and tokens before the first start
        Path data = dir.resolve("node");
        Files.createDirectories(data.resolve("cfs"));
        AccessControl ac = new AccessControl(new LocalClusterFs(data.resolve("cfs"), NODE), org.haven.core.time.Clock.SYSTEM);
        ac.modifyUserConfig(c -> {
            UserConfig.User carol = new UserConfig.User();
            UserConfig.Token full = new UserConfig.Token();
            full.privsep = false;
            UserConfig.Token sep = new UserConfig.Token();
            sep.privsep = true;
            carol.tokens.put("full", full);
            carol.tokens.put("sep", sep);
            c.users.put("carol@pve", carol);
            c.users.put(pamUser + "@pam", new UserConfig.User());
            c.aclNode("/nodes").users.computeIfAbsent("carol@pve", k -> new TreeMap<>()).put("PVEAuditor", true);
            c.aclNode("/").users.computeIfAbsent(pamUser + "@pam", k -> new TreeMap<>()).put("PVEAuditor", true);
            return null;
        });
        ac.setPassword("carol@pve", PVE_PASSWORD);
        ac.modifyTokenSecrets(t -> {
            t.secrets.put("carol@pve!full", TOKEN_SECRET_FULL);
            t.secrets.put("carol@pve!sep", TOKEN_SECRET_SEP);
            return null;
        });
        node = HavenNode.start(data, NODE);
    }

    @AfterAll
    static void stop() throws Exception {
        try {
            if (node != null) node.close();
        } finally {
            if (pamUser != null) run("userdel", pamUser);
        }
    }

    static void run(String... cmd) throws Exception { runWithInput(null, cmd); }

    static void runWithInput(String input, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (input != null) p.getOutputStream().write(input.getBytes());
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed: " + out);
    }

    Auth admin() throws Exception { return node.login("admin@pve", node.adminPassword()); }

    @Test @Order(1)
    void adminLogsInWithTheGeneratedPasswordAndGetsCapabilities() throws Exception {
        assertThat(Files.getPosixFilePermissions(node.dataDir().resolve("admin-password")).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(node.dataDir().resolve("run/haven.sock")))).isEqualTo("rw-------");
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(node.dataDir().resolve("run")))).isEqualTo("rwx------");
        assertThat(Files.readString(node.dataDir().resolve("run/havend.pid")).strip()).isEqualTo(Long.toString(node.process().pid()));
        Resp r = node.post("/access/ticket", Map.of("username", "admin", "realm", "pve", "password", node.adminPassword()), null);
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.data().get("username").asString()).isEqualTo("admin@pve");
        assertThat(r.data().get("ticket").asString()).startsWith("PVE:admin@pve:");
        assertThat(r.data().get("cap").get("nodes").has("Sys.Audit")).isTrue();
        Auth a = Auth.ticket(r.data().get("ticket").asString(), r.data().get("CSRFPreventionToken").asString());
        Resp v = node.get("/version", a);
        assertThat(v.status()).isEqualTo(200);
        assertThat(v.data().get("release").asString()).isEqualTo("8.4");
        // renewing: the ticket is accepted as password
        Resp renewed = node.post("/access/ticket", Map.of("username", "admin@pve", "password", a.ticket()), null);
        assertThat(renewed.status()).isEqualTo(200);
        assertThat(renewed.data().get("username").asString()).isEqualTo("admin@pve");
    }

    @Test @Order(2)
    void pveAndPamUsersLogIn() throws Exception {
        Auth carol = node.login("carol@pve", PVE_PASSWORD);
        assertThat(node.get("/nodes/" + NODE + "/status", carol).status()).isEqualTo(200);
        Resp pam = node.post("/access/ticket", Map.of("username", pamUser, "realm", "pam", "password", pamPassword), null);
        assertThat(pam.status()).as(pam.body()).isEqualTo(200);
        assertThat(pam.data().get("username").asString()).isEqualTo(pamUser + "@pam");
        Auth pa = Auth.ticket(pam.data().get("ticket").asString(), pam.data().get("CSRFPreventionToken").asString());
        assertThat(node.get("/cluster/status", pa).status()).isEqualTo(200);
    }

    @Test @Order(3)
    void badCredentialsAre401() throws Exception {
        assertThat(node.post("/access/ticket", Map.of("username", "carol@pve", "password", "wrong"), null).status()).isEqualTo(401);
        assertThat(node.post("/access/ticket", Map.of("username", pamUser + "@pam", "password", "wrong"), null).status()).isEqualTo(401);
        assertThat(node.post("/access/ticket", Map.of("username", "nobody@pve", "password", "x"), null).status()).isEqualTo(401);
        assertThat(node.get("/version", null).status()).isEqualTo(401);
        assertThat(node.stdout()).contains("authentication failure; rhost=127.0.0.1 user=carol@pve");
    }

    @Test @Order(4)
    void forgedAndExpiredTicketsAre401() throws Exception {
        Auth carol = node.login("carol@pve", PVE_PASSWORD);
        String t = carol.ticket();
        // another user name under the same signature
        String forged = t.replace("PVE:carol@pve:", "PVE:root@pam:");
        assertThat(node.get("/version", Auth.ticket(forged, null)).status()).isEqualTo(401);
        // a flipped signature character
        int i = t.length() - 5;
        String flipped = t.substring(0, i) + (t.charAt(i) == 'A' ? 'B' : 'A') + t.substring(i + 1);
        assertThat(node.get("/version", Auth.ticket(flipped, null)).status()).isEqualTo(401);
        // signed with the real key but three hours old
        long past = System.currentTimeMillis() / 1000 - 3 * 3600;
        AccessControl oldClock = new AccessControl(new LocalClusterFs(node.cfsDir(), NODE), () -> past);
        String expired = oldClock.createTicket("carol@pve");
        assertThat(node.get("/version", Auth.ticket(expired, null)).status()).isEqualTo(401);
        AccessControl nowClock = new AccessControl(new LocalClusterFs(node.cfsDir(), NODE), org.haven.core.time.Clock.SYSTEM);
        String fresh = nowClock.createTicket("carol@pve");
        Resp ok = node.get("/version", Auth.ticket(fresh, null));
        assertThat(ok.status()).as("ticket %s (login ticket %s): %s%n%s", fresh, t, ok.body(), node.stdout()).isEqualTo(200);
    }

    @Test @Order(5)
    void writesWithCookieNeedTheCsrfToken() throws Exception {
        Auth a = admin();
        String gate = "gatecsrf";
        String upid = node.post("/nodes/" + NODE + "/haven-test/task", Map.of("gate", gate), a).data().asString();
        Resp noCsrf = node.delete("/nodes/" + NODE + "/tasks/" + upid, a.withoutCsrf());
        assertThat(noCsrf.status()).isEqualTo(401);
        assertThat(node.post("/nodes/" + NODE + "/haven-test/task", Map.of("gate", gate), a.withoutCsrf()).status()).isEqualTo(401);
        Resp stop = node.delete("/nodes/" + NODE + "/tasks/" + upid, a);
        assertThat(stop.status()).isEqualTo(200);
        JsonNode st = awaitStopped(upid, a);
        assertThat(st.get("exitstatus").asString()).isEqualTo("received interrupt");
    }

    @Test @Order(6)
    void apiTokensAndPrivilegeSeparation() throws Exception {
        Auth full = Auth.token("carol@pve!full=" + TOKEN_SECRET_FULL);
        Auth sep = Auth.token("carol@pve!sep=" + TOKEN_SECRET_SEP);
        assertThat(node.get("/nodes/" + NODE + "/status", full).status()).isEqualTo(200);
        assertThat(node.get("/nodes/" + NODE + "/status", sep).status()).isEqualTo(403);
        assertThat(node.get("/version", sep).status()).isEqualTo(200);
        assertThat(node.get("/version", Auth.token("carol@pve!full=wrong")).status()).isEqualTo(401);
        assertThat(node.get("/version", Auth.token("carol@pve!nosuch=" + TOKEN_SECRET_FULL)).status()).isEqualTo(401);
        Resp perms = node.get("/access/permissions", full);
        assertThat(perms.data().has("/nodes")).isTrue();
        // tokens may not log in
        assertThat(node.post("/access/ticket", Map.of("username", "carol@pve", "password", PVE_PASSWORD), full).status()).isEqualTo(401);
        // token writes need no CSRF token
        assertThat(node.post("/nodes/" + NODE + "/haven-test/task", Map.of("gate", "x"), full).status()).isEqualTo(403);
    }

    @Test @Order(7)
    void validationErrorsAreFieldSpecific() throws Exception {
        Auth a = admin();
        Resp r = node.get("/cluster/nextid?vmid=abc", a);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("errors").get("vmid").asString()).isEqualTo("type check ('integer') failed - got 'abc'");
        Resp missing = node.post("/nodes/" + NODE + "/haven-test/task", Map.of("fail", "x"), a);
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.json().get("errors").get("gate").asString()).isEqualTo("property is missing and it is not optional");
        Resp pattern = node.post("/nodes/" + NODE + "/haven-test/task", Map.of("gate", "A B"), a);
        assertThat(pattern.json().get("errors").get("gate").asString()).isEqualTo("value does not match the regex pattern");
        Resp badNode = node.get("/nodes/bad_node/status", a);
        assertThat(badNode.status()).isEqualTo(400);
        assertThat(badNode.json().get("errors").get("node").asString()).startsWith("invalid format - value does not look like a valid node name");
        assertThat(node.get("/cluster/nextid", a).data().asInt()).isEqualTo(100);
        // the datacenter's next-id range moves the proposal; a broken range is refused and changes nothing
        assertThat(node.put("/cluster/options", Map.of("next-id", "lower=250,upper=300", "console", "xtermjs"), a).status()).isEqualTo(200);
        assertThat(node.get("/cluster/nextid", a).data().asInt()).isEqualTo(250);
        assertThat(node.get("/version", a).data().get("console").asString()).isEqualTo("xtermjs");
        assertThat(node.get("/cluster/options", a).data().get("next-id").get("lower").asInt()).isEqualTo(250);
        assertThat(node.put("/cluster/options", Map.of("next-id", "lower=300,upper=250"), a).status()).isEqualTo(400);
        assertThat(node.put("/cluster/options", Map.of("delete", "next-id,console"), a).status()).isEqualTo(200);
        assertThat(node.get("/cluster/nextid", a).data().asInt()).isEqualTo(100);
        assertThat(node.get("/nosuch", a).status()).isEqualTo(501);
    }

    @Test @Order(7)
    void nodeStatisticsAreRecordedAndServedAsRrddata() throws Exception {
        Auth a = admin();
        // the collector records this node's samples in its statistics store
        Path rrd = node.dataDir().resolve("rrd/pve2-node/" + NODE);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (!Files.exists(rrd) && System.nanoTime() < deadline) Thread.sleep(200);
        assertThat(rrd).exists();
        Resp hour = node.get("/nodes/" + NODE + "/rrddata?timeframe=hour&cf=AVERAGE", a);
        assertThat(hour.status()).as(hour.body()).isEqualTo(200);
        assertThat(hour.data().size()).isEqualTo(70);
        long first = hour.data().get(0).get("time").asLong();
        assertThat(hour.data().get(69).get("time").asLong() - first).isEqualTo(69 * 60);
        assertThat(first % 60).isZero();
        assertThat(node.get("/nodes/" + NODE + "/rrddata?timeframe=minute", a).json().get("errors").has("timeframe")).isTrue();
        // and the samples of its active storages
        Path local = node.dataDir().resolve("rrd/pve2-storage/" + NODE + "/local");
        while (!Files.exists(local) && System.nanoTime() < deadline) Thread.sleep(200);
        assertThat(local).exists();
        Resp storage = node.get("/nodes/" + NODE + "/storage/local/rrddata?timeframe=week&cf=MAX", a);
        assertThat(storage.status()).as(storage.body()).isEqualTo(200);
        assertThat(storage.data().size()).isEqualTo(70);
        // and of its guests
        assertThat(node.cli("qm", "create", "990", "--memory", "64").exit()).isZero();
        Path guest = node.dataDir().resolve("rrd/pve2.3-vm/990");
        while (!Files.exists(guest) && System.nanoTime() < deadline + Duration.ofSeconds(30).toNanos()) Thread.sleep(200);
        assertThat(guest).exists();
        Resp vm = node.get("/nodes/" + NODE + "/qemu/990/rrddata?timeframe=hour", a);
        assertThat(vm.status()).as(vm.body()).isEqualTo(200);
        assertThat(vm.data().size()).isEqualTo(70);
        assertThat(node.cli("qm", "destroy", "990").exit()).isZero();
        // the separated token has no Sys.Audit on the node
        assertThat(node.get("/nodes/" + NODE + "/rrddata?timeframe=day", Auth.token("carol@pve!sep=" + TOKEN_SECRET_SEP)).status()).isEqualTo(403);
    }

    @Test @Order(7)
    void timeZoneIsSetAndPowerCommandsAreRefusedInEmbeddedMode() throws Exception {
        Auth a = admin();
        Path tzFile = Path.of("/etc/timezone");
        Path localtime = Path.of("/etc/localtime");
        byte[] oldTz = Files.exists(tzFile) ? Files.readAllBytes(tzFile) : null;
        Path oldLink = Files.isSymbolicLink(localtime) ? Files.readSymbolicLink(localtime) : null;
        byte[] oldLocaltime = oldLink == null && Files.exists(localtime) ? Files.readAllBytes(localtime) : null;
        try {
            Resp set = node.put("/nodes/" + NODE + "/time", Map.of("timezone", "Asia/Kolkata"), a);
            assertThat(set.status()).as(set.body()).isEqualTo(200);
            assertThat(Files.readString(tzFile)).isEqualTo("Asia/Kolkata\n");
            assertThat(Files.readSymbolicLink(localtime)).isEqualTo(Path.of("/usr/share/zoneinfo/Asia/Kolkata"));
            JsonNode t = node.get("/nodes/" + NODE + "/time", a).data();
            assertThat(t.get("timezone").asString()).isEqualTo("Asia/Kolkata");
            assertThat(t.get("localtime").asLong() - t.get("time").asLong()).isEqualTo(5 * 3600 + 1800);
            for (String bad : List.of("Mars/Olympus", "../../etc/passwd", "/etc/passwd")) {
                Resp r = node.put("/nodes/" + NODE + "/time", Map.of("timezone", bad), a);
                assertThat(r.status()).as(bad).isEqualTo(400);
                assertThat(r.json().get("errors").get("timezone").asString()).isEqualTo("invalid time zone '" + bad + "'");
            }
            assertThat(Files.readString(tzFile)).isEqualTo("Asia/Kolkata\n");
        } finally {
            if (oldTz != null) Files.write(tzFile, oldTz);
            else Files.deleteIfExists(tzFile);
            Files.deleteIfExists(localtime);
            if (oldLink != null) Files.createSymbolicLink(localtime, oldLink);
            else if (oldLocaltime != null) Files.write(localtime, oldLocaltime);
        }
        // a daemon started with --data-dir is not the host's installation: no reboot or poweroff from it
        Resp reboot = node.post("/nodes/" + NODE + "/status", Map.of("command", "reboot"), a);
        assertThat(reboot.status()).isEqualTo(501);
        assertThat(reboot.json().get("message").asString()).contains("not available for a node in embedded mode");
        assertThat(node.post("/nodes/" + NODE + "/status", Map.of("command", "suspend"), a).status()).isEqualTo(400);
        // carol (auditor) may not
        assertThat(node.post("/nodes/" + NODE + "/status", Map.of("command", "shutdown"), Auth.token("carol@pve!full=" + TOKEN_SECRET_FULL)).status()).isEqualTo(403);
    }

    JsonNode awaitStopped(String upid, Auth a) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode st = node.get("/nodes/" + NODE + "/tasks/" + upid + "/status", a).data();
            if (st.get("status").asString().equals("stopped")) return st;
            Thread.sleep(50);
        }
        throw new AssertionError("task did not end: " + upid);
    }

    @Test @Order(8)
    void taskLogIsReadableWhileRunningAndStatusEnds() throws Exception {
        Auth a = admin();
        Resp started = node.post("/nodes/" + NODE + "/haven-test/task", Map.of("gate", "gateok"), a);
        assertThat(started.status()).isEqualTo(200);
        String upid = started.data().asString();
        assertThat(upid).startsWith("UPID:" + NODE + ":").contains(":hatest::admin@pve:");
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        List<String> lines = List.of();
        while (System.nanoTime() < deadline && !lines.contains("step one")) {
            lines = texts(node.get("/nodes/" + NODE + "/tasks/" + upid + "/log", a).data());
            Thread.sleep(20);
        }
        assertThat(lines).containsExactly("step one");
        assertThat(node.get("/nodes/" + NODE + "/tasks/" + upid + "/status", a).data().get("status").asString()).isEqualTo("running");
        Files.createFile(node.dataDir().resolve("gateok"));
        JsonNode st = awaitStopped(upid, a);
        assertThat(st.get("exitstatus").asString()).isEqualTo("OK");
        Resp log = node.get("/nodes/" + NODE + "/tasks/" + upid + "/log?start=1", a);
        assertThat(texts(log.data())).containsExactly("step two", "TASK OK");
        assertThat(log.json().get("total").asInt()).isEqualTo(3);
        Resp download = node.get("/nodes/" + NODE + "/tasks/" + upid + "/log?download=1", a);
        assertThat(download.status()).isEqualTo(200);
        assertThat(download.body()).isEqualTo("step one\nstep two\nTASK OK\n");
        assertThat(node.get("/nodes/" + NODE + "/tasks/" + upid + "/log?download=1&limit=5", a).status()).isEqualTo(400);

        Files.createFile(node.dataDir().resolve("gatefail"));
        String failed = node.post("/nodes/" + NODE + "/haven-test/task", Map.of("gate", "gatefail", "fail", "boom"), a).data().asString();
        assertThat(awaitStopped(failed, a).get("exitstatus").asString()).isEqualTo("boom");
        Resp list = node.get("/nodes/" + NODE + "/tasks?errors=1", a);
        assertThat(list.data().findValuesAsString("upid")).contains(failed).doesNotContain(upid);
        // carol (auditor on /nodes) sees them; the separated token does not see others' tasks
        Resp asToken = node.get("/nodes/" + NODE + "/tasks", Auth.token("carol@pve!sep=" + TOKEN_SECRET_SEP));
        assertThat(asToken.data().size()).isZero();
        assertThat(node.get("/nodes/" + NODE + "/tasks/" + upid + "/log", Auth.token("carol@pve!sep=" + TOKEN_SECRET_SEP)).status()).isEqualTo(403);
    }

    static List<String> texts(JsonNode lines) {
        List<String> out = new ArrayList<>();
        for (JsonNode l : lines) out.add(l.get("t").asString());
        return out;
    }

    @Test @Order(9)
    void cliToolsTalkToTheDaemon() throws Exception {
        CliResult v = node.cli("pvesh", "get", "/version", "--output-format", "json");
        assertThat(v.exit()).as(v.err()).isZero();
        assertThat(HavenNode.JSON.readTree(v.out()).get("release").asString()).isEqualTo("8.4");

        CliResult bad = node.cli("pvesh", "get", "/cluster/nextid", "--vmid", "abc");
        assertThat(bad.exit()).isEqualTo(255);
        assertThat(bad.err()).contains("400 Parameter verification failed.", "vmid: type check ('integer') failed - got 'abc'");

        CliResult unknownOpt = node.cli("pvesh", "get", "/version", "--bogus", "1");
        assertThat(unknownOpt.exit()).isEqualTo(255);
        assertThat(node.cli("pvesh", "get", "/nosuch").exit()).isEqualTo(255);

        CliResult text = node.cli("pvesh", "get", "/version");
        assertThat(text.out()).contains("| release | 8.4").contains("+=========+");

        CliResult ls = node.cli("pvesh", "ls", "/nodes/" + NODE);
        assertThat(ls.out()).contains("Dr---        tasks", "-r-c-        status", "-rw--        time");

        CliResult cert = node.cli("pvenode", "cert", "info");
        assertThat(cert.exit()).as(cert.err()).isZero();
        assertThat(cert.out()).contains("filename: pve-root-ca.pem", "filename: pve-ssl.pem", "/CN=Proxmox Virtual Environment", "SANs: ");

        // a custom certificate set with the CLI is served at once; after it is deleted the node's own one is again
        Path crt = node.dataDir().resolve("custom.pem"), key = node.dataDir().resolve("custom.key");
        Process openssl = new ProcessBuilder("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                "-subj", "/CN=custom.haven.test", "-keyout", key.toString(), "-out", crt.toString()).redirectErrorStream(true).start();
        openssl.getInputStream().readAllBytes();
        assertThat(openssl.waitFor()).isZero();
        CliResult set = node.cli("pvenode", "cert", "set", crt.toString(), key.toString());
        assertThat(set.exit()).as(set.err()).isZero();
        assertThat(set.out()).startsWith("fingerprint: ");
        org.haven.it.Await.until("the custom certificate served", Duration.ofSeconds(20), () -> servedSubject().contains("CN=custom.haven.test"));
        assertThat(node.cli("pvenode", "cert", "info").out()).contains("filename: pveproxy-ssl.pem", "/CN=custom.haven.test");
        CliResult del = node.cli("pvenode", "cert", "delete");
        assertThat(del.exit()).as(del.err()).isZero();
        org.haven.it.Await.until("the node certificate served again", Duration.ofSeconds(20), () -> servedSubject().contains("O=Proxmox Virtual Environment"));

        Files.createFile(node.dataDir().resolve("gatecli"));
        CliResult task = node.cli("pvesh", "create", "/nodes/" + NODE + "/haven-test/task", "--gate", "gatecli");
        assertThat(task.exit()).as(task.err()).isZero();
        assertThat(task.out()).startsWith("step one\nstep two\nUPID:" + NODE + ":");
        CliResult failing = node.cli("pvesh", "create", "/nodes/" + NODE + "/haven-test/task", "--gate", "gatecli", "--fail", "cli failure");
        assertThat(failing.exit()).isEqualTo(255);
        assertThat(failing.err()).contains("cli failure");
    }

    /** The subject of the certificate the node's HTTPS port presents now. */
    static String servedSubject() throws Exception {
        javax.net.ssl.SSLContext trustAll = javax.net.ssl.SSLContext.getInstance("TLS");
        trustAll.init(null, new javax.net.ssl.TrustManager[]{new javax.net.ssl.X509TrustManager() {
            @Override public void checkClientTrusted(java.security.cert.X509Certificate[] c, String a) { }
            @Override public void checkServerTrusted(java.security.cert.X509Certificate[] c, String a) { }
            @Override public java.security.cert.X509Certificate[] getAcceptedIssuers() { return new java.security.cert.X509Certificate[0]; }
        }}, null);
        try (javax.net.ssl.SSLSocket socket = (javax.net.ssl.SSLSocket) trustAll.getSocketFactory().createSocket("127.0.0.1", node.port())) {
            socket.startHandshake();
            return ((java.security.cert.X509Certificate) socket.getSession().getPeerCertificates()[0]).getSubjectX500Principal().getName();
        }
    }

    @Test @Order(10)
    void formatsAndSchemaExports() throws Exception {
        Auth a = admin();
        var http = node.https();
        var req = java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + node.port() + "/api2/extjs/cluster/nextid?vmid=1"))
                .header("Cookie", "PVEAuthCookie=" + java.net.URLEncoder.encode(a.ticket(), java.nio.charset.StandardCharsets.UTF_8)).build();
        var res = http.send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(res.statusCode()).isEqualTo(200);
        JsonNode ext = HavenNode.JSON.readTree(res.body());
        assertThat(ext.get("success").asInt()).isZero();
        assertThat(ext.get("errors").get("vmid").asString()).isEqualTo("value must have a minimum value of 100");
        var oa = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("https://127.0.0.1:" + node.port() + "/api2/openapi.json"))
                        .header("Cookie", "PVEAuthCookie=" + java.net.URLEncoder.encode(a.ticket(), java.nio.charset.StandardCharsets.UTF_8)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        JsonNode doc = HavenNode.JSON.readTree(oa.body());
        assertThat(doc.get("openapi").asString()).isEqualTo("3.1.0");
        assertThat(doc.get("paths").has("/nodes/{node}/tasks/{upid}/log")).isTrue();
    }

    @Test @Order(10)
    void requestsAreInTheAccessLog() throws Exception {
        Auth a = admin();
        assertThat(node.get("/nodes/" + NODE + "/time", a).status()).isEqualTo(200);
        Path log = node.dataDir().resolve("log/access.log");
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        String text = "";
        while (System.nanoTime() < deadline) {
            text = Files.exists(log) ? Files.readString(log) : "";
            if (text.contains("/api2/json/nodes/" + NODE + "/time")) break;
            Thread.sleep(50);
        }
        assertThat(text).containsPattern("::ffff:127\\.0\\.0\\.1 - admin@pve \\[[0-9]{2}/[0-9]{2}/[0-9]{4}:[0-9:]{8} [+-][0-9]{4}\\] \"GET /api2/json/nodes/" + NODE + "/time HTTP/1\\.1\" 200 [0-9]+");
        assertThat(text).contains(" - - [").contains("\"GET /api2/json/version HTTP/1.1\" 401");
    }

    @Test @Order(11)
    void taskHistorySurvivesARestart() throws Exception {
        Auth a = admin();
        List<String> before = node.get("/nodes/" + NODE + "/tasks?limit=0", a).data().findValuesAsString("upid");
        assertThat(before).isNotEmpty();
        Path data = node.dataDir();
        node.close();
        assertThat(data.resolve("run/havend.pid")).doesNotExist();
        node = HavenNode.start(data, NODE);
        Auth again = admin();
        List<String> after = node.get("/nodes/" + NODE + "/tasks?limit=0", again).data().findValuesAsString("upid");
        assertThat(after).containsExactlyElementsOf(before);
        assertThat(node.get("/nodes/" + NODE + "/tasks/" + before.get(0) + "/log", again).status()).isEqualTo(200);
    }
}
