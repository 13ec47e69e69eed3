package org.haven.node;

import org.haven.cfs.PmxcfsDb;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code haven cfs import|export}: a pmxcfs config.db written by raw SQL goes into a node's data directory and back. */
class HavenCfsCommandTest {
    @TempDir Path dir;

    static final String STORAGE = PmxcfsDb.STORAGE;
    static final String VM = PmxcfsDb.VM;

    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    /** A database as pmxcfs holds it (its schema, inode 0 = __version__, parents by inode). */
    static Path pmxcfsDb(Path db) throws Exception {
        return PmxcfsDb.write(db);
    }

    int run(String op, String... args) {
        out.reset();
        err.reset();
        return HavenTool.cfs(op, List.of(args), Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    String err() { return err.toString(StandardCharsets.UTF_8); }

    @Test
    void importLoadsThePmxcfsTreeIntoTheDataDirectory() throws Exception {
        Path data = dir.resolve("data");
        Path db = pmxcfsDb(dir.resolve("config.db"));
        assertThat(run("import", db.toString(), "--data-dir", data.toString(), "--node", "pve1")).as(err()).isZero();
        Path cfs = data.resolve("cfs");
        assertThat(Files.readString(cfs.resolve("storage.cfg"))).isEqualTo(STORAGE);
        assertThat(Files.readString(cfs.resolve("nodes/pve1/qemu-server/100.conf"))).isEqualTo(VM);
        assertThat(Files.readString(cfs.resolve("nodes/pve2/lxc/200.conf"))).isEqualTo("arch: amd64\n");
        assertThat(Files.readString(cfs.resolve("priv/shadow.cfg"))).isEqualTo("root:x:\n");
        assertThat(Files.size(cfs.resolve("ha/resources.cfg"))).isZero();
        assertThat(Files.getLastModifiedTime(cfs.resolve("storage.cfg")).toMillis()).isEqualTo(1700000300_000L);
    }

    @Test
    void exportThenReimportRoundTrips() throws Exception {
        Path a = dir.resolve("a");
        Path b = dir.resolve("b");
        assertThat(run("import", pmxcfsDb(dir.resolve("config.db")).toString(), "--data-dir=" + a, "--node=pve1")).as(err()).isZero();
        Files.writeString(a.resolve("cfs/user.cfg"), "user:root@pam:1:0:::::\n");
        Path exported = dir.resolve("export.db");
        assertThat(run("export", exported.toString(), "--data-dir", a.toString())).as(err()).isZero();
        List<String> names = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + exported); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT name, type FROM tree WHERE inode <> 0")) {
            while (rs.next()) names.add(rs.getString(1) + ":" + rs.getInt(2));
        }
        assertThat(names).contains("storage.cfg:8", "user.cfg:8", "nodes:4", "100.conf:8", "200.conf:8", "resources.cfg:8")
                .containsOnlyOnce("nodes:4").filteredOn(n -> n.endsWith(":4") && !n.equals("nodes:4")).doesNotContain(Havend.defaultNodeName() + ":4");
        assertThat(run("import", exported.toString(), "--data-dir", b.toString(), "--node", "pve2")).as(err()).isZero();
        for (String f : List.of("storage.cfg", "user.cfg", "nodes/pve1/qemu-server/100.conf", "nodes/pve2/lxc/200.conf", "priv/shadow.cfg", "ha/resources.cfg"))
            assertThat(Files.readString(b.resolve("cfs").resolve(f))).as(f).isEqualTo(Files.readString(a.resolve("cfs").resolve(f)));
    }

    @Test
    void importIsRefusedWhileTheDaemonRuns() throws Exception {
        Path data = dir.resolve("data");
        Files.createDirectories(data.resolve("run"));
        Process p = new ProcessBuilder("sleep", "60").start();
        try {
            Files.writeString(data.resolve("run/havend.pid"), p.pid() + "\n");
            assertThat(run("import", pmxcfsDb(dir.resolve("config.db")).toString(), "--data-dir", data.toString())).isEqualTo(255);
            assertThat(err()).contains("havend is running").contains("pid " + p.pid());
            assertThat(data.resolve("cfs")).doesNotExist();
        } finally {
            p.destroyForcibly().waitFor();
        }
        // a stale PID file (dead process) does not block
        assertThat(run("import", dir.resolve("config.db").toString(), "--data-dir", data.toString(), "--node", "pve1")).as(err()).isZero();
        assertThat(data.resolve("cfs/storage.cfg")).exists();
    }

    @Test
    void errors() throws Exception {
        Path data = dir.resolve("data");
        assertThat(run("import", "--data-dir", data.toString())).isEqualTo(255);
        assertThat(err()).contains("400 not enough arguments");
        assertThat(run("import", dir.resolve("missing.db").toString(), "--data-dir", data.toString())).isEqualTo(255);
        assertThat(err()).contains("no such file");
        Path junk = dir.resolve("junk.db");
        Files.writeString(junk, "not a database");
        assertThat(run("import", junk.toString(), "--data-dir", data.toString(), "--node", "pve1")).isEqualTo(255);
        assertThat(data.resolve("cfs")).doesNotExist();
        Files.createDirectories(data.resolve("cfs-raft"));
        Files.writeString(data.resolve("cfs-raft/node.properties"), "");
        assertThat(run("import", pmxcfsDb(dir.resolve("config.db")).toString(), "--data-dir", data.toString())).isEqualTo(255);
        assertThat(err()).contains("already initialised");
        assertThat(run("export", dir.resolve("x.db").toString(), "--data-dir", data.toString())).isEqualTo(255);
        assertThat(err()).contains("cannot be exported offline");
    }
}
