package org.haven.ha.env;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Which processes of the host belong to a node, for its self-fence (the watchdog reset of PVE resets the whole
 * node). A guest process of a node is found by a property it has from its first instruction, not by the daemon's
 * bookkeeping: its command line names a file below one of the node's guest directories (QEMU's {@code -pidfile}
 * and QMP socket below {@code <run>/qemu-server/}, swtpm's pid file), or it descends from such a process (a
 * container's init below its {@code lxc-start}, a helper a guest spawned). A node's daemon and everything it
 * spawned are the node's too. Other nodes on the same host name other directories and are left alone.
 */
public final class NodeProcesses {
    private NodeProcesses() {}

    /** One process of {@code /proc}: its parent, its state letter ({@code Z} zombie) and its arguments. */
    public record Process(long pid, long ppid, char state, List<String> argv) {
        public Process {
            argv = List.copyOf(argv);
        }

        boolean dead() { return state == 'Z' || state == 'X'; }
    }

    /**
     * The live processes of the node in {@code table}: those whose arguments name a file below a directory of
     * {@code guestDirs}, those below {@code daemon} (its descendants and itself; 0 when it is gone), and the
     * descendants of both; never {@code self} nor what {@code self} spawned. Sorted by PID.
     */
    public static Set<Long> select(Collection<Process> table, List<Path> guestDirs, long daemon, long self) {
        Map<Long, List<Process>> children = new HashMap<>();
        for (Process p : table) children.computeIfAbsent(p.ppid(), k -> new ArrayList<>()).add(p);
        List<String> markers = guestDirs.stream().map(d -> d.toAbsolutePath().normalize() + "/").toList();
        ArrayDeque<Process> todo = new ArrayDeque<>();
        for (Process p : table) {
            if (p.pid() == daemon || p.argv().stream().anyMatch(a -> namesFileBelow(a, markers))) todo.add(p);
        }
        Set<Long> out = new TreeSet<>();
        Set<Long> seen = new java.util.HashSet<>();
        while (!todo.isEmpty()) {
            Process p = todo.poll();
            if (p.pid() == self || !seen.add(p.pid())) continue;
            if (!p.dead()) out.add(p.pid());
            todo.addAll(children.getOrDefault(p.pid(), List.of()));
        }
        return out;
    }

    /**
     * True when {@code arg} names a path below one of {@code markers} (each an absolute directory ending in
     * {@code /}): the path starts the argument or follows {@code =}, {@code ,} or {@code :}, as in
     * {@code -pidfile /run/haven/qemu-server/100.pid} or {@code socket,id=qmp,path=/run/haven/qemu-server/100.qmp}.
     * {@code /x/node1/run/} does not match {@code /x/node10/run/...} nor {@code /y/x/node1/run/...}.
     */
    static boolean namesFileBelow(String arg, List<String> markers) {
        for (String m : markers) {
            for (int i = arg.indexOf(m); i >= 0; i = arg.indexOf(m, i + 1)) {
                if (i == 0 || "=,:".indexOf(arg.charAt(i - 1)) >= 0) return true;
            }
        }
        return false;
    }

    /** Reads the process table below {@code proc} ({@code /proc}); processes that end while it reads are skipped. */
    public static List<Process> read(Path proc) {
        List<Process> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(proc, p -> p.getFileName().toString().chars().allMatch(Character::isDigit))) {
            for (Path d : ds) {
                try {
                    String stat = Files.readString(d.resolve("stat"));
                    // pid (comm) state ppid ...: comm may hold spaces and parentheses
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    byte[] cmd = Files.readAllBytes(d.resolve("cmdline"));
                    List<String> argv = new ArrayList<>();
                    int start = 0;
                    for (int i = 0; i < cmd.length; i++) {
                        if (cmd[i] == 0) {
                            argv.add(new String(cmd, start, i - start, java.nio.charset.StandardCharsets.UTF_8));
                            start = i + 1;
                        }
                    }
                    if (start < cmd.length) argv.add(new String(cmd, start, cmd.length - start, java.nio.charset.StandardCharsets.UTF_8));
                    out.add(new Process(Long.parseLong(d.getFileName().toString()), Long.parseLong(f[1]), f[0].charAt(0), argv));
                } catch (IOException | RuntimeException e) {
                    // gone meanwhile
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return out;
    }
}
