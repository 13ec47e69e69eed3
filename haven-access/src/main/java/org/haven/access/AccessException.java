package org.haven.access;

/** An access-control operation failed; the message is PVE's (e.g. "create user failed: user 'x' already exists"). */
public class AccessException extends RuntimeException {
    public AccessException(String message) { super(message); }
    public AccessException(String message, Throwable cause) { super(message, cause); }
}
