package org.haven.guest.access;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.guest.config.GuestException;

/**
 * What a guest config change asks of a caller beyond the method's own permission: the options only
 * {@code root@pam} may set (they run code on the host, open host files or pass host devices through), the
 * device options whose value decides, and the options that name volumes, whose access the storage layer
 * checks. This is the root-only part of qemu-server's {@code check_vm_modify_config_perm}: one table per
 * guest type ({@link #QEMU}), one {@link #check} for all. Pure: value parsing, privileges and volume checks
 * come in through {@link Context}.
 */
public final class RootOnlyOptions {
    private RootOnlyOptions() {}

    public static final String ROOT = "root@pam";

    /** What an option asks of a non-root caller. */
    public enum Kind {
        /** Root only: 403 "only root can set 'KEY' config". */
        ROOT,
        /** A serial port: a {@code socket} is anybody's, a host device root's only. */
        SERIAL,
        /** A USB device: {@code host=spice} is anybody's, a mapping needs {@code Mapping.Use}, other hosts root's only. */
        USB,
        /** A PCI device: a mapping needs {@code Mapping.Use}, a raw host address is root's only. */
        HOSTPCI,
        /** A shared directory: the mapping needs {@code Mapping.Use}. */
        DIR_MAPPING,
        /** A drive: its file (volume, absolute path, new disk or physical CD-ROM) and its {@code import-from} source. */
        DRIVE,
        /** A script volume run on the host: root only, and the volume name is checked for everybody. */
        HOOKSCRIPT,
        /** Snippet volumes named in a property string ({@code cicustom}). */
        SNIPPETS
    }

    /** One row: the keys it covers (a regular expression) and why they are restricted. */
    public record Rule(Pattern keys, Kind kind, String reason) {
        Rule(String keys, Kind kind, String reason) { this(Pattern.compile(keys), kind, reason); }
    }

    /** The VM options (qemu-server). */
    public static final List<Rule> QEMU = List.of(
            new Rule("args", Kind.ROOT, "arbitrary arguments of the QEMU process, which runs as root"),
            new Rule("hookscript", Kind.HOOKSCRIPT, "a script run as root on the host at every guest phase"),
            new Rule("lock", Kind.ROOT, "set and cleared by the operations that hold it; only root overrides them"),
            new Rule("parallel\\d+", Kind.ROOT, "a host parallel port device"),
            new Rule("ivshmem", Kind.ROOT, "a shared memory file on the host"),
            new Rule("arch", Kind.ROOT, "emulation of a foreign CPU architecture"),
            new Rule("serial\\d+", Kind.SERIAL, "a host serial device (a socket is allowed)"),
            new Rule("usb\\d+", Kind.USB, "a host USB device (spice redirection and mapped devices are allowed)"),
            new Rule("hostpci\\d+", Kind.HOSTPCI, "a host PCI device (mapped devices are allowed)"),
            new Rule("virtiofs\\d+", Kind.DIR_MAPPING, "a host directory, through a directory mapping"),
            new Rule("(?:ide|sata|scsi|virtio)\\d+|efidisk0|tpmstate0|cdrom|unused\\d+", Kind.DRIVE,
                    "volumes of other guests and storages, absolute host paths, import sources"),
            new Rule("cicustom", Kind.SNIPPETS, "snippet files read into the cloud-init image"));

    /** PVE's {@code NEW_DISK_RE}: {@code [storage:]size} allocates a new disk. */
    private static final Pattern NEW_DISK = Pattern.compile("(?:([^/:\\s]+):)?(\\d+(?:\\.\\d+)?)");
    private static final Pattern CLOUDINIT = Pattern.compile("([^/:\\s]+):cloudinit");

    /** What the check needs from the guest type and the storage layer. */
    public interface Context {
        /** The caller, {@code user@realm} or {@code user@realm!token}. */
        String authid();

        /** All (or, with {@code any}, one) of {@code privs} on {@code path}. */
        boolean has(String path, boolean any, String... privs);

        /** The keys of a property-string option value, aliases resolved (throws IllegalArgumentException when malformed). */
        Map<String, String> props(String key, String value);

        /** PVE's {@code check_volume_access} of a volume ID or path named in {@code key} (also for root: no {@code ..}). */
        void volume(String key, String volid);

        /** The source of a disk import named in {@code key}. */
        void importSource(String key, String source);

