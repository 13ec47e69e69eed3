package org.haven.lxc.setup;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * PVE's container setup ({@code PVE::LXC::Setup}): writes hostname, hosts, the network configuration in the
 * distribution's own format, resolv.conf, the root password and SSH keys, console getty setup and timezone into a
 * container's root file system, never following a symlink out of it.
 */
public final class ContainerSetup {
    private ContainerSetup() {}

    /**
     * Options of one run: {@code rootPassword} is plain or already encrypted ({@code $1$}, {@code $5$}, {@code $6$});
     * {@code sshKeys} are authorized_keys lines; {@code testMode} makes the run host-independent (nameserver
     * {@code 8.8.8.8 8.8.8.9}, searchdomain {@code proxmox.com} when the config has none, zero UUIDs).
     * Null means "leave as it is".
     */
    public record Options(String rootPassword, String sshKeys, boolean testMode) {
        public static final Options DEFAULT = new Options(null, null, false);
    }

    /**
     * Runs the post-create setup on {@code rootfs} for a container whose config (its current section, key → value
     * as in {@code lxc/<vmid>.conf}) is {@code config}. Idempotent.
     */
    public static void apply(Path rootfs, Map<String, String> config, Options options) throws IOException {
        throw new UnsupportedOperationException("container setup is not implemented yet");
    }
}
