package org.haven.it.security;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.access.AccessControl;
import org.haven.access.UserConfig;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.time.Clock;
import org.haven.it.Await;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import tools.jackson.databind.JsonNode;

/**
 * One real node for the API-wide sweeps: {@code root@pam} logs in through a PAM service of the test's own,
 * the callers of the permission matrix exist, real objects exist for every kind of path parameter, and known
 * secrets are planted in {@code priv/} (a token secret, a TFA secret and recovery key, an LDAP bind password,
 * password hashes, the ticket, CA and node keys) so that no answer may ever contain one of them.
 */
final class SweepNode implements AutoCloseable {
    static final String NODE = "sweepnode";
    static final String CALLER_TOKEN_SECRET = "7b1d2c3e-4f50-4a6b-8c7d-9e0f1a2b3c4d";
    static final String MARKER_TOKEN_SECRET = "5ec2e7a1-0b5e-4c1d-9a2f-6d7e8f901234";
    static final String MARKER_TOTP = "SWEEPSECRETTOTPMARKERAAAAAAAAAAA";
    static final String MARKER_RECOVERY = "5eed5eed" + "c0ffee00".repeat(7);
    static final String MARKER_LDAP_PW = "sweep-ldap-bind-secret-9f8e7d";
    /** Strings only callers with the matching audit privileges may see (VM name, storage path, comments). */
    static final List<String> PRIVILEGED = List.of("vmmarker-q7", "storemarker-q7", "usermarker-q7", "groupmarker-q7", "poolmarker-q7", "hagroupmarker-q7");

    final Path dir;
    final HavenNode node;
    final Path pamService;
    final String rootPassword;
    Auth root;
    final Map<String, String> objects = new LinkedHashMap<>();
    final List<String> secrets = new ArrayList<>();
    Set<String> volatileFiles = new TreeSet<>();
    /** Calls whose connection the server closed without an answer (retried once on a new connection). */
    int connectionResets;
    /** Status of a call that got no answer even on a second connection. */
    static final int NO_ANSWER = -1;

    /**
     * An answer: status, body and parsed JSON (null when the body is not JSON); {@code reset} when the server had
     * closed the kept-alive connection without saying so and the call was sent again on a new one.
     */
    record Answer(int status, String body, JsonNode json, boolean reset) {
        String message() { return json == null ? "" : json.path("message").asString(""); }
        boolean fieldError(String param) { return json != null && json.path("errors").has(param); }
        String excerpt() {
            String b = body == null ? "" : body.replace("\n", "\\n").replace("\0", "\\0");
            return b.length() > 160 ? b.substring(0, 160) + "…" : b;
        }
    }

    private SweepNode(Path dir, HavenNode node, Path pamService, String rootPassword) {
        this.dir = dir;
        this.node = node;
        this.pamService = pamService;
        this.rootPassword = rootPassword;
    }

    static SweepNode start(Path dir) throws Exception {
        String rootPassword = "Sweep-" + Long.toString(new Random().nextLong() & Long.MAX_VALUE, 36);
        String service = "haven-it-sweep-" + Integer.toString(new Random().nextInt(1 << 24), 36);
        Path check = dir.resolve("check-root-password");
        Files.createDirectories(dir);
        Files.writeString(check, "#!/bin/sh\npw=$(tr -d '\\000')\n[ \"$PAM_USER\" = root ] && [ \"$pw\" = '" + rootPassword + "' ]\n");
        Files.setPosixFilePermissions(check, PosixFilePermissions.fromString("rwx------"));
        Path pam = Path.of("/etc/pam.d", service);
        Files.writeString(pam, "auth required pam_exec.so expose_authtok quiet " + check + "\naccount required pam_permit.so\n");
        Path data = dir.resolve("node");
        try {
            plantAccess(data.resolve("cfs"));
            HavenNode n = HavenNode.start(data, NODE, "-Dhaven.pam.service=" + service);
            SweepNode s = new SweepNode(dir, n, pam, rootPassword);
            try {
                s.root = n.login("root@pam", rootPassword);
                s.createObjects();
                s.collectSecrets();
                s.volatileFiles = s.findVolatileFiles();
                return s;
            } catch (Exception | Error e) {
                s.close();
                throw e;
            }
        } catch (Exception | Error e) {
            Files.deleteIfExists(pam);
            throw e;
        }
    }

