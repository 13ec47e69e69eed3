package org.haven.cfs;

/**
 * Size limits of the cluster file system. The defaults are those of current pmxcfs:
 * 1 MiB per file, 128 MiB in total, 256k inodes.
 */
public record CfsLimits(long maxFileSize, long maxTotalSize, long maxInodes) {
    public static final CfsLimits PVE = new CfsLimits(1L << 20, 128L << 20, 256L * 1024);

    public CfsLimits {
        if (maxFileSize <= 0 || maxTotalSize <= 0 || maxInodes <= 0) throw new IllegalArgumentException("limits must be positive");
    }
}
