package org.haven.backup.vma;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * A VMA reader for tests, written from the format description alone (it shares no code with the archive code
 * under test). {@link #read} checks the header and every extent header checksum, the UUIDs, block counts, that
 * each cluster of each device appears exactly once, and returns the config files and the devices' content.
 */
public final class ArchiveCheck {
    public final Map<String, byte[]> configs = new LinkedHashMap<>();
    /** Device name → content (devices of tests are small enough to hold in memory). */
    public final Map<String, byte[]> disks = new TreeMap<>();
    public long ctime;
    public int extents;

    public static ArchiveCheck read(InputStream raw) throws IOException {
        ArchiveCheck a = new ArchiveCheck();
        DataInputStream in = new DataInputStream(raw);
        byte[] first = new byte[12288];
        in.readFully(first);
        check(first[0] == 'V' && first[1] == 'M' && first[2] == 'A' && first[3] == 0, "magic");
        check(be32(first, 4) == 1, "version");
        int headerSize = be32(first, 56), blobOff = be32(first, 48), blobSize = be32(first, 52);
        check(headerSize % 512 == 0 && blobOff % 512 == 0 && blobSize % 512 == 0 && blobOff >= 12288 && headerSize > 12288, "header sizes");
        byte[] header = Arrays.copyOf(first, headerSize);
        in.readFully(header, 12288, headerSize - 12288);
        byte[] sum = Arrays.copyOfRange(header, 32, 48);
        byte[] zeroed = header.clone();
        Arrays.fill(zeroed, 32, 48, (byte) 0);
        check(Arrays.equals(sum, md5(zeroed)), "header md5");
        byte[] uuid = Arrays.copyOfRange(header, 8, 24);
        a.ctime = be64(header, 24);
        for (int i = 0; i < 256; i++) {
            int nameOff = be32(header, 2044 + 4 * i), dataOff = be32(header, 3068 + 4 * i);
            if (nameOff == 0) continue;
            a.configs.put(nulName(blob(header, blobOff, nameOff)), blob(header, blobOff, dataOff));
        }
        String[] names = new String[256];
        long[] sizes = new long[256];
        boolean[][] present = new boolean[256][];
        for (int id = 0; id < 256; id++) {
            int e = 4096 + 32 * id;
            int nameOff = be32(header, e);
            long size = be64(header, e + 8);
            if (nameOff == 0 || size == 0) continue;
            check(id != 0, "device 0 used");
            names[id] = nulName(blob(header, blobOff, nameOff));
            sizes[id] = size;
            check(size < Integer.MAX_VALUE, "test device too large");
            present[id] = new boolean[(int) ((size + 65535) / 65536)];
            a.disks.put(names[id], new byte[(int) size]);
        }
        byte[] eh = new byte[512];
        while (true) {
            try {
                in.readFully(eh, 0, 1);
            } catch (EOFException end) {
                break;
            }
            in.readFully(eh, 1, 511);
            a.extents++;
            check(eh[0] == 'V' && eh[1] == 'M' && eh[2] == 'A' && eh[3] == 'E', "extent magic");
            check(eh[4] == 0 && eh[5] == 0, "extent reserved");
            check(Arrays.equals(Arrays.copyOfRange(eh, 8, 24), uuid), "extent uuid");
            byte[] esum = Arrays.copyOfRange(eh, 24, 40);
            byte[] ez = eh.clone();
            Arrays.fill(ez, 24, 40, (byte) 0);
            check(Arrays.equals(esum, md5(ez)), "extent md5");
            int blockCount = ((eh[6] & 0xff) << 8) | (eh[7] & 0xff);
            byte[] payload = new byte[blockCount * 4096];
            in.readFully(payload);
            int next = 0;
            for (int i = 0; i < 59; i++) {
                int p = 40 + 8 * i;
                int mask = ((eh[p] & 0xff) << 8) | (eh[p + 1] & 0xff);
                int dev = eh[p + 3] & 0xff;
                long cluster = be32(eh, p + 4) & 0xffffffffL;
                if (mask == 0 && dev == 0 && cluster == 0) continue;
                check(names[dev] != null, "cluster of an unknown device");
                check(cluster < present[dev].length, "cluster past the device end");
                check(!present[dev][(int) cluster], "cluster twice");
                present[dev][(int) cluster] = true;
                byte[] disk = a.disks.get(names[dev]);
                for (int blk = 0; blk < 16; blk++) {
                    if ((mask & (1 << blk)) == 0) continue;
                    check(next < blockCount, "more blocks than block_count");
                    long at = cluster * 65536 + blk * 4096L;
                    int len = (int) Math.max(0, Math.min(4096, sizes[dev] - at));
                    System.arraycopy(payload, next * 4096, disk, (int) at, len);
                    next++;
                }
            }
            check(next == blockCount, "block_count does not match the masks");
        }
        for (int id = 1; id < 256; id++) {
            if (names[id] == null) continue;
            for (boolean p : present[id]) check(p, "missing cluster of " + names[id]);
        }
        return a;
    }

    private static byte[] blob(byte[] header, int blobOff, int off) {
        int at = blobOff + off;
        int len = (header[at] & 0xff) | ((header[at + 1] & 0xff) << 8);
        return Arrays.copyOfRange(header, at + 2, at + 2 + len);
    }

    private static String nulName(byte[] b) {
        check(b.length > 0 && b[b.length - 1] == 0, "name not NUL-terminated");
        return new String(b, 0, b.length - 1, StandardCharsets.UTF_8);
    }

    private static int be32(byte[] b, int o) { return ((b[o] & 0xff) << 24) | ((b[o + 1] & 0xff) << 16) | ((b[o + 2] & 0xff) << 8) | (b[o + 3] & 0xff); }

    private static long be64(byte[] b, int o) { return ((long) be32(b, o) << 32) | (be32(b, o + 4) & 0xffffffffL); }

    private static byte[] md5(byte[] b) {
        try {
            return MessageDigest.getInstance("MD5").digest(b);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    private static void check(boolean ok, String what) {
        if (!ok) throw new AssertionError("bad VMA archive: " + what);
    }
}
