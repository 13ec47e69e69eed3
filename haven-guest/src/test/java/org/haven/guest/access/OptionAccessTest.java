package org.haven.guest.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.haven.core.format.PropertyString;
import org.haven.guest.config.GuestException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The VM option table: the privilege each option needs, the options that are root's, and the volume checks a change asks the storage layer for. */
class OptionAccessTest {

    static final String ADMIN = "admin@pve";
    static final String ROOT = "root@pam";

    /**
     * A caller with {@code granted} ("path:priv", or "*" for every privilege) on a guest with {@code config},
     * recording the storage checks it is asked for.
     */
    record Caller(String authid, Set<String> granted, Map<String, String> config, List<String> calls) implements OptionAccess.Context {
        Caller(String authid, Set<String> granted) { this(authid, granted, Map.of(), new ArrayList<>()); }
        Caller(String authid, Set<String> granted, Map<String, String> config) { this(authid, granted, config, new ArrayList<>()); }

        @Override public String guestPath() { return "/vms/100"; }

        @Override public String sdnZone(String bridge) { return bridge.equals("vnet1") ? "z1" : "localnetwork"; }

        @Override public String current(String key) { return config.get(key); }

        @Override public boolean has(String path, boolean any, String... privs) {
            if (granted.contains("*")) return true;
            return any ? Arrays.stream(privs).anyMatch(p -> granted.contains(path + ":" + p))
                    : Arrays.stream(privs).allMatch(p -> granted.contains(path + ":" + p));
        }

        @Override public Map<String, String> props(String key, String value) {
            String dk = key.matches("usb\\d+|hostpci\\d+") ? "host" : key.startsWith("virtiofs") ? "dirid"
                    : key.matches("rootfs|mp\\d+") ? "volume" : key.matches("cicustom|features") ? null : "file";
            return PropertyString.parse(value, dk);
        }

        @Override public void volume(String key, String volid) { calls.add("volume " + key + " " + volid); }
        @Override public void importSource(String key, String source) { calls.add("import " + key + " " + source); }
        @Override public void allocate(String key, String storage) { calls.add("allocate " + key + " " + storage); }
    }

