package org.haven.cfs;

import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.cfs.CfsException;

/**
 * Pure path rules of the cluster file system: normalisation, the virtual links
 * ({@code local}, {@code qemu-server}, {@code lxc}, {@code openvz}) that point into the node's own directory,
 * private paths, status files and guest config paths.
 */
public final class CfsPath {
    private CfsPath() {}

    /** Guest config file below {@code nodes/<node>/(qemu-server|lxc|openvz)/<vmid>.conf}. */
    public record GuestConfig(String node, String type, int vmid) {
        /** Type as PVE's .vmlist names it. */
        public String vmlistType() {
            return switch (type) { case "qemu-server" -> "qemu"; case "openvz" -> "openvz"; default -> "lxc"; };
        }
    }

    private static final Pattern GUEST =
            Pattern.compile("nodes/([^/]+)/(qemu-server|lxc|openvz)/([1-9][0-9]{0,8})\\.conf");
    private static final Pattern PRIV = Pattern.compile("priv(/.*)?|nodes/[^/]+/priv(/.*)?");

    /** Root-level names that are links to the local node's directories. */
    public static final java.util.List<String> LINKS = java.util.List.of("local", "lxc", "openvz", "qemu-server");

    /** Root-level read-only status files. */
    public static final java.util.List<String> STATUS_FILES =
            java.util.List.of(".clusterlog", ".members", ".rrd", ".version", ".vmlist");

    /**
     * Normalises {@code path} (strips leading/trailing '/', collapses '//') and resolves the virtual links
     * against {@code nodeName}. The root is the empty string. Rejects '.', '..' and control characters.
     */
    public static String resolve(String path, String nodeName) {
        if (path == null) throw new CfsException("invalid path: null");
        StringBuilder out = new StringBuilder(path.length() + 16);
        int i = 0, n = path.length();
        boolean first = true;
        while (i < n) {
            int j = path.indexOf('/', i);
            if (j < 0) j = n;
            if (j > i) {
                String comp = path.substring(i, j);
                if (comp.equals(".") || comp.equals("..")) throw new CfsException("invalid path '" + path + "'");
                for (int k = 0; k < comp.length(); k++) {
                    if (comp.charAt(k) < 0x20 || comp.charAt(k) == 0x7f) throw new CfsException("invalid path '" + path + "'");
                }
                if (first) {
                    switch (comp) {
                        case "local" -> comp = "nodes/" + nodeName;
                        case "qemu-server", "lxc", "openvz" -> comp = "nodes/" + nodeName + "/" + comp;
                        default -> { }
                    }
                    first = false;
                } else {
                    out.append('/');
                }
                out.append(comp);
            }
            i = j + 1;
        }
        return out.toString();
    }

    /** Parent directory of a normalised path ("" for top-level entries). */
    public static String parent(String path) {
        int k = path.lastIndexOf('/');
        return k < 0 ? "" : path.substring(0, k);
    }

    /** Last component of a normalised path. */
    public static String name(String path) {
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** True for {@code priv/…} and {@code nodes/<node>/priv/…} (root-only, mode 0700/0600). */
    public static boolean isPrivate(String path) {
        return PRIV.matcher(path).matches();
    }

    public static boolean isStatusFile(String path) {
        return STATUS_FILES.contains(path);
    }

    public static Optional<GuestConfig> guestConfig(String path) {
        Matcher m = GUEST.matcher(path);
        if (!m.matches()) return Optional.empty();
        return Optional.of(new GuestConfig(m.group(1), m.group(2), Integer.parseInt(m.group(3))));
    }

    /** True when {@code path} equals {@code prefix} or lies below it (both normalised). */
    public static boolean isUnder(String path, String prefix) {
        return prefix.isEmpty() || path.equals(prefix)
                || (path.length() > prefix.length() && path.startsWith(prefix) && path.charAt(prefix.length()) == '/');
    }

    /** The path as a PVE user sees it. */
    public static String display(String path) {
        return "/etc/pve/" + path;
    }
}
