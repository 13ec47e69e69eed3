package org.haven.backup.cli;

import java.util.List;
import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;

/**
 * {@code qmrestore <archive> <vmid> [--storage ID] [--unique] [--force]}: {@code POST /nodes/<local node>/qemu}
 * with {@code archive}, following the restore task's log to its end.
 */
public final class QmrestoreTool implements CliTool {
    @Override public String name() { return "qmrestore"; }

    @Override public String description() { return "Restore QemuServer vzdump backups"; }

    @Override
    public List<CliCommand> commands() {
        return List.of(CliCommand.api("", HttpMethod.POST, "/nodes/{node}/qemu").positional("archive", "vmid")
                .fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK)
                .description("Restore QemuServer vzdump backups."));
    }
}