    /** Callers, their ACLs and the planted secrets, written before the node starts. */
    private static void plantAccess(Path cfs) throws Exception {
        Files.createDirectories(cfs.resolve("priv"));
        AccessControl ac = new AccessControl(new LocalClusterFs(cfs, NODE), Clock.SYSTEM);
        ac.modifyUserConfig(c -> {
            for (String u : List.of("nobody@pve", "auditor@pve", "richie@pve", "victim@pve")) c.users.put(u, new UserConfig.User());
            c.users.get("richie@pve").tokens.put("empty", new UserConfig.Token());
            c.users.get("victim@pve").tokens.put("vt", new UserConfig.Token());
            c.users.get("victim@pve").comment = "usermarker-q7";
            c.users.get("victim@pve").groups.add("g1");
            UserConfig.Group g = new UserConfig.Group();
            g.comment = "groupmarker-q7";
            g.users.add("victim@pve");
            c.groups.put("g1", g);
            c.aclNode("/").users.computeIfAbsent("richie@pve", k -> new TreeMap<>()).put("Administrator", true);
            c.aclNode("/").users.computeIfAbsent("auditor@pve", k -> new TreeMap<>()).put("PVEAuditor", true);
            return null;
        });
        for (String u : List.of("nobody", "auditor", "richie", "victim")) ac.setPassword(u + "@pve", u + "-pw-sweep");
        ac.modifyTokenSecrets(t -> {
            t.secrets.put("richie@pve!empty", CALLER_TOKEN_SECRET);
            t.secrets.put("victim@pve!vt", MARKER_TOKEN_SECRET);
            return null;
        });
        Files.writeString(cfs.resolve("priv/tfa.cfg"), "{\"users\":{\"victim@pve\":{\"totp\":[{\"id\":\"totp-sweep\",\"description\":\"sweep\","
                + "\"created\":1700000000,\"entry\":\"otpauth://totp/victim?secret=" + MARKER_TOTP + "&digits=6&period=30&algorithm=SHA1\"}],"
                + "\"recovery\":{\"secret\":\"" + MARKER_RECOVERY + "\",\"entries\":[],\"created\":1700000000}}}}");
    }

    /** Real objects for every kind of path parameter, created as root through the API. */
    private void createObjects() throws Exception {
        List<String> problems = ensureObjects();
        if (!problems.isEmpty()) throw new IllegalStateException("cannot create the sweep's objects: " + problems);
        String volid = "sweepstore:100/vm-100-disk-0.raw";
        String upid = call("GET", "/nodes/" + NODE + "/tasks", Map.of("limit", "1"), root, null).json().path("data").path(0).path("upid").asString();
        objects.putAll(Map.ofEntries(
                Map.entry("node", NODE), Map.entry("pve-node", NODE), Map.entry("target", NODE),
                Map.entry("vmid", "100"), Map.entry("pve-vmid", "100"),
                Map.entry("storage", "sweepstore"), Map.entry("storeid", "sweepstore"), Map.entry("pve-storage-id", "sweepstore"),
                Map.entry("volume", volid), Map.entry("pve-volume-id", volid),
                Map.entry("userid", "victim@pve"), Map.entry("pve-userid", "victim@pve"),
                Map.entry("groupid", "g1"), Map.entry("pve-groupid", "g1"),
                Map.entry("roleid", "SweepRole"), Map.entry("pve-roleid", "SweepRole"),
                Map.entry("poolid", "p1"), Map.entry("pve-poolid", "p1"),
                Map.entry("realm", "pve"), Map.entry("pve-realm", "pve"),
                Map.entry("tokenid", "vt"), Map.entry("pve-tokenid", "victim@pve!vt"),
                Map.entry("group", "hg1"), Map.entry("sid", "vm:100"), Map.entry("pve-ha-resource-or-vm-id", "vm:100"),
                Map.entry("snapname", "snap1"), Map.entry("id", "totp-sweep"), Map.entry("upid", upid),
                Map.entry("path", "/vms/100"), Map.entry("roles", "PVEAuditor"), Map.entry("privs", "VM.Audit"),
                Map.entry("password", "sweep-password-1"), Map.entry("username", "victim@pve")));
    }

