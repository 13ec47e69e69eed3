package org.haven.backup.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliTool;
import org.haven.backup.Vzdump;

/**
 * {@code vzdump <vmid>... [OPTIONS]}: {@code POST /nodes/<local node>/vzdump}, following the task log to its end.
 * With {@code --stdout} the archive goes to standard output and the log to standard error: the tool makes a
 * named pipe in a private directory (under {@code --dumpdir} when given), passes that directory as the dump
 * directory, and copies what the backup writes into the pipe to its standard output.
 */
public final class VzdumpTool implements CliTool {
    @Override public String name() { return "vzdump"; }

    @Override public String description() { return "Backup utility for virtual machines and containers"; }

    @Override
    public List<CliCommand> commands() {
        return List.of(CliCommand.local("", HttpMethod.POST, "/nodes/{node}/vzdump", VzdumpTool::run).positional("vmid")
                .fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK).description("Create backup."));
    }

    static int run(CliInvocation inv) throws Exception {
        Map<String, Object> params = new LinkedHashMap<>(inv.params());
        params.remove("node");
        // vzdump 100 101 …: every positional argument is a guest
        for (String a : inv.args()) {
            if (!a.matches("\\d+")) {
                inv.err().println("400 unable to parse option '" + a + "'");
                return 255;
            }
            params.merge("vmid", a, (x, y) -> x + "," + y);
        }
        String path = "/nodes/" + inv.localNode() + "/vzdump";
        Object stdout = params.get("stdout");
        if (stdout == null || "0".equals(stdout.toString()) || "false".equals(stdout.toString())) {
            return inv.client().followTask(inv.client().call(HttpMethod.POST, path, params).asString(), inv.out(), inv.err());
        }
        Path parent = params.get("dumpdir") != null ? Path.of(params.get("dumpdir").toString()) : Path.of(System.getProperty("java.io.tmpdir"));
        Path dir = Files.createTempDirectory(parent, "vzdump-stdout-");
        Path pipe = dir.resolve(Vzdump.STDOUT);
        try {
            mkfifo(pipe);
            params.remove("storage"); // the archive goes to the pipe
            params.put("dumpdir", dir.toString());
            Copy copy = new Copy(pipe, inv.out());
            copy.thread.start();
            try {
                String upid = inv.client().call(HttpMethod.POST, path, params).asString();
                int rc = inv.client().followTask(upid, inv.err(), inv.err());
                copy.finish();
                return rc;
            } finally {
                copy.release();
            }
        } finally {
            Files.deleteIfExists(pipe);
            Files.deleteIfExists(dir);
        }
    }

    private static void mkfifo(Path pipe) throws IOException, InterruptedException {
        Process p = new ProcessBuilder("mkfifo", "-m", "600", pipe.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).strip();
        if (p.waitFor() != 0) throw new IOException("unable to create the pipe " + pipe + " - " + out);
    }

    /** Copies the pipe to standard output; {@link #release} ends a copy whose writer never came. */
    private static final class Copy {
        final Path pipe;
        final OutputStream out;
        final Thread thread;
        volatile boolean opened;
        volatile IOException error;

        Copy(Path pipe, OutputStream out) {
            this.pipe = pipe;
            this.out = out;
            this.thread = Thread.ofPlatform().daemon().unstarted(this::copy);
        }

        private void copy() {
            try (InputStream in = Files.newInputStream(pipe)) {
                opened = true;
                in.transferTo(out);
                out.flush();
            } catch (IOException e) {
                error = e;
            }
        }

        void finish() throws InterruptedException {
            release();
            thread.join();
            if (error != null) throw new UncheckedIOException("unable to write the archive to standard output - " + error.getMessage(), error);
        }

        /** A copy still waiting for the writer's open: a writer's open and close gives it an empty end. */
        void release() {
            if (opened || !thread.isAlive()) return;
            try (OutputStream w = Files.newOutputStream(pipe, StandardOpenOption.WRITE)) {
                // releases the waiting reader
            } catch (IOException e) {
                // the pipe is gone: the reader is released with it
            }
        }
    }
}
