package org.haven.cfs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MemTreeTest {
    static final long T0 = 1_700_000_000_000L;

    static byte[] b(String s) { return s.getBytes(StandardCharsets.UTF_8); }

    MemTree tree() {
        MemTree t = new MemTree(CfsLimits.PVE);
        t.mkdirs("nodes/n1/qemu-server", 1, T0);
        t.mkdirs("nodes/n1/lxc", 1, T0);
        t.mkdirs("nodes/n2/qemu-server", 2, T0);
        t.mkdirs("nodes/n2/lxc", 2, T0);
        return t;
    }

    @Test
    void versionsInodesWriterAndMtime() {
        MemTree t = tree();
        long v0 = t.version();
        long v1 = t.write("storage.cfg", b("a"), false, 2, T0 + 5_500);
        assertThat(v1).isEqualTo(v0 + 1);
        MemTree.Node e = t.lookup("storage.cfg").orElseThrow();
        assertThat(e.inode).isEqualTo(v1);
        assertThat(e.version()).isEqualTo(v1);
        assertThat(e.writer()).isEqualTo(2);
        assertThat(e.mtime()).isEqualTo((T0 + 5_500) / 1000);
        long v2 = t.write("storage.cfg", b("bb"), false, 3, T0 + 9_000);
        assertThat(e.inode).isEqualTo(v1);
        assertThat(e.version()).isEqualTo(v2);
        assertThat(e.writer()).isEqualTo(3);
        assertThat(t.totalSize()).isEqualTo(2);
        assertThat(t.lookup("").orElseThrow().version()).isEqualTo(v2);
    }

    @Test
    void errorTable() {
        MemTree t = tree();
        t.write("f", b("x"), false, 1, T0);
        t.mkdirs("d/e", 1, T0);
        Object[][] cases = {
                {(Runnable) () -> t.write("missing/f", b("x"), false, 1, T0), Errno.ENOENT},
                {(Runnable) () -> t.write("f/g", b("x"), false, 1, T0), Errno.ENOTDIR},
                {(Runnable) () -> t.write("d", b("x"), false, 1, T0), Errno.EISDIR},
                {(Runnable) () -> t.write("f", b("x"), true, 1, T0), Errno.EEXIST},
                {(Runnable) () -> t.write(".vmlist", b("x"), false, 1, T0), Errno.EACCES},
                {(Runnable) () -> t.write("local", b("x"), false, 1, T0), Errno.EACCES},
                {(Runnable) () -> t.write("big", new byte[(1 << 20) + 1], false, 1, T0), Errno.EFBIG},
                {(Runnable) () -> t.delete("d", 1, T0), Errno.ENOTEMPTY},
                {(Runnable) () -> t.rename("d", "d2", 1, T0), Errno.ENOTEMPTY},
                {(Runnable) () -> t.rename("nope", "d2", 1, T0), Errno.ENOENT},
                {(Runnable) () -> t.rename("d/e", "d/e/x", 1, T0), Errno.EINVAL},
                {(Runnable) () -> t.rename("d/e", "f", 1, T0), Errno.EEXIST},
                {(Runnable) () -> t.mkdirs("f/x", 1, T0), Errno.EEXIST},
                {(Runnable) () -> t.write("priv/lock/x", b("x"), false, 1, T0), Errno.ENOENT},
        };
        for (Object[] c : cases) {
            long before = t.version();
            assertThatThrownBy(((Runnable) c[0])::run).isInstanceOfSatisfying(Errno.Failure.class,
                    f -> assertThat(f.errno).isEqualTo(c[1]));
            assertThat(t.version()).as("failed op changed nothing").isEqualTo(before);
        }
    }

    @Test
    void vmidUniquenessAndMoves() {
        MemTree t = tree();
        t.write("nodes/n1/qemu-server/100.conf", b("a"), true, 1, T0);
        assertThatThrownBy(() -> t.write("nodes/n2/lxc/100.conf", b("b"), false, 2, T0)).isInstanceOf(Errno.Failure.class);
        t.rename("nodes/n1/qemu-server/100.conf", "nodes/n2/qemu-server", 2, T0);
        assertThat(t.vmids().get(100)).isEqualTo(new CfsPath.GuestConfig("n2", "qemu-server", 100));
        assertThat(t.read("nodes/n2/qemu-server/100.conf")).isPresent();
        t.write("nodes/n1/qemu-server/tmp", b("x"), false, 1, T0);
        assertThatThrownBy(() -> t.rename("nodes/n1/qemu-server/tmp", "nodes/n1/qemu-server/100.conf", 1, T0))
                .isInstanceOf(Errno.Failure.class);
        // replacing the same guest's config via a temp file is allowed
        t.write("nodes/n2/qemu-server/tmp", b("new"), false, 2, T0);
        t.rename("nodes/n2/qemu-server/tmp", "nodes/n2/qemu-server/100.conf", 2, T0);
        assertThat(new String(t.read("nodes/n2/qemu-server/100.conf").orElseThrow())).isEqualTo("new");
        assertThat(t.vmids()).hasSize(1);
    }

    @Test
    void locksFollowPmxcfs() {
        MemTree t = tree();
        t.lock("ha_manager_lock", MemTree.LockMode.ACQUIRE, 1, T0);
        assertThat(t.lockHolder("ha_manager_lock", T0)).contains(1);
        assertThatThrownBy(() -> t.lock("ha_manager_lock", MemTree.LockMode.ACQUIRE, 1, T0 + 1000)).isInstanceOf(Errno.Failure.class);
        assertThatThrownBy(() -> t.lock("ha_manager_lock", MemTree.LockMode.TRY, 2, T0 + 1000)).isInstanceOf(Errno.Failure.class);
        assertThatThrownBy(() -> t.lock("ha_manager_lock", MemTree.LockMode.REFRESH, 2, T0 + 1000)).isInstanceOf(Errno.Failure.class);
        assertThatThrownBy(() -> t.lock("ha_manager_lock", MemTree.LockMode.RELEASE, 2, T0 + 1000)).isInstanceOf(Errno.Failure.class);
        t.lock("ha_manager_lock", MemTree.LockMode.TRY, 1, T0 + 100_000); // refresh
        assertThat(t.lockHolder("ha_manager_lock", T0 + 219_000)).contains(1);
        assertThat(t.lockHolder("ha_manager_lock", T0 + 220_000)).isEmpty();
        t.lock("ha_manager_lock", MemTree.LockMode.TRY, 2, T0 + 220_000); // expired: node 2 takes it
        assertThat(t.lockHolder("ha_manager_lock", T0 + 220_000)).contains(2);
        t.lock("ha_manager_lock", MemTree.LockMode.RELEASE, 2, T0 + 221_000);
        assertThat(t.lockHolder("ha_manager_lock", T0 + 221_000)).isEmpty();
        assertThat(t.list(MemTree.LOCK_DIR)).isEmpty();
        assertThatThrownBy(() -> t.lock("a/b", MemTree.LockMode.ACQUIRE, 1, T0)).isInstanceOf(Errno.Failure.class);
    }

    @Test
    void rowsRoundTripThroughConfigDb(@TempDir Path dir) {
        MemTree t = tree();
        t.write("storage.cfg", b("dir: local\n"), false, 1, T0);
        t.mkdirs("priv", 1, T0);
        t.write("priv/shadow.cfg", b("secret"), false, 2, T0 + 1000);
        t.write("nodes/n1/qemu-server/100.conf", b("memory: 1\n"), false, 1, T0);
        t.write("empty", new byte[0], false, 1, T0);
        t.lock("file-storage_cfg", MemTree.LockMode.ACQUIRE, 3, T0);
        Path db = dir.resolve("config.db");
        ConfigDb.write(db, t.rows());
        MemTree back = ConfigDb.load(db, CfsLimits.PVE);
        assertRowsEqual(back.rows(), t.rows());
        assertThat(back.vmids()).isEqualTo(t.vmids());
        assertThat(back.lockHolder("file-storage_cfg", T0 + 1000)).contains(3);
        assertThat(back.read("empty")).contains(new byte[0]);
        assertThat(back.totalSize()).isEqualTo(t.totalSize());
    }

    static void assertRowsEqual(List<MemTree.Row> a, List<MemTree.Row> b) {
        assertThat(a).hasSameSizeAs(b);
        for (int i = 0; i < a.size(); i++) {
            MemTree.Row x = a.get(i), y = b.get(i);
            assertThat(new Object[] {x.inode(), x.parent(), x.version(), x.writer(), x.mtime(), x.type(), x.name()})
                    .as("row %d", i).containsExactly(y.inode(), y.parent(), y.version(), y.writer(), y.mtime(), y.type(), y.name());
            assertThat(x.data()).isEqualTo(y.data());
        }
    }

    /** Random operations: replicas stay identical, invariants hold, and the tree matches a flat model. */
    @Test
    void randomOperationsAreDeterministicAndKeepInvariants() {
        Random r = new Random(20261122);
        MemTree a = tree(), b = tree();
        Map<String, String> model = new HashMap<>();
        String[] dirs = {"", "nodes/n1/qemu-server", "nodes/n1/lxc", "nodes/n2/qemu-server", "nodes/n2/lxc", "ha", "x/y"};
        String[] names = {"100.conf", "101.conf", "102.conf", "f", "g.cfg"};
        for (int i = 0; i < 20_000; i++) {
            String d = dirs[r.nextInt(dirs.length)];
            String p = (d.isEmpty() ? "" : d + "/") + names[r.nextInt(names.length)];
            long t = T0 + i * 100L;
            int w = 1 + r.nextInt(3);
            CfsOp op = switch (r.nextInt(6)) {
                case 0, 1 -> new CfsOp.Write(p, b("v" + i), r.nextInt(4) == 0 ? 0 : -1);
                case 2 -> new CfsOp.Delete(p);
                case 3 -> new CfsOp.Rename(p, dirs[r.nextInt(dirs.length)] + (r.nextBoolean() ? "" : "/" + names[r.nextInt(names.length)]));
                case 4 -> new CfsOp.Mkdirs(d);
                default -> new CfsOp.Lock("l" + r.nextInt(3), MemTree.LockMode.values()[r.nextInt(4)]);
            };
            if (op instanceof CfsOp.Rename rn && rn.to().startsWith("/")) op = new CfsOp.Rename(rn.from(), rn.to().substring(1));
            CfsOp.Envelope env = CfsOp.decode(CfsOp.encode(new CfsOp.Envelope(w, t, op)));
            CfsOp.Result ra = CfsOp.apply(a, env);
            CfsOp.Result rb = CfsOp.apply(b, env);
            assertThat(rb).isEqualTo(ra);
            if (ra.ok()) {
                switch (op) {
                    case CfsOp.Write wr -> model.put(wr.path(), "v" + i);
                    case CfsOp.Delete dl -> model.remove(dl.path());
                    case CfsOp.Rename rn -> {
                        String to = ra.changed().isEmpty() ? rn.from() : ra.changed().get(1);
                        String v = model.remove(rn.from());
                        if (v != null) model.put(to, v);
                    }
                    default -> { }
                }
            }
            if (i % 1000 == 999) {
                checkInvariants(a, model);
                assertRowsEqual(b.rows(), a.rows());
            }
        }
        checkInvariants(a, model);
        MemTree copy = a.copy();
        assertRowsEqual(copy.rows(), a.rows());
    }

    private static void checkInvariants(MemTree t, Map<String, String> model) {
        Set<Integer> seen = new HashSet<>();
        long size = 0, count = 0;
        List<String> stack = new ArrayList<>(List.of(""));
        Map<String, String> files = new HashMap<>();
        while (!stack.isEmpty()) {
            String d = stack.remove(stack.size() - 1);
            for (MemTree.Node n : t.list(d)) {
                String p = d.isEmpty() ? n.name() : d + "/" + n.name();
                count++;
                if (n.isDir()) { stack.add(p); continue; }
                size += n.size();
                files.put(p, new String(n.data(), StandardCharsets.UTF_8));
                CfsPath.guestConfig(p).ifPresent(g -> {
                    assertThat(seen.add(g.vmid())).as("vmid %d unique", g.vmid()).isTrue();
                    assertThat(t.vmids().get(g.vmid())).isEqualTo(g);
                });
            }
        }
        assertThat(t.vmids()).hasSize(seen.size());
        assertThat(t.totalSize()).isEqualTo(size);
        assertThat(t.inodeCount()).isEqualTo(count);
        assertThat(files).isEqualTo(model);
    }
}
