package org.haven.node.guests;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import org.haven.core.format.PropertyString;

/**
 * The order in which a node starts, stops and suspends its guests (PVE's {@code get_start_stop_list} and the loops of
 * {@code startall}, {@code stopall} and {@code suspendall}), without I/O:
 * <ul>
 * <li>guests are grouped by the {@code order} of their {@code startup} option; a guest without one comes after all
 *     others when starting and before them when stopping;</li>
 * <li>start runs the groups and the guests in each group in ascending order, one after the other, waiting {@code up}
 *     seconds after a successful start (3 s for a VM without {@code up}, to spread the load; none for a container);</li>
 * <li>stop and suspend run the groups and the guests in each group in descending order; the guests of one group run in
 *     parallel; a guest's shutdown timeout is its {@code down}, else the request's {@code timeout}, else 180 s;</li>
 * <li>start considers only guests with {@code onboot} unless forced, and skips HA-managed guests (the HA manager
 *     starts them); {@code vms} restricts any of them to the listed guests.</li>
 * </ul>
 */
public final class StartStopPlan {
    private StartStopPlan() {}

    /** The order of a guest without {@code startup: order=} (PVE's LONG_MAX). */
    public static final long NO_ORDER = Long.MAX_VALUE;

    /** A guest of this node, as its config says. */
    public record Guest(int vmid, String type, boolean onboot, String startup, boolean haManaged) {
        public boolean isVm() { return type.equals("qemu"); }
    }

    /** One guest's step: its group's order, the delay after its start, the timeout of its shutdown (seconds). */
    public record Step(Guest guest, long order, long upDelay, long downTimeout) {}

    /** PVE's {@code startup} property string ({@code [[order=]N][,up=N][,down=N]}); empty for none or a malformed one. */
    static Map<String, String> startup(String text) {
        if (text == null || text.isBlank()) return Map.of();
        try {
            return PropertyString.parse(text, "order");
        } catch (RuntimeException e) {
            return Map.of();
        }
    }

    private static Long number(Map<String, String> props, String key) {
        String v = props.get(key);
        if (v == null) return null;
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            return null;
        }
    }

    static Step step(Guest g, Long requestTimeout) {
        Map<String, String> s = startup(g.startup());
        Long order = number(s, "order"), up = number(s, "up"), down = number(s, "down");
        return new Step(g, order == null ? NO_ORDER : order, up != null ? up : g.isVm() ? 3 : 0,
                down != null ? down : requestTimeout != null ? requestTimeout : 180);
    }

    private static boolean selected(Guest g, Set<Integer> vms) { return vms == null || vms.isEmpty() || vms.contains(g.vmid()); }

    /** The guests {@code startall} starts, one after the other. */
    public static List<Step> start(List<Guest> guests, boolean force, Set<Integer> vms) {
        List<Step> out = new ArrayList<>();
        for (Guest g : guests) {
            if (!selected(g, vms) || (!force && !g.onboot()) || g.haManaged()) continue;
            out.add(step(g, null));
        }
        out.sort(Comparator.comparingLong(Step::order).thenComparingInt(s -> s.guest().vmid()));
        return out;
    }

    /** The groups {@code stopall} and {@code suspendall} run: descending order, each group's guests descending. */
    public static List<List<Step>> stop(List<Guest> guests, Long timeout, Set<Integer> vms) {
        TreeMap<Long, List<Step>> groups = new TreeMap<>(Comparator.reverseOrder());
        for (Guest g : guests) {
            if (!selected(g, vms)) continue;
            Step s = step(g, timeout);
            groups.computeIfAbsent(s.order(), k -> new ArrayList<>()).add(s);
        }
        List<List<Step>> out = new ArrayList<>();
        for (List<Step> group : groups.values()) {
            group.sort(Comparator.comparingInt((Step s) -> s.guest().vmid()).reversed());
            out.add(List.copyOf(group));
        }
        return out;
    }
}
