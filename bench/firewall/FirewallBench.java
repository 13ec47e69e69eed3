import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.haven.firewall.compile.FwCompiler;
import org.haven.firewall.config.FwFile;
import org.haven.firewall.config.FwRule;

/**
 * Compile time and nft load time of a large node: {@code FirewallBench [guests] [rules per guest] [runs] [compile-only|print]}
 * (default 1000 × 20, 5 runs). The ruleset is loaded into a network namespace the bench creates and removes.
 */
public final class FirewallBench {

    public static void main(String[] args) throws Exception {
        int guests = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int rules = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        FwCompiler.Input in = input(guests, rules, new Random(42));

        for (int i = 0; i < 3; i++) FwCompiler.compile(in);  // warm-up
        double[] compile = new double[runs];
        FwCompiler.Output out = null;
        for (int i = 0; i < runs; i++) {
            long t0 = System.nanoTime();
            out = FwCompiler.compile(in);
            String text = out.text();
            compile[i] = (System.nanoTime() - t0) / 1e6;
            if (text.isEmpty()) throw new IllegalStateException();
        }
        String text = out.text();
        long lines = text.lines().count();
        System.out.printf("guests %d, rules per guest %d: %d nft lines, %d bytes, %d warnings%n", guests, rules, lines,
                text.getBytes(StandardCharsets.UTF_8).length, out.warnings().size());
        System.out.printf("compile (parse excluded, render included): median %.1f ms, min %.1f ms%n", median(compile), min(compile));

        if (args.length > 3 && args[3].equals("compile-only")) return;
        if (args.length > 3 && args[3].equals("print")) { System.err.print(text); return; }
        String ns = "hfw-bench-" + ProcessHandle.current().pid();
        run(null, "ip", "netns", "add", ns);
        try {
            double[] check = new double[runs];
            double[] first = new double[runs];
            double[] reload = new double[runs];
            for (int i = 0; i < runs; i++) {
                check[i] = time(text, "ip", "netns", "exec", ns, "nft", "-c", "-f", "-");
                run(null, "ip", "netns", "exec", ns, "nft", "flush", "ruleset");
                first[i] = time(text, "ip", "netns", "exec", ns, "nft", "-f", "-");
                reload[i] = time(text, "ip", "netns", "exec", ns, "nft", "-f", "-");
            }
            System.out.printf("nft -c -f (check):        median %.0f ms%n", median(check));
            System.out.printf("nft -f (first load):      median %.0f ms%n", median(first));
            System.out.printf("nft -f (atomic replace):  median %.0f ms%n", median(reload));
        } finally {
            run(null, "ip", "netns", "del", ns);
        }
    }

    static FwCompiler.Input input(int guests, int rulesPerGuest, Random rnd) {
        FwFile cluster = FwFile.empty(FwFile.Kind.CLUSTER);
        cluster.setOption("enable", "1");
        cluster.createIpset("management", null);
        cluster.setIpset("management", List.of(new FwFile.IpEntry("192.168.0.0/24", false, null)));
        cluster.createGroup("web", null);
        cluster.setGroupRules("web", List.of(FwRule.of("in", "ACCEPT").withMacro("HTTP"), FwRule.of("in", "ACCEPT").withMacro("HTTPS")));
        List<FwCompiler.Guest> gs = new ArrayList<>();
        String[] macros = {"SSH", "DNS", "HTTP", "MySQL", "SMB", "Ping"};
        for (int g = 0; g < guests; g++) {
            int vmid = 100 + g;
            FwFile fw = FwFile.empty(FwFile.Kind.GUEST);
            fw.setOption("enable", "1");
            fw.setOption("ipfilter", "1");
            List<FwRule> rs = new ArrayList<>();
            for (int r = 0; r < rulesPerGuest; r++) {
                String net = "10." + rnd.nextInt(256) + "." + rnd.nextInt(256) + ".0/24";
                rs.add(switch (r % 4) {
                    case 0 -> FwRule.of("in", "ACCEPT").withMacro(macros[rnd.nextInt(macros.length)]).withSource(net);
                    case 1 -> FwRule.of("in", rnd.nextBoolean() ? "DROP" : "REJECT").withProto("tcp").withDport(Integer.toString(1024 + rnd.nextInt(60000)));
                    case 2 -> FwRule.of("out", "ACCEPT").withProto("udp").withDport("53,123").withDest(net);
                    default -> r == 3 ? FwRule.of("group", "web") : FwRule.of("in", "ACCEPT").withProto("tcp").withDport("8000:8100").withSource(net);
                });
            }
            fw.setRules(rs);
            String mac = String.format("02:00:00:%02x:%02x:00", (vmid >> 8) & 0xff, vmid & 0xff);
            gs.add(new FwCompiler.Guest(vmid, g % 2 == 1, fw, List.of(new FwCompiler.Nic(0, mac, "vmbr0", true,
                    List.of("10.200." + (g / 250) + "." + (g % 250 + 1) + "/16")))));
        }
        return new FwCompiler.Input("n1", cluster, FwFile.empty(FwFile.Kind.HOST), gs, List.of("192.168.0.11", "192.168.0.12"), "192.168.0.0/24");
    }

    static double time(String stdin, String... cmd) throws Exception {
        long t0 = System.nanoTime();
        run(stdin, cmd);
        return (System.nanoTime() - t0) / 1e6;
    }

    static void run(String stdin, String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(600, TimeUnit.SECONDS) || p.exitValue() != 0) throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    static double min(double[] v) {
        return Arrays.stream(v).min().orElse(0);
    }
}
