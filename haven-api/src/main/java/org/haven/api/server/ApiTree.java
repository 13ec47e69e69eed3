package org.haven.api.server;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.haven.api.ApiMethod;
import org.haven.api.ApiRegistry;
import org.haven.api.ClusterResourceProvider;
import org.haven.api.HttpMethod;

/**
 * The registered methods as a tree of path segments ({@code nodes} → {@code {node}} → {@code qemu} …).
 * Lookup prefers literal segments over parameters and backtracks. Thread-safe for lookups once built.
 */
public final class ApiTree implements ApiRegistry {

    /** One path segment. */
    public static final class Node {
        final String segment;
        final String path;
        final TreeMap<String, Node> literals = new TreeMap<>();
        Node param;
        final EnumMap<HttpMethod, ApiMethod> methods = new EnumMap<>(HttpMethod.class);

        Node(String segment, String path) { this.segment = segment; this.path = path; }

        public String segment() { return segment; }
        public String path() { return path; }
        public Map<HttpMethod, ApiMethod> methods() { return Collections.unmodifiableMap(methods); }
        /** Children, literals sorted by name then the parameter child. */
        public List<Node> children() {
            List<Node> out = new ArrayList<>(literals.values());
            if (param != null) out.add(param);
            return out;
        }
        public boolean isLeaf() { return literals.isEmpty() && param == null; }
        public boolean isParam() { return segment.startsWith("{"); }
    }

    /** A lookup hit: the node and the values of its path parameters. */
    public record Match(Node node, Map<String, String> pathParams) {}

    private final Node root = new Node("", "");
    private final List<ClusterResourceProvider> resourceProviders = new CopyOnWriteArrayList<>();

    public Node root() { return root; }

    @Override
    public synchronized void add(ApiMethod m) {
        Node n = root;
        StringBuilder p = new StringBuilder();
        for (String seg : segments(m.path())) {
            p.append('/').append(seg);
            if (seg.startsWith("{")) {
                if (n.param == null) n.param = new Node(seg, p.toString());
                else if (!n.param.segment.equals(seg))
                    throw new IllegalArgumentException("conflicting path parameter " + seg + " vs " + n.param.segment + " in " + m.path());
                n = n.param;
            } else {
                final String path = p.toString();
                n = n.literals.computeIfAbsent(seg, s -> new Node(s, path));
            }
        }
        if (n.methods.containsKey(m.method()))
            throw new IllegalArgumentException("duplicate method " + m.method() + " " + m.path());
        n.methods.put(m.method(), m);
    }

    @Override
    public void addResources(ClusterResourceProvider provider) { resourceProviders.add(provider); }

    public List<ClusterResourceProvider> resourceProviders() { return resourceProviders; }

    /** Find the node for a concrete path, or null. */
    public Match lookup(String path) {
        List<String> segs = segments(path);
        Map<String, String> params = new LinkedHashMap<>();
        Node n = find(root, segs, 0, params);
        return n == null ? null : new Match(n, params);
    }

    private Node find(Node n, List<String> segs, int i, Map<String, String> params) {
        if (i == segs.size()) return n;
        String s = segs.get(i);
        Node lit = n.literals.get(s);
        if (lit != null) {
            Node r = find(lit, segs, i + 1, params);
            if (r != null) return r;
        }
        if (n.param != null && !s.isEmpty()) {
            String name = n.param.segment.substring(1, n.param.segment.length() - 1);
            params.put(name, s);
            Node r = find(n.param, segs, i + 1, params);
            if (r != null) return r;
            params.remove(name);
            // a trailing parameter takes the rest of the path: volume IDs like local:100/vm-100-disk-0.raw contain '/'
            if (n.param.isLeaf() && i + 1 < segs.size()) { params.put(name, String.join("/", segs.subList(i, segs.size()))); return n.param; }
        }
        return null;
    }

    /** All methods, ordered by path then HTTP method. */
    public List<ApiMethod> allMethods() {
        List<ApiMethod> out = new ArrayList<>();
        collect(root, out);
        return out;
    }

    private void collect(Node n, List<ApiMethod> out) {
        out.addAll(n.methods.values());
        for (Node c : n.children()) collect(c, out);
    }

    static List<String> segments(String path) {
        List<String> out = new ArrayList<>();
        for (String s : path.split("/")) if (!s.isEmpty()) out.add(s.replace("%2F", "/").replace("%2f", "/")); // an encoded '/' stays in its segment
        return out;
    }
}
