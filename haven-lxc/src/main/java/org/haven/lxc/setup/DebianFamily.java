package org.haven.lxc.setup;

import java.io.IOException;
import java.util.List;
import java.util.Map;

/** The distributions configured with ifupdown's {@code /etc/network/interfaces}: Debian, Devuan, Ubuntu, Alpine. */
final class DebianFamily {
    private DebianFamily() {}

    private static final Map<String, Integer> DEVUAN_TO_DEBIAN = Map.ofEntries(
            Map.entry("jessie", 8), Map.entry("ascii", 9), Map.entry("beowulf", 10), Map.entry("chimaera", 11),
            Map.entry("daedalus", 12), Map.entry("excalibur", 13), Map.entry("freia", 14));

    private static final Map<String, Integer> DEBIAN_CODENAMES = Map.of(
            "buster", 10, "bullseye", 11, "bookworm", 12, "trixie", 13, "forky", 14);

    /** The Debian version of a Debian rootfs ({@code /etc/debian_version}: a number or a testing codename). */
    static double debianVersion(RootFs fs) throws IOException {
        String v = fs.firstLine("/etc/debian_version");
        if (v == null) throw new IOException("unable to read version info");
        for (var e : DEBIAN_CODENAMES.entrySet()) if (v.startsWith(e.getKey())) return e.getValue();
        double d = Distro.leadingNumber(v);
        if (d < 4 || d >= 15) throw new IOException("unsupported debian version '" + v + "'");
        return d;
    }

    /** The Debian version a Devuan release is built on ({@code /etc/devuan_version}: a codename, maybe {@code /ceres}). */
    static double devuanVersion(RootFs fs) throws IOException {
        String v = fs.firstLine("/etc/devuan_version");
        if (v == null) throw new IOException("unable to read version info");
        Integer d = DEVUAN_TO_DEBIAN.get(v.trim().replaceFirst("/ceres$", ""));
        if (d == null) throw new IOException("unsupported devuan release '" + v.trim() + "'");
        return d;
    }

    static class Debian extends Distro {
        final double version;

        Debian(RootFs fs, Map<String, String> conf, Distro.Env env, double version) {
            super(fs, conf, env);
            this.version = version;
        }

        @Override void templateFixup() throws IOException { setupSecuretty(); }

        @Override void setupInit() throws IOException {
            String init = fs.readLink("/sbin/init");
            if (init != null && init.endsWith("/systemd")) setupContainerGettyService();
            String inittab = fs.read("/etc/inittab");
            if (inittab != null) fs.write("/etc/inittab", SystemFiles.inittab(inittab, ttyCount(), version), 0644);
        }

        /** ifupdown reads {@code address A/P} since Debian 10, where {@code netmask} became deprecated. */
        boolean cidrAddresses() { return version >= 10; }

        @Override void setupNetwork() throws IOException { writeInterfaces(fs, nets(), cidrAddresses()); }
    }

    static void writeInterfaces(RootFs fs, List<NetIf> nets, boolean cidr) throws IOException {
        String path = "/etc/network/interfaces";
        String text = DebianInterfaces.render(fs.read(path), nets, cidr);
        if (text == null) return;
        fs.makePath("/etc/network", 0755);
        fs.write(path, text, 0644);
    }

    /** Ubuntu: ifupdown before 17.10, systemd-networkd (what netplan renders to) from 17.10 on. */
    static final class Ubuntu extends Debian {
        final String release;

        Ubuntu(RootFs fs, Map<String, String> conf, Distro.Env env, String release) {
            super(fs, conf, env, Distro.leadingNumber(release));
            this.release = release;
        }

        @Override void templateFixup() throws IOException {
            if (List.of("15.04", "15.10", "16.04").contains(release)) setupSecuretty("pts/0");
            else setupSecuretty();
        }

        @Override void setupInit() throws IOException {
            if (Distro.compareVersions(release, "15.04") >= 0) setupContainerGettyService();
        }

        @Override void setupNetwork() throws IOException {
            if (Distro.compareVersions(release, "17.10") >= 0) setupSystemdNetworkd();
            else writeInterfaces(fs, nets(), false);
        }
    }

    /** Alpine: ifupdown syntax (ifupdown-ng, which takes {@code address A/P}, from 3.13), OpenRC services. */
    static final class Alpine extends Distro {
        final String version;

        Alpine(RootFs fs, Map<String, String> conf, Distro.Env env, String version) {
            super(fs, conf, env);
            this.version = version;
        }

        @Override void templateFixup() throws IOException {
            fs.symlink("/etc/init.d/networking", "/etc/runlevels/boot/networking");
            fs.symlink("/etc/init.d/bootmisc", "/etc/runlevels/boot/bootmisc");
            fs.symlink("/etc/init.d/hostname", "/etc/runlevels/boot/hostname");
            fs.symlink("/etc/init.d/killprocs", "/etc/runlevels/shutdown/killprocs");
            fs.symlink("/etc/init.d/savecache", "/etc/runlevels/shutdown/savecache");
            setupSecuretty();
        }

        /** Busybox's DHCPv6 client is unreliable, so DHCPv6 and SLAAC interfaces are left {@code manual}. */
        @Override void setupNetwork() throws IOException {
            List<NetIf> nets = nets().stream()
                    .map(n -> n.ip6() != null && (n.ip6().equals("dhcp") || n.ip6().equals("auto")) ? n.withIp6("manual") : n)
                    .toList();
            writeInterfaces(fs, nets, Distro.compareVersions(version, "3.13") >= 0);
        }
    }
}
