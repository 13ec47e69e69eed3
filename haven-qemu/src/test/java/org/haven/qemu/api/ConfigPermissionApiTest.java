package org.haven.qemu.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

import org.haven.api.AccessChecker;
import org.haven.api.HttpMethod;
import org.haven.api.NodeContext;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiRequest;
import org.haven.api.server.ApiResponse;
import org.haven.api.server.ApiTree;
import org.haven.api.server.Authenticator;
import org.haven.api.server.Dispatcher;
import org.haven.api.task.FileTaskManager;
import org.haven.core.time.Clock;
import org.haven.guest.access.OptionAccess;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.guest.config.GuestConfigStore;
import org.haven.qemu.QemuService;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.cmd.VmPaths;
import org.haven.qemu.config.QemuOptions;
import org.haven.guest.volume.StorageVolumes;
import org.haven.qemu.run.VmManager;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.ProcessCommandRunner;
import org.haven.guest.GuestWiring;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VM API's host-escape attempts, as an Administrator without root (who holds every privilege on every
 * path) and as root@pam: root-only options, host paths, '..' in volume names and import sources, monitor
 * commands; and the privileges PVE asks per option, per clone target and per storage. Every refused
 * attempt leaves the config file and the storage as they were.
 */
class ConfigPermissionApiTest {
    static final String ADMIN = "admin@pve";

    @TempDir Path tmp;
    MemoryClusterFs cfs;
    GuestConfigStore store;
    FileTaskManager tasks;
    Dispatcher d;
    Path images;
    /** Privileges of the other users by path; root@pam and the Administrator hold every privilege, only the user id tells them apart. */
    final Map<String, Map<String, Set<String>>> acl = new java.util.HashMap<>();

