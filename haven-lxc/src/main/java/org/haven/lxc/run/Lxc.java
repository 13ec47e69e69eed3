package org.haven.lxc.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.haven.guest.config.GuestException;
import org.haven.storage.spi.CommandRunner;

/**
 * The {@code lxc-*} tools over one lxcpath ({@code /var/lib/lxc}, or {@code <data-dir>/lxc} in embedded mode): a
 * container is named by its VMID, its generated config is {@code <lxcpath>/<vmid>/config}, its root file system is
 * mounted at {@code <lxcpath>/<vmid>/rootfs} and its mount points below {@code <lxcpath>/<vmid>/mp/}.
 */
public final class Lxc {
    private final Path lxcpath;
    private final CommandRunner run;

    public Lxc(Path lxcpath, CommandRunner run) {
        this.lxcpath = lxcpath;
        this.run = run;
    }

    public Path lxcpath() { return lxcpath; }
    public Path dir(int vmid) { return lxcpath.resolve(Integer.toString(vmid)); }
    public Path configFile(int vmid) { return dir(vmid).resolve("config"); }
    public Path rootfs(int vmid) { return dir(vmid).resolve("rootfs"); }
    public Path mountDir(int vmid, String key) { return dir(vmid).resolve("mp").resolve(key); }
    public Path logFile(int vmid) { return dir(vmid).resolve("lxc.log"); }
    public CommandRunner runner() { return run; }

    private List<String> cmd(String tool, int vmid, String... args) {
        List<String> c = new ArrayList<>(List.of(tool, "-P", lxcpath.toString(), "-n", Integer.toString(vmid)));
        c.addAll(List.of(args));
        return c;
    }

    /** {@code RUNNING}, {@code STOPPED}, {@code FROZEN}, … ({@code STOPPED} for an unknown container). */
    public String state(int vmid) {
        if (!Files.exists(configFile(vmid))) return "STOPPED";
        CommandRunner.Result r = run.run(cmd("lxc-info", vmid, "-s", "-H"));
        return r.ok() ? r.stdout().strip() : "STOPPED";
    }

    public boolean isRunning(int vmid) {
        String s = state(vmid);
        return s.equals("RUNNING") || s.equals("FROZEN") || s.equals("FREEZING") || s.equals("THAWED");
    }

    /** The PID of the container's init, or null. */
    public Integer pid(int vmid) {
        if (!Files.exists(configFile(vmid))) return null;
        CommandRunner.Result r = run.run(cmd("lxc-info", vmid, "-p", "-H"));
        String s = r.stdout().strip();
        return r.ok() && s.matches("\\d+") ? Integer.valueOf(s) : null;
    }

    /** A cgroup value of the running container ({@code lxc-cgroup}), or null. */
    public String cgroup(int vmid, String key) {
        if (!Files.exists(configFile(vmid))) return null;
        CommandRunner.Result r = run.run(cmd("lxc-cgroup", vmid, key));
        return r.ok() ? r.stdout().strip() : null;
    }

    /** {@code lxc-start -d}; a failure carries the end of LXC's log. */
    public void start(int vmid) {
        Path log = logFile(vmid);
        try {
            Files.deleteIfExists(log);
        } catch (IOException e) {
            throw new GuestException(500, e.getMessage());
        }
        CommandRunner.Result r = run.run(cmd("lxc-start", vmid, "-d", "-l", "INFO", "-o", log.toString()));
        if (!r.ok()) {
            String tail = "";
            try {
                List<String> lines = Files.readAllLines(log);
                tail = String.join("\n", lines.stream().filter(l -> l.contains("ERROR")).toList());
            } catch (IOException ignored) {
                // no log: the command's own output says what went wrong
            }
            throw new GuestException(500, "startup for container '" + vmid + "' failed" + (tail.isEmpty() ? ": " + r.stderr().strip() : "\n" + tail));
        }
    }

    /** Hard stop ({@code lxc-stop -k}). */
    public void kill(int vmid) {
        CommandRunner.Result r = run.run(cmd("lxc-stop", vmid, "-k"));
        if (!r.ok() && isRunning(vmid)) throw new GuestException(500, "unable to stop container " + vmid + ": " + r.stderr().strip());
    }

    /** Clean shutdown: the init gets its halt signal; false when it is still running after {@code seconds}. */
    public boolean shutdown(int vmid, long seconds) {
        run.run(cmd("lxc-stop", vmid, "-t", Long.toString(Math.max(1, seconds)), "--nokill"));
        return !isRunning(vmid);
    }

    public void freeze(int vmid) { check(cmd("lxc-freeze", vmid)); }

    public void unfreeze(int vmid) { check(cmd("lxc-unfreeze", vmid)); }

    /** Run {@code command} inside the running container ({@code lxc-attach}), stdin from {@code stdin}. */
    public CommandRunner.Result attach(int vmid, List<String> command, byte[] stdin) {
        List<String> c = cmd("lxc-attach", vmid, "--clear-env", "--");
        c.addAll(command);
        return run.run(c, Map.of(), stdin);
    }

    private void check(List<String> c) {
        CommandRunner.Result r = run.run(c);
        if (!r.ok()) throw new GuestException(500, "command '" + String.join(" ", c) + "' failed: " + r.stderr().strip());
    }
}
