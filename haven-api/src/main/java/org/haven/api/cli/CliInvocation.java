package org.haven.api.cli;

import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/** What a {@link LocalAction} gets: the parsed arguments and a client of the local daemon. */
public interface CliInvocation {
    /** Parameters from positional arguments, options and fixed values (already validated against the schema when one is bound). */
    Map<String, Object> params();

    /** Positional arguments left over. */
    List<String> args();

    ApiClient client();

    String localNode();

    PrintStream out();

    PrintStream err();
}
