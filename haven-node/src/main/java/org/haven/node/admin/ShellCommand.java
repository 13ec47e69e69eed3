package org.haven.node.admin;

import java.util.ArrayList;
import java.util.List;

/**
 * What the node's shell runs for a user (PVE's {@code get_shell_command}): {@code root@pam} gets a root login
 * ({@code login -f root}) or one of the named commands ({@code upgrade}, {@code ceph_install} with its
 * NUL-separated {@code cmd-opts}); every other user has to log in ({@code /bin/login}). A node in embedded mode
 * does not hand out the host's root account: there {@code root@pam} gets a login shell of the daemon's own user.
 */
public final class ShellCommand {
    private ShellCommand() {}

    /** The command line for {@code user}; {@code cmd} and {@code cmdOpts} may be null, {@code loginShell} is used in embedded mode. */
    public static List<String> of(String user, String cmd, String cmdOpts, boolean embedded, String loginShell) {
        if (!"root@pam".equals(user)) return List.of("/bin/login");
        List<String> out = new ArrayList<>();
        switch (cmd == null ? "login" : cmd) {
            case "upgrade" -> out.addAll(List.of("/usr/bin/apt-get", "dist-upgrade"));
            case "ceph_install" -> {
                out.addAll(List.of("/usr/bin/pveceph", "install"));
                if (cmdOpts != null && !cmdOpts.isEmpty()) for (String a : cmdOpts.split("\0")) if (!a.isEmpty()) out.add(a);
            }
            default -> {
                if (embedded) out.addAll(List.of(loginShell, "-l"));
                else out.addAll(List.of("/bin/login", "-f", "root"));
            }
        }
        return out;
    }

    /** {@code argv} as one POSIX shell command line (each word single-quoted where it needs it). */
    public static String quote(List<String> argv) { return org.haven.guest.console.PtyShell.quote(argv); }
}
