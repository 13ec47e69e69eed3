package org.haven.it.ha;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import org.haven.it.HavenNode;

/**
 * A simulated BMC for one node: Debian's {@code ipmi_sim} (OpenIPMI) on a loopback UDP port, with IPMI 2.0 (lanplus)
 * user {@code admin}. Its chassis power is a script ({@code chassis_control}): powering off kills the node as a cut
 * power would, the daemon (frozen first, its children such as the watchdog supervisor killed before it) and every
 * guest whose pid file is in the node's run directory; powering on only records the state (the test starts the
 * daemon again). {@code fence_ipmilan} reaches it with {@link #fenceDevice()}.
 */
public final class Bmc implements AutoCloseable {
    static final String USER = "admin", PASSWORD = "fence-me";

    private final String node;
    private final Path dir;
    private final int port;
    private final Process sim;

    private Bmc(String node, Path dir, int port, Process sim) {
        this.node = node;
        this.dir = dir;
        this.port = port;
        this.sim = sim;
    }

    /** The tools a BMC test needs: {@code ipmi_sim} and {@code fence_ipmilan}. */
    public static void require() {
        for (String tool : List.of("/usr/bin/ipmi_sim", "/usr/sbin/fence_ipmilan", "/usr/bin/ipmitool")) {
            if (!Files.isExecutable(Path.of(tool))) throw new IllegalStateException(tool + " is missing (Debian: openipmi, fence-agents, ipmitool)");
        }
    }

    /** Starts the BMC of {@code node} (powered on) in {@code dir}; its power-off kills what runs from {@code nodeDataDir}. */
    public static Bmc start(Path dir, String node, Path nodeDataDir) throws Exception {
        Files.createDirectories(dir.resolve("state"));
        int port = HavenNode.freePort();
        Path chassis = dir.resolve("chassis");
        Files.writeString(chassis, """
            #!/bin/sh
            # ipmi_sim chassis control: chassis get power | chassis set power 0|1
            dir=%s
            run=%s
            echo "$(date '+%%F %%T.%%N') $*" >> "$dir/chassis.log"
            op=$1; shift
            case "$op" in
              get) for p; do [ "$p" = power ] && echo "power:$(cat "$dir/power")"; done ;;
              set) while [ $# -ge 2 ]; do
                     if [ "$1" = power ] && [ "$2" = 0 ]; then
                       d=$(cat "$dir/daemon.pid" 2>/dev/null)
                       if [ -n "$d" ]; then kill -STOP "$d"; pkill -KILL -P "$d"; kill -KILL "$d"; fi
                       for f in "$run"/qemu-server/*.pid; do
                         [ -f "$f" ] || continue
                         p=$(cat "$f"); kill -KILL "$p"
                         for i in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
                       done
                       echo 0 > "$dir/power"
                     elif [ "$1" = power ]; then
                       echo "$2" > "$dir/power"
                     fi
                     shift 2
                   done ;;
            esac
            exit 0
            """.formatted(dir.toAbsolutePath(), nodeDataDir.toAbsolutePath().resolve("run")));
        chassis.toFile().setExecutable(true);
        Files.writeString(dir.resolve("power"), "1\n");
        Files.writeString(dir.resolve("lan.conf"), """
            name "%s"
            set_working_mc 0x20
              startlan 1
                addr 127.0.0.1 %d
                priv_limit admin
                allowed_auths_callback none md2 md5 straight
                allowed_auths_user none md2 md5 straight
                allowed_auths_operator none md2 md5 straight
                allowed_auths_admin none md2 md5 straight
                guid a123456789abcdefa123456789abcdef
              endlan
              chassis_control "%s"
              user 2 true "%s" "%s" admin 10 md5 md2 straight
            """.formatted(node, port, chassis.toAbsolutePath(), USER, PASSWORD));
        Files.writeString(dir.resolve("bmc.emu"), """
            mc_setbmc 0x20
            mc_add 0x20 0 no-device-sdrs 0x23 9 8 0x9f 0x1291 0xf02 persist_sdr
            sel_enable 0x20 1000 0x0a
            mc_enable 0x20
            """);
        Process p = new ProcessBuilder("/usr/bin/ipmi_sim", "-c", dir.resolve("lan.conf").toString(), "-f",
            dir.resolve("bmc.emu").toString(), "-s", dir.resolve("state").toString(), "-n")
            .redirectErrorStream(true).redirectOutput(dir.resolve("ipmi_sim.log").toFile()).start();
        return new Bmc(node, dir, port, p);
    }

    /** The daemon its power-off kills. */
    public void powers(HavenNode daemon) throws IOException {
        Files.writeString(dir.resolve("daemon.pid"), daemon.process().pid() + "\n");
    }

    /** The {@code ha/fence.cfg} lines of this BMC: one device and its connection to the node. */
    public String fenceDevice() {
        String dev = "bmc-" + node;
        return "device " + dev + " fence_ipmilan ip=127.0.0.1 ipport=" + port + " username=" + USER + " password=" + PASSWORD
            + " lanplus cipher=3\nconnect " + dev + " node=" + node + "\n";
    }

    public boolean poweredOff() throws IOException { return Files.readString(dir.resolve("power")).strip().equals("0"); }

    /** The chassis commands the BMC got, one line each with its time. */
    public String chassisLog() throws IOException {
        Path log = dir.resolve("chassis.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    @Override public void close() throws InterruptedException {
        sim.destroy();
        if (!sim.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) sim.destroyForcibly().waitFor();
    }
}
