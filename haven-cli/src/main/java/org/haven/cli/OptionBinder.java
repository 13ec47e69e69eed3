package org.haven.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import tools.jackson.databind.JsonNode;

/**
 * Turns a method's parameter schema (the {@code info} of the API dump) into picocli options: every parameter
 * that is neither positional nor fixed becomes {@code --name <value>} (also accepted as {@code -name}, as
 * PVE's tools do); booleans take an optional value (bare {@code --force} means 1); arrays and {@code -list}
 * formats may repeat. Values stay strings; the daemon validates and coerces them.
 */
public final class OptionBinder {
    private OptionBinder() {}

    public static final List<String> FORMAT_OPTIONS = List.of("output-format", "noborder", "noheader", "human-readable", "quiet");

    /** Add options/positionals for {@code info} to {@code spec}. */
    public static void bind(CommandSpec spec, JsonNode info, List<String> positional, Iterable<String> fixed, boolean formatOptions) {
        JsonNode props = info == null ? null : info.path("parameters").get("properties");
        java.util.Set<String> skip = new java.util.HashSet<>();
        fixed.forEach(skip::add);
        int idx = 0;
        for (String p : positional) {
            JsonNode s = props == null ? null : props.get(p);
            boolean optional = s != null && s.path("optional").asInt(0) == 1;
            spec.addPositional(PositionalParamSpec.builder()
                    .index(Integer.toString(idx++)).paramLabel("<" + p + ">").type(String.class)
                    .arity(optional ? "0..1" : "1").required(!optional)
                    .description(s != null ? s.path("description").asString("") : "")
                    .build());
            skip.add(p);
        }
        if (props != null) {
            for (String name : new TreeSet<>(props.propertyNames())) {
                if (skip.contains(name)) continue;
                JsonNode s = props.get(name);
                String type = s.path("type").asString("string");
                boolean multi = type.equals("array");
                OptionSpec.Builder b = OptionSpec.builder(names(name))
                        .paramLabel(typetext(s))
                        .description(s.path("description").asString(""));
                if (type.equals("boolean")) {
                    b.type(String.class).arity("0..1").fallbackValue("1");
                } else if (multi) {
                    b.type(List.class).auxiliaryTypes(String.class).arity("1");
                } else {
                    b.type(String.class).arity("1");
                }
                spec.addOption(b.build());
            }
        }
        if (formatOptions) addFormatOptions(spec);
    }

    static String[] names(String name) {
        return name.length() == 1 ? new String[] {"--" + name} : new String[] {"--" + name, "-" + name};
    }

    public static void addFormatOptions(CommandSpec spec) {
        spec.addOption(OptionSpec.builder("--output-format", "-output-format").paramLabel("<json|json-pretty|text|yaml>")
                .type(String.class).arity("1").description("Output format.").build());
        spec.addOption(OptionSpec.builder("--noborder", "-noborder").paramLabel("<boolean>").type(String.class).arity("0..1").fallbackValue("1")
                .description("Do not draw borders (for 'text' format).").build());
        spec.addOption(OptionSpec.builder("--noheader", "-noheader").paramLabel("<boolean>").type(String.class).arity("0..1").fallbackValue("1")
                .description("Do not show column headers (for 'text' format).").build());
        spec.addOption(OptionSpec.builder("--human-readable", "-human-readable").paramLabel("<boolean>").type(String.class).arity("0..1").fallbackValue("1")
                .description("Call output rendering functions to produce human readable text.").build());
        spec.addOption(OptionSpec.builder("--quiet", "-quiet", "-q").paramLabel("<boolean>").type(String.class).arity("0..1").fallbackValue("1")
                .description("Suppress printing results.").build());
    }

    static String typetext(JsonNode s) {
        if (s.has("typetext")) return s.get("typetext").asString();
        if (s.has("enum")) {
            List<String> e = new ArrayList<>();
            for (JsonNode x : s.get("enum")) e.add(x.asString());
            return "<" + String.join(" | ", e) + ">";
        }
        return "<" + s.path("type").asString("string") + ">";
    }

    /** Parameters from a parse result: positional values by name, then options (format options excluded). */
    public static Map<String, Object> params(CommandLine.ParseResult pr, List<String> positional) {
        Map<String, Object> out = new LinkedHashMap<>();
        List<PositionalParamSpec> pos = pr.commandSpec().positionalParameters();
        for (int i = 0; i < positional.size() && i < pos.size(); i++) {
            Object v = pos.get(i).getValue();
            if (v != null) out.put(positional.get(i), v);
        }
        for (OptionSpec o : pr.matchedOptions()) {
            String n = o.longestName().replaceFirst("^-+", "");
            if (FORMAT_OPTIONS.contains(n)) continue;
            Object v = o.getValue();
            if (v != null) out.put(n, v);
        }
        return out;
    }

    /** The value of a format option, or null. */
    public static String formatOption(CommandLine.ParseResult pr, String name) {
        OptionSpec o = pr.matchedOption("--" + name);
        return o == null ? null : String.valueOf((Object) o.getValue());
    }
}
