package org.haven.guest.mapping;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.haven.core.format.PropertyString;
import org.haven.core.format.SectionConfig;

/**
 * PVE's cluster resource mappings: logical names for host devices and directories that guests use instead of
 * node-specific addresses ({@code hostpci0: mapping=gpu}, {@code usb0: mapping=stick}, {@code virtiofs0: dirid=share}).
 * Each kind is one file of the cluster file system, sections headed by the bare ID, one {@code map} line per node
 * entry:
 * <pre>
 * gpu
 * 	description the render cards
 * 	map id=10de:1b80,node=n1,path=0000:01:00.0
 * 	map id=10de:1b80,node=n2,path=0000:02:00.0
 * </pre>
 * This class holds the model, PVE's update rules and the per-node checks; it does no I/O (device facts come in as
 * lookups).
 */
public final class ResourceMappings {
    private ResourceMappings() {}

    public enum Kind {
        PCI("pci", "mapping/pci.cfg", List.of("description", "mdev", "live-migration-capable", "map")),
        USB("usb", "mapping/usb.cfg", List.of("description", "map")),
        DIR("dir", "mapping/directory.cfg", List.of("description", "map"));

        private final String type;
        private final String file;
        private final List<String> options;

        Kind(String type, String file, List<String> options) {
            this.type = type;
            this.file = file;
            this.options = options;
        }

        /** The name in API paths and ACL paths ({@code /mapping/<type>/<id>}). */
        public String type() { return type; }
        /** The file below the cluster file system's root. */
        public String file() { return file; }
        /** The options a mapping of this kind has, in the order PVE writes them. */
        public List<String> options() { return options; }
        public SectionConfig.Format format() { return new SectionConfig.Format(type, Set.of("map")); }
        /** The lock of the file (PVE's {@code cfs_lock_file} name). */
        public String lock() { return "file-" + file.replace('/', '_').replace('.', '_'); }
    }

    public static SectionConfig.Document parse(Kind kind, String text) { return SectionConfig.parse(text, kind.format()); }

    public static String write(Kind kind, SectionConfig.Document doc) { return SectionConfig.write(doc, kind.format()); }

    /** The section of mapping {@code id}, or PVE's "not found". */
    public static SectionConfig.Section find(SectionConfig.Document doc, String id) {
        return doc.find(id).orElseThrow(() -> new NoSuchMappingException("mapping '" + id + "' not found"));
    }

    public static final class NoSuchMappingException extends IllegalArgumentException {
        public NoSuchMappingException(String message) { super(message); }
    }

    /** The map entries of {@code section} for {@code node}, each as its keys. */
    public static List<Map<String, String>> nodeMaps(SectionConfig.Section section, String node) {
        List<Map<String, String>> out = new ArrayList<>();
        for (String m : section.values("map")) {
            Map<String, String> e = PropertyString.parse(m, null);
            if (node.equals(e.get("node"))) out.add(e);
        }
        return out;
    }

    /** Adds mapping {@code id} with {@code options} (the kind's options; {@code map} as its list); fails when it exists. */
    public static void create(SectionConfig.Document doc, Kind kind, String id, Map<String, String> options, List<String> maps) {
        if (doc.find(id).isPresent()) throw new IllegalArgumentException(kind.type() + " ID '" + id + "' already defined");
        SectionConfig.Section s = new SectionConfig.Section(kind.type(), id);
        apply(s, kind, options, maps, List.of());
        doc.add(s);
    }

    /**
     * Sets {@code options} and (when not null) the {@code maps} of mapping {@code id}, and removes the options in
     * {@code delete}, with PVE's refusals: an unknown option, {@code map} deleted (it is required), an option set and
     * deleted at once.
     */
    public static void update(SectionConfig.Document doc, Kind kind, String id, Map<String, String> options, List<String> maps,
                              List<String> delete) {
        apply(find(doc, id), kind, options, maps, delete);
    }

    private static void apply(SectionConfig.Section s, Kind kind, Map<String, String> options, List<String> maps, List<String> delete) {
        for (String k : options.keySet())
            if (k.equals("map") || !kind.options().contains(k)) throw new IllegalArgumentException("unexpected property '" + k + "'");
        for (String k : delete) {
            if (!kind.options().contains(k)) throw new IllegalArgumentException("no such option '" + k + "'");
            if (k.equals("map")) throw new IllegalArgumentException("unable to delete required option 'map'");
            if (options.containsKey(k)) throw new IllegalArgumentException("cannot set and delete property '" + k + "' at the same time!");
        }
        if (maps != null && maps.isEmpty()) throw new IllegalArgumentException("missing value for required option 'map'");
        Map<String, String> next = new LinkedHashMap<>(s.properties());
        next.putAll(options);
        if (maps != null) next.put("map", String.join("\n", maps));
        for (String k : delete) next.remove(k);
        if (!next.containsKey("map")) throw new IllegalArgumentException("missing value for required option 'map'");
        // PVE's order: the kind's options as it lists them
        s.properties().clear();
        for (String k : kind.options()) {
            if (!next.containsKey(k)) continue;
            if (k.equals("map")) s.setValues(k, List.of(next.get(k).split("\n", -1)));
            else s.set(k, next.get(k));
        }
    }

