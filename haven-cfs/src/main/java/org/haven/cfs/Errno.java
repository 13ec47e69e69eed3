package org.haven.cfs;

/** The errors a cluster file system operation can fail with, with the libc text PVE users see. */
public enum Errno {
    ENOENT("No such file or directory"),
    EEXIST("File exists"),
    ENOTDIR("Not a directory"),
    EISDIR("Is a directory"),
    ENOTEMPTY("Directory not empty"),
    EINVAL("Invalid argument"),
    EACCES("Permission denied"),
    EFBIG("File too large"),
    ENOSPC("No space left on device"),
    EPERM("Operation not permitted"),
    /** A compare-and-set write found another version than expected. */
    ESTALE("Stale file handle");

    public final String text;

    Errno(String text) { this.text = text; }

    /** Failure of a tree operation. */
    public static final class Failure extends RuntimeException {
        public final Errno errno;
        public final String path;

        public Failure(Errno errno, String path) {
            super(errno.text + ": " + path, null, false, false);
            this.errno = errno;
            this.path = path;
        }
    }

    public Failure at(String path) { return new Failure(this, path); }
}
