package org.haven.cfs;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import org.haven.core.format.ConfigText;

/**
 * corosync.conf: nested {@code name { key: value }} blocks. {@link #parse} keeps order and comments so that
 * {@link #toString} round-trips; {@link #writePve} writes PVE's canonical form (keys sorted at every level,
 * nodes sorted by name, interfaces by link number, an empty line after each top-level block, no comments),
 * which is what {@code pvecm} produces. Typed accessors cover what cluster management needs.
 */
public final class CorosyncConf {
    /** Default TCP port of the cfs replication when a node entry does not name one. */
    public static final int DEFAULT_CFS_PORT = 5405;
    /** Extra node key for the replication port; only written when it differs from the default. */
    public static final String PORT_KEY = "haven_cfs_port";

    /** Item of a block: a key/value, a comment line, or a nested block. */
    public sealed interface Item permits Value, Comment, Block {}

    public record Value(String key, String value) implements Item {}

    public record Comment(String text) implements Item {}

    public static final class Block implements Item {
        public final String name;
        public final List<Item> items = new ArrayList<>();

        public Block(String name) { this.name = name; }

        public Optional<String> get(String key) {
            for (Item i : items) if (i instanceof Value v && v.key().equals(key)) return Optional.of(v.value());
            return Optional.empty();
        }

        public void set(String key, String value) {
            for (int k = 0; k < items.size(); k++) {
                if (items.get(k) instanceof Value v && v.key().equals(key)) { items.set(k, new Value(key, value)); return; }
            }
            items.add(new Value(key, value));
        }

        public void remove(String key) {
            items.removeIf(i -> i instanceof Value v && v.key().equals(key));
        }

        public List<Block> blocks(String name) {
            List<Block> out = new ArrayList<>();
            for (Item i : items) if (i instanceof Block b && b.name.equals(name)) out.add(b);
            return out;
        }

        public Optional<Block> block(String name) {
            return blocks(name).stream().findFirst();
        }

        public Block blockOrAdd(String name) {
            return block(name).orElseGet(() -> { Block b = new Block(name); items.add(b); return b; });
        }
    }

    /** One {@code nodelist.node} entry. */
    public record Node(String name, int nodeId, int votes, String ring0Addr, int cfsPort) {}

    public static final class ParseException extends IllegalArgumentException {
        public ParseException(String msg) { super(msg); }
    }

    private final Block root;

    private CorosyncConf(Block root) { this.root = root; }

    public Block root() { return root; }

    public static CorosyncConf parse(String text) {
        Block root = new Block("");
        List<Block> stack = new ArrayList<>();
        Block cur = root;
        int lineNo = 0;
        for (String raw : text.split("\r?\n", -1)) {
            lineNo++;
            String line = raw.strip();
            if (line.isEmpty()) continue;
            if (line.startsWith("#")) { cur.items.add(new Comment(line)); continue; }
            int hash = line.indexOf('#');
            if (hash >= 0) line = line.substring(0, hash).strip();
            while (!line.isEmpty()) {
                if (line.startsWith("}")) {
                    if (stack.isEmpty()) throw new ParseException("parse error - unexpected '}' in line " + lineNo);
                    cur = stack.remove(stack.size() - 1);
                    line = line.substring(1).strip();
                    continue;
                }
                int brace = line.indexOf('{');
                int colon = line.indexOf(':');
                if (brace >= 0 && (colon < 0 || brace < colon)) {
                    String name = line.substring(0, brace).strip();
                    if (!isToken(name)) throw new ParseException("parse error - bad section name in line " + lineNo);
                    Block b = new Block(name);
                    cur.items.add(b);
                    stack.add(cur);
                    cur = b;
                    line = line.substring(brace + 1).strip();
                    continue;
                }
                if (colon < 0) throw new ParseException("missing ':' after key '" + line + "'");
                String key = line.substring(0, colon).strip();
                if (!isToken(key)) throw new ParseException("parse error - bad key in line " + lineNo);
                String rest = line.substring(colon + 1).strip();
                int close = rest.indexOf('}');
                String value = close >= 0 ? rest.substring(0, close).strip() : rest;
                if (value.isEmpty()) throw new ParseException("parse error - no value for '" + key + "'");
                if (value.indexOf('{') >= 0) throw new ParseException("parse error - unexpected '{' in line " + lineNo);
                cur.items.add(new Value(key, value));
                line = close >= 0 ? rest.substring(close) : "";
            }
        }
        if (!stack.isEmpty()) throw new ParseException("parse error - missing '}'");
        return new CorosyncConf(root);
    }

