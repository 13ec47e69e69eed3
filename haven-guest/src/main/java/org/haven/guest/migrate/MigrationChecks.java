package org.haven.guest.migrate;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;

import org.haven.guest.GuestVolumes;
import org.haven.guest.VolumeKeys;

/**
 * What decides whether a VM can migrate, as PVE's {@code check_local_resources}, {@code check_storage_availability}
 * and the volume scan of {@code QemuMigrate::prepare} do: the volumes a config references (current values, pending
 * values, snapshots, unused disks) and on which storages they live, the local host devices that pin a VM to its
 * node, and the refusal messages. Pure: storage facts come in through a lookup function.
 */
public final class MigrationChecks {
    private MigrationChecks() {}

    /** What migration needs to know about a storage. {@code nodes} empty means: every node. */
    public record StorageFacts(String id, boolean enabled, boolean shared, Set<String> nodes) {
        public boolean availableOn(String node) { return nodes.isEmpty() || nodes.contains(node); }
    }

    /** Where a volume is referenced. */
    public enum Ref { CONFIG, PENDING, SNAPSHOT, UNUSED }

    /**
     * A volume of the VM: {@code storage} null for absolute paths, {@code shared} true when every node sees it
     * (shared storages, and paths which migration leaves alone as PVE does for non-volume files).
     */
    public record Volume(String volid, String key, String storage, boolean shared, boolean cdrom, Ref ref, String size) {
        public boolean local() { return !shared; }
    }

    /** A migration request. */
    public record Request(boolean running, boolean online, boolean withLocalDisks, boolean force) {}

    /**
     * PVE's {@code targetstorage} ({@code storage-pair-list}): {@code source:target} pairs, a bare storage as the
     * default for all others, or {@code 1} for every storage mapped to itself (also what an empty map does).
     */
    public record StorageMap(Map<String, String> pairs, String fallback) {
        public static final StorageMap IDENTITY = new StorageMap(Map.of(), null);

        /** The parameter's text ({@code 1} for the identity), as the target's start takes it. */
        public String print() {
            if (pairs.isEmpty() && fallback == null) return "1";
            List<String> parts = new ArrayList<>();
            new TreeMap<>(pairs).forEach((k, v) -> parts.add(k + ":" + v));
            if (fallback != null) parts.add(fallback);
            return String.join(",", parts);
        }

        public String map(String source) {
            String t = pairs.get(source);
            if (t != null) return t;
            return fallback != null ? fallback : source;
        }

        /** Parse the parameter; throws IllegalArgumentException with PVE's wording for a malformed list. */
        public static StorageMap parse(String text) {
            if (text == null || text.isBlank() || text.strip().equals("1")) return IDENTITY;
            LinkedHashMap<String, String> pairs = new LinkedHashMap<>();
            String fallback = null;
            for (String e : text.split("[,;\\s]+")) {
                if (e.isEmpty()) continue;
                int c = e.indexOf(':');
                if (c < 0) {
                    if (fallback != null) throw new IllegalArgumentException("default target storage specified more than once");
                    fallback = e;
                } else {
                    String src = e.substring(0, c), dst = e.substring(c + 1);
                    if (src.isEmpty() || dst.isEmpty()) throw new IllegalArgumentException("invalid storage pair '" + e + "'");
                    if (pairs.put(src, dst) != null) throw new IllegalArgumentException("source storage '" + src + "' is mapped more than once");
                }
            }
            return new StorageMap(Map.copyOf(pairs), fallback);
        }
    }

