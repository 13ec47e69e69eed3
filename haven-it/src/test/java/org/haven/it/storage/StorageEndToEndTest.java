package org.haven.it.storage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.haven.core.testing.E2eTest;
import org.haven.it.HavenNode;
import org.haven.it.HavenNode.Auth;
import org.haven.it.HavenNode.CliResult;
import org.haven.it.HavenNode.Resp;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Storage on a real daemon: pvesm as a separate process, and the API over HTTPS with a logged-in user. */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@E2eTest
class StorageEndToEndTest {
    static final String NODE = "stnode";
    @TempDir static Path dir;
    static HavenNode node;
    static Auth admin;

    @BeforeAll
    static void start() throws Exception {
        node = HavenNode.start(dir.resolve("node"), NODE);
        admin = node.login("admin@pve", node.adminPassword());
    }

    @AfterAll
    static void stop() {
        if (node != null) node.close();
    }

    static CliResult pvesm(String... args) throws Exception {
        return node.cli("pvesm", args);
    }

    @Test
    @Order(1)
    void statusShowsLocal() throws Exception {
        CliResult r = pvesm("status");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("Name ").contains("local ").contains(" dir ").contains(" active ");
        Path local = node.dataDir().resolve("storage/local");
        assertThat(local.resolve("images")).isDirectory();
    }

    @Test
    @Order(2)
    void addAllocListPathFreeRemove() throws Exception {
        Path store = dir.resolve("store2");
        CliResult add = pvesm("add", "dir", "store2", "--path", store.toString(), "--content", "images,iso");
        assertThat(add.exit()).as(add.err()).isZero();
        assertThat(Files.readString(node.cfsDir().resolve("storage.cfg"))).contains("dir: store2\n\tpath " + store + "\n\tcontent images,iso\n");

        CliResult alloc = pvesm("alloc", "store2", "100", "vm-100-disk10.raw", "4G");
        assertThat(alloc.exit()).as(alloc.err()).isZero();
        assertThat(alloc.out()).isEqualTo("successfully created 'store2:100/vm-100-disk10.raw'\n");
        CliResult path = pvesm("path", "store2:100/vm-100-disk10.raw");
        assertThat(path.out().strip()).isEqualTo(store.resolve("images/100/vm-100-disk10.raw").toString());
        assertThat(Files.size(Path.of(path.out().strip()))).isEqualTo(4L << 30);

        CliResult list = pvesm("list", "store2");
        assertThat(list.out()).isEqualTo("""
                Volid                       Format  Type            Size VMID
                store2:100/vm-100-disk10.raw raw     images    4294967296 100
                """.replace("Volid                       ", "Volid                        "));

        // the same through HTTPS with a ticket (volume ID with a literal '/' in the path, as API clients send it)
        Resp info = node.get("/nodes/" + NODE + "/storage/store2/content/store2:100/vm-100-disk10.raw", admin);
        assertThat(info.status()).as(info.body()).isEqualTo(200);
        assertThat(info.data().get("size").asLong()).isEqualTo(4L << 30);
        Resp encoded = node.get("/nodes/" + NODE + "/storage/store2/content/" + java.net.URLEncoder.encode("store2:100/vm-100-disk10.raw", java.nio.charset.StandardCharsets.UTF_8), admin);
        assertThat(encoded.status()).as(encoded.body()).isEqualTo(200);
        assertThat(encoded.data().get("size").asLong()).isEqualTo(4L << 30);

        CliResult free = pvesm("free", "store2:100/vm-100-disk10.raw");
        assertThat(free.exit()).as(free.err()).isZero();
        assertThat(free.out()).contains("Removed volume 'store2:100/vm-100-disk10.raw'");
        assertThat(store.resolve("images/100/vm-100-disk10.raw")).doesNotExist();

        assertThat(pvesm("set", "store2", "--disable", "1").exit()).isZero();
        CliResult disabled = pvesm("alloc", "store2", "100", "vm-100-disk-1.raw", "1M");
        assertThat(disabled.exit()).isEqualTo(255);
        assertThat(disabled.err()).contains("storage 'store2' is disabled");
        assertThat(pvesm("status").out()).containsPattern("store2 +dir +disabled");

        assertThat(pvesm("remove", "store2").exit()).isZero();
        assertThat(Files.readString(node.cfsDir().resolve("storage.cfg"))).doesNotContain("store2");
    }

