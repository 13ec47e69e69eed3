package org.haven.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.Function;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliTool;
import tools.jackson.databind.JsonNode;

/**
 * A tool's manual page (roff, section 1) as PVE ships one per tool: the synopsis of every command and, per command,
 * its description and options in the words of {@code TOOL help COMMAND} (the method schemas' types, defaults and
 * descriptions).
 */
public final class ManPage {
    private ManPage() {}

    /**
     * @param info the method schema of a command ({@code null} for a command without an API method)
     * @param date the page's date ({@code YYYY-MM-DD})
     */
    public static String render(CliTool tool, Function<CliCommand, JsonNode> info, String version, String date) {
        String name = tool.name();
        StringBuilder sb = header(name, tool.description().isEmpty() ? name : tool.description(), version, date);
        List<CliCommand> commands = new ArrayList<>(tool.commands());
        commands.sort(Comparator.comparing(CliCommand::words));
        sb.append(".SH SYNOPSIS\n.nf\n");
        boolean single = commands.size() == 1 && commands.getFirst().words().isEmpty();
        if (!single) sb.append(escape(name + " <COMMAND> [ARGS] [OPTIONS]")).append('\n');
        for (CliCommand c : commands) sb.append(escape(ToolRunner.synopsis(name, c))).append('\n');
        sb.append(".fi\n.SH COMMANDS\n");
        for (CliCommand c : commands) {
            sb.append(".SS ").append(escape(ToolRunner.synopsis(name, c))).append('\n');
            JsonNode i = info.apply(c);
            String d = c.description() != null ? c.description() : i != null ? i.path("description").asString("") : "";
            if (!d.isEmpty()) sb.append(".PP\n").append(escapeText(d)).append('\n');
            if (i != null) {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                PrintStream ps = new PrintStream(buf, true, StandardCharsets.UTF_8);
                Pvesh.printParams(ps, i, c.positionalParams(), c.fixedParams().keySet());
                String params = buf.toString(StandardCharsets.UTF_8).strip();
                if (!params.isEmpty()) sb.append(".PP\n.nf\n").append(escapeText(params)).append("\n.fi\n");
            }
        }
        sb.append(".SH SEE ALSO\n").append(escape("pvesh(1), the Proxmox VE administration guide")).append('\n');
        return sb.toString();
    }

    /** The page of {@code pvesh}, whose commands take an API path instead of calling one method each. */
    public static String pvesh(String version, String date) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        Pvesh.help(new PrintStream(buf, true, StandardCharsets.UTF_8));
        StringBuilder sb = header("pvesh", "Shell interface for the Proxmox VE API", version, date);
        sb.append(".SH SYNOPSIS\n.nf\n");
        for (String line : buf.toString(StandardCharsets.UTF_8).split("\n")) {
            String l = line.strip();
            if (l.startsWith("USAGE: ")) l = l.substring(7);
            if (!l.isEmpty()) sb.append(escape(l)).append('\n');
        }
        sb.append(".fi\n.SH DESCRIPTION\n").append(escapeText("""
                pvesh calls the methods of the API tree: get, set, create and delete map to the HTTP methods GET, PUT, POST \
                and DELETE of <api_path>, ls lists the children of a path and usage prints a method's parameters. \
                Parameters are given as --name value options.""")).append('\n');
        return sb.toString();
    }

    private static StringBuilder header(String name, String description, String version, String date) {
        return new StringBuilder().append(".TH ").append(name.toUpperCase(java.util.Locale.ROOT)).append(" 1 \"").append(date)
                .append("\" \"Haven ").append(version).append("\" \"Haven Manual\"\n")
                .append(".SH NAME\n").append(escape(name)).append(" \\- ").append(escape(description)).append('\n');
    }

    /** Text for roff: backslashes and hyphens escaped. */
    static String escape(String s) {
        return s.replace("\\", "\\e").replace("-", "\\-");
    }

    /** Running text for roff: as {@link #escape}, and no line may start with a control character. */
    static String escapeText(String s) {
        StringBuilder sb = new StringBuilder();
        for (String line : escape(s).split("\n", -1)) {
            if (!sb.isEmpty()) sb.append('\n');
            if (line.startsWith(".") || line.startsWith("'")) sb.append("\\&");
            sb.append(line);
        }
        return sb.toString();
    }
}
