package org.haven.ha;

/** A failure reported by the environment (cluster file system not writable, missing file, ...). */
public class HaException extends RuntimeException {
    public HaException(String message) { super(message); }
    public HaException(String message, Throwable cause) { super(message, cause); }
}
