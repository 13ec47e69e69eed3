package org.haven.storage.prune;

import java.util.LinkedHashMap;
import java.util.Map;
import org.haven.core.format.PropertyString;
import org.haven.storage.StorageException;

/** A {@code prune-backups} setting: keep-all or counts per period (0 = rule off). */
public record PruneOptions(boolean keepAll, int keepLast, int keepHourly, int keepDaily, int keepWeekly,
                           int keepMonthly, int keepYearly) {

    public static final PruneOptions KEEP_ALL = new PruneOptions(true, 0, 0, 0, 0, 0, 0);

    /** Parse {@code keep-last=3,keep-daily=7,…}. */
    public static PruneOptions parse(String text) {
        return of(PropertyString.parse(text == null ? "" : text, null));
    }

    public static PruneOptions of(Map<String, String> m) {
        int[] v = new int[6];
        String[] keys = {"keep-last", "keep-hourly", "keep-daily", "keep-weekly", "keep-monthly", "keep-yearly"};
        boolean all = false;
        for (var e : m.entrySet()) {
            String k = e.getKey();
            if (k.equals("keep-all")) {
                all = e.getValue().equals("1") || e.getValue().equalsIgnoreCase("true") || e.getValue().equalsIgnoreCase("yes");
                continue;
            }
            int idx = java.util.Arrays.asList(keys).indexOf(k);
            if (idx < 0) throw new StorageException("invalid prune option '" + k + "'");
            try {
                v[idx] = Integer.parseInt(e.getValue());
            } catch (NumberFormatException ex) {
                throw new StorageException("invalid value for '" + k + "': '" + e.getValue() + "'");
            }
            if (v[idx] < 0) throw new StorageException("invalid value for '" + k + "': '" + e.getValue() + "'");
        }
        if (all && java.util.Arrays.stream(v).anyMatch(x -> x > 0))
            throw new StorageException("keep-all cannot be set together with other options.");
        return new PruneOptions(all, v[0], v[1], v[2], v[3], v[4], v[5]);
    }

    /** True when no positive rule is set (then everything is kept, as in PVE). */
    public boolean keepsEverything() {
        return keepAll || (keepLast <= 0 && keepHourly <= 0 && keepDaily <= 0 && keepWeekly <= 0 && keepMonthly <= 0 && keepYearly <= 0);
    }

    /** Property-string form with keys sorted. */
    public String format() {
        Map<String, String> m = new LinkedHashMap<>();
        if (keepAll) m.put("keep-all", "1");
        if (keepLast > 0) m.put("keep-last", String.valueOf(keepLast));
        if (keepHourly > 0) m.put("keep-hourly", String.valueOf(keepHourly));
        if (keepDaily > 0) m.put("keep-daily", String.valueOf(keepDaily));
        if (keepWeekly > 0) m.put("keep-weekly", String.valueOf(keepWeekly));
        if (keepMonthly > 0) m.put("keep-monthly", String.valueOf(keepMonthly));
        if (keepYearly > 0) m.put("keep-yearly", String.valueOf(keepYearly));
        return PropertyString.print(m, null);
    }
}
