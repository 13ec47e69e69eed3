package org.haven.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.haven.core.time.Clock;
import org.haven.guest.clone.GuestClone;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.config.GuestConfigStore;
import org.haven.guest.config.VmidRegistry;
import org.haven.guest.snapshot.GuestSnapshots;
import org.haven.guest.volume.StorageVolumes;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guest framework driven by a second guest type ({@link ProcessGuestType}: {@code sleep} processes with
 * qcow2 volumes on a directory storage): config creation and the VMID registry shared with VMs, locks,
 * protection, start/stop/status, pending changes and unused volumes, the snapshot tree, clone and template,
 * and destroy with purge.
 */
@RealTest
class GuestFrameworkTest {

    @TempDir Path dir;
    MemoryClusterFs cfs;
    StorageManager sm;
    StorageVolumes volumes;
    VmidRegistry vmids;
    GuestConfigStore store;
    ProcessGuestType type;
    GuestService guests;
    GuestSnapshots snaps;
    GuestClone clones;
    final List<String> log = new ArrayList<>();
    final List<String> purged = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        cfs = new MemoryClusterFs("node1");
        Path images = dir.resolve("vmstore");
        Files.createDirectories(images);
        cfs.writeString("storage.cfg", "dir: vmstore\n\tpath " + images + "\n\tcontent images\n");
        sm = new StorageManager(cfs, "node1", dir.resolve("local"), new ProcessCommandRunner());
        volumes = new StorageVolumes(sm);
        vmids = new VmidRegistry(cfs);
        store = new GuestConfigStore(cfs, "haven-proc", "PG", vmids);
        type = new ProcessGuestType(volumes);
        guests = new GuestService(type, store, volumes, List.of((t, vmid, l) -> purged.add(t.haPrefix() + ":" + vmid)));
        snaps = new GuestSnapshots(guests, Clock.SYSTEM);
        clones = new GuestClone(guests);
    }

    @AfterEach
    void tearDown() {
        if (type != null) type.stopAll();
    }

    /** A stopped guest with {@code disks} qcow2 volumes of 1 MiB. */
    GuestConfig newGuest(int vmid, String hostname, int disks) {
        GuestConfig cfg = new GuestConfig().set("hostname", hostname);
        for (int i = 0; i < disks; i++) cfg.set("disk" + i, volumes.alloc("vmstore", vmid, "qcow2", 1 << 20) + ",size=1M");
        store.create(vmid, cfg);
        return store.load(vmid);
    }

    String volume(int vmid, String key) { return ProcessGuestType.KEYS.volume(key, store.load(vmid).get(key).orElseThrow()); }

    @Test
    void vmidsAreUniqueAcrossGuestTypes() {
        GuestConfigStore vms = new GuestConfigStore(cfs, "qemu-server", "VM", vmids);
        vms.create(100, new GuestConfig().set("memory", "512"));
        assertThatThrownBy(() -> newGuest(100, "a", 0)).hasMessage("unable to create PG 100 - VM 100 already exists on node 'node1'");
        newGuest(200, "b", 0);
        assertThatThrownBy(() -> vms.create(200, new GuestConfig())).hasMessage("unable to create VM 200 - PG 200 already exists on node 'node1'");
        assertThatThrownBy(() -> store.create(200, new GuestConfig())).hasMessage("unable to create PG 200: config file already exists");
        assertThatThrownBy(() -> clones.clone(200, 100, null, null, true, null, null, null, log::add))
                .hasMessage("unable to create PG 100 - VM 100 already exists on node 'node1'");
        assertThat(vmids.used()).containsExactly(100, 200);
        assertThat(vmids.list().get(200)).isEqualTo(new VmidRegistry.Entry(200, "haven-proc", "PG", "node1"));

        // PVE's two directories are always known: a VM store refuses a container's VMID
        cfs.mkdirs("nodes/node1/lxc");
        cfs.writeString("nodes/node1/lxc/300.conf", "hostname: ct\n");
        assertThatThrownBy(() -> GuestConfigStore.qemu(cfs).create(300, new GuestConfig()))
                .hasMessage("unable to create VM 300 - CT 300 already exists on node 'node1'");
    }

    @Test
    void startStopStatusLocksAndProtection() {
        newGuest(201, "web", 1);
        type.start(201, log::add);
        assertThat(type.status(201, false)).containsEntry("status", "running").containsKey("pid");
        assertThatThrownBy(() -> guests.destroy(201, false, log::add)).hasMessage("PG 201 is running - destroy failed");
        type.shutdown(201, Duration.ofSeconds(5), false, log::add);
        assertThat(type.status(201, false)).containsEntry("status", "stopped");

        store.update(201, c -> c.set("lock", "backup"));
        assertThatThrownBy(() -> guests.destroy(201, false, log::add)).hasMessage("PG is locked (backup)");
        assertThatThrownBy(() -> snaps.create(201, "s1", false, null, log::add)).hasMessage("PG is locked (backup)");
        assertThatThrownBy(() -> clones.template(201, log::add)).hasMessage("PG is locked (backup)");
        store.update(201, c -> c.remove("lock").set("protection", "1"));
        assertThatThrownBy(() -> guests.destroy(201, false, log::add)).hasMessage("can't remove PG 201 - protection mode enabled");
        store.update(201, c -> c.remove("protection"));
        String vol = volume(201, "disk0");
        guests.destroy(201, false, log::add);
        assertThat(store.read("node1", 201)).isEmpty();
        assertThat(Path.of(volumes.resolve(vol).path())).doesNotExist();
    }

    @Test
    void snapshotTreeWithFreezeWhileRunningRollbackAndDelete() {
        newGuest(202, "web", 1);
        String vol = volume(202, "disk0");
        snaps.create(202, "first", false, "one", log::add);
        store.update(202, c -> c.set("hostname", "changed"));
        type.start(202, log::add);
        snaps.create(202, "second", true, null, log::add);
        assertThat(type.events).containsExactly("freeze 202", "thaw 202");
        assertThat(sm.snapshots(vol)).contains("first", "second");

        List<Map<String, Object>> list = snaps.list(202);
        assertThat(list).extracting(m -> m.get("name")).containsExactly("first", "second", "current");
        assertThat(list.get(0)).doesNotContainKey("parent").containsEntry("description", "one");
        assertThat(list.get(1)).containsEntry("parent", "first").containsEntry("vmstate", 0);
        assertThat(list.get(2)).containsEntry("parent", "second").containsEntry("running", 1);

        snaps.rollback(202, "first", false, log::add);
        assertThat(type.isRunning(202)).isFalse();
        GuestConfig cfg = store.load(202);
        assertThat(cfg.get("hostname")).contains("web");
        assertThat(cfg.get("parent")).contains("first");
        assertThat(cfg.lock()).isEmpty();

        snaps.delete(202, "first", false, log::add);
        cfg = store.load(202);
        assertThat(cfg.snapshots().keySet()).containsExactly("second");
        assertThat(cfg.snapshots().get("second").has("parent")).isFalse();
        assertThat(cfg.get("parent")).isEmpty();
        assertThat(sm.snapshots(vol)).containsExactly("second");
        assertThatThrownBy(() -> snaps.create(202, "second", false, null, log::add)).hasMessage("snapshot name 'second' already used");
    }

    @Test
    void fullCloneTemplateAndLinkedClone() throws Exception {
        newGuest(203, "web", 1);
        String src = volume(203, "disk0");
        clones.clone(203, 204, null, "copy", true, null, null, null, log::add);
        GuestConfig copy = store.load(204);
        assertThat(copy.get("hostname")).contains("Copy-of-PG-web");
        assertThat(copy.current().description()).isEqualTo("copy");
        assertThat(copy.lock()).isEmpty();
        String copied = volume(204, "disk0");
        assertThat(volumes.owner(copied)).isEqualTo(204);
        assertThat(Files.mismatch(Path.of(volumes.resolve(src).path()), Path.of(volumes.resolve(copied).path()))).isEqualTo(-1);

        assertThatThrownBy(() -> clones.clone(203, 205, null, null, false, null, null, null, log::add))
                .hasMessageStartingWith("parameter 'full' must be set to clone a PG that is not a template");
        clones.template(203, log::add);
        assertThat(store.load(203).isTemplate()).isTrue();
        String base = volume(203, "disk0");
        assertThat(base).contains("base-203-disk-0");
        clones.clone(203, 205, "linked", null, false, null, null, null, log::add);
        assertThat(volume(205, "disk0")).contains(base.substring(base.indexOf(':') + 1) + "/");
        assertThat(store.load(205).get("hostname")).contains("linked");

        assertThatThrownBy(() -> guests.destroy(203, false, log::add)).hasMessageContaining("linked clone");
        guests.destroy(205, false, log::add);
        guests.destroy(203, false, log::add);
        assertThat(vmids.used()).containsExactly(204);
    }

    @Test
    void pendingDeletesMakeUnusedVolumesAndFreeThem() {
        newGuest(206, "web", 2);
        String second = volume(206, "disk1");
        store.update(206, c -> { c.addPendingDelete("disk1", false); c.pending().set("hostname", "db"); return null; });
        assertThat(guests.pending(206)).contains(
                Map.of("key", "disk1", "value", store.load(206).get("disk1").orElseThrow(), "delete", 1),
                Map.of("key", "hostname", "value", "web", "pending", "db"));
        store.update(206, c -> { guests.applyPending(206, c, log::add); return null; });
        GuestConfig cfg = store.load(206);
        assertThat(cfg.get("disk1")).isEmpty();
        assertThat(cfg.get("unused0")).contains(second);
        assertThat(cfg.get("hostname")).contains("db");
        assertThat(cfg.pending().isEmpty()).isTrue();

        store.update(206, c -> { c.addPendingDelete("unused0", false); guests.applyPending(206, c, log::add); return null; });
        assertThat(store.load(206).get("unused0")).isEmpty();
        assertThat(Path.of(volumes.resolve(second).path())).doesNotExist();
        assertThat(log).contains("removing unused disk '" + second + "'");
    }

    @Test
    void destroyWithPurgeLeavesHaAndThePurgePorts() {
        newGuest(207, "web", 1);
        String vol = volume(207, "disk0");
        cfs.mkdirs("ha");
        cfs.writeString(GuestService.HA_RESOURCES, "pg: 207\n\tstate started\n\nvm: 100\n\tstate started\n");
        assertThat(guests.haStatus(207)).containsEntry("managed", 1).containsEntry("state", "started");
        assertThatThrownBy(() -> guests.destroy(207, false, false, log::add))
                .hasMessage("unable to remove PG 207 - used in HA resources and purge parameter not set.");
        guests.destroy(207, false, true, log::add);
        assertThat(store.read("node1", 207)).isEmpty();
        assertThat(Path.of(volumes.resolve(vol).path())).doesNotExist();
        assertThat(cfs.readString(GuestService.HA_RESOURCES).orElseThrow()).doesNotContain("pg: 207").contains("vm: 100");
        assertThat(purged).containsExactly("pg:207");
        assertThat(log).contains("purging PG 207 from related configurations..", "removed PG 207 from the HA resources");
    }
}
