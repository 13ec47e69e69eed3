package org.haven.it.firewall;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.firewall.apply.FirewallService;
import org.haven.qemu.testing.TestGuest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real VM behind the firewall: QEMU (TCG) with the project's busybox test guest on a real tap {@code tap9301i0}
 * of the bridge {@code vmbr0} in a network namespace that stands for the node's machine. An init of its own
 * (appended to the test guest's initramfs) gives the guest its address, listeners on TCP 22 and 80 and a shell on
 * the serial console, through which the test sends traffic from inside the VM. The VM's {@code 9301.fw} lets only
 * TCP 22 and ICMP in and, with {@code policy_out: DROP}, TCP 80 and ICMP out; {@code ipfilter-net0} holds its address
 * ({@link GuestChecks}).
 */
@RealTest
class VmFirewallTest {
    static final String MAC = "02:00:00:00:93:01";
    static final String VM_IP = "10.215.0.2";
    static final String HOST_IP = "10.215.0.1";
    static final String TAP = "tap9301i0";
    static final String FW = GuestChecks.fw("[IPSET ipfilter-net0]\n" + VM_IP + "\n\n");    static final String INIT = """
            #!/bin/busybox sh
            /bin/busybox --install -s /bin
            mount -t proc proc /proc
            mount -t sysfs sys /sys
            mount -t devtmpfs dev /dev
            for m in virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover net_failover virtio_net; do
                [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
            done
            while [ ! -e /sys/class/net/eth0 ]; do sleep 0.2; done
            ip link set lo up
            ip link set eth0 up
            ip addr add 10.215.0.2/24 dev eth0
            mkdir -p /www
            httpd -p 22 -h /www
            httpd -p 80 -h /www
            echo HAVEN-FW-READY
            exec sh </dev/ttyS0 >/dev/ttyS0 2>&1
            """;

    @TempDir Path dir;

    @Test
    void theVmsRulesDecideWhatReachesItAndWhatLeavesIt() throws Exception {
        Tools.requireRoot("a tap, network namespaces and nftables");
        Tools.require("nftables", "nft");
        Tools.require("cpio", "cpio");
        TestGuest.require();
        try (NetLab lab = new NetLab()) {
            String machine = lab.machine("hfwv-m", HOST_IP);
            MemoryClusterFs cfs = new MemoryClusterFs("n1");
            cfs.mkdirs("firewall");
            cfs.mkdirs("nodes/n1/qemu-server");
            cfs.writeString("nodes/n1/qemu-server/9301.conf", "memory: 256\nnet0: virtio=" + MAC + ",bridge=vmbr0,firewall=1\n");
            cfs.writeString("firewall/cluster.fw", "[OPTIONS]\nenable: 1\n");
            cfs.writeString("firewall/9301.fw", FW);
            FirewallService fw = GuestChecks.firewall(cfs, machine);
            try (Vm vm = new Vm(machine, initrd())) {
                vm.await("HAVEN-FW-READY", 180);
                lab.in(machine, "ip", "link", "set", TAP, "master", "vmbr0", "up");
                assertThat(NetLab.await(30, "ACCEPT", () -> lab.tcp(machine, VM_IP, 80))).as("no firewall yet").isEqualTo("ACCEPT");
                fw.start();

                GuestChecks.run(lab, machine, HOST_IP, VM_IP, MAC, vm::sh, text -> cfs.writeString("firewall/9301.fw", text));
            } finally {
                fw.close();
            }
        }
    }

    /** The test guest's initramfs with this test's {@code /init} appended (a later cpio entry replaces an earlier one). */
    private Path initrd() throws Exception {
        Path base = TestGuest.buildInitramfs(dir.resolve("base.cpio"));
        Path overlay = dir.resolve("overlay");
        Files.createDirectories(overlay);
        Path init = overlay.resolve("init");
        Files.writeString(init, INIT);
        init.toFile().setExecutable(true);
        Process p = new ProcessBuilder("cpio", "-o", "-H", "newc", "--quiet").directory(overlay.toFile())
                .redirectOutput(dir.resolve("overlay.cpio").toFile()).redirectErrorStream(false).start();
        try (OutputStream in = p.getOutputStream()) { in.write("init\n".getBytes(StandardCharsets.UTF_8)); }
        assertThat(p.waitFor()).isZero();
        Path out = dir.resolve("initrd");
        Files.write(out, Files.readAllBytes(base));
        Files.write(out, Files.readAllBytes(dir.resolve("overlay.cpio")), java.nio.file.StandardOpenOption.APPEND);
        return out;
    }

    /** QEMU in the machine's namespace with the guest's serial console on its standard input and output. */
    static final class Vm implements AutoCloseable {
        private final Process qemu;
        private final StringBuffer console = new StringBuffer();
        private final OutputStream stdin;
        private int commands;

        Vm(String netns, Path initrd) throws IOException {
            qemu = new ProcessBuilder("ip", "netns", "exec", netns, "qemu-system-x86_64", "-accel", "tcg", "-m", "256", "-smp", "1",
                    "-nographic", "-no-reboot", "-serial", "stdio", "-monitor", "none",
                    "-kernel", TestGuest.kernel().orElseThrow().toString(), "-initrd", initrd.toString(),
                    "-append", "console=ttyS0 quiet panic=-1",
                    "-netdev", "tap,id=n0,ifname=" + TAP + ",script=no,downscript=no",
                    "-device", "virtio-net-pci,netdev=n0,mac=" + MAC).redirectErrorStream(true).start();
            stdin = qemu.getOutputStream();
            Thread t = new Thread(() -> {
                try (InputStream in = qemu.getInputStream()) {
                    byte[] b = new byte[4096];
                    for (int n; (n = in.read(b)) > 0; ) console.append(new String(b, 0, n, StandardCharsets.UTF_8));
                } catch (IOException ignored) {
                    // QEMU ended
                }
            }, "vm-console");
            t.setDaemon(true);
            t.start();
        }

        /** Wait until the console shows {@code text} after position {@code from}; the position after it. */
        int await(String text, int from, int seconds) throws InterruptedException {
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            int at;
            while ((at = console.indexOf(text, from)) < 0) {
                if (System.nanoTime() > end || !qemu.isAlive())
                    throw new AssertionError("no '" + text + "' on the console within " + seconds + " s:\n" + console);
                Thread.sleep(100);
            }
            return at + text.length();
        }

        void await(String text, int seconds) throws InterruptedException { await(text, 0, seconds); }

        /** Run a shell command in the guest; its exit code. */
        int sh(String cmd) throws Exception {
            String tag = "RC" + (++commands) + "=";
            int from = console.length();
            stdin.write((cmd + "; echo " + tag.substring(0, tag.length() - 1) + "=$?\n").getBytes(StandardCharsets.UTF_8));
            stdin.flush();
            // the echoed command line holds "RCn=$?", the answer "RCn=<digits>"
            java.util.regex.Matcher m;
            long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!(m = java.util.regex.Pattern.compile(tag + "(\\d+)").matcher(console.substring(from))).find()) {
                if (System.nanoTime() > end || !qemu.isAlive()) throw new AssertionError("no answer to '" + cmd + "':\n" + console.substring(from));
                Thread.sleep(100);
            }
            return Integer.parseInt(m.group(1));
        }

        @Override
        public void close() throws InterruptedException {
            qemu.destroyForcibly();
            qemu.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
