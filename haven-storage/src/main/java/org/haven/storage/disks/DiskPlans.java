package org.haven.storage.disks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The commands PVE's disk API runs, and the parsing of the tools' answers, without I/O. */
public final class DiskPlans {
    private DiskPlans() {}

    /** PVE's minimum number of disks per ZFS RAID level. */
    static final Map<String, Integer> ZFS_MIN_DISKS = Map.of("single", 1, "mirror", 2, "raid10", 4, "raidz", 3, "raidz2", 4,
            "raidz3", 5, "draid", 3, "draid2", 4, "draid3", 5);

    /** {@code wipedisk}: signatures off (partitions first), the first 200 MiB zeroed, the partition table re-read. */
    public static List<List<String>> wipe(String dev, List<String> partitions, long sizeBytes) {
        List<List<String>> out = new ArrayList<>();
        List<String> wipefs = new ArrayList<>(List.of("wipefs", "--all", "--force"));
        wipefs.addAll(partitions);
        wipefs.add(dev);
        out.add(wipefs);
        long mib = Math.max(1, Math.min(200, sizeBytes / (1024 * 1024)));
        out.add(List.of("dd", "if=/dev/zero", "of=" + dev, "bs=1M", "count=" + mib, "conv=fdatasync"));
        return out;
    }

    /** {@code initgpt}: a new GPT with the given disk GUID, or a random one. */
    public static List<String> initGpt(String dev, String uuid) {
        return List.of("sgdisk", dev, "-U", uuid == null ? "R" : uuid);
    }

    /** A volume group {@code name} on {@code dev}, as PVE's {@code lvm_create_volume_group}. */
    public static List<List<String>> lvmCreate(String dev, String name) {
        return List.of(List.of("pvcreate", "--metadatasize", "250k", "-y", "-ff", dev), List.of("vgcreate", name, dev));
    }

    /**
     * A thin pool {@code name} filling the volume group {@code name} on a PV of {@code pvSizeKiB}: 128 MiB kept free,
     * metadata 1% of the data, at least 1 GiB and at most 16 GiB, data shrunk by twice the metadata (PVE's sizes).
     */
    public static List<String> lvmThinCreate(String name, long pvSizeKiB) {
        long data = pvSizeKiB - 128 * 1024;
        long meta = Math.max(1024 * 1024, Math.min(16L * 1024 * 1024, data / 100));
        data -= 2 * meta;
        if (data <= 0) throw new IllegalArgumentException("the device is too small for a thin pool");
        return List.of("lvcreate", "--type", "thin-pool", "-L" + data + "K", "--poolmetadatasize", meta + "K", "-n", name, name);
    }

    /** The {@code draid-config} property string: {@code data=<n>,spares=<n>}. */
    public record Draid(int data, int spares) {
        public static Draid parse(String s) {
            Integer data = null, spares = null;
            for (String kv : s.split(",")) {
                String[] p = kv.split("=", 2);
                if (p.length != 2 || !p[1].matches("\\d+")) throw new IllegalArgumentException("invalid draid-config '" + s + "'");
                switch (p[0]) {
                    case "data" -> data = Integer.parseInt(p[1]);
                    case "spares" -> spares = Integer.parseInt(p[1]);
                    default -> throw new IllegalArgumentException("invalid draid-config key '" + p[0] + "'");
                }
            }
            if (data == null || spares == null || data < 1) throw new IllegalArgumentException("draid-config needs data (>= 1) and spares");
            return new Draid(data, spares);
        }
    }

