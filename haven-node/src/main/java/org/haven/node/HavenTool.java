package org.haven.node;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.ApiMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;
import org.haven.api.server.ApiTree;
import org.haven.api.server.SchemaExport;
import org.haven.cli.OptionBinder;
import org.haven.cli.Output;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.PositionalParamSpec;
import tools.jackson.databind.JsonNode;

/**
 * {@code haven}: project tools. {@code haven apidump} prints the whole API in the shape of
 * {@code pve-api-8.4.json}; {@code haven openapi} prints the OpenAPI document; {@code haven completion [TOOL…]}
 * prints bash completion scripts generated from the tools' commands and the method schemas.
 */
public final class HavenTool implements CliTool {
    @Override public String name() { return "haven"; }

    @Override public String description() { return "Haven project tools"; }

    @Override
    public List<CliCommand> commands() {
        return List.of(
                CliCommand.local("apidump", inv -> {
                    inv.out().println(Output.json(SchemaExport.apidump(OfflineApi.build()), true, 0));
                    return 0;
                }).description("Print the API schema tree (the shape of PVE's apidoc JSON)."),
                CliCommand.local("openapi", inv -> {
                    inv.out().println(Output.json(SchemaExport.openapi(OfflineApi.build(), Version.VERSION), true, 0));
                    return 0;
                }).description("Print the OpenAPI 3.1 document of the API."),
                CliCommand.local("completion", inv -> {
                    ApiTree tree = OfflineApi.build();
                    List<String> names = inv.args();
                    for (CliTool t : org.haven.api.Discovery.load(CliTool.class, e -> inv.err().println("haven: cannot load a CLI tool: " + e))) {
                        if (!names.isEmpty() && !names.contains(t.name())) continue;
                        inv.out().print(AutoComplete.bash(t.name(), commandLine(t, tree)));
                    }
                    if (names.isEmpty() || names.contains("pvesh")) inv.out().print(AutoComplete.bash("pvesh", pveshCommandLine()));
                    return 0;
                }).description("Print bash completion scripts (all tools, or the ones named)."));
    }

    /** A picocli model of a tool: nested subcommands with options from the bound methods' schemas. */
    static CommandLine commandLine(CliTool tool, ApiTree tree) {
        CommandLine root = new CommandLine(CommandSpec.create().name(tool.name()));
        for (CliCommand c : tool.commands()) {
            String[] words = c.words().split(" ");
            CommandLine parent = root;
            for (int i = 0; i < words.length; i++) {
                CommandLine sub = parent.getSubcommands().get(words[i]);
                if (sub == null) {
                    CommandSpec spec = CommandSpec.create().name(words[i]);
                    if (i == words.length - 1) {
                        JsonNode info = null;
                        if (c.path() != null) {
                            ApiTree.Match m = tree.lookup(c.path());
                            ApiMethod am = m == null ? null : m.node().methods().get(c.method());
                            if (am != null) info = SchemaExport.method(am);
                        }
                        OptionBinder.bind(spec, info, c.positionalParams(), c.fixedParams().keySet(), c.output() == CliCommand.Output.DEFAULT);
                    }
                    sub = new CommandLine(spec);
                    parent.addSubcommand(words[i], sub);
                }
                parent = sub;
            }
        }
        return root;
    }

    static CommandLine pveshCommandLine() {
        CommandLine root = new CommandLine(CommandSpec.create().name("pvesh"));
        Map<String, Boolean> cmds = new LinkedHashMap<>();
        for (String c : List.of("get", "set", "create", "delete", "ls", "usage")) cmds.put(c, !c.equals("usage"));
        for (Map.Entry<String, Boolean> e : cmds.entrySet()) {
            CommandSpec spec = CommandSpec.create().name(e.getKey());
            spec.addPositional(PositionalParamSpec.builder().index("0").paramLabel("<api_path>").type(String.class).build());
            if (e.getValue()) OptionBinder.addFormatOptions(spec);
            root.addSubcommand(e.getKey(), new CommandLine(spec));
        }
        root.addSubcommand("help", new CommandLine(CommandSpec.create().name("help")));
        return root;
    }

}
