package org.haven.guest.access;

import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.guest.config.GuestException;

/**
 * What changing a guest option asks of the caller, as qemu-server's {@code check_vm_modify_config_perm}:
 * one row per option family with the privilege it needs on the guest, the device options whose value
 * decides, the options that name volumes (checked by the storage layer), and, for every option no row
 * names, {@code root@pam}: options that run code on the host, open host files or pass host devices
 * through are root's, and so is every option nobody has classified yet. One table per guest type
 * ({@link #QEMU}), one {@link #check} for all. Pure: value parsing, privileges and volume checks come in
 * through {@link Context}.
 */
public final class OptionAccess {
    private OptionAccess() {}

    public static final String ROOT = "root@pam";

    /** How a row decides. */
    public enum Kind {
        /** The row's privileges on the guest. */
        PRIVILEGE,
        /** Root only: 403 "only root can set 'KEY' config". */
        ROOT,
        /** A serial port: a {@code socket} needs the row's privileges, a host device is root's. */
        SERIAL,
        /** A USB device: {@code host=spice} needs the row's privileges, a mapping also {@code Mapping.Use}, other hosts are root's. */
        USB,
        /** A PCI device: a mapping needs the row's privileges and {@code Mapping.Use}, a raw host address is root's. */
        HOSTPCI,
        /** A shared directory: the row's privileges and {@code Mapping.Use} on the directory mapping. */
        DIR_MAPPING,
        /** A drive: {@code VM.Config.CDROM} or {@code VM.Config.Disk}, then its file and {@code import-from} source. */
        DRIVE,
        /** A script run on the host: root only, and its volume name is checked for root too. */
        HOOKSCRIPT,
        /** The row's privileges, and the snippet volumes the property string names. */
        SNIPPETS
    }

    /**
     * One row: the keys it covers (a regular expression), how it decides, the privileges it needs on the
     * guest ({@code any}: one of them suffices; a {@code /path:Priv} entry is needed on that path) and why.
     */
    public record Rule(Pattern keys, Kind kind, List<String> privs, boolean any, String reason) {
        Rule(String keys, Kind kind, List<String> privs, boolean any, String reason) {
            this(Pattern.compile(keys), kind, privs, any, reason);
        }
    }

    private static Rule priv(String keys, String priv, String reason) { return new Rule(keys, Kind.PRIVILEGE, List.of(priv), false, reason); }
    private static Rule root(String keys, String reason) { return new Rule(keys, Kind.ROOT, List.of(), false, reason); }
    private static Rule rule(String keys, Kind kind, String priv, String reason) { return new Rule(keys, kind, List.of(priv), false, reason); }

    /** The VM options (qemu-server). */
    public static final List<Rule> QEMU = List.of(
            priv("cores|cpu|cpulimit|cpuunits|numa|numa\\d+|smp|sockets|vcpus|affinity", "VM.Config.CPU", "virtual CPUs"),
            priv("memory|balloon|shares", "VM.Config.Memory", "memory"),
            priv("acpi|hotplug|kvm|machine|scsihw|smbios1|tablet|vga|watchdog|audio0|spice_enhancements|vmgenid", "VM.Config.HWType",
                    "emulated hardware"),
            priv("agent|autostart|bios|description|keephugepages|keyboard|localtime|migrate_downtime|migrate_speed|name|onboot|ostype"
                    + "|protection|reboot|startdate|tags|tdf|template", "VM.Config.Options", "general options"),
            new Rule("startup", Kind.PRIVILEGE, List.of("VM.Config.Options", "/:Sys.Modify"), false, "the host's start order"),
            priv("freeze", "VM.PowerMgmt", "power management"),
            new Rule("vmstate", Kind.PRIVILEGE, List.of("VM.Config.Disk", "VM.PowerMgmt"), false, "the saved state of a hibernated guest"),
            priv("boot|bootdisk|vmstatestorage", "VM.Config.Disk", "disk layout"),
            priv("net\\d+", "VM.Config.Network", "network devices"),
            new Rule("cipassword|citype|ciuser|ciupgrade|nameserver|searchdomain|sshkeys|ipconfig\\d+", Kind.PRIVILEGE,
                    List.of("VM.Config.Cloudinit", "VM.Config.Network"), true, "cloud-init settings"),
            new Rule("cicustom", Kind.SNIPPETS, List.of("VM.Config.Cloudinit", "VM.Config.Network"), true,
                    "snippet files read into the cloud-init image"),
            new Rule("(?:ide|sata|scsi|virtio)\\d+|efidisk0|tpmstate0|cdrom|unused\\d+", Kind.DRIVE, List.of("VM.Config.Disk"), false,
                    "volumes of other guests and storages, absolute host paths, import sources"),
            rule("serial\\d+", Kind.SERIAL, "VM.Config.HWType", "a host serial device (a socket is anybody's)"),
            rule("usb\\d+", Kind.USB, "VM.Config.HWType", "a host USB device (spice redirection and mapped devices are allowed)"),
            rule("hostpci\\d+", Kind.HOSTPCI, "VM.Config.HWType", "a host PCI device (mapped devices are allowed)"),
            rule("virtiofs\\d+", Kind.DIR_MAPPING, "VM.Config.Options", "a host directory, through a directory mapping"),
            new Rule("hookscript", Kind.HOOKSCRIPT, List.of(), false, "a script run as root on the host at every guest phase"),
            root("args", "arbitrary arguments of the QEMU process, which runs as root"),
            root("lock", "set and cleared by the operations that hold it; only root overrides them"),
            root("parallel\\d+", "a host parallel port device"),
            root("ivshmem", "a shared memory file on the host"),
            root("rng0", "a host entropy device"),
            root("hugepages", "host memory reserved as huge pages"),
            root("arch", "emulation of a foreign CPU architecture"),
            root("amd-sev", "a host memory-encryption feature"));

