package org.haven.ceph;

import java.util.ArrayList;
import java.util.List;
import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;

/** {@code pveceph}: PVE's subcommands over the Ceph API of the local node, with PVE's old names as aliases. */
public final class Pveceph implements CliTool {
    @Override public String name() { return "pveceph"; }

    @Override public String description() { return "Proxmox VE Ceph management"; }

    private static final String N = "/nodes/{node}/ceph";

    @Override
    public List<CliCommand> commands() {
        List<CliCommand> c = new ArrayList<>();
        c.add(CliCommand.local("install", inv -> install(inv.out()))
                .description("Install Debian's Ceph packages (the node's distribution has one Ceph release: --version is ignored)."));
        c.add(node(CliCommand.api("init", HttpMethod.POST, N + "/init")).output(CliCommand.Output.NONE));
        c.add(node(CliCommand.api("status", HttpMethod.GET, N + "/status")).output(CliCommand.Output.DEFAULT));
        for (String w : List.of("start", "stop", "restart")) c.add(node(CliCommand.api(w, HttpMethod.POST, N + "/" + w)).output(CliCommand.Output.TASK));
        for (String[] d : new String[][] {{"mon", "monid"}, {"mgr", "id"}, {"mds", "name"}}) {
            for (String w : List.of(d[0] + " create", "create" + d[0])) {
                String type = d[0], idParam = d[1];
                c.add(node(CliCommand.local(w, HttpMethod.POST, N + "/" + type + "/{" + idParam + "}", inv -> create(inv, type, idParam))));
            }
            for (String w : List.of(d[0] + " destroy", "destroy" + d[0]))
                c.add(node(CliCommand.api(w, HttpMethod.DELETE, N + "/" + d[0] + "/{" + d[1] + "}")).positional(d[1]).output(CliCommand.Output.TASK));
        }
        for (String w : List.of("osd create", "createosd"))
            c.add(node(CliCommand.api(w, HttpMethod.POST, N + "/osd")).positional("dev").output(CliCommand.Output.TASK));
        for (String w : List.of("osd destroy", "destroyosd"))
            c.add(node(CliCommand.api(w, HttpMethod.DELETE, N + "/osd/{osdid}")).positional("osdid").output(CliCommand.Output.TASK));
        c.add(node(CliCommand.api("osd details", HttpMethod.GET, N + "/osd/{osdid}/metadata")).positional("osdid"));
        for (String w : List.of("pool create", "createpool"))
            c.add(node(CliCommand.api(w, HttpMethod.POST, N + "/pool")).positional("name").output(CliCommand.Output.TASK));
        for (String w : List.of("pool destroy", "destroypool"))
            c.add(node(CliCommand.api(w, HttpMethod.DELETE, N + "/pool/{name}")).positional("name").output(CliCommand.Output.TASK));
        c.add(node(CliCommand.api("pool set", HttpMethod.PUT, N + "/pool/{name}")).positional("name").output(CliCommand.Output.TASK));
        c.add(node(CliCommand.api("pool get", HttpMethod.GET, N + "/pool/{name}/status")).positional("name"));
        for (String w : List.of("pool ls", "lspools"))
            c.add(node(CliCommand.api(w, HttpMethod.GET, N + "/pool")).columns("pool_name", "size", "min_size", "pg_num", "pg_num_min", "pg_num_final",
                    "pg_autoscale_mode", "target_size", "target_size_ratio", "crush_rule_name", "percent_used", "bytes_used"));
        c.add(node(CliCommand.api("fs create", HttpMethod.POST, N + "/fs/{name}")).output(CliCommand.Output.TASK));
        return c;
    }

    /** {@code mon|mgr|mds create}: the daemon's ID defaults to the node's name, as in PVE. */
    private static int create(org.haven.api.cli.CliInvocation inv, String type, String idParam) {
        java.util.Map<String, Object> params = new java.util.LinkedHashMap<>(inv.params());
        String node = String.valueOf(params.remove("node"));
        Object id = params.remove(idParam);
        String path = "/nodes/" + node + "/ceph/" + type + "/" + (id == null ? node : id);
        var upid = inv.client().call(HttpMethod.POST, path, params);
        return inv.client().followTask(upid.asString(), inv.out(), inv.err());
    }

    /** The packages a Ceph node needs, as {@code pveceph install} installs them. */
    static final List<String> PACKAGES = List.of("ceph-mon", "ceph-mgr", "ceph-osd", "ceph-mds", "ceph-common");

    static List<String> installCommand() {
        List<String> cmd = new ArrayList<>(List.of("apt-get", "install", "-y", "--no-install-recommends"));
        cmd.addAll(PACKAGES);
        return cmd;
    }

    private static int install(java.io.PrintStream out) throws Exception {
        out.println("installing " + String.join(" ", PACKAGES));
        ProcessBuilder pb = new ProcessBuilder(installCommand()).inheritIO();
        pb.environment().put("DEBIAN_FRONTEND", "noninteractive");
        int rc = pb.start().waitFor();
        if (rc == 0) out.println("installed Ceph successfully!");
        return rc == 0 ? 0 : 255;
    }

    private static CliCommand node(CliCommand c) { return c.fixed("node", CliCommand.LOCAL_NODE); }
}
