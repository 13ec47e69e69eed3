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

    @Override
    public Optional<String> verifyTicket(String ticket) {
        try {
            return Optional.of(ac.verifyTicket(ticket));
        } catch (AuthenticationException | IllegalArgumentException e) {
            return Optional.empty();
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
