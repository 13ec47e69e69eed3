package org.haven.it;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A real {@code havend} process in embedded mode for end-to-end tests: its own data directory, a free
 * loopback port, HTTPS verified against the node's generated cluster CA, and the CLI tools run as separate
 * processes against its Unix socket. Reusable by every IT area: {@code try (HavenNode n = HavenNode.start(dir, "n1")) {…}}.
 */
public final class HavenNode implements AutoCloseable {
    public static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path dataDir;
    private final String node;
    private final int port;
    private final Process process;
    private final List<String> jvmArgs, daemonArgs, launcher;
    private HttpClient http;

    /** An HTTP answer: status and parsed JSON body (null when not JSON). */
    public record Resp(int status, JsonNode json, String body) {
        public JsonNode data() { return json == null ? null : json.get("data"); }
    }

    /** Credentials for requests: a ticket (+ CSRF token) or an API token. */
    public record Auth(String ticket, String csrf, String apiToken) {
        public static Auth ticket(String ticket, String csrf) { return new Auth(ticket, csrf, null); }
        public static Auth token(String value) { return new Auth(null, null, value); }
        public Auth withoutCsrf() { return new Auth(ticket, null, apiToken); }
    }

    /** Result of a CLI run. */
    public record CliResult(int exit, String out, String err) {}

