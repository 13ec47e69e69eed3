package org.haven.access;

/**
 * A login, ticket or token could not be authenticated. {@link #getMessage()} is the detailed reason (for logs);
 * clients get PVE's generic "authentication failure".
 */
public class AuthenticationException extends RuntimeException {
    public AuthenticationException(String message) { super(message); }
    public AuthenticationException(String message, Throwable cause) { super(message, cause); }
}
