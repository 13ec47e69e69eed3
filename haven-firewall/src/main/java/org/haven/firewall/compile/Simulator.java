package org.haven.firewall.compile;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.firewall.config.FwSyntax;
import org.haven.firewall.config.IpNet;

/**
 * Evaluates a packet against a compiled ruleset ({@link Nft} tables, the same data {@code nft -f} loads): the
 * bridge hooks of the guest ports, then the inet hook the packet takes (and for what the host sends to a guest, the
 * bridge output hook after the inet output hook). Pure: it answers from the ruleset alone.
 */
public final class Simulator {

    /** Where a packet enters or leaves: the host itself, the outside (uplink) or a guest NIC's port. */
    public record Zone(String name, String port, String mac) {
        public static Zone host() { return new Zone("host", null, null); }
        public static Zone outside() { return new Zone("outside", null, null); }
        public boolean isHost() { return port == null && name.equals("host"); }
        public boolean isGuest() { return port != null; }
    }

    /**
     * A test packet. {@code proto} is a protocol name or number; {@code icmpType} applies to icmp/icmpv6;
     * {@code ctState} is {@code new}, {@code established}, … ({@code new} for a first packet).
     */
    public record Packet(Zone from, Zone to, String proto, String source, String dest, Integer sport, Integer dport,
                         String icmpType, String ctState, String bridge) {}

    /** The verdict and, for verbose output, the rules that decided on the way. */
    public record Result(String action, List<String> trace) {}

    private final Nft.Table inet;
    private final Nft.Table bridge;

    public Simulator(List<Nft.Table> tables) {
        Nft.Table i = null, b = null;
        for (Nft.Table t : tables) {
            if (t.family().equals("inet")) i = t;
            if (t.family().equals("bridge")) b = t;
        }
        inet = i;
        bridge = b;
    }

    private static final class State {
        long mark;
        String iif;
        String oif;
        final List<String> trace = new ArrayList<>();
    }

    private enum Outcome { CONTINUE, ACCEPT, DROP, REJECT, RETURN }

    public Result simulate(Packet p) {
        State s = new State();
        int proto = FwSyntax.protocolNumber(p.proto());
        IpNet src = IpNet.parse(p.source());
        IpNet dst = IpNet.parse(p.dest());
        if (src.version() != dst.version()) throw new IllegalArgumentException("source and dest have different IP versions");
        Pkt pkt = new Pkt(src.version(), proto, src.address(), dst.address(), p.sport(), p.dport(), p.icmpType(),
                p.ctState() == null ? "new" : p.ctState(), p.from().mac());
        String br = p.bridge() == null ? "vmbr0" : p.bridge();
        // bridge hooks: frames from a guest port; frames bridged between two ports (a guest's or the uplink)
        if (p.from().isGuest()) {
            s.iif = p.from().port();
            s.oif = null;
            Outcome o = base(bridge, "prerouting", pkt, s);
            if (o == Outcome.DROP || o == Outcome.REJECT) return new Result(o.name(), s.trace);
        }
        if (!p.to().isHost() && !p.from().isHost()) {
            s.iif = p.from().isGuest() ? p.from().port() : "uplink";
            s.oif = p.to().isGuest() ? p.to().port() : "uplink";
            Outcome o = base(bridge, "forward", pkt, s);
            if (o == Outcome.DROP || o == Outcome.REJECT) return new Result(o.name(), s.trace);
        }
        String hook;
        if (p.to().isHost()) { hook = "input"; s.iif = p.from().isHost() ? "lo" : br; s.oif = null; }
        else if (p.from().isHost()) { hook = "output"; s.iif = null; s.oif = p.to().isHost() ? "lo" : br; }
        else { hook = "forward"; s.iif = br; s.oif = br; }
        Outcome o = base(inet, hook, pkt, s);
        if (o == Outcome.ACCEPT && p.from().isHost() && p.to().isGuest()) {
            // what the host sends leaves through the bridge device: the bridge output hook sees the guest's port
            s.iif = null;
            s.oif = p.to().port();
            o = base(bridge, "output", pkt, s);
        }
        return new Result(o == Outcome.DROP || o == Outcome.REJECT ? o.name() : "ACCEPT", s.trace);
    }

    private record Pkt(int version, int proto, BigInteger src, BigInteger dst, Integer sport, Integer dport, String icmpType,
                       String ct, String mac) {}

    private Outcome base(Nft.Table t, String chain, Pkt p, State s) {
        if (t == null || t.chain(chain) == null) return Outcome.ACCEPT;
        Outcome o = run(t, t.chain(chain), p, s, 0);
        return o == Outcome.DROP || o == Outcome.REJECT ? o : Outcome.ACCEPT;
    }