    /** A free loopback TCP port. */
    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) { return s.getLocalPort(); }
    }

    private HavenNode(Path dataDir, String node, int port, Process process, List<String> jvmArgs, List<String> daemonArgs, List<String> launcher) {
        this.dataDir = dataDir;
        this.node = node;
        this.port = port;
        this.process = process;
        this.jvmArgs = List.copyOf(jvmArgs);
        this.daemonArgs = List.copyOf(daemonArgs);
        this.launcher = List.copyOf(launcher);
    }

    public static HavenNode start(Path dataDir, String node, String... extraJvmArgs) throws Exception {
        return start(dataDir, node, List.of(extraJvmArgs), List.of());
    }

    /** Start with extra JVM arguments and extra {@code havend} arguments (e.g. {@code --cfs-port 5405}). */
    public static HavenNode start(Path dataDir, String node, List<String> extraJvmArgs, List<String> daemonArgs) throws Exception {
        return start(dataDir, node, extraJvmArgs, daemonArgs, true);
    }

    /** As {@link #start(Path, String, List, List)}; with {@code awaitReady} false it returns as soon as the process runs. */
    static HavenNode start(Path dataDir, String node, List<String> extraJvmArgs, List<String> daemonArgs, boolean awaitReady)
            throws Exception {
        return start(List.of(), dataDir, node, extraJvmArgs, daemonArgs, awaitReady);
    }

    /**
     * As {@link #start(Path, String, List, List)}, the daemon's command run by {@code launcher} (e.g. {@code unshare -m …}
     * to give it a mount namespace of its own; the launcher must exec the command so that the process is the daemon).
     */
    static HavenNode start(List<String> launcher, Path dataDir, String node, List<String> extraJvmArgs, List<String> daemonArgs, boolean awaitReady)
            throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        Files.createDirectories(dataDir);
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of(javaBin(), "-cp", System.getProperty("java.class.path"),
                "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow", "-XX:+UseSerialGC",
                "-Dhaven.auth.failDelayMs=100",
                // test daemons reach no CA: an ACME call without a directory goes to a closed loopback port
                "-Dhaven.acme.directory=https://127.0.0.1:1/directory"));
        cmd.addAll(extraJvmArgs);
        cmd.addAll(List.of(TestHavend.class.getName(), "--data-dir", dataDir.toString(), "--node", node,
                "--port", Integer.toString(port), "--bind", "127.0.0.1", "--foreground"));
        cmd.addAll(daemonArgs);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(dataDir.resolve("havend.stdout").toFile()).start();
        HavenNode n = new HavenNode(dataDir, node, port, p, extraJvmArgs, daemonArgs, launcher);
        // a test JVM that dies (or skips its cleanup) must not leave daemons behind
        Thread reaper = new Thread(() -> { if (p.isAlive()) p.destroyForcibly(); }, "havend-reaper-" + node);
        Runtime.getRuntime().addShutdownHook(reaper);
        if (!awaitReady) return n;
        try {
            n.awaitReady();
        } catch (Exception e) {
            n.close();
            throw new IllegalStateException("havend did not start: " + e.getMessage() + "\n" + n.stdout(), e);
        }
        return n;
    }

    static String javaBin() { return Path.of(System.getProperty("java.home"), "bin", "java").toString(); }

    private void awaitReady() throws Exception {
        // a generous bound: on a loaded machine the JVM's start alone can take a minute
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        Path sock = dataDir.resolve("run/haven.sock");
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) throw new IllegalStateException("exited with " + process.exitValue());
            if (Files.exists(sock)) {
                try {
                    if (get("/version", null).status() == 401) return;
                } catch (IOException e) {
                    // not listening yet
                }
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("timeout");
    }

    /** Stops this daemon (as {@link #close}) when it still runs and starts it again with the same arguments. */
    public HavenNode restart() throws Exception {
        close();
        return start(launcher, dataDir, node, jvmArgs, daemonArgs, true);
    }

    /** As {@link #restart}, without waiting until the daemon serves (it may be meant to die while it starts). */
    public HavenNode restartNoWait() throws Exception {
        close();
        return start(launcher, dataDir, node, jvmArgs, daemonArgs, false);
    }

    public Path dataDir() { return dataDir; }
    public String node() { return node; }
    public int port() { return port; }
    public Process process() { return process; }
    public Path cfsDir() { return dataDir.resolve("cfs"); }
    public String stdout() {
        try { return Files.readString(dataDir.resolve("havend.stdout")); } catch (IOException e) { return ""; }
    }

    /** HTTPS client trusting only this node's cluster CA (with host name verification). */
    public synchronized HttpClient https() throws Exception {
        if (http == null) http = HttpClient.newBuilder().sslContext(sslContext()).connectTimeout(Duration.ofSeconds(10)).build();
        return http;
    }

    /** A TLS context trusting only this node's cluster CA (for raw sockets). */
    public SSLContext sslContext() throws Exception {
        byte[] pem = Files.readAllBytes(cfsDir().resolve("pve-root-ca.pem"));
        X509Certificate ca = (X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(pem));
        KeyStore ts = KeyStore.getInstance("PKCS12");
        ts.load(null, null);
        ts.setCertificateEntry("ca", ca);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }

    /** Waits up to a minute for task {@code upid} of this node to end; returns its status ({@code exitstatus} …). */
    public JsonNode awaitTask(String upid, Auth auth) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            JsonNode st = get("/nodes/" + node + "/tasks/" + URLEncoder.encode(upid, StandardCharsets.UTF_8) + "/status", auth).data();
            if ("stopped".equals(st.path("status").asString())) return st;
            Thread.sleep(200);
        }
        throw new AssertionError("task " + upid + " did not end");
    }

    public URI uri(String apiPath) { return URI.create("https://127.0.0.1:" + port + "/api2/json" + apiPath); }

    public Resp get(String path, Auth auth) throws Exception { return send("GET", path, null, auth); }
    public Resp post(String path, Map<String, String> form, Auth auth) throws Exception { return send("POST", path, form, auth); }
    public Resp put(String path, Map<String, String> form, Auth auth) throws Exception { return send("PUT", path, form, auth); }
    public Resp delete(String path, Auth auth) throws Exception { return send("DELETE", path, null, auth); }

    public Resp send(String method, String path, Map<String, String> form, Auth auth) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri(path)).timeout(Duration.ofSeconds(60));
        if (auth != null) {
            if (auth.ticket() != null) b.header("Cookie", "PVEAuthCookie=" + URLEncoder.encode(auth.ticket(), StandardCharsets.UTF_8));
            if (auth.csrf() != null) b.header("CSRFPreventionToken", auth.csrf());
            if (auth.apiToken() != null) b.header("Authorization", "PVEAPIToken=" + auth.apiToken());
        }
        if (form != null) {
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<String, String> e : form.entrySet()) {
                if (!sb.isEmpty()) sb.append('&');
                sb.append(URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8));
            }
            b.header("Content-Type", "application/x-www-form-urlencoded").method(method, HttpRequest.BodyPublishers.ofString(sb.toString()));
        } else {
            b.method(method, HttpRequest.BodyPublishers.noBody());
        }
        HttpResponse<String> r = https().send(b.build(), HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        try { json = JSON.readTree(r.body()); } catch (RuntimeException ignored) { }
        return new Resp(r.statusCode(), json, r.body());
    }

    /** Log in through {@code POST /access/ticket}; throws when it fails. */
    public Auth login(String username, String password) throws Exception {
        Resp r = post("/access/ticket", Map.of("username", username, "password", password), null);
        if (r.status() != 200) throw new IllegalStateException("login of " + username + " failed: " + r.status() + " " + r.body());
        return Auth.ticket(r.data().get("ticket").asString(), r.data().get("CSRFPreventionToken").asString());
    }

    /** The generated admin@pve password. */
    public String adminPassword() throws IOException { return Files.readString(dataDir.resolve("admin-password")).strip(); }

    /** Run a CLI tool ({@code pvesh}, {@code pvenode}, …) as its own process against this node. */
    public CliResult cli(String tool, String... args) throws Exception {
        return cliWithInput("", tool, args);
    }

    /** Like {@link #cli}, with {@code input} on the tool's standard input (answers to prompts). */
    public CliResult cliWithInput(String input, String tool, String... args) throws Exception {
        Path out = Files.createTempFile("cli", ".out");
        try {
            CliResult r = run(input, out, tool, args);
            return new CliResult(r.exit(), Files.readString(out), r.err());
        } finally {
            Files.deleteIfExists(out);
        }
    }

    /** Like {@link #cli}, with the tool's standard output (binary, an archive) written to {@code stdout}; the result's {@code out} is empty. */
    public CliResult cliTo(Path stdout, String tool, String... args) throws Exception {
        return run("", stdout, tool, args);
    }

    private CliResult run(String input, Path out, String tool, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of(javaBin(), "-cp", System.getProperty("java.class.path"),
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "org.haven.cli.Main", tool));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("HAVEN_DATA_DIR", dataDir.toString());
        Path err = Files.createTempFile("cli", ".err");
        try {
            Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            try (var in = p.getOutputStream()) {
                in.write(input.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            } catch (IOException e) {
                // the tool exited without reading its input
            }
            if (!p.waitFor(120, TimeUnit.SECONDS)) { p.destroyForcibly(); throw new IllegalStateException("CLI timed out"); }
            return new CliResult(p.exitValue(), "", Files.readString(err));
        } finally {
            Files.deleteIfExists(err);
        }
    }

    /** SIGTERM, then wait; kill when it does not end. The daemon's output is kept in {@code target/havend-logs/}. */
    @Override
    public void close() {
        try {
            Path logs = Path.of("target", "havend-logs");
            Files.createDirectories(logs);
            Files.writeString(logs.resolve(node + "-" + process.pid() + ".log"), stdout());
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
        if (http != null) http.close();
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(20, TimeUnit.SECONDS)) { process.destroyForcibly(); process.waitFor(10, TimeUnit.SECONDS); }
            } catch (InterruptedException e) {
                process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        try {
            Files.writeString(Path.of("target", "havend-logs", node + "-" + process.pid() + ".log"), stdout());
        } catch (IOException | RuntimeException ignored) {
            // best effort
        }
    }
}
