package org.haven.storage.bench;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.cfs.LocalClusterFs;
import org.haven.storage.LoopDevice;
import org.haven.storage.StorageManager;
import org.haven.storage.TestSupport;
import org.haven.storage.spi.CommandRunner;
import org.haven.storage.spi.ExportFormat;
import org.haven.storage.spi.ProcessCommandRunner;

/**
 * Storage throughput of Haven's storage layer next to the bare tools doing the same work: allocation, linked clones
 * and export/import on dir (qemu-img), btrfs (subvolumes, snapshots, send/receive) and LVM (lvcreate). Prints one
 * line per case with both timings and the ratio Haven/bare (1.00 = no overhead). Needs root for loop devices.
 */
public final class StorageBench {
    static final long MIB = 1024 * 1024;

    record Result(String name, double havenMs, double bareMs) {
        String line() {
            return String.format("%-34s haven %9.1f ms   bare %9.1f ms   ratio %5.2f", name, havenMs, bareMs, havenMs / bareMs);
        }
    }

    interface Work { void run() throws Exception; }

    static double time(Work w) throws Exception {
        long t0 = System.nanoTime();
        w.run();
        return (System.nanoTime() - t0) / 1e6;
    }

    static void sh(String... cmd) { TestSupport.sh(cmd); }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        long xferMib = args.length > 1 ? Long.parseLong(args[1]) : 256;
        Path tmp = Files.createTempDirectory("haven-storage-bench");
        List<Result> results = new ArrayList<>();
        LoopDevice btrfsLoop = null;
        LoopDevice lvmLoop = null;
        Path mnt = tmp.resolve("mnt");
        boolean mounted = false;
        String vg = "havenbench" + Long.toHexString(System.nanoTime() & 0xffffL);
        Map<String, String> lvmEnv = Map.of();
        CommandRunner run = new ProcessCommandRunner();
        try {
            btrfsLoop = LoopDevice.create(tmp, "btrfs", (xferMib * 3 + 1024) * MIB);
            sh("mkfs.btrfs", "-q", "-f", btrfsLoop.device);
            Files.createDirectories(mnt);
            sh("mount", btrfsLoop.device, mnt.toString());
            mounted = true;
            if (!Files.readString(Path.of("/proc/misc")).contains("device-mapper")) {
                Path conf = tmp.resolve("lvmconf");
                Files.createDirectories(conf);
                Files.writeString(conf.resolve("lvm.conf"), "global {\n activation = 0\n}\n");
                lvmEnv = Map.of("LVM_SYSTEM_DIR", conf.toString());
                System.out.println("note: no device-mapper in this kernel; LVM runs with activation disabled (metadata only)");
            }
            CommandRunner lvmRun = new ProcessCommandRunner(lvmEnv);
            lvmLoop = LoopDevice.create(tmp, "lvm", 4096 * MIB);
            lvmRun.check(List.of("pvcreate", "-q", lvmLoop.device));
            lvmRun.check(List.of("vgcreate", "-q", vg, lvmLoop.device));

            LocalClusterFs cfs = TestSupport.cfs(tmp.resolve("cfs"), "bench");
            cfs.writeString("storage.cfg", """
                    dir: d1
                    	path %s
                    	content images

                    dir: d2
                    	path %s
                    	content images

                    btrfs: b1
                    	path %s
                    	content images

                    btrfs: b2
                    	path %s
                    	content images

                    lvm: l1
                    	vgname %s
                    	content images

                    """.formatted(tmp.resolve("d1"), tmp.resolve("d2"), mnt.resolve("b1"), mnt.resolve("b2"), vg));
            StorageManager sm = new StorageManager(cfs, "bench", tmp.resolve("vz"), new ProcessCommandRunner(lvmEnv));
            for (String s : List.of("d1", "d2", "b1", "b2")) sm.activateStorage(s);
            Path bare = tmp.resolve("bare");
            Files.createDirectories(bare);

            // ---- dir: allocation ----
            results.add(new Result("dir alloc qcow2 x" + n,
                    time(() -> { for (int i = 0; i < n; i++) sm.alloc("d1", 100, "qcow2", null, 1024 * MIB); }),
                    time(() -> { for (int i = 0; i < n; i++) sh("qemu-img", "create", "-o", "preallocation=metadata", "-f", "qcow2",
                            bare.resolve("a" + i + ".qcow2").toString(), "1048576K"); })));
            // ---- dir: linked clones ----
            String base = sm.createBase(sm.alloc("d1", 200, "qcow2", null, 1024 * MIB));
            sh("qemu-img", "create", "-f", "qcow2", bare.resolve("base.qcow2").toString(), "1G");
            results.add(new Result("dir linked clone x" + n,
                    time(() -> { for (int i = 0; i < n; i++) sm.cloneImage(base, 300 + i, null); }),
                    time(() -> { for (int i = 0; i < n; i++) sh("qemu-img", "create", "-b", "base.qcow2", "-F", "qcow2", "-f", "qcow2",
                            bare.resolve("c" + i + ".qcow2").toString()); })));
            // ---- dir: export/import raw+size through a file ----
            String src = sm.alloc("d1", 400, "raw", null, xferMib * MIB);
            sh("dd", "if=/dev/urandom", "of=" + sm.path(src), "bs=1M", "count=" + xferMib, "conv=notrunc", "status=none");
            Path stream = tmp.resolve("stream.bin");
            results.add(new Result("dir export+import raw " + xferMib + "MiB",
                    time(() -> {
                        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(stream), 1 << 16)) {
                            sm.exportVolume(src, ExportFormat.RAW_SIZE, null, null, false, o);
                        }
                        try (InputStream in = new BufferedInputStream(Files.newInputStream(stream), 1 << 16)) {
                            sm.importVolume("d2:400/vm-400-disk-0.raw", ExportFormat.RAW_SIZE, null, null, false, false, in);
                        }
                    }),
                    time(() -> {
                        sh("dd", "if=" + sm.path(src), "of=" + stream, "bs=64k", "status=none");
                        sh("dd", "if=" + stream, "of=" + bare.resolve("imp.raw"), "conv=sparse", "bs=64k", "status=none");
                    })));

            // ---- btrfs: allocation, clones, send/receive ----
            Files.createDirectories(mnt.resolve("bare"));
            results.add(new Result("btrfs alloc raw x" + n,
                    time(() -> { for (int i = 0; i < n; i++) sm.alloc("b1", 100, "raw", null, 1024 * MIB); }),
                    time(() -> { for (int i = 0; i < n; i++) {
                        Path sv = mnt.resolve("bare/a" + i);
                        sh("btrfs", "subvolume", "create", "--", sv.toString());
                        sh("qemu-img", "create", "-o", "preallocation=off", "-f", "raw", sv.resolve("disk.raw").toString(), "1048576K");
                    } })));
            String bbase = sm.createBase(sm.alloc("b1", 200, "raw", null, 1024 * MIB));
            sh("btrfs", "subvolume", "create", "--", mnt.resolve("bare/base").toString());
            results.add(new Result("btrfs clone x" + n,
                    time(() -> { for (int i = 0; i < n; i++) sm.cloneImage(bbase, 300 + i, null); }),
                    time(() -> { for (int i = 0; i < n; i++) sh("btrfs", "subvolume", "snapshot", "--", mnt.resolve("bare/base").toString(),
                            mnt.resolve("bare/c" + i).toString()); })));
            String bsrc = sm.alloc("b1", 400, "raw", null, xferMib * MIB);
            sh("dd", "if=/dev/urandom", "of=" + sm.path(bsrc), "bs=1M", "count=" + xferMib, "conv=notrunc", "status=none");
            sm.snapshot(bsrc, "s1");
            Path bstream = tmp.resolve("bstream.bin");
            Path bareRecv = mnt.resolve("bare/recv");
            Files.createDirectories(bareRecv);
            results.add(new Result("btrfs send+receive " + xferMib + "MiB",
                    time(() -> {
                        try (OutputStream o = new BufferedOutputStream(Files.newOutputStream(bstream), 1 << 16)) {
                            sm.exportVolume(bsrc, ExportFormat.BTRFS, "s1", null, false, o);
                        }
                        try (InputStream in = new BufferedInputStream(Files.newInputStream(bstream), 1 << 16)) {
                            sm.importVolume("b2:400/vm-400-disk-0.raw", ExportFormat.BTRFS, "s1", null, false, false, in);
                        }
                    }),
                    time(() -> {
                        sh("sh", "-c", "btrfs -q send -e -- \"$0\" > \"$1\"", mnt.resolve("b1/images/400/vm-400-disk-0@s1").toString(), bstream.toString());
                        sh("sh", "-c", "btrfs -q receive -e -- \"$0\" < \"$1\"", bareRecv.toString(), bstream.toString());
                    })));

            // ---- lvm: allocation ----
            CommandRunner lr = new ProcessCommandRunner(lvmEnv);
            int ln = Math.min(n, 20);
            results.add(new Result("lvm alloc x" + ln,
                    time(() -> { for (int i = 0; i < ln; i++) sm.alloc("l1", 100, "raw", null, 8 * MIB); }),
                    time(() -> { for (int i = 0; i < ln; i++) lr.check(List.of("lvcreate", "-aly", "-Wy", "--yes", "--size", "8192k",
                            "--name", "bare-" + i, vg)); })));
        } finally {
            new ProcessCommandRunner(lvmEnv).run(List.of("vgremove", "-f", "-y", vg), Map.of(), null);
            if (lvmLoop != null) {
                new ProcessCommandRunner(lvmEnv).run(List.of("pvremove", "-y", "-q", lvmLoop.device), Map.of(), null);
                lvmLoop.close();
            }
            if (mounted) TestSupport.quiet("umount", mnt.toString());
            if (btrfsLoop != null) btrfsLoop.close();
            TestSupport.deleteTree(tmp);
        }
        System.out.println("storage benchmark (" + Runtime.getRuntime().availableProcessors() + " cores), Haven vs bare tools:");
        for (Result r : results) System.out.println(r.line());
    }
}
