package org.haven.qemu.config;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.format.SectionConfig;
import org.haven.core.schema.Formats;

/**
 * What the node's QEMU offers, as PVE lists it: the CPU models ({@code /nodes/{node}/capabilities/qemu/cpu}) and
 * the machine versions ({@code …/machines}). Pure: the inputs are the custom models file and QEMU's
 * {@code -machine help} text.
 */
public final class Capabilities {
    private Capabilities() {}

    /** The custom CPU models file in the cluster file system. */
    public static final String CUSTOM_MODELS = "virtual-guest/cpu-models.conf";
    /** PVE's models that are QEMU's {@code qemu64} with the flags of an x86-64 micro-architecture level. */
    static final List<String> BUILTIN = List.of("x86-64-v2", "x86-64-v2-AES", "x86-64-v3", "x86-64-v4");
    private static final Set<String> GENERIC = Set.of("host", "kvm32", "kvm64", "qemu32", "qemu64", "max");
    private static final Pattern AMD = Pattern.compile("athlon|phenom|Opteron_G\\d|EPYC.*");
    private static final Pattern MACHINE = Pattern.compile("^pc-(i440fx|q35)-(\\d+\\.\\d+)\\s.*");

    /** The vendor a guest sees with a built-in model: {@code default} (the host's) for the generic ones. */
    static String vendor(String model) {
        if (GENERIC.contains(model)) return "default";
        return AMD.matcher(model).matches() ? "AuthenticAMD" : "GenuineIntel";
    }

    /** QEMU's named models (the {@code reported-model} list of PVE's CPU format). */
    static List<String> namedModels() {
        return Formats.propertyFormat("pve-vm-cpu-conf").get("reported-model").enumValues();
    }

    /**
     * Every model with its vendor; the custom ones ({@code cpu-model: NAME} sections, named {@code custom-NAME}, vendor
     * of their {@code reported-model}, by default {@code kvm64}) only with {@code withCustom}. Sorted by name.
     */
    public static List<Map<String, Object>> cpuModels(String customModelsText, boolean withCustom) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String m : namedModels()) out.add(model(m, false, vendor(m)));
        for (String m : BUILTIN) out.add(model(m, false, vendor("qemu64")));
        if (withCustom && customModelsText != null) {
            for (SectionConfig.Section s : SectionConfig.parse(customModelsText).sections()) {
                if (!s.type().equals("cpu-model")) continue;
                out.add(model("custom-" + s.id(), true, vendor(s.properties().getOrDefault("reported-model", "kvm64"))));
            }
        }
        out.sort(Comparator.comparing(m -> m.get("name").toString()));
        return out;
    }

    private static Map<String, Object> model(String name, boolean custom, String vendor) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("custom", custom ? 1 : 0);
        m.put("vendor", vendor);
        return m;
    }

    /** The {@code pc-i440fx-X.Y} and {@code pc-q35-X.Y} machines of {@code qemu -machine help}, newest version first. */
    public static List<Map<String, Object>> machines(String machineHelp) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (String line : machineHelp.split("\n")) {
            Matcher m = MACHINE.matcher(line);
            if (!m.matches()) continue;
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("id", "pc-" + m.group(1) + "-" + m.group(2));
            e.put("type", m.group(1));
            e.put("version", m.group(2));
            out.add(e);
        }
        out.sort(Comparator.<Map<String, Object>, Double>comparing(e -> versionKey(e.get("version").toString())).reversed()
                .thenComparing(e -> e.get("type").toString()));
        return out;
    }

    private static double versionKey(String v) {
        String[] p = v.split("\\.");
        return Integer.parseInt(p[0]) * 1000.0 + Integer.parseInt(p[1]);
    }
}
