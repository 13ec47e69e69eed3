package org.haven.lxc.setup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.haven.access.ShaCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Whole setup runs on small root file systems built here, for distributions and steps the conformance cases lack. */
class ContainerSetupTest {
    @TempDir Path root;

    void file(String path, String text) throws IOException {
        Path p = root.resolve(path);
        Files.createDirectories(p.getParent());
        Files.writeString(p, text);
    }

    String read(String path) throws IOException { return Files.readString(root.resolve(path)); }

    /** Every regular file and link of the rootfs with its contents (or target). */
    Map<String, String> snapshot() throws IOException {
        Map<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(root)) {
            for (Path p : s.toList()) {
                String rel = root.relativize(p).toString();
                if (Files.isSymbolicLink(p)) out.put(rel, "-> " + Files.readSymbolicLink(p));
                else if (Files.isRegularFile(p)) out.put(rel, Files.readString(p));
            }
        }
        return out;
    }

    static final ContainerSetup.Options TEST = new ContainerSetup.Options(null, null, true);

    @Test
    void ubuntuWithNetworkdGettysAndAPlainPassword() throws IOException {
        file("etc/lsb-release", "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=22.04\n");
        file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        file("etc/shadow", "root:*:19000:0:99999:7:::\n");
        file("lib/systemd/system/container-getty@.service", "[Service]\nExecStart=-/sbin/agetty --noclear pts/%I $TERM\nTTYPath=/dev/pts/%I\n");
        Map<String, String> conf = Map.of("hostname", "app.corp.example", "tty", "3",
                "net0", "name=eth0,bridge=vmbr0,ip=10.20.30.40/24,gw=10.20.30.1,ip6=auto");
        ContainerSetup.apply(root, conf, new ContainerSetup.Options("s3cret", "ssh-ed25519 AAAAC3 me@host", true));

        assertThat(read("etc/systemd/network/eth0.network")).isEqualTo("[Match]\nName = eth0\n\n[Network]\nDescription = Interface eth0 autoconfigured by PVE\n"
                + "Address = 10.20.30.40/24\nGateway = 10.20.30.1\nDHCP = no\nIPv6AcceptRA = true\n");
        assertThat(read("etc/hostname")).isEqualTo("app\n");
        assertThat(read("etc/hosts")).contains("\n10.20.30.40 app.corp.example app\n");
        assertThat(read("etc/systemd/system/container-getty@.service")).contains("--noclear lxc/tty%I").contains("TTYPath=/dev/lxc/tty%I");
        Path wants = root.resolve("etc/systemd/system/getty.target.wants");
        assertThat(wants.resolve("container-getty@3.service")).isSymbolicLink();
        assertThat(wants.resolve("container-getty@4.service")).doesNotExist();
        String hash = read("etc/shadow").split(":")[1];
        assertThat(hash).startsWith("$6$");
        assertThat(ShaCrypt.verify("s3cret", hash)).isTrue();
        assertThat(read("root/.ssh/authorized_keys")).isEqualTo(ManagedSection.wrap("ssh-ed25519 AAAAC3 me@host"));
        assertThat(Files.getPosixFilePermissions(root.resolve("root/.ssh"))).isEqualTo(RootFs.permissions(0700));

        Map<String, String> before = snapshot();
        ContainerSetup.apply(root, Map.of("hostname", "app.corp.example", "tty", "1",
                "net0", "name=eth0,bridge=vmbr0,ip=10.20.30.40/24,gw=10.20.30.1,ip6=auto"), TEST);
        assertThat(wants.resolve("container-getty@2.service")).doesNotExist();
        assertThat(wants.resolve("container-getty@1.service")).isSymbolicLink();
        assertThat(read("etc/shadow").split(":")[1]).isEqualTo(hash);
        before.keySet().removeIf(k -> k.contains("getty.target.wants"));
        Map<String, String> after = snapshot();
        after.keySet().removeIf(k -> k.contains("getty.target.wants"));
        assertThat(after).isEqualTo(before);
    }

    @Test
    void onStartChangesNetworkButNotPasswordsOrTemplateFixups() throws IOException {
        file("etc/debian_version", "12.5\n");
        file("etc/passwd", "root:x:0:0:root:/root:/bin/bash\n");
        file("etc/shadow", "root:*:19000:0:99999:7:::\n");
        file("etc/securetty", "console\n");
        ContainerSetup.applyOnStart(root, Map.of("hostname", "n1", "net0", "name=eth0,ip=dhcp"), new ContainerSetup.Options("pw", "k", true));
        assertThat(read("etc/network/interfaces")).isEqualTo(DebianInterfaces.LOOPBACK + "auto eth0\niface eth0 inet dhcp\n\n");
        assertThat(read("etc/shadow")).isEqualTo("root:*:19000:0:99999:7:::\n");
        assertThat(read("etc/securetty")).isEqualTo("console\n");
        assertThat(root.resolve("root/.ssh")).doesNotExist();
        assertThat(read("etc/resolv.conf")).isEqualTo(ManagedSection.wrap("search proxmox.com\nnameserver 8.8.8.8\nnameserver 8.8.8.9\n"));
    }

    @Test
    void alpineLeavesDhcp6ManualAndEnablesItsServices() throws IOException {
        file("etc/alpine-release", "3.19.1\n");
        Files.createDirectories(root.resolve("etc/runlevels/boot"));
        ContainerSetup.apply(root, Map.of("net0", "name=eth0,ip=192.0.2.5/24,ip6=dhcp"), TEST);
        assertThat(read("etc/network/interfaces")).isEqualTo(DebianInterfaces.LOOPBACK
                + "auto eth0\niface eth0 inet static\n\taddress 192.0.2.5/24\n\niface eth0 inet6 manual\n\n");
        assertThat(Files.readSymbolicLink(root.resolve("etc/runlevels/boot/networking"))).isEqualTo(Path.of("/etc/init.d/networking"));
        assertThat(root.resolve("etc/runlevels/shutdown")).doesNotExist();
    }

    @Test
    void timezoneLinksTheContainersZoneFile() throws IOException {
        file("etc/debian_version", "11.2\n");
        file("usr/share/zoneinfo/Europe/Vienna", "TZif");
        file("etc/timezone", "Etc/UTC\n");
        file("etc/localtime", "old");
        ContainerSetup.apply(root, Map.of("timezone", "Europe/Vienna"), TEST);
        assertThat(Files.readSymbolicLink(root.resolve("etc/localtime"))).isEqualTo(Path.of("/usr/share/zoneinfo/Europe/Vienna"));
        assertThat(read("etc/timezone")).isEqualTo("Europe/Vienna\n");
        ContainerSetup.apply(root, Map.of("timezone", "Mars/Olympus"), TEST);
        assertThat(Files.readSymbolicLink(root.resolve("etc/localtime"))).isEqualTo(Path.of("/usr/share/zoneinfo/Europe/Vienna"));
    }

    @Test
    void archGetsNetworkdEnabled() throws IOException {
        file("etc/os-release", "NAME=\"Arch Linux\"\nID=arch\n");
        ContainerSetup.apply(root, Map.of("net0", "name=eth0,ip=dhcp,ip6=dhcp"), TEST);
        assertThat(read("etc/systemd/network/eth0.network")).contains("DHCP = yes\n");
        assertThat(root.resolve("etc/systemd/system/multi-user.target.wants/systemd-networkd.service")).isSymbolicLink();
    }

    @Test
    void rockyIsSetUpAsCentos() throws IOException {
        file("etc/os-release", "NAME=\"Rocky Linux\"\nID=\"rocky\"\nVERSION_ID=\"9.3\"\n");
        file("etc/redhat-release", "Rocky Linux release 9.3 (Blue Onyx)\n");
        assertThat(ContainerSetup.detect(root, Map.of())).isEqualTo("centos");
        ContainerSetup.apply(root, Map.of("net0", "name=eth0,ip=dhcp"), TEST);
        assertThat(read("etc/sysconfig/network-scripts/ifcfg-eth0")).startsWith("DEVICE=eth0\nONBOOT=yes\nUUID=00000000-0000-0000-0000-000000000000\nBOOTPROTO=dhcp\n");
        assertThat(read("etc/systemd/system-preset/00-pve.preset")).contains("enable container-getty@.service\n");
    }

    @Test
    void gentooUsesNetifrcAndConfdHostname() throws IOException {
        file("etc/gentoo-release", "Gentoo Base System release 2.15\n");
        file("etc/conf.d/net", "# set by hand\nconfig_eth0=\"dhcp\"\n");
        file("etc/init.d/net.lo", "#!/sbin/openrc-run\n");
        Files.createDirectories(root.resolve("etc/runlevels/default"));
        ContainerSetup.apply(root, Map.of("hostname", "g1", "net0", "name=eth0,ip=192.0.2.44/24,gw=192.0.2.1"), TEST);
        assertThat(read("etc/conf.d/net")).isEqualTo(ManagedSection.wrap("config_eth0=\"192.0.2.44/24\"\nroutes_eth0=\"default via 192.0.2.1 dev eth0\"\n"));
        assertThat(read("etc/conf.d/hostname")).isEqualTo("hostname=\"g1\"\n");
        assertThat(Files.readSymbolicLink(root.resolve("etc/init.d/net.eth0"))).isEqualTo(Path.of("net.lo"));
        assertThat(root.resolve("etc/runlevels/default/net.eth0")).isSymbolicLink();
    }

    @Test
    void nixosOnlyGetsPasswordAndKeys() throws IOException {
        Files.createDirectories(root.resolve("nix/store"));
        file("etc/passwd", "root:x:0:0::/root:/run/current-system/sw/bin/bash\n");
        file("etc/shadow", "root:!:1::::::\n");
        ContainerSetup.apply(root, Map.of("hostname", "n", "net0", "name=eth0,ip=dhcp", "timezone", "UTC"),
                new ContainerSetup.Options("$5$SALT$HASH", "ssh-rsa K", true));
        assertThat(read("etc/shadow")).startsWith("root:$5$SALT$HASH:");
        assertThat(read("root/.ssh/authorized_keys")).contains("ssh-rsa K\n");
        assertThat(root.resolve("etc/hostname")).doesNotExist();
        assertThat(root.resolve("etc/hosts")).doesNotExist();
        assertThat(root.resolve("etc/resolv.conf")).doesNotExist();
    }

    @Test
    void unmanagedContainersAreLeftAlone() throws IOException {
        file("etc/debian_version", "12\n");
        Map<String, String> before = snapshot();
        ContainerSetup.apply(root, Map.of("ostype", "unmanaged", "hostname", "x", "net0", "name=eth0,ip=dhcp"), new ContainerSetup.Options("pw", null, true));
        assertThat(snapshot()).isEqualTo(before);
    }

    @Test
    void unknownDistributionsAreRefused() throws IOException {
        file("etc/os-release", "ID=plan9\n");
        assertThatThrownBy(() -> ContainerSetup.apply(root, Map.of(), TEST)).hasMessage("unable to detect OS distribution");
        file("etc/os-release", "ID=debian\n");
        file("etc/debian_version", "3.1\n");
        assertThatThrownBy(() -> ContainerSetup.apply(root, Map.of(), TEST)).hasMessage("unsupported debian version '3.1'");
    }

    @Test
    void ttyDirectoryDependsOnPrivileges() {
        assertThat(ContainerSetup.devTtyDir(Map.of())).isEqualTo("lxc/");
        assertThat(ContainerSetup.devTtyDir(Map.of("unprivileged", "1"))).isEmpty();
    }

    @Test
    void hostResolvConf(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("resolv.conf");
        Files.writeString(f, "# generated\ndomain old.example\nsearch a.example b.example\nnameserver 192.0.2.1\nnameserver 192.0.2.2\n"
                + "nameserver 192.0.2.3\nnameserver 192.0.2.4\noptions edns0\n");
        assertThat(ContainerSetup.hostDns(f)).isEqualTo(new SystemFiles.Dns(java.util.List.of("a.example", "b.example"),
                java.util.List.of("192.0.2.1", "192.0.2.2", "192.0.2.3")));
    }
}