    private boolean absent(String path) throws Exception { return call("GET", path, Map.of(), root, null).status() != 200; }

    interface Step { void run() throws Exception; }

    /**
     * (Re)create the objects the sweep's calls may have removed or changed, as root through the API. Returns what
     * could not be restored (e.g. a config file the node can no longer parse); every step is tried.
     */
    List<String> ensureObjects() {
        String vm = "/nodes/" + NODE + "/qemu/100";
        List<Step> steps = List.of(
                () -> {
                    if (!absent("/storage/sweepstore")) return;
                    Path store = dir.resolve("storemarker-q7");
                    Files.createDirectories(store);
                    ok("POST", "/storage", Map.of("storage", "sweepstore", "type", "dir", "path", store.toString(), "content", "images,iso,vztmpl,backup,snippets"));
                },
                () -> {
                    Answer cfg = call("GET", vm + "/config", Map.of(), root, null);
                    boolean exists = cfg.status() == 200;
                    stopGuests();
                    if (exists && (cfg.json().path("data").has("template") || cfg.json().path("data").has("lock"))) {
                        call("DELETE", "/cluster/ha/resources/vm:100", Map.of(), root, null);
                        Answer d = call("DELETE", vm, Map.of("skiplock", "1", "purge", "1"), root, null);
                        String upid = d.json() == null ? "" : d.json().path("data").asString("");
                        if (upid.startsWith("UPID:")) awaitTask(upid);
                        if (!absent(vm + "/config")) throw new IllegalStateException("cannot reset VM 100: " + d.body() + " " + cfg.body());
                        exists = false;
                    }
                    if (!exists) {
                        String upid = ok("POST", "/nodes/" + NODE + "/qemu", Map.of("vmid", "100", "name", "vmmarker-q7", "memory", "64")).path("data").asString("");
                        if (upid.startsWith("UPID:")) awaitTask(upid);
                    }
                },
                () -> {
                    if (absent("/nodes/" + NODE + "/storage/sweepstore/content/sweepstore:100%2Fvm-100-disk-0.raw"))
                        ok("POST", "/nodes/" + NODE + "/storage/sweepstore/content", Map.of("vmid", "100", "filename", "vm-100-disk-0.raw", "size", "1M"));
                },
                () -> {
                    if (!ok("GET", vm + "/snapshot", Map.of()).path("data").toString().contains("\"snap1\""))
                        awaitTask(ok("POST", vm + "/snapshot", Map.of("snapname", "snap1")).path("data").asString());
                },
                () -> {
                    if (!absent("/pools/p1")) return;
                    ok("POST", "/pools", Map.of("poolid", "p1", "comment", "poolmarker-q7"));
                    ok("PUT", "/pools/p1", Map.of("vms", "100"));
                },
                () -> { if (absent("/access/roles/SweepRole")) ok("POST", "/access/roles", Map.of("roleid", "SweepRole", "privs", "VM.Audit")); },
                () -> { if (absent("/access/groups/g1")) ok("POST", "/access/groups", Map.of("groupid", "g1", "comment", "groupmarker-q7")); },
                () -> {
                    if (absent("/access/users/victim@pve"))
                        ok("POST", "/access/users", Map.of("userid", "victim@pve", "comment", "usermarker-q7", "groups", "g1", "password", "victim-pw-sweep"));
                },
                () -> { if (absent("/access/users/victim@pve/token/vt")) ok("POST", "/access/users/victim@pve/token/vt", Map.of()); },
                () -> {
                    if (absent("/cluster/ha/groups/hg1"))
                        ok("POST", "/cluster/ha/groups", Map.of("group", "hg1", "nodes", NODE, "comment", "hagroupmarker-q7"));
                },
                () -> {
                    if (!absent("/cluster/ha/resources/vm:100")) return;
                    ok("POST", "/cluster/ha/resources", Map.of("sid", "vm:100", "state", "stopped", "group", "hg1"));
                    Thread.sleep(1000); // the HA manager takes the new resource up
                },
                () -> {
                    if (absent("/access/domains/sweepldap"))
                        ok("POST", "/access/domains", Map.of("realm", "sweepldap", "type", "ldap", "base_dn", "dc=example,dc=com", "server1", "127.0.0.1",
                                "user_attr", "uid", "bind_dn", "cn=admin,dc=example,dc=com", "password", MARKER_LDAP_PW));
                });
        List<String> problems = new ArrayList<>();
        for (Step st : steps) {
            try {
                st.run();
            } catch (Exception | AssertionError e) {
                problems.add(String.valueOf(e.getMessage()));
            }
        }
        return problems;
    }

