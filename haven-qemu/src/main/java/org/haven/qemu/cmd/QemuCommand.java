package org.haven.qemu.cmd;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * A generated QEMU command line plus what has to exist before it runs.
 *
 * @param argv  the command, binary first
 * @param taps  tap devices QEMU opens; the bridge script plugs each into its bridge
 * @param tpm   the swtpm instance to start first, or null
 * @param efiVars the EFI vars file the VM needs (copied from OVMF's template if missing), or null
 */
public record QemuCommand(List<String> argv, List<Tap> taps, Tpm tpm, EfiVars efiVars) {

    /** A nic's tap: {@code tap<vmid>i<n>} on {@code bridge}, with an optional VLAN tag, trunks and MTU. */
    public record Tap(String name, String bridge, Integer tag, String trunks, Integer mtu, boolean firewall) {}

    /** swtpm state for {@code tpmstate0}: the state file, TPM version ({@code v1.2}/{@code v2.0}), control socket. */
    public record Tpm(String statePath, String version, String socket) {}

    /** The EFI vars file for {@code efidisk0} and the template to initialise it from. */
    public record EfiVars(String path, String template, String format) {}

    private static final Pattern SAFE = Pattern.compile("[\\w!%+\\-./:=@^]+");

    /** PVE's shellquote (String::ShellQuote): quote with single quotes unless the word is plain. */
    public static String quote(String s) {
        if (s.isEmpty()) return "''";
        if (SAFE.matcher(s).matches()) return s;
        return "'" + s.replace("'", "'\\''") + "'";
    }

    /** One line, as {@code qm showcmd} prints it. */
    public String toShell() {
        List<String> q = new ArrayList<>();
        for (String a : argv) q.add(quote(a));
        return String.join(" ", q);
    }

    /** {@code qm showcmd --pretty}: one option with its values per line, joined with backslashes. */
    public String pretty() {
        StringBuilder sb = new StringBuilder(quote(argv.get(0)));
        for (int i = 1; i < argv.size(); i++) {
            String a = argv.get(i);
            if (a.startsWith("-")) sb.append(" \\\n  ");
            else sb.append(' ');
            sb.append(quote(a));
        }
        return sb.toString();
    }
}
