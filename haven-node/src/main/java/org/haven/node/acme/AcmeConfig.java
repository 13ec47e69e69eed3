package org.haven.node.acme;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.core.format.PropertyString;
import org.haven.core.format.SectionConfig;

/**
 * PVE's ACME configuration: the challenge plugins of {@code priv/acme/plugins.cfg} (section config, the
 * {@code standalone} HTTP plugin always present) and a node's domains from its config ({@code acme:} with
 * {@code account} and the older {@code domains} list, {@code acmedomain0..5:} with {@code plugin} and
 * {@code alias}). Pure.
 */
public final class AcmeConfig {
    public static final String PLUGINS = "priv/acme/plugins.cfg";
    public static final String DIR = "priv/acme";
    public static final String DEFAULT_DIRECTORY = "https://acme-v02.api.letsencrypt.org/directory";
    /** PVE's list of known CAs ({@code GET /cluster/acme/directories}). */
    public static final List<Map<String, String>> DIRECTORIES = List.of(
            Map.of("name", "Let's Encrypt V2", "url", DEFAULT_DIRECTORY),
            Map.of("name", "Let's Encrypt V2 Staging", "url", "https://acme-staging-v02.api.letsencrypt.org/directory"));

    /** The options of each plugin type. */
    static final Map<String, List<String>> OPTIONS = Map.of(
            "standalone", List.of("nodes", "disable"),
            "dns", List.of("api", "data", "nodes", "disable", "validation-delay"));

    private AcmeConfig() {}

    /** The plugins; the {@code standalone} plugin is there even when the file does not name it. */
    public static SectionConfig.Document plugins(String text) {
        SectionConfig.Document doc = SectionConfig.parse(text);
        if (doc.find("standalone").isEmpty()) doc.sections().add(0, new SectionConfig.Section("standalone", "standalone"));
        return doc;
    }

    /** PVE's checks of a plugin's options; returns them in the order given. */
    public static Map<String, String> check(String type, Map<String, String> values, boolean create) {
        List<String> opts = OPTIONS.get(type);
        if (opts == null) throw new IllegalArgumentException("invalid ACME challenge type '" + type + "'");
        for (String k : values.keySet())
            if (!opts.contains(k)) throw new IllegalArgumentException("unexpected property '" + k + "'");
        if (create && type.equals("dns") && !values.containsKey("api")) throw new IllegalArgumentException("missing value for required option 'api'");
        return new LinkedHashMap<>(values);
    }

    /** One domain of a node: the plugin that validates it and the optional DNS alias. */
    public record Domain(String domain, String plugin, String alias) {}

    /** A node's ACME settings: the account name and its domains in config order. */
    public record NodeAcme(String account, List<Domain> domains) {}

    /**
     * The ACME settings of a node config ({@code acme} and {@code acmedomainN} values by key), with PVE's refusal of a
     * domain named twice. An account defaults to {@code default}; a domain without plugin uses {@code standalone}.
     */
    public static NodeAcme node(Map<String, String> conf) {
        Map<String, String> acme = PropertyString.parse(conf.getOrDefault("acme", ""), "domains");
        Map<String, String> seen = new LinkedHashMap<>();
        List<Domain> domains = new ArrayList<>();
        for (String d : acme.getOrDefault("domains", "").split(";")) {
            if (d.isBlank()) continue;
            add(domains, seen, new Domain(d.strip(), "standalone", null), "acme");
        }
        for (Map.Entry<String, String> e : new TreeMap<>(conf).entrySet()) {
            if (!e.getKey().matches("acmedomain\\d+")) continue;
            Map<String, String> p = PropertyString.parse(e.getValue(), "domain");
            add(domains, seen, new Domain(p.get("domain"), p.getOrDefault("plugin", "standalone"), p.get("alias")), e.getKey());
        }
        return new NodeAcme(acme.getOrDefault("account", "default"), domains);
    }

    private static void add(List<Domain> domains, Map<String, String> seen, Domain d, String key) {
        String before = seen.putIfAbsent(d.domain(), key);
        if (before != null)
            throw new IllegalArgumentException("duplicate domain '" + d.domain() + "' in ACME config properties '" + before + "' and '" + key + "'");
        domains.add(d);
    }

    /** The path of account {@code name}'s file. */
    public static String accountPath(String name) { return DIR + "/" + name; }
}