    @BeforeEach
    void setUp() throws Exception {
        cfs = new MemoryClusterFs("n1");
        images = tmp.resolve("local");
        Files.createDirectories(images);
        cfs.writeString("storage.cfg", "dir: local\n\tpath " + images + "\n\tcontent images,iso,snippets,import\n");
        StorageManager sm = new StorageManager(cfs, "n1", tmp.resolve("local"), new ProcessCommandRunner());
        store = GuestConfigStore.qemu(cfs);
        VmPaths paths = new VmPaths(tmp.resolve("run/qemu-server"));
        HostInfo host = new HostInfo(HostInfo.QEMU, "7.2", false, false, "/usr/share/OVMF", paths.dir().resolve("haven-bridge").toString(), false);
        QemuService service = new QemuService(new VmManager(store, host, paths, new StorageVolumes(sm), true), () -> 1700000000L);
        tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                if (authid.equals("root@pam") || authid.equals(ADMIN)) return true;
                Set<String> have = acl.getOrDefault(authid, Map.of()).getOrDefault(path, Set.of());
                return any ? privs.stream().anyMatch(have::contains) : have.containsAll(privs);
            }
            @Override public Set<String> privileges(String authid, String path) { return Set.of(); }
        };
        NodeContext node = new TestNodeContext(cfs, tasks, access, tmp, Clock.SYSTEM);
        ApiTree tree = new ApiTree();
        new QemuApi(service, GuestWiring.alone(sm)).register(tree, node);
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        d = new Dispatcher(tree, node, auth);
        service.create(100, Map.of("scsi0", "local:1", "name", "victim"), null);
    }

    @AfterEach
    void tearDown() { tasks.close(); }

    ApiResponse call(String user, HttpMethod m, String path, Object... kv) {
        Map<String, Object> params = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) params.put((String) kv[i], kv[i + 1]);
        return d.handle(new ApiRequest(m, "/nodes/n1/qemu" + path, params, user, "csrf", null, false, "127.0.0.1"));
    }

    String config() { return cfs.readString("nodes/n1/qemu-server/100.conf").orElseThrow(); }

    List<String> volumes() throws Exception {
        try (Stream<Path> s = Files.walk(images)) {
            return s.filter(Files::isRegularFile).map(p -> images.relativize(p).toString()).sorted().toList();
        }
    }

    String await(ApiResponse r) throws InterruptedException {
        assertThat(r.status()).as(r.message() + r.errors()).isEqualTo(200);
        return tasks.await((String) r.data(), 60_000).status();
    }

    static void assertRefused(ApiResponse r, int status, String message) {
        assertThat(r.status()).as(r.message() + r.errors()).isEqualTo(status);
        if (status == 400) assertThat(r.errors().values()).as(r.errors().toString()).anyMatch(m -> m.contains(message));
        else assertThat(r.message()).isEqualTo(message);
    }

    @Test
    void administratorCannotSetRootOnlyOptionsOrHostPaths() throws Exception {
        String before = config();
        List<String> vols = volumes();
        Map<String, String[]> attempts = new LinkedHashMap<>();
        attempts.put("args", new String[] {"-chardev file,id=x,path=/etc/shadow", "403", "only root can set 'args' config"});
        attempts.put("lock", new String[] {"backup", "403", "only root can set 'lock' config"});
        attempts.put("hookscript", new String[] {"local:snippets/../../../../etc/passwd", "403", "only root can set 'hookscript' config"});
        attempts.put("hostpci0", new String[] {"0000:01:00.0", "403", "only root can set 'hostpci0' config for non-mapped devices"});
        attempts.put("usb0", new String[] {"host=1d6b:0002", "403", "only root can set 'usb0' config for real devices"});
        attempts.put("serial0", new String[] {"/dev/ttyS0", "403", "only root can set 'serial0' config for real devices"});
        attempts.put("parallel0", new String[] {"/dev/parport0", "403", "only root can set 'parallel0' config"});
        attempts.put("scsi1", new String[] {"/etc/hostname", "403", "Only root can pass arbitrary filesystem paths."});
        attempts.put("efidisk0", new String[] {"/etc/hostname", "403", "Only root can pass arbitrary filesystem paths."});
        attempts.put("scsi2", new String[] {"local:0,import-from=/etc/hostname", "403", "Only root can pass arbitrary filesystem paths."});
        attempts.put("virtio0", new String[] {"local:0,import-from=/var/lib/vz/canary/../../../../etc/passwd", "400", "'..' is not allowed"});
        attempts.put("cicustom", new String[] {"user=local:snippets/../../../../etc/shadow", "400", "'..' is not allowed"});
        for (var e : attempts.entrySet()) {
            for (HttpMethod m : List.of(HttpMethod.PUT, HttpMethod.POST)) {
                ApiResponse r = call(ADMIN, m, "/100/config", e.getKey(), e.getValue()[0]);
                assertRefused(r, Integer.parseInt(e.getValue()[1]), e.getValue()[2]);
            }
        }
        // unlocking is root's too
        assertRefused(call(ADMIN, HttpMethod.PUT, "/100/config", "delete", "lock"), 403, "only root can set 'lock' config");
        assertThat(config()).isEqualTo(before);
        assertThat(volumes()).isEqualTo(vols);
    }

    @Test
    void administratorCannotCreateWithHostPaths() throws Exception {
        List<String> vols = volumes();
        assertRefused(call(ADMIN, HttpMethod.POST, "", "vmid", "101", "args", "-S"), 403, "only root can set 'args' config");
        assertRefused(call(ADMIN, HttpMethod.POST, "", "vmid", "101", "scsi1", "/etc/hostname"), 403, "Only root can pass arbitrary filesystem paths.");
        assertRefused(call(ADMIN, HttpMethod.POST, "", "vmid", "101", "scsi0", "local:0,import-from=/etc/hostname"), 403,
                "Only root can pass arbitrary filesystem paths.");
        assertRefused(call(ADMIN, HttpMethod.POST, "", "vmid", "101", "scsi0", "local:1", "efidisk0", "/etc/hostname"), 403,
                "Only root can pass arbitrary filesystem paths.");
        assertThat(store.owner(101)).isEmpty();
        assertThat(volumes()).isEqualTo(vols);
        // what an Administrator may do still works
        assertThat(await(call(ADMIN, HttpMethod.POST, "", "vmid", "101", "scsi0", "local:1", "serial0", "socket"))).isEqualTo("OK");
        assertThat(store.load(101).get("serial0")).contains("socket");
    }

    @Test
    void importdiskSourcesAreCheckedForEveryCaller() throws Exception {
        List<String> vols = volumes();
        assertThat(vols).containsExactly("images/100/vm-100-disk-0.raw");
        assertRefused(call(ADMIN, HttpMethod.POST, "/100/importdisk", "source", "/etc/passwd", "storage", "local"), 403,
                "Only root can pass arbitrary filesystem paths.");
        Path canary = Files.createDirectories(tmp.resolve("canary"));
        String escape = canary + "/../../../../../../../../etc/passwd";
        assertRefused(call(ADMIN, HttpMethod.POST, "/100/importdisk", "source", escape, "storage", "local"), 400, "'..' is not allowed");
        assertRefused(call("root@pam", HttpMethod.POST, "/100/importdisk", "source", escape, "storage", "local"), 400, "'..' is not allowed");
        assertThat(volumes()).isEqualTo(vols);

        // root may import a host file
        Path image = tmp.resolve("image.raw");
        Files.write(image, new byte[1 << 20]);
        String before = config();
        assertThat(await(call("root@pam", HttpMethod.POST, "/100/importdisk", "source", image.toString(), "storage", "local"))).isEqualTo("OK");
        assertThat(volumes()).contains("images/100/vm-100-disk-1.raw");
        assertThat(config()).isNotEqualTo(before).contains("unused0: local:100/vm-100-disk-1.raw");
    }

    @Test
    void eachOptionNeedsItsOwnPrivilege() {
        acl.put("cdrom@pve", Map.of("/vms/100", Set.of("VM.Config.CDROM")));
        String before = config();
        assertRefused(call("cdrom@pve", HttpMethod.PUT, "/100/config", "memory", "8192"), 403, "Permission check failed (/vms/100, VM.Config.Memory)");
        assertRefused(call("cdrom@pve", HttpMethod.PUT, "/100/config", "scsi1", "local:1"), 403, "Permission check failed (/vms/100, VM.Config.Disk)");
        assertRefused(call("cdrom@pve", HttpMethod.PUT, "/100/config", "delete", "scsi0"), 403, "Permission check failed (/vms/100, VM.Config.Disk)");
        assertThat(config()).isEqualTo(before);
        assertThat(call("cdrom@pve", HttpMethod.PUT, "/100/config", "ide2", "none,media=cdrom").status()).isEqualTo(200);
        assertThat(config()).contains("ide2: none,media=cdrom");
    }

    @Test
    void cloneAndMoveNeedTheTargetAndItsStorage() throws Exception {
        List<String> vols = volumes();
        acl.put("cloner@pve", new java.util.HashMap<>(Map.of("/vms/100", Set.of("VM.Clone"))));
        assertRefused(call("cloner@pve", HttpMethod.POST, "/100/clone", "newid", "150"), 403, "Permission check failed (/vms/150, VM.Allocate)");
        acl.get("cloner@pve").put("/vms/150", Set.of("VM.Allocate"));
        assertRefused(call("cloner@pve", HttpMethod.POST, "/100/clone", "newid", "150"), 403,
                "Permission check failed (/storage/local, Datastore.AllocateSpace)");
        assertThat(store.owner(150)).isEmpty();
        acl.get("cloner@pve").put("/storage/local", Set.of("Datastore.AllocateSpace"));
        assertThat(await(call("cloner@pve", HttpMethod.POST, "/100/clone", "newid", "150"))).isEqualTo("OK");
        assertThat(store.owner(150)).isPresent();

        acl.put("disk@pve", Map.of("/vms/100", Set.of("VM.Config.Disk")));
        String before = config();
        assertRefused(call("disk@pve", HttpMethod.POST, "/100/move_disk", "disk", "scsi0", "storage", "local"), 403,
                "Permission check failed (/storage/local, Datastore.AllocateSpace)");
        assertThat(config()).isEqualTo(before);
        assertThat(volumes()).containsAll(vols).contains("images/150/vm-150-disk-0.raw");
    }

    /**
     * {@code clone} with {@code target}: only a VM whose clone lies on shared storage may be cloned to another
     * cluster node, whose config then holds the clone.
     */
    @Test
    void cloneToAnotherNodeNeedsSharedStorage() throws Exception {
        Path shared = Files.createDirectories(tmp.resolve("shared"));
        cfs.writeString("storage.cfg", cfs.readString("storage.cfg").orElseThrow() + "\ndir: shared\n\tpath " + shared + "\n\tcontent images\n\tshared 1\n");
        cfs.mkdirs("nodes/n2/qemu-server"); // a second cluster node
        assertRefused(call("root@pam", HttpMethod.POST, "/100/clone", "newid", "150", "target", "n9"), 500, "no such cluster node 'n9'");
        assertRefused(call("root@pam", HttpMethod.POST, "/100/clone", "newid", "150", "target", "n2"), 500,
                "can't clone VM to node 'n2' (VM uses local storage)");
        assertThat(store.owner(150)).isEmpty();
        // a full clone onto the shared storage may go
        assertThat(await(call("root@pam", HttpMethod.POST, "/100/clone", "newid", "150", "target", "n2", "storage", "shared", "name", "far"))).isEqualTo("OK");
        assertThat(cfs.readString("nodes/n1/qemu-server/150.conf")).isEmpty();
        assertThat(store.owner(150)).contains("n2");
        assertThat(cfs.readString("nodes/n2/qemu-server/150.conf").orElseThrow())
                .contains("name: far", "scsi0: shared:150/vm-150-disk-0.raw").doesNotContain("lock:");
        assertThat(shared.resolve("images/150/vm-150-disk-0.raw")).exists();
        // a VM on shared storage goes as it is; cloning to this node is an ordinary clone
        assertThat(await(call("root@pam", HttpMethod.POST, "", "vmid", "101", "scsi0", "shared:1"))).isEqualTo("OK");
        assertThat(await(call("root@pam", HttpMethod.POST, "/101/clone", "newid", "151", "target", "n2"))).isEqualTo("OK");
        assertThat(cfs.readString("nodes/n2/qemu-server/151.conf").orElseThrow()).contains("scsi0: shared:151/vm-151-disk-0.raw");
        assertThat(await(call("root@pam", HttpMethod.POST, "/100/clone", "newid", "152", "target", "n1"))).isEqualTo("OK");
        assertThat(store.owner(152)).contains("n1");
    }

    /**
     * {@code move_disk} with {@code target-vmid}: the disk renamed for and moved to another VM of the node (out
     * of the source's boot order), with PVE's refusals, which change nothing.
     */
    @Test
    void diskMovesToAnotherVm() throws Exception {
        assertThat(call("root@pam", HttpMethod.PUT, "/100/config", "scsi1", "local:1,iothread=1", "boot", "order=scsi0;scsi1").status()).isEqualTo(200);
        assertThat(await(call("root@pam", HttpMethod.POST, "", "vmid", "101", "scsi0", "local:1"))).isEqualTo("OK");
        String before = config(), target = cfs.readString("nodes/n1/qemu-server/101.conf").orElseThrow();
        String both = "either set 'storage' or 'target-vmid', but not both";
        assertRefused(call("root@pam", HttpMethod.POST, "/100/move_disk", "disk", "scsi1", "storage", "local", "target-vmid", "101"), 400, both);
        assertRefused(call("root@pam", HttpMethod.POST, "/100/move_disk", "disk", "scsi1"), 400, "both 'storage' and 'target-vmid' missing, either needs to be set");
        assertRefused(call("root@pam", HttpMethod.POST, "/100/move_disk", "disk", "scsi1", "target-vmid", "100"), 400,
                "must be different than source VMID to reassign disk");
        assertRefused(call("root@pam", HttpMethod.POST, "/100/move_disk", "disk", "scsi1", "target-vmid", "199"), 500, "could not find target VM 199");
        assertRefused(call("root@pam", HttpMethod.POST, "/100/move_disk", "disk", "scsi5", "target-vmid", "101"), 500, "Disk 'scsi5' for VM '100' does not exist");
        assertRefused(call("root@pam", HttpMethod.POST, "/100/move_disk", "disk", "scsi1", "target-vmid", "101", "target-disk", "scsi0"), 500,
                "Target disk key 'scsi0' is already in use for VM '101'");
        assertRefused(call("root@pam", HttpMethod.POST, "/100/move_disk", "disk", "scsi1", "target-vmid", "101", "target-digest", "0".repeat(40)), 500,
                "VM 101: detected modified configuration - file changed by other user? Try again.");
        acl.put("disk@pve", Map.of("/vms/100", Set.of("VM.Config.Disk")));
        assertRefused(call("disk@pve", HttpMethod.POST, "/100/move_disk", "disk", "scsi1", "target-vmid", "101"), 403,
                "Permission check failed (/vms/101, VM.Config.Disk)");
        cfs.writeString("nodes/n1/qemu-server/101.conf", target + "lock: backup\n");
        assertRefused(call("root@pam", HttpMethod.POST, "/100/move_disk", "disk", "scsi1", "target-vmid", "101"), 500, "VM is locked (backup)");
        cfs.writeString("nodes/n1/qemu-server/101.conf", target);
        assertThat(await(call("root@pam", HttpMethod.POST, "", "vmid", "102", "scsi0", "local:1,format=qcow2"))).isEqualTo("OK");
        assertThat(await(call("root@pam", HttpMethod.POST, "/102/snapshot", "snapname", "s1"))).isEqualTo("OK");
        assertRefused(call("root@pam", HttpMethod.POST, "/102/move_disk", "disk", "scsi0", "target-vmid", "101", "target-disk", "scsi3"), 500,
                "Can't move disk used by a snapshot to another VM");
        assertThat(config()).isEqualTo(before);
        assertThat(cfs.readString("nodes/n1/qemu-server/101.conf")).contains(target);

        ApiResponse move = call("root@pam", HttpMethod.POST, "/100/move_disk", "disk", "scsi1", "target-vmid", "101");
        assertThat((String) move.data()).contains(":qmmove:100-scsi1>101-scsi1:root@pam:");
        assertThat(await(move)).isEqualTo("OK");
        assertThat(store.load(100).get("scsi1")).isEmpty();
        assertThat(store.load(100).get("boot")).contains("order=scsi0");
        assertThat(store.load(101).get("scsi1")).contains("local:101/vm-101-disk-1.raw,iothread=1,size=1G");
        assertThat(volumes()).containsExactly("images/100/vm-100-disk-0.raw", "images/101/vm-101-disk-0.raw", "images/101/vm-101-disk-1.raw",
                "images/102/vm-102-disk-0.qcow2");
        // and back, as an unused disk
        assertThat(await(call("root@pam", HttpMethod.POST, "/101/move_disk", "disk", "scsi1", "target-vmid", "100", "target-disk", "unused0"))).isEqualTo("OK");
        assertThat(store.load(101).get("scsi1")).isEmpty();
        assertThat(store.load(100).get("unused0")).contains("local:100/vm-100-disk-1.raw");
        assertThat(volumes()).containsExactly("images/100/vm-100-disk-0.raw", "images/100/vm-100-disk-1.raw", "images/101/vm-101-disk-0.raw",
                "images/102/vm-102-disk-0.qcow2");
    }

    @Test
    void monitorCommandsBeyondInfoNeedSysModify() {
        acl.put("mon@pve", Map.of("/vms/100", Set.of("VM.Monitor")));
        Path canary = tmp.resolve("monitor-canary");
        assertRefused(call("mon@pve", HttpMethod.POST, "/100/monitor", "command", "migrate \"exec:touch " + canary + "\""), 403,
                "Permission check failed (/, Sys.Modify)");
        assertRefused(call("mon@pve", HttpMethod.POST, "/100/monitor", "command", "information"), 403, "Permission check failed (/, Sys.Modify)");
        // read-only commands pass the check (and then find the VM stopped)
        assertRefused(call("mon@pve", HttpMethod.POST, "/100/monitor", "command", "info status"), 500, "VM 100 not running");
        assertRefused(call("mon@pve", HttpMethod.POST, "/100/monitor", "command", "help"), 500, "VM 100 not running");
        assertThat(canary).doesNotExist();
    }

    @Test
    void hibernationNeedsDiskAndSpace() {
        acl.put("power@pve", new java.util.HashMap<>(Map.of("/vms/100", Set.of("VM.PowerMgmt"))));
        assertRefused(call("power@pve", HttpMethod.POST, "/100/status/suspend", "todisk", "1"), 403, "Permission check failed (/vms/100, VM.Config.Disk)");
        acl.get("power@pve").put("/vms/100", Set.of("VM.PowerMgmt", "VM.Config.Disk"));
        // the state would go to the storage of the VM's disk
        assertRefused(call("power@pve", HttpMethod.POST, "/100/status/suspend", "todisk", "1"), 403,
                "Permission check failed (/storage/local, Datastore.AllocateSpace)");
        acl.get("power@pve").put("/storage/local", Set.of("Datastore.AllocateSpace"));
        assertRefused(call("power@pve", HttpMethod.POST, "/100/status/suspend", "todisk", "1"), 500, "VM 100 not running");
    }

    @Test
    void everyVmOptionIsClassified() {
        for (String key : QemuOptions.keys()) assertThat(OptionAccess.rule(OptionAccess.QEMU, key)).as(key).isNotNull();
    }

    @Test
    void rootMaySetWhatIsRootOnlyButNotDotDot() {
        assertThat(call("root@pam", HttpMethod.PUT, "/100/config", "args", "-no-reboot", "serial0", "/dev/ttyS0").status()).isEqualTo(200);
        assertThat(config()).contains("args: -no-reboot").contains("serial0: /dev/ttyS0");
        String before = config();
        assertRefused(call("root@pam", HttpMethod.PUT, "/100/config", "hookscript", "local:snippets/../../../../etc/passwd"), 400, "'..' is not allowed");
        assertRefused(call("root@pam", HttpMethod.PUT, "/100/config", "cicustom", "user=local:snippets/../../../../etc/shadow"), 400, "'..' is not allowed");
        assertThat(config()).isEqualTo(before);
        // and an Administrator may not undo root's args either
        assertRefused(call(ADMIN, HttpMethod.PUT, "/100/config", "delete", "args"), 403, "only root can set 'args' config");
        assertThat(config()).isEqualTo(before);
    }
}