    /** Secrets of {@code priv/} (and the private keys beside it) that no answer may contain. */
    private void collectSecrets() throws IOException {
        secrets.addAll(List.of(CALLER_TOKEN_SECRET, MARKER_TOKEN_SECRET, MARKER_TOTP, MARKER_RECOVERY, MARKER_LDAP_PW));
        Path cfs = node.cfsDir();
        for (String f : List.of("priv/authkey.key", "priv/pve-root-ca.key", "priv/pve-www.key", "nodes/" + NODE + "/pve-ssl.key")) {
            Path p = cfs.resolve(f);
            if (!Files.exists(p)) continue;
            for (String line : Files.readAllLines(p)) if (line.strip().length() >= 40 && !line.startsWith("-----")) secrets.add(line.strip());
        }
        for (String line : Files.readAllLines(cfs.resolve("priv/shadow.cfg"))) {
            String[] f = line.split(":");
            if (f.length > 1 && f[1].startsWith("$")) secrets.add(f[1]);
        }
        if (secrets.size() < 12) throw new IllegalStateException("too few secrets found in priv/: " + secrets.size());
    }

    /** Files the node rewrites by itself (status, RRD data): seen changing while nothing is asked of it. */
    private Set<String> findVolatileFiles() throws Exception {
        Set<String> out = new TreeSet<>();
        Map<String, String> a = snapshot();
        for (int i = 0; i < 4; i++) {
            Thread.sleep(1000);
            Map<String, String> b = snapshot();
            out.addAll(changes(a, b));
            a = b;
        }
        return out;
    }

    /** Files the node's services rewrite on their own (HA status, locks), whatever the API is asked. */
    static final Pattern STATUS_FILES = Pattern.compile("(^|/)(lrm_status|manager_status|crm_commands)$|/lock/|^priv/lock");

