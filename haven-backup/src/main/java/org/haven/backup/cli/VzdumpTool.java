package org.haven.backup.cli;

import java.util.List;
import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;

/** {@code vzdump <vmid> [OPTIONS]}: {@code POST /nodes/<local node>/vzdump}, following the task log to its end. */
public final class VzdumpTool implements CliTool {
    @Override public String name() { return "vzdump"; }

    @Override public String description() { return "Backup utility for virtual machines and containers"; }

    @Override
    public List<CliCommand> commands() {
        return List.of(CliCommand.api("", HttpMethod.POST, "/nodes/{node}/vzdump").positional("vmid")
                .fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK));
    }
}
