package org.haven.qemu.cmd;

import java.nio.file.Files;
import java.nio.file.Path;

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
 */
public record HostInfo(String qemuBinary, String machineVersion, boolean kvm, boolean vhostNet, String ovmfDir,
                       String bridgeScript) {

    public static final String QEMU = "/usr/bin/qemu-system-x86_64";

    /** The host as it is (file checks only). */
    public static HostInfo probe(Path bridgeScript) {
        boolean kvm = Files.isReadable(Path.of("/dev/kvm")) && Files.isWritable(Path.of("/dev/kvm"));
        boolean vhost = Files.exists(Path.of("/dev/vhost-net"));
        return new HostInfo(QEMU, "7.2", kvm, vhost, "/usr/share/OVMF", bridgeScript.toString());
    }

    public HostInfo withKvm(boolean k) { return new HostInfo(qemuBinary, machineVersion, k, vhostNet, ovmfDir, bridgeScript); }

    public String ovmfCode(boolean fourMeg) { return ovmfDir + (fourMeg ? "/OVMF_CODE_4M.fd" : "/OVMF_CODE.fd"); }

    public String ovmfVars(boolean fourMeg) { return ovmfDir + (fourMeg ? "/OVMF_VARS_4M.fd" : "/OVMF_VARS.fd"); }
}