    /** Content hash of every file of the cluster file system (files replaced while walking are skipped). */
    Map<String, String> snapshot() throws IOException {
        Map<String, String> out = new TreeMap<>();
        for (Path p : files()) {
            try {
                out.put(node.cfsDir().relativize(p).toString(), HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            } catch (java.nio.file.NoSuchFileException e) {
                // replaced while walking
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
        return out;
    }

    /** The regular files of the cluster file system, without the temporary files of atomic replacements. */
    private List<Path> files() throws IOException {
        List<Path> out = new ArrayList<>();
        Files.walkFileTree(node.cfsDir(), new java.nio.file.SimpleFileVisitor<>() {
            @Override public java.nio.file.FileVisitResult visitFile(Path f, java.nio.file.attribute.BasicFileAttributes attrs) {
                if (attrs.isRegularFile() && !f.getFileName().toString().startsWith(".tmp")) out.add(f);
                return java.nio.file.FileVisitResult.CONTINUE;
            }
            @Override public java.nio.file.FileVisitResult visitFileFailed(Path f, IOException e) { return java.nio.file.FileVisitResult.CONTINUE; }
        });
        return out;
    }

    /** Files added, removed or changed between two snapshots, without the node's own status files. */
    List<String> changes(Map<String, String> before, Map<String, String> after) {
        Set<String> all = new TreeSet<>(before.keySet());
        all.addAll(after.keySet());
        List<String> out = new ArrayList<>();
        for (String f : all) {
            if (volatileFiles.contains(f) || STATUS_FILES.matcher(f).find()) continue;
            String a = before.get(f), b = after.get(f);
            if (a == null || !a.equals(b)) out.add(f + (a == null ? " (added)" : b == null ? " (removed)" : " (changed)"));
        }
        return out;
    }

    /** Those of {@code changed} (entries of {@link #changes}) that now hold a line a newline injection added. */
    List<String> injectedLines(List<String> changed) throws IOException {
        List<String> out = new ArrayList<>();
        Pattern injected = Pattern.compile("(?m)^\\s*" + ParamGen.INJECTED);
        for (String c : changed) {
            Path p = node.cfsDir().resolve(c.substring(0, c.lastIndexOf(" (")));
            try {
                if (Files.size(p) < 4 << 20 && injected.matcher(new String(Files.readAllBytes(p), StandardCharsets.ISO_8859_1)).find())
                    out.add(c);
            } catch (java.nio.file.NoSuchFileException e) {
                // removed
            }
        }
        return out;
    }

    /** The secrets an answer contains. */
    List<String> leakedSecrets(String body) {
        List<String> out = new ArrayList<>();
        if (body == null) return out;
        for (String s : secrets) if (body.contains(s)) out.add(s.length() > 16 ? s.substring(0, 16) + "…" : s);
        return out;
    }

    static final Pattern INTERNALS = Pattern.compile(
            "\\b(?:java|javax|jakarta|sun|tools\\.jackson|com\\.fasterxml|org\\.eclipse|org\\.haven)\\.[a-z]+\\.|\\b[A-Z][A-Za-z0-9]*(?:Exception|Error)\\b"
                    + "|\\bat [a-z][\\w$]*(?:\\.[\\w$]+)+\\(|\\.java:\\d+\\)|Nul character not allowed");
    static final Pattern HTML = Pattern.compile("<html", Pattern.CASE_INSENSITIVE);

    /** Java class names or stack frames in an answer (the first found), else {@code <html} for a servlet error page, else null. */
    static String internals(String body) {
        if (body == null) return null;
        Matcher m = INTERNALS.matcher(body);
        if (m.find()) return m.group();
        return HTML.matcher(body).find() ? "<html" : null;
    }

    /** Send one call; GET and DELETE carry the parameters in the query, the others in a form body. */
    Answer call(String method, String template, Map<String, String> params, Auth auth, String rawBodySuffix) throws Exception {
        Map<String, String> rest = new LinkedHashMap<>(params);
        Matcher m = Pattern.compile("\\{([A-Za-z0-9_-]+)\\}").matcher(template);
        StringBuilder path = new StringBuilder();
        while (m.find()) {
            String v = rest.remove(m.group(1));
            m.appendReplacement(path, Matcher.quoteReplacement(URLEncoder.encode(v == null ? "" : v, StandardCharsets.UTF_8).replace("+", "%20")));
        }
        m.appendTail(path);
        StringBuilder form = new StringBuilder();
        rest.forEach((k, v) -> {
            if (!form.isEmpty()) form.append('&');
            form.append(URLEncoder.encode(k, StandardCharsets.UTF_8)).append('=').append(URLEncoder.encode(v, StandardCharsets.UTF_8));
        });
        if (rawBodySuffix != null) form.append(form.isEmpty() ? "" : "&").append(rawBodySuffix);
        boolean query = method.equals("GET") || method.equals("DELETE");
        String uri = node.uri(path.toString()) + (query && !form.isEmpty() ? "?" + form : "");
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(60));
        if (auth != null) {
            if (auth.ticket() != null) b.header("Cookie", "PVEAuthCookie=" + URLEncoder.encode(auth.ticket(), StandardCharsets.UTF_8));
            if (auth.csrf() != null) b.header("CSRFPreventionToken", auth.csrf());
            if (auth.apiToken() != null) b.header("Authorization", "PVEAPIToken=" + auth.apiToken());
        }
        if (query) b.method(method, HttpRequest.BodyPublishers.noBody());
        else b.header("Content-Type", "application/x-www-form-urlencoded").method(method, HttpRequest.BodyPublishers.ofString(form.toString()));
        HttpResponse<String> r;
        boolean reset = false;
        try {
            r = node.https().send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            // a connection the server closed without saying so: the answer is lost, the call is tried once more
            try {
                r = node.https().send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException again) {
                return new Answer(NO_ANSWER, "no answer: " + again.getMessage(), null, true);
            }
            connectionResets++;
            reset = true;
        }
        JsonNode json = null;
        try { json = HavenNode.JSON.readTree(r.body()); } catch (RuntimeException ignored) { }
        return new Answer(r.statusCode(), r.body(), json, reset);
    }

    /** A GET of a Haven path outside {@code /api2/json} as root (the node's schema). */
    JsonNode getExtension(String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + node.port() + path)).timeout(Duration.ofSeconds(30))
                .header("Cookie", "PVEAuthCookie=" + URLEncoder.encode(root.ticket(), StandardCharsets.UTF_8)).GET().build();
        HttpResponse<String> r = node.https().send(req, HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) throw new IllegalStateException(path + " -> " + r.statusCode() + " " + r.body());
        return HavenNode.JSON.readTree(r.body());
    }

