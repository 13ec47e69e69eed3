package org.haven.cfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * pmxcfs's {@code config.db}: an SQLite file with one table
 * {@code tree(inode, parent, version, writer, mtime, type, name, data)}; type 4 is a directory, 8 a file,
 * inode 0 is the {@code __version__} row holding the tree version.
 */
public final class ConfigDb {
    private ConfigDb() {}

    /** The schema pmxcfs creates. */
    public static final String SCHEMA = "CREATE TABLE IF NOT EXISTS tree ("
            + "  inode INTEGER PRIMARY KEY NOT NULL,"
            + "  parent INTEGER NOT NULL CHECK(typeof(parent)=='integer'),"
            + "  version INTEGER NOT NULL CHECK(typeof(version)=='integer'),"
            + "  writer INTEGER NOT NULL CHECK(typeof(writer)=='integer'),"
            + "  mtime INTEGER NOT NULL CHECK(typeof(mtime)=='integer'),"
            + "  type INTEGER NOT NULL CHECK(typeof(type)=='integer'),"
            + "  name TEXT NOT NULL,"
            + "  data BLOB);";

    static {
        try {
            Class.forName("org.sqlite.JDBC");
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** Reads every row of a config.db. */
    public static List<MemTree.Row> read(Path db) {
        if (!Files.isRegularFile(db)) throw new UncheckedIOException(new java.io.FileNotFoundException(db.toString()));
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:file:" + db.toAbsolutePath() + "?mode=ro");
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT inode, parent, version, writer, mtime, type, name, data FROM tree ORDER BY inode")) {
            List<MemTree.Row> rows = new ArrayList<>();
            while (rs.next()) {
                rows.add(new MemTree.Row(rs.getLong(1), rs.getLong(2), rs.getLong(3), rs.getInt(4), rs.getLong(5),
                        rs.getInt(6), rs.getString(7), rs.getBytes(8)));
            }
            return rows;
        } catch (SQLException e) {
            throw new IllegalArgumentException("cannot read " + db + ": " + e.getMessage(), e);
        }
    }

    /** Reads a config.db into a tree. */
    public static MemTree load(Path db, CfsLimits limits) {
        return MemTree.fromRows(read(db), limits);
    }

    /** Writes {@code rows} as a new config.db at {@code db} (atomically replacing it; mode 0600). */
    public static void write(Path db, List<MemTree.Row> rows) {
        Path tmp = db.resolveSibling(db.getFileName() + ".tmp");
        try {
            Files.deleteIfExists(tmp);
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + tmp.toAbsolutePath())) {
                try (Statement s = c.createStatement()) {
                    s.execute(SCHEMA);
                }
                c.setAutoCommit(false);
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO tree (inode, parent, version, writer, mtime, type, name, data) VALUES (?,?,?,?,?,?,?,?)")) {
                    for (MemTree.Row r : rows) {
                        ps.setLong(1, r.inode());
                        ps.setLong(2, r.parent());
                        ps.setLong(3, r.version());
                        ps.setLong(4, r.writer());
                        ps.setLong(5, r.mtime());
                        ps.setLong(6, r.type());
                        ps.setString(7, r.name());
                        if (r.data() == null) ps.setNull(8, java.sql.Types.BLOB);
                        else ps.setBytes(8, r.data());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                c.commit();
            }
            Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            Files.move(tmp, db, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot write " + db + ": " + e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
