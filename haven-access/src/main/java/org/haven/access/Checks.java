package org.haven.access;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PVE's API permission check language, evaluated as a pure function of the configuration, the caller and the
 * request parameters. A check is a list: {@code ["perm", path, [privs], "any", 1, "require-param", p]},
 * {@code ["and", c1, c2, …]}, {@code ["or", c1, c2, …]}, {@code ["userid-param", "self" | "Realm.AllocateUser"]},
 * {@code ["userid-group", [privs], "groups_param", "create" | "update"]}, {@code ["perm-modify", path]}.
 * {@code {param}} placeholders in paths are replaced with parameter values. {@code root@pam} passes everything.
 */
public final class Checks {
    private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z0-9_-]+)\\}");

    private final Permissions perms;

    public Checks(Permissions perms) { this.perms = perms; }

    /** Thrown by {@link #require}: PVE's 403 "Permission check failed" with the failing detail. */
    public static final class Denied extends RuntimeException {
        public Denied(String detail) { super(detail == null ? "Permission check failed" : "Permission check failed (" + detail + ")"); }
    }

    /** True when {@code check} passes for {@code authid}. */
    public boolean evaluate(List<?> check, String authid, Map<String, ?> params) {
        try {
            require(check, authid, params);
            return true;
        } catch (Denied e) {
            return false;
        }
    }

    /** Evaluate {@code check}; throws {@link Denied} when it fails. */
    public void require(List<?> check, String authid, Map<String, ?> params) {
        if (authid == null) throw new Denied(null);
        if (authid.equals("root@pam")) return;
        if (check == null || check.isEmpty()) return;
        String test = String.valueOf(check.get(0));
        switch (test) {
            case "and" -> {
                for (int i = 1; i < check.size(); i++) require(asList(check.get(i)), authid, params);
            }
            case "or" -> {
                Denied last = null;
                for (int i = 1; i < check.size(); i++) {
                    try {
                        require(asList(check.get(i)), authid, params);
                        return;
                    } catch (Denied d) {
                        last = d;
                    }
                }
                throw last != null ? last : new Denied(null);
            }
            case "perm" -> {
                String tmpl = String.valueOf(check.get(1));
                List<String> privs = strings(check.get(2));
                boolean any = false;
                String requireParam = null;
                for (int i = 3; i + 1 < check.size(); i += 2) {
                    String opt = String.valueOf(check.get(i));
                    if (opt.equals("any")) any = truthy(check.get(i + 1));
                    else if (opt.equals("require-param")) requireParam = String.valueOf(check.get(i + 1));
                }
                if (requireParam != null && (params == null || params.get(requireParam) == null)) throw new Denied(null);
                String path = Ids.normalizePath(substitute(tmpl, params));
                if (path == null) throw new Denied(null);
                if (privs.contains("__root__")) throw new Denied(path + ", root only");
                if (!perms.check(authid, path, privs, any)) throw new Denied(path + ", " + String.join(any ? "|" : ",", privs));
            }
            case "userid-param" -> {
                String subtest = String.valueOf(check.get(1));
                Object u = params == null ? null : params.get("userid");
                Ids.UserId userid;
                try {
                    userid = Ids.parseUserId(u == null ? "" : u.toString());
                } catch (IllegalArgumentException e) {
                    throw new org.haven.core.schema.ParamException(Map.of("userid", e.getMessage()));
                }
                if (subtest.equals("self")) {
                    if (!perms.config().users.containsKey(userid.userid())) throw new Denied(null);
                    if (!authid.equals(userid.userid())) throw new Denied(null);
                } else if (subtest.equals("Realm.AllocateUser")) {
                    String path = "/access/realm/" + userid.realm();
                    if (!perms.check(authid, path, List.of("Realm.AllocateUser"), false)) throw new Denied(path + ", Realm.AllocateUser");
                } else {
                    throw new IllegalArgumentException("unknown userid-param test");
                }
            }
            case "userid-group" -> {
                List<String> privs = strings(check.get(1));
                String groupsParam = null;
                for (int i = 2; i + 1 < check.size(); i += 2)
                    if ("groups_param".equals(String.valueOf(check.get(i)))) groupsParam = String.valueOf(check.get(i + 1));
                Object u = params == null ? null : params.get("userid");
                String userid = u == null ? null : u.toString();
                boolean checkExisting = groupsParam == null || !groupsParam.equals("create");
                if (checkExisting && (userid == null || !perms.config().users.containsKey(userid))) throw new Denied(null);
                if (!perms.check(authid, "/access/groups", privs, true)) {
                    TreeSet<String> groups = filterGroups(authid, privs);
                    if (groupsParam != null) {
                        Object g = params == null ? null : params.get("groups");
                        List<String> wanted = g == null ? List.of() : (g instanceof Collection<?> c ? strings(c) : UserConfig.splitList(g.toString()));
                        if (wanted.isEmpty()) throw new Denied("/access/groups, " + String.join("|", privs));
                        for (String pg : wanted)
                            if (!groups.contains(pg)) throw new Denied("/access/groups/" + pg + ", " + String.join("|", privs));
                    }
                    if (checkExisting) {
                        boolean allowed = false;
                        for (String g : groups) {
                            UserConfig.Group grp = perms.config().groups.get(g);
                            if (grp != null && grp.users.contains(userid)) { allowed = true; break; }
                        }
                        if (!allowed) throw new Denied("/access/groups, " + String.join("|", privs));
                    }
                }
            }
            case "perm-modify" -> {
                String path = Ids.normalizePath(substitute(String.valueOf(check.get(1)), params));
                if (path == null) throw new Denied(null);
                if (!canModifyPermissions(authid, path)) throw new Denied(path + ", Permissions.Modify");
            }
            default -> throw new IllegalArgumentException("unknown permission test");
        }
    }

    /** PVE's {@code check_perm_modify}: Permissions.Modify, or the allocation privilege of the object type. */
    public boolean canModifyPermissions(String authid, String path) {
        if (authid.equals("root@pam")) return true;
        if (path == null || path.isEmpty()) return perms.check(authid, "/access", List.of("Permissions.Modify"), false);
        List<String> test = new ArrayList<>(List.of("Permissions.Modify"));
        if (path.matches("^/storage/.+$")) test.add("Datastore.Allocate");
        else if (path.matches("^/vms/.+$")) test.add("VM.Allocate");
        else if (path.matches("^/pool/.+$")) test.add("Pool.Allocate");
        else if (path.matches("^/mapping/[^/]+/.+$")) test.add("Mapping.Modify");
        else if (path.matches("^/sdn/zones/[^/]+/[^/]+/[^/]+$")) test.add("SDN.Allocate");
        return perms.check(authid, path, test, true);
    }

    /** Groups on whose {@code /access/groups/<group>} path the caller has one of {@code privs}. */
    public TreeSet<String> filterGroups(String authid, Collection<String> privs) {
        TreeSet<String> out = new TreeSet<>();
        for (String g : perms.config().groups.keySet())
            if (authid.equals("root@pam") || perms.check(authid, "/access/groups/" + g, privs, true)) out.add(g);
        return out;
    }

    /** Is {@code userid} a member of a group on which the caller has one of {@code privs} (or of all groups)? */
    public boolean userInManagedGroup(String authid, String userid, Collection<String> privs) {
        if (authid.equals("root@pam") || perms.check(authid, "/access/groups", privs, true)) return true;
        for (String g : filterGroups(authid, privs)) {
            UserConfig.Group grp = perms.config().groups.get(g);
            if (grp != null && grp.users.contains(userid)) return true;
        }
        return false;
    }

    static String substitute(String tmpl, Map<String, ?> params) {
        Matcher m = PLACEHOLDER.matcher(tmpl);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            Object v = params == null ? null : params.get(m.group(1));
            if (v instanceof List<?> l) v = l.isEmpty() ? null : l.get(0);
            m.appendReplacement(sb, Matcher.quoteReplacement(v == null ? "" : v.toString()));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static List<?> asList(Object o) {
        if (o instanceof List<?> l) return l;
        throw new IllegalArgumentException("malformed permission check: " + o);
    }

    private static List<String> strings(Object o) {
        List<String> out = new ArrayList<>();
        if (o instanceof Collection<?> c) for (Object x : c) out.add(String.valueOf(x));
        else if (o != null) out.add(String.valueOf(o));
        return out;
    }

    private static boolean truthy(Object o) {
        return o != null && !o.toString().isEmpty() && !o.toString().equals("0") && !o.toString().equals("false");
    }
}