    static Stream<Arguments> set() {
        Set<String> all = Set.of("*");
        Set<String> none = Set.of();
        Set<String> hw = Set.of("/vms/100:VM.Config.HWType");
        Set<String> cdrom = Set.of("/vms/100:VM.Config.CDROM");
        return Stream.of(
                // options that run code or reach host files and devices: an Administrator holding every privilege is refused
                Arguments.of(ADMIN, all, "args", "-device foo", "403 only root can set 'args' config"),
                Arguments.of(ROOT, none, "args", "-device foo", "ok"),
                Arguments.of(ADMIN, all, "lock", "backup", "403 only root can set 'lock' config"),
                Arguments.of(ADMIN, all, "hookscript", "local:snippets/../../../../etc/passwd", "403 only root can set 'hookscript' config"),
                Arguments.of(ROOT, none, "hookscript", "local:snippets/hook.pl", "ok volume hookscript local:snippets/hook.pl"),
                Arguments.of(ADMIN, all, "parallel0", "/dev/parport0", "403 only root can set 'parallel0' config"),
                Arguments.of(ADMIN, all, "ivshmem", "size=32", "403 only root can set 'ivshmem' config"),
                Arguments.of(ADMIN, all, "arch", "aarch64", "403 only root can set 'arch' config"),
                Arguments.of(ADMIN, all, "hugepages", "1024", "403 only root can set 'hugepages' config"),
                Arguments.of(ADMIN, all, "rng0", "source=/dev/hwrng", "403 only root can set 'rng0' config"),
                // an option no row names is root's
                Arguments.of(ADMIN, all, "some-new-option", "1", "403 only root can set 'some-new-option' config"),
                Arguments.of(ADMIN, all, "serial0", "/dev/ttyS0", "403 only root can set 'serial0' config for real devices"),
                Arguments.of(ADMIN, hw, "serial1", "socket", "ok"),
                Arguments.of(ADMIN, none, "serial1", "socket", "403 Permission check failed (/vms/100, VM.Config.HWType)"),
                Arguments.of(ROOT, none, "serial0", "/dev/ttyS0", "ok"),
                Arguments.of(ADMIN, all, "usb0", "host=1234:5678", "403 only root can set 'usb0' config for real devices"),
                Arguments.of(ADMIN, all, "usb0", "1-2.3", "403 only root can set 'usb0' config for real devices"),
                Arguments.of(ADMIN, hw, "usb0", "host=spice,usb3=1", "ok"),
                Arguments.of(ADMIN, hw, "usb1", "mapping=stick", "403 Permission check failed (/mapping/usb/stick, Mapping.Use)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.HWType", "/mapping/usb/stick:Mapping.Use"), "usb1", "mapping=stick", "ok"),
                Arguments.of(ADMIN, all, "hostpci0", "0000:01:00.0", "403 only root can set 'hostpci0' config for non-mapped devices"),
                Arguments.of(ADMIN, hw, "hostpci0", "mapping=gpu", "403 Permission check failed (/mapping/pci/gpu, Mapping.Use)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.HWType", "/mapping/pci/gpu:Mapping.Use"), "hostpci0", "mapping=gpu,pcie=1", "ok"),
                Arguments.of(ROOT, none, "hostpci0", "0000:01:00.0", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Options"), "virtiofs0", "share,cache=always",
                        "403 Permission check failed (/mapping/dir/share, Mapping.Use)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Options", "/mapping/dir/share:Mapping.Use"), "virtiofs0", "share", "ok"),
                // drives: every file and import source goes to the storage layer's check, new disks ask for space
                Arguments.of(ADMIN, all, "scsi1", "/etc/hostname", "ok volume scsi1 /etc/hostname"),
                Arguments.of(ADMIN, all, "efidisk0", "/etc/hostname,efitype=4m", "ok volume efidisk0 /etc/hostname"),
                Arguments.of(ADMIN, all, "tpmstate0", "local:100/vm-100-disk-1.raw", "ok volume tpmstate0 local:100/vm-100-disk-1.raw"),
                Arguments.of(ADMIN, all, "scsi0", "local:0,import-from=/etc/hostname", "ok allocate scsi0 local; import scsi0 /etc/hostname"),
                Arguments.of(ADMIN, all, "virtio0", "local:32,cache=none", "ok allocate virtio0 local"),
                Arguments.of(ADMIN, all, "ide2", "local:cloudinit", "ok allocate ide2 local"),
                Arguments.of(ADMIN, cdrom, "ide2", "none,media=cdrom", "ok"),
                Arguments.of(ADMIN, cdrom, "ide2", "cdrom,media=cdrom", "403 Permission check failed (/, Sys.Console)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.CDROM", "/:Sys.Console"), "cdrom", "cdrom", "ok"),
                Arguments.of(ADMIN, cdrom, "scsi1", "local:1", "403 Permission check failed (/vms/100, VM.Config.Disk)"),
                Arguments.of(ROOT, none, "scsi1", "/dev/sdb", "ok volume scsi1 /dev/sdb"),
                Arguments.of(ADMIN, all, "unused3", "other:101/vm-101-disk-0.raw", "ok volume unused3 other:101/vm-101-disk-0.raw"),
                // cloud-init: one of Cloudinit and Network, and the snippets go to the storage layer's check
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network"), "cicustom", "user=local:snippets/../../../../etc/shadow,meta=local:snippets/m.yaml",
                        "ok volume cicustom local:snippets/../../../../etc/shadow; volume cicustom local:snippets/m.yaml"),
                Arguments.of(ADMIN, hw, "cicustom", "user=local:snippets/u.yaml", "403 Permission check failed (/vms/100, VM.Config.Cloudinit|VM.Config.Network)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Cloudinit"), "ipconfig0", "ip=dhcp", "ok"),
                // the privilege of each option family
                Arguments.of(ADMIN, cdrom, "memory", "4096", "403 Permission check failed (/vms/100, VM.Config.Memory)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Memory"), "memory", "4096", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.CPU"), "cores", "4", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.CPU"), "net0", "virtio,bridge=vmbr0", "403 Permission check failed (/vms/100, VM.Config.Network)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network"), "net0", "virtio,bridge=vmbr0",
                        "403 Permission check failed (/sdn/zones/localnetwork/vmbr0, SDN.Use)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network", "/sdn/zones/localnetwork/vmbr0:SDN.Use"), "net0", "virtio,bridge=vmbr0", "ok"),
                // a vnet's zone names the path; a tag and each VLAN of the trunks are checked on their own
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network", "/sdn/zones/localnetwork/vnet1:SDN.Use"), "net0", "virtio,bridge=vnet1",
                        "403 Permission check failed (/sdn/zones/z1/vnet1, SDN.Use)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network", "/sdn/zones/z1/vnet1:SDN.Use"), "net0", "virtio,bridge=vnet1", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network", "/sdn/zones/localnetwork/vmbr0:SDN.Use"), "net0", "virtio,bridge=vmbr0,tag=5",
                        "403 Permission check failed (/sdn/zones/localnetwork/vmbr0/5, SDN.Use)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network", "/sdn/zones/localnetwork/vmbr0/5:SDN.Use", "/sdn/zones/localnetwork/vmbr0/7:SDN.Use"),
                        "net0", "virtio,bridge=vmbr0,trunks=5;7", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network", "/sdn/zones/localnetwork/vmbr0/5:SDN.Use"),
                        "net0", "virtio,bridge=vmbr0,trunks=5-6", "403 Permission check failed (/sdn/zones/localnetwork/vmbr0/6, SDN.Use)"),
                Arguments.of(ROOT, none, "net0", "virtio,bridge=vnet1,tag=9", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Options"), "name", "web", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Options"), "startup", "order=1", "403 Permission check failed (/, Sys.Modify)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Options", "/:Sys.Modify"), "startup", "order=1", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Disk"), "vmstatestorage", "local", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.PowerMgmt"), "freeze", "1", "ok"));
    }

    @ParameterizedTest
    @MethodSource
    void set(String authid, Set<String> granted, String key, String value, String expected) {
        assertOutcome(OptionAccess.QEMU, new Caller(authid, granted), key, value, expected);
    }

    /** "403 message", or "ok" followed by the storage checks asked for. */
    static void assertOutcome(List<OptionAccess.Rule> table, Caller c, String key, String value, String expected) {
        Runnable check = () -> OptionAccess.check(table, c, Map.of(key, value), List.of());
        if (expected.startsWith("403 ")) {
            assertThatThrownBy(check::run).isInstanceOf(GuestException.class).hasMessage(expected.substring(4))
                    .satisfies(e -> assertThat(((GuestException) e).status()).isEqualTo(403));
        } else {
            check.run();
            assertThat(String.join("; ", c.calls())).isEqualTo(expected.substring(2).trim());
        }
    }

    static Stream<Arguments> remove() {
        return Stream.of(
                Arguments.of(ADMIN, "args", "-foo", "403 only root can set 'args' config"),
                Arguments.of(ADMIN, "lock", "backup", "403 only root can set 'lock' config"),
                Arguments.of(ADMIN, "lock", null, "403 only root can set 'lock' config"),
                Arguments.of(ROOT, "lock", "backup", "ok"),
                Arguments.of(ADMIN, "serial0", "/dev/ttyS0", "403 only root can delete 'serial0' config for real devices"),
                Arguments.of(ADMIN, "serial0", "socket", "ok"),
                Arguments.of(ADMIN, "serial0", null, "ok"),
                Arguments.of(ADMIN, "vmstate", "local:100/vm-100-state-x.raw", "ok"),
                Arguments.of(ADMIN, "runningmachine", "pc-i440fx-9.0", "403 only root can set 'runningmachine' config"),
                Arguments.of(ADMIN, "usb0", "host=1234:5678", "403 only root can set 'usb0' config for real devices"),
                Arguments.of(ADMIN, "hostpci1", "0000:01:00.0", "403 only root can set 'hostpci1' config for non-mapped devices"),
                // deleting a drive or snippets names no new volume
                Arguments.of(ADMIN, "scsi1", "/etc/hostname", "ok"),
                Arguments.of(ADMIN, "cicustom", "user=local:snippets/u.yaml", "ok"));
    }

    @ParameterizedTest
    @MethodSource
    void remove(String authid, String key, String old, String expected) {
        Caller c = new Caller(authid, Set.of("*"), old == null ? Map.of() : Map.of(key, old));
        Runnable check = () -> OptionAccess.check(OptionAccess.QEMU, c, Map.of(), List.of(key));
        if (expected.startsWith("403 ")) {
            assertThatThrownBy(check::run).isInstanceOf(GuestException.class).hasMessage(expected.substring(4));
        } else {
            check.run();
            assertThat(c.calls()).isEmpty();
        }
    }

    @Test
    void malformedDeviceValuesAreParameterErrors() {
        Caller c = new Caller(ADMIN, Set.of("*"));
        assertThatThrownBy(() -> OptionAccess.check(OptionAccess.QEMU, c, Map.of("usb0", "host=a,host=b"), List.of()))
                .isInstanceOf(GuestException.class)
                .satisfies(e -> assertThat(((GuestException) e).status()).isEqualTo(400))
                .satisfies(e -> assertThat(((GuestException) e).errors()).containsKey("usb0"));
    }

    static Stream<Arguments> container() {
        Set<String> all = Set.of("*");
        Set<String> disk = Set.of("/vms/100:VM.Config.Disk");
        Set<String> options = Set.of("/vms/100:VM.Config.Options");
        Map<String, String> unpriv = Map.of("unprivileged", "1");
        Map<String, String> nested = Map.of("unprivileged", "1", "features", "nesting=1,keyctl=1");
        return Stream.of(
                // mount points: bind mounts and devices are root's, volumes go to the storage layer
                Arguments.of(ADMIN, all, Map.of(), "mp0", "/etc,mp=/mnt/etc", "403 Permission check failed (mount point type bind is only allowed for root@pam)"),
                Arguments.of(ADMIN, all, Map.of(), "mp1", "/dev/sda1,mp=/mnt/disk", "403 Permission check failed (mount point type device is only allowed for root@pam)"),
                Arguments.of(ROOT, Set.of(), Map.of(), "mp0", "/srv/share,mp=/mnt/share", "ok volume mp0 /srv/share"),
                Arguments.of(ADMIN, disk, Map.of(), "mp0", "local:8,mp=/data", "ok allocate mp0 local"),
                Arguments.of(ADMIN, disk, Map.of(), "rootfs", "local:100/vm-100-disk-0.raw,size=8G", "ok volume rootfs local:100/vm-100-disk-0.raw"),
                Arguments.of(ADMIN, options, Map.of(), "rootfs", "local:8", "403 Permission check failed (/vms/100, VM.Config.Disk)"),
                // device passthrough, hook scripts, raw LXC keys and locks are root's
                Arguments.of(ADMIN, all, Map.of(), "dev0", "/dev/ttyUSB0", "403 Permission check failed (configuring device passthrough is only allowed for root@pam)"),
                Arguments.of(ADMIN, all, Map.of(), "hookscript", "local:snippets/hook.pl", "403 Permission check failed (changing the hookscript is only allowed for root@pam)"),
                Arguments.of(ADMIN, all, Map.of(), "lxc.apparmor.profile", "unconfined", "403 only root can set 'lxc.apparmor.profile' config"),
                Arguments.of(ADMIN, all, Map.of(), "lock", "backup", "403 only root can set 'lock' config"),
                // feature flags: nesting only, and only in an unprivileged container
                Arguments.of(ADMIN, options, unpriv, "features", "nesting=1", "ok"),
                Arguments.of(ADMIN, options, Map.of(), "features", "nesting=1",
                        "403 Permission check failed (changing feature flags for privileged container is only allowed for root@pam)"),
                Arguments.of(ADMIN, options, unpriv, "features", "nesting=1,mount=nfs",
                        "403 Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)"),
                Arguments.of(ADMIN, options, unpriv, "features", "mknod=1", "403 Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)"),
                Arguments.of(ADMIN, options, nested, "features", "nesting=0,keyctl=1", "ok"),
                Arguments.of(ADMIN, options, nested, "features", "nesting=1,keyctl=0",
                        "403 Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)"),
                Arguments.of(ROOT, Set.of(), Map.of(), "features", "mount=nfs;cifs,fuse=1", "ok"),
                // the rest needs its family's privilege, unnamed options VM.Config.Options
                Arguments.of(ADMIN, options, Map.of(), "memory", "512", "403 Permission check failed (/vms/100, VM.Config.Memory)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network"), Map.of(), "hostname", "ct1", "ok"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network"), Map.of(), "net0", "name=eth0,bridge=vnet1",
                        "403 Permission check failed (/sdn/zones/z1/vnet1, SDN.Use)"),
                Arguments.of(ADMIN, Set.of("/vms/100:VM.Config.Network", "/sdn/zones/z1/vnet1:SDN.Use"), Map.of(), "net0", "name=eth0,bridge=vnet1", "ok"),
                Arguments.of(ADMIN, options, Map.of(), "onboot", "1", "ok"),
                Arguments.of(ADMIN, disk, Map.of(), "ostype", "debian", "403 Permission check failed (/vms/100, VM.Config.Options)"));
    }

    @ParameterizedTest
    @MethodSource
    void container(String authid, Set<String> granted, Map<String, String> config, String key, String value, String expected) {
        assertOutcome(OptionAccess.LXC, new Caller(authid, granted, config), key, value, expected);
    }

    @Test
    void containerFeatureDeletesCountWhatIsDeleted() {
        Caller nesting = new Caller(ADMIN, Set.of("/vms/100:VM.Config.Options"), Map.of("unprivileged", "1", "features", "nesting=1"));
        OptionAccess.check(OptionAccess.LXC, nesting, Map.of(), List.of("features"));
        Caller fuse = new Caller(ADMIN, Set.of("/vms/100:VM.Config.Options"), Map.of("unprivileged", "1", "features", "nesting=1,fuse=1"));
        assertThatThrownBy(() -> OptionAccess.check(OptionAccess.LXC, fuse, Map.of(), List.of("features")))
                .hasMessage("Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)");
        // a new container states unprivileged among the values it sets
        Caller create = new Caller(ADMIN, Set.of("/vms/100:VM.Config.Options"));
        OptionAccess.check(OptionAccess.LXC, create, Map.of("unprivileged", "1", "features", "nesting=1"), List.of());
    }

    @Test
    void everyRuleHasAReasonAndTheTableCoversEachKeyOnce() {
        for (OptionAccess.Rule r : OptionAccess.LXC) assertThat(r.reason()).isNotBlank();
        for (OptionAccess.Rule r : OptionAccess.QEMU) assertThat(r.reason()).isNotBlank();
        for (String key : List.of("args", "lock", "hookscript", "scsi30", "efidisk0", "usb13", "hostpci15", "serial3", "parallel2", "cicustom")) {
            assertThat(OptionAccess.QEMU.stream().filter(r -> r.keys().matcher(key).matches())).as(key).hasSize(1);
        }
        assertThat(OptionAccess.rule(OptionAccess.QEMU, "cores").kind()).isEqualTo(OptionAccess.Kind.PRIVILEGE);
        assertThat(OptionAccess.rule(OptionAccess.QEMU, "unknown")).isNull();
    }
}
