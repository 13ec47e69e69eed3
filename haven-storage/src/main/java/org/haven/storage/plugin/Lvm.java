package org.haven.storage.plugin;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.storage.spi.CommandRunner;

/** Reports of the LVM tools, parsed (PVE's {@code lvm_vgs}/{@code lvm_list_volumes}). */
public final class Lvm {
    private Lvm() {}

    public record Vg(String name, long size, long free, int lvCount) {}

    public record Lv(String vg, String name, long size, String attr, String pool, double dataPercent, double metaPercent,
                     String uuid, List<String> tags, long metaSize, long ctime) {
        /** Thin pool: attr starts with 't'. */
        public boolean isThinPool() { return attr.startsWith("t"); }
    }

    public static final List<String> VGS = List.of("vgs", "--separator", ":", "--noheadings", "--units", "b",
            "--unbuffered", "--nosuffix", "--options", "vg_name,vg_size,vg_free,lv_count");

    public static List<String> lvsCommand(String vg) {
        var cmd = new java.util.ArrayList<>(List.of("lvs", "--separator", ":", "--noheadings", "--units", "b",
                "--unbuffered", "--nosuffix", "--config", "report/time_format=\"%s\"", "--options",
                "vg_name,lv_name,lv_size,lv_attr,pool_lv,data_percent,metadata_percent,snap_percent,uuid,tags,metadata_size,time"));
        if (vg != null) cmd.add(vg);
        return cmd;
    }

    public static Map<String, Vg> parseVgs(String out) {
        Map<String, Vg> vgs = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(":");
            if (f.length < 4 || f[0].isEmpty()) continue;
            vgs.put(f[0], new Vg(f[0], parseLong(f[1]), parseLong(f[2]), (int) parseLong(f[3])));
        }
        return vgs;
    }

    public static Map<String, Lv> parseLvs(String out) {
        Map<String, Lv> lvs = new LinkedHashMap<>();
        for (String line : out.split("\n")) {
            String[] f = line.trim().split(":", -1);
            if (f.length < 12 || f[1].isEmpty()) continue;
            List<String> tags = f[9].isEmpty() ? List.of() : List.of(f[9].split(","));
            lvs.put(f[1], new Lv(f[0], f[1], parseLong(f[2]), f[3], f[4], parseDouble(f[5]), parseDouble(f[6]), f[8], tags,
                    parseLong(f[10]), f.length > 11 ? parseLong(f[11]) : 0));
        }
        return lvs;
    }

    public static Map<String, Vg> vgs(CommandRunner run) {
        CommandRunner.Result r = run.run(VGS);
        if (!r.ok()) return Map.of();
        return parseVgs(r.stdout());
    }

    public static Map<String, Lv> lvs(CommandRunner run, String vg) {
        return parseLvs(run.check(lvsCommand(vg)));
    }

    static long parseLong(String s) {
        s = s.trim();
        if (s.isEmpty()) return 0;
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            return (long) parseDouble(s);
        }
    }

    static double parseDouble(String s) {
        s = s.trim().replace(',', '.');
        if (s.isEmpty()) return 0;
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
