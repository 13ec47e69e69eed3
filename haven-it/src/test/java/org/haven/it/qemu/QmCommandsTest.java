package org.haven.it.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.haven.api.ApiMethod;
import org.haven.api.cli.CliCommand;
import org.haven.cli.tools.Qm;
import org.haven.node.OfflineApi;
import org.junit.jupiter.api.Test;

/** Every {@code qm} subcommand bound to the API names a method the daemon has, with existing positional parameters. */
class QmCommandsTest {

    @Test
    void qmCommandsAreBoundToExistingMethods() throws Exception {
        List<ApiMethod> methods = OfflineApi.build().allMethods();
        Set<String> have = new HashSet<>();
        for (ApiMethod m : methods) have.add(m.method() + " " + m.path());
        List<String> problems = new ArrayList<>();
        for (CliCommand c : new Qm().commands()) {
            if (c.path() == null) continue;
            String key = c.method() + " " + c.path();
            ApiMethod m = methods.stream().filter(x -> (x.method() + " " + x.path()).equals(key)).findFirst().orElse(null);
            if (m == null) { problems.add(c.words() + ": no method " + key); continue; }
            for (String p : c.positionalParams()) {
                if (!m.parameters().properties().containsKey(p)) problems.add(c.words() + ": no parameter " + p + " in " + key);
            }
            for (String p : c.fixedParams().keySet()) {
                if (!m.parameters().properties().containsKey(p)) problems.add(c.words() + ": no parameter " + p + " in " + key);
            }
        }
        assertThat(problems).isEmpty();
        assertThat(new Qm().commands()).extracting(CliCommand::words).contains("create", "set", "config", "start", "stop", "shutdown",
                "reboot", "reset", "suspend", "resume", "status", "list", "showcmd", "destroy", "snapshot", "rollback", "clone", "template",
                "resize", "move-disk", "unlock", "pending", "terminal", "guest exec", "monitor", "wait", "rescan", "importdisk", "vncproxy");
    }
}
