package org.haven.storage.spi;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Map;

/**
 * The seam through which plugins run external tools ({@code qemu-img}, LVM, btrfs, zfs, iscsiadm, rbd, mount …).
 * Production uses {@link ProcessCommandRunner}; unit tests record the exact commands.
 */
public interface CommandRunner {

    /** Result of a finished command. */
    record Result(int exitCode, String stdout, String stderr) {
        public boolean ok() { return exitCode == 0; }
    }

    /** Run to completion, capturing output. Does not throw on a non-zero exit. */
    Result run(List<String> cmd, Map<String, String> env, byte[] stdin);

    /**
     * Run with streamed I/O: {@code in} (may be null) is copied to the process's stdin and its stdout is copied
     * to {@code out} (may be null). Returns exit code and captured stderr.
     */
    Result stream(List<String> cmd, Map<String, String> env, InputStream in, OutputStream out);

    default Result run(List<String> cmd) { return run(cmd, Map.of(), null); }

    /** Run and fail with "command '…' failed: …" on a non-zero exit; returns stdout. */
    default String check(List<String> cmd) { return check(cmd, Map.of()); }

    default String check(List<String> cmd, Map<String, String> env) {
        Result r = run(cmd, env, null);
        if (!r.ok()) throw new CommandFailedException(cmd, r);
        return r.stdout();
    }
}