    /**
     * {@code zpool create} of pool {@code name} with PVE's checks of the device count per RAID level, then the
     * compression setting. Errors are PVE's messages.
     */
    public static List<List<String>> zfsCreate(String name, String raidlevel, List<String> devs, int ashift, String compression, Draid draid) {
        int min = ZFS_MIN_DISKS.get(raidlevel);
        if (devs.size() < min) throw new IllegalArgumentException(raidlevel + " needs at least " + min + " disks");
        if (raidlevel.equals("single") && devs.size() > 1) throw new IllegalArgumentException("single raidlevel can only be used with exactly one disk");
        if (raidlevel.equals("raid10") && devs.size() % 2 != 0) throw new IllegalArgumentException("raid10 needs an even number of disks");
        if (raidlevel.startsWith("draid") != (draid != null))
            throw new IllegalArgumentException(draid == null ? "draid-config is required for " + raidlevel : "draid-config set without using dRAID level");
        List<String> cmd = new ArrayList<>(List.of("zpool", "create", "-o", "ashift=" + ashift, name));
        switch (raidlevel) {
            case "single" -> cmd.addAll(devs);
            case "raid10" -> {
                for (int i = 0; i < devs.size(); i += 2) cmd.addAll(List.of("mirror", devs.get(i), devs.get(i + 1)));
            }
            case "draid", "draid2", "draid3" -> {
                int parity = raidlevel.equals("draid") ? 1 : raidlevel.charAt(5) - '0';
                if (draid.data() + parity + draid.spares() > devs.size())
                    throw new IllegalArgumentException("wrong draid configured: " + devs.size() + " disks are fewer than data + parity + spares");
                cmd.add(raidlevel + ":" + draid.data() + "d:" + draid.spares() + "s");
                cmd.addAll(devs);
            }
            default -> {
                cmd.add(raidlevel);
                cmd.addAll(devs);
            }
        }
        return List.of(cmd, List.of("zfs", "set", "compression=" + compression, name));
    }

    /** systemd's name of the mount unit for {@code where} (systemd-escape --path --suffix=mount). */
    public static String mountUnitName(String where) {
        StringBuilder b = new StringBuilder();
        String p = where.replaceAll("^/+|/+$", "");
        for (int i = 0; i < p.length(); i++) {
            char c = p.charAt(i);
            if (c == '/') b.append('-');
            else if (Character.isLetterOrDigit(c) && c < 128 || c == '_' || c == '.' && i > 0) b.append(c);
            else b.append(String.format("\\x%02x", (int) c));
        }
        return b + ".mount";
    }

    /** PVE's mount unit of a directory storage. */
    public static String mountUnit(String name, String what, String where, String fstype) {
        return "[Unit]\nDescription=Mount storage '" + name + "' under " + where.substring(0, where.lastIndexOf('/')) + "\n\n"
                + "[Mount]\nWhat=" + what + "\nWhere=" + where + "\nType=" + fstype + "\nOptions=defaults\n\n"
                + "[Install]\nWantedBy=multi-user.target\n";
    }

    private static final Pattern UNIT_KEY = Pattern.compile("^(What|Where|Type|Options)=(.*)$", Pattern.MULTILINE);

    /** An entry of {@code GET /nodes/{node}/disks/directory} from a mount unit's text. */
    public static Map<String, Object> directoryEntry(String unitfile, String text) {
        Map<String, Object> e = new LinkedHashMap<>();
        Matcher m = UNIT_KEY.matcher(text);
        while (m.find()) {
            switch (m.group(1)) {
                case "What" -> e.put("device", m.group(2).strip());
                case "Where" -> e.put("path", m.group(2).strip());
                case "Type" -> e.put("type", m.group(2).strip());
                default -> e.put("options", m.group(2).strip());
            }
        }
        e.put("unitfile", unitfile);
        return e;
    }

    /** The colon-separated rows of an LVM report ({@code --noheadings --separator :}) with at least {@code fields} fields. */
    public static List<String[]> rows(String out, int fields) {
        List<String[]> rows = new ArrayList<>();
        for (String line : out.split("\n")) {
            if (line.isBlank()) continue;
            String[] f = line.strip().split(":", -1);
            if (f.length >= fields) rows.add(f);
        }
        return rows;
    }

