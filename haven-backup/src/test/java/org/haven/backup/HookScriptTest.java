package org.haven.backup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The hook script's arguments and variables per phase (table), its output in the log, its failure and PVE's refusals. */
class HookScriptTest {
    @TempDir Path dir;

    static final HookScript.Guest GUEST = new HookScript.Guest("snapshot", 100, "qemu", "web",
            Path.of("/bk/dump/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst"), Path.of("/bk/dump/vzdump-qemu-100-2026_01_01-00_00_00.log"));

    @Test
    void argumentsAndEnvironmentTable() {
        HookScript h = new HookScript(Path.of("/hook"), "bk", Path.of("/bk/dump"));
        Object[][] cases = {
                {"job-init", null, List.of("/hook", "job-init"), Map.of("STOREID", "bk", "DUMPDIR", "/bk/dump")},
                {"job-start", null, List.of("/hook", "job-start"), Map.of("STOREID", "bk", "DUMPDIR", "/bk/dump")},
                {"backup-start", GUEST, List.of("/hook", "backup-start", "snapshot", "100"), Map.of("STOREID", "bk", "DUMPDIR", "/bk/dump",
                        "VMTYPE", "qemu", "HOSTNAME", "web", "TARGET", GUEST.target().toString(), "LOGFILE", GUEST.logfile().toString())},
                {"log-end", new HookScript.Guest("stop", 200, "lxc", null, null, null), List.of("/hook", "log-end", "stop", "200"),
                        Map.of("STOREID", "bk", "DUMPDIR", "/bk/dump", "VMTYPE", "lxc")},
        };
        for (Object[] c : cases) {
            HookScript.Guest g = (HookScript.Guest) c[1];
            assertThat(h.command((String) c[0], g)).as((String) c[0]).isEqualTo(c[2]);
            assertThat(h.environment(g)).as((String) c[0]).isEqualTo(c[3]);
        }
        // a --dumpdir run has no storage
        assertThat(new HookScript(Path.of("/hook"), null, Path.of("/d")).environment(null)).isEqualTo(Map.of("DUMPDIR", "/d"));
    }

    @Test
    void runsTheScriptLogsItsOutputAndFailsWithIt() throws Exception {
        Path script = dir.resolve("hook.sh");
        Files.writeString(script, "#!/bin/sh\necho \"phase $1 mode $2 vmid $3 target $TARGET\"\n[ \"$1\" = backup-end ] && exit 3\nexit 0\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        HookScript h = new HookScript(script, "bk", dir);
        h.check();
        List<String> log = new ArrayList<>();
        h.run("backup-start", GUEST, log::add);
        assertThat(log).containsExactly("phase backup-start mode snapshot vmid 100 target " + GUEST.target());
        assertThatThrownBy(() -> h.run("backup-end", GUEST, log::add))
                .hasMessage("command '" + script + " backup-end snapshot 100' failed: exit code 3");

        assertThatThrownBy(() -> new HookScript(dir.resolve("missing"), null, dir).check())
                .hasMessage("The hook script '" + dir.resolve("missing") + "' does not exist.");
        Path plain = Files.writeString(dir.resolve("plain.sh"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(plain, PosixFilePermissions.fromString("rw-------"));
        assertThatThrownBy(() -> new HookScript(plain, null, dir).check()).hasMessage("The hook script '" + plain + "' is not executable.");
    }

    @Test
    void throttleWaitTable() {
        long mib = 1 << 20;
        Object[][] cases = {
                {mib, 0L, mib, 1_000_000_000L},          // a second's worth read at once: wait a second
                {mib, 500_000_000L, mib, 500_000_000L},   // half of it already passed
                {mib, 2_000_000_000L, mib, 0L},           // slower than the limit: no wait
                {10 * mib, 0L, 4 * mib, 2_500_000_000L},
        };
        for (Object[] c : cases) assertThat(Throttle.waitNanos((long) c[0], (long) c[1], (long) c[2])).as(java.util.Arrays.toString(c)).isEqualTo(c[3]);
    }
}
