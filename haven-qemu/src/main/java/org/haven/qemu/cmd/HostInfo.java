package org.haven.qemu.cmd;

import java.nio.file.Files;
import java.nio.file.Path;
import org.haven.core.net.GuestPorts;

/**
 * What the command-line builder needs to know about the host. Probed once by {@link #probe()}; tests build
 * it directly.
 *
 * @param qemuBinary     the emulator ({@code /usr/bin/qemu-system-x86_64})
 * @param machineVersion QEMU's newest machine version ({@code 7.2} for Debian 12), used to pin
 *                       {@code pc}/{@code q35} to {@code pc-i440fx-7.2}/{@code pc-q35-7.2}
 * @param kvm            /dev/kvm is usable; otherwise guests run under TCG
 * @param vhostNet       /dev/vhost-net exists
 * @param ovmfDir        directory with Debian's OVMF images ({@code /usr/share/OVMF})
 * @param bridgeScript   the script QEMU runs to plug a tap into its bridge
 * @param cpuEnforce     add {@code enforce} to CPU models (PVE does; some nested hosts' KVM lacks features
 *                       of even {@code kvm64}, and then QEMU refuses to start with it)
 * @param tapNode        null on a node of its own host (PVE's tap names); the node's name where several nodes
 *                       share one host (embedded mode), which makes the tap names per node ({@link #tap})
 */
public record HostInfo(String qemuBinary, String machineVersion, boolean kvm, boolean vhostNet, String ovmfDir,
                       String bridgeScript, boolean cpuEnforce, String tapNode) {

    public HostInfo(String qemuBinary, String machineVersion, boolean kvm, boolean vhostNet, String ovmfDir,
                    String bridgeScript, boolean cpuEnforce) {
        this(qemuBinary, machineVersion, kvm, vhostNet, ovmfDir, bridgeScript, cpuEnforce, null);
    }

    public static final String QEMU = "/usr/bin/qemu-system-x86_64";

    /** The host as it is (file checks only). */
    public static HostInfo probe(Path bridgeScript) {
        boolean kvm = Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm")) && hardwareKvm();
        boolean vhost = Files.exists(Path.of("/dev/vhost-net"));
        return new HostInfo(QEMU, "7.2", kvm, vhost, "/usr/share/OVMF", bridgeScript.toString(), kvm && enforceWorks());
    }

    /**
     * KVM with hardware virtualization (kvm_intel/kvm_amd). Hosts that only offer a paravirtual KVM such as
     * kvm_pvm run nothing but PVM-enabled guest kernels; ordinary guests use TCG there.
     */
    static boolean hardwareKvm() {
        if (Files.exists(Path.of("/sys/module/kvm_intel")) || Files.exists(Path.of("/sys/module/kvm_amd"))) return true;
        return !Files.exists(Path.of("/sys/module/kvm_pvm"));
    }

    private static volatile Boolean enforce;

    /** Whether KVM accepts {@code -cpu kvm64,enforce} here (tried once per process). */
    static boolean enforceWorks() {
        Boolean e = enforce;
        if (e != null) return e;
        try {
            java.nio.file.Path pid = Files.createTempFile("haven-cpu-probe", ".pid");
            Files.delete(pid);
            Process p = new ProcessBuilder(QEMU, "-nodefaults", "-display", "none", "-machine", "pc,accel=kvm", "-m", "16", "-S",
                    "-cpu", "kvm64,enforce", "-daemonize", "-pidfile", pid.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            boolean ok = p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS) && p.exitValue() == 0;
            if (Files.exists(pid)) {
                long qpid = Long.parseLong(Files.readString(pid).trim());
                ProcessHandle.of(qpid).ifPresent(ProcessHandle::destroyForcibly);
                Files.deleteIfExists(pid);
            }
            enforce = ok;
        } catch (Exception ex) {
            enforce = false;
        }
        return enforce;
    }

    public HostInfo withKvm(boolean k) { return new HostInfo(qemuBinary, machineVersion, k, vhostNet, ovmfDir, bridgeScript, cpuEnforce, tapNode); }

    /** This host with tap names per node {@code node} (null: PVE's names). */
    public HostInfo withTapNode(String node) { return new HostInfo(qemuBinary, machineVersion, kvm, vhostNet, ovmfDir, bridgeScript, cpuEnforce, node); }

    /** The tap device of NIC {@code net<index>} of VM {@code vmid} on this host ({@link #tapName}). */
    public String tap(int vmid, int index) { return tapName(vmid, index, tapNode); }

    /** The tap of NIC {@code net<index>} of VM {@code vmid} with {@code node} in its name ({@link GuestPorts#tap}). */
    public static String tapName(int vmid, int index, String node) { return GuestPorts.tap(vmid, index, node); }

    public String ovmfCode(boolean fourMeg) { return ovmfDir + (fourMeg ? "/OVMF_CODE_4M.fd" : "/OVMF_CODE.fd"); }

    public String ovmfVars(boolean fourMeg) { return ovmfDir + (fourMeg ? "/OVMF_VARS_4M.fd" : "/OVMF_VARS.fd"); }
}
