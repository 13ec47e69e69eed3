package org.haven.node;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * Sends the messages of some loggers to the systemd journal, each under its logger's name as the syslog identifier
 * ({@code pve-ha-crm}, {@code pve-ha-lrm}, as PVE's HA daemons log): one {@code systemd-cat -t NAME} per name, fed
 * one line per message with its syslog priority prefix ({@code <3>} error, {@code <4>} warning, {@code <6>} info).
 */
final class JournalAppender extends AppenderBase<ILoggingEvent> {
    /** The loggers that go to the journal. */
    static final Set<String> LOGGERS = Set.of("pve-ha-crm", "pve-ha-lrm");

    private final Function<String, List<String>> command;
    private final Map<String, Process> writers = new HashMap<>();

    /** @param command the command that writes its input lines to the journal under an identifier */
    JournalAppender(Function<String, List<String>> command) {
        this.command = command;
    }

    /** True where the journal runs and {@code systemd-cat} is installed. */
    static boolean available() {
        return Files.exists(Path.of("/run/systemd/journal/socket"))
            && List.of("/usr/bin/systemd-cat", "/bin/systemd-cat").stream().anyMatch(p -> Files.isExecutable(Path.of(p)));
    }

    static List<String> systemdCat(String identifier) {
        return List.of("systemd-cat", "--identifier=" + identifier, "--level-prefix=true");
    }

    static int priority(Level level) {
        if (level.isGreaterOrEqual(Level.ERROR)) return 3;
        if (level.isGreaterOrEqual(Level.WARN)) return 4;
        if (level.isGreaterOrEqual(Level.INFO)) return 6;
        return 7;
    }

    @Override
    protected void append(ILoggingEvent e) {
        String id = e.getLoggerName();
        if (!LOGGERS.contains(id)) return;
        String line = "<" + priority(e.getLevel()) + ">" + e.getFormattedMessage().replace('\n', ' ') + "\n";
        try {
            Process p = writers.get(id);
            if (p == null || !p.isAlive()) {
                p = new ProcessBuilder(command.apply(id)).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .redirectError(ProcessBuilder.Redirect.DISCARD).start();
                writers.put(id, p);
            }
            OutputStream out = p.getOutputStream();
            out.write(line.getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException ex) {
            addWarn("cannot write to the journal: " + ex.getMessage());
        }
    }

    @Override
    public void stop() {
        super.stop();
        for (Process p : writers.values()) {
            try {
                p.getOutputStream().close();
            } catch (IOException ignored) {
                // gone
            }
        }
        writers.clear();
    }
}
