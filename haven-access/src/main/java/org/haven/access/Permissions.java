package org.haven.access;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Pure permission evaluation over a {@link UserConfig}, following PVE's rules:
 * <ul>
 * <li>ACL levels are walked from {@code /} to the path; at each level a token's entries, else the user's own
 * entries, else the entries of the user's groups replace what was inherited; non-propagating entries count only
 * on the exact path;</li>
 * <li>{@code NoAccess} in the result wins over everything;</li>
 * <li>roles on {@code /pool/<pool>} apply to the pool's VMs ({@code /vms/<vmid>}) and storages
 * ({@code /storage/<id>}) unless the regular ACL says NoAccess; a NoAccess on the pool wins over the regular ACL;</li>
 * <li>tokens without privilege separation have their user's permissions; with it, the intersection of the token's
 * and the user's;</li>
 * <li>{@code root@pam} has every privilege.</li>
 * </ul>
 * Results map privilege → propagate flag (true when at least one role granting it propagates).
 * Disabled or expired users are not considered here; the authentication layer handles them.
 */
public final class Permissions {
    private final UserConfig cfg;
    // shared by concurrent requests: the caches must be thread-safe
    private final Map<String, Map<String, Map<String, Boolean>>> cache = new java.util.concurrent.ConcurrentHashMap<>();
    private final Map<String, Map<String, Boolean>> poolRolesCache = new java.util.concurrent.ConcurrentHashMap<>();

    public Permissions(UserConfig cfg) { this.cfg = cfg; }

    public UserConfig config() { return cfg; }

    /** Roles that apply to {@code authid} on {@code path} from the ACL alone (no pools): role → propagate. */
    public Map<String, Boolean> roles(String authid, String path) {
        if (authid.equals("root@pam")) return Map.of("Administrator", true);
        boolean isToken = Ids.isTokenId(authid);
        if (isToken) {
            UserConfig.Token t = cfg.token(authid);
            if (t == null) return Map.of();
            if (!t.privsep) return roles(Ids.parseTokenId(authid).userid(), path);
        }
        UserConfig.User user = isToken ? null : cfg.users.get(authid);
        Map<String, Boolean> roles = new TreeMap<>();
        List<String> levels = new java.util.ArrayList<>();
        levels.add("/");
        StringBuilder cur = new StringBuilder();
        for (String c : path.split("/")) {
            if (c.isEmpty()) continue;
            cur.append('/').append(c);
            levels.add(cur.toString());
        }
        for (int i = 0; i < levels.size(); i++) {
            boolean fin = i == levels.size() - 1;
            String level = levels.get(i);
            UserConfig.AclNode node = cfg.acl.get(level);
            if (node == null) continue;
            Map<String, Boolean> n;
            if (isToken) {
                n = apply(node.tokens.get(authid), fin);
                if (n != null) roles = n;
                continue;
            }
            n = apply(node.users.get(authid), fin);
            if (n != null) { roles = n; continue; }
            Map<String, Boolean> g = null;
            if (user != null) {
                for (Map.Entry<String, TreeMap<String, Boolean>> e : node.groups.entrySet()) {
                    if (!user.groups.contains(e.getKey())) continue;
                    Map<String, Boolean> a = apply(e.getValue(), fin);
                    if (a != null) {
                        if (g == null) g = new TreeMap<>();
                        g.putAll(a);
                    }
                }
            }
            if (g != null) roles = g;
        }
        if (roles.containsKey("NoAccess")) return Map.of("NoAccess", roles.get("NoAccess"));
        return roles;
    }

    private static Map<String, Boolean> apply(Map<String, Boolean> entries, boolean fin) {
        if (entries == null) return null;
        Map<String, Boolean> n = null;
        for (Map.Entry<String, Boolean> e : entries.entrySet()) {
            if (fin || e.getValue()) {
                if (n == null) n = new TreeMap<>();
                n.put(e.getKey(), e.getValue());
            }
        }
        return n;
    }

