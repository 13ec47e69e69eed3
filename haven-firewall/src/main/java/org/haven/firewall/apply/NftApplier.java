package org.haven.firewall.apply;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a compiled ruleset with one {@code nft -f}: the file replaces Haven's tables in a single transaction,
 * so there is never a moment without rules, and a file the kernel refuses leaves the previous ruleset in
 * place. Commands run with an optional prefix (for example {@code ip netns exec <ns>}).
 */
public final class NftApplier {
    private static final Logger LOG = LoggerFactory.getLogger(NftApplier.class);

    /** Runs a command with the given standard input. */
    public interface Exec {
        Result run(List<String> cmd, String stdin);
    }

    public record Result(boolean ok, String message) {}

    private final List<String> prefix;
    private final Exec exec;
    private final Sysctl sysctl;
    private String applied;

    /** Commands and kernel settings ({@code sysctl}) run through {@code exec} with {@code prefix}. */
    public NftApplier(List<String> prefix, Exec exec) {
        this(prefix, exec, Sysctl.command(prefix, exec));
    }

    public NftApplier(List<String> prefix, Exec exec, Sysctl sysctl) {
        this.prefix = List.copyOf(prefix);
        this.exec = exec;
        this.sysctl = sysctl;
    }

    /** An applier that runs the commands on this machine (or in the namespace the prefix names). */
    public static NftApplier local(List<String> prefix) {
        return new NftApplier(prefix, NftApplier::runProcess, Sysctl.local(prefix));
    }

    /** The last ruleset loaded successfully, or null. */
    public synchronized String applied() { return applied; }

    /**
     * Load {@code ruleset} unless it equals the last one loaded and its tables are still there (someone may have
     * removed them, e.g. {@code pve-firewall stop} or {@code nft flush ruleset}). Bridge netfilter is switched on first when
     * {@code bridgeNetfilter} (guest ports are filtered in the inet hooks). On failure the previous rules stay
     * and the error is logged and returned.
     */
    public synchronized Result apply(String ruleset, boolean bridgeNetfilter) {
        if (ruleset.equals(applied) && tablesPresent(ruleset)) return new Result(true, "unchanged");
        if (bridgeNetfilter) {
            for (String key : List.of("net.bridge.bridge-nf-call-iptables", "net.bridge.bridge-nf-call-ip6tables")) set(key, "1");
        }
        Result r = exec.run(cmd("nft", "-f", "-"), ruleset);
        if (!r.ok()) {
            LOG.error("firewall: nft refused the ruleset, the previous rules stay: {}", r.message().strip());
            return r;
        }
        applied = ruleset;
        return new Result(true, "applied");
    }

    private boolean tablesPresent(String ruleset) {
        Result r = exec.run(cmd("nft", "list", "tables"), null);
        if (!r.ok()) return false;
        for (String family : List.of("inet", "bridge")) {
            boolean defined = ruleset.contains("table " + family + " haven-fw {");
            if (defined && !r.message().contains("table " + family + " haven-fw")) return false;
        }
        return true;
    }

    /**
     * Set the kernel settings whose current value differs, as PVE's firewall does; a setting the kernel refuses
     * (e.g. {@code nf_conntrack_max}, read-only inside a network namespace) is logged and tried again next time.
     * Returns the refusals ({@code key=value: reason}), empty when every setting has its value now.
     */
    public synchronized List<String> sysctls(Map<String, String> settings) {
        List<String> refused = new ArrayList<>();
        for (Map.Entry<String, String> e : settings.entrySet()) {
            String err = set(e.getKey(), e.getValue());
            if (err != null) refused.add(e.getKey() + "=" + e.getValue() + ": " + err);
        }
        return refused;
    }

    private String set(String key, String value) {
        try {
            if (sysctl.read(key).filter(value::equals).isPresent()) return null;
            sysctl.write(key, value);
            return null;
        } catch (RuntimeException e) {
            LOG.warn("firewall: cannot set {}={}: {}", key, value, e.getMessage());
            return e.getMessage();
        }
    }

    /** Remove Haven's tables (the firewall stops filtering). */
    public synchronized Result clear() {
        String text = "table inet haven-fw\ndelete table inet haven-fw\ntable bridge haven-fw\ndelete table bridge haven-fw\n";
        Result r = exec.run(cmd("nft", "-f", "-"), text);
        applied = r.ok() ? null : applied;
        return r;
    }

    /** The live ruleset of Haven's tables ({@code nft list table …}). */
    public Result list() {
        Result a = exec.run(cmd("nft", "list", "table", "inet", "haven-fw"), null);
        Result b = exec.run(cmd("nft", "list", "table", "bridge", "haven-fw"), null);
        return new Result(a.ok() || b.ok(), (a.ok() ? a.message() : "") + (b.ok() ? b.message() : ""));
    }

    private List<String> cmd(String... c) {
        List<String> out = new ArrayList<>(prefix);
        out.addAll(List.of(c));
        return out;
    }

    static Result runProcess(List<String> cmd, String stdin) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(false, String.join(" ", cmd) + ": timeout");
            }
            return new Result(p.exitValue() == 0, out);
        } catch (IOException e) {
            return new Result(false, String.join(" ", cmd) + ": " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(false, "interrupted");
        }
    }
}
