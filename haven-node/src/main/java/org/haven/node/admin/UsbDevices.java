package org.haven.node.admin;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The USB devices of {@code /sys/bus/usb/devices} as PVE lists them ({@code PVE::SysFSTools::scan_usb}): root
 * hubs ({@code usbN}, level 0) and devices ({@code B-P[.P…]}, level = number of ports on the path) with bus and
 * device numbers, port, class, vendor and product ids, speed in Mbit/s, and the strings the device reports.
 * Interfaces ({@code B-P:C.I}) are not devices.
 */
public final class UsbDevices {
    private UsbDevices() {}

    private static final Pattern DEVICE = Pattern.compile("(?:usb(\\d+))|(?:(\\d+)-([\\d.]+))");

    public static List<Map<String, Object>> scan(Path devices) throws IOException {
        if (!Files.isDirectory(devices)) return List.of();
        List<Map<String, Object>> out = new ArrayList<>();
        List<Path> dirs;
        try (Stream<Path> s = Files.list(devices)) {
            dirs = s.sorted().toList();
        }
        for (Path d : dirs) {
            Matcher m = DEVICE.matcher(d.getFileName().toString());
            if (!m.matches()) continue;
            String bus = PciDevices.firstLine(d.resolve("busnum"));
            String dev = PciDevices.firstLine(d.resolve("devnum"));
            if (bus == null || dev == null) continue;
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("busnum", Integer.parseInt(bus));
            r.put("devnum", Integer.parseInt(dev));
            String path = m.group(3);
            String[] ports = path == null ? new String[0] : path.split("\\.");
            r.put("level", ports.length);
            r.put("port", ports.length == 0 ? 0 : Integer.parseInt(ports[ports.length - 1]));
            if (path != null) r.put("usbpath", path);
            String cls = PciDevices.firstLine(d.resolve("bDeviceClass"));
            r.put("class", cls == null ? 0 : Integer.parseInt(cls, 16));
            r.put("vendid", PciDevices.firstLine(d.resolve("idVendor")));
            r.put("prodid", PciDevices.firstLine(d.resolve("idProduct")));
            r.put("speed", PciDevices.firstLine(d.resolve("speed")));
            for (String f : List.of("manufacturer", "product", "serial")) {
                String v = PciDevices.firstLine(d.resolve(f));
                if (v != null && !v.isEmpty()) r.put(f, v);
            }
            out.add(r);
        }
        out.sort(Comparator.comparingInt((Map<String, Object> r) -> (Integer) r.get("busnum")).thenComparingInt(r -> (Integer) r.get("devnum")));
        return out;
    }
}
