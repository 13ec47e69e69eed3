import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.firewall.apply.NftApplier;
import org.haven.firewall.compile.FwCompiler;
import org.haven.firewall.config.FwFile;
import org.haven.firewall.config.FwRule;

/**
 * Packet throughput across a guest bridge with the firewall off and on: {@code Throughput [seconds] [runs] [rules]}
 * (default 10 s, 3 runs, 20 rules per guest). Two guests (network namespaces plugged into a bridge like guest
 * NICs of containers, in a host namespace) run iperf3 (TCP, one stream) from guest 100 to guest 101. "off": no ruleset and
 * bridge netfilter off, as on a node without the firewall; "on": both guests with the firewall, {@code ipfilter}
 * and {@code macfilter}, their rules in front of the accepting one, loaded as {@code havend} loads them.
 */
public final class Throughput {
    static final String P = "hfw-tp-" + ProcessHandle.current().pid() + "-";

    public static void main(String[] args) throws Exception {
        int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        int rules = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        List<String> made = new ArrayList<>();
        Process server = null;
        try {
            for (String n : List.of("host", "g100", "g101")) { run("ip", "netns", "add", P + n); made.add(P + n); }
            ns("host", "ip", "link", "add", "vmbr0", "type", "bridge");
            ns("host", "ip", "addr", "add", "10.78.0.1/24", "dev", "vmbr0");
            ns("host", "ip", "link", "set", "vmbr0", "up");
            for (int vmid : new int[]{100, 101}) {
                String port = "veth" + vmid + "i0";
                ns("host", "ip", "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", P + "g" + vmid);
                ns("host", "ip", "link", "set", port, "master", "vmbr0", "up");
                ns("g" + vmid, "ip", "link", "set", "eth0", "address", mac(vmid));
                ns("g" + vmid, "ip", "addr", "add", ip(vmid) + "/24", "dev", "eth0");
                ns("g" + vmid, "ip", "link", "set", "eth0", "up");
                ns("g" + vmid, "ip", "link", "set", "lo", "up");
            }
            server = new ProcessBuilder("ip", "netns", "exec", P + "g101", "iperf3", "-s").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            Thread.sleep(500);
            NftApplier nft = NftApplier.local(List.of("ip", "netns", "exec", P + "host"));
            FwCompiler.Output out = FwCompiler.compile(input(rules, new Random(7)));
            double[] off = new double[runs], on = new double[runs];
            for (int i = 0; i < runs; i++) {
                nft.clear();
                ns("host", "sysctl", "-q", "-w", "net.bridge.bridge-nf-call-iptables=0", "net.bridge.bridge-nf-call-ip6tables=0");
                if (!probe22().equals("refused")) throw new IllegalStateException("off: port 22 of guest 101 is not answered");
                off[i] = iperf(seconds);
                NftApplier.Result r = nft.apply(out.text(), true);
                if (!r.ok()) throw new IllegalStateException(r.message());
                if (!probe22().equals("timeout")) throw new IllegalStateException("on: port 22 of guest 101 is not filtered");
                on[i] = iperf(seconds);
                System.out.printf("run %d: off %.2f Gbit/s, on %.2f Gbit/s%n", i + 1, off[i], on[i]);
            }
            System.out.printf("median: off %.2f Gbit/s, on %.2f Gbit/s, on/off %.2f%n", median(off), median(on), median(on) / median(off));
        } finally {
            if (server != null) server.destroyForcibly();
            for (String n : made) run("ip", "netns", "del", n);
        }
    }

    static String mac(int vmid) { return String.format("02:00:00:00:%02x:%02x", vmid >> 8, vmid & 0xff); }

    static String ip(int vmid) { return "10.78.0." + (vmid - 90); }

    static FwCompiler.Input input(int rules, Random rnd) {
        FwFile cluster = FwFile.empty(FwFile.Kind.CLUSTER);
        cluster.setOption("enable", "1");
        List<FwCompiler.Guest> gs = new ArrayList<>();
        for (int vmid : new int[]{100, 101}) {
            FwFile fw = FwFile.empty(FwFile.Kind.GUEST);
            fw.setOption("enable", "1");
            fw.setOption("ipfilter", "1");
            fw.setOption("macfilter", "1");
            List<FwRule> rs = new ArrayList<>();
            for (int r = 0; r < rules; r++) {
                rs.add(FwRule.of("in", "DROP").withProto("tcp").withDport(Integer.toString(6000 + rnd.nextInt(50000)))
                        .withSource("10." + rnd.nextInt(256) + "." + rnd.nextInt(256) + ".0/24"));
            }
            rs.add(FwRule.of("in", "ACCEPT").withProto("tcp").withDport("5201"));
            fw.setRules(rs);
            gs.add(new FwCompiler.Guest(vmid, true, fw, List.of(new FwCompiler.Nic(0, mac(vmid), "vmbr0", true, List.of(ip(vmid) + "/24")))));
        }
        return new FwCompiler.Input("n1", cluster, FwFile.empty(FwFile.Kind.HOST), gs, List.of("10.78.0.1"), "10.78.0.0/24");
    }

    /** A connection to guest 101's port 22 (nothing listens): refused without the firewall, dropped with it. */
    static String probe22() throws Exception {
        Process p = new ProcessBuilder("ip", "netns", "exec", P + "g100", "timeout", "2", "bash", "-c", "</dev/tcp/" + ip(101) + "/22")
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        p.waitFor();
        return p.exitValue() == 124 ? "timeout" : p.exitValue() == 1 ? "refused" : "exit " + p.exitValue();
    }

    /** Gbit/s received by the server in one iperf3 run. */
    static double iperf(int seconds) throws Exception {
        String json = run("ip", "netns", "exec", P + "g100", "iperf3", "-J", "-c", ip(101), "-t", Integer.toString(seconds));
        Matcher m = Pattern.compile("\"sum_received\"\\s*:\\s*\\{[^}]*\"bits_per_second\"\\s*:\\s*([0-9.eE+]+)").matcher(json);
        if (!m.find()) throw new IllegalStateException("iperf3: " + json);
        return Double.parseDouble(m.group(1)) / 1e9;
    }

    static void ns(String n, String... cmd) throws Exception {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", P + n));
        c.addAll(Arrays.asList(cmd));
        run(c.toArray(String[]::new));
    }

    static String run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
        return out;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }
}