    @Test
    @Order(3)
    void badInputGivesFieldErrors() throws Exception {
        CliResult badId = pvesm("add", "dir", "1bad", "--path", "/tmp/x");
        assertThat(badId.exit()).isEqualTo(255);
        assertThat(badId.err()).contains("storage");
        Resp r = node.post("/storage", Map.of("storage", "xx", "type", "dir", "path", "relative"), admin);
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.json().get("errors").get("path").asString()).contains("absolute path");
        Resp unknown = node.post("/storage", Map.of("storage", "xx", "type", "lvm", "vgname", "vg", "path", "/x"), admin);
        assertThat(unknown.status()).isEqualTo(500);
        assertThat(unknown.body()).contains("unexpected property 'path'");
    }

    @Test
    @Order(4)
    void exportImportBetweenStoragesWithTheCli() throws Exception {
        Path store = dir.resolve("store3");
        assertThat(pvesm("add", "dir", "store3", "--path", store.toString()).exit()).isZero();
        CliResult a = pvesm("alloc", "local", "200", "vm-200-disk-0.qcow2", "1M");
        assertThat(a.exit()).as(a.err()).isZero();
        String volid = a.out().replaceAll("(?s).*'(.*)'.*", "$1");
        assertThat(volid).isEqualTo("local:200/vm-200-disk-0.qcow2");
        Path file = dir.resolve("export.bin");
        CliResult ex = pvesm("export", volid, "raw+size", file.toString());
        assertThat(ex.exit()).as(ex.err()).isZero();
        assertThat(Files.size(file)).isEqualTo(8 + (1 << 20));
        CliResult im = pvesm("import", "store3:200/vm-200-disk-0.raw", "raw+size", file.toString());
        assertThat(im.exit()).as(im.err()).isZero();
        assertThat(im.out()).isEqualTo("successfully imported 'store3:200/vm-200-disk-0.raw'\n");
        Resp content = node.get("/nodes/" + NODE + "/storage/store3/content?vmid=200", admin);
        JsonNode rows = content.data();
        assertThat(rows).hasSize(1);
        assertThat(rows.get(0).get("volid").asString()).isEqualTo("store3:200/vm-200-disk-0.raw");
        assertThat(rows.get(0).get("size").asLong()).isEqualTo(1 << 20);
    }
    @Test
    @Order(5)
    void uploadThroughMultipartForm() throws Exception {
        byte[] iso = new byte[300_000];
        new java.util.Random(5).nextBytes(iso);
        String sha = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(iso));
        String path = "/nodes/" + NODE + "/storage/local/upload";

        Resp ok = multipart(path, Map.of("content", "iso", "checksum", sha, "checksum-algorithm", "sha256"), "boot.iso", iso);
        assertThat(ok.status()).as(ok.body()).isEqualTo(200);
        assertThat(waitTask(ok.data().asString())).isEqualTo("OK");
        Path stored = node.dataDir().resolve("storage/local/template/iso/boot.iso");
        assertThat(Files.readAllBytes(stored)).isEqualTo(iso);
        Path tmp = node.dataDir().resolve("tmp");
        assertThat(pveuploads(tmp)).as("received file is removed by the task").isEmpty();

        // a checksum mismatch fails the task and leaves no file behind
        Resp bad = multipart(path, Map.of("content", "iso", "checksum", "0".repeat(64), "checksum-algorithm", "sha256"), "bad.iso", iso);
        assertThat(bad.status()).isEqualTo(200);
        assertThat(waitTask(bad.data().asString())).contains("checksum");
        assertThat(stored.resolveSibling("bad.iso")).doesNotExist();

        // a refused request (wrong content type) removes the received file at once
        Resp refused = multipart(path, Map.of("content", "images"), "x.raw", iso);
        assertThat(refused.status()).isEqualTo(400);
        assertThat(pveuploads(tmp)).isEmpty();

        // a client cannot name a server-side file itself
        Path victim = Files.write(tmp.resolve("pveupload-0123abcd"), new byte[] {1});
        Resp forged = node.post(path, Map.of("content", "iso", "filename", "stolen.iso", "tmpfilename", victim.toString()), admin);
        assertThat(forged.status()).isEqualTo(400);
        assertThat(forged.json().get("errors").get("tmpfilename").asString()).contains("multipart");
        assertThat(victim).exists();
        assertThat(stored.resolveSibling("stolen.iso")).doesNotExist();
        Files.delete(victim);
    }

    private static java.util.List<Path> pveuploads(Path dir) throws Exception {
        if (!Files.isDirectory(dir)) return java.util.List.of();
        try (var s = Files.list(dir)) {
            return s.filter(f -> f.getFileName().toString().startsWith("pveupload-")).toList();
        }
    }

    private static Resp multipart(String apiPath, Map<String, String> fields, String fileName, byte[] file) throws Exception {
        String boundary = "----haven" + System.nanoTime();
        var body = new java.io.ByteArrayOutputStream();
        for (Map.Entry<String, String> f : fields.entrySet())
            body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + f.getKey() + "\"\r\n\r\n" + f.getValue() + "\r\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
        body.writeBytes(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"filename\"; filename=\"" + fileName
                + "\"\r\nContent-Type: application/octet-stream\r\n\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        body.writeBytes(file);
        body.writeBytes(("\r\n--" + boundary + "--\r\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        var req = java.net.http.HttpRequest.newBuilder(node.uri(apiPath))
                .header("Cookie", "PVEAuthCookie=" + java.net.URLEncoder.encode(admin.ticket(), java.nio.charset.StandardCharsets.UTF_8))
                .header("CSRFPreventionToken", admin.csrf())
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body.toByteArray())).build();
        var r = node.https().send(req, java.net.http.HttpResponse.BodyHandlers.ofString());
        JsonNode json = null;
        try { json = HavenNode.JSON.readTree(r.body()); } catch (RuntimeException ignored) { }
        return new Resp(r.statusCode(), json, r.body());
    }

    private static String waitTask(String upid) throws Exception {
        return node.awaitTask(upid, admin).path("exitstatus").asString();
    }
}
