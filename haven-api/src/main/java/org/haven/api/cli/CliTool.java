package org.haven.api.cli;

import java.util.List;

/**
 * A command-line tool ({@code qm}, {@code pvesm}, {@code pveum}, …) as a list of subcommands bound to API
 * methods. Found with {@link java.util.ServiceLoader} (list the class in
 * {@code META-INF/services/org.haven.api.cli.CliTool} of the module that owns the tool) and run by
 * haven-cli's launcher; add a wrapper {@code bin/<tool>} containing
 * {@code exec "$(dirname "$0")/haven-tool" <tool> "$@"}.
 *
 * <p>Options are not declared here: the launcher takes them from the bound method's parameter schema
 * (every parameter not positional and not fixed becomes {@code --name value}).
 */
public interface CliTool {

    /** The tool's command name, e.g. {@code qm}. */
    String name();

    /** One line for the help output. */
    default String description() { return ""; }

    List<CliCommand> commands();
}
