package org.haven.ha.env;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.haven.ha.env.NodeProcesses.Process;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Which processes a node's self-fence kills, on made-up process tables. */
@Tag("unit")
class NodeProcessesTest {
    static final Path RUN = Path.of("/x/node1/run");
    static final String QMP = "socket,id=qmp,path=/x/node1/run/qemu-server/100.qmp,server=on,wait=off";

    static Process p(long pid, long ppid, String... argv) { return new Process(pid, ppid, 'S', List.of(argv)); }

    static Process zombie(long pid, long ppid) { return new Process(pid, ppid, 'Z', List.of()); }

    /** init 1, test harness 10, the node's daemon 20 with its supervisor 21 (which runs kill 22). */
    static final List<Process> BASE = List.of(
        p(1, 0, "/sbin/init"),
        p(10, 1, "java", "org.junit.Runner"),
        p(20, 10, "java", "org.haven.node.Havend", "--data-dir", "/x/node1", "--node", "node1"),
        p(21, 20, "java", "org.haven.ha.env.WatchdogSupervisor", "4", "20", "/x/node1/run"),
        p(22, 21, "kill", "-STOP", "20"));

    static List<Process> with(Process... more) {
        List<Process> all = new java.util.ArrayList<>(BASE);
        all.addAll(List.of(more));
        return all;
    }

    @Test
    void aDaemonizedQemuIsFoundByItsPidFileOrSocketWhateverItsParent() {
        var table = with(
            p(100, 1, "qemu-system-x86_64", "-id", "100", "-pidfile", "/x/node1/run/qemu-server/100.pid", "-daemonize"),
            p(101, 1, "qemu-system-x86_64", "-id", "101", "-chardev", QMP),
            p(102, 1, "swtpm", "socket", "--pid", "file=/x/node1/run/qemu-server/102.swtpm.pid"),
            p(103, 1, "qemu-system-x86_64", "-incoming", "tcp:127.0.0.1:60000", "-pidfile=/x/node1/run/qemu-server/103.pid"),
            p(104, 1, "lxc-start", "-n", "104", "-F", "--logfile", "/x/node1/run/lxc/104.log"),
            p(105, 104, "/sbin/init"),
            p(106, 105, "sshd"));
        assertThat(NodeProcesses.select(table, List.of(RUN), 0, 21)).containsExactly(100L, 101L, 102L, 103L, 104L, 105L, 106L);
    }

    @Test
    void guestsOfOtherNodesAndOtherProcessesStay() {
        var table = with(
            p(200, 1, "qemu-system-x86_64", "-pidfile", "/x/node10/run/qemu-server/100.pid"),
            p(201, 1, "qemu-system-x86_64", "-pidfile", "/y/x/node1/run/qemu-server/100.pid"),
            p(202, 1, "qemu-system-x86_64", "-pidfile", "/x/node2/run/qemu-server/100.pid", "-name", "node1/run/"),
            p(203, 1, "cat", "/x/node1/runner/file"),
            p(204, 1, "ls", "/x/node1/run"),
            p(205, 1, "vi", "/x/node1/log/havend.log"));
        assertThat(NodeProcesses.select(table, List.of(RUN), 0, 21)).isEmpty();
    }

    @Test
    void aLiveDaemonAndEverythingItSpawnedGoButNotTheSupervisor() {
        var table = with(
            p(30, 20, "/usr/lib/jvm/lib/jspawnhelper", "25:31:32:33"),
            p(31, 20, "qemu-img", "create", "/x/shared/images/100/vm-100-disk-0.qcow2"),
            p(32, 31, "helper"),
            zombie(33, 20));
        assertThat(NodeProcesses.select(table, List.of(RUN), 20, 21)).containsExactly(20L, 30L, 31L, 32L);
        // once the daemon is gone its children belong to init: only guests are found then
        assertThat(NodeProcesses.select(table, List.of(RUN), 0, 21)).isEmpty();
    }

    @Test
    void deadProcessesAreNotSelectedButTheirLiveDescendantsAre() {
        var table = with(
            new Process(40, 1, 'Z', List.of("qemu-system-x86_64", "-pidfile", "/x/node1/run/qemu-server/40.pid")),
            p(41, 1, "qemu-system-x86_64", "-pidfile", "/x/node1/run/qemu-server/41.pid"),
            zombie(42, 41));
        assertThat(NodeProcesses.select(table, List.of(RUN), 0, 21)).containsExactly(41L);
    }

    @Test
    void theMarkerMustStartAPathInTheArgument() {
        List<String> m = List.of("/x/node1/run/");
        assertThat(NodeProcesses.namesFileBelow("/x/node1/run/qemu-server/1.pid", m)).isTrue();
        assertThat(NodeProcesses.namesFileBelow("file=/x/node1/run/qemu-server/1.pid", m)).isTrue();
        assertThat(NodeProcesses.namesFileBelow("a,path=/x/node1/run/q.qmp,server=on", m)).isTrue();
        assertThat(NodeProcesses.namesFileBelow("unix:/x/node1/run/q.sock", m)).isTrue();
        assertThat(NodeProcesses.namesFileBelow("/z/x/node1/run/q", m)).isFalse();
        assertThat(NodeProcesses.namesFileBelow("/x/node1/run", m)).isFalse();
        assertThat(NodeProcesses.namesFileBelow("/z/x/node1/run/q,path=/x/node1/run/q", m)).isTrue();
    }

    @Test
    void readsStateParentAndArgumentsFromProc(@org.junit.jupiter.api.io.TempDir Path proc) throws Exception {
        java.nio.file.Files.createDirectories(proc.resolve("7"));
        java.nio.file.Files.writeString(proc.resolve("7/stat"), "7 (qemu (x) y) S 1 7 7 0 -1 4194560 0\n");
        java.nio.file.Files.writeString(proc.resolve("7/cmdline"), "qemu\0-pidfile\0/x/node1/run/qemu-server/7.pid\0");
        java.nio.file.Files.createDirectories(proc.resolve("8"));
        java.nio.file.Files.writeString(proc.resolve("8/stat"), "8 (k) Z 7 7 7 0\n");
        java.nio.file.Files.writeString(proc.resolve("8/cmdline"), "");
        java.nio.file.Files.createDirectories(proc.resolve("self"));
        assertThat(NodeProcesses.read(proc)).containsExactlyInAnyOrder(
            p(7, 1, "qemu", "-pidfile", "/x/node1/run/qemu-server/7.pid"), new Process(8, 7, 'Z', List.of()));
        // the real table has this JVM, with its parent
        long me = ProcessHandle.current().pid();
        assertThat(NodeProcesses.read(Path.of("/proc"))).anyMatch(x -> x.pid() == me
            && x.ppid() == ProcessHandle.current().parent().orElseThrow().pid() && x.argv().get(0).endsWith("java"));
    }
}
