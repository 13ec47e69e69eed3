package org.haven.lxc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.haven.core.testing.RealTest;
import org.haven.guest.config.GuestException;
import org.haven.lxc.config.CtConfig;
import org.haven.storage.spi.CommandRunner;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real busybox containers through the container service: on a {@code dir} storage (raw image with ext4) with a
 * static address on a bridge the test creates, pinged from the host, with commands run inside and the memory
 * limit visible there; on a {@code btrfs} storage in a loop device, a snapshot rolled back after a file change.
 */
@RealTest
class ContainerRealTest {

    @TempDir Path dir;
    final List<String> log = new ArrayList<>();

    /** A bridge with a name and /24 no other test run uses, removed by the bed's cleanup. */
    static String[] bridge(CtBed bed) {
        int n = (int) (ProcessHandle.current().pid() % 200) + 20;
        String br = "hvct" + n;
        bed.run.run(List.of("ip", "link", "del", br));
        bed.sh("ip", "link", "add", br, "type", "bridge");
        bed.cleanups.add(() -> bed.run.run(List.of("ip", "link", "del", br)));
        bed.sh("ip", "addr", "add", "10.213." + n + ".1/24", "dev", br);
        bed.sh("ip", "link", "set", br, "up");
        return new String[] {br, "10.213." + n};
    }

    String exec(CtBed bed, int vmid, String... cmd) {
        CommandRunner.Result r = bed.service.runtime().exec(vmid, List.of(cmd), null);
        assertThat(r.exitCode()).as(String.join(" ", cmd) + ": " + r.stderr()).isZero();
        return r.stdout().strip();
    }

    @Test
    void busyboxOnDirWithStaticAddress() throws Exception {
        try (CtBed bed = new CtBed(dir, "")) {
            String[] br = bridge(bed);
            int vmid = 9101;
            bed.service.create(vmid, Map.of("hostname", "bb1", "memory", "96", "swap", "0",
                    "net0", "name=eth0,bridge=" + br[0] + ",ip=" + br[1] + ".2/24,gw=" + br[1] + ".1",
                    "rootfs", "local:0.1"), new LxcService.CreateOptions(bed.template, "local", null, null), log::add);
            CtConfig c = CtConfig.of(bed.service.store().load(vmid).current());
            assertThat(c.ostype()).isEqualTo("unmanaged");
            assertThat(c.lock()).isNull();
            assertThat(c.rootfs().volume()).isEqualTo("local:9101/vm-9101-disk-0.raw");
            assertThat(c.rootfs().props().get("size")).isEqualTo("102M");
            assertThat(c.nets().get(0).hwaddr()).startsWith("BC:24:11:");

            bed.service.start(vmid, log::add);
            assertThat(bed.service.runtime().status(vmid)).containsEntry("status", "running").containsKey("pid");
            assertThat(Files.readString(bed.service.runtime().lxc().configFile(vmid)))
                    .contains("lxc.net.0.link = " + br[0], "lxc.net.0.ipv4.address = " + br[1] + ".2/24", "lxc.net.0.veth.pair = veth9101i0");

            // reachable from the host over the bridge
            CommandRunner.Result ping = null;
            for (int i = 0; i < 10 && (ping == null || !ping.ok()); i++) {
                ping = bed.run.run(List.of("/bin/busybox", "ping", "-c", "1", "-W", "1", br[1] + ".2"));
            }
            assertThat(ping.ok()).as("ping: " + ping.stdout() + ping.stderr()).isTrue();
            // commands inside: hostname, address, the memory limit of its cgroup
            assertThat(exec(bed, vmid, "hostname")).isEqualTo("bb1");
            assertThat(exec(bed, vmid, "ip", "-4", "addr", "show", "eth0")).contains(br[1] + ".2/24");
            assertThat(exec(bed, vmid, "ping", "-c", "1", "-W", "2", br[1] + ".1")).contains("1 packets received");
            // the container's own cgroup is the root of its cgroup namespace (legacy memory hierarchy or the unified one)
            String limit = exec(bed, vmid, "sh", "-c", "mkdir -p /tmp/cg && if mount -t cgroup -o memory none /tmp/cg 2>/dev/null; "
                    + "then cat /tmp/cg/memory.limit_in_bytes; else mount -t cgroup2 none /tmp/cg && cat /tmp/cg/memory.max; fi; umount /tmp/cg");
            assertThat(limit).isEqualTo(Long.toString(96L * 1024 * 1024));

            assertThatThrownBy(() -> bed.service.destroy(vmid, false, log::add)).hasMessage("unable to destroy CT 9101 - container is running");
            bed.service.shutdown(vmid, 5, true, log::add);
            assertThat(bed.service.runtime().status(vmid)).containsEntry("status", "stopped");
            bed.service.update(vmid, Map.of("protection", "1"), List.of(), List.of(), null, log::add);
            assertThatThrownBy(() -> bed.service.destroy(vmid, false, log::add)).hasMessage("can't remove CT 9101 - protection mode enabled");
            bed.service.update(vmid, Map.of(), List.of("protection"), List.of(), null, log::add);
            Path image = Path.of(bed.sm.path(c.rootfs().volume()));
            assertThat(image).exists();
            bed.service.destroy(vmid, false, log::add);
            assertThat(image).doesNotExist();
            assertThat(bed.service.store().exists(vmid)).isFalse();
        }
    }

