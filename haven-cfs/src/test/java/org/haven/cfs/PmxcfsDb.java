package org.haven.cfs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.Statement;

/** Test fixture: a pmxcfs {@code config.db} built by raw SQL with pmxcfs's schema, independent of Haven's own writer. */
public final class PmxcfsDb {
    public static final String STORAGE = "dir: local\n\tpath /var/lib/vz\n\tcontent iso,vztmpl,backup\n";
    public static final String VM = "boot: order=scsi0\ncores: 2\nmemory: 2048\nname: web\n";

    private PmxcfsDb() {}

    /** Writes {@code db}: a database as pmxcfs holds it (its schema, inode 0 = __version__, parents by inode) for a small two-node cluster. */
    public static Path write(Path db) throws Exception {
        Class.forName("org.sqlite.JDBC");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE tree (  inode INTEGER PRIMARY KEY NOT NULL,  parent INTEGER NOT NULL CHECK(typeof(parent)=='integer'),"
                    + "  version INTEGER NOT NULL CHECK(typeof(version)=='integer'),  writer INTEGER NOT NULL CHECK(typeof(writer)=='integer'),"
                    + "  mtime INTEGER NOT NULL CHECK(typeof(mtime)=='integer'),  type INTEGER NOT NULL CHECK(typeof(type)=='integer'),"
                    + "  name TEXT NOT NULL,  data BLOB);");
            Object[][] rows = {
                    {0, 0, 40, 2, 1700000400, 8, "__version__", null},
                    {2, 0, 2, 1, 1700000000, 4, "nodes", null},
                    {3, 2, 3, 1, 1700000000, 4, "pve1", null},
                    {4, 3, 4, 1, 1700000000, 4, "qemu-server", null},
                    {5, 3, 5, 1, 1700000000, 4, "lxc", null},
                    {6, 3, 6, 1, 1700000000, 4, "priv", null},
                    {7, 0, 7, 1, 1700000000, 4, "priv", null},
                    {9, 0, 30, 2, 1700000300, 8, "storage.cfg", STORAGE.getBytes(StandardCharsets.UTF_8)},
                    {11, 4, 35, 1, 1700000350, 8, "100.conf", VM.getBytes(StandardCharsets.UTF_8)},
                    {12, 7, 12, 1, 1700000100, 8, "shadow.cfg", "root:x:\n".getBytes(StandardCharsets.UTF_8)},
                    {13, 2, 13, 2, 1700000100, 4, "pve2", null},
                    {14, 13, 14, 2, 1700000100, 4, "lxc", null},
                    {15, 14, 39, 2, 1700000390, 8, "200.conf", "arch: amd64\n".getBytes(StandardCharsets.UTF_8)},
                    {16, 0, 16, 1, 1700000100, 4, "ha", null},
                    {17, 16, 17, 1, 1700000100, 8, "resources.cfg", new byte[0]},
            };
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO tree VALUES (?,?,?,?,?,?,?,?)")) {
                for (Object[] r : rows) {
                    for (int i = 0; i < 8; i++) ps.setObject(i + 1, r[i]);
                    ps.executeUpdate();
                }
            }
        }
        return db;
    }
}