    /** Effective privileges of {@code authid} on {@code path}: privilege → propagate. */
    public Map<String, Boolean> privileges(String authid, String path) {
        if (authid.equals("root@pam")) return all();
        String owner = null;
        if (Ids.isTokenId(authid)) {
            UserConfig.Token t = cfg.token(authid);
            if (t == null) return Map.of();
            owner = Ids.parseTokenId(authid).userid();
            Map<String, Boolean> userPrivs = privileges(owner, path);
            if (!t.privsep) return userPrivs;
        } else if (!Ids.isUserId(authid)) {
            return Map.of();
        }
        Map<String, Map<String, Boolean>> byPath = cache.computeIfAbsent(authid, k -> new java.util.concurrent.ConcurrentHashMap<>());
        Map<String, Boolean> hit = byPath.get(path);
        if (hit != null) return hit;

        Map<String, Boolean> roles = new TreeMap<>(roles(authid, path));
        Map<String, Boolean> poolRoles = poolRoles(authid, path);
        if (!poolRoles.isEmpty() && !roles.containsKey("NoAccess")) {
            if (poolRoles.containsKey("NoAccess")) {
                roles = new TreeMap<>(Map.of("NoAccess", false));
            } else {
                for (String r : poolRoles.keySet()) roles.putIfAbsent(r, false);
            }
        }
        Map<String, Boolean> privs = new TreeMap<>();
        for (Map.Entry<String, Boolean> r : roles.entrySet()) {
            Set<String> set = cfg.roles.get(r.getKey());
            if (set == null) continue;
            for (String p : set) privs.merge(p, r.getValue(), Boolean::logicalOr);
        }
        if (owner != null && !owner.equals("root@pam")) {
            Map<String, Boolean> userPrivs = privileges(owner, path);
            Map<String, Boolean> inter = new TreeMap<>();
            for (Map.Entry<String, Boolean> e : privs.entrySet()) {
                Boolean u = userPrivs.get(e.getKey());
                if (u != null) inter.put(e.getKey(), u && e.getValue());
            }
            privs = inter;
        }
        Map<String, Boolean> result = java.util.Collections.unmodifiableMap(privs);
        byPath.put(path, result);
        return result;
    }

    private Map<String, Boolean> poolRoles(String authid, String path) {
        List<String> poolNames;
        if (path.matches("^/vms/\\d+$")) {
            String pool = cfg.vmPool.get(path.substring(5));
            poolNames = pool == null ? List.of() : List.of(pool);
        } else if (path.matches("^/storage/[^/]+$")) {
            poolNames = cfg.poolsWithStorage(path.substring(9));
        } else {
            return Map.of();
        }
        Map<String, Boolean> out = new TreeMap<>();
        for (String pool : poolNames) {
            String key = authid + "\0" + pool;
            Map<String, Boolean> r = poolRolesCache.get(key);
            if (r == null) {
                r = roles(authid, "/pool/" + pool);
                poolRolesCache.put(key, r);
            }
            for (String role : r.keySet()) out.put(role, true);
        }
        return out;
    }

    private static Map<String, Boolean> all() {
        Map<String, Boolean> m = new TreeMap<>();
        for (String p : Privileges.ALL) m.put(p, true);
        return m;
    }

    /** PVE's {@code check}: all of {@code privs} (or any of them when {@code any}) on {@code path}. */
    public boolean check(String authid, String path, Iterable<String> privs, boolean any) {
        Map<String, Boolean> have = privileges(authid, path);
        boolean sawOne = false;
        for (String p : privs) {
            Privileges.verify(p);
            sawOne = true;
            boolean ok = have.containsKey(p);
            if (any && ok) return true;
            if (!any && !ok) return false;
        }
        return !any || !sawOne;
    }

    /**
     * The map served by {@code GET /access/permissions} without a path: every top-level path, every ACL path and
     * every pool member path, with the privileges on it; paths without privileges are left out.
     */
    public Map<String, Map<String, Boolean>> effective(String authid) {
        TreeMap<String, Map<String, Boolean>> out = new TreeMap<>();
        java.util.TreeSet<String> paths = new java.util.TreeSet<>(List.of(
                "/", "/access", "/access/groups", "/nodes", "/pool", "/mapping", "/sdn", "/storage", "/vms"));
        cfg.acl.forEach((p, n) -> paths.add(p));
        cfg.pools.values().forEach(pool -> {
            pool.vms.forEach(v -> paths.add("/vms/" + v));
            pool.storage.forEach(s -> paths.add("/storage/" + s));
        });
        for (String p : paths) {
            Map<String, Boolean> privs = privileges(authid, p);
            if (!privs.isEmpty()) out.put(p, privs);
        }
        return out;
    }
}
