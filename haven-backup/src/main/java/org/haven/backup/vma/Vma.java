package org.haven.backup.vma;

/** Constants of PVE's VMA archive format (see the format description: big-endian, 64 KiB clusters of 4 KiB blocks). */
public final class Vma {
    private Vma() {}

    public static final int CLUSTER = 65536;
    public static final int BLOCK = 4096;
    public static final int BLOCKS_PER_CLUSTER = CLUSTER / BLOCK;
    public static final int EXTENT_HEADER = 512;
    public static final int CLUSTERS_PER_EXTENT = 59;
    public static final int MAX_DEVICES = 256;
    public static final int MAX_CONFIGS = 256;
    /** The blob buffer starts after the fixed part of the header. */
    public static final int BLOB_BUFFER_OFFSET = 12288;
    public static final int MAX_BLOB = 65535;
    public static final byte[] MAGIC = {'V', 'M', 'A', 0};
    public static final byte[] EXTENT_MAGIC = {'V', 'M', 'A', 'E'};

    /** A device of the archive: its id in the data stream (1…255), its name ({@code drive-scsi0}) and size in bytes. */
    public record Device(int id, String name, long size) {
        public long clusters() { return (size + CLUSTER - 1) / CLUSTER; }
    }

    /** A config file of the archive: basename ({@code qemu-server.conf}) and content. */
    public record Config(String name, byte[] data) {}
}