    /** PVE's {@code NEW_DISK_RE}: {@code [storage:]size} allocates a new disk. */
    private static final Pattern NEW_DISK = Pattern.compile("(?:([^/:\\s]+):)?(\\d+(?:\\.\\d+)?)");
    private static final Pattern CLOUDINIT = Pattern.compile("([^/:\\s]+):cloudinit");

    /** What the check needs from the guest type and the storage layer. */
    public interface Context {
        /** The caller, {@code user@realm} or {@code user@realm!token}. */
        String authid();

        /** The guest's ACL path ({@code /vms/<vmid>}). */
        String guestPath();

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

    /** The row covering {@code key}; null means root only. */
    public static Rule rule(List<Rule> table, String key) {
        for (Rule r : table) if (r.keys().matcher(key).matches()) return r;
        return null;
    }

    /**
     * Check a change: {@code set} holds the new values, {@code removed} the old values (null when unset) of
     * the keys deleted or reverted. Throws {@link GuestException} 403 with PVE's message, or 400 for a
     * malformed value or a {@code ..} in a volume name.
     */
    public static void check(List<Rule> table, Context ctx, Map<String, String> set, Map<String, String> removed) {
        for (var e : set.entrySet()) checkValue(rule(table, e.getKey()), ctx, e.getKey(), e.getValue(), false);
        for (var e : removed.entrySet()) checkValue(rule(table, e.getKey()), ctx, e.getKey(), e.getValue(), true);
    }

    /** Keys deleted or reverted, with their old values. */
    public static Map<String, String> oldValues(Collection<String> keys, Function<String, String> current) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String k : keys) out.put(k, current.apply(k));
        return out;
    }

    private static void checkValue(Rule r, Context ctx, String key, String value, boolean removing) {
        boolean root = ROOT.equals(ctx.authid());
        Kind kind = r == null ? Kind.ROOT : r.kind();
        switch (kind) {
            case PRIVILEGE -> { if (!root) require(ctx, r); }
            case ROOT -> { if (!root) throw forbidden("only root can set '" + key + "' config"); }
            case HOOKSCRIPT -> {
                if (!root) throw forbidden("only root can set '" + key + "' config");
                if (!removing) ctx.volume(key, value);
            }
            case SERIAL -> {
                if (root) return;
                if (value != null && !value.equals("socket"))
                    throw forbidden("only root can " + (removing ? "delete" : "set") + " '" + key + "' config for real devices");
                require(ctx, r);
            }
            case USB -> {
                if (root) return;
                require(ctx, r);
                if (value == null) return;
                Map<String, String> d = props(ctx, key, value);
                String host = d.get("host");
                if (host != null && !host.equalsIgnoreCase("spice")) throw forbidden("only root can set '" + key + "' config for real devices");
                if (d.containsKey("mapping")) mapping(ctx, "usb", d.get("mapping"));
            }
            case HOSTPCI -> {
                if (root) return;
                if (value == null) { require(ctx, r); return; }
                Map<String, String> d = props(ctx, key, value);
                if (!d.containsKey("mapping")) throw forbidden("only root can set '" + key + "' config for non-mapped devices");
                mapping(ctx, "pci", d.get("mapping"));
                require(ctx, r);
            }
            case DIR_MAPPING -> {
                if (root) return;
                require(ctx, r);
                if (value != null) mapping(ctx, "dir", props(ctx, key, value).get("dirid"));
            }
            case DRIVE -> {
                Map<String, String> d = value == null ? Map.of() : props(ctx, key, value);
                if (!root) {
                    boolean cdrom = key.equals("cdrom") || "cdrom".equals(d.get("media"));
                    String p = cdrom ? "VM.Config.CDROM" : "VM.Config.Disk";
                    if (!ctx.has(ctx.guestPath(), false, p)) throw forbidden("Permission check failed (" + ctx.guestPath() + ", " + p + ")");
                }
                if (!removing) drive(ctx, key, d);
            }
            case SNIPPETS -> {
                if (!root) require(ctx, r);
                if (!removing) for (String volid : props(ctx, key, value).values()) ctx.volume(key, volid);
            }
        }
    }

    private static void drive(Context ctx, String key, Map<String, String> d) {
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

    /** The row's privileges: on the guest, or on the path of a {@code /path:Priv} entry. */
    private static void require(Context ctx, Rule r) {
        List<String> onGuest = r.privs().stream().filter(p -> !p.startsWith("/")).toList();
        if (!onGuest.isEmpty() && !ctx.has(ctx.guestPath(), r.any(), onGuest.toArray(String[]::new)))
            throw forbidden("Permission check failed (" + ctx.guestPath() + ", " + String.join(r.any() ? "|" : ", ", onGuest) + ")");
        for (String p : r.privs()) {
            if (!p.startsWith("/")) continue;
            String path = p.substring(0, p.indexOf(':')), priv = p.substring(p.indexOf(':') + 1);
            if (!ctx.has(path, false, priv)) throw forbidden("Permission check failed (" + path + ", " + priv + ")");
        }
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