    JsonNode ok(String method, String path, Map<String, String> params) throws Exception {
        Answer a = call(method, path, params, root, null);
        if (a.status() != 200) throw new IllegalStateException(method + " " + path + " " + params + " -> " + a.status() + " " + a.body());
        return a.json();
    }

    void awaitTask(String upid) throws Exception { awaitTask(upid, Duration.ofSeconds(60)); }

    void awaitTask(String upid, Duration max) throws Exception {
        Await.until("task " + upid, max, () ->
                "stopped".equals(ok("GET", "/nodes/" + NODE + "/tasks/" + URLEncoder.encode(upid, StandardCharsets.UTF_8) + "/status", Map.of())
                        .path("data").path("status").asString("")));
    }

    /** Stop guests the sweep started (as root through the API), so that no QEMU outlives the test. */
    void stopGuests() {
        try {
            JsonNode vms = ok("GET", "/nodes/" + NODE + "/qemu", Map.of()).path("data");
            for (JsonNode vm : vms) {
                if (!"running".equals(vm.path("status").asString(""))) continue;
                String upid = call("POST", "/nodes/" + NODE + "/qemu/" + vm.path("vmid").asString() + "/status/stop", Map.of("skiplock", "1"), root, null)
                        .json().path("data").asString("");
                if (!upid.isEmpty()) awaitTask(upid);
            }
        } catch (Exception e) {
            System.err.println("sweep: stopping guests failed: " + e);
        }
    }

    @Override
    public void close() throws IOException {
        try {
            if (root != null) stopGuests();
        } finally {
            node.close();
            killLeftovers();
            Files.deleteIfExists(pamService);
        }
    }

    /** Guest processes of this node's data directory that survived the daemon (found by their command line, killed by PID). */
    private void killLeftovers() {
        String mark = node.dataDir().toString();
        ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(mark)).orElse(false))
                .forEach(p -> {
                    System.err.println("sweep: killing leftover process " + p.pid() + " " + p.info().command().orElse(""));
                    p.destroyForcibly();
                });
    }
}
