package org.haven.lxc.run;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedSet;
import java.util.TreeSet;

import org.haven.guest.config.GuestException;

/** CPU lists of the kernel's cpuset files ({@code 0-2,5}) and PVE's {@code pct cpusets} table of them. */
public final class CpuSets {
    private CpuSets() {}

    /** The CPUs of a list such as {@code 0-2,5}. */
    public static SortedSet<Integer> parse(String list) {
        TreeSet<Integer> out = new TreeSet<>();
        for (String part : list.strip().split(",")) {
            if (part.isEmpty()) continue;
            try {
                int dash = part.indexOf('-');
                int from = Integer.parseInt(dash < 0 ? part : part.substring(0, dash));
                int to = dash < 0 ? from : Integer.parseInt(part.substring(dash + 1));
                if (to < from) throw new NumberFormatException();
                for (int c = from; c <= to; c++) out.add(c);
            } catch (NumberFormatException e) {
                throw new GuestException(500, "unable to parse cpuset '" + list + "'");
            }
        }
        return out;
    }

    /**
     * PVE's table: one row per container, each CPU in its own column (as wide as the highest CPU number), framed by
     * dashes as wide as a full row.
     */
    public static List<String> table(Map<Integer, ? extends SortedSet<Integer>> sets) {
        if (sets.isEmpty()) return List.of();
        int maxCpu = sets.values().stream().filter(s -> !s.isEmpty()).mapToInt(SortedSet::last).max().orElse(0);
        int idLen = sets.keySet().stream().mapToInt(id -> Integer.toString(id).length()).max().orElse(1);
        int len = Integer.toString(maxCpu).length();
        String header = " " + "-".repeat(idLen + 2 + (maxCpu + 1) * (len + 1));
        List<String> out = new ArrayList<>(List.of(header));
        sets.forEach((vmid, cpus) -> {
            StringBuilder line = new StringBuilder(String.format(" %" + idLen + "d: ", vmid));
            for (int c = 0; c <= maxCpu; c++) line.append(cpus.contains(c) ? String.format(" %" + len + "d", c) : " ".repeat(len + 1));
            out.add(line.toString().stripTrailing());
        });
        out.add(header);
        return out;
    }
}
