package org.haven.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Fault injection for tests that kill a node at a chosen step: with the JVM property {@code haven.test.haltfile}
 * naming a file, {@link #reach} halts the JVM at once ({@link Runtime#halt}, exit code 137, as a node that loses
 * power) when the file holds the name of the step reached. Without the property it does nothing.
 */
public final class HaltPoint {
    public static final String PROPERTY = "haven.test.haltfile";

    private HaltPoint() {}

    public static void reach(String step) {
        String file = System.getProperty(PROPERTY);
        if (file == null) return;
        String armed;
        try {
            armed = Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return;
        }
        if (!armed.equals(step)) return;
        System.err.println("halting at step " + step);
        System.err.flush();
        Runtime.getRuntime().halt(137);
    }
}
