package org.haven.lxc.setup;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** Red Hat family (CentOS and its rebuilds, Fedora), openSUSE/SLES and Arch Linux. */
final class OtherDistros {
    private OtherDistros() {}

    private static final Pattern IFCFG_UUID = Pattern.compile("(?m)^UUID=(\\S+)\\s*$");
    private static final Pattern KEYFILE_UUID = Pattern.compile("(?m)^uuid=(\\S+)\\s*$");
    private static final Pattern SYSCONFIG_HOSTNAME = Pattern.compile("(?m)^HOSTNAME=\\h*\\S+\\h*$");

    /**
     * CentOS, RHEL rebuilds and Fedora. Network-scripts ({@code ifcfg-*}) up to release 9 of the enterprise line;
     * NetworkManager keyfiles from 10 (which dropped network-scripts) and on Fedora 33+ with NetworkManager; a
     * Fedora without NetworkManager but with systemd-networkd gets networkd units.
     */
    static final class RedHat extends Distro {
        final double version;
        final boolean fedora;

        RedHat(RootFs fs, Map<String, String> conf, Distro.Env env, double version, boolean fedora) {
            super(fs, conf, env);
            this.version = version;
            this.fedora = fedora;
        }

        boolean systemd() { return fedora || version >= 7; }

        @Override void templateFixup() throws IOException {
            String sysinit = fs.read("/etc/rc.d/rc.sysinit");
            if (sysinit != null) {
                String updated = sysinit.replaceAll("(?m)^(/sbin/start_udev.*)$", "#$1");
                if (!updated.equals(sysinit)) fs.write("/etc/rc.d/rc.sysinit", updated, 0755);
            }
            setupSecuretty();
            if (systemd()) setupSystemdPreset(containerPresets());
            if ((fedora || version >= 8) && !fs.exists("/etc/locale.conf")) fs.write("/etc/locale.conf", "LANG=C.utf8", 0644);
        }

        @Override void setupInit() throws IOException {
            if (systemd()) setupContainerGettyService();
        }

        @Override void setupNetwork() throws IOException {
            boolean networkManager = fs.exists("/usr/sbin/NetworkManager");
            if (fedora && !networkManager && (fs.exists("/usr/lib/systemd/systemd-networkd") || fs.exists("/lib/systemd/systemd-networkd"))) {
                setupSystemdNetworkd();
            } else if (fedora ? version >= 33 && networkManager : version >= 10) {
                writeKeyfiles();
            } else {
                writeIfcfg();
            }
            updateSysconfigNetwork();
        }

        private void writeIfcfg() throws IOException {
            String dir = "/etc/sysconfig/network-scripts";
            fs.makePath(dir, 0755);
            for (NetIf n : nets()) {
                String path = dir + "/ifcfg-" + n.name();
                NetworkFiles.Ifcfg f = NetworkFiles.redHatIfcfg(n, env.dns(), uuid(fs.read(path), IFCFG_UUID));
                if (f.ifcfg() == null) continue;
                fs.write(path, f.ifcfg(), 0644);
                fs.modify(dir + "/route-" + n.name(), f.routes(), ManagedSection.Placement.PREPEND, true, 0644);
                fs.modify(dir + "/route6-" + n.name(), f.routes6(), ManagedSection.Placement.PREPEND, true, 0644);
            }
        }

        private void writeKeyfiles() throws IOException {
            String dir = "/etc/NetworkManager/system-connections";
            List<NetIf> nets = nets();
            if (nets.isEmpty()) return;
            fs.makePath(dir, 0755);
            for (NetIf n : nets) {
                String path = dir + "/" + n.name() + ".nmconnection";
                String text = NetworkFiles.nmKeyfile(n, env.dns(), uuid(fs.read(path), KEYFILE_UUID));
                if (text != null) fs.write(path, text, 0600); // NetworkManager ignores keyfiles others can read
            }
        }

        /** {@code NETWORKING}/{@code NETWORKING_IPV6} in {@code /etc/sysconfig/network} for the families in use. */
        private void updateSysconfigNetwork() throws IOException {
            String path = "/etc/sysconfig/network";
            String data = fs.read(path);
            if (data == null) return;
            boolean v4 = false, v6 = false;
            for (NetIf n : nets()) { v4 |= n.ip() != null; v6 |= n.ip6() != null; }
            String updated = data;
            if (v4) updated = setVariable(updated, "NETWORKING", "yes");
            if (v6) updated = setVariable(updated, "NETWORKING_IPV6", "yes");
            if (!updated.equals(data)) fs.write(path, updated, 0644);
        }

        private static String setVariable(String text, String name, String value) {
            Pattern p = Pattern.compile("(?m)^" + name + "=\\S+");
            if (p.matcher(text).find()) return p.matcher(text).replaceFirst(name + "=" + value);
            return text + name + "=" + value + "\n";
        }

