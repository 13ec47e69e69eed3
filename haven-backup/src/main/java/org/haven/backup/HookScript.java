package org.haven.backup;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Consumer;

/**
 * vzdump's {@code --script} hook (PVE's {@code run_hook_script}): the script is run with the phase, and for the
 * phases of one guest also the mode and the VMID, as arguments; {@code STOREID} and {@code DUMPDIR} are set in every
 * phase, {@code VMTYPE}, {@code HOSTNAME}, {@code TARGET} and {@code LOGFILE} in a guest's phases where known. Its
 * output goes to the log; a non-zero exit fails the phase, and so the guest's backup or the job, as PVE's does.
 */
public record HookScript(Path script, String storeid, Path dumpdir) {
    /** The phases of the job: {@code job-init}, {@code job-start}, {@code job-end}, {@code job-abort}. */
    public static final List<String> JOB_PHASES = List.of("job-init", "job-start", "job-end", "job-abort");
    /** The phases of one guest's backup, in the order they can come. */
    public static final List<String> GUEST_PHASES = List.of("backup-start", "pre-stop", "pre-restart", "post-restart", "backup-end",
            "backup-abort", "log-end");

    /** One guest's backup as the hook sees it: its mode, VMID, type word, name, archive and log file (nulls where unknown). */
    public record Guest(String mode, int vmid, String vmtype, String hostname, Path target, Path logfile) {}

    /** Refuses a script that is not there or cannot be run (before the job starts). */
    public void check() {
        if (!Files.isRegularFile(script)) throw new IllegalStateException("The hook script '" + script + "' does not exist.");
        if (!Files.isExecutable(script)) throw new IllegalStateException("The hook script '" + script + "' is not executable.");
    }

    /** The command line of a phase: the script, the phase, and for a guest's phase its mode and VMID. */
    List<String> command(String phase, Guest guest) {
        List<String> cmd = new ArrayList<>(List.of(script.toString(), phase));
        if (guest != null) {
            cmd.add(guest.mode());
            cmd.add(Integer.toString(guest.vmid()));
        }
        return cmd;
    }

    /** The variables a phase sets (on top of the daemon's environment). */
    Map<String, String> environment(Guest guest) {
        Map<String, String> env = new TreeMap<>();
        if (storeid != null) env.put("STOREID", storeid);
        if (dumpdir != null) env.put("DUMPDIR", dumpdir.toString());
        if (guest != null) {
            if (guest.vmtype() != null) env.put("VMTYPE", guest.vmtype());
            if (guest.hostname() != null) env.put("HOSTNAME", guest.hostname());
            if (guest.target() != null) env.put("TARGET", guest.target().toString());
            if (guest.logfile() != null) env.put("LOGFILE", guest.logfile().toString());
        }
        return env;
    }

    /** Runs a phase; its output lines go to {@code log}. Throws PVE's {@code command '…' failed: exit code N} when it fails. */
    public void run(String phase, Guest guest, Consumer<String> log) {
        List<String> cmd = command(phase, guest);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().putAll(environment(guest));
        int rc;
        try {
            Process p = pb.start();
            p.getOutputStream().close();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) log.accept(line);
            }
            rc = p.waitFor();
        } catch (IOException e) {
            throw new IllegalStateException("command '" + String.join(" ", cmd) + "' failed: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("command '" + String.join(" ", cmd) + "' failed: interrupted");
        }
        if (rc != 0) throw new IllegalStateException("command '" + String.join(" ", cmd) + "' failed: exit code " + rc);
    }
}
