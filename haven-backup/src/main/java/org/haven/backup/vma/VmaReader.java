package org.haven.backup.vma;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.List;
import java.util.UUID;

/**
 * Reads a VMA archive from a stream and checks it as it goes: magic, version, header and extent MD5s, the UUID of
 * every extent, block counts, clusters inside their device, no cluster twice and, at the end, none missing. With a
 * {@link Sink}, hands every cluster (zeros where blocks are absent) to it; without one it only verifies, which is
 * how a restore refuses a corrupt archive before it writes anything.
 */
public final class VmaReader {
    private VmaReader() {}

    /** A corrupt or unreadable archive. */
    public static final class VmaException extends IOException {
        public VmaException(String m) { super(m); }
    }

    public record Header(UUID uuid, long ctime, List<Vma.Config> configs, List<Vma.Device> devices) {
        public Vma.Config config(String name) {
            return configs.stream().filter(c -> c.name().equals(name)).findFirst().orElse(null);
        }
    }

    /** Receives the content of a device: {@code len} bytes at {@code offset}; {@code zero} when all of them are 0. */
    public interface Sink {
        void write(Vma.Device dev, long offset, byte[] buf, int len, boolean zero) throws IOException;
    }

    public static Header readHeader(InputStream in) throws IOException {
        byte[] fixed = readFully(in, Vma.BLOB_BUFFER_OFFSET, "header");
        ByteBuffer b = ByteBuffer.wrap(fixed);
        if (!Arrays.equals(fixed, 0, 4, Vma.MAGIC, 0, 4)) throw new VmaException("not a vma file - wrong magic");
        if (b.getInt(4) != 1) throw new VmaException("wrong vma version " + b.getInt(4));
        long blobOffset = b.getInt(48) & 0xffffffffL, blobSize = b.getInt(52) & 0xffffffffL, headerSize = b.getInt(56) & 0xffffffffL;
        if (headerSize % 512 != 0 || blobOffset % 512 != 0 || blobSize % 512 != 0 || blobOffset < Vma.BLOB_BUFFER_OFFSET
                || blobOffset + blobSize > headerSize || headerSize > 16L << 20) {
            throw new VmaException("wrong vma header size/offsets");
        }
        byte[] h = Arrays.copyOf(fixed, (int) headerSize);
        byte[] rest = readFully(in, (int) headerSize - Vma.BLOB_BUFFER_OFFSET, "header");
        System.arraycopy(rest, 0, h, Vma.BLOB_BUFFER_OFFSET, rest.length);
        byte[] md5 = Arrays.copyOfRange(h, 32, 48);
        Arrays.fill(h, 32, 48, (byte) 0);
        if (!Arrays.equals(md5, VmaWriter.md5(h))) throw new VmaException("wrong vma header checksum");
        UUID uuid = new UUID(b.getLong(8), b.getLong(16));
        byte[] blobs = Arrays.copyOfRange(h, (int) blobOffset, (int) (blobOffset + blobSize));
        List<Vma.Config> configs = new ArrayList<>();
        for (int i = 0; i < Vma.MAX_CONFIGS; i++) {
            int n = b.getInt(2044 + 4 * i), d = b.getInt(3068 + 4 * i);
            if (n == 0 && d == 0) continue;
            if (n == 0 || d == 0) throw new VmaException("config entry " + i + " is incomplete");
            configs.add(new Vma.Config(name(blobs, n), blob(blobs, d)));
        }
        List<Vma.Device> devices = new ArrayList<>();
        for (int id = 1; id < Vma.MAX_DEVICES; id++) {
            int at = 4096 + 32 * id;
            int n = b.getInt(at);
            long size = b.getLong(at + 8);
            if (n == 0 || size == 0) continue;
            if (size < 0) throw new VmaException("device " + id + " has a wrong size");
            devices.add(new Vma.Device(id, name(blobs, n), size));
        }
        return new Header(uuid, b.getLong(24), List.copyOf(configs), List.copyOf(devices));
    }

    private static byte[] blob(byte[] blobs, int off) throws VmaException {
        if (off < 0 || off + 2 > blobs.length) throw new VmaException("blob offset out of range");
        int len = (blobs[off] & 0xff) | (blobs[off + 1] & 0xff) << 8;
        if (off + 2 + len > blobs.length) throw new VmaException("blob out of range");
        return Arrays.copyOfRange(blobs, off + 2, off + 2 + len);
    }

    private static String name(byte[] blobs, int off) throws VmaException {
        byte[] b = blob(blobs, off);
        if (b.length == 0 || b[b.length - 1] != 0) throw new VmaException("name blob is not NUL-terminated");
        return new String(b, 0, b.length - 1, StandardCharsets.UTF_8);
    }

