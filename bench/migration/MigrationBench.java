import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.it.HavenCluster;
import org.haven.it.HavenNode;
import org.haven.qemu.migrate.MigrationParams;
import org.haven.qemu.qmp.QmpClient;
import org.haven.qemu.testing.TestGuest;
import tools.jackson.databind.JsonNode;

/**
 * Live migration with real daemons against QEMU driven by hand. Two {@code havend} processes form a cluster; a VM
 * (the test guest's kernel and initramfs, booted and idle, a qcow2 disk on a shared {@code dir} storage) migrates back and forth with
 * {@code POST /nodes/{node}/qemu/{vmid}/migrate online=1} ({@code migration: type=insecure} in {@code datacenter.cfg}). Then the same VM's command line
 * ({@code qm showcmd}) runs by hand twice, the second copy with {@code -S -incoming tcp:…} as Haven starts the
 * target (on a copy of the disk), and the source gets the capabilities and parameters Haven sets
 * ({@link MigrationParams}) and {@code migrate}; the two take turns, round by round. Reported: QEMU's {@code downtime} of {@code query-migrate} and the wall time (Haven: API request
 * to task end, task status polled every 250 ms; by hand: start of the target QEMU to {@code cont} on it,
 * {@code query-migrate} polled every 100 ms).
 *
 * <p>Then a VM with a local qcow2 disk full of data migrates with {@code with-local-disks=1}: the time from
 * the task log's {@code drive mirror is starting} to {@code all 'mirror' jobs are ready} (log polled every 20 ms)
 * against {@code qemu-img convert -n} of the same image into a {@code qemu-nbd} export of a new qcow2 image.
 *
 * <p>{@code MigrationBench [rounds] [disk MiB]}, defaults 6 and 1024.
 */
public final class MigrationBench {
    static final int VMID = 4900;
    static final Pattern DOWNTIME = Pattern.compile("- downtime (\\d+) ms");

    static Path dir;
    static HavenNode.Auth auth;

    record Run(double seconds, long downtimeMs, List<Timed> log) {}

