package org.haven.core.testing;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * What a test needs from the machine. A test that needs something Debian can install <em>fails</em> when it is
 * missing ({@link #require}, {@link #requireFile}, {@link #requireRoot}): {@code ./test} installs all of it and runs
 * as root, so a missing tool is a broken setup, never a reason to pass quietly. A test <em>skips</em> only for what
 * this machine cannot have ({@link #unavailableHere} with one of the {@link Impossible}s).
 */
public final class Tools {
    private Tools() {}

    /** Where commands are looked up besides {@code PATH} (the sbin directories are often not on a user's PATH). */
    private static final List<String> SYSTEM_DIRS = List.of("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin");

    /** What this machine cannot have: the only reasons a test may skip. */
    public enum Impossible {
        DEVICE_MAPPER("device-mapper (this kernel has none)"),
        DM_THIN("device-mapper thin provisioning"),
        ZFS("ZFS (its kernel module cannot be built for this kernel)"),
        HARDWARE_WATCHDOG("a hardware watchdog"),
        NFS_CLIENT("the kernel NFS client (this kernel has none)"),
        CIFS_CLIENT("the kernel CIFS client (this kernel has none)"),
        KERNEL_ISCSI("the kernel iSCSI initiator (this kernel has none)"),
        KERNEL_RBD("the kernel RBD client (this kernel has none)"),
        KERNEL_VLAN("802.1Q VLAN devices (this kernel has none)");

        private final String what;

        Impossible(String what) { this.what = what; }

        @Override public String toString() { return what; }
    }

    /**
     * The executable file of {@code command}: an absolute path as it is, otherwise the first match on {@code PATH} and
     * in the system directories.
     */
    private static Optional<Path> find(String command) {
        if (command.startsWith("/")) return Optional.of(Path.of(command)).filter(Files::isExecutable);
        Set<String> dirs = new LinkedHashSet<>();
        String path = System.getenv("PATH");
        if (path != null) for (String d : path.split(":")) if (!d.isEmpty()) dirs.add(d);
        dirs.addAll(SYSTEM_DIRS);
        return dirs.stream().map(d -> Path.of(d, command)).filter(Files::isExecutable).findFirst();
    }

    /** Fail unless all {@code commands} (names or absolute paths) are installed; they come with Debian's {@code pkg}. */
    public static void require(String pkg, String... commands) {
        List<String> missing = new ArrayList<>();
        for (String c : commands) if (find(c).isEmpty()) missing.add(c);
        if (!missing.isEmpty()) {
            Assertions.fail("missing " + String.join(", ", missing) + " (Debian package " + pkg + "; ./test installs it)");
        }
    }

    /** Fail unless {@code file} exists (a device node, a kernel, a module…); it comes with Debian's {@code pkg}. */
    public static void requireFile(Path file, String pkg) {
        if (!Files.exists(file)) Assertions.fail("missing " + file + " (Debian package " + pkg + "; ./test installs it)");
    }

    /** Fail unless the test runs as root ({@code ./test} and CI do); {@code why} says what needs it. */
    public static void requireRoot(String why) {
        if (!"root".equals(System.getProperty("user.name"))) Assertions.fail("must run as root: " + why);
    }

    /** Skip the test: it needs {@code what}, which this machine cannot have; {@code reason} says what needs it. */
    public static void unavailableHere(Impossible what, String reason) {
        Assumptions.abort(reason + ": needs " + what + ", which this machine cannot have");
    }

    /**
     * PVE's API schema, {@code spec/pve-api-8.4.json} of the specification that lies beside the checkout (as it does
     * on every machine of the project and in CI), or the file named by {@code -Dhaven.spec}. Fails when it is not
     * there: the conformance tests that read it must not pass without it.
     */
    public static Path pveApiSpec() {
        // the tests run in the module directory, one level below the checkout
        Path spec = Path.of(System.getProperty("haven.spec", "../../shared/spec/pve-api-8.4.json"));
        if (!Files.isRegularFile(spec)) {
            Assertions.fail("PVE API schema not found at " + spec.toAbsolutePath().normalize()
                    + ": the specification lies outside the repository, in shared/ beside the checkout (or pass -Dhaven.spec=FILE)");
        }
        return spec;
    }
}
