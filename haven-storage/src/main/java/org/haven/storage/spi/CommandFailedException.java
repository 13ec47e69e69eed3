package org.haven.storage.spi;

import java.util.List;
import org.haven.storage.StorageException;

/** An external command exited non-zero. The message has PVE's shape: {@code command '…' failed: exit code N}. */
public class CommandFailedException extends StorageException {
    private final List<String> cmd;
    private final CommandRunner.Result result;

    public CommandFailedException(List<String> cmd, CommandRunner.Result result) {
        super("command '" + String.join(" ", cmd) + "' failed: exit code " + result.exitCode()
                + (result.stderr().isBlank() ? "" : "\n" + result.stderr().strip()));
        this.cmd = List.copyOf(cmd);
        this.result = result;
    }

    public List<String> command() { return cmd; }
    public CommandRunner.Result result() { return result; }
}
