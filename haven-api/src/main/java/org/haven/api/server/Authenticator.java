package org.haven.api.server;

import java.util.Optional;

/** Verifies credentials presented with a request; backed by haven-access. */
public interface Authenticator {

    /** The user id for a valid, unexpired ticket (value of the {@code PVEAuthCookie} cookie). */
    Optional<String> verifyTicket(String ticket);

    /** Is {@code token} a valid CSRF prevention token of {@code userid}? */
    boolean verifyCsrf(String userid, String token);

    /**
     * The token id ({@code user@realm!tokenid}) for a valid API token given as
     * {@code user@realm!tokenid=secret} (the part after {@code PVEAPIToken=}).
     */
    Optional<String> verifyApiToken(String value);
}
