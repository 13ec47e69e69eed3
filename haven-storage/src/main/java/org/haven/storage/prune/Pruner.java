package org.haven.storage.prune;

import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.temporal.IsoFields;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * PVE's backup retention ({@code prune_mark_backup_group}), pure. Rules are applied in the order keep-last,
 * hourly, daily, weekly, monthly, yearly; within a rule the newest backup of each period is kept, up to the
 * rule's count; a period already covered by a backup kept by an earlier rule does not count again; protected
 * backups are never removed and do not count for any rule.
 */
public final class Pruner {
    private Pruner() {}

    public enum Mark { KEEP, REMOVE, PROTECTED, RENAMED;
        public String id() { return name().toLowerCase(); }
    }

    /** One backup: an opaque id (e.g. the volid), its creation time (epoch seconds) and protection. */
    public record Backup(String id, long ctime, boolean isProtected) {}

    /** Marks for one backup group (one guest); the result maps id → mark in input order. */
    public static Map<String, Mark> markGroup(List<Backup> group, PruneOptions keep, ZoneId zone) {
        Map<String, Mark> marks = new LinkedHashMap<>();
        for (Backup b : group) marks.put(b.id(), b.isProtected() ? Mark.PROTECTED : null);
        if (keep.keepsEverything()) {
            for (Backup b : group) if (marks.get(b.id()) == null) marks.put(b.id(), Mark.KEEP);
            return marks;
        }
        List<Backup> sorted = new ArrayList<>(group);
        sorted.sort(Comparator.comparingLong(Backup::ctime).reversed());
        mark(sorted, marks, keep.keepLast(), b -> String.valueOf(b.ctime()), zone);
        mark(sorted, marks, keep.keepHourly(), b -> {
            ZonedDateTime t = at(b, zone);
            return t.getHour() + "/" + t.getDayOfMonth() + "/" + t.getMonthValue() + "/" + t.getYear();
        }, zone);
        mark(sorted, marks, keep.keepDaily(), b -> {
            ZonedDateTime t = at(b, zone);
            return t.getDayOfMonth() + "/" + t.getMonthValue() + "/" + t.getYear();
        }, zone);
        mark(sorted, marks, keep.keepWeekly(), b -> {
            ZonedDateTime t = at(b, zone);
            return t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR) + "/" + t.get(IsoFields.WEEK_BASED_YEAR);
        }, zone);
        mark(sorted, marks, keep.keepMonthly(), b -> {
            ZonedDateTime t = at(b, zone);
            return t.getMonthValue() + "/" + t.getYear();
        }, zone);
        mark(sorted, marks, keep.keepYearly(), b -> String.valueOf(at(b, zone).getYear()), zone);
        for (Backup b : sorted) if (marks.get(b.id()) == null) marks.put(b.id(), Mark.REMOVE);
        return marks;
    }

    private static ZonedDateTime at(Backup b, ZoneId zone) {
        return Instant.ofEpochSecond(b.ctime()).atZone(zone);
    }

    private static void mark(List<Backup> newestFirst, Map<String, Mark> marks, int count, Function<Backup, String> period, ZoneId zone) {
        if (count <= 0) return;
        Set<String> already = new HashSet<>();
        for (Backup b : newestFirst) if (marks.get(b.id()) == Mark.KEEP) already.add(period.apply(b));
        Set<String> newly = new HashSet<>();
        for (Backup b : newestFirst) {
            if (marks.get(b.id()) != null) continue;
            String id = period.apply(b);
            if (already.contains(id)) continue;
            if (!newly.contains(id)) {
                if (newly.size() >= count) break;
                newly.add(id);
                marks.put(b.id(), Mark.KEEP);
            } else {
                marks.put(b.id(), Mark.REMOVE);
            }
        }
    }

    /** A backup with its group key ({@code <vmtype>/<vmid>}); a null group marks it "renamed" (not pruned). */
    public record GroupedBackup(String group, Backup backup) {}

    /** Marks for many backups: grouped by guest, each group pruned independently; ungrouped ones are "renamed". */
    public static Map<String, Mark> mark(List<GroupedBackup> backups, PruneOptions keep, ZoneId zone) {
        Map<String, List<Backup>> groups = new TreeMap<>();
        Map<String, Mark> out = new LinkedHashMap<>();
        for (GroupedBackup g : backups) {
            out.put(g.backup().id(), null);
            if (g.group() == null) continue;
            groups.computeIfAbsent(g.group(), k -> new ArrayList<>()).add(g.backup());
        }
        for (GroupedBackup g : backups) {
            if (g.group() == null) out.put(g.backup().id(), g.backup().isProtected() ? Mark.PROTECTED : Mark.RENAMED);
        }
        for (List<Backup> group : groups.values()) out.putAll(markGroup(group, keep, zone));
        return out;
    }
}