    /** A section name or key as PVE's parser reads it: one word ({@code \S+}). */
    private static boolean isToken(String s) {
        return !s.isEmpty() && s.chars().noneMatch(c -> Character.isWhitespace(c) || Character.isSpaceChar(c));
    }

    /** Order- and comment-preserving output (two-space indentation, an empty line after top-level blocks). */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        dump(root, "", sb, false);
        return sb.toString();
    }

    /** PVE's canonical output ({@code PVE::Corosync::write_conf}). */
    public String writePve() {
        StringBuilder sb = new StringBuilder();
        dump(root, "", sb, true);
        return sb.toString();
    }

    /** Characters that delimit keys and block names. */
    private static final String STRUCTURE = ":{}#";

    /**
     * Writes one block. Keys, block names and values that would read back differently (see {@link ConfigText}: a
     * line break, a '{', '}' or '#' in a value, a ':' or white space in a key or name) are refused.
     */
    private static void dump(Block b, String prefix, StringBuilder sb, boolean canonical) {
        List<Item> items = b.items;
        if (canonical) {
            TreeMap<String, List<Item>> byKey = new TreeMap<>();
            for (Item i : items) {
                switch (i) {
                    case Value v -> byKey.computeIfAbsent(v.key(), k -> new ArrayList<>()).add(v);
                    case Block c -> byKey.computeIfAbsent(c.name, k -> new ArrayList<>()).add(c);
                    case Comment c -> { }
                }
            }
            items = new ArrayList<>();
            for (var e : byKey.entrySet()) {
                List<Item> group = new ArrayList<>(e.getValue());
                if (group.size() > 1 && group.get(0) instanceof Block) {
                    String sortKey = e.getKey().equals("node") ? "name" : e.getKey().equals("interface") ? "linknumber" : null;
                    if (sortKey != null) {
                        String alt = sortKey.equals("name") ? "ring0_addr" : "ringnumber";
                        group.sort(Comparator.comparing(i -> ((Block) i).get(sortKey).or(() -> ((Block) i).get(alt)).orElse("")));
                    }
                }
                if (group.get(0) instanceof Value) group = List.of(group.get(group.size() - 1)); // last value wins
                items.addAll(group);
            }
        }
        for (Item i : items) {
            switch (i) {
                case Value v -> {
                    ConfigText.name(v.key(), v.key(), STRUCTURE);
                    if (v.value().isBlank()) throw new ConfigText.UnwritableValueException(v.key(), "value must not be empty");
                    sb.append(prefix).append(v.key()).append(": ").append(ConfigText.field(v.key(), v.value(), "{}#")).append('\n');
                }
                case Comment c -> {
                    if (!c.text().startsWith("#")) throw new ConfigText.UnwritableValueException("comment", "comment line must start with '#'");
                    sb.append(prefix).append(ConfigText.line("comment", c.text())).append('\n');
                }
                case Block c -> {
                    sb.append(prefix).append(ConfigText.name(c.name, c.name, STRUCTURE)).append(" {\n");
                    dump(c, prefix + "  ", sb, canonical);
                    sb.append(prefix).append("}\n");
                    if (prefix.isEmpty()) sb.append('\n');
                }
            }
        }
    }

    // ------------------------------------------------------------------ typed view

    /** The configuration {@code pvecm create} writes for a new cluster. */
    public static CorosyncConf create(String clusterName, Node first) {
        Block root = new Block("");
        Block logging = root.blockOrAdd("logging");
        logging.set("debug", "off");
        logging.set("to_syslog", "yes");
        root.blockOrAdd("nodelist");
        Block quorum = root.blockOrAdd("quorum");
        quorum.set("provider", "corosync_votequorum");
        Block totem = root.blockOrAdd("totem");
        totem.set("cluster_name", clusterName);
        totem.set("config_version", "1");
        Block iface = new Block("interface");
        iface.set("linknumber", "0");
        totem.items.add(iface);
        totem.set("ip_version", "ipv4-6");
        totem.set("link_mode", "passive");
        totem.set("secauth", "on");
        totem.set("version", "2");
        CorosyncConf c = new CorosyncConf(root);
        c.addNode(first);
        return c;
    }

    public String clusterName() {
        return root.block("totem").flatMap(t -> t.get("cluster_name")).orElse("");
    }

    public long configVersion() {
        return root.block("totem").flatMap(t -> t.get("config_version")).map(Long::parseLong).orElse(0L);
    }

    public void setConfigVersion(long v) {
        root.blockOrAdd("totem").set("config_version", Long.toString(v));
    }

    public void bumpConfigVersion() { setConfigVersion(configVersion() + 1); }

    public List<Node> nodes() {
        List<Node> out = new ArrayList<>();
        for (Block nl : root.blocks("nodelist")) {
            for (Block n : nl.blocks("node")) {
                String addr = n.get("ring0_addr").orElse(null);
                String name = n.get("name").orElse(addr);
                out.add(new Node(name, n.get("nodeid").map(Integer::parseInt).orElse(0),
                        n.get("quorum_votes").map(Integer::parseInt).orElse(1), addr,
                        n.get(PORT_KEY).map(Integer::parseInt).orElse(DEFAULT_CFS_PORT)));
            }
        }
        out.sort(Comparator.comparing(Node::name));
        return out;
    }

    public Optional<Node> node(String name) {
        return nodes().stream().filter(n -> n.name().equals(name)).findFirst();
    }

    public void addNode(Node n) {
        if (node(n.name()).isPresent()) throw new IllegalArgumentException("node '" + n.name() + "' already exists");
        Block b = new Block("node");
        b.set("name", n.name());
        b.set("nodeid", Integer.toString(n.nodeId()));
        b.set("quorum_votes", Integer.toString(n.votes()));
        if (n.ring0Addr() != null) b.set("ring0_addr", n.ring0Addr());
        if (n.cfsPort() != DEFAULT_CFS_PORT) b.set(PORT_KEY, Integer.toString(n.cfsPort()));
        root.blockOrAdd("nodelist").items.add(b);
    }

    public boolean removeNode(String name) {
        for (Block nl : root.blocks("nodelist")) {
            if (nl.items.removeIf(i -> i instanceof Block b && b.name.equals("node")
                    && name.equals(b.get("name").or(() -> b.get("ring0_addr")).orElse(null)))) return true;
        }
        return false;
    }

    /** Lowest node id not in use (what {@code pvecm add} assigns). */
    public int nextNodeId() {
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (Node n : nodes()) used.add(n.nodeId());
        int id = 1;
        while (used.contains(id)) id++;
        return id;
    }

    public int totalVotes() {
        return nodes().stream().mapToInt(Node::votes).sum();
    }

    /** Raft member name of the witness (the counterpart of PVE's QDevice). */
    public static final String WITNESS = "qdevice";
    /** Node id the witness uses as writer (never written by guests or nodes). */
    public static final int WITNESS_ID = 65535;

    /** The witness configured in {@code quorum.device} ({@code model: net}, {@code net.host}), if any. */
    public Optional<CfsNode> witness() {
        Optional<Block> net = root.block("quorum").flatMap(q -> q.block("device")).flatMap(d -> d.block("net"));
        Optional<String> host = net.flatMap(n -> n.get("host"));
        if (host.isEmpty()) return Optional.empty();
        int port = net.flatMap(n -> n.get(PORT_KEY)).map(Integer::parseInt).orElse(DEFAULT_CFS_PORT);
        return Optional.of(new CfsNode(WITNESS, WITNESS_ID, host.get(), port));
    }

    /** Configures the witness as PVE's {@code pvecm qdevice setup} configures a QDevice. */
    public void setWitness(String host, int port) {
        Block quorum = root.blockOrAdd("quorum");
        quorum.items.removeIf(i -> i instanceof Block b && b.name.equals("device"));
        Block device = new Block("device");
        device.set("model", "net");
        device.set("votes", "1");
        Block net = new Block("net");
        net.set("algorithm", "ffsplit");
        net.set("host", host);
        net.set("tls", "on");
        if (port != DEFAULT_CFS_PORT) net.set(PORT_KEY, Integer.toString(port));
        device.items.add(net);
        quorum.items.add(device);
    }

    /** Removes the witness; false when none was configured. */
    public boolean removeWitness() {
        Optional<Block> quorum = root.block("quorum");
        return quorum.isPresent() && quorum.get().items.removeIf(i -> i instanceof Block b && b.name.equals("device"));
    }

    /** {@code quorum.expected_votes} when set. */
    public Optional<Integer> expectedVotes() {
        return root.block("quorum").flatMap(q -> q.get("expected_votes")).map(Integer::parseInt);
    }
}
