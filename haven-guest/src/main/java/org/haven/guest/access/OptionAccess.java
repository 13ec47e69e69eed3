package org.haven.guest.access;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.guest.config.GuestException;

/**
 * What changing a guest option asks of the caller, as qemu-server's {@code check_vm_modify_config_perm}
 * and pve-container's {@code check_ct_modify_config_perm}: one row per option family with the privilege it
 * needs on the guest, the device and mount options whose value decides, the options that name volumes
 * (checked by the storage layer), and the options only {@code root@pam} may set because they run code on
 * the host, open host files or pass host devices through. A VM option no row names is root's too. One
 * table per guest type ({@link #QEMU}, {@link #LXC}), one {@link #check} for all. Pure: value parsing, the
 * guest's current values, privileges and volume checks come in through {@link Context}.
 */
public final class OptionAccess {
    private OptionAccess() {}

    public static final String ROOT = "root@pam";

    /** How a row decides. */
    public enum Kind {
        /** The row's privileges on the guest. */
        PRIVILEGE,
        /** Root only: 403 "only root can set 'KEY' config" (or the row's {@code denial}). */
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
        SNIPPETS,
        /** A container mount point: the row's privileges; bind mounts and devices are root's, volumes go to the storage layer. */
        MOUNT,
        /** Container feature flags: nesting needs the row's privileges, every other flag (and any flag of a privileged container) is root's. */
        FEATURES,
        /** A network device: the row's privileges, and {@code SDN.Use} on its bridge (a vnet's zone, else {@code localnetwork}), its tag or trunks. */
        NET
    }

    /**
     * One row: the keys it covers (a regular expression), how it decides, the privileges it needs on the
     * guest ({@code any}: one of them suffices; a {@code /path:Priv} entry is needed on that path), why,
     * and for root-only rows the refusal when it is not PVE's "only root can set" ({@code denial}, answered
     * as "Permission check failed (denial)").
     */
    public record Rule(Pattern keys, Kind kind, List<String> privs, boolean any, String reason, String denial) {
        Rule(String keys, Kind kind, List<String> privs, boolean any, String reason) {
            this(Pattern.compile(keys), kind, privs, any, reason, null);
        }
    }

    private static Rule priv(String keys, String priv, String reason) { return new Rule(keys, Kind.PRIVILEGE, List.of(priv), false, reason); }
    private static Rule root(String keys, String reason) { return new Rule(keys, Kind.ROOT, List.of(), false, reason); }
    private static Rule rule(String keys, Kind kind, String priv, String reason) { return new Rule(keys, kind, List.of(priv), false, reason); }
    private static Rule refused(String keys, Kind kind, String denial, String reason) {
        return new Rule(Pattern.compile(keys), kind, List.of(), false, reason, denial);
    }

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
            rule("net\\d+", Kind.NET, "VM.Config.Network", "network devices; the bridge, VLAN tag and trunks need SDN.Use"),
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

    /** The container options (pve-container); an option no row names needs {@code VM.Config.Options}. */
    public static final List<Rule> LXC = List.of(
            priv("cores|cpuunits|cpulimit", "VM.Config.CPU", "CPU limits"),
            priv("memory|swap", "VM.Config.Memory", "memory"),
            rule("net\\d+", Kind.NET, "VM.Config.Network", "network devices; the bridge, VLAN tag and trunks need SDN.Use"),
            priv("nameserver|searchdomain|hostname", "VM.Config.Network", "network"),
            rule("rootfs|mp\\d+", Kind.MOUNT, "VM.Config.Disk", "a bind mount or device exposes the host's files; volumes of other guests and storages"),
            rule("features", Kind.FEATURES, "VM.Config.Options", "feature flags other than nesting loosen the container's confinement"),
            refused("hookscript", Kind.HOOKSCRIPT, "changing the hookscript is only allowed for root@pam",
                    "a script run as root on the host at every guest phase"),
            refused("dev\\d+", Kind.ROOT, "configuring device passthrough is only allowed for root@pam", "a host device node"),
            root("lxc\\..*", "raw LXC keys configure the container runtime on the host"),
            root("lock", "set and cleared by the operations that hold it; only root overrides them"),
            priv(".*", "VM.Config.Options", "general options"));

    /** PVE's {@code NEW_DISK_RE}: {@code [storage:]size} allocates a new disk. */
    private static final Pattern NEW_DISK = Pattern.compile("(?:([^/:\\s]+):)?(\\d+(?:\\.\\d+)?)");
    private static final Pattern CLOUDINIT = Pattern.compile("([^/:\\s]+):cloudinit");

    /** What the check needs from the guest type and the storage layer. */
    public interface Context {
        /** The caller, {@code user@realm} or {@code user@realm!token}. */
        String authid();

        /** The guest's ACL path ({@code /vms/<vmid>}). */
        String guestPath();

        /** The value the guest has for {@code key} now (a pending one first), or null (unset, or a guest being created). */
        String current(String key);

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

        /** The SDN zone of a bridge: the zone of the vnet of that name, else {@code localnetwork} (a plain bridge of the node). */
        default String sdnZone(String bridge) { return "localnetwork"; }
    }

    /** The first row covering {@code key}; null means root only. */
    public static Rule rule(List<Rule> table, String key) {
        for (Rule r : table) if (r.keys().matcher(key).matches()) return r;
        return null;
    }

