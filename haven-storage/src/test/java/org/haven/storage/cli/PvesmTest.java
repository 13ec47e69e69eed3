package org.haven.storage.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.core.testing.RealTest;
import org.haven.storage.TestSupport;
import org.haven.storage.api.ApiFixture;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** pvesm's output and local commands against the storage API of a test node. */
@RealTest
class PvesmTest {
    static final JsonMapper JSON = JsonMapper.builder().build();
    @TempDir Path tmp;
    ApiFixture api;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void setUp() { api = new ApiFixture(tmp); }

    CliInvocation inv(Map<String, Object> params, String... args) {
        return new CliInvocation() {
            @Override public Map<String, Object> params() { return params; }
            @Override public List<String> args() { return List.of(args); }
            @Override public ApiClient client() { return api; }
            @Override public String localNode() { return "n1"; }
            @Override public PrintStream out() { return new PrintStream(out, true, StandardCharsets.UTF_8); }
            @Override public PrintStream err() { return new PrintStream(err, true, StandardCharsets.UTF_8); }
        };
    }

    static Map<String, Object> p(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) m.put((String) kv[i], kv[i + 1]);
        return m;
    }

    String text() { return out.toString(StandardCharsets.UTF_8); }

    @Test
    void commandTableHasPveSubcommands() {
        List<String> words = new Pvesm().commands().stream().map(CliCommand::words).toList();
        assertThat(words).contains("add", "set", "remove", "alloc", "free", "status", "list", "path", "scan nfs", "nfsscan", "scan cifs",
                "cifsscan", "scan iscsi", "iscsiscan", "scan lvm", "lvmscan", "scan lvmthin", "lvmthinscan", "scan zfs", "zfsscan",
                "extractconfig", "prune-backups", "export", "import");
        CliCommand alloc = new Pvesm().commands().stream().filter(c -> c.words().equals("alloc")).findFirst().orElseThrow();
        assertThat(alloc.positionalParams()).containsExactly("storage", "vmid", "filename", "size");
    }

    @Test
    void statusOutput() {
        api.root(HttpMethod.POST, "/storage", p("storage", "off", "type", "dir", "path", tmp.resolve("off").toString(), "disable", "1"));
        JsonNode data = api.call(HttpMethod.GET, "/nodes/n1/storage", Map.of());
        Pvesm.printStatus(data, new PrintStream(out, true));
        String[] lines = text().split("\n");
        assertThat(lines[0]).isEqualTo("Name         Type     Status           Total            Used       Available        %");
        assertThat(lines[1]).startsWith("local         dir     active ").endsWith("%");
        assertThat(lines[2]).isEqualTo("off           dir   disabled               0               0               0      N/A");
        long[] df = TestSupport.df(tmp.resolve("data/storage/local"));
        assertThat(lines[1].trim().split("\\s+")[3]).isEqualTo(String.valueOf(df[0] / 1024));
    }

    @Test
    void allocListPathFree() throws Exception {
        JsonNode volid = api.call(HttpMethod.POST, "/nodes/n1/storage/local/content", p("vmid", 100, "filename", "vm-100-disk10.raw", "size", "4G"));
        assertThat(volid.asString()).isEqualTo("local:100/vm-100-disk10.raw");
        Files.createDirectories(tmp.resolve("data/storage/local/template/iso"));
        Files.writeString(tmp.resolve("data/storage/local/template/iso/a.iso"), "12345");
        Pvesm.printContent(api.call(HttpMethod.GET, "/nodes/n1/storage/local/content", Map.of()), new PrintStream(out, true));
        assertThat(text()).isEqualTo("""
                Volid                       Format  Type            Size VMID
                local:100/vm-100-disk10.raw raw     images    4294967296 100
                local:iso/a.iso             iso     iso                5
                """);
        out.reset();
        assertThat(Pvesm.path(inv(p(), "local:100/vm-100-disk10.raw"))).isZero();
        assertThat(text()).isEqualTo(tmp.resolve("data/storage/local/images/100/vm-100-disk10.raw") + "\n");
        out.reset();
        assertThat(Pvesm.free(inv(p("volume", "local:100/vm-100-disk10.raw")))).isZero();
        assertThat(text()).isEqualTo("Removed volume 'local:100/vm-100-disk10.raw'\n");
        assertThat(tmp.resolve("data/storage/local/images/100/vm-100-disk10.raw")).doesNotExist();
        out.reset();
        assertThat(Pvesm.free(inv(p("volume", "local:100/vm-100-disk10.raw")))).isEqualTo(255);
        assertThat(err.toString()).contains("does not exist");
    }

    @Test
    void pruneDryRunAndRun() throws Exception {
        api.sm.setZone(java.time.ZoneOffset.UTC);
        api.sm.activateStorage("local");
        Path dump = tmp.resolve("data/storage/local/dump");
        for (String t : List.of("2024_01_01-10_00_00", "2024_01_02-10_00_00")) Files.writeString(dump.resolve("vzdump-qemu-100-" + t + ".vma.zst"), t);
        assertThat(Pvesm.prune(inv(p("storage", "local"), "--dry-run", "1", "--keep-last", "1"))).isZero();
        assertThat(text()).isEqualTo("""
                Backup                                                         Backup-ID Prune-Mark
                local:backup/vzdump-qemu-100-2024_01_02-10_00_00.vma.zst        qemu/100       keep
                local:backup/vzdump-qemu-100-2024_01_01-10_00_00.vma.zst        qemu/100     remove
                """);
        out.reset();
        assertThat(Pvesm.prune(inv(p("storage", "local"), "--keep-last", "1"))).isZero();
        assertThat(text()).contains("removed 'local:backup/vzdump-qemu-100-2024_01_01-10_00_00.vma.zst'");
        assertThat(dump.resolve("vzdump-qemu-100-2024_01_01-10_00_00.vma.zst")).doesNotExist();
    }

    @Test
    void exportImportThroughFiles() throws Exception {
        api.root(HttpMethod.POST, "/storage", p("storage", "other", "type", "dir", "path", tmp.resolve("other").toString()));
        String v = api.call(HttpMethod.POST, "/nodes/n1/storage/local/content", p("vmid", 100, "filename", "", "size", "1M")).asString();
        TestSupport.write(api.sm.path(v), "raw", 0x2a, 0, 1024 * 1024);
        Path file = tmp.resolve("vol.raw+size");
        assertThat(Pvesm.export(inv(p(), v, "raw+size", file.toString()))).isZero();
        assertThat(Files.size(file)).isEqualTo(8 + 1024 * 1024);
        assertThat(Pvesm.importVolume(inv(p(), "other:100/vm-100-disk-0.raw", "raw+size", file.toString()))).isZero();
        assertThat(text()).isEqualTo("successfully imported 'other:100/vm-100-disk-0.raw'\n");
        TestSupport.sh("cmp", api.sm.path(v), api.sm.path("other:100/vm-100-disk-0.raw"));
    }

    @Test
    void scanPrinters() {
        Pvesm.printScan("nfs", JSON.readTree("[{\"path\":\"/export/a\",\"options\":\"*\"},{\"path\":\"/x\",\"options\":\"10.0.0.0/8\"}]"), new PrintStream(out, true));
        Pvesm.printScan("lvm", JSON.readTree("[{\"vg\":\"pve\"}]"), new PrintStream(out, true));
        assertThat(text()).isEqualTo("/export/a *\n/x        10.0.0.0/8\npve\n");
    }

    /** A VMA header built by the format's rules: magic, blob table with the config name and data. */
    static byte[] vma(String name, String conf) {
        byte[] head = new byte[12288];
        ByteBuffer b = ByteBuffer.wrap(head).order(ByteOrder.BIG_ENDIAN);
        head[0] = 'V'; head[1] = 'M'; head[2] = 'A'; head[3] = 0;
        b.putInt(4, 1);
        int blobOffset = 8192;
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        byte[] d = conf.getBytes(StandardCharsets.UTF_8);
        int pos = 1;
        int namePos = pos;
        head[blobOffset + pos] = (byte) n.length; head[blobOffset + pos + 1] = (byte) (n.length >> 8);
        System.arraycopy(n, 0, head, blobOffset + pos + 2, n.length);
        pos += 2 + n.length;
        int dataPos = pos;
        head[blobOffset + pos] = (byte) d.length; head[blobOffset + pos + 1] = (byte) (d.length >> 8);
        System.arraycopy(d, 0, head, blobOffset + pos + 2, d.length);
        pos += 2 + d.length;
        b.putInt(48, blobOffset);
        b.putInt(52, pos + 1);
        b.putInt(56, blobOffset + pos + 1);
        b.putInt(2044, namePos);
        b.putInt(3068, dataPos);
        return head;
    }

    @Test
    void extractConfigFromVmaAndTar() throws Exception {
        String conf = "boot: order=scsi0\nmemory: 2048\nscsi0: local:100/vm-100-disk-0.qcow2,size=32G\n";
        Path plain = tmp.resolve("vzdump-qemu-100-2024_01_01-00_00_00.vma");
        Files.write(plain, vma("qemu-server.conf", conf));
        assertThat(BackupConfig.extract(plain, new ProcessCommandRunner())).isEqualTo(conf);
        TestSupport.sh("zstd", "-q", "-k", plain.toString());
        Path zst = Path.of(plain + ".zst");
        assertThat(BackupConfig.extract(zst, new ProcessCommandRunner())).isEqualTo(conf);
        // container archive: the config is ./etc/vzdump/pct.conf in the tar
        Path root = tmp.resolve("ct");
        Files.createDirectories(root.resolve("etc/vzdump"));
        Files.writeString(root.resolve("etc/vzdump/pct.conf"), "arch: amd64\nhostname: ct1\n");
        Path tar = tmp.resolve("vzdump-lxc-101-2024_01_01-00_00_00.tar.zst");
        TestSupport.sh("tar", "--zstd", "-cf", tar.toString(), "-C", root.toString(), "./etc/vzdump/pct.conf");
        assertThat(BackupConfig.extract(tar, new ProcessCommandRunner())).isEqualTo("arch: amd64\nhostname: ct1\n");
        Path junk = tmp.resolve("x.vma");
        Files.writeString(junk, "not a vma");
        assertThatThrownBy(() -> BackupConfig.extract(junk, new ProcessCommandRunner())).hasMessage("not a VMA archive (wrong magic)");
    }
}