    /** A task log line and when the harness first saw it (seconds after the request). */
    record Timed(double at, String line) {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 6;
        int diskMiB = args.length > 1 ? Integer.parseInt(args[1]) : 1024;
        if (!TestGuest.available()) throw new IllegalStateException("needs a kernel in /boot, busybox-static and qemu-system-x86");
        dir = Files.createTempDirectory("haven-bench-migration");
        try (HavenCluster cluster = HavenCluster.start(dir, "migbench", 2)) {
            HavenNode n1 = cluster.node(0), n2 = cluster.node(1);
            auth = n1.login("admin@pve", n1.adminPassword());
            Path initrd = TestGuest.buildInitramfs(dir.resolve("initrd.cpio"));
            Path shared = Files.createDirectories(dir.resolve("shared"));
            // migration_type is root@pam's only: insecure for every migration from datacenter.cfg
            cli(n1, "pvesh", "set", "/cluster/options", "--migration", "type=insecure");
            cli(n1, "pvesm", "add", "dir", "shared", "--path", shared.toString(), "--shared", "1", "--content", "images");
            String id = Integer.toString(VMID);
            cli(n1, "qm", "create", id, "--memory", "256", "--serial0", "socket", "--vga", "serial0",
                "--scsi0", "shared:0.1,format=qcow2", "--args", TestGuest.args(initrd));
            Map<String, String> conf = config(n1, VMID);
            // by hand: the same command line on a copy of the disk (the VM keeps its own open)
            Path sharedDisk = shared.resolve("images/" + id + "/vm-" + id + "-disk-0.qcow2");
            Path bareDisk = dir.resolve("bare-disk.qcow2");
            Files.copy(sharedDisk, bareDisk);
            String showcmd = cli(n1, "qm", "showcmd", id).strip().replace(sharedDisk.toString(), bareDisk.toString());

            // Haven back and forth, and by hand, in turns: both see the same load of the host
            cli(n1, "qm", "start", id);
            awaitBoot(n1.dataDir().resolve("run/qemu-server"));
            List<Run> haven = new ArrayList<>(), bare = new ArrayList<>();
            HavenNode on = n1;
            for (int i = 0; i < rounds; i++) {
                HavenNode to = on == n1 ? n2 : n1;
                Run r = migrate(on, to, VMID, Map.of(), 250);
                haven.add(r);
                System.out.printf(Locale.ROOT, "haven  %s -> %s: downtime %4d ms, total %6.2f s%n", on.node(), to.node(), r.downtimeMs(), r.seconds());
                on = to;
                Run b = bareMigration(showcmd, n1.dataDir().resolve("run"), conf);
                bare.add(b);
                System.out.printf(Locale.ROOT, "bare   src -> dst:     downtime %4d ms, total %6.2f s%n", b.downtimeMs(), b.seconds());
            }
            cli(on, "qm", "stop", id);

            // local disk: the mirror against qemu-img convert over NBD
            String id2 = Integer.toString(VMID + 1);
            double gib = diskMiB / 1024.0;
            cli(n1, "qm", "create", id2, "--memory", "256", "--serial0", "socket", "--vga", "serial0",
                "--scsi0", "local:" + gib + ",format=qcow2", "--args", TestGuest.args(initrd));
            Path disk = n1.dataDir().resolve("storage/local/images/" + id2 + "/vm-" + id2 + "-disk-0.qcow2");
            run("qemu-io", "-f", "qcow2", "-c", "write -P 0x5a 0 " + diskMiB + "M", disk.toString());
            Path copy = dir.resolve("source-copy.qcow2");
            run("cp", "--sparse=always", disk.toString(), copy.toString());
            cli(n1, "qm", "start", id2);
            awaitBoot(n1.dataDir().resolve("run/qemu-server"), VMID + 1);
            Run mirror = migrate(n1, n2, VMID + 1, Map.of("with-local-disks", "1"), 20);
            double mirrorSecs = at(mirror, "all 'mirror' jobs are ready") - at(mirror, "drive mirror is starting");
            cli(n2, "qm", "stop", id2);
            double convertSecs = convertOverNbd(copy, diskMiB);
            System.out.println();
            System.out.printf(Locale.ROOT, "cores: %d, kvm: %s, guest: 256 MiB, rounds: %d%n", Runtime.getRuntime().availableProcessors(),
                Files.isWritable(Path.of("/dev/kvm")) ? "yes" : "no (TCG)", rounds);
            System.out.printf(Locale.ROOT, "downtime (QEMU, median): haven %d ms, by hand %d ms, ratio %.2f (goal <= 1.1)%n",
                median(haven, Run::downtimeMs), median(bare, Run::downtimeMs),
                (double) median(haven, Run::downtimeMs) / Math.max(1, median(bare, Run::downtimeMs)));
            double ht = medianSeconds(haven), bt = medianSeconds(bare);
            System.out.printf(Locale.ROOT, "total time (median): haven %.2f s, by hand %.2f s, ratio %.2f%n", ht, bt, ht / bt);
            double mr = diskMiB / mirrorSecs, cr = diskMiB / convertSecs;
            System.out.printf(Locale.ROOT, "local disk %d MiB: mirror %.2f s (%.0f MiB/s), qemu-img convert over NBD %.2f s (%.0f MiB/s), ratio %.2f (goal >= 0.8)%n",
                diskMiB, mirrorSecs, mr, convertSecs, cr, mr / cr);
            System.out.printf(Locale.ROOT, "migration with the local disk: downtime %d ms, total %.2f s%n", mirror.downtimeMs(), mirror.seconds());
        } finally {
            HavenCluster.killProcessesUsing(dir);
            try (var w = Files.walk(dir)) {
                w.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            }
        }
    }

