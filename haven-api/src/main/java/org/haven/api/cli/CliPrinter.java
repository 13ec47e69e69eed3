package org.haven.api.cli;

import java.io.PrintStream;
import tools.jackson.databind.JsonNode;

/** Renders a command's result as text. */
@FunctionalInterface
public interface CliPrinter {
    void print(JsonNode data, PrintStream out);
}
