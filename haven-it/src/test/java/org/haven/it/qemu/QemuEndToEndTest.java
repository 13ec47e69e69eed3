package org.haven.it.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.CliResult;
import org.haven.it.HavenNode.Resp;
import org.haven.qemu.testing.SerialReader;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import tools.jackson.databind.JsonNode;

/**
 * A real daemon runs a real guest: {@code qm create} with PVE's options, {@code qm start} through the task
 * system, the guest's serial console, status over the API and {@code qm}, ACPI shutdown, PVE's errors for bad
 * input and locks, destroy.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@E2eTest
class QemuEndToEndTest {

    static Path dir;
    static HavenNode node;
    static final int VMID = 4242;
    static final String BRIDGE = "hve" + ProcessHandle.current().pid() % 100000;
    static Path disk;
    static Path initrd;

    @BeforeAll
    static void start() throws Exception {
        TestGuest.require();
        dir = Files.createTempDirectory("haven-qemu-e2e");
        node = HavenNode.start(dir.resolve("node1"), "node1");
        initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
        disk = dir.resolve("disk0.raw");
        Process p = new ProcessBuilder("qemu-img", "create", "-f", "raw", disk.toString(), "16M").redirectErrorStream(true).start();
        assertThat(p.waitFor()).isZero();
    }

    @AfterAll
    static void stop() throws Exception {
        if (node == null) return;
        Path pidfile = node.dataDir().resolve("run/qemu-server/" + VMID + ".pid");
        if (Files.exists(pidfile)) {
            long pid = Long.parseLong(Files.readString(pidfile).trim());
            ProcessHandle.of(pid).ifPresent(h -> { h.destroyForcibly(); h.onExit().join(); });
        }
        node.close();
        new ProcessBuilder("ip", "link", "delete", "dev", BRIDGE).start().waitFor();
        try (var s = Files.walk(dir)) {
            s.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
    }

    Auth admin() throws Exception { return node.login("admin@pve", node.adminPassword()); }

    static String api(String rest) { return "/nodes/node1/qemu/" + VMID + rest; }

    @Test @Order(1)
    void createWithQmAndReadTheConfigBack() throws Exception {
        CliResult r = node.cli("qm", "create", Integer.toString(VMID), "--name", "e2e-guest", "--memory", "256",
                "--serial0", "socket", "--vga", "serial0", "--net0", "virtio=BC:24:11:AA:BB:01,bridge=" + BRIDGE,
                "--virtio0", disk + ",size=16M", "--onboot", "yes", "--agent", "1", "--args", TestGuest.args(initrd));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        String conf = Files.readString(node.cfsDir().resolve("nodes/node1/qemu-server/" + VMID + ".conf"));
        assertThat(conf).contains("name: e2e-guest\n", "memory: 256\n", "onboot: 1\n",
                "net0: virtio=BC:24:11:AA:BB:01,bridge=" + BRIDGE + "\n", "virtio0: " + disk + ",size=16M\n");
        assertThat(conf).containsPattern("smbios1: uuid=[0-9a-f-]{36}\n").containsPattern("vmgenid: [0-9a-f-]{36}\n");

        CliResult cfg = node.cli("qm", "config", Integer.toString(VMID));
        assertThat(cfg.exit()).isZero();
        assertThat(cfg.out()).contains("memory: 256\n", "name: e2e-guest\n", "onboot: 1\n").doesNotContain("digest");

        Resp get = node.get(api("/config"), admin());
        assertThat(get.status()).isEqualTo(200);
        assertThat(get.data().path("memory").asInt()).isEqualTo(256);
        assertThat(get.data().path("digest").asString()).hasSize(40);

        CliResult show = node.cli("qm", "showcmd", Integer.toString(VMID), "--pretty");
        assertThat(show.exit()).isZero();
        assertThat(show.out()).contains("-name 'e2e-guest,debug-threads=on' \\", "-m 256 \\", "ifname=tap" + VMID + "i0");
    }

    @Test @Order(2)
    void capabilitiesListTheHostsQemu() throws Exception {
        Resp machines = node.get("/nodes/" + node.node() + "/capabilities/qemu/machines", admin());
        assertThat(machines.status()).isEqualTo(200);
        List<String> ids = new java.util.ArrayList<>();
        machines.data().forEach(m -> ids.add(m.path("id").asString()));
        assertThat(ids).contains("pc-q35-7.2", "pc-i440fx-7.2");
        assertThat(ids.get(0)).matches("pc-(i440fx|q35)-\\d+\\.\\d+");
        Resp cpus = node.get("/nodes/" + node.node() + "/capabilities/qemu/cpu", admin());
        List<String> names = new java.util.ArrayList<>();
        cpus.data().forEach(m -> names.add(m.path("name").asString() + "/" + m.path("vendor").asString()));
        assertThat(names).contains("kvm64/default", "EPYC/AuthenticAMD", "x86-64-v2-AES/default");
    }

    @Test @Order(2)
    void badInputGetsPveErrors() throws Exception {
        Auth a = admin();
        Resp bad = node.put(api("/config"), Map.of("cores", "abc", "ostype", "dos"), a);
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.json().path("errors").path("cores").asString()).isEqualTo("type check ('integer') failed - got 'abc'");
        assertThat(bad.json().path("errors").path("ostype").asString()).startsWith("value 'dos' does not have a value in the enumeration");
        Resp unknown = node.put(api("/config"), Map.of("bogus", "1"), a);
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.json().path("errors").path("bogus").asString())
                .isEqualTo("property is not defined in schema and the schema does not allow additional properties");
        Resp badDisk = node.put(api("/config"), Map.of("scsi0", "local:1,cache=fast"), a);
        assertThat(badDisk.status()).isEqualTo(400);
        assertThat(badDisk.json().path("errors").path("scsi0").asString()).contains("value 'fast' does not have a value in the enumeration");
        Resp stale = node.put(api("/config"), Map.of("cores", "2", "digest", "0000000000000000000000000000000000000000"), a);
        assertThat(stale.status()).isEqualTo(500);
        assertThat(stale.body()).contains("detected modified configuration - file changed by other user? Try again.");
        CliResult cli = node.cli("qm", "set", Integer.toString(VMID), "--cores", "0");
        assertThat(cli.exit()).isNotZero();
        assertThat(cli.err()).contains("cores: value must have a minimum value of 1");
        Resp dup = node.post("/nodes/node1/qemu", Map.of("vmid", Integer.toString(VMID)), a);
        assertThat(dup.status()).isEqualTo(500);
        assertThat(dup.body()).contains("unable to create VM " + VMID + ": config file already exists");
        // nothing of the failed calls reached the config
        assertThat(node.get(api("/config"), a).data().has("cores")).isFalse();
    }

    @Test @Order(3)
    void startRunsTheGuestAndStatusShowsIt() throws Exception {
        CliResult r = node.cli("qm", "start", Integer.toString(VMID));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        Path serial = node.dataDir().resolve("run/qemu-server/" + VMID + ".serial0");
        try (SerialReader console = new SerialReader(serial)) {
            assertThat(console.await(TestGuest.MARKER, Duration.ofSeconds(90))).as(console.text()).isTrue();
        }
        Auth a = admin();
        JsonNode st = node.get(api("/status/current"), a).data();
        assertThat(st.path("status").asString()).isEqualTo("running");
        assertThat(st.path("qmpstatus").asString()).isEqualTo("running");
        assertThat(st.path("pid").asLong()).isPositive();
        assertThat(st.path("maxmem").asLong()).isEqualTo(256L << 20);

        Resp again = node.post(api("/status/start"), Map.of(), a);
        assertThat(again.status()).isEqualTo(500);
        assertThat(again.body()).contains("VM " + VMID + " already running");

        CliResult list = node.cli("qm", "list");
        assertThat(list.out()).contains("VMID NAME                 STATUS     MEM(MB)    BOOTDISK(GB) PID")
                .containsPattern("\\s+" + VMID + " e2e-guest\\s+running\\s+256\\s+0\\.02 \\d+");
        assertThat(node.cli("qm", "status", Integer.toString(VMID)).out()).isEqualTo("status: running\n");

        Resp resources = node.get("/cluster/resources", a);
        assertThat(resources.status()).as(resources.body()).isEqualTo(200);
        JsonNode res = resources.data();
        JsonNode mine = null;
        for (JsonNode n : res) if (n.path("id").asString().equals("qemu/" + VMID)) mine = n;
        assertThat(mine).isNotNull();
        assertThat(mine.path("status").asString()).isEqualTo("running");
        assertThat(mine.path("node").asString()).isEqualTo("node1");

        // the guest agent: ping through the API, exec through qm
        int code = 0;
        for (int i = 0; i < 60 && code != 200; i++) {
            code = node.post(api("/agent/ping"), Map.of(), a).status();
            if (code != 200) Thread.sleep(500);
        }
        assertThat(code).isEqualTo(200);
        CliResult exec = node.cli("qm", "guest", "exec", Integer.toString(VMID), "/bin/busybox", "echo", "hello");
        assertThat(exec.exit()).as(exec.err()).isZero();
        assertThat(exec.out()).contains("\"out-data\" : \"hello\\n\"", "\"exitcode\" : 0");

        // a file written and read back through the agent, seen by a program in the guest; a missing one named in the error
        Resp wrote = node.post(api("/agent/file-write"), Map.of("file", "/tmp/haven-agent.txt", "content", "written, then read\n"), a);
        assertThat(wrote.status()).as(wrote.body()).isEqualTo(200);
        Resp read = node.get(api("/agent/file-read") + "?file=/tmp/haven-agent.txt", a);
        assertThat(read.status()).as(read.body()).isEqualTo(200);
        assertThat(read.data().path("content").asString()).isEqualTo("written, then read\n");
        assertThat(read.data().has("truncated")).isFalse();
        CliResult cat = node.cli("qm", "guest", "exec", Integer.toString(VMID), "/bin/busybox", "cat", "/tmp/haven-agent.txt");
        assertThat(cat.out()).contains("written, then read");
        Resp missing = node.get(api("/agent/file-read") + "?file=/nonexistent/file", a);
        assertThat(missing.status()).isEqualTo(500);
        assertThat(missing.body()).contains("can't open file");

        // a change to a running VM waits in [PENDING]; the name applies at once
        assertThat(node.cli("qm", "set", Integer.toString(VMID), "--memory", "320", "--name", "renamed").exit()).isZero();
        CliResult pending = node.cli("qm", "pending", Integer.toString(VMID));
        assertThat(pending.out()).contains("cur memory: 256\n", "new memory: 320\n", "cur name: renamed\n");
    }

    @Test @Order(35)
    void consolesOverWebsockets() throws Exception {
        Auth a = admin();
        String cookie = "PVEAuthCookie=" + java.net.URLEncoder.encode(a.ticket(), java.nio.charset.StandardCharsets.UTF_8);
        // VNC: the websocket delivers QEMU's RFB handshake up to the ServerInit with the framebuffer size
        JsonNode vnc = node.post(api("/vncproxy"), Map.of("websocket", "1"), a).data();
        String ticket = vnc.path("ticket").asString();
        int port = vnc.path("port").asInt();
        java.net.URI uri = java.net.URI.create("wss://127.0.0.1:" + node.port() + "/api2/json" + api("/vncwebsocket") + "?port=" + port
                + "&vncticket=" + java.net.URLEncoder.encode(ticket, java.nio.charset.StandardCharsets.UTF_8));
        try (WsClient ws = WsClient.open(node.https(), uri, cookie, "binary")) {
            assertThat(ws.subprotocol()).isEqualTo("binary");
            assertThat(new String(ws.take(12, Duration.ofSeconds(10)))).isEqualTo("RFB 003.008\n");
            ws.send("RFB 003.008\n".getBytes());
            byte[] n = ws.take(1, Duration.ofSeconds(10));
            byte[] types = ws.take(n[0], Duration.ofSeconds(10));
            assertThat(types).contains((byte) 2);
            ws.send(new byte[]{2});
            byte[] challenge = ws.take(16, Duration.ofSeconds(10));
            ws.send(vncResponse(ticket, challenge));
            assertThat(ws.take(4, Duration.ofSeconds(10))).containsExactly(0, 0, 0, 0);
            ws.send(new byte[]{1});
            byte[] init = ws.take(24, Duration.ofSeconds(10));
            int width = ((init[0] & 0xff) << 8) | (init[1] & 0xff);
            int height = ((init[2] & 0xff) << 8) | (init[3] & 0xff);
            assertThat(width).isPositive();
            assertThat(height).isPositive();
            int nameLen = java.nio.ByteBuffer.wrap(init, 20, 4).getInt();
            assertThat(new String(ws.take(nameLen, Duration.ofSeconds(10)))).isEqualTo("QEMU (e2e-guest)");
        }
        // a wrong ticket is refused
        java.net.URI bad = java.net.URI.create("wss://127.0.0.1:" + node.port() + "/api2/json" + api("/vncwebsocket") + "?port=" + port + "&vncticket=PVEVNC:nope");
        assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> WsClient.open(node.https(), bad, cookie, "binary"))).isNotNull();

        // serial terminal: PVE's termproxy protocol for xterm.js
        JsonNode term = node.post(api("/termproxy"), Map.of(), a).data();
        java.net.URI turi = java.net.URI.create("wss://127.0.0.1:" + node.port() + "/api2/json" + api("/vncwebsocket") + "?port="
                + term.path("port").asInt() + "&vncticket=" + java.net.URLEncoder.encode(term.path("ticket").asString(), java.nio.charset.StandardCharsets.UTF_8));
        try (WsClient ws = WsClient.open(node.https(), turi, cookie, "binary")) {
            ws.sendText("admin@pve:" + term.path("ticket").asString() + "\n");
            ws.awaitText("OK", Duration.ofSeconds(10));
            ws.sendText("2");
            ws.sendText("1:80:24:");
            assertThat(ws.awaitText(TestGuest.MARKER, Duration.ofSeconds(30))).contains(TestGuest.MARKER);
        }
    }

    @Test @Order(36)
    void qmVncproxyAndTerminalAsProcessesAndWaitTimesOut() throws Exception {
        String id = Integer.toString(VMID);
        // qm vncproxy: the VM's VNC server on stdin/stdout, up to the security types; EOF on stdin ends it
        try (CliProcess vnc = CliProcess.start(node, "qm", "vncproxy", id)) {
            assertThat(new String(vnc.take(12, Duration.ofSeconds(60)), java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("RFB 003.008\n");
            vnc.stdin().write("RFB 003.008\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
            vnc.stdin().flush();
            byte[] n = vnc.take(1, Duration.ofSeconds(10));
            assertThat((int) n[0]).isPositive();
            // password=on: VNC authentication
            assertThat(vnc.take(n[0], Duration.ofSeconds(10))).contains((byte) 2);
            vnc.stdin().close();
            assertThat(vnc.waitFor(Duration.ofSeconds(30))).as(vnc.err()).isZero();
            assertThat(vnc.err()).isEmpty();
        }
        // qm terminal: the guest's serial console on stdout, Ctrl+O on stdin ends it while stdin stays open
        try (CliProcess term = CliProcess.start(node, "qm", "terminal", id)) {
            assertThat(term.await(TestGuest.MARKER, Duration.ofSeconds(60))).as(term.out() + term.err()).isTrue();
            assertThat(term.out()).startsWith("starting serial terminal on interface serial0 (press Ctrl+O to exit)\n");
            term.stdin().write(0x0f);
            term.stdin().flush();
            assertThat(term.waitFor(Duration.ofSeconds(30))).as(term.err()).isZero();
        }
        // on a terminal it switches to raw mode: Ctrl+O arrives without a newline
        try (CliProcess term = CliProcess.startOnTerminal(node, "qm", "terminal", id)) {
            assertThat(term.await(TestGuest.MARKER, Duration.ofSeconds(60))).as(term.out() + term.err()).isTrue();
            term.stdin().write(0x0f);
            term.stdin().flush();
            assertThat(term.waitFor(Duration.ofSeconds(30))).as(term.out() + term.err()).isZero();
        }
        CliResult noIface = node.cli("qm", "terminal", id, "--iface", "serial3");
        assertThat(noIface.exit()).isEqualTo(255);
        assertThat(noIface.err()).isEqualTo("serial interface 'serial3' is not configured\n");
        CliResult badTimeout = node.cli("qm", "wait", id, "--timeout=abc");
        assertThat(badTimeout.exit()).isEqualTo(255);
        assertThat(badTimeout.err()).isEqualTo("400 Parameter verification failed.\ntimeout: type check ('integer') failed - got 'abc'\n");
        CliResult badOption = node.cli("qm", "vncproxy", id, "--bogus", "1");
        assertThat(badOption.exit()).isEqualTo(255);
        assertThat(badOption.err()).isEqualTo("Unknown option: bogus\n400 unable to parse option\n");
        CliResult noVmid = node.cli("qm", "terminal");
        assertThat(noVmid.exit()).isEqualTo(255);
        assertThat(noVmid.err()).isEqualTo("400 not enough arguments\n");
        // qm wait on a running VM: PVE's timeout error
        CliResult w = node.cli("qm", "wait", id, "--timeout", "1");
        assertThat(w.exit()).isEqualTo(255);
        assertThat(w.err()).isEqualTo("wait failed - got timeout\n");
        assertThat(w.out()).matches("waiting until VM " + id + " stopps \\(PID \\d+\\)\n");
    }

    /** VNC authentication: DES of the challenge with the password's first 8 bytes, bits of each key byte reversed. */
    static byte[] vncResponse(String password, byte[] challenge) throws Exception {
        byte[] key = new byte[8];
        byte[] pw = password.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 8 && i < pw.length; i++) key[i] = (byte) (Integer.reverse(pw[i] & 0xff) >>> 24);
        javax.crypto.Cipher des = javax.crypto.Cipher.getInstance("DES/ECB/NoPadding");
        des.init(javax.crypto.Cipher.ENCRYPT_MODE, new javax.crypto.spec.SecretKeySpec(key, "DES"));
        return des.doFinal(challenge);
    }

    @Test @Order(40)
    void rebootAppliesPendingChangesThenAcpiShutdownStopsTheGuest() throws Exception {
        CliResult rb = node.cli("qm", "reboot", Integer.toString(VMID));
        assertThat(rb.exit()).as(rb.out() + rb.err()).isZero();
        assertThat(node.cli("qm", "status", Integer.toString(VMID)).out()).isEqualTo("status: running\n");
        assertThat(node.cli("qm", "config", Integer.toString(VMID), "--current", "1").out()).contains("memory: 320\n");
        assertThat(node.cli("qm", "pending", Integer.toString(VMID)).out()).doesNotContain("new ");
        try (SerialReader console = new SerialReader(node.dataDir().resolve("run/qemu-server/" + VMID + ".serial0"))) {
            assertThat(console.await(TestGuest.MARKER, Duration.ofSeconds(90))).as(console.text()).isTrue();
        }
        try (CliProcess wait = CliProcess.start(node, "qm", "wait", Integer.toString(VMID))) {
            // qm wait blocks while the VM runs and ends with 0 once it stopped
            assertThat(wait.await("waiting until VM " + VMID + " stopps (PID ", Duration.ofSeconds(60))).as(wait.out() + wait.err()).isTrue();
            CliResult r = node.cli("qm", "shutdown", Integer.toString(VMID), "--timeout", "60");
            assertThat(r.exit()).as(r.out() + r.err()).isZero();
            assertThat(wait.waitFor(Duration.ofSeconds(30))).as(wait.out() + wait.err()).isZero();
        }
        assertThat(node.cli("qm", "status", Integer.toString(VMID)).out()).isEqualTo("status: stopped\n");
        CliResult w = node.cli("qm", "wait", Integer.toString(VMID), "--timeout", "1");
        assertThat(w.exit()).isZero();
        assertThat(w.out()).isEmpty();
        CliResult vnc = node.cli("qm", "vncproxy", Integer.toString(VMID));
        assertThat(vnc.exit()).isEqualTo(255);
        assertThat(vnc.err()).isEqualTo("VM " + VMID + " not running\n");
        assertThat(vnc.out()).isEmpty();
        CliResult term = node.cli("qm", "terminal", Integer.toString(VMID));
        assertThat(term.exit()).isEqualTo(255);
        assertThat(term.err()).isEqualTo("VM " + VMID + " not running\n");
        Resp sh = node.post(api("/status/shutdown"), Map.of(), admin());
        assertThat(sh.status()).isEqualTo(200);
        // the task itself fails: the VM is not running
        String upid = sh.data().asString();
        JsonNode task = awaitTask(upid);
        assertThat(task.path("exitstatus").asString()).isEqualTo("VM " + VMID + " not running");
    }

    @Test @Order(42)
    void vzdumpStdoutWritesTheArchiveToTheToolsOutput() throws Exception {
        Path archive = dir.resolve("stdout.vma.zst");
        CliResult r = node.cliTo(archive, "vzdump", Integer.toString(VMID), "--stdout", "--compress", "zstd", "--mode", "stop");
        assertThat(r.exit()).as(r.err()).isZero();
        // the log goes to standard error, the archive to standard output
        assertThat(r.err()).contains("INFO: Starting Backup of VM " + VMID + " (qemu)", "INFO: Backup job finished successfully");
        Path vma = dir.resolve("stdout.vma");
        Process z = new ProcessBuilder("zstd", "-q", "-d", "-f", archive.toString(), "-o", vma.toString()).redirectErrorStream(true).start();
        assertThat(z.waitFor()).as(new String(z.getInputStream().readAllBytes())).isZero();
        byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(vma), 12288);
        assertThat(new String(head, 0, 4, java.nio.charset.StandardCharsets.ISO_8859_1)).isEqualTo("VMA\0");
        assertThat(new String(Files.readAllBytes(vma), java.nio.charset.StandardCharsets.ISO_8859_1)).contains("qemu-server.conf", "drive-virtio0",
                "virtio0: " + disk);
        // nothing stays behind: no archive or log in the dump directory, the tool's pipe is gone, the guest is unlocked
        Resp content = node.get("/nodes/node1/storage/local/content?content=backup", admin());
        assertThat(content.status()).isEqualTo(200);
        assertThat(content.data().size()).as(content.body()).isZero();
        try (var s = Files.list(Path.of("/tmp"))) {
            assertThat(s.map(f -> f.getFileName().toString())).noneMatch(n -> n.startsWith("vzdump-stdout-"));
        }
        assertThat(node.cli("qm", "config", Integer.toString(VMID)).out()).doesNotContain("lock:");

        // PVE's refusals: more than one guest, and the option off the command line
        CliResult two = node.cliTo(dir.resolve("two.out"), "vzdump", Integer.toString(VMID), Integer.toString(VMID + 1), "--stdout");
        assertThat(two.exit()).isEqualTo(255);
        assertThat(two.err()).contains("stdout: you can only backup a single VM with option --stdout");
        assertThat(Files.size(dir.resolve("two.out"))).isZero();
        Resp api = node.post("/nodes/node1/vzdump", Map.of("vmid", Integer.toString(VMID), "stdout", "1"), admin());
        assertThat(api.status()).as(api.body()).isEqualTo(400);
        assertThat(api.json().path("errors").path("stdout").asString()).isEqualTo("option is only allowed on the command line interface");
    }

    @Test @Order(45)
    void storageSnapshotsTemplatesAndClonesThroughQm() throws Exception {
        Path store = dir.resolve("vmdata");
        Files.createDirectories(store);
        CliResult add = node.cli("pvesm", "add", "dir", "vmdata", "--path", store.toString(), "--content", "images");
        assertThat(add.exit()).as(add.out() + add.err()).isZero();
        String id = Integer.toString(VMID);
        // a storage without 'images' content refuses disks
        Files.createDirectories(dir.resolve("isos"));
        assertThat(node.cli("pvesm", "add", "dir", "isos", "--path", dir.resolve("isos").toString(), "--content", "iso").exit()).isZero();
        CliResult iso = node.cli("qm", "set", id, "--scsi1", "isos:1");
        assertThat(iso.exit()).isNotZero();
        assertThat(iso.err()).contains("scsi1").contains("does not support content-type 'images'");

        assertThat(node.cli("qm", "set", id, "--scsi0", "vmdata:0.0625,format=qcow2").exit()).isZero();
        assertThat(node.cli("qm", "config", id).out()).contains("scsi0: vmdata:" + id + "/vm-" + id + "-disk-0.qcow2,size=64M\n");
        CliResult resize = node.cli("qm", "resize", id, "scsi0", "+64M");
        assertThat(resize.exit()).as(resize.out() + resize.err()).isZero();
        assertThat(node.cli("qm", "config", id).out()).contains("size=128M");

        // the raw path disk cannot be snapshotted: drop it first
        assertThat(node.cli("pvesh", "get", api("/feature"), "--feature", "snapshot", "--output-format", "json").out()).contains("\"hasFeature\":0");
        assertThat(node.cli("qm", "set", id, "--delete", "virtio0").exit()).isZero();
        assertThat(node.cli("pvesh", "get", api("/feature"), "--feature", "snapshot", "--output-format", "json").out()).contains("\"hasFeature\":1");
        CliResult snap = node.cli("qm", "snapshot", id, "before", "--description", "first one");
        assertThat(snap.exit()).as(snap.out() + snap.err()).isZero();
        assertThat(node.cli("qm", "set", id, "--cores", "3").exit()).isZero();
        CliResult list = node.cli("qm", "listsnapshot", id);
        assertThat(list.out()).contains("`-> before").contains("first one").contains("`-> current").contains("You are here!");
        assertThat(node.cli("qm", "rollback", id, "before").exit()).isZero();
        assertThat(node.cli("qm", "config", id).out()).doesNotContain("cores: 3").contains("parent: before");
        assertThat(node.cli("qm", "delsnapshot", id, "before").exit()).isZero();
        assertThat(node.get(api("/snapshot"), admin()).data().size()).isEqualTo(1);

        CliResult tmpl = node.cli("qm", "template", id);
        assertThat(tmpl.exit()).as(tmpl.out() + tmpl.err()).isZero();
        assertThat(node.cli("qm", "config", id).out()).contains("template: 1").contains("base-" + id + "-disk-0.qcow2");
        CliResult clone = node.cli("qm", "clone", id, Integer.toString(VMID + 1), "--name", "linked");
        assertThat(clone.exit()).as(clone.out() + clone.err()).isZero();
        assertThat(node.cli("qm", "config", Integer.toString(VMID + 1)).out())
                .contains("name: linked").contains("scsi0: vmdata:" + id + "/base-" + id + "-disk-0.qcow2/" + (VMID + 1) + "/vm-" + (VMID + 1) + "-disk-0.qcow2");
        // the template cannot go while its clone uses the base volume
        CliResult d = node.cli("qm", "destroy", id);
        assertThat(d.exit()).isNotZero();
        assertThat(node.cli("qm", "destroy", Integer.toString(VMID + 1)).exit()).isZero();
    }

    @Test @Order(50)
    void lockedVmIsNotDestroyedThenDestroyRemovesTheConfig() throws Exception {
        Auth a = admin();
        assertThat(node.cli("qm", "set", Integer.toString(VMID), "--lock", "backup").exit()).isZero();
        Resp start = node.post(api("/status/start"), Map.of(), a);
        assertThat(start.status()).isEqualTo(500);
        assertThat(start.body()).contains("VM is locked (backup)");
        Resp del = node.delete(api(""), a);
        assertThat(del.status()).isEqualTo(500);
        assertThat(del.body()).contains("VM is locked (backup)");
        assertThat(node.cli("qm", "unlock", Integer.toString(VMID)).exit()).isZero();
        CliResult d = node.cli("qm", "destroy", Integer.toString(VMID));
        assertThat(d.exit()).as(d.out() + d.err()).isZero();
        assertThat(node.cfsDir().resolve("nodes/node1/qemu-server/" + VMID + ".conf")).doesNotExist();
        // an absolute-path disk is not owned by the VM: it stays; the VM's own volumes are gone
        assertThat(disk).exists();
        try (var files = Files.walk(dir.resolve("vmdata"))) {
            assertThat(files.filter(Files::isRegularFile).toList()).isEmpty();
        }
        assertThat(node.get(api("/config"), a).status()).isEqualTo(500);
    }

    JsonNode awaitTask(String upid) throws Exception { return node.awaitTask(upid, admin()); }
}