    /**
     * A live migration through the API; its task status and log polled every {@code pollMs} (requests cost the
     * daemon CPU time: only the mirror's timing needs a short period).
     */
    static Run migrate(HavenNode from, HavenNode to, int vmid, Map<String, String> extra, long pollMs) throws Exception {
        Map<String, String> form = new LinkedHashMap<>(Map.of("target", to.node(), "online", "1"));
        form.putAll(extra);
        long t0 = System.nanoTime();
        HavenNode.Resp r = from.post("/nodes/" + from.node() + "/qemu/" + vmid + "/migrate", form, auth);
        if (r.status() != 200) throw new IllegalStateException("migrate: " + r.body());
        String upid = URLEncoder.encode(r.data().asString(), StandardCharsets.UTF_8);
        String base = "/nodes/" + from.node() + "/tasks/" + upid;
        List<Timed> log = new ArrayList<>();
        while (true) {
            JsonNode st = from.get(base + "/status", auth).data();
            boolean done = st != null && st.path("status").asString().equals("stopped");
            double at = (System.nanoTime() - t0) / 1e9;
            JsonNode lines = from.get(base + "/log?start=" + log.size() + "&limit=0", auth).data();
            if (lines != null) for (JsonNode l : lines) log.add(new Timed(at, l.path("t").asString()));
            if (done) {
                if (!"OK".equals(st.path("exitstatus").asString())) {
                    throw new IllegalStateException("migration failed: " + st.path("exitstatus").asString() + "\n"
                        + String.join("\n", log.stream().map(Timed::line).toList()));
                }
                long downtime = -1;
                for (Timed l : log) {
                    Matcher m = DOWNTIME.matcher(l.line());
                    if (m.find()) downtime = Long.parseLong(m.group(1));
                }
                return new Run(at, downtime, log);
            }
            Thread.sleep(pollMs);
        }
    }

    static double at(Run r, String text) {
        return r.log().stream().filter(l -> l.line().contains(text)).findFirst()
            .orElseThrow(() -> new IllegalStateException("no '" + text + "' in the log")).at();
    }

    /**
     * The VM's command line by hand, twice: the source (given 5 s to boot), then the target with {@code -S -incoming};
     * Haven's capabilities and parameters on the source, {@code migrate}, {@code query-migrate} every 100 ms until
     * completed, {@code cont} on the target.
     */
    static Run bareMigration(String showcmd, Path nodeRun, Map<String, String> conf) throws Exception {
        Path src = Files.createDirectories(dir.resolve("bare/src")), dst = Files.createDirectories(dir.resolve("bare/dst"));
        int port = HavenNode.freePort();
        Process s = start(showcmd, nodeRun, src, List.of());
        try (QmpClient qs = qmp(src)) {
            awaitBoot(src);
            long t0 = System.nanoTime();
            Process d = start(showcmd, nodeRun, dst, List.of("-S", "-incoming", "tcp:127.0.0.1:" + port));
            try (QmpClient qd = qmp(dst)) {
                Duration t = Duration.ofSeconds(10);
                List<Map<String, Object>> caps = new ArrayList<>();
                List<String> supported = new ArrayList<>();
                for (JsonNode c : qs.execute("query-migrate-capabilities", null, t)) supported.add(c.path("capability").asString());
                for (String c : MigrationParams.CAPABILITIES) if (supported.contains(c)) caps.add(Map.of("capability", c, "state", true));
                qs.execute("migrate-set-capabilities", Map.of("capabilities", caps), t);
                qs.execute("migrate-set-parameters", MigrationParams.of(conf, null).qmpArguments(), t);
                qs.execute("migrate", Map.of("uri", "tcp:127.0.0.1:" + port), t);
                while (true) {
                    JsonNode m = qs.execute("query-migrate", null, t);
                    String st = m.path("status").asString("");
                    if (st.equals("completed")) {
                        long downtime = m.path("downtime").asLong();
                        qd.execute("cont", null, t);
                        return new Run((System.nanoTime() - t0) / 1e9, downtime, List.of());
                    }
                    if (st.equals("failed") || st.equals("cancelled")) throw new IllegalStateException("bare migration " + st + ": " + m);
                    Thread.sleep(100);
                }
            } finally {
                stop(d, dst);
            }
        } finally {
            stop(s, src);
        }
    }

    /** The command line of {@code qm showcmd} with its run directory {@code nodeRun}/qemu-server moved to {@code run}. */
    static Process start(String showcmd, Path nodeRun, Path run, List<String> extra) throws Exception {
        String cmd = showcmd.replace(nodeRun.resolve("qemu-server").toString(), run.toString());
        List<String> argv = new ArrayList<>(List.of("sh", "-c", cmd + " " + String.join(" ", extra)));
        Process p = new ProcessBuilder(argv).redirectErrorStream(true).redirectOutput(run.resolve("qemu.out").toFile()).start();
        if (p.waitFor() != 0) throw new IllegalStateException("QEMU did not start: " + Files.readString(run.resolve("qemu.out")));
        return p;
    }

