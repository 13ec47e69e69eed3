package org.haven.api.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.HttpMethod;

/**
 * A subcommand of a {@link CliTool}, as an entry of PVE's {@code $cmddef}:
 * {@code start => ['PVE::API2::Qemu', 'vm_start', ['vmid'], {node => $nodename}, $upid_exit]} becomes
 * <pre>{@code
 * CliCommand.api("start", HttpMethod.POST, "/nodes/{node}/qemu/{vmid}/status/start")
 *     .positional("vmid").fixed("node", CliCommand.LOCAL_NODE).output(CliCommand.Output.TASK)
 * }</pre>
 * Words with spaces ({@code "cert info"}) make nested subcommands. A command can instead run local code
 * ({@link #local}), which may still call the API through {@link CliInvocation#client()}.
 */
public final class CliCommand {
    /** Placeholder for a fixed parameter: replaced with the local node's name. */
    public static final String LOCAL_NODE = "{localnode}";

    /** How the result is shown. */
    public enum Output {
        /** Per {@code --output-format}: text (tables for lists of objects, key/value for objects), json, json-pretty, yaml. */
        DEFAULT,
        /** Print nothing. */
        NONE,
        /** The result is a UPID: follow the task log to the end; exit code 0 when it ended OK, else 255 (PVE's upid_exit). */
        TASK,
        /** The result is printed as is (a string, a number). */
        RAW
    }

    private final String words;
    private final HttpMethod method;
    private final String path;
    private final List<String> positional = new ArrayList<>();
    private final Map<String, String> fixed = new LinkedHashMap<>();
    private Output output = Output.DEFAULT;
    private CliPrinter printer;
    private final LocalAction action;
    private String description;
    private List<String> columns;

    private CliCommand(String words, HttpMethod method, String path, LocalAction action) {
        this.words = words;
        this.method = method;
        this.path = path;
        this.action = action;
    }

    /** A subcommand that calls one API method. */
    public static CliCommand api(String words, HttpMethod method, String path) { return new CliCommand(words, method, path, null); }

    /** A subcommand that runs local code. Its options are those of {@code method path} when given, else none. */
    public static CliCommand local(String words, LocalAction action) { return new CliCommand(words, null, null, action); }

    /** A local subcommand whose options come from an API method's schema. */
    public static CliCommand local(String words, HttpMethod method, String path, LocalAction action) { return new CliCommand(words, method, path, action); }

    /** Parameters taken as positional arguments, in order. */
    public CliCommand positional(String... names) { positional.addAll(List.of(names)); return this; }

    /** A parameter set by the tool (e.g. {@code node} = {@link #LOCAL_NODE}). */
    public CliCommand fixed(String name, String value) { fixed.put(name, value); return this; }

    public CliCommand output(Output o) { this.output = o; return this; }

    /** Custom text rendering (used for {@code --output-format text}). */
    public CliCommand printer(CliPrinter p) { this.printer = p; return this; }

    /** Columns (and order) for the text table of a list result. */
    public CliCommand columns(String... cols) { this.columns = List.of(cols); return this; }

    /** Overrides the method's description in the help text. */
    public CliCommand description(String d) { this.description = d; return this; }

    public String words() { return words; }
    public HttpMethod method() { return method; }
    public String path() { return path; }
    public List<String> positionalParams() { return positional; }
    public Map<String, String> fixedParams() { return fixed; }
    public Output output() { return output; }
    public CliPrinter printer() { return printer; }
    public LocalAction action() { return action; }
    public String description() { return description; }
    public List<String> columns() { return columns; }
}
