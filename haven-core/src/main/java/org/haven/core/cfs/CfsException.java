package org.haven.core.cfs;

/** A cluster file system operation failed; the message is the one PVE shows. */
public class CfsException extends RuntimeException {
    public CfsException(String message) { super(message); }
    public CfsException(String message, Throwable cause) { super(message, cause); }
}
