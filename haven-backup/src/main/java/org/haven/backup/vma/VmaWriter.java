package org.haven.backup.vma;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;
import java.util.function.LongConsumer;

/**
 * Writes a VMA archive to a stream: the header with the config files and the device table at once, then
 * {@link #writeDevice} per device (its clusters in order, packed 59 per extent, zero 4 KiB blocks left out), then
 * {@link #finish}. Not thread-safe; the stream is not closed.
 */
public final class VmaWriter {
    private static final byte[] ZERO_BLOCK = new byte[Vma.BLOCK];

    private final OutputStream out;
    private final byte[] uuid;
    private final List<Vma.Device> devices;
    private final boolean[] written = new boolean[Vma.MAX_DEVICES];
    /** The pending extent: block infos and the stored blocks. */
    private final long[] infos = new long[Vma.CLUSTERS_PER_EXTENT];
    private final byte[] data = new byte[Vma.CLUSTERS_PER_EXTENT * Vma.CLUSTER];
    private int clusters;
    private int blocks;
    private long bytesWritten;
    private long zeroBytes;

    public VmaWriter(OutputStream out, UUID uuid, long ctime, List<Vma.Config> configs, List<Vma.Device> devices) throws IOException {
        this.out = out;
        this.uuid = uuidBytes(uuid);
        this.devices = List.copyOf(devices);
        if (configs.size() > Vma.MAX_CONFIGS) throw new IllegalArgumentException("too many config files");
        byte[] header = header(this.uuid, ctime, configs, this.devices);
        out.write(header);
        bytesWritten = header.length;
    }

    static byte[] uuidBytes(UUID u) {
        return ByteBuffer.allocate(16).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits()).array();
    }

    private static byte[] header(byte[] uuid, long ctime, List<Vma.Config> configs, List<Vma.Device> devices) {
        ByteArrayOutputStream blobs = new ByteArrayOutputStream();
        blobs.write(0); // offset 0 means "none"
        ByteBuffer fixed = ByteBuffer.allocate(Vma.BLOB_BUFFER_OFFSET);
        fixed.put(Vma.MAGIC).putInt(1).put(uuid).putLong(ctime);
        for (int i = 0; i < configs.size(); i++) {
            Vma.Config c = configs.get(i);
            fixed.putInt(2044 + 4 * i, blob(blobs, name(c.name())));
            fixed.putInt(3068 + 4 * i, blob(blobs, c.data()));
        }
        for (Vma.Device d : devices) {
            if (d.id() < 1 || d.id() >= Vma.MAX_DEVICES) throw new IllegalArgumentException("device id out of range: " + d.id());
            if (d.size() <= 0) throw new IllegalArgumentException("device " + d.name() + " has no size");
            int at = 4096 + 32 * d.id();
            fixed.putInt(at, blob(blobs, name(d.name())));
            fixed.putLong(at + 8, d.size());
        }
        int blobSize = roundUp(blobs.size());
        int headerSize = Vma.BLOB_BUFFER_OFFSET + blobSize;
        fixed.putInt(48, Vma.BLOB_BUFFER_OFFSET).putInt(52, blobSize).putInt(56, headerSize);
        byte[] h = Arrays.copyOf(fixed.array(), headerSize);
        System.arraycopy(blobs.toByteArray(), 0, h, Vma.BLOB_BUFFER_OFFSET, blobs.size());
        System.arraycopy(md5(h), 0, h, 32, 16);
        return h;
    }

    private static byte[] name(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        return Arrays.copyOf(b, b.length + 1);
    }

    private static int blob(ByteArrayOutputStream blobs, byte[] data) {
        if (data.length > Vma.MAX_BLOB) throw new IllegalArgumentException("config data too large (" + data.length + " bytes, at most " + Vma.MAX_BLOB + ")");
        int at = blobs.size();
        blobs.write(data.length & 0xff);
        blobs.write(data.length >>> 8);
        blobs.writeBytes(data);
        return at;
    }

    private static int roundUp(int n) { return (n + 511) / 512 * 512; }

    static byte[] md5(byte[] b) {
        try {
            return MessageDigest.getInstance("MD5").digest(b);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Clusters read from the source at once. */
    static final int READ_CLUSTERS = 32;

    /**
     * Reads the device's content from {@code in} (exactly its size; a short stream is an error) and appends its
     * clusters. {@code progress} gets the number of bytes read so far after each cluster.
     */
    public void writeDevice(int id, InputStream in, LongConsumer progress) throws IOException {
        Vma.Device dev = devices.stream().filter(d -> d.id() == id).findFirst().orElseThrow(() -> new IllegalArgumentException("no device " + id));
        if (written[id]) throw new IllegalStateException("device " + id + " already written");
        written[id] = true;
        byte[] chunk = new byte[READ_CLUSTERS * Vma.CLUSTER];
        long done = 0, c = 0;
        while (done < dev.size()) {
            int len = (int) Math.min(chunk.length, dev.size() - done);
            int n = in.readNBytes(chunk, 0, len);
            if (n < len) throw new IOException("short read on " + dev.name() + " at byte " + (done + n) + " of " + dev.size());
            int padded = (len + Vma.CLUSTER - 1) / Vma.CLUSTER * Vma.CLUSTER;
            if (padded > len) Arrays.fill(chunk, len, padded, (byte) 0);
            for (int off = 0; off < padded; off += Vma.CLUSTER) {
                addCluster(id, c++, chunk, off);
                done += Math.min(Vma.CLUSTER, len - off);
                progress.accept(done);
            }
        }
    }

    private void addCluster(int dev, long clusterNo, byte[] buf, int at) throws IOException {
        if (clusterNo > 0xffffffffL) throw new IOException("device too large for VMA");
        int mask = 0;
        for (int b = 0; b < Vma.BLOCKS_PER_CLUSTER; b++) {
            int off = at + b * Vma.BLOCK;
            if (Arrays.mismatch(buf, off, off + Vma.BLOCK, ZERO_BLOCK, 0, Vma.BLOCK) == -1) {
                zeroBytes += Vma.BLOCK;
                continue;
            }
            mask |= 1 << b;
            System.arraycopy(buf, off, data, blocks * Vma.BLOCK, Vma.BLOCK);
            blocks++;
        }
        infos[clusters++] = ((long) mask << 48) | ((long) dev << 32) | clusterNo;
        if (clusters == Vma.CLUSTERS_PER_EXTENT) flush();
    }

    private void flush() throws IOException {
        if (clusters == 0) return;
        ByteBuffer h = ByteBuffer.allocate(Vma.EXTENT_HEADER);
        h.put(Vma.EXTENT_MAGIC).putShort((short) 0).putShort((short) blocks).put(uuid);
        h.position(40);
        for (int i = 0; i < clusters; i++) h.putLong(infos[i]);
        byte[] hb = h.array();
        System.arraycopy(md5(hb), 0, hb, 24, 16);
        out.write(hb);
        out.write(data, 0, blocks * Vma.BLOCK);
        bytesWritten += Vma.EXTENT_HEADER + (long) blocks * Vma.BLOCK;
        clusters = 0;
        blocks = 0;
    }

    /** Writes the last extent; every device must have been written. */
    public void finish() throws IOException {
        for (Vma.Device d : devices) if (!written[d.id()]) throw new IllegalStateException("device " + d.name() + " not written");
        flush();
        out.flush();
    }

    /** Bytes of archive written so far (before compression). */
    public long bytesWritten() { return bytesWritten; }

    /** Bytes of the devices that were zero and not stored. */
    public long zeroBytes() { return zeroBytes; }
}
