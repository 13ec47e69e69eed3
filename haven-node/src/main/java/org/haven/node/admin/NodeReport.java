package org.haven.node.admin;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

/**
 * PVE's {@code pvereport}: sections ({@code ==== title ====}) of items, each shown as {@code # command} followed by
 * what it printed. An item is a command to run, a file to show (of the cluster file system or the host) or a
 * listing the node's API gives. The plan is data; {@link #render} runs it through the function the caller gives.
 */
public final class NodeReport {
    private NodeReport() {}

    public enum Kind { COMMAND, HOST_FILE, CFS_FILE, API }

    /** One item: its heading (what PVE's report shows after {@code #}), its kind and its argument (argv, path or API path). */
    public record Item(String heading, Kind kind, List<String> args) {
        static Item cmd(String... argv) { return new Item(String.join(" ", argv), Kind.COMMAND, List.of(argv)); }
        static Item shell(String heading, String script) { return new Item(heading, Kind.COMMAND, List.of("sh", "-c", script)); }
        static Item host(String path) { return new Item("cat " + path, Kind.HOST_FILE, List.of(path)); }
        static Item cfs(String path) { return new Item("cat /etc/pve/" + path, Kind.CFS_FILE, List.of(path)); }
        static Item api(String heading, String path, String... params) {
            List<String> a = new ArrayList<>(List.of(path));
            a.addAll(List.of(params));
            return new Item(heading, Kind.API, a);
        }
    }

    public record Section(String title, List<Item> items) {}

    /** The report's plan for {@code node}; {@code guestConfigs} are the cfs paths of the node's guest configurations. */
    public static List<Section> plan(String node, List<String> guestConfigs, List<String> aptFiles) {
        List<Item> general = new ArrayList<>(List.of(
                Item.cmd("hostname"),
                Item.api("pveversion --verbose", "/nodes/" + node + "/apt/versions"),
                Item.host("/etc/hosts"),
                Item.api("pvesubscription get", "/nodes/" + node + "/subscription")));
        for (String f : aptFiles) general.add(Item.host(f));
        general.addAll(List.of(
                Item.shell("apt-cache policy | grep -vP '^ +origin '", "apt-cache policy | grep -vP '^ +origin '"),
                Item.cmd("lscpu"),
                Item.api("pvesh get /cluster/resources --type node", "/cluster/resources", "type", "node"),
                Item.shell("top -b -c -w512 -n 1 -o TIME | head -n 30", "top -b -c -w512 -n 1 -o TIME | head -n 30"),
                Item.shell("head /proc/pressure/*", "head /proc/pressure/*")));
        List<Item> guests = new ArrayList<>();
        for (String c : guestConfigs) guests.add(Item.cfs(c));
        return List.of(
                new Section("general system info", general),
                new Section("overall guest overview", List.of(Item.api("pvesh get /cluster/resources --type vm", "/cluster/resources", "type", "vm"))),
                new Section("storage", List.of(
                        Item.api("pvesm status", "/nodes/" + node + "/storage"),
                        Item.cfs("storage.cfg"),
                        Item.cmd("findmnt", "--ascii"),
                        Item.cmd("df", "--human", "-T"))),
                new Section("virtual guests", guests),
                new Section("network", List.of(
                        Item.cmd("ip", "-details", "-statistics", "address"),
                        Item.cmd("ip", "-details", "-4", "route", "show"),
                        Item.cmd("ip", "-details", "-6", "route", "show"),
                        Item.host("/etc/network/interfaces"),
                        Item.cfs("sdn/zones.cfg"),
                        Item.cfs("sdn/vnets.cfg"))),
                new Section("firewall", List.of(
                        Item.cfs("firewall/cluster.fw"),
                        Item.cfs("nodes/" + node + "/host.fw"),
                        Item.cmd("nft", "list", "ruleset"))),
                new Section("cluster", List.of(
                        Item.api("pvecm status", "/cluster/status"),
                        Item.cfs("corosync.conf"))),
                new Section("hardware", List.of(
                        Item.cmd("lspci", "-nnk"))),
                new Section("block devices", List.of(
                        Item.cmd("lsblk", "--ascii", "-M", "-o", "+HOTPLUG,ROTA,PHY-SEC,FSTYPE,MODEL,TRAN"),
                        Item.shell("ls -l /dev/disk/by-*/", "ls -l /dev/disk/by-*/"))),
                new Section("volumes", List.of(
                        Item.cmd("pvs"),
                        Item.cmd("lvs"),
                        Item.cmd("vgs"),
                        Item.cmd("zpool", "status"),
                        Item.cmd("zfs", "list"))));
    }

    /** The report text: each section's title, then every item's heading and output (as {@code run} gives it). */
    public static String render(List<Section> plan, Function<Item, String> run) {
        StringBuilder b = new StringBuilder();
        for (Section s : plan) {
            b.append("\n==== ").append(s.title()).append(" ====\n\n");
            for (Item i : s.items()) {
                String out = run.apply(i);
                b.append("# ").append(i.heading()).append('\n');
                if (out != null && !out.isEmpty()) b.append(out).append(out.endsWith("\n") ? "" : "\n");
                b.append('\n');
            }
        }
        return b.toString();
    }
}