        /** A new volume on {@code storage} for {@code key}. */
        void allocate(String key, String storage);
    }

    /** The rule covering {@code key}, or null when the method's permission is all it takes. */
    public static Rule rule(List<Rule> table, String key) {
        for (Rule r : table) if (r.keys().matcher(key).matches()) return r;
        return null;
    }

    /**
     * Check a change: {@code set} holds the new values, {@code removed} the old values of the keys deleted or
     * reverted. Throws {@link GuestException} 403 with PVE's message, or 400 for a malformed value.
     */
    public static void check(List<Rule> table, Context ctx, Map<String, String> set, Map<String, String> removed) {
        for (var e : set.entrySet()) {
            Rule r = rule(table, e.getKey());
            if (r != null) checkValue(r.kind(), ctx, e.getKey(), e.getValue(), false);
        }
        for (var e : removed.entrySet()) {
            Rule r = rule(table, e.getKey());
            if (r != null) checkValue(r.kind(), ctx, e.getKey(), e.getValue(), true);
        }
    }

    /** Keys deleted or reverted, with their old values (null when the key is not set). */
    public static Map<String, String> oldValues(Collection<String> keys, java.util.function.Function<String, String> current) {
        Map<String, String> out = new java.util.LinkedHashMap<>();
        for (String k : keys) out.put(k, current.apply(k));
        return out;
    }

    private static void checkValue(Kind kind, Context ctx, String key, String value, boolean removing) {
        boolean root = ROOT.equals(ctx.authid());
        switch (kind) {
            case ROOT -> { if (!root) throw forbidden("only root can set '" + key + "' config"); }
            case HOOKSCRIPT -> {
                if (!root) throw forbidden("only root can set '" + key + "' config");
                if (!removing) ctx.volume(key, value);
            }
            case SERIAL -> {
                if (!root && value != null && !value.equals("socket"))
                    throw forbidden("only root can " + (removing ? "delete" : "set") + " '" + key + "' config for real devices");
            }
            case USB -> {
                if (root || value == null) return;
                Map<String, String> d = props(ctx, key, value);
                String host = d.get("host");
                if (host != null && !host.equalsIgnoreCase("spice")) throw forbidden("only root can set '" + key + "' config for real devices");
                if (d.containsKey("mapping")) mapping(ctx, "usb", d.get("mapping"));
            }
            case HOSTPCI -> {
                if (root || value == null) return;
                Map<String, String> d = props(ctx, key, value);
                if (d.containsKey("mapping")) mapping(ctx, "pci", d.get("mapping"));
                else throw forbidden("only root can set '" + key + "' config for non-mapped devices");
            }
            case DIR_MAPPING -> {
                if (root || value == null) return;
                mapping(ctx, "dir", props(ctx, key, value).get("dirid"));
            }
            case DRIVE -> { if (!removing) drive(ctx, key, value); }
            case SNIPPETS -> {
                if (removing) return;
                for (String volid : props(ctx, key, value).values()) ctx.volume(key, volid);
            }
        }
    }

    private static void drive(Context ctx, String key, String value) {
        Map<String, String> d = props(ctx, key, value);
        String file = d.get("file");
        if (file != null && !file.equals("none")) {
            Matcher m;
            if (file.equals("cdrom")) {
                if (!ROOT.equals(ctx.authid()) && !ctx.has("/", false, "Sys.Console")) throw forbidden("Permission check failed (/, Sys.Console)");
            } else if ((m = NEW_DISK.matcher(file)).matches()) {
                if (m.group(1) != null) ctx.allocate(key, m.group(1));
            } else if ((m = CLOUDINIT.matcher(file)).matches()) {
                ctx.allocate(key, m.group(1));
            } else {
                ctx.volume(key, file);
            }
        }
        String source = d.get("import-from");
        if (source != null) ctx.importSource(key, source);
    }

    private static void mapping(Context ctx, String type, String id) {
        String path = "/mapping/" + type + "/" + id;
        if (!ctx.has(path, false, "Mapping.Use")) throw forbidden("Permission check failed (" + path + ", Mapping.Use)");
    }

    private static Map<String, String> props(Context ctx, String key, String value) {
        try {
            return ctx.props(key, value);
        } catch (IllegalArgumentException e) {
            throw GuestException.param(key, "invalid format - " + e.getMessage());
        }
    }

    private static GuestException forbidden(String message) {
        return new GuestException(403, message);
    }
}