    /** Waits until the guest whose serial socket is in {@code run} counts on its console (booted, idle). */
    static void awaitBoot(Path run) throws Exception { awaitBoot(run, VMID); }

    static void awaitBoot(Path run, int vmid) throws Exception {
        Path sock = run.resolve(vmid + ".serial0");
        for (int i = 0; i < 500 && !Files.exists(sock); i++) Thread.sleep(10);
        try (var ch = java.nio.channels.SocketChannel.open(java.net.UnixDomainSocketAddress.of(sock))) {
            StringBuilder text = new StringBuilder();
            java.nio.ByteBuffer buf = java.nio.ByteBuffer.allocate(4096);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (TestGuest.counters(text.toString()).size() < 2) {
                if (System.nanoTime() > deadline || ch.read(buf) < 0) throw new IllegalStateException("the guest did not boot: " + text);
                text.append(new String(buf.array(), 0, buf.position(), StandardCharsets.ISO_8859_1));
                buf.clear();
            }
        }
    }

    static QmpClient qmp(Path run) throws Exception {
        Path sock = run.resolve(VMID + ".qmp");
        for (int i = 0; i < 500 && !Files.exists(sock); i++) Thread.sleep(10);
        return QmpClient.connect(sock, Duration.ofSeconds(10));
    }

    static void stop(Process launcher, Path run) throws Exception {
        Path pidfile = run.resolve(VMID + ".pid");
        if (Files.exists(pidfile)) {
            long pid = Long.parseLong(Files.readString(pidfile).strip());
            ProcessHandle.of(pid).ifPresent(h -> {
                h.destroyForcibly();
                h.onExit().join();
            });
        }
        launcher.destroyForcibly();
        try (var l = Files.list(run)) {
            for (Path f : l.toList()) Files.deleteIfExists(f);
        }
    }

    /** {@code qemu-img convert -n} of {@code image} into a {@code qemu-nbd} export of a new qcow2 image of the same size. */
    static double convertOverNbd(Path image, int diskMiB) throws Exception {
        Path target = dir.resolve("nbd-target.qcow2");
        run("qemu-img", "create", "-q", "-f", "qcow2", target.toString(), diskMiB + "M");
        int port = HavenNode.freePort();
        Path pid = dir.resolve("qemu-nbd.pid");
        run("qemu-nbd", "--fork", "--pid-file", pid.toString(), "-f", "qcow2", "--cache=none", "-b", "127.0.0.1", "-p", Integer.toString(port),
            "-x", "drive-scsi0", target.toString());
        try {
            long t0 = System.nanoTime();
            run("qemu-img", "convert", "-n", "-f", "qcow2", "-O", "raw", image.toString(), "nbd://127.0.0.1:" + port + "/drive-scsi0");
            return (System.nanoTime() - t0) / 1e9;
        } finally {
            ProcessHandle.of(Long.parseLong(Files.readString(pid).strip())).ifPresent(ProcessHandle::destroy);
        }
    }

    static String cli(HavenNode n, String tool, String... args) throws Exception {
        HavenNode.CliResult r = n.cli(tool, args);
        if (r.exit() != 0) throw new IllegalStateException(tool + " " + String.join(" ", args) + ": " + r.out() + r.err());
        return r.out();
    }

    static Map<String, String> config(HavenNode n, int vmid) throws Exception {
        Map<String, String> conf = new LinkedHashMap<>();
        JsonNode c = HavenNode.JSON.readTree(cli(n, "pvesh", "get", "/nodes/" + n.node() + "/qemu/" + vmid + "/config", "--output-format", "json"));
        c.properties().forEach(e -> conf.put(e.getKey(), e.getValue().asString()));
        return conf;
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
    }

    static long median(List<Run> runs, java.util.function.ToLongFunction<Run> f) {
        long[] v = runs.stream().mapToLong(f).sorted().toArray();
        return v[v.length / 2];
    }

    static double medianSeconds(List<Run> runs) {
        double[] v = runs.stream().mapToDouble(Run::seconds).sorted().toArray();
        return v[v.length / 2];
    }
}