    /** Host owner ids of a path ({@code uid:gid}), not following a symlink. */
    static String owner(Path p) throws java.io.IOException {
        return Files.getAttribute(p, "unix:uid", java.nio.file.LinkOption.NOFOLLOW_LINKS) + ":"
                + Files.getAttribute(p, "unix:gid", java.nio.file.LinkOption.NOFOLLOW_LINKS);
    }

    @Test
    void unprivilegedContainerRunsWithTheIdmap() throws Exception {
        // the mapped root must be able to reach its rootfs below the test's directory, as below /var/lib/lxc
        Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        try (CtBed bed = new CtBed(dir, "")) {
            int vmid = 9105;
            bed.service.create(vmid, Map.of("hostname", "bbu", "unprivileged", "1", "rootfs", "local:0.1"),
                    new LxcService.CreateOptions(bed.template, "local", null, null), log::add);
            var m = bed.service.runtime().idMap(CtConfig.of(bed.service.store().load(vmid).current()));
            long base = m.rootUid();
            assertThat(base).as("root's range in /etc/subuid, or PVE's 100000").isPositive();

            bed.service.start(vmid, log::add);
            Path rootfs = bed.service.runtime().lxc().rootfs(vmid);
            assertThat(Files.readString(bed.service.runtime().lxc().configFile(vmid)))
                    .contains("lxc.idmap = u 0 " + base + " 65536\nlxc.idmap = g 0 " + m.rootGid() + " 65536\n");
            // the template's files and the rootfs itself belong to the container's root, seen from the host
            assertThat(owner(rootfs)).isEqualTo(base + ":" + m.rootGid());
            assertThat(owner(rootfs.resolve("bin/busybox"))).isEqualTo(base + ":" + m.rootGid());
            // inside: root is uid 0, mapped to the range
            assertThat(exec(bed, vmid, "id", "-u")).isEqualTo("0");
            assertThat(exec(bed, vmid, "cat", "/proc/self/uid_map").split("\\s+")).containsExactly("0", Long.toString(base), "65536");
            assertThat(exec(bed, vmid, "cat", "/proc/self/gid_map").split("\\s+")).containsExactly("0", Long.toString(m.rootGid()), "65536");
            // files made inside by root and by uid 1000 are owned by the mapped ids on the host
            exec(bed, vmid, "sh", "-c", "echo hi > /root/made && mkdir /home && touch /home/user-file && chown 1000:1000 /home/user-file");
            assertThat(owner(rootfs.resolve("root/made"))).isEqualTo(base + ":" + m.rootGid());
            assertThat(owner(rootfs.resolve("home/user-file"))).isEqualTo((base + 1000) + ":" + (m.rootGid() + 1000));
            // and the host's root is nobody there: the container cannot give a file to an unmapped id
            assertThat(bed.service.runtime().exec(vmid, List.of("chown", "70000", "/root/made"), null).ok()).isFalse();

            bed.service.stop(vmid, log::add);
            for (Map<String, String> set : List.of(Map.of("unprivileged", "0"), Map.of("unprivileged", "1")))
                assertThatThrownBy(() -> bed.service.update(vmid, set, List.of(), List.of(), null, log::add))
                        .hasMessage("unable to modify read-only option: 'unprivileged'");
            assertThatThrownBy(() -> bed.service.update(vmid, Map.of(), List.of("unprivileged"), List.of(), null, log::add))
                    .hasMessage("unable to modify read-only option: 'unprivileged'");
            bed.service.destroy(vmid, false, log::add);
        }
    }