    private Outcome run(Nft.Table t, Nft.Chain c, Pkt p, State s, int depth) {
        if (depth > 16) throw new IllegalStateException("chain nesting too deep at " + c.name());
        for (Nft.Rule r : c.rules()) {
            boolean all = true;
            for (Nft.Match m : r.matches()) if (!matches(t, m, p, s)) { all = false; break; }
            if (!all) continue;
            for (Nft.Stmt st : r.stmts()) {
                if (st instanceof Nft.SetMark sm) s.mark = sm.keep() == 0 ? sm.value() : (s.mark & sm.keep()) | sm.value();
            }
            Outcome o = switch (r.verdict()) {
                case Nft.Accept a -> Outcome.ACCEPT;
                case Nft.Drop d -> Outcome.DROP;
                case Nft.Reject rj -> Outcome.REJECT;
                case Nft.Return rt -> Outcome.RETURN;
                case Nft.Continue cn -> Outcome.CONTINUE;
                case Nft.Jump j -> call(t, j.chain(), p, s, depth);
                case Nft.Goto g -> {
                    Outcome go = call(t, g.chain(), p, s, depth);
                    yield go == Outcome.CONTINUE ? Outcome.RETURN : go;
                }
                case Nft.MarkVmap v -> {
                    String target = v.jumps().get(s.mark & v.mask());
                    yield target == null ? Outcome.CONTINUE : call(t, target, p, s, depth);
                }
            };
            if (o != Outcome.CONTINUE) s.trace.add(c.name() + ": " + Nft.render(r));
            if (o == Outcome.RETURN) return Outcome.CONTINUE;
            if (o != Outcome.CONTINUE) return o;
        }
        return Outcome.CONTINUE;
    }

    private Outcome call(Nft.Table t, String chain, Pkt p, State s, int depth) {
        Nft.Chain c = t.chain(chain);
        if (c == null) throw new IllegalStateException("no chain " + chain);
        return run(t, c, p, s, depth + 1);
    }

    private boolean matches(Nft.Table t, Nft.Match m, Pkt p, State s) {
        return switch (m) {
            case Nft.IfName i -> {
                String dev = i.out() ? s.oif : s.iif;
                yield (dev != null && dev.equals(i.name())) != i.negate();
            }
            case Nft.L4Proto l -> p.proto() == l.proto();
            case Nft.Ports ports -> {
                Integer v = ports.dst() ? p.dport() : p.sport();
                if (v == null || !FwSyntax.PROTOCOLS_WITH_PORTS.contains(Integer.toString(p.proto()))) yield false;
                boolean in = false;
                for (FwSyntax.PortRange r : ports.ports()) in |= v >= r.from() && v <= r.to();
                yield in;
            }
            case Nft.IcmpType it -> {
                int want = it.version() == 4 ? 1 : 58;
                if (p.proto() != want || p.version() != it.version()) yield false;
                String type = p.icmpType() == null ? "echo-request" : p.icmpType();
                yield it.types().contains(type);
            }
            case Nft.NfProto n -> p.version() == n.version();
            case Nft.EtherType e -> p.version() == e.version();
            case Nft.Addr a -> {
                if (p.version() != a.version()) yield false;
                BigInteger ip = a.src() ? p.src() : p.dst();
                List<String> elems = a.set() != null ? setElements(t, a.set()) : a.elements();
                yield contains(elems, a.version(), ip) != a.negate();
            }
            case Nft.EtherSaddr e -> p.mac() != null && (p.mac().equalsIgnoreCase(e.mac()) != e.negate());
            case Nft.ArpSaddr a -> false;
            case Nft.CtState c -> c.states().contains(p.ct());
            case Nft.TcpFlags f -> {
                if (p.proto() != 6) yield false;
                int flags = p.ct().equals("new") ? flags("syn") : flags("ack");
                yield (flags & flags(f.mask())) == flags(f.value());
            }
            case Nft.FibSaddrBroadcast f -> p.version() == 4 && p.src().equals(BigInteger.valueOf(0xffffffffL));
            case Nft.MarkEq k -> (s.mark & k.mask()) == k.value();
            case Nft.Limit l -> true;
            case Nft.OverRate o -> false;
        };
    }

    private static int flags(String spec) {
        Map<String, Integer> bits = Map.of("fin", 1, "syn", 2, "rst", 4, "psh", 8, "ack", 16, "urg", 32);
        int v = 0;
        for (String f : spec.split("\\|")) v |= bits.getOrDefault(f.strip(), 0);
        return v;
    }

    private static List<String> setElements(Nft.Table t, String name) {
        for (Nft.Set set : t.sets()) if (set.name().equals(name)) return set.elements();
        throw new IllegalStateException("no set " + name);
    }

    static boolean contains(List<String> elems, int version, BigInteger ip) {
        for (String e : elems) {
            int dash = e.indexOf('-');
            if (dash > 0) {
                IpNet a = IpNet.parse(e.substring(0, dash));
                IpNet b = IpNet.parse(e.substring(dash + 1));
                if (a.version() == version && ip.compareTo(a.address()) >= 0 && ip.compareTo(b.address()) <= 0) return true;
            } else if (IpNet.parse(e).contains(version, ip)) return true;
        }
        return false;
    }
}
