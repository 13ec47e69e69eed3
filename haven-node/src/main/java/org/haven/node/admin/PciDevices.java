package org.haven.node.admin;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The PCI devices of {@code /sys/bus/pci/devices} as PVE lists them ({@code PVE::SysFSTools::lspci}): id,
 * vendor, device and class as sysfs gives them ({@code 0x8086}, {@code 0x030000}), the IOMMU group (-1 without
 * one), whether the device can create mediated devices, the subsystem ids, and with {@code verbose} the names
 * from the {@code pci.ids} database.
 */
public final class PciDevices {
    private PciDevices() {}

    private static final Pattern ID = Pattern.compile("[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\\.[0-9a-f]");
    private static final Pattern GROUP = Pattern.compile(".*/(\\d+)$");

    /** The names of {@code pci.ids}: {@code vvvv}, {@code vvvv:dddd} and {@code vvvv:dddd:ssss:tttt} (subsystem) as keys. */
    public static Map<String, String> parseIds(String text) {
        Map<String, String> out = new HashMap<>();
        String vendor = null;
        String device = null;
        for (String line : text.split("\n")) {
            if (line.isEmpty() || line.startsWith("#")) continue;
            if (line.startsWith("C ")) break; // the device classes follow the vendors
            if (line.startsWith("\t\t")) {
                String[] w = line.substring(2).split("\\s+", 3);
                if (device != null && w.length == 3) out.put(device + ":" + w[0] + ":" + w[1], w[2]);
            } else if (line.startsWith("\t")) {
                String[] w = line.substring(1).split("\\s+", 2);
                if (vendor != null && w.length == 2) out.put(device = vendor + ":" + w[0], w[1]);
            } else {
                String[] w = line.split("\\s+", 2);
                if (w.length == 2) out.put(vendor = w[0], w[1]);
                device = null;
            }
        }
        return out;
    }

    /** The devices under {@code devices} whose class does not start with one of {@code classBlacklist} (hex, without {@code 0x}). */
    public static List<Map<String, Object>> scan(Path devices, List<String> classBlacklist, Map<String, String> names) throws IOException {
        List<Path> dirs;
        try (Stream<Path> s = Files.list(devices)) {
            dirs = s.filter(d -> ID.matcher(d.getFileName().toString()).matches()).sorted().toList();
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Path d : dirs) {
            String cls = firstLine(d.resolve("class"));
            if (cls == null || classBlacklist.stream().anyMatch(b -> !b.isEmpty() && cls.startsWith("0x" + b))) continue;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("id", d.getFileName().toString());
            String vendor = firstLine(d.resolve("vendor"));
            String device = firstLine(d.resolve("device"));
            r.put("vendor", vendor);
            r.put("device", device);
            r.put("class", cls);
            int group = -1;
            if (Files.isSymbolicLink(d.resolve("iommu_group"))) {
                Matcher m = GROUP.matcher(Files.readSymbolicLink(d.resolve("iommu_group")).toString());
                if (m.matches()) group = Integer.parseInt(m.group(1));
            }
            r.put("iommugroup", group);
            if (Files.isDirectory(d.resolve("mdev_supported_types")) || Files.isDirectory(d.resolve("nvidia"))) r.put("mdev", true);
            String sv = firstLine(d.resolve("subsystem_vendor"));
            String sd = firstLine(d.resolve("subsystem_device"));
            if (sv != null) r.put("subsystem_vendor", sv);
            if (sd != null) r.put("subsystem_device", sd);
            if (names != null) {
                String v = hex(vendor), dv = v + ":" + hex(device);
                putName(r, "vendor_name", names.get(v));
                putName(r, "device_name", names.get(dv));
                if (sv != null) putName(r, "subsystem_vendor_name", names.get(hex(sv)));
                if (sv != null && sd != null) putName(r, "subsystem_device_name", names.get(dv + ":" + hex(sv) + ":" + hex(sd)));
            }
            out.add(r);
        }
        return out;
    }

    private static void putName(Map<String, Object> r, String key, String name) { if (name != null) r.put(key, name); }

    private static String hex(String v) { return v == null ? "" : v.replaceFirst("^0x", "").toLowerCase(); }

    /**
     * The mediated device types of the PCI function in {@code device} ({@code mdev_supported_types/<type>}): type,
     * available instances, description, and the human-readable name where the driver gives one (PVE's
     * {@code get_mdev_types}). None when the function cannot create mediated devices.
     */
    public static List<Map<String, Object>> mdevTypes(Path device) throws IOException {
        Path types = device.resolve("mdev_supported_types");
        if (!Files.isDirectory(types)) return List.of();
        List<Map<String, Object>> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(types)) {
            for (Path t : s.sorted().toList()) {
                Map<String, Object> r = new LinkedHashMap<>();
                r.put("type", t.getFileName().toString());
                String available = firstLine(t.resolve("available_instances"));
                r.put("available", available == null ? 0 : Integer.parseInt(available));
                String description = Files.exists(t.resolve("description")) ? Files.readString(t.resolve("description")).strip() : "";
                r.put("description", description);
                String name = firstLine(t.resolve("name"));
                if (name != null) r.put("name", name);
                out.add(r);
            }
        }
        return out;
    }

    static String firstLine(Path f) {
        try {
            String s = Files.readString(f, StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            return (nl < 0 ? s : s.substring(0, nl)).trim();
        } catch (IOException e) {
            return null;
        }
    }
}