    /**
     * A node's container service starts by removing the runtime directories of containers whose config went to
     * another node while it was down (HA recovery after fencing); others are kept.
     */
    @Test
    void runtimeDirectoriesOfContainersNowElsewhereAreRemovedAtStart() throws Exception {
        try (CtBed bed = new CtBed(dir, "")) {
            Path lxc = dir.resolve("lxc");
            for (int vmid : new int[] {9160, 9161, 9162}) {
                Files.createDirectories(lxc.resolve(vmid + "/rootfs"));
                Files.writeString(lxc.resolve(vmid + "/config"), "lxc.uts.name = x\n");
            }
            bed.cfs.mkdirs("nodes/n2/lxc");
            bed.cfs.writeString("nodes/n2/lxc/9160.conf", "hostname: moved\n");
            bed.cfs.writeString("nodes/n1/lxc/9161.conf", "hostname: here\n");
            LxcService restarted = LxcService.create(bed.service.store(), bed.sm, lxc, org.haven.core.time.Clock.SYSTEM, List.of());
            assertThat(lxc.resolve("9160")).doesNotExist();
            assertThat(lxc.resolve("9161/config")).exists();
            assertThat(lxc.resolve("9162/config")).as("no config anywhere: left alone").exists();
            assertThat(restarted.removeStaleRuntime(null)).isEmpty();
        }
    }

    @Test
    void failedCreateLeavesNothing() throws Exception {
        try (CtBed bed = new CtBed(dir, "")) {
            Path missing = dir.resolve("local/template/cache/nothing.tar.gz");
            assertThatThrownBy(() -> bed.service.create(9102, Map.of("rootfs", "local:0.05"),
                    new LxcService.CreateOptions(missing, "local", null, null), log::add))
                    .isInstanceOf(GuestException.class).hasMessageContaining("does not exist");
            assertThat(bed.service.store().exists(9102)).isFalse();
            assertThat(bed.sm.imagesOf(9102)).isEmpty();
            assertThat(bed.service.runtime().lxc().dir(9102)).doesNotExist();
        }
    }

    @Test
    void btrfsSnapshotRollsBackAFileChange() throws Exception {
        Path mnt = dir.resolve("bt");
        try (CtBed bed = new CtBed(dir, "btrfs: bt\n\tpath " + mnt + "\n\tcontent rootdir,images\n")) {
            bed.btrfs("bt", "320M");
            int vmid = 9103;
            bed.service.create(vmid, Map.of("hostname", "bb3", "rootfs", "bt:0.2"),
                    new LxcService.CreateOptions(bed.template, "local", null, null), log::add);
            String volid = CtConfig.of(bed.service.store().load(vmid).current()).rootfs().volume();
            assertThat(volid).isEqualTo("bt:9103/subvol-9103-disk-0.subvol");
            assertThat(Path.of(bed.sm.path(volid)).resolve("bin/busybox")).exists();

            bed.service.start(vmid, log::add);
            exec(bed, vmid, "sh", "-c", "echo before > /root/state");
            bed.service.snapshots().create(vmid, "snap1", false, "first", log::add);
            exec(bed, vmid, "sh", "-c", "echo after > /root/state");
            assertThat(exec(bed, vmid, "cat", "/root/state")).isEqualTo("after");

            bed.service.snapshots().rollback(vmid, "snap1", true, log::add);
            assertThat(bed.service.type().isRunning(vmid)).isTrue();
            assertThat(exec(bed, vmid, "cat", "/root/state")).isEqualTo("before");
            assertThat(bed.service.store().load(vmid).get("parent")).contains("snap1");

            bed.service.stop(vmid, log::add);
            bed.service.snapshots().delete(vmid, "snap1", false, log::add);

            // a template and a linked clone of it, which starts with the template's files
            bed.service.clones().template(vmid, log::add);
            String base = CtConfig.of(bed.service.store().load(vmid).current()).rootfs().volume();
            assertThat(base).isEqualTo("bt:9103/base-9103-disk-0.subvol");
            bed.service.clones().clone(vmid, 9104, "linked", null, false, null, null, null, log::add);
            String linked = CtConfig.of(bed.service.store().load(9104).current()).rootfs().volume();
            assertThat(linked).startsWith("bt:9104/");
            bed.service.start(9104, log::add);
            assertThat(exec(bed, 9104, "cat", "/root/state")).isEqualTo("before");
            assertThat(exec(bed, 9104, "hostname")).isEqualTo("linked");
            bed.service.stop(9104, log::add);
            bed.service.destroy(9104, false, log::add);
            bed.service.destroy(vmid, false, log::add);
            assertThat(Path.of(bed.sm.path(base))).doesNotExist();
        }
    }
}
