package org.haven.network.apply;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The live links of a network namespace as {@code ip -j link} shows them. */
public final class Links {
    private static final JsonMapper JSON = JsonMapper.builder().build();

    /** One link: its name, whether it is administratively up, its kind ({@code bridge}, {@code veth}, … or null) and master. */
    public record Link(String name, boolean up, String kind, String master, int mtu) {}

    private Links() {}

    /** The links in {@code ip -j -d link} output, by name. */
    public static Map<String, Link> parse(String json) {
        Map<String, Link> out = new TreeMap<>();
        for (JsonNode n : JSON.readTree(json)) {
            boolean up = false;
            for (JsonNode f : n.path("flags")) up |= f.asString().equals("UP");
            JsonNode kind = n.path("linkinfo").path("info_kind");
            String master = n.hasNonNull("master") ? n.get("master").asString() : null;
            out.put(n.path("ifname").asString(), new Link(n.path("ifname").asString(), up,
                    kind.isMissingNode() ? null : kind.asString(), master, n.path("mtu").asInt()));
        }
        return out;
    }

    /** The links of the namespace that commands prefixed with {@code prefix} run in. */
    public static Map<String, Link> read(List<String> prefix) {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(List.of("ip", "-j", "-d", "link", "show"));
        return parse(Cmd.run(cmd, 30));
    }
}
