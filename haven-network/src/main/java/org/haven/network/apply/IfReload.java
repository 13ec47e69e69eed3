package org.haven.network.apply;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Applies an interfaces file with ifupdown2's {@code ifreload -a}. For the machine's own
 * {@code /etc/network/interfaces} that is the plain command. For another file (an embedded node's, a test's)
 * ifupdown2 is pointed at it through its own configuration directory: a copy of
 * {@code /etc/network/ifupdown2} whose {@code ifupdown2.conf} names the file and a private state directory,
 * bind-mounted over the original (and a private {@code /run/network}) in the mount namespace that
 * {@code ip netns exec} gives the command, so nothing of the host's ifupdown2 state is touched.
 */
public final class IfReload {
    public static final Path SYSTEM_FILE = Path.of("/etc/network/interfaces");
    static final Path SYSTEM_CONF = Path.of("/etc/network/ifupdown2");

    private final List<String> prefix;
    private final Path file;
    private final Path work;

    /**
     * @param prefix the command prefix that enters the target namespace ({@code ip netns exec NS}), empty for the host
     * @param file the interfaces file
     * @param work a directory for ifupdown2's configuration copy and state when {@code file} is not the system one
     */
    public IfReload(List<String> prefix, Path file, Path work) {
        this.prefix = List.copyOf(prefix);
        this.file = file;
        this.work = work;
        if (!file.equals(SYSTEM_FILE) && (prefix.isEmpty() || !prefix.get(0).equals("ip")))
            throw new IllegalArgumentException("an alternate interfaces file is applied only inside 'ip netns exec'");
    }

    /**
     * The {@code ip netns exec NS} prefix of the namespace an embedded node applies its network in, from
     * {@code haven.network.netns} or {@code HAVEN_NETWORK_NETNS}; empty for none.
     */
    public static List<String> netnsFromEnvironment() {
        String ns = System.getProperty("haven.network.netns", System.getenv("HAVEN_NETWORK_NETNS"));
        return ns == null || ns.isBlank() ? List.of() : List.of("ip", "netns", "exec", ns);
    }

    /** A node's interfaces file: the host's in system mode, {@code <data-dir>/network/interfaces} in embedded mode. */
    public static Path nodeFile(boolean embedded, Path dataDir) {
        return embedded ? dataDir.resolve("network").resolve("interfaces") : SYSTEM_FILE;
    }

    /**
     * How a node applies its interfaces file: the host's directly in system mode; an embedded node's only inside
     * the namespace {@code prefix} enters (with ifupdown2's state under {@code <data-dir>/network/ifupdown2}),
     * and not at all (null) without one.
     */
    public static IfReload forNode(boolean embedded, Path dataDir, List<String> prefix) {
        if (!embedded) return new IfReload(prefix, SYSTEM_FILE, null);
        if (prefix.isEmpty()) return null;
        return new IfReload(prefix, nodeFile(true, dataDir), dataDir.resolve("network").resolve("ifupdown2"));
    }

    /** The command that reloads {@link #file}. */
    public List<String> command() {
        List<String> cmd = new ArrayList<>(prefix);
        if (file.equals(SYSTEM_FILE)) {
            cmd.addAll(List.of("ifreload", "-a"));
            return cmd;
        }
        Path conf = work.resolve("ifupdown2"), run = work.resolve("run");
        cmd.addAll(List.of("sh", "-c", "mkdir -p /run/network && mount --bind " + quote(run) + " /run/network"
                + " && mount --bind " + quote(conf) + " " + SYSTEM_CONF + " && exec ifreload -a"));
        return cmd;
    }

    /** {@code ifupdown2.conf} with the interfaces file and state directory replaced (pure). */
    public static String config(String systemConf, Path file, Path stateDir) {
        StringBuilder sb = new StringBuilder();
        for (String line : systemConf.split("\n")) {
            if (line.startsWith("default_interfaces_configfile=") || line.startsWith("state_dir=")) continue;
            sb.append(line).append('\n');
        }
        sb.append("default_interfaces_configfile=").append(file).append('\n');
        sb.append("state_dir=").append(stateDir).append("/\n");
        return sb.toString();
    }

    /** Run {@code ifreload -a}; returns its output, throws with it when it fails. */
    public String apply() throws IOException {
        if (!file.equals(SYSTEM_FILE)) prepare();
        return Cmd.run(command(), 300);
    }

    private void prepare() throws IOException {
        Path conf = work.resolve("ifupdown2");
        Files.createDirectories(conf);
        Files.createDirectories(work.resolve("run"));
        Files.createDirectories(work.resolve("state"));
        if (!Files.isDirectory(SYSTEM_CONF)) throw new IOException("ifupdown2 is not installed (no " + SYSTEM_CONF + ")");
        try (Stream<Path> s = Files.walk(SYSTEM_CONF)) {
            for (Path p : (Iterable<Path>) s::iterator) {
                Path t = conf.resolve(SYSTEM_CONF.relativize(p).toString());
                if (Files.isDirectory(p)) Files.createDirectories(t);
                else Files.copy(p, t, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path main = conf.resolve("ifupdown2.conf");
        String sys = Files.exists(main) ? Files.readString(main) : "";
        Files.writeString(main, config(sys, file.toAbsolutePath(), work.resolve("state").toAbsolutePath()));
    }

    static String quote(Path p) {
        return "'" + p.toAbsolutePath().toString().replace("'", "'\\''") + "'";
    }
}
