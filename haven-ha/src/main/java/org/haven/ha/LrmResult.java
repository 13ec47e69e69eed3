package org.haven.ha;

/** Outcome of one resource command, keyed by the command's UID in the LRM status. */
public record LrmResult(String sid, String state, int exitCode) {}