    /** Reads the whole archive, checking it; every cluster goes to {@code sink} when there is one. */
    public static Header read(InputStream in, Sink sink) throws IOException {
        Header h = readHeader(in);
        Vma.Device[] byId = new Vma.Device[Vma.MAX_DEVICES];
        BitSet[] seen = new BitSet[Vma.MAX_DEVICES];
        for (Vma.Device d : h.devices()) { byId[d.id()] = d; seen[d.id()] = new BitSet(); }
        byte[] uuid = VmaWriter.uuidBytes(h.uuid());
        byte[] eh = new byte[Vma.EXTENT_HEADER];
        byte[] blocks = new byte[Vma.CLUSTERS_PER_EXTENT * Vma.CLUSTER];
        byte[] cluster = new byte[Vma.CLUSTER];
        long vmstateNext = 0;
        while (true) {
            int n = in.readNBytes(eh, 0, Vma.EXTENT_HEADER);
            if (n == 0) break;
            if (n < Vma.EXTENT_HEADER) throw new VmaException("truncated extent header");
            ByteBuffer e = ByteBuffer.wrap(eh);
            if (!Arrays.equals(eh, 0, 4, Vma.EXTENT_MAGIC, 0, 4)) throw new VmaException("wrong extent magic");
            if (e.getShort(4) != 0) throw new VmaException("wrong extent header (reserved bytes set)");
            if (!Arrays.equals(eh, 8, 24, uuid, 0, 16)) throw new VmaException("wrong extent uuid");
            byte[] md5 = Arrays.copyOfRange(eh, 24, 40);
            Arrays.fill(eh, 24, 40, (byte) 0);
            if (!Arrays.equals(md5, VmaWriter.md5(eh))) throw new VmaException("wrong extent header checksum");
            int blockCount = e.getShort(6) & 0xffff;
            if (blockCount > Vma.CLUSTERS_PER_EXTENT * Vma.BLOCKS_PER_CLUSTER) throw new VmaException("wrong extent block count");
            int got = in.readNBytes(blocks, 0, blockCount * Vma.BLOCK);
            if (got < blockCount * Vma.BLOCK) throw new VmaException("truncated extent (short read)");
            int used = 0;
            for (int i = 0; i < Vma.CLUSTERS_PER_EXTENT; i++) {
                long info = e.getLong(40 + 8 * i);
                if (info == 0) continue;
                int mask = (int) (info >>> 48) & 0xffff;
                int devId = (int) (info >>> 32) & 0xff;
                long clusterNo = info & 0xffffffffL;
                Vma.Device dev = byId[devId];
                if (dev == null) throw new VmaException("extent refers to unknown device " + devId);
                if (clusterNo >= dev.clusters()) throw new VmaException("cluster " + clusterNo + " beyond the end of " + dev.name());
                if (dev.name().equals("vmstate")) {
                    if (clusterNo != vmstateNext) throw new VmaException("vmstate clusters out of order");
                    vmstateNext++;
                }
                if (clusterNo > Integer.MAX_VALUE || seen[devId].get((int) clusterNo)) throw new VmaException("detected duplicate cluster " + clusterNo + " of " + dev.name());
                seen[devId].set((int) clusterNo);
                boolean zero = mask == 0;
                for (int b = 0; b < Vma.BLOCKS_PER_CLUSTER; b++) {
                    if ((mask & (1 << b)) != 0) {
                        if (used >= blockCount) throw new VmaException("extent block count too small for its clusters");
                        System.arraycopy(blocks, used++ * Vma.BLOCK, cluster, b * Vma.BLOCK, Vma.BLOCK);
                    } else if (sink != null) {
                        Arrays.fill(cluster, b * Vma.BLOCK, (b + 1) * Vma.BLOCK, (byte) 0);
                    }
                }
                if (sink != null) {
                    long off = clusterNo * Vma.CLUSTER;
                    sink.write(dev, off, cluster, (int) Math.min(Vma.CLUSTER, dev.size() - off), zero);
                }
            }
            if (used != blockCount) throw new VmaException("extent block count does not match its clusters");
        }
        for (Vma.Device d : h.devices()) {
            if (seen[d.id()].cardinality() != d.clusters() && !d.name().equals("vmstate")) {
                throw new VmaException("detected missing cluster " + seen[d.id()].nextClearBit(0) + " of " + d.name());
            }
        }
        return h;
    }

    private static byte[] readFully(InputStream in, int n, String what) throws IOException {
        byte[] b = in.readNBytes(n);
        if (b.length < n) throw new VmaException(b.length == 0 && what.equals("header") ? "not a vma file - empty" : "truncated " + what);
        return b;
    }

}
