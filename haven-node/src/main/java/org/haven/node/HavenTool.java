package org.haven.node;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.ApiMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;
import org.haven.api.server.ApiTree;
import org.haven.api.server.SchemaExport;
import org.haven.cfs.LocalClusterFs;
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
 * prints bash completion scripts generated from the tools' commands and the method schemas; {@code haven template build}
 * builds a container template.
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
                CliCommand.local("apicoverage", HavenTool::apiCoverage)
                        .output(CliCommand.Output.NONE)
                        .description("Compare the API with PVE's schema per area: haven apicoverage [--spec FILE] [--missing] [--params]."),
                CliCommand.local("completion", inv -> {
                    ApiTree tree = OfflineApi.build();
                    List<String> names = inv.args();
                    for (CliTool t : org.haven.api.Discovery.load(CliTool.class, e -> inv.err().println("haven: cannot load a CLI tool: " + e))) {
                        if (!names.isEmpty() && !names.contains(t.name())) continue;
                        inv.out().print(AutoComplete.bash(t.name(), commandLine(t, tree)));
                    }
                    if (names.isEmpty() || names.contains("pvesh")) inv.out().print(AutoComplete.bash("pvesh", pveshCommandLine()));
                    return 0;
                }).description("Print bash completion scripts (all tools, or the ones named)."),
                CliCommand.local("manpage", HavenTool::manPages)
                        .output(CliCommand.Output.NONE)
                        .description("Write the tools' manual pages (TOOL.1): haven manpage --out DIR [TOOL...]."),
                CliCommand.local("template build", inv -> org.haven.lxc.template.TemplateBuild.run(inv.args(), inv.out(), inv.err()))
                        .output(CliCommand.Output.NONE)
                        .description("Build a container template: haven template build --dist busybox --out DIR."),
                CliCommand.local("cfs import", inv -> cfs("import", inv.args(), System.getenv(), inv.out(), inv.err()))
                        .output(CliCommand.Output.NONE)
                        .description("Replace the cluster file system of a stopped node with a pmxcfs database: haven cfs import <config.db> [--data-dir DIR] [--node NAME]."),
                CliCommand.local("cfs export", inv -> cfs("export", inv.args(), System.getenv(), inv.out(), inv.err()))
                        .output(CliCommand.Output.NONE)
                        .description("Write the cluster file system as a pmxcfs database: haven cfs export <config.db> [--data-dir DIR]."),
                CliCommand.local("lxc-setup", inv -> lxcSetup(inv.args(), inv.err()))
                        .output(CliCommand.Output.NONE)
                        .description("Run a container's post-create distribution setup on a root file system: haven lxc-setup --conf CONFIG --rootfs DIR [--root-password PW] [--ssh-keys KEYS] [--test-mode]."),
                CliCommand.local("calendar", inv -> org.haven.core.calendar.CalendarCommand.run(inv.args(), System.currentTimeMillis() / 1000,
                                java.time.ZoneId.systemDefault(), inv.out(), inv.err()))
                        .output(CliCommand.Output.NONE)
                        .description("Print the next times of a calendar event as epoch seconds: haven calendar <schedule> [--from EPOCH] [--iterations N]."));
    }

    /**
     * {@code haven lxc-setup --conf CONFIG --rootfs DIR [--root-password PW] [--ssh-keys KEYS] [--test-mode]}: the setup
     * {@code pct create} runs, on a root file system and a container config file ({@code lxc/<vmid>.conf} format).
     */
    static int lxcSetup(List<String> args, java.io.PrintStream err) {
        String usage = "USAGE: haven lxc-setup --conf CONFIG --rootfs DIR [--root-password PW] [--ssh-keys KEYS] [--test-mode]";
        Map<String, String> opts = new java.util.HashMap<>();
        boolean testMode = false;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--test-mode")) { testMode = true; continue; }
            if (!List.of("--conf", "--rootfs", "--root-password", "--ssh-keys").contains(a)) {
                err.println("400 unknown option '" + a + "'"); err.println(usage); return 255;
            }
            if (i + 1 >= args.size()) { err.println("400 Parameter verification failed.\n" + a.substring(2) + ": value missing"); err.println(usage); return 255; }
            opts.put(a.substring(2), args.get(++i));
        }
        if (!opts.containsKey("conf") || !opts.containsKey("rootfs")) { err.println("400 not enough arguments"); err.println(usage); return 255; }
        try {
            org.haven.guest.config.GuestConfig conf = org.haven.guest.config.GuestConfig.parse(java.nio.file.Files.readAllBytes(java.nio.file.Path.of(opts.get("conf"))));
            org.haven.lxc.setup.ContainerSetup.apply(java.nio.file.Path.of(opts.get("rootfs")), conf.current().asMap(),
                    new org.haven.lxc.setup.ContainerSetup.Options(opts.get("root-password"), opts.get("ssh-keys"), testMode));
            return 0;
        } catch (Exception e) {
            err.println("haven: lxc-setup: " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 255;
        }
    }

    /**
     * {@code haven cfs import|export <config.db> [--data-dir DIR] [--node NAME]}: works offline on the data
     * directory ({@code --data-dir}, else {@code $HAVEN_DATA_DIR}, else the system paths). Import replaces the
     * directory-backed tree and is refused while havend runs on that directory or once the replicated cfs has
     * been initialised there (a node started later with {@code --cfs-port} carries the imported tree over).
     * Export reads the directory-backed tree. Returns the exit code (0, or 255 with a message on {@code err}).
     */
    static int cfs(String op, List<String> args, Map<String, String> env, java.io.PrintStream out, java.io.PrintStream err) {
        String usage = "USAGE: haven cfs " + op + " <config.db> [--data-dir DIR]" + (op.equals("import") ? " [--node NAME]" : "");
        String file = null;
        String dataDir = env.get("HAVEN_DATA_DIR");
        String node = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            String v = null;
            int eq = a.indexOf('=');
            if (a.startsWith("--") && eq > 0) { v = a.substring(eq + 1); a = a.substring(0, eq); }
            if (a.equals("--data-dir") || a.equals("--node")) {
                if (v == null) {
                    if (i + 1 >= args.size()) { err.println("400 Parameter verification failed.\n" + a.substring(2) + ": value missing"); err.println(usage); return 255; }
                    v = args.get(++i);
                }
                if (a.equals("--data-dir")) dataDir = v; else node = v;
            } else if (a.startsWith("--") || file != null) {
                err.println("400 too many arguments or unknown option '" + a + "'");
                err.println(usage);
                return 255;
            } else {
                file = a;
            }
        }
        if (file == null) { err.println("400 not enough arguments"); err.println(usage); return 255; }
        NodePaths paths = dataDir != null && !dataDir.isEmpty() ? NodePaths.embedded(java.nio.file.Path.of(dataDir)) : NodePaths.system();
        java.nio.file.Path db = java.nio.file.Path.of(file).toAbsolutePath();
        java.nio.file.Path raft = paths.dataDir().resolve("cfs-raft");
        boolean replicated = java.nio.file.Files.exists(raft.resolve("node.properties"));
        try {
            if (op.equals("import")) {
                if (!java.nio.file.Files.isRegularFile(db)) { err.println("haven: cfs import: no such file '" + db + "'"); return 255; }
                long pid = runningDaemon(paths);
                if (pid > 0) {
                    err.println("haven: cfs import: havend is running on " + paths.dataDir() + " (pid " + pid + "); stop it first");
                    return 255;
                }
                if (replicated) {
                    err.println("haven: cfs import: the replicated cluster file system in " + raft + " is already initialised; import only into a node that was never started with --cfs-port");
                    return 255;
                }
                org.haven.cfs.ConfigDb.load(db, org.haven.cfs.CfsLimits.PVE); // validates before anything is replaced
                LocalClusterFs fs = new LocalClusterFs(paths.cfsDir(), node != null ? node : Havend.defaultNodeName());
                fs.importDb(db);
                out.println("imported " + db + " into " + paths.cfsDir());
            } else {
                if (replicated) {
                    err.println("haven: cfs export: the cluster file system in " + paths.dataDir() + " is replicated (" + raft + "); it cannot be exported offline");
                    return 255;
                }
                if (!java.nio.file.Files.isDirectory(paths.cfsDir())) { err.println("haven: cfs export: no cluster file system in " + paths.cfsDir()); return 255; }
                java.nio.file.Files.deleteIfExists(db);
                if (node == null) node = existingNode(paths.cfsDir()); // opening the tree creates the node's directories
                new LocalClusterFs(paths.cfsDir(), node).exportDb(db);
                out.println("exported " + paths.cfsDir() + " to " + db);
            }
            return 0;
        } catch (Exception e) {
            err.println("haven: cfs " + op + ": " + (e.getMessage() != null ? e.getMessage() : e.toString()));
            return 255;
        }
    }

    /** {@code haven apicoverage}: the schema defaults to {@code shared/spec/pve-api-8.4.json} beside the checkout. */
    private static int apiCoverage(org.haven.api.cli.CliInvocation inv) {
        String home = System.getenv("HAVEN_HOME");
        java.nio.file.Path spec = java.nio.file.Path.of(home != null ? home : ".").resolve("../shared/spec/pve-api-8.4.json");
        boolean missing = false, params = false;
        List<String> args = inv.args();
        for (int i = 0; i < args.size(); i++) {
            switch (args.get(i)) {
                case "--spec" -> { if (i + 1 >= args.size()) { inv.err().println("400 Parameter verification failed.\nspec: value missing"); return 255; } spec = java.nio.file.Path.of(args.get(++i)); }
                case "--missing" -> missing = true;
                case "--params" -> params = true;
                default -> { inv.err().println("400 unknown option '" + args.get(i) + "'"); return 255; }
            }
        }
        if (!java.nio.file.Files.isRegularFile(spec)) { inv.err().println("haven: apicoverage: no PVE schema at " + spec.normalize() + " (use --spec FILE)"); return 255; }
        try {
            JsonNode pve = org.haven.api.server.Json.MAPPER.readTree(spec.toFile());
            ApiCoverage.print(ApiCoverage.compare(pve, SchemaExport.apidump(OfflineApi.build())), missing, params, inv.out());
            return 0;
        } catch (RuntimeException | java.io.IOException e) {
            inv.err().println("haven: apicoverage: " + e.getMessage());
            return 255;
        }
    }

    /** A node directory already in the tree (the first by name), else this host's node name. */
    private static String existingNode(java.nio.file.Path cfsDir) throws java.io.IOException {
        java.nio.file.Path nodes = cfsDir.resolve("nodes");
        if (java.nio.file.Files.isDirectory(nodes)) {
            try (java.util.stream.Stream<java.nio.file.Path> s = java.nio.file.Files.list(nodes)) {
                java.util.Optional<String> n = s.filter(java.nio.file.Files::isDirectory).map(x -> x.getFileName().toString()).sorted().findFirst();
                if (n.isPresent()) return n.get();
            }
        }
        return Havend.defaultNodeName();
    }

    /** The pid of a live havend holding the data directory's PID file, or 0. */
    static long runningDaemon(NodePaths paths) {
        try {
            long pid = Long.parseLong(java.nio.file.Files.readString(paths.pidFile()).trim());
            return pid != ProcessHandle.current().pid() && ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false) ? pid : 0;
        } catch (java.io.IOException | NumberFormatException e) {
            return 0;
        }
    }

    /** A picocli model of a tool: nested subcommands with options from the bound methods' schemas. */
    /** {@code haven manpage --out DIR [TOOL...]}: one roff page per tool, from its commands and their method schemas. */
    static int manPages(org.haven.api.cli.CliInvocation inv) throws Exception {
        List<String> args = new java.util.ArrayList<>(inv.args());
        int o = args.indexOf("--out");
        if (o < 0 || o + 1 >= args.size()) { inv.err().println("USAGE: haven manpage --out DIR [TOOL...]"); return 255; }
        java.nio.file.Path dir = java.nio.file.Path.of(args.get(o + 1));
        args.subList(o, o + 2).clear();
        java.nio.file.Files.createDirectories(dir);
        ApiTree tree = OfflineApi.build();
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        String date = java.time.LocalDate.ofInstant(epoch != null ? java.time.Instant.ofEpochSecond(Long.parseLong(epoch)) : java.time.Instant.now(),
                java.time.ZoneOffset.UTC).toString();
        for (CliTool t : org.haven.api.Discovery.load(CliTool.class, e -> inv.err().println("haven: cannot load a CLI tool: " + e))) {
            if (!args.isEmpty() && !args.contains(t.name())) continue;
            java.nio.file.Files.writeString(dir.resolve(t.name() + ".1"), org.haven.cli.ManPage.render(t, c -> methodInfo(c, tree), Version.VERSION, date));
        }
        if (args.isEmpty() || args.contains("pvesh")) java.nio.file.Files.writeString(dir.resolve("pvesh.1"), org.haven.cli.ManPage.pvesh(Version.VERSION, date));
        return 0;
    }

    static CommandLine commandLine(CliTool tool, ApiTree tree) {
        CommandLine root = new CommandLine(CommandSpec.create().name(tool.name()));
        for (CliCommand c : tool.commands()) {
            String[] words = c.words().split(" ");
            if (c.words().isEmpty()) { // a tool without subcommands (vzdump, qmrestore): the options sit on the tool
                OptionBinder.bind(root.getCommandSpec(), methodInfo(c, tree), c.positionalParams(), c.fixedParams().keySet(), c.output() == CliCommand.Output.DEFAULT);
                continue;
            }
            CommandLine parent = root;
            for (int i = 0; i < words.length; i++) {
                CommandLine sub = parent.getSubcommands().get(words[i]);
                if (sub == null) {
                    CommandSpec spec = CommandSpec.create().name(words[i]);
                    if (i == words.length - 1) {
                        OptionBinder.bind(spec, methodInfo(c, tree), c.positionalParams(), c.fixedParams().keySet(), c.output() == CliCommand.Output.DEFAULT);
                    }
                    sub = new CommandLine(spec);
                    parent.addSubcommand(words[i], sub);
                }
                parent = sub;
            }
        }
        return root;
    }

    private static JsonNode methodInfo(CliCommand c, ApiTree tree) {
        if (c.path() == null) return null;
        ApiTree.Match m = tree.lookup(c.path());
        ApiMethod am = m == null ? null : m.node().methods().get(c.method());
        return am == null ? null : SchemaExport.method(am);
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
