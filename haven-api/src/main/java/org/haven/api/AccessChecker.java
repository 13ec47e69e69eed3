package org.haven.api;

import java.util.Collection;
import java.util.Set;

/**
 * Permission evaluation as the API framework and handlers see it. Backed by haven-access
 * (users, groups, roles, ACLs, pools, tokens with privilege separation).
 */
public interface AccessChecker {

    /**
     * Does {@code authid} (a user id {@code user@realm} or a token id {@code user@realm!token}) have the
     * privileges on {@code path}? {@code any}: one of them suffices, otherwise all are needed.
     * {@code root@pam} has everything.
     */
    boolean check(String authid, String path, Collection<String> privs, boolean any);

    /** Effective privileges of {@code authid} on {@code path}. */
    Set<String> privileges(String authid, String path);

    /**
     * Evaluate a whole PVE check array ({@code ["perm", path, privs, "any", 1]}, {@code ["and", …]},
     * {@code ["userid-group", privs, "groups_param", "groups"]}, …) with the request parameters; null when this
     * checker does not implement the check language (the framework then evaluates it itself).
     */
    default Boolean evaluate(java.util.List<?> check, String authid, java.util.Map<String, ?> params) { return null; }

    /** Is {@code userid} in a group on which the caller has one of {@code privs}? Used by PVE's "userid-group" check. */
    default boolean checkUserGroup(String authid, String userid, Collection<String> privs) { return false; }
}
