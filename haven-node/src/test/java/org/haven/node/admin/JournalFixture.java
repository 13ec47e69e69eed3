package org.haven.node.admin;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.haven.core.testing.Tools;

/**
 * A journal directory with known entries, written by systemd-journal-remote from the journal export format: entry
 * {@code i} (1-based) is logged {@code i} minutes after {@link #T0} by {@code unit} with message {@code message i}.
 */
final class JournalFixture {
    static final String REMOTE = "/lib/systemd/systemd-journal-remote";
    static final long T0 = 1_700_000_000L;

    private JournalFixture() {}

    /** Write {@code units.length} entries into {@code dir}; entry {@code i} comes from {@code units[i-1]}. */
    static Path write(Path dir, String... units) throws IOException, InterruptedException {
        Tools.require("systemd-journal-remote", REMOTE);
        Files.createDirectories(dir);
        StringBuilder export = new StringBuilder();
        for (int i = 1; i <= units.length; i++) {
            export.append("__REALTIME_TIMESTAMP=").append((T0 + 60L * i) * 1_000_000L).append('\n')
                    .append("__MONOTONIC_TIMESTAMP=").append(i * 1000L).append('\n')
                    .append("_BOOT_ID=0123456789abcdef0123456789abcdef\n")
                    .append("_HOSTNAME=node1\n")
                    .append("SYSLOG_IDENTIFIER=").append(units[i - 1]).append('\n')
                    .append("_PID=").append(100 + i).append('\n')
                    .append("_SYSTEMD_UNIT=").append(units[i - 1]).append(".service\n")
                    .append("MESSAGE=message ").append(i).append("\n\n");
        }
        Process p = new ProcessBuilder(REMOTE, "-o", dir.resolve("remote.journal").toString(), "-")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        try (OutputStream in = p.getOutputStream()) {
            in.write(export.toString().getBytes(StandardCharsets.UTF_8));
        }
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IllegalStateException("systemd-journal-remote failed");
        }
        return dir;
    }
}
