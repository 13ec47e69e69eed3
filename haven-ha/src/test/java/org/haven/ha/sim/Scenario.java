package org.haven.ha.sim;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.ha.HaEnv;
import org.haven.ha.ManagerStatus;
import org.haven.ha.ServiceState;

/** Small builder for simulator scenarios used by the tests. */
final class Scenario {
    private static final Pattern LINE = Pattern.compile("^(\\S+)\\s+(\\d+)\\s+(\\S+): (.*)$");

    record Line(String level, long time, String who, String msg) {
        @Override public String toString() { return time + " " + who + ": " + msg; }
    }

    final SimHardware hw;
    final List<Line> lines = new ArrayList<>();

    Scenario(String... nodes) {
        hw = new SimHardware(List.of(nodes));
        for (String n : nodes) hw.setNodeHardware(n, "off", "off", 16, 64_000_000_000L);
        hw.setLogListener(l -> {
            Matcher m = LINE.matcher(l);
            if (!m.matches()) throw new AssertionError("bad log line: " + l);
            lines.add(new Line(m.group(1), Long.parseLong(m.group(2)), m.group(3), m.group(4)));
        });
    }

    Scenario service(String sid, String node, String state, String... kv) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("node", node);
        if (state != null) p.put("state", state);
        for (int i = 0; i < kv.length; i += 2) p.put(kv[i], kv[i + 1]);
        hw.putService(sid, p);
        return this;
    }

    Scenario groups(String text) {
        hw.setGroups(text);
        return this;
    }

    Scenario datacenter(String shutdownPolicy, String crs) {
        hw.setDatacenter(new HaEnv.Datacenter(shutdownPolicy, crs, false));
        return this;
    }

    Scenario hardware(String node, double cpus, long memory) {
        hw.setNodeHardware(node, "off", "off", cpus, memory);
        return this;
    }

    /** Adds a batch of commands; batches run 100 s apart starting at t=20. */
    Scenario then(String... cmds) {
        hw.addCommandBatch(List.of(cmds));
        return this;
    }

    Scenario powerOnAll() {
        List<String> cmds = new ArrayList<>();
        for (String n : hw.nodes().keySet()) cmds.add("power " + n + " on");
        return then(cmds.toArray(String[]::new));
    }

    Scenario run() {
        hw.run(200_000);
        return this;
    }

    /** Messages of all lines, formatted {@code time who: msg}. */
    List<String> messages() {
        return lines.stream().map(Line::toString).toList();
    }

    List<Line> matching(String regex) {
        Pattern p = Pattern.compile(regex);
        return lines.stream().filter(l -> p.matcher(l.msg()).find()).toList();
    }

    boolean logged(String regex) { return !matching(regex).isEmpty(); }

    /** Time of the first line matching, or -1. */
    long firstTime(String regex) {
        List<Line> m = matching(regex);
        return m.isEmpty() ? -1 : m.get(0).time();
    }

    ServiceState status(String sid) {
        ManagerStatus ms = hw.managerStatus();
        return ms.serviceStatus.get(sid);
    }

    String nodeState(String node) { return hw.managerStatus().nodeStatus.get(node); }

    List<String> runningOn(String sid) { return hw.runningOn(sid); }

    String dump() { return String.join("\n", messages()); }
}