    /**
     * {@code GET /nodes/{node}/disks/lvm}: the tree of volume groups with their PVs, from {@code vgs} rows
     * (name:size:free) and {@code pvs} rows (name:size:free:vg).
     */
    public static Map<String, Object> lvmTree(String vgs, String pvs) {
        List<Map<String, Object>> groups = new ArrayList<>();
        for (String[] vg : rows(vgs, 3)) {
            List<Map<String, Object>> kids = new ArrayList<>();
            for (String[] pv : rows(pvs, 4)) {
                if (!pv[3].equals(vg[0])) continue;
                kids.add(node(pv[0], pv[1], pv[2], true));
            }
            Map<String, Object> g = node(vg[0], vg[1], vg[2], false);
            g.put("children", kids);
            groups.add(g);
        }
        groups.sort((a, b) -> ((String) a.get("name")).compareTo((String) b.get("name")));
        return new LinkedHashMap<>(Map.of("leaf", 0, "children", groups));
    }

    private static Map<String, Object> node(String name, String size, String free, boolean leaf) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("size", num(size));
        m.put("free", num(free));
        m.put("leaf", leaf ? 1 : 0);
        return m;
    }

    static long num(String s) {
        String t = s.strip().replace(',', '.');
        if (t.isEmpty()) return 0;
        return t.contains(".") ? (long) Double.parseDouble(t) : Long.parseLong(t);
    }

    /**
     * {@code GET /nodes/{node}/disks/lvmthin}: thin pools from {@code lvs} rows
     * (vg:lv:size:data_percent:metadata_size:metadata_percent:segtype).
     */
    public static List<Map<String, Object>> thinPools(String lvs) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String[] f : rows(lvs, 7)) {
            if (!f[6].strip().equals("thin-pool")) continue;
            long size = num(f[2]), meta = num(f[4]);
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("lv", f[1]);
            m.put("vg", f[0]);
            m.put("lv_size", size);
            m.put("used", (long) (size * pct(f[3])));
            m.put("metadata_size", meta);
            m.put("metadata_used", (long) (meta * pct(f[5])));
            out.add(m);
        }
        return out;
    }

    private static double pct(String s) {
        String t = s.strip().replace(',', '.');
        return t.isEmpty() ? 0 : Double.parseDouble(t) / 100;
    }

    /** {@code GET /nodes/{node}/disks/zfs}: pools from {@code zpool list -HpPLo name,size,alloc,free,frag,dedup,health}. */
    public static List<Map<String, Object>> zpools(String out) {
        List<Map<String, Object>> pools = new ArrayList<>();
        for (String line : out.split("\n")) {
            String[] f = line.split("\t");
            if (f.length < 7) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("name", f[0]);
            m.put("size", num(f[1]));
            m.put("alloc", num(f[2]));
            m.put("free", num(f[3]));
            m.put("frag", num(f[4].replace("%", "").replace("-", "0")));
            m.put("dedup", Double.parseDouble(f[5].replace("x", "")));
            m.put("health", f[6]);
            pools.add(m);
        }
        return pools;
    }

    /** The devices ({@code /dev/...}) of {@code zpool status -P}'s config section. */
    public static List<String> zpoolDevices(String status) {
        List<String> devs = new ArrayList<>();
        for (String line : status.split("\n")) {
            String t = line.strip();
            if (t.startsWith("/dev/")) devs.add(t.split("\\s+")[0]);
        }
        return devs;
    }

    /** {@code GET /nodes/{node}/disks/zfs/{name}}: PVE's detail of {@code zpool status -P}, with the vdev tree as nested children. */
    public static Map<String, Object> zpoolStatus(String status) {
        Map<String, Object> out = new LinkedHashMap<>();
        String key = null;
        StringBuilder val = new StringBuilder();
        List<String> config = new ArrayList<>();
        boolean inConfig = false;
        for (String line : status.split("\n")) {
            Matcher m = Pattern.compile("^\\s*(pool|state|status|action|see|scan|config|errors):\\s*(.*)$").matcher(line);
            if (m.matches()) {
                if (key != null && !key.equals("config")) out.put(key.equals("pool") ? "name" : key, val.toString().strip());
                key = m.group(1);
                val = new StringBuilder(m.group(2));
                inConfig = key.equals("config");
            } else if (inConfig) {
                if (!line.isBlank()) config.add(line);
            } else if (key != null) {
                val.append(' ').append(line.strip());
            }
        }
        if (key != null && !key.equals("config")) out.put(key.equals("pool") ? "name" : key, val.toString().strip());
        out.put("children", vdevs(config));
        return out;
    }

    /** The vdev lines under the NAME header, nested by indentation. */
    static List<Map<String, Object>> vdevs(List<String> lines) {
        List<Map<String, Object>> roots = new ArrayList<>();
        List<Object[]> stack = new ArrayList<>(); // {indent, node}
        for (String line : lines) {
            String t = line.strip();
            if (t.startsWith("NAME")) continue;
            int indent = line.length() - line.stripLeading().length();
            String[] f = t.split("\\s+", 6);
            Map<String, Object> n = new LinkedHashMap<>();
            n.put("name", f[0]);
            if (f.length >= 5) {
                n.put("state", f[1]);
                n.put("read", num(f[2]));
                n.put("write", num(f[3]));
                n.put("cksum", num(f[4]));
            }
            n.put("msg", f.length >= 6 ? f[5] : "");
            while (!stack.isEmpty() && (int) stack.getLast()[0] >= indent) stack.removeLast();
            if (stack.isEmpty()) roots.add(n);
            else {
                @SuppressWarnings("unchecked")
                Map<String, Object> parent = (Map<String, Object>) stack.getLast()[1];
                @SuppressWarnings("unchecked")
                List<Map<String, Object>> kids = (List<Map<String, Object>>) parent.computeIfAbsent("children", k -> new ArrayList<>());
                kids.add(n);
            }
            stack.add(new Object[] {indent, n});
        }
        return roots;
    }

    private static final Pattern SMART_HEALTH = Pattern.compile("^(?:SMART overall-health self-assessment test result|SMART Health Status):\\s*(.+)$", Pattern.MULTILINE);
    private static final Pattern SMART_ATTR = Pattern.compile(
            "^\\s*(\\d+)\\s+(\\S+)\\s+(0x[0-9a-f]+)\\s+(\\d+)\\s+(\\d+)\\s+(\\d+)\\s+(\\S+)\\s+(\\S+)\\s+(\\S+)\\s+(.*)$", Pattern.MULTILINE);

    /**
     * {@code GET /nodes/{node}/disks/smart} from {@code smartctl -H} (or {@code -a}) output and its exit status: the
     * health ({@code UNKNOWN} when the device has no SMART), and for {@code -a} the ATA attribute table or the text.
     */
    public static Map<String, Object> smart(String out, int exit, boolean healthonly) {
        if ((exit & 1) != 0) throw new IllegalArgumentException("Error getting S.M.A.R.T. data: Exit code: " + exit);
        Map<String, Object> r = new LinkedHashMap<>();
        Matcher h = SMART_HEALTH.matcher(out);
        r.put("health", h.find() ? h.group(1).strip() : "UNKNOWN");
        if (healthonly || (exit & 2) != 0) return r;
        if (out.contains("ID# ATTRIBUTE_NAME")) {
            List<Map<String, Object>> attrs = new ArrayList<>();
            Matcher a = SMART_ATTR.matcher(out.substring(out.indexOf("ID# ATTRIBUTE_NAME")));
            while (a.find()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", a.group(1));
                m.put("name", a.group(2));
                m.put("flags", a.group(3));
                m.put("value", a.group(4));
                m.put("worst", a.group(5));
                m.put("threshold", a.group(6));
                m.put("fail", a.group(9));
                m.put("raw", a.group(10).strip());
                m.put("normalized", Integer.parseInt(a.group(4)));
                attrs.add(m);
            }
            r.put("type", "ata");
            r.put("attributes", attrs);
        } else {
            int start = out.indexOf("=== START OF");
            r.put("type", "text");
            r.put("text", start < 0 ? out : out.substring(start));
        }
        return r;
    }
}
