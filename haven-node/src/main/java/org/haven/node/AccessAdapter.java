package org.haven.node;

import java.util.Collection;
import java.util.HashSet;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.haven.access.AccessControl;
import org.haven.access.AuthenticationException;
import org.haven.api.AccessChecker;
import org.haven.api.server.Authenticator;

/** Connects the API framework to haven-access: permission checks, ticket, CSRF and API-token verification. */
public final class AccessAdapter implements AccessChecker, Authenticator {
    private final AccessControl ac;

    public AccessAdapter(AccessControl ac) { this.ac = ac; }

    public AccessControl accessControl() { return ac; }

    @Override
    public boolean check(String authid, String path, Collection<String> privs, boolean any) {
        if ("root@pam".equals(authid)) return true;
        return ac.check(authid, path, new HashSet<>(privs), any);
    }

    @Override
    public Boolean evaluate(java.util.List<?> check, String authid, java.util.Map<String, ?> params) {
        return ac.evaluateCheck(check, authid, params);
    }

    @Override
    public boolean checkUserGroup(String authid, String userid, Collection<String> privs) {
        return ac.checkUserGroup(authid, userid, privs);
    }

    @Override
    public Set<String> privileges(String authid, String path) { return new TreeSet<>(ac.privileges(authid, path).keySet()); }

    /** Tickets whose signature was verified recently: ticket → user id (bounded, cleared when full). */
    private final java.util.concurrent.ConcurrentHashMap<String, String> verified = new java.util.concurrent.ConcurrentHashMap<>();
    private static final int CACHE_MAX = 4096;

    /**
     * Verifies the signature once per ticket (cached); the ticket's age and the user's state are checked on
     * every request.
     */
    @Override
    public Optional<String> verifyTicket(String ticket) {
        String cached = verified.get(ticket);
        if (cached != null) {
            long age = ac.clock().epochSeconds() - ticketTime(ticket);
            if (age <= org.haven.access.Tickets.TICKET_LIFETIME && age >= org.haven.access.Tickets.MIN_AGE && ac.isUserEnabled(cached)) return Optional.of(cached);
            verified.remove(ticket);
            return Optional.empty();
        }
        try {
            String user = ac.verifyTicket(ticket);
            if (verified.size() >= CACHE_MAX) verified.clear();
            verified.put(ticket, user);
            return Optional.of(user);
        } catch (AuthenticationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The timestamp field of {@code PVE:user@realm:HEXTIME::signature}. */
    static long ticketTime(String ticket) {
        String[] f = ticket.split(":", 5);
        try {
            return f.length >= 3 ? Long.parseLong(f[2], 16) : 0;
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    @Override
    public boolean verifyCsrf(String userid, String token) {
        try {
            return ac.verifyCsrfToken(userid, token);
        } catch (RuntimeException e) {
            return false;
        }
    }

    @Override
    public Optional<String> verifyApiToken(String value) {
        try {
            return Optional.of(ac.verifyApiToken(value));
        } catch (AuthenticationException | IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
