package org.haven.storage.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.time.Clock;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The storage API through the real dispatcher (validation, permissions, error envelopes) on a dir storage. */
@RealTest
class StorageApiTest {
    @TempDir Path tmp;
    LocalClusterFs cfs;
    StorageManager sm;
    Dispatcher d;
    ApiTree tree;
    FileTaskManager tasks;
    final Map<String, Map<String, Set<String>>> acl = new HashMap<>();

    @BeforeEach
    void setUp() {
        cfs = TestSupport.cfs(tmp.resolve("cfs"), "n1");
        tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM);
        AccessChecker access = new AccessChecker() {
            @Override public boolean check(String authid, String path, Collection<String> privs, boolean any) {
                if (authid.equals("root@pam")) return true;
                Set<String> have = acl.getOrDefault(authid, Map.of()).getOrDefault(path, Set.of());
                return any ? privs.stream().anyMatch(have::contains) : have.containsAll(privs);
            }
            @Override public Set<String> privileges(String authid, String path) { return acl.getOrDefault(authid, Map.of()).getOrDefault(path, Set.of()); }
        };
        NodeContext node = new TestNodeContext(cfs, tasks, access, tmp, Clock.SYSTEM);
        tree = new ApiTree();
        sm = StorageApi.storageManager(node);
        new StorageApi(sm).register(tree, node);
        assertThat(sm.localPath()).isEqualTo(tmp.resolve("data/storage/local"));
        Authenticator auth = new Authenticator() {
            @Override public Optional<String> verifyTicket(String ticket) { return Optional.of(ticket); }
            @Override public boolean verifyCsrf(String userid, String token) { return true; }
            @Override public Optional<String> verifyApiToken(String value) { return Optional.empty(); }
        };
        d = new Dispatcher(tree, node, auth);
    }

    ApiResponse root(HttpMethod m, String path, Map<String, Object> params) {
        return d.handle(new ApiRequest(m, path, params, null, null, null, true, "unix"));
    }

    ApiResponse as(String user, HttpMethod m, String path, Map<String, Object> params) {
        return d.handle(new ApiRequest(m, path, params, user, "csrf", null, false, "127.0.0.1"));
    }

    static Map<String, Object> p(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    String awaitTask(Object upid) throws Exception {
        return tasks.await((String) upid, 30_000).status();
    }

    @Test
    @SuppressWarnings("unchecked")
    void storageConfigCrud() {
        String dir = tmp.resolve("store1").toString();
        ApiResponse r = root(HttpMethod.POST, "/storage", p("storage", "store1", "type", "dir", "path", dir, "content", "images,iso", "shared", "0"));
        assertThat(r.status()).as(String.valueOf(r.message()) + r.errors()).isEqualTo(200);
        assertThat(r.data()).isEqualTo(Map.of("storage", "store1", "type", "dir"));
        assertThat(Path.of(dir, "images")).isDirectory();
        assertThat(Path.of(dir, "template/iso")).isDirectory();
        String text = cfs.readString("storage.cfg").orElseThrow();
        assertThat(text).startsWith("dir: local\n\tpath " + tmp.resolve("data/storage/local") + "\n")
                .contains("dir: store1\n\tpath " + dir + "\n\tcontent images,iso\n\tshared 0\n\n");

        List<Map<String, Object>> list = (List<Map<String, Object>>) root(HttpMethod.GET, "/storage", p()).data();
        assertThat(list).extracting(m -> m.get("storage")).containsExactly("local", "store1");
        Map<String, Object> one = (Map<String, Object>) root(HttpMethod.GET, "/storage/store1", p()).data();
        assertThat(one).containsEntry("type", "dir").containsEntry("content", "images,iso").containsEntry("shared", 0).containsKey("digest");

        // update with digest, then a stale digest is refused
        String digest = (String) one.get("digest");
        assertThat(root(HttpMethod.PUT, "/storage/store1", p("disable", "1", "digest", digest)).status()).isEqualTo(200);
        ApiResponse stale = root(HttpMethod.PUT, "/storage/store1", p("disable", "0", "digest", digest));
        assertThat(stale.status()).isEqualTo(500);
        assertThat(stale.message()).contains("detected modified configuration");
        assertThat(cfs.readString("storage.cfg").orElseThrow()).contains("dir: store1\n\tdisable\n");
        ApiResponse fixed = root(HttpMethod.PUT, "/storage/store1", p("path", "/elsewhere"));
        assertThat(fixed.status()).isEqualTo(400); // fixed properties are not parameters of update, as in PVE
        assertThat(fixed.errors()).containsKey("path");
        assertThat(root(HttpMethod.PUT, "/storage/store1", p("delete", "disable,shared")).status()).isEqualTo(200);
        assertThat(cfs.readString("storage.cfg").orElseThrow()).contains("dir: store1\n\tpath " + dir + "\n\tcontent images,iso\n\n");

        assertThat(root(HttpMethod.DELETE, "/storage/store1", p()).status()).isEqualTo(200);
        assertThat(cfs.readString("storage.cfg").orElseThrow()).doesNotContain("store1");
        assertThat(Path.of(dir, "images")).isDirectory(); // data stays
    }

    @Test
    void createValidationErrorsWriteNothing() {
        ApiResponse bad = root(HttpMethod.POST, "/storage", p("storage", "x!", "type", "dir", "path", "/x"));
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.errors()).containsKey("storage");
        ApiResponse badType = root(HttpMethod.POST, "/storage", p("storage", "xx", "type", "nope", "path", "/x"));
        assertThat(badType.status()).isEqualTo(400);
        assertThat(badType.errors()).containsKey("type");
        ApiResponse unknown = root(HttpMethod.POST, "/storage", p("storage", "xx", "type", "dir", "path", "/x", "colour", "red"));
        assertThat(unknown.status()).isEqualTo(400);
        assertThat(unknown.errors()).containsKey("colour");
        ApiResponse unexpected = root(HttpMethod.POST, "/storage", p("storage", "xx", "type", "dir", "path", "/x", "vgname", "vg"));
        assertThat(unexpected.status()).isEqualTo(500);
        assertThat(unexpected.message()).contains("unexpected property 'vgname'");
        ApiResponse content = root(HttpMethod.POST, "/storage", p("storage", "xx", "type", "lvm", "vgname", "vg", "content", "iso"));
        assertThat(content.message()).contains("unsupported content type 'iso'");
        ApiResponse path = root(HttpMethod.POST, "/storage", p("storage", "xx", "type", "dir", "path", "relative"));
        assertThat(path.status()).isEqualTo(400);
        // activation fails: the missing directory may not be created, so nothing is written
        ApiResponse missing = root(HttpMethod.POST, "/storage", p("storage", "xx", "type", "dir", "path", tmp.resolve("nope").toString(),
                "create-base-path", "0"));
        assertThat(missing.status()).isEqualTo(500);
        assertThat(missing.message()).startsWith("create storage failed: unable to activate storage 'xx'");
        ApiResponse vg = root(HttpMethod.POST, "/storage", p("storage", "vgx", "type", "lvm", "vgname", "havenNoSuchVg"));
        assertThat(vg.message()).startsWith("create storage failed:").contains("volume group 'havenNoSuchVg' not found");
        assertThat(cfs.readString("storage.cfg")).isEmpty();
    }

    @Test
    @SuppressWarnings("unchecked")
    void contentAllocListInfoDelete() throws Exception {
        ApiResponse a = root(HttpMethod.POST, "/nodes/n1/storage/local/content", p("vmid", "100", "filename", "vm-100-disk-10.raw", "size", "4M"));
        assertThat(a.status()).as(a.message() + a.errors()).isEqualTo(200);
        assertThat(a.data()).isEqualTo("local:100/vm-100-disk-10.raw");
        ApiResponse auto = root(HttpMethod.POST, "/nodes/n1/storage/local/content", p("vmid", "100", "filename", "", "size", "1024", "format", "qcow2"));
        assertThat(auto.data()).isEqualTo("local:100/vm-100-disk-0.qcow2");
        ApiResponse mismatch = root(HttpMethod.POST, "/nodes/n1/storage/local/content", p("vmid", "100", "filename", "vm-100-disk-1.raw", "size", "1M", "format", "qcow2"));
        assertThat(mismatch.status()).isEqualTo(400);
        assertThat(mismatch.errors()).containsEntry("format", "different storage formats (qcow2 != raw)");
        ApiResponse badSize = root(HttpMethod.POST, "/nodes/n1/storage/local/content", p("vmid", "100", "filename", "", "size", "4T"));
        assertThat(badSize.status()).isEqualTo(400);

        List<Map<String, Object>> list = (List<Map<String, Object>>) root(HttpMethod.GET, "/nodes/n1/storage/local/content", p("vmid", "100")).data();
        assertThat(list).extracting(m -> m.get("volid")).containsExactly("local:100/vm-100-disk-0.qcow2", "local:100/vm-100-disk-10.raw");
        assertThat(list.get(1)).containsEntry("size", 4L * 1024 * 1024).containsEntry("format", "raw").containsEntry("vmid", 100);

        Map<String, Object> info = (Map<String, Object>) root(HttpMethod.GET, "/nodes/n1/storage/local/content/local:100/vm-100-disk-10.raw", p()).data();
        assertThat(info).containsEntry("path", tmp.resolve("data/storage/local/images/100/vm-100-disk-10.raw").toString())
                .containsEntry("size", 4L * 1024 * 1024).containsEntry("format", "raw");
        // volume given as name relative to the storage
        assertThat(root(HttpMethod.GET, "/nodes/n1/storage/local/content/100/vm-100-disk-10.raw", p()).status()).isEqualTo(200);

        // a volume referenced by a guest config cannot be deleted
        cfs.mkdirs("nodes/n1/qemu-server");
        cfs.writeString("nodes/n1/qemu-server/100.conf", "boot: order=scsi0\nscsi0: local:100/vm-100-disk-10.raw,size=4M\n");
        ApiResponse ref = root(HttpMethod.DELETE, "/nodes/n1/storage/local/content/local:100/vm-100-disk-10.raw", p());
        assertThat(ref.status()).isEqualTo(500);
        assertThat(ref.message()).isEqualTo("unable to delete volume 'local:100/vm-100-disk-10.raw' - still referenced by guest 100");
        assertThat(tmp.resolve("data/storage/local/images/100/vm-100-disk-10.raw")).exists();

        root(HttpMethod.POST, "/storage", p("storage", "other", "type", "dir", "path", tmp.resolve("other").toString()));
        ApiResponse copy = root(HttpMethod.POST, "/nodes/n1/storage/local/content/local:100/vm-100-disk-0.qcow2", p("target", "other"));
        assertThat(copy.status()).as(copy.message()).isEqualTo(200);
        assertThat(awaitTask(copy.data())).isEqualTo("OK");
        assertThat(tmp.resolve("other/images/100/vm-100-disk-0.raw")).exists();
        assertThat(tasks.log((String) copy.data(), 0, 0).lines())
                .contains("copied 'local:100/vm-100-disk-0.qcow2' to 'other:100/vm-100-disk-0.raw'");
        ApiResponse remote = root(HttpMethod.POST, "/nodes/n1/storage/local/content/local:100/vm-100-disk-0.qcow2", p("target", "other", "target_node", "n2"));
        assertThat(remote.message()).contains("not supported");

        ApiResponse del = root(HttpMethod.DELETE, "/nodes/n1/storage/local/content/local:100/vm-100-disk-0.qcow2", p());
        assertThat(del.status()).isEqualTo(200);
        assertThat((String) del.data()).startsWith("UPID:n1:").contains(":imgdel:100@local:root@pam:");
        assertThat(awaitTask(del.data())).isEqualTo("OK");
        assertThat(tmp.resolve("data/storage/local/images/100/vm-100-disk-0.qcow2")).doesNotExist();
        assertThat(tasks.log((String) del.data(), 0, 0).lines()).contains("Removed volume 'local:100/vm-100-disk-0.qcow2'");
    }

    @Test
    @SuppressWarnings("unchecked")
    void nodeStorageListStatusAndPermissions() {
        root(HttpMethod.POST, "/storage", p("storage", "isos", "type", "dir", "path", tmp.resolve("isos").toString(), "content", "iso"));
        root(HttpMethod.POST, "/storage", p("storage", "off", "type", "dir", "path", tmp.resolve("off").toString(), "disable", "1"));
        root(HttpMethod.POST, "/storage", p("storage", "other", "type", "dir", "path", tmp.resolve("other").toString(), "nodes", "n2"));
        List<Map<String, Object>> all = (List<Map<String, Object>>) root(HttpMethod.GET, "/nodes/n1/storage", p()).data();
        assertThat(all).extracting(m -> m.get("storage")).containsExactly("isos", "local", "off");
        Map<String, Object> local = all.get(1);
        assertThat(local).containsEntry("type", "dir").containsEntry("active", 1).containsEntry("enabled", 1).containsEntry("shared", 0);
        long[] df = TestSupport.df(tmp.resolve("data/storage/local"));
        assertThat(local.get("total")).isEqualTo(df[0]);
        assertThat(all.get(2)).containsEntry("enabled", 0).containsEntry("active", 0);
        List<Map<String, Object>> images = (List<Map<String, Object>>) root(HttpMethod.GET, "/nodes/n1/storage", p("content", "images", "enabled", "1")).data();
        assertThat(images).extracting(m -> m.get("storage")).containsExactly("local");

        Map<String, Object> st = (Map<String, Object>) root(HttpMethod.GET, "/nodes/n1/storage/local/status", p()).data();
        assertThat(st).containsEntry("active", 1).containsEntry("type", "dir").containsKey("avail");
        assertThat(root(HttpMethod.GET, "/nodes/n1/storage/other/status", p()).message()).contains("is not available on node 'n1'");

        acl.put("alice@pve", Map.of("/storage/isos", Set.of("Datastore.Audit")));
        List<Map<String, Object>> alice = (List<Map<String, Object>>) as("alice@pve", HttpMethod.GET, "/nodes/n1/storage", p()).data();
        assertThat(alice).extracting(m -> m.get("storage")).containsExactly("isos");
        assertThat(as("alice@pve", HttpMethod.GET, "/nodes/n1/storage/local/status", p()).status()).isEqualTo(403);
        // the storage's index: PVE's subdirectories, to whom may read the storage
        assertThat((List<Map<String, Object>>) as("alice@pve", HttpMethod.GET, "/nodes/n1/storage/isos", p()).data())
                .extracting(m -> m.get("subdir")).contains("content", "status", "upload", "prunebackups").hasSize(9);
        assertThat(as("alice@pve", HttpMethod.GET, "/nodes/n1/storage/local", p()).status()).isEqualTo(403);
        assertThat(root(HttpMethod.GET, "/nodes/n1/storage/nope", p()).message()).contains("storage 'nope' does not exist");
        assertThat(as("alice@pve", HttpMethod.POST, "/storage", p("storage", "mine", "type", "dir", "path", "/x")).status()).isEqualTo(403);
        assertThat(as("alice@pve", HttpMethod.POST, "/nodes/n1/storage/local/content", p("vmid", "100", "filename", "", "size", "1M")).status()).isEqualTo(403);
    }

    @Test
    @SuppressWarnings("unchecked")
    void guestVolumesNeedReadAccessForTheVolume() throws Exception {
        String disk = "local:100/vm-100-disk-0.raw";
        assertThat(root(HttpMethod.POST, "/nodes/n1/storage/local/content", p("vmid", "100", "filename", "", "size", "1M", "format", "raw")).data())
                .isEqualTo(disk);
        Path images = tmp.resolve("data/storage/local/images/100");
        List<String> before;
        try (var files = Files.list(images)) { before = files.map(Path::toString).sorted().toList(); }

        // an auditor (Datastore.Audit on the storage, VM.Audit on the guest) neither reads nor changes the disk
        acl.put("auditor@pve", Map.of("/storage/local", Set.of("Datastore.Audit"), "/vms/100", Set.of("VM.Audit")));
        String url = "/nodes/n1/storage/local/content/" + disk;
        ApiResponse read = as("auditor@pve", HttpMethod.GET, url, p());
        assertThat(read.status()).isEqualTo(403);
        assertThat(read.message()).isEqualTo("Permission check failed (/vms/100, VM.Config.Disk)");
        assertThat(read.data()).isNull();
        ApiResponse change = as("auditor@pve", HttpMethod.PUT, url, p("notes", "mine", "protected", "1"));
        assertThat(change.status()).isEqualTo(403);
        assertThat(change.message()).isEqualTo("Permission check failed (/vms/100, VM.Config.Disk)");
        try (var files = Files.list(images)) { assertThat(files.map(Path::toString).sorted().toList()).isEqualTo(before); }
        assertThat(((Map<String, Object>) root(HttpMethod.GET, url, p()).data())).containsEntry("protected", 0).doesNotContainKey("notes");
        // the listing shows the auditor only what it may read: ISO images, not the guest's disk
        Files.createDirectories(tmp.resolve("data/storage/local/template/iso"));
        Files.writeString(tmp.resolve("data/storage/local/template/iso/install.iso"), "iso");
        List<Map<String, Object>> listed = (List<Map<String, Object>>) as("auditor@pve", HttpMethod.GET, "/nodes/n1/storage/local/content", p()).data();
        assertThat(listed).extracting(m -> m.get("volid")).containsExactly("local:iso/install.iso");
        ApiResponse del = as("auditor@pve", HttpMethod.DELETE, url, p());
        assertThat(del.status()).isEqualTo(403);
        assertThat(tmp.resolve("data/storage/local/images/100/vm-100-disk-0.raw")).exists();

        // Datastore.Audit plus VM.Config.Disk on the owner is read access
        acl.put("disk@pve", Map.of("/storage/local", Set.of("Datastore.Audit"), "/vms/100", Set.of("VM.Config.Disk")));
        assertThat(as("disk@pve", HttpMethod.GET, url, p()).status()).isEqualTo(200);
        assertThat((List<Map<String, Object>>) as("disk@pve", HttpMethod.GET, "/nodes/n1/storage/local/content", p()).data())
                .extracting(m -> m.get("volid")).contains(disk);

        // '..' is no volume name, not even for root
        ApiResponse up = root(HttpMethod.GET, "/nodes/n1/storage/local/content/local:snippets/..", p());
        assertThat(up.status()).isEqualTo(400);
        assertThat(up.errors()).containsEntry("volume", "invalid volume 'local:snippets/..' - path component '..' is not allowed");
        assertThat(root(HttpMethod.DELETE, "/nodes/n1/storage/local/content/local:snippets/..", p()).status()).isEqualTo(400);
        assertThat(tmp.resolve("data/storage/local/snippets")).exists();
    }

    @Test
    @SuppressWarnings("unchecked")
    void pruneUploadAndAttributes() throws Exception {
        sm.setZone(java.time.ZoneOffset.UTC);
        sm.activateStorage("local");
        Path dump = tmp.resolve("data/storage/local/dump");
        for (String t : List.of("2024_01_01-10_00_00", "2024_01_02-10_00_00", "2024_01_03-10_00_00")) {
            Files.writeString(dump.resolve("vzdump-qemu-100-" + t + ".vma.zst"), t);
        }
        String b1 = "local:backup/vzdump-qemu-100-2024_01_01-10_00_00.vma.zst";
        assertThat(root(HttpMethod.PUT, "/nodes/n1/storage/local/content/" + b1, p("protected", "1", "notes", "keep me")).status()).isEqualTo(200);
        Map<String, Object> info = (Map<String, Object>) root(HttpMethod.GET, "/nodes/n1/storage/local/content/" + b1, p()).data();
        assertThat(info).containsEntry("protected", 1).containsEntry("notes", "keep me");
        // a second protected backup exceeds max-protected-backups=1
        assertThat(root(HttpMethod.PUT, "/storage/local", p("max-protected-backups", "1")).status()).isEqualTo(200);
        ApiResponse tooMany = root(HttpMethod.PUT, "/nodes/n1/storage/local/content/local:backup/vzdump-qemu-100-2024_01_02-10_00_00.vma.zst",
                p("protected", "1"));
        assertThat(tooMany.message()).startsWith("cannot protect backup - number of protected backups per guest would exceed the limit of 1");
        assertThat(root(HttpMethod.PUT, "/storage/local", p("delete", "max-protected-backups")).status()).isEqualTo(200);
        ApiResponse delProt = root(HttpMethod.DELETE, "/nodes/n1/storage/local/content/" + b1, p());
        assertThat(delProt.message()).isEqualTo("volume '" + b1 + "' is protected");

        List<Map<String, Object>> dry = (List<Map<String, Object>>) root(HttpMethod.GET, "/nodes/n1/storage/local/prunebackups",
                p("prune-backups", "keep-last=1", "vmid", "100")).data();
        assertThat(dry).extracting(m -> m.get("mark")).containsExactly("protected", "remove", "keep");
        assertThat(dry.get(0)).containsEntry("type", "qemu").containsEntry("vmid", 100);
        ApiResponse badOpts = root(HttpMethod.GET, "/nodes/n1/storage/local/prunebackups", p("prune-backups", "keep-often=2"));
        assertThat(badOpts.status()).isEqualTo(400);
        ApiResponse run = root(HttpMethod.DELETE, "/nodes/n1/storage/local/prunebackups", p("prune-backups", "keep-last=1"));
        assertThat(awaitTask(run.data())).isEqualTo("OK");
        assertThat(Files.list(dump).map(x -> x.getFileName().toString()).filter(n -> n.endsWith(".zst")).sorted().toList())
                .containsExactly("vzdump-qemu-100-2024_01_01-10_00_00.vma.zst", "vzdump-qemu-100-2024_01_03-10_00_00.vma.zst");

        Path upload = tmp.resolve("pveupload-0123abcd");
        Files.writeString(upload, "ISO DATA");
        ApiResponse up = root(HttpMethod.POST, "/nodes/n1/storage/local/upload", p("content", "iso", "filename", "debian 12.iso",
                "tmpfilename", upload.toString(), "checksum-algorithm", "sha256",
                "checksum", "b6e6b2b3a6d8ac44c8b6bfb1734c6f5ef2fd3d7e2d6d07f7f3d6ad7fd8e7d5d0"));
        assertThat(up.status()).isEqualTo(200);
        assertThat(awaitTask(up.data())).startsWith("checksum mismatch");
        Files.writeString(upload, "ISO DATA");
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest("ISO DATA".getBytes()));
        ApiResponse ok = root(HttpMethod.POST, "/nodes/n1/storage/local/upload", p("content", "iso", "filename", "debian 12.iso",
                "tmpfilename", upload.toString(), "checksum-algorithm", "sha256", "checksum", sha));
        assertThat(awaitTask(ok.data())).isEqualTo("OK");
        assertThat(Files.readString(tmp.resolve("data/storage/local/template/iso/debian_12.iso"))).isEqualTo("ISO DATA");
        assertThat(upload).doesNotExist();
        Files.writeString(upload, "x");
        ApiResponse wrongExt = root(HttpMethod.POST, "/nodes/n1/storage/local/upload", p("content", "iso", "filename", "x.exe", "tmpfilename", upload.toString()));
        assertThat(wrongExt.status()).isEqualTo(400);
        assertThat(wrongExt.errors()).containsEntry("filename", "wrong file extension");
    }

    @Test
    void downloadUrlFetchesVerifiesAndDecompresses() throws Exception {
        byte[] iso = "ISO9660 image bytes".repeat(1000).getBytes();
        java.io.ByteArrayOutputStream gz = new java.io.ByteArrayOutputStream();
        try (var z = new java.util.zip.GZIPOutputStream(gz)) { z.write(iso); }
        com.sun.net.httpserver.HttpServer http = com.sun.net.httpserver.HttpServer.create(new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        http.createContext("/", ex -> {
            byte[] body = ex.getRequestURI().getPath().endsWith(".gz") ? gz.toByteArray() : iso;
            int code = ex.getRequestURI().getPath().contains("missing") ? 404 : 200;
            ex.sendResponseHeaders(code, code == 200 ? body.length : -1);
            if (code == 200) try (var o = ex.getResponseBody()) { o.write(body); }
            ex.close();
        });
        http.start();
        try {
            String base = "http://127.0.0.1:" + http.getAddress().getPort();
            String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(iso));
            ApiResponse r = root(HttpMethod.POST, "/nodes/n1/storage/local/download-url", p("url", base + "/debian.iso", "content", "iso",
                    "filename", "debian.iso", "checksum-algorithm", "sha256", "checksum", sha));
            assertThat(r.status()).as(r.message() + r.errors()).isEqualTo(200);
            assertThat((String) r.data()).contains(":download:debian.iso:root@pam:");
            assertThat(awaitTask(r.data())).isEqualTo("OK");
            assertThat(Files.readAllBytes(tmp.resolve("data/storage/local/template/iso/debian.iso"))).isEqualTo(iso);

            ApiResponse z = root(HttpMethod.POST, "/nodes/n1/storage/local/download-url", p("url", base + "/other.iso.gz", "content", "iso",
                    "filename", "other.iso", "compression", "gz"));
            assertThat(awaitTask(z.data())).isEqualTo("OK");
            assertThat(Files.readAllBytes(tmp.resolve("data/storage/local/template/iso/other.iso"))).isEqualTo(iso);

            ApiResponse bad = root(HttpMethod.POST, "/nodes/n1/storage/local/download-url", p("url", base + "/x.iso", "content", "iso",
                    "filename", "x.iso", "checksum-algorithm", "md5", "checksum", "00"));
            assertThat(awaitTask(bad.data())).startsWith("checksum mismatch");
            ApiResponse missing = root(HttpMethod.POST, "/nodes/n1/storage/local/download-url", p("url", base + "/missing.iso", "content", "iso",
                    "filename", "missing.iso"));
            assertThat(awaitTask(missing.data())).isEqualTo("download failed: HTTP 404");
            assertThat(tmp.resolve("data/storage/local/template/iso/x.iso")).doesNotExist();
            assertThat(tmp.resolve("data/storage/local/template/iso/missing.iso")).doesNotExist();
            try (var l = Files.list(tmp.resolve("data/storage/local/template/iso"))) {
                assertThat(l.map(x -> x.getFileName().toString())).containsExactlyInAnyOrder("debian.iso", "other.iso");
            }
            ApiResponse ftp = root(HttpMethod.POST, "/nodes/n1/storage/local/download-url", p("url", "ftp://x/y.iso", "content", "iso", "filename", "y.iso"));
            assertThat(ftp.status()).isEqualTo(400);
            assertThat(ftp.errors()).containsKey("url");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void clusterResourcesListThisNodesStorages() {
        root(HttpMethod.POST, "/storage", p("storage", "off", "type", "dir", "path", tmp.resolve("off").toString(), "disable", "1"));
        org.haven.api.RequestContext rc = new org.haven.api.RequestContext() {
            @Override public String authid() { return "root@pam"; }
            @Override public NodeContext node() { return null; }
            @Override public boolean viaCli() { return true; }
            @Override public String clientAddress() { return "unix"; }
            @Override public boolean hasPermission(String path, boolean any, String... privs) { return true; }
        };
        List<Map<String, Object>> res = tree.resourceProviders().get(0).resources(rc);
        assertThat(res).extracting(m -> m.get("id")).containsExactly("storage/n1/local", "storage/n1/off");
        assertThat(res.get(0)).containsEntry("type", "storage").containsEntry("status", "available").containsEntry("plugintype", "dir")
                .containsEntry("shared", 0).containsEntry("node", "n1");
        assertThat((Long) res.get(0).get("maxdisk")).isEqualTo(TestSupport.df(tmp.resolve("data/storage/local"))[0]);
        assertThat(res.get(1)).containsEntry("status", "unknown");
    }

    @Test
    @SuppressWarnings("unchecked")
    void scanLvmRunsTheTool() {
        ApiResponse r = root(HttpMethod.GET, "/nodes/n1/scan/lvm", p());
        assertThat(r.status()).isEqualTo(200);
        assertThat((List<Object>) r.data()).isNotNull();
        List<Map<String, Object>> idx = (List<Map<String, Object>>) root(HttpMethod.GET, "/nodes/n1/scan", p()).data();
        assertThat(idx).extracting(m -> m.get("method")).contains("nfs", "cifs", "iscsi", "lvm", "lvmthin", "zfs");
    }
}
