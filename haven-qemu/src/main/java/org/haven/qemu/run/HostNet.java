package org.haven.qemu.run;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

import org.haven.qemu.cmd.QemuCommand;

/** Linux bridges and the script QEMU runs to plug a tap into its bridge. */
public final class HostNet {
    private HostNet() {}

    /**
     * The bridge script: QEMU calls it with the tap name; it reads {@code <tap>.net} (written before start)
     * for the bridge, VLAN tag and MTU, as PVE's {@code pve-bridge} reads the VM config.
     */
    public static final String BRIDGE_SCRIPT = """
            #!/bin/sh
            # Plugs a VM tap into its bridge; called by QEMU with the tap name.
            set -e
            PATH=/usr/sbin:/usr/bin:/sbin:/bin
            tap="$1"
            . "$(dirname "$0")/$tap.net"
            if [ -n "$MTU" ]; then ip link set dev "$tap" mtu "$MTU"; fi
            if [ -n "$TAG" ] && [ "$(cat /sys/class/net/$BRIDGE/bridge/vlan_filtering 2>/dev/null)" = 1 ]; then
                ip link set dev "$tap" master "$BRIDGE"
                bridge vlan del dev "$tap" vid 1 2>/dev/null || true
                bridge vlan add dev "$tap" vid "$TAG" pvid untagged
            elif [ -n "$TAG" ]; then
                # a bridge without VLAN awareness: the tap goes to <bridge>v<tag>, which gets <port>.<tag> of the
                # bridge's physical port (as PVE does)
                vbr="${BRIDGE}v${TAG}"
                if [ ! -d "/sys/class/net/$vbr" ]; then
                    ip link add name "$vbr" type bridge 2>/dev/null || true
                    ip link set dev "$vbr" up
                fi
                for p in /sys/class/net/$BRIDGE/brif/*; do
                    port="${p##*/}"
                    case "$port" in tap*|veth*|fwpr*|fwln*|'*') continue ;; esac
                    if [ ! -d "/sys/class/net/$port.$TAG" ]; then
                        ip link add link "$port" name "$port.$TAG" type vlan id "$TAG" 2>/dev/null || true
                        ip link set dev "$port.$TAG" master "$vbr" up 2>/dev/null || true
                    fi
                done
                ip link set dev "$tap" master "$vbr"
            else
                ip link set dev "$tap" master "$BRIDGE"
            fi
            ip link set dev "$tap" up
            """;

    public static void installBridgeScript(Path script) {
        try {
            Files.createDirectories(script.getParent());
            if (Files.exists(script) && Files.readString(script).equals(BRIDGE_SCRIPT)) return;
            Path tmp = script.resolveSibling(script.getFileName() + ".tmp");
            Files.writeString(tmp, BRIDGE_SCRIPT);
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
            Files.move(tmp, script, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static void writeTapConf(Path file, QemuCommand.Tap tap) {
        StringBuilder sb = new StringBuilder();
        sb.append("BRIDGE='").append(tap.bridge()).append("'\n");
        sb.append("TAG='").append(tap.tag() == null ? "" : tap.tag()).append("'\n");
        sb.append("MTU='").append(tap.mtu() == null ? "" : tap.mtu()).append("'\n");
        try {
            Files.writeString(file, sb.toString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static boolean isBridge(String name) { return Files.isDirectory(Path.of("/sys/class/net", name, "bridge")); }

    public static boolean linkExists(String name) { return Files.exists(Path.of("/sys/class/net", name)); }

    /** Create an isolated bridge (no ports, no address) and bring it up. */
    public static void createBridge(String name) {
        Proc.Result r = Proc.run("ip", "link", "add", "name", name, "type", "bridge");
        if (!r.ok() && !isBridge(name)) throw new IllegalStateException("unable to create bridge '" + name + "': " + r.output().trim());
        Proc.run("ip", "link", "set", "dev", name, "up");
    }

    public static void deleteLink(String name) {
        if (linkExists(name)) Proc.run("ip", "link", "delete", "dev", name);
    }

    /** Interfaces enslaved to {@code bridge}. */
    public static java.util.List<String> bridgePorts(String bridge) {
        try (var s = Files.list(Path.of("/sys/class/net", bridge, "brif"))) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            return java.util.List.of();
        }
    }
}