    /**
     * The volumes of a config. {@code sections} are the current config first, then pending values and snapshots;
     * a volume is listed once, with the first place it was found. {@code cdrom}/{@code none} entries are kept
     * (cdrom drives pointing at the host's drive pin the VM).
     */
    public static List<Volume> volumes(VolumeKeys keys, Map<String, String> current, Map<String, String> pending, Map<String, Map<String, String>> snapshots,
                                       Function<String, Optional<StorageFacts>> storages) {
        LinkedHashMap<String, Volume> out = new LinkedHashMap<>();
        scan(keys, current, Ref.CONFIG, storages, out);
        if (pending != null) scan(keys, pending, Ref.PENDING, storages, out);
        if (snapshots != null) for (Map<String, String> s : snapshots.values()) scan(keys, s, Ref.SNAPSHOT, storages, out);
        return new ArrayList<>(out.values());
    }

    private static void scan(VolumeKeys keys, Map<String, String> conf, Ref ref, Function<String, Optional<StorageFacts>> storages, Map<String, Volume> out) {
        for (Map.Entry<String, String> e : new TreeMap<>(conf).entrySet()) {
            String key = e.getKey();
            boolean unused = key.matches("unused\\d+");
            if (!keys.isVolumeKey(key) && !unused && !key.equals("vmstate")) continue;
            String file;
            boolean cdrom = false;
            String size = null;
            if (key.equals("vmstate")) {
                file = e.getValue();
            } else if (unused) {
                file = GuestVolumes.unusedVolume(e.getValue());
            } else {
                Map<String, String> d;
                try {
                    d = keys.parse(key, e.getValue());
                } catch (IllegalArgumentException ex) {
                    continue;
                }
                file = d.get(keys.volumeProperty());
                cdrom = keys.isMedia(d);
                size = d.get("size");
            }
            if (file == null || file.isEmpty()) continue;
            if (out.containsKey(file) && !file.equals("cdrom")) continue;
            Ref r = unused ? Ref.UNUSED : ref;
            if (file.equals("none")) continue;
            if (file.equals("cdrom")) {
                // the host's optical drive
                if (ref == Ref.CONFIG || !out.containsKey(file)) out.put(file + "@" + key, new Volume(file, key, null, false, true, r, null));
                continue;
            }
            if (file.startsWith("/")) {
                out.put(file, new Volume(file, key, null, true, cdrom, r, size));
                continue;
            }
            int colon = file.indexOf(':');
            String storage = colon < 0 ? file : file.substring(0, colon);
            boolean shared = storages.apply(storage).map(StorageFacts::shared).orElse(false);
            out.put(file, new Volume(file, key, storage, shared, cdrom, r, size));
        }
    }

    /**
     * Host devices that tie the VM to this node (PVE's {@code check_local_resources}): {@code hostpci*}, host
     * {@code usb*} devices (SPICE redirection and mapped devices are fine), {@code serial*} on host devices
     * ({@code socket} is recreated on the target), {@code parallel*}, and {@code ivshmem}.
     */
    public static List<String> localResources(Map<String, String> conf) {
        TreeSet<String> out = new TreeSet<>(java.util.Comparator.comparing((String k) -> k.replaceAll("\\d+$", ""))
                .thenComparingInt(k -> k.matches(".*\\d$") ? Integer.parseInt(k.replaceAll("^\\D+", "")) : -1));
        for (Map.Entry<String, String> e : conf.entrySet()) {
            String k = e.getKey(), v = e.getValue();
            if (k.equals("ivshmem") || k.equals("hostusb") || k.equals("hostpci")) {
                out.add(k);
                continue;
            }
            if (k.matches("usb\\d+")) {
                String host = usbHost(v);
                if (host == null || host.equalsIgnoreCase("spice") || mapped(v)) continue;
                out.add(k);
            } else if (k.matches("hostpci\\d+")) {
                if (mapped(v)) continue;
                out.add(k);
            } else if (k.matches("serial\\d+")) {
                if (!v.equals("socket")) out.add(k);
            } else if (k.matches("parallel\\d+")) {
                out.add(k);
            }
        }
        return new ArrayList<>(out);
    }

    private static String usbHost(String v) {
        for (String part : v.split(",")) {
            if (part.startsWith("host=")) return part.substring(5);
            if (!part.contains("=")) return part;
        }
        return null;
    }