    /**
     * Check a change: {@code set} holds the new values, {@code removed} the keys deleted or reverted. Throws
     * {@link GuestException} 403 with PVE's message, or 400 for a malformed value or a {@code ..} in a
     * volume name.
     */
    public static void check(List<Rule> table, Context ctx, Map<String, String> set, Collection<String> removed) {
        Function<String, String> effective = k -> set.containsKey(k) ? set.get(k) : ctx.current(k);
        for (var e : set.entrySet()) checkValue(rule(table, e.getKey()), ctx, e.getKey(), e.getValue(), false, effective);
        for (String k : removed) checkValue(rule(table, k), ctx, k, ctx.current(k), true, effective);
    }

    private static void checkValue(Rule r, Context ctx, String key, String value, boolean removing, Function<String, String> effective) {
        boolean root = ROOT.equals(ctx.authid());
        Kind kind = r == null ? Kind.ROOT : r.kind();
        switch (kind) {
            case PRIVILEGE -> { if (!root) require(ctx, r); }
            case ROOT -> { if (!root) throw rootOnly(r, key); }
            case HOOKSCRIPT -> {
                if (!root) throw rootOnly(r, key);
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
            case MOUNT -> {
                if (!root) require(ctx, r);
                if (!removing) mount(ctx, key, props(ctx, key, value).get("volume"));
            }
            case FEATURES -> { if (!root) features(ctx, r, key, value, removing, effective); }
            case NET -> {
                if (root) return;
                require(ctx, r);
                if (!removing && value != null) bridge(ctx, props(ctx, key, value));
            }
        }
    }

    /**
     * PVE's {@code check_vnet_access}: {@code SDN.Use} on {@code /sdn/zones/<zone>/<bridge>/<tag>} for a tag, on
     * the same path per VLAN of the trunks, and on {@code /sdn/zones/<zone>/<bridge>} when there is neither.
     */
    private static void bridge(Context ctx, Map<String, String> net) {
        String bridge = net.get("bridge");
        if (bridge == null) return;
        String path = "/sdn/zones/" + ctx.sdnZone(bridge) + "/" + bridge;
        String tag = net.get("tag"), trunks = net.get("trunks");
        List<String> paths = new java.util.ArrayList<>();
        if (tag != null) paths.add(path + "/" + tag);
        if (trunks != null)
            for (String t : trunks.split(";")) {
                if (t.isBlank()) continue;
                String[] range = t.strip().split("-");
                int from = Integer.parseInt(range[0]), to = range.length > 1 ? Integer.parseInt(range[1]) : from;
                for (int v = from; v <= to; v++) paths.add(path + "/" + v);
            }
        if (paths.isEmpty()) paths.add(path);
        for (String p : paths) if (!ctx.has(p, false, "SDN.Use")) throw forbidden("Permission check failed (" + p + ", SDN.Use)");
    }

    /** pve-container's mount point classes: {@code /dev/…} is a device, another absolute path a bind mount, the rest a volume. */
    private static void mount(Context ctx, String key, String volume) {
        if (volume == null) return;
        if (volume.startsWith("/")) {
            String type = volume.startsWith("/dev/") ? "device" : "bind";
            if (!ROOT.equals(ctx.authid())) throw forbidden("Permission check failed (mount point type " + type + " is only allowed for root@pam)");
            ctx.volume(key, volume);
            return;
        }
        Matcher m = NEW_DISK.matcher(volume);
        if (!m.matches()) ctx.volume(key, volume);
        else if (m.group(1) != null) ctx.allocate(key, m.group(1));
    }

    /**
     * Feature flags of an unprivileged container: a non-root caller may change nesting and nothing else.
     * As pve-container, compared with the current flags; without current flags (or when deleting) only a
     * lone {@code nesting=1} counts as nesting.
     */
    private static void features(Context ctx, Rule r, String key, String value, boolean removing, Function<String, String> effective) {
        if (!isTrue(effective.apply("unprivileged")))
            throw forbidden("Permission check failed (changing feature flags for privileged container is only allowed for root@pam)");
        String currentText = ctx.current(key);
        Map<String, String> old = currentText == null || currentText.isEmpty() ? Map.of() : props(ctx, key, currentText);
        Map<String, String> now = removing || value == null ? Map.of() : props(ctx, key, value);
        boolean others;
        if (!removing && !old.isEmpty()) {
            HashSet<String> flags = new HashSet<>(old.keySet());
            flags.addAll(now.keySet());
            others = flags.stream().anyMatch(f -> !f.equals("nesting") && !flag(old.get(f)).equals(flag(now.get(f))));
        } else {
            Map<String, String> f = removing ? old : now;
            others = !f.isEmpty() && !(f.size() == 1 && isTrue(f.get("nesting")));
        }
        if (others) throw forbidden("Permission check failed (changing feature flags (except nesting) is only allowed for root@pam)");
        require(ctx, r);
    }

    private static boolean isTrue(String v) { return v != null && v.matches("(?i)1|on|yes|true"); }

    /** A flag value with PVE's boolean spellings made one. */
    private static String flag(String v) {
        if (v == null) return "";
        if (isTrue(v)) return "1";
        return v.matches("(?i)0|off|no|false") ? "0" : v;
    }

    private static GuestException rootOnly(Rule r, String key) {
        return forbidden(r == null || r.denial() == null ? "only root can set '" + key + "' config" : "Permission check failed (" + r.denial() + ")");
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
