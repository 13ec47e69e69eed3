package org.haven.it.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.core.time.Clock;
import org.haven.firewall.apply.FirewallService;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.VmidRegistry;
import org.haven.lxc.LxcService;
import org.haven.lxc.template.BusyboxTemplate;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real busybox container behind the firewall: its node's "machine" is a network namespace the test creates with
 * the bridge {@code vmbr0} (the lxc tools run there, so the container's veth lands on that bridge), and the container's
 * {@code 9201.fw} lets only TCP 22 and ICMP in and, with {@code policy_out: DROP}, only TCP 80 and ICMP out
 * ({@link GuestChecks}).
 * The {@link FirewallService} follows the cluster file system and loads the rules into that namespace; changes of
 * {@code 9201.fw} take effect while the container runs.
 */
@RealTest
class ContainerFirewallTest {
    static final int VMID = 9201;
    static final String MAC = "02:00:00:00:92:01";
    static final String CT_IP = "10.214.0.2";
    static final String HOST_IP = "10.214.0.1";

    @TempDir Path dir;

    @Test
    void theContainersRulesDecideWhatReachesItAndWhatLeavesIt() throws Exception {
        Tools.requireRoot("containers, network namespaces and nftables");
        Tools.require("lxc", "lxc-start");
        Tools.require("nftables", "nft");
        Tools.requireFile(BusyboxTemplate.BUSYBOX, "busybox-static");
        try (NetLab lab = new NetLab()) {
            String machine = lab.machine("hfwc-m", HOST_IP);

            // the container service, with the lxc tools run in the machine's network namespace (and its /sys, where
            // lxc-start looks for the bridge; their command sockets are abstract, so per network namespace too); the
            // /sys of "ip netns exec" lacks the cgroup file systems, which are mounted there again as this machine has them
            String cgroups = cgroupMounts();
            CommandRunner base = new ProcessCommandRunner();
            CommandRunner run = new CommandRunner() {
                @Override public Result run(List<String> cmd, Map<String, String> env, byte[] stdin) { return base.run(inMachine(cmd), env, stdin); }
                @Override public Result stream(List<String> cmd, Map<String, String> env, InputStream in, OutputStream out) { return base.stream(inMachine(cmd), env, in, out); }
                private List<String> inMachine(List<String> cmd) {
                    if (!cmd.get(0).startsWith("lxc-")) return cmd;
                    List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", machine, "sh", "-c", cgroups + "exec \"$@\"", "sh"));
                    c.addAll(cmd);
                    return c;
                }
            };
            MemoryClusterFs cfs = new MemoryClusterFs("n1");
            Path local = dir.resolve("local");
            Files.createDirectories(local.resolve("template/cache"));
            cfs.writeString("storage.cfg", "dir: local\n\tpath " + local + "\n\tcontent rootdir,vztmpl,images\n");
            StorageManager sm = new StorageManager(cfs, "n1", local, run);
            LxcService cts = LxcService.create(new GuestConfigStore(cfs, "lxc", "CT", new VmidRegistry(cfs)), sm, dir.resolve("lxc"), Clock.SYSTEM, List.of());
            Path template = BusyboxTemplate.build(run, local.resolve("template/cache"));
            List<String> log = new ArrayList<>();
            cfs.mkdirs("firewall");
            cfs.writeString("firewall/cluster.fw", "[OPTIONS]\nenable: 1\n");
            cfs.writeString("firewall/" + VMID + ".fw", GuestChecks.fw(""));
            FirewallService fw = GuestChecks.firewall(cfs, machine);
            try {
                cts.create(VMID, Map.of("hostname", "fw1", "memory", "64", "swap", "0", "rootfs", "local:0.1",
                        "net0", "name=eth0,bridge=vmbr0,hwaddr=" + MAC + ",ip=" + CT_IP + "/24,gw=" + HOST_IP + ",firewall=1"),
                        new LxcService.CreateOptions(template, "local", null, null), log::add);
                cts.start(VMID, log::add);
                assertThat(lab.in(machine, "ip", "-br", "link", "show", "master", "vmbr0")).contains("veth" + VMID + "i0");
                ct(cts, "sh", "-c", "httpd -p 22 -h /tmp && httpd -p 80 -h /tmp");
                assertThat(NetLab.await(10, "ACCEPT", () -> lab.tcp(machine, CT_IP, 80))).as("no firewall yet").isEqualTo("ACCEPT");
                fw.start();

                GuestChecks.run(lab, machine, HOST_IP, CT_IP, MAC, cmd -> cts.runtime().exec(VMID, List.of("sh", "-c", cmd), null).exitCode(),
                        text -> cfs.writeString("firewall/" + VMID + ".fw", text));
                assertThat(cts.runtime().status(VMID)).containsEntry("status", "running");
            } finally {
                fw.close();
                try {
                    cts.type().stop(VMID, Duration.ZERO, null);
                } catch (RuntimeException ignored) {
                    // not running
                }
                cts.runtime().cleanup(VMID);
            }
        }
    }

    /** Shell commands that mount the cgroup file systems below {@code /sys/fs/cgroup} as this process sees them. */
    private static String cgroupMounts() throws java.io.IOException {
        StringBuilder sh = new StringBuilder("mount -t tmpfs -o mode=755 tmpfs /sys/fs/cgroup && ");
        for (String line : Files.readAllLines(Path.of("/proc/self/mounts"))) {
            String[] f = line.split(" ");
            if (f.length < 4 || !f[1].startsWith("/sys/fs/cgroup") || !f[2].startsWith("cgroup")) continue;
            String opts = String.join(",", java.util.Arrays.stream(f[3].split(",")).filter(o -> !o.equals("rw") && !o.equals("relatime")).toList());
            sh.append("mkdir -p ").append(f[1]).append(" && mount -t ").append(f[2]).append(opts.isEmpty() ? "" : " -o " + opts)
                    .append(' ').append(f[0]).append(' ').append(f[1]).append(" && ");
        }
        return sh.toString();
    }

    private static void ct(LxcService cts, String... cmd) {
        CommandRunner.Result r = cts.runtime().exec(VMID, List.of(cmd), null);
        assertThat(r.exitCode()).as(String.join(" ", cmd) + ": " + r.stderr()).isZero();
    }
}