        /** Red Hat also keeps the full name as {@code HOSTNAME} in {@code /etc/sysconfig/network}. */
        @Override void setHostname() throws IOException {
            super.setHostname();
            String path = "/etc/sysconfig/network";
            String data = fs.read(path);
            if (data == null) return;
            String line = "HOSTNAME=" + hostname();
            var m = SYSCONFIG_HOSTNAME.matcher(data);
            String updated = m.find() ? m.replaceFirst(line) : data + line + "\n";
            if (!updated.equals(data)) fs.write(path, updated, 0644);
        }
    }

    /** openSUSE (13.1 and later, Tumbleweed) and SLES: wicked's {@code ifcfg-*} and {@code ifroute-*}. */
    static final class Suse extends Distro {
        Suse(RootFs fs, Map<String, String> conf, Distro.Env env) { super(fs, conf, env); }

        @Override void templateFixup() throws IOException { setupSecuretty(); }

        @Override void setupInit() throws IOException { setupContainerGettyService(); }

        @Override void setupNetwork() throws IOException {
            String dir = "/etc/sysconfig/network";
            List<NetIf> nets = nets();
            if (nets.isEmpty()) return;
            fs.makePath(dir, 0755);
            for (NetIf n : nets) {
                NetworkFiles.Suse f = NetworkFiles.suse(n);
                fs.write(dir + "/ifcfg-" + n.name(), f.ifcfg(), 0644);
                fs.modify(dir + "/ifroute-" + n.name(), f.routes(), ManagedSection.Placement.APPEND, true, 0644);
            }
        }
    }

    /** Arch Linux: systemd-networkd, which setup enables since Arch enables no network service itself. */
    static final class Arch extends Distro {
        Arch(RootFs fs, Map<String, String> conf, Distro.Env env) { super(fs, conf, env); }

        @Override void templateFixup() throws IOException {
            fs.makePath("/etc/systemd/system/multi-user.target.wants", 0755);
            fs.makePath("/etc/systemd/system/sockets.target.wants", 0755);
            fs.symlink("/usr/lib/systemd/system/systemd-networkd.service", "/etc/systemd/system/multi-user.target.wants/systemd-networkd.service");
            fs.symlink("/usr/lib/systemd/system/systemd-networkd.socket", "/etc/systemd/system/sockets.target.wants/systemd-networkd.socket");
            setupSecuretty("pts/0");
        }

        @Override void setupInit() throws IOException { setupContainerGettyService(); }

        @Override void setupNetwork() throws IOException { setupSystemdNetworkd(); }
    }

    /** Gentoo: OpenRC with netifrc ({@code /etc/conf.d/net}), {@code /etc/conf.d/hostname}, gettys in inittab. */
    static final class Gentoo extends Distro {
        Gentoo(RootFs fs, Map<String, String> conf, Distro.Env env) { super(fs, conf, env); }

        @Override void setupInit() throws IOException {
            String inittab = fs.read("/etc/inittab");
            if (inittab != null) fs.write("/etc/inittab", SystemFiles.gentooInittab(inittab, ttyCount()), 0644);
        }

        @Override void setupNetwork() throws IOException {
            List<NetIf> nets = nets().stream().sorted((a, b) -> a.name().compareTo(b.name())).toList();
            fs.modify("/etc/conf.d/net", NetworkFiles.netifrc(nets), ManagedSection.Placement.REPLACE, false, 0644);
            for (NetIf n : nets) {
                fs.symlink("net.lo", "/etc/init.d/net." + n.name());
                fs.symlink("/etc/init.d/net." + n.name(), "/etc/runlevels/default/net." + n.name());
            }
        }

        @Override void setHostname() throws IOException {
            updateEtcHosts();
            fs.makePath("/etc/conf.d", 0755);
            fs.write("/etc/conf.d/hostname", "hostname=\"" + namepart(hostname()) + "\"\n", 0644);
        }
    }

    /**
     * NixOS: the system configuration owns hostname, network, DNS and timezone, so setup only sets the root password
     * and SSH keys.
     */
    static final class NixOs extends Distro {
        NixOs(RootFs fs, Map<String, String> conf, Distro.Env env) { super(fs, conf, env); }

        @Override void templateFixup() {}

        @Override void randomizeCrontab() {}

        @Override void preStart() {}

        @Override void setupNetwork() {}
    }

    /** {@code ostype: unmanaged}: setup leaves the container alone. */
    static final class Unmanaged extends Distro {
        Unmanaged(RootFs fs, Map<String, String> conf, Distro.Env env) { super(fs, conf, env); }

        @Override void postCreate(String rootPassword, String sshKeys) {}

        @Override void preStart() {}

        @Override void setupNetwork() {}
    }
}
