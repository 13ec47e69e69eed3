package org.haven.api.cli;

/** Code a CLI subcommand runs on the client side; returns the exit code. */
@FunctionalInterface
public interface LocalAction {
    int run(CliInvocation inv) throws Exception;
}