    private static boolean mapped(String v) {
        for (String part : v.split(",")) if (part.startsWith("mapping=")) return true;
        return false;
    }

    /**
     * Storages of the VM's volumes that are disabled or not available on {@code node} (sorted), as the
     * precondition check reports them in {@code not_allowed_nodes}.
     */
    public static List<String> unavailableStorages(List<Volume> volumes, String node, Function<String, Optional<StorageFacts>> storages) {
        TreeSet<String> out = new TreeSet<>();
        for (Volume v : volumes) {
            if (v.storage() == null) continue;
            Optional<StorageFacts> s = storages.apply(v.storage());
            if (s.isEmpty() || !s.get().enabled() || !s.get().availableOn(node)) out.add(v.storage());
        }
        return new ArrayList<>(out);
    }

    /**
     * PVE's {@code check_storage_availability} for the current config: the first storage that does not exist,
     * is disabled or is not available on {@code target}, as PVE's message; empty when every volume can be used there.
     */
    public static Optional<String> storageProblem(List<Volume> volumes, String target, Function<String, Optional<StorageFacts>> storages) {
        return storageProblem(volumes, target, storages, StorageMap.IDENTITY);
    }

    /** {@link #storageProblem} where local volumes {@code map} sends to another storage need not be available on {@code target}. */
    public static Optional<String> storageProblem(List<Volume> volumes, String target, Function<String, Optional<StorageFacts>> storages, StorageMap map) {
        for (Volume v : volumes) {
            if (v.storage() == null || v.ref() != Ref.CONFIG) continue;
            Optional<StorageFacts> s = storages.apply(v.storage());
            if (s.isEmpty()) return Optional.of("storage '" + v.storage() + "' does not exist");
            if (!s.get().enabled()) return Optional.of("storage '" + v.storage() + "' is disabled");
            boolean mapped = v.local() && !map.map(v.storage()).equals(v.storage());
            if (!mapped && !s.get().availableOn(target)) return Optional.of("storage '" + v.storage() + "' is not available on node '" + target + "'");
        }
        return Optional.empty();
    }

    /**
     * Why the migration cannot go ahead, as the message the migration task fails with; empty when it can.
     * Local volumes go to the same storage on the target (or the one {@code map} names), which must be usable there:
     * offline they are copied; live, attached disks are mirrored while the guest runs (only with
     * {@code with-local-disks}), unused ones copied, and local volumes of snapshots or pending changes refused.
     */
    public static Optional<String> refusal(Request req, Map<String, String> conf, List<Volume> volumes, String target,
                                           Function<String, Optional<StorageFacts>> storages) {
        return refusal(req, conf, volumes, target, storages, StorageMap.IDENTITY);
    }