    /** A mapping in the API's form: its options typed, {@code map} as a list, {@code id} and {@code type}. */
    public static Map<String, Object> toApi(SectionConfig.Section s) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("id", s.id());
        out.put("type", s.type());
        s.properties().forEach((k, v) -> {
            if (k.equals("map")) out.put(k, s.values(k));
            else if (k.equals("mdev") || k.equals("live-migration-capable")) out.put(k, v.equals("1") || v.isEmpty() ? 1 : 0);
            else out.put(k, v);
        });
        return out;
    }

    // ---- per-node checks (PVE's assert_valid) ---------------------------------------------------------

    /** What the node knows about one PCI function ({@code vendor} and {@code device} as 4 hex digits). */
    public record PciFunction(String vendor, String device, int iommuGroup, String subsystemVendor, String subsystemDevice, boolean mdev) {}

    /** One USB device of the node: its path {@code <bus>-<port>[.<port>…]} (null for a root hub) and ids. */
    public record UsbDevice(String path, String vendor, String product) {}

    /**
     * The problems of mapping {@code id} on {@code node}: a warning when the node has no entry, an error per entry
     * whose device the node does not have or whose ids differ (PVE's checks of {@code check-node}).
     * {@code problem} turns one entry into its error message, or null when the entry is valid.
     */
    public static List<Map<String, String>> checks(SectionConfig.Section s, String node, Function<Map<String, String>, String> problem) {
        List<Map<String, String>> out = new ArrayList<>();
        List<Map<String, String>> maps = nodeMaps(s, node);
        if (maps.isEmpty()) out.add(Map.of("severity", "warning", "message", "No mapping for node " + node + "."));
        for (Map<String, String> m : maps) {
            String p = problem.apply(m);
            if (p != null) out.add(Map.of("severity", "error", "message", "Invalid configuration: " + p));
        }
        return out;
    }

    /**
     * A PCI entry against the node's functions ({@code lookup} by full address {@code 0000:01:00.0}): every path of
     * the entry must exist; the first one's vendor:device, subsystem ids and IOMMU group, and the mapping's
     * {@code mdev} flag, must match what is configured.
     */
    public static String pciProblem(String name, Map<String, String> entry, boolean mdev, Function<String, Optional<PciFunction>> lookup) {
        String[] paths = entry.getOrDefault("path", "").split(";");
        for (int i = 0; i < paths.length; i++) {
            String path = paths[i].matches(".*\\.[0-9a-fA-F]$") ? paths[i] : paths[i] + ".0";
            if (path.indexOf(':') == path.lastIndexOf(':')) path = "0000:" + path;
            Optional<PciFunction> f = lookup.apply(path);
            if (f.isEmpty()) return "pci device '" + paths[i] + "' not found";
            PciFunction fn = f.get();
            Map<String, String> expected = new LinkedHashMap<>();
            Map<String, String> configured = new LinkedHashMap<>();
            expected.put("id", fn.vendor() + ":" + fn.device());
            configured.put("id", entry.get("id"));
            if (i == 0) {
                expected.put("iommugroup", fn.iommuGroup() < 0 ? null : Integer.toString(fn.iommuGroup()));
                configured.put("iommugroup", entry.get("iommugroup"));
            }
            expected.put("mdev", fn.mdev() ? "1" : "0");
            configured.put("mdev", mdev ? "1" : "0");
            expected.put("subsystem-id", fn.subsystemVendor() == null || fn.subsystemDevice() == null ? null
                    : fn.subsystemVendor() + ":" + fn.subsystemDevice());
            configured.put("subsystem-id", entry.get("subsystem-id"));
            for (String prop : new java.util.TreeSet<>(expected.keySet())) {
                String c = configured.get(prop);
                String e = expected.get(prop);
                if (c == null && e == null) continue;
                if (c == null) return "no '" + prop + "' configured, expected '" + e + "'";
                if (e == null) return "'" + prop + "' configured but should not be";
                if (!c.equalsIgnoreCase(e)) return "'" + prop + "' does not match for '" + name + "' (" + c + " != " + e + ")";
            }
        }
        return null;
    }

    /** A USB entry against the node's devices: by {@code path} when given, else by vendor:product {@code id}. */
    public static String usbProblem(String name, Map<String, String> entry, List<UsbDevice> devices) {
        String id = entry.get("id");
        UsbDevice found = null;
        String path = entry.get("path");
        if (path != null) {
            for (UsbDevice d : devices) if (path.equals(d.path())) found = d;
            if (found == null) return "USB device '" + path + "' not found";
        } else if (id != null) {
            for (UsbDevice d : devices) {
                if ((d.vendor() + ":" + d.product()).equalsIgnoreCase(id)) {
                    found = d;
                    break;
                }
            }
            if (found == null) return "USB device with id '" + id + "' not found";
        }
        if (found != null && id != null && !(found.vendor() + ":" + found.product()).equalsIgnoreCase(id))
            return "'id' does not match for '" + name + "' (" + found.vendor() + ":" + found.product() + " != " + id + ")";
        return null;
    }

    /** A directory entry: {@code kindOf} tells what the path is on the node ("dir", "other" or null when missing). */
    public static String dirProblem(Map<String, String> entry, Function<String, String> kindOf) {
        String path = entry.get("path");
        String k = kindOf.apply(path);
        if (k == null) return "Path " + path + " does not exist";
        if (!k.equals("dir")) return "Path " + path + " is not a directory";
        return null;
    }

    // ---- use at guest start ---------------------------------------------------------------------------

    /**
     * The host device for {@code hostpciN: mapping=<id>} on {@code node}: the first path of the node's entries that
     * {@code available} accepts (a path list {@code a;b} offers each in turn), with PVE's errors when the mapping or
     * the node's entry is missing or nothing is free.
     */
    public static String pciHost(SectionConfig.Document doc, String id, String node, java.util.function.Predicate<String> available) {
        SectionConfig.Section s = doc.find(id).orElseThrow(() -> new IllegalArgumentException("PCI mapping '" + id + "' not found"));
        List<Map<String, String>> maps = nodeMaps(s, node);
        if (maps.isEmpty()) throw new IllegalArgumentException("PCI device mapping not found for '" + id + "'");
        for (Map<String, String> m : maps) {
            String path = m.get("path");
            if (path != null && available.test(path)) return path;
        }
        throw new IllegalArgumentException("could not find a free device for mapping '" + id + "'");
    }

    /** The host device for {@code usbN: mapping=<id>} on {@code node}: its path if the entry has one, else its id. */
    public static String usbHost(SectionConfig.Document doc, String id, String node) {
        SectionConfig.Section s = doc.find(id).orElseThrow(() -> new IllegalArgumentException("USB mapping '" + id + "' not found"));
        List<Map<String, String>> maps = nodeMaps(s, node);
        if (maps.isEmpty()) throw new IllegalArgumentException("No mapping for node " + node);
        if (maps.size() > 1) throw new IllegalArgumentException("More than one USB mapping per host not supported");
        Map<String, String> m = maps.get(0);
        return m.containsKey("path") ? m.get("path") : m.get("id");
    }

    /**
     * {@code conf} with every {@code hostpciN: mapping=<id>} and {@code usbN: mapping=<id>} turned into the device
     * of {@code node} ({@code host=…}, the entry's other options kept), as a guest start needs it. {@code files}
     * gives the text of a mapping file; {@code pciAvailable} says whether a PCI path can be taken.
     */
    public static Map<String, String> resolve(Map<String, String> conf, Function<Kind, String> files, String node,
                                              java.util.function.Predicate<String> pciAvailable) {
        Map<String, String> out = new LinkedHashMap<>(conf);
        Map<Kind, SectionConfig.Document> docs = new java.util.EnumMap<>(Kind.class);
        for (Map.Entry<String, String> e : conf.entrySet()) {
            Kind kind = e.getKey().matches("hostpci\\d+") ? Kind.PCI : e.getKey().matches("usb\\d+") ? Kind.USB : null;
            if (kind == null) continue;
            Map<String, String> props = PropertyString.parse(e.getValue(), "host");
            String id = props.remove("mapping");
            if (id == null) continue;
            SectionConfig.Document doc = docs.computeIfAbsent(kind, k -> parse(k, files.apply(k)));
            String host = kind == Kind.PCI ? pciHost(doc, id, node, pciAvailable) : usbHost(doc, id, node);
            Map<String, String> next = new LinkedHashMap<>();
            next.put("host", host);
            next.putAll(props);
            out.put(e.getKey(), PropertyString.print(next, "host"));
        }
        return out;
    }
}
