package org.haven.ha;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.haven.core.format.SectionConfig;

/** {@code ha/resources.cfg} and {@code ha/groups.cfg} in PVE's section-config format. */
public final class HaConfig {
    private HaConfig() {}

    public static final String RESOURCES_CFG = "ha/resources.cfg";
    public static final String GROUPS_CFG = "ha/groups.cfg";

    private static int intValue(String v, int dflt) {
        if (v == null || v.isEmpty()) return dflt;
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            return dflt;
        }
    }

    private static boolean flag(String v) {
        return v != null && !v.isEmpty() && !v.equals("0");
    }

    /** Normalizes a requested state; {@code enabled} is the old name of {@code started}. */
    public static String normalizeState(String s) {
        if (s == null || s.isEmpty()) return "started";
        return s.equals("enabled") ? "started" : s;
    }

    /** Builds a service config from properties, with PVE's defaults. */
    public static ServiceConfig serviceConfig(String sid, String node, Map<String, String> props) {
        Sid s = Sid.parse(sid);
        return new ServiceConfig(s.toString(), s.type(), s.name(), node, normalizeState(props.get("state")),
            props.get("group"), intValue(props.get("max_restart"), 1), intValue(props.get("max_relocate"), 1),
            !props.containsKey("failback") || flag(props.get("failback")), props.get("comment"));
    }

    /**
     * Parses {@code resources.cfg}. {@code nodeOf} maps a sid to the node its guest config lives on
     * (null when unknown). Sections that are not a guest resource are skipped.
     */
    public static Map<String, ServiceConfig> parseResources(String text, Function<String, String> nodeOf) {
        return parseResources(text, nodeOf, warning -> {});
    }

    /**
     * Parses {@code resources.cfg} as PVE's section config reader does: a section with an unknown type or an
     * invalid guest ID is skipped and reported to {@code warn}, the other sections are still read.
     */
    public static Map<String, ServiceConfig> parseResources(String text, Function<String, String> nodeOf,
            java.util.function.Consumer<String> warn) {
        SectionConfig.Document doc = SectionConfig.parse(text == null ? "" : text);
        TreeMap<String, ServiceConfig> out = new TreeMap<>();
        for (SectionConfig.Section sec : doc.sections()) {
            String sid = sec.type() + ":" + sec.id();
            String problem = resourceProblem(sec.type(), sec.id());
            if (problem != null) {
                warn.accept("file " + RESOURCES_CFG + ": skip section '" + sid + "' - " + problem);
                continue;
            }
            out.put(sid, serviceConfig(sid, nodeOf.apply(sid), sec.properties()));
        }
        return out;
    }

    /** Why a section header is not a valid HA resource, or null when it is. */
    static String resourceProblem(String type, String id) {
        if (!type.equals("vm") && !type.equals("ct")) return "unknown section type '" + type + "'";
        if (!id.matches("[1-9][0-9]{2,8}")) return "invalid format - value '" + id + "' does not look like a valid VM ID";
        return null;
    }

    public static Map<String, Group> parseGroups(String text) {
        SectionConfig.Document doc = SectionConfig.parse(text == null ? "" : text);
        Map<String, Group> out = new LinkedHashMap<>();
        for (SectionConfig.Section sec : doc.sections()) {
            if (!sec.type().equals("group")) continue;
            Map<String, String> p = sec.properties();
            out.put(sec.id(), new Group(sec.id(), Group.parseNodes(p.get("nodes")), flag(p.get("restricted")),
                flag(p.get("nofailback")), p.get("comment")));
        }
        return out;
    }

    /** Sets a property of a resource in an existing document (adds the section when missing). */
    public static void setResourceProperty(SectionConfig.Document doc, String sid, String key, String value) {
        Sid s = Sid.parse(sid);
        SectionConfig.Section sec = null;
        for (SectionConfig.Section x : doc.sections()) {
            if (x.type().equals(s.type()) && x.id().equals(s.name())) sec = x;
        }
        if (sec == null) {
            sec = new SectionConfig.Section(s.type(), s.name());
            doc.add(sec);
        }
        if (value == null) sec.remove(key); else sec.set(key, value);
    }
}
