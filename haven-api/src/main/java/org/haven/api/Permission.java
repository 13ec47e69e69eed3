package org.haven.api;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A method's permission requirement in PVE's form, exported as {@code permissions} in the API dump.
 *
 * <p>{@code check} is PVE's check array: {@code ["perm", "/vms/{vmid}", ["VM.Audit"]]},
 * {@code ["perm", "/", ["Sys.Audit", "Sys.Modify"], "any", 1]}, {@code ["and", check, check]},
 * {@code ["or", check, check]}, {@code ["userid-param", "self"]}, {@code ["userid-group", [privs], …]}.
 * {@code {param}} placeholders in a perm path are replaced with the request's parameter values. The router
 * evaluates the check before the handler runs and answers 403 when it fails.
 *
 * <p>{@code user} is {@code "all"} (any authenticated user; the handler checks further itself, usually
 * documented in {@code description}) or {@code "world"} (no authentication at all, e.g. the login call).
 * Root ({@code root@pam}) passes every check.
 */
public record Permission(String description, String user, List<Object> check) {

    /** The user needs all of {@code privs} on {@code path}. */
    public static Permission perm(String path, String... privs) {
        return new Permission(null, null, List.of("perm", path, List.of(privs)));
    }

    /** The user needs at least one of {@code privs} on {@code path}. */
    public static Permission permAny(String path, String... privs) {
        return new Permission(null, null, List.of("perm", path, List.of(privs), "any", 1));
    }

    /** Any authenticated user; the handler does its own checks (filtering, …). */
    public static Permission all() { return new Permission(null, "all", null); }

    /** Any authenticated user, with a description of what the handler checks. */
    public static Permission all(String description) { return new Permission(description, "all", null); }

    /** No authentication required. */
    public static Permission world() { return new Permission(null, "world", null); }

    /** Only root@pam. */
    public static Permission rootOnly() { return new Permission("Only root can do this.", null, List.of("perm", "/", List.of("__root__"))); }

    /** Both checks must pass. */
    public static Permission and(Permission a, Permission b) { return new Permission(null, null, List.of("and", a.check(), b.check())); }

    /** One of the checks must pass. */
    public static Permission or(Permission a, Permission b) { return new Permission(null, null, List.of("or", a.check(), b.check())); }

    /** A raw PVE check array. */
    public static Permission check(Object... check) { return new Permission(null, null, new ArrayList<>(Arrays.asList(check))); }

    public Permission withDescription(String d) { return new Permission(d, user, check); }

    public boolean isWorld() { return "world".equals(user); }
}