    /** {@link #refusal} with local volumes copied to the storages {@code map} names. */
    public static Optional<String> refusal(Request req, Map<String, String> conf, List<Volume> volumes, String target,
                                           Function<String, Optional<StorageFacts>> storages, StorageMap map) {
        boolean live = req.running() && req.online();
        List<String> res = localResources(conf);
        if (!res.isEmpty() && (req.running() || !req.force()))
            return Optional.of("can't migrate VM which uses local devices: " + String.join(", ", res));
        for (Volume v : volumes) {
            if (v.volid().equals("cdrom") && v.ref() == Ref.CONFIG) return Optional.of("can't migrate local cdrom drive (" + v.key() + ")");
        }
        Optional<String> st = storageProblem(volumes, target, storages, map);
        if (st.isPresent()) return st;
        List<Volume> local = copies(volumes);
        for (Volume v : volumes) {
            if (!v.local() || v.volid().equals("cdrom")) continue;
            if (v.cdrom() && v.volid().contains("-cloudinit")) {
                if (live) return Optional.of("can't live migrate VM with local cloudinit disk. use a shared storage instead");
                continue;
            }
            if (v.cdrom()) return Optional.of("can't migrate '" + v.volid() + "' - local cdrom image");
        }
        if (local.isEmpty()) return Optional.empty();
        if (live) {
            for (Volume v : local) {
                if (v.ref() == Ref.SNAPSHOT || v.ref() == Ref.PENDING)
                    return Optional.of("can't live migrate local disk '" + v.volid() + "' referenced in a snapshot or a pending change - use a shared storage or migrate offline");
                if (v.ref() == Ref.CONFIG && !v.cdrom() && !req.withLocalDisks())
                    return Optional.of("can't live migrate attached local disks without with-local-disks option");
            }
        }
        for (Volume v : local) {
            String to = map.map(v.storage());
            Optional<StorageFacts> s = storages.apply(to);
            if (s.isEmpty()) return Optional.of("storage '" + to + "' does not exist");
            if (!s.get().enabled()) return Optional.of("storage '" + to + "' is disabled");
            if (!s.get().availableOn(target)) return Optional.of("storage '" + to + "' is not available on node '" + target + "'");
        }
        return Optional.empty();
    }

    /**
     * Why a guest taken from a failed node (its config moved without the node, as HA's recovery does) cannot run on
     * {@code node}: a volume of its current config on a storage that is missing, disabled or not available there, or
     * a local volume that is not among {@code replicated} (the volumes a replication job keeps on {@code node});
     * empty when it can run there. Media (ISO images, cloud-init disks made at start) do not count.
     */
    public static Optional<String> recoveryRefusal(List<Volume> volumes, String node, Function<String, Optional<StorageFacts>> storages,
                                                   Set<String> replicated) {
        for (Volume v : volumes) {
            if (v.ref() != Ref.CONFIG || v.storage() == null || v.cdrom()) continue;
            Optional<StorageFacts> s = storages.apply(v.storage());
            if (s.isEmpty()) return Optional.of("storage '" + v.storage() + "' does not exist");
            if (!s.get().enabled()) return Optional.of("storage '" + v.storage() + "' is disabled");
            if (!s.get().availableOn(node)) return Optional.of("storage '" + v.storage() + "' is not available on node '" + node + "'");
            if (v.local() && !replicated.contains(v.volid()))
                return Optional.of("local volume '" + v.volid() + "' is not replicated to node '" + node + "'");
        }
        return Optional.empty();
    }

    /** The volumes an offline migration copies to the target: local volumes on a storage (not ISO images). */
    public static List<Volume> copies(List<Volume> volumes) {
        return volumes.stream().filter(v -> v.local() && v.storage() != null && (!v.cdrom() || v.volid().contains("-cloudinit"))).toList();
    }

    /** The volumes a live migration copies while the guest runs elsewhere: local unused volumes (attached ones are mirrored). */
    public static List<Volume> liveCopies(List<Volume> volumes) {
        return copies(volumes).stream().filter(v -> v.ref() == Ref.UNUSED).toList();
    }

    /** The {@code local_disks} entries of the precondition check. */
    public static List<Map<String, Object>> localDisks(List<Volume> volumes, Function<String, Long> sizeOf) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Volume v : volumes) {
            if (v.shared() || v.volid().equals("cdrom")) continue;
            LinkedHashMap<String, Object> d = new LinkedHashMap<>();
            d.put("volid", v.volid());
            d.put("drivename", v.key());
            long size = sizeOf.apply(v.volid());
            if (size <= 0 && v.size() != null) size = GuestVolumes.parseSize(v.size());
            d.put("size", size);
            d.put("cdrom", v.cdrom() ? 1 : 0);
            d.put("is_unused", v.ref() == Ref.UNUSED ? 1 : 0);
            if (v.ref() == Ref.SNAPSHOT) d.put("referenced_in_snapshot", 1);
            out.add(d);
        }
        return out;
    }
}
