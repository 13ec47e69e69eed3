package org.haven.access;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.haven.core.format.ConfigDigest;
import org.haven.core.format.ConfigText;
import org.haven.core.format.SectionConfig;
import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;

/**
 * The operations behind PVE's {@code /access/...} and {@code /pools} API methods and {@code pveum}: they take the
 * caller ({@code authid}) and the request parameters, change the configuration files under the cluster lock,
 * and return PVE's result shapes. Errors carry PVE's messages: {@link AccessException} (HTTP 500, with PVE's
 * "… failed: " prefix), {@link ParamException} (HTTP 400) and {@link Checks.Denied} (HTTP 403).
 * The method-level permission checks (the {@code check} of each API method) are done by the caller; the
 * filtering and the additional checks PVE does inside its handlers are done here.
 */
public final class AccessAdmin {
    private static final Pattern ACL_PATH = Pattern.compile("^(/|/access|/access/groups|/access/groups/[\\p{Alnum}.\\-_]+|/access/realm"
            + "|/access/realm/[\\p{Alnum}.\\-_]+|/mapping|/mapping/[\\p{Alnum}.\\-_]+|/mapping/[\\p{Alnum}.\\-_]+/[\\p{Alnum}.\\-_]+"
            + "|/nodes|/nodes/[\\p{Alnum}.\\-_]+|/pool|/pool/[\\p{Alnum}.\\-_]+(?:/[\\p{Alnum}.\\-_]+){0,2}|/sdn|/sdn/controllers"
            + "|/sdn/controllers/[\\p{Alnum}_\\-]+|/sdn/dns|/sdn/dns/[\\p{Alnum}]+|/sdn/ipams|/sdn/ipams/[\\p{Alnum}]+|/sdn/zones"
            + "|/sdn/zones/[\\p{Alnum}]+|/sdn/zones/[\\p{Alnum}]+/[\\p{Alnum}]+|/sdn/zones/[\\p{Alnum}]+/[\\p{Alnum}]+/[1-9][0-9]{0,3}"
            + "|/storage|/storage/[\\p{Alnum}.\\-_]+|/vms|/vms/[1-9][0-9]{2,})$");

    private final AccessControl ac;

    public AccessAdmin(AccessControl ac) { this.ac = ac; }

    public AccessControl accessControl() { return ac; }

    /** PVE's {@code check_path}: is {@code path} a valid ACL object path? */
    public static boolean isValidAclPath(String path) { return path != null && ACL_PATH.matcher(path).matches(); }

    // ---- helpers --------------------------------------------------------------------------------------

    private <T> T locked(String errmsg, Function<UserConfig, T> body) {
        try {
            return ac.modifyUserConfig(body);
        } catch (ParamException | Checks.Denied e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AccessException(errmsg + ": " + e.getMessage(), e);
        }
    }

    private static String str(Map<String, ?> p, String k) {
        Object v = p.get(k);
        return v == null ? null : v.toString();
    }

    private static Boolean bool(Map<String, ?> p, String k) {
        Object v = p.get(k);
        if (v == null) return null;
        if (v instanceof Boolean b) return b;
        String s = v.toString();
        return !(s.isEmpty() || s.equals("0") || s.equalsIgnoreCase("false") || s.equalsIgnoreCase("no") || s.equalsIgnoreCase("off"));
    }

    private static Long lng(Map<String, ?> p, String k) {
        Object v = p.get(k);
        if (v == null) return null;
        if (v instanceof Number n) return n.longValue();
        try {
            return Long.parseLong(v.toString());
        } catch (NumberFormatException e) {
            throw ParamException.of(k, "type check ('integer') failed - got '" + v + "'");
        }
    }

    private static List<String> list(Map<String, ?> p, String k) {
        Object v = p.get(k);
        if (v == null) return List.of();
        if (v instanceof Collection<?> c) {
            List<String> out = new ArrayList<>();
            for (Object o : c) out.addAll(UserConfig.splitList(o.toString()));
            return out;
        }
        return UserConfig.splitList(v.toString());
    }

    /** A parameter checked against its named format, length bound included, as the API validator does. */
    private static void requireFormat(String param, String format, String value) {
        try {
            Formats.check(format, value == null ? "" : value);
        } catch (Formats.FormatException e) {
            throw ParamException.of(param, e.getMessage());
        }
    }

    private static String nonEmpty(String s) { return s == null || s.isEmpty() ? null : s; }

    private Permissions perms() { return ac.permissions(); }

    private boolean can(String authid, String path, boolean any, String... privs) {
        return "root@pam".equals(authid) || perms().check(authid, path, List.of(privs), any);
    }

    // ---- users ----------------------------------------------------------------------------------------

    public List<Map<String, Object>> listUsers(String authid, Boolean enabled, boolean full) {
        UserConfig cfg = ac.userConfig();
        Checks checks = new Checks(perms());
        List<String> privs = List.of("User.Modify", "Sys.Audit");
        boolean canUserMod = can(authid, "/access/groups", true, "User.Modify", "Sys.Audit");
        TreeSet<String> allowed = new TreeSet<>();
        if (!canUserMod) for (String g : checks.filterGroups(authid, privs)) allowed.addAll(cfg.groups.get(g).users);
        String self = Ids.ownerOf(authid);
        Domains domains = ac.domains();
        TfaConfig tfa = ac.tfaConfig();
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map.Entry<String, UserConfig.User> e : cfg.users.entrySet()) {
            String userid = e.getKey();
            if (!(canUserMod || userid.equals(self) || allowed.contains(userid))) continue;
            UserConfig.User u = e.getValue();
            if (enabled != null && u.enable != enabled) continue;
            Map<String, Object> entry = userEntry(u);
            entry.put("userid", userid);
            if (!u.groups.isEmpty()) entry.put("groups", String.join(",", u.groups));
            if (full) {
                List<Map<String, Object>> tokens = new ArrayList<>();
                u.tokens.forEach((name, t) -> {
                    Map<String, Object> te = tokenEntry(t);
                    te.put("tokenid", name);
                    tokens.add(te);
                });
                entry.put("tokens", tokens);
            }
            domains.type(Ids.parseUserId(userid).realm()).ifPresent(t -> entry.put("realm-type", t));
            entry.putAll(tfa.lockInfo(userid));
            out.add(entry);
        }
        return out;
    }

    private static Map<String, Object> userEntry(UserConfig.User u) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("enable", u.enable ? 1 : 0);
        m.put("expire", u.expire);
        if (u.firstname != null) m.put("firstname", u.firstname);
        if (u.lastname != null) m.put("lastname", u.lastname);
        if (u.email != null) m.put("email", u.email);
        if (u.comment != null) m.put("comment", u.comment);
        if (u.keys != null) m.put("keys", u.keys);
        return m;
    }

    private static Map<String, Object> tokenEntry(UserConfig.Token t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("expire", t.expire);
        m.put("privsep", t.privsep ? 1 : 0);
        if (t.comment != null) m.put("comment", t.comment);
        return m;
    }

    public Map<String, Object> readUser(String userid) {
        UserConfig.User u = ac.userConfig().users.get(userid);
        if (u == null) throw new AccessException("no such user ('" + userid + "')");
        Map<String, Object> m = userEntry(u);
        m.put("groups", new ArrayList<>(u.groups));
        Map<String, Object> tokens = new TreeMap<>();
        u.tokens.forEach((name, t) -> tokens.put(name, tokenEntry(t)));
        m.put("tokens", tokens);
        return m;
    }

    public void createUser(String authid, Map<String, ?> p) {
        Ids.UserId id = parseUserParam(str(p, "userid"));
        String password = str(p, "password");
        locked("create user failed", cfg -> {
            if (cfg.users.containsKey(id.userid())) throw new AccessException("user '" + id.userid() + "' already exists");
            if (ac.domains().realm(id.realm()).isEmpty()) throw new AccessException("domain '" + id.realm() + "' does not exist");
            UserConfig.User u = new UserConfig.User();
            Boolean enable = bool(p, "enable");
            u.enable = enable == null || enable;
            Long expire = lng(p, "expire");
            if (expire != null) u.expire = expire;
            u.keys = nonEmpty(str(p, "keys"));
            u.firstname = nonEmpty(str(p, "firstname"));
            u.lastname = nonEmpty(str(p, "lastname"));
            u.email = nonEmpty(str(p, "email"));
            u.comment = nonEmpty(str(p, "comment"));
            cfg.users.put(id.userid(), u);
            addUserGroups(cfg, id.userid(), list(p, "groups"));
            cfg.write(); // refuses what user.cfg cannot hold before the password is stored
            if (password != null) ac.setPassword(id.userid(), password);
            return null;
        });
    }

    private static Ids.UserId parseUserParam(String userid) {
        try {
            return Ids.parseUserId(userid);
        } catch (IllegalArgumentException e) {
            throw ParamException.of("userid", e.getMessage());
        }
    }

    private static void addUserGroups(UserConfig cfg, String userid, List<String> groups) {
        for (String g : groups) {
            UserConfig.Group grp = cfg.groups.get(g);
            if (grp == null) throw new AccessException("no such group '" + g + "'");
            grp.users.add(userid);
            cfg.users.get(userid).groups.add(g);
        }
    }

    public void updateUser(String authid, Map<String, ?> p) {
        String userid = parseUserParam(str(p, "userid")).userid();
        locked("update user failed", cfg -> {
            UserConfig.User u = cfg.users.get(userid);
            if (u == null) throw new AccessException("no such user ('" + userid + "')");
            Boolean enable = bool(p, "enable");
            if (enable != null) u.enable = enable;
            Long expire = lng(p, "expire");
            if (expire != null) u.expire = expire;
            boolean append = Boolean.TRUE.equals(bool(p, "append"));
            if (p.get("groups") != null) {
                if (!append) {
                    for (String g : u.groups) { UserConfig.Group grp = cfg.groups.get(g); if (grp != null) grp.users.remove(userid); }
                    u.groups.clear();
                }
                addUserGroups(cfg, userid, list(p, "groups"));
            } else if (append) {
                throw ParamException.of("append", "parameter 'append' requires 'groups'");
            }
            if (p.containsKey("keys")) u.keys = nonEmpty(str(p, "keys"));
            if (p.containsKey("firstname")) u.firstname = nonEmpty(str(p, "firstname"));
            if (p.containsKey("lastname")) u.lastname = nonEmpty(str(p, "lastname"));
            if (p.containsKey("email")) u.email = nonEmpty(str(p, "email"));
            if (p.containsKey("comment")) u.comment = nonEmpty(str(p, "comment"));
            return null;
        });
    }

    public void deleteUser(String authid, String userid) {
        Ids.UserId id = parseUserParam(userid);
        locked("delete user failed", cfg -> {
            UserConfig.User u = cfg.users.get(id.userid());
            if (u == null) throw new AccessException("no such user ('" + id.userid() + "')");
            cfg.users.remove(id.userid());
            for (UserConfig.Group g : cfg.groups.values()) g.users.remove(id.userid());
            for (UserConfig.AclNode node : cfg.acl.values()) {
                node.users.remove(id.userid());
                node.tokens.keySet().removeIf(t -> t.startsWith(id.userid() + "!"));
            }
            cfg.acl.values().removeIf(UserConfig.AclNode::isEmpty);
            if (!u.tokens.isEmpty()) ac.modifyTokenSecrets(s -> s.secrets.keySet().removeIf(t -> t.startsWith(id.userid() + "!")));
            if (ac.domains().type(id.realm()).map("pve"::equals).orElse(false))
                ac.modifyShadow(s -> s.hashes.remove(id.user()));
            if (ac.tfaConfig().userIds().contains(id.userid())) ac.modifyTfa(t -> { t.removeUser(id.userid()); return null; });
            return null;
        });
    }

    // ---- groups ---------------------------------------------------------------------------------------

    public List<Map<String, Object>> listGroups(String authid) {
        List<Map<String, Object>> out = new ArrayList<>();
        ac.userConfig().groups.forEach((name, g) -> {
            if (!can(authid, "/access/groups/" + name, true, "User.Modify", "Sys.Audit", "Group.Allocate")) return;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("groupid", name);
            if (g.comment != null) m.put("comment", g.comment);
            m.put("users", String.join(",", g.users));
            out.add(m);
        });
        return out;
    }

    public Map<String, Object> readGroup(String groupid) {
        UserConfig.Group g = ac.userConfig().groups.get(groupid);
        if (g == null) throw new AccessException("group '" + groupid + "' does not exist");
        Map<String, Object> m = new LinkedHashMap<>();
        if (g.comment != null) m.put("comment", g.comment);
        m.put("members", new ArrayList<>(g.users));
        return m;
    }

    public void createGroup(String groupid, String comment) {
        requireFormat("groupid", "pve-groupid", groupid);
        locked("create group failed", cfg -> {
            if (cfg.groups.containsKey(groupid)) throw new AccessException("group '" + groupid + "' already exists");
            UserConfig.Group g = new UserConfig.Group();
            g.comment = nonEmpty(comment);
            cfg.groups.put(groupid, g);
            return null;
        });
    }

    public void updateGroup(String groupid, Map<String, ?> p) {
        locked("update group failed", cfg -> {
            UserConfig.Group g = cfg.groups.get(groupid);
            if (g == null) throw new AccessException("group '" + groupid + "' does not exist");
            if (p.containsKey("comment")) g.comment = nonEmpty(str(p, "comment"));
            return null;
        });
    }

    public void deleteGroup(String groupid) {
        locked("delete group failed", cfg -> {
            if (cfg.groups.remove(groupid) == null) throw new AccessException("group '" + groupid + "' does not exist");
            for (UserConfig.User u : cfg.users.values()) u.groups.remove(groupid);
            for (UserConfig.AclNode node : cfg.acl.values()) node.groups.remove(groupid);
            cfg.acl.values().removeIf(UserConfig.AclNode::isEmpty);
            return null;
        });
    }

    // ---- roles ----------------------------------------------------------------------------------------

    public List<Map<String, Object>> listRoles() {
        List<Map<String, Object>> out = new ArrayList<>();
        ac.userConfig().roles.forEach((name, privs) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("roleid", name);
            m.put("privs", String.join(",", privs));
            if (Privileges.isBuiltinRole(name)) m.put("special", 1);
            out.add(m);
        });
        return out;
    }

    public Map<String, Object> readRole(String roleid) {
        TreeSet<String> privs = ac.userConfig().roles.get(roleid);
        if (privs == null) throw new AccessException("role '" + roleid + "' does not exist");
        Map<String, Object> m = new TreeMap<>();
        for (String p : privs) m.put(p, 1);
        return m;
    }

    private static List<String> verifyPrivs(List<String> privs) {
        for (String p : privs) {
            if (!Privileges.isValid(p)) throw ParamException.of("privs", "invalid privilege '" + p + "'");
        }
        return privs;
    }

    public void createRole(String roleid, String privs) {
        requireFormat("roleid", "pve-roleid", roleid);
        List<String> list = verifyPrivs(UserConfig.splitList(privs == null ? "" : privs));
        locked("create role failed", cfg -> {
            if (cfg.roles.containsKey(roleid)) throw new AccessException("role '" + roleid + "' already exists");
            cfg.roles.put(roleid, new TreeSet<>(list));
            return null;
        });
    }

    public void updateRole(String roleid, String privs, boolean append) {
        List<String> list = verifyPrivs(UserConfig.splitList(privs == null ? "" : privs));
        locked("update role failed", cfg -> {
            if (Privileges.isBuiltinRole(roleid)) throw new AccessException("auto-generated role '" + roleid + "' cannot be modified");
            TreeSet<String> set = cfg.roles.get(roleid);
            if (set == null) throw new AccessException("role '" + roleid + "' does not exist");
            if (!append) set.clear();
            set.addAll(list);
            return null;
        });
    }

    public void deleteRole(String roleid) {
        locked("delete role failed", cfg -> {
            if (Privileges.isBuiltinRole(roleid)) throw new AccessException("auto-generated role '" + roleid + "' cannot be deleted");
            if (cfg.roles.remove(roleid) == null) throw new AccessException("role '" + roleid + "' does not exist");
            for (UserConfig.AclNode node : cfg.acl.values()) {
                node.users.values().forEach(m -> m.remove(roleid));
                node.groups.values().forEach(m -> m.remove(roleid));
                node.tokens.values().forEach(m -> m.remove(roleid));
                node.users.values().removeIf(Map::isEmpty);
                node.groups.values().removeIf(Map::isEmpty);
                node.tokens.values().removeIf(Map::isEmpty);
            }
            cfg.acl.values().removeIf(UserConfig.AclNode::isEmpty);
            return null;
        });
    }

    // ---- ACL ------------------------------------------------------------------------------------------

    public List<Map<String, Object>> readAcl(String authid) {
        UserConfig cfg = ac.userConfig();
        Checks checks = new Checks(perms());
        boolean audit = can(authid, "/access", false, "Sys.Audit");
        List<Map<String, Object>> out = new ArrayList<>();
        cfg.acl.forEach((path, node) -> {
            if (!(audit || checks.canModifyPermissions(authid, path))) return;
            addAcl(out, path, "user", node.users);
            addAcl(out, path, "group", node.groups);
            addAcl(out, path, "token", node.tokens);
        });
        return out;
    }

    private static void addAcl(List<Map<String, Object>> out, String path, String type, Map<String, TreeMap<String, Boolean>> entries) {
        entries.forEach((id, roles) -> roles.forEach((role, prop) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("path", path);
            m.put("type", type);
            m.put("ugid", id);
            m.put("roleid", role);
            m.put("propagate", prop ? 1 : 0);
            out.add(m);
        }));
    }

    /** {@code PUT /access/acl}: the caller must already have passed the perm-modify check on the path. */
    public void updateAcl(String authid, Map<String, ?> p) {
        String rawPath = str(p, "path");
        String path = Ids.normalizePath(rawPath);
        boolean delete = Boolean.TRUE.equals(bool(p, "delete"));
        if (path == null || (!delete && !isValidAclPath(path))) throw ParamException.of("path", "invalid ACL path '" + rawPath + "'");
        Boolean propagateParam = bool(p, "propagate");
        boolean propagate = propagateParam == null || propagateParam;
        List<String> roles = list(p, "roles");
        List<String> groups = list(p, "groups");
        List<String> users = list(p, "users");
        List<String> tokens = list(p, "tokens");
        if (groups.isEmpty() && users.isEmpty() && tokens.isEmpty())
            throw ParamException.of("users", "either 'users', 'groups' or 'tokens' is required");
        Permissions before = perms();
        locked("ACL update failed", cfg -> {
            UserConfig.AclNode node = cfg.aclNode(path);
            for (String role : roles) {
                TreeSet<String> rolePrivs = cfg.roles.get(role);
                if (rolePrivs == null) throw new AccessException("role '" + role + "' does not exist");
                if (!delete && !"root@pam".equals(authid) && !before.check(authid, path, List.of("Permissions.Modify"), false)) {
                    // without Permissions.Modify one can only hand out privileges one holds on the path
                    Map<String, Boolean> mine = before.privileges(authid, path);
                    for (String priv : rolePrivs)
                        if (!mine.containsKey(priv)) throw new Checks.Denied(path + ", " + priv);
                }
                for (String g : groups) {
                    if (!cfg.groups.containsKey(g)) throw new AccessException("group '" + g + "' does not exist");
                    apply(node.groups, g, role, propagate, delete);
                }
                for (String u : users) {
                    if (!Ids.isUserId(u)) throw new AccessException("value '" + u + "' does not look like a valid user name");
                    if (!cfg.users.containsKey(u)) throw new AccessException("user '" + u + "' does not exist");
                    apply(node.users, u, role, propagate, delete);
                }
                for (String t : tokens) {
                    Ids.TokenId tid = Ids.parseTokenId(t);
                    if (cfg.token(t) == null) throw new AccessException("no such token '" + tid.name() + "' for user '" + tid.userid() + "'");
                    apply(node.tokens, t, role, propagate, delete);
                }
            }
            cfg.acl.values().removeIf(UserConfig.AclNode::isEmpty);
            return null;
        });
    }

    private static void apply(TreeMap<String, TreeMap<String, Boolean>> entries, String who, String role, boolean propagate, boolean delete) {
        if (delete) {
            TreeMap<String, Boolean> m = entries.get(who);
            if (m != null) {
                m.remove(role);
                if (m.isEmpty()) entries.remove(who);
            }
        } else {
            entries.computeIfAbsent(who, k -> new TreeMap<>()).put(role, propagate);
        }
    }

    // ---- tokens ---------------------------------------------------------------------------------------

    private static void verifyTokenName(String tokenid) {
        if (!Ids.isTokenSubId(tokenid)) throw ParamException.of("tokenid", "value does not match the regex pattern");
        if (tokenid.length() > Formats.ID_MAX) throw ParamException.of("tokenid", "value may only be " + Formats.ID_MAX + " characters long");
    }

    public List<Map<String, Object>> listTokens(String userid) {
        UserConfig.User u = ac.userConfig().users.get(userid);
        if (u == null) throw new AccessException("no such user ('" + userid + "')");
        List<Map<String, Object>> out = new ArrayList<>();
        u.tokens.forEach((name, t) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("tokenid", name);
            m.putAll(tokenEntry(t));
            out.add(m);
        });
        return out;
    }

    public Map<String, Object> readToken(String userid, String tokenid) {
        UserConfig.User u = ac.userConfig().users.get(userid);
        if (u == null) throw new AccessException("no such user ('" + userid + "')");
        UserConfig.Token t = u.tokens.get(tokenid);
        if (t == null) throw new AccessException("no such token '" + tokenid + "' for user '" + userid + "'");
        return tokenEntry(t);
    }

    /** Create a token; returns {@code full-tokenid}, {@code info} and the secret {@code value} (shown once). */
    public Map<String, Object> createToken(String userid, String tokenid, Map<String, ?> p) {
        verifyTokenName(tokenid);
        String full = userid + "!" + tokenid;
        String secret = UUID.randomUUID().toString();
        UserConfig.Token created = locked("creating token failed", cfg -> {
            UserConfig.User u = cfg.users.get(userid);
            if (u == null) throw new AccessException("no such user ('" + userid + "')");
            if (u.tokens.containsKey(tokenid)) throw new AccessException("Token already exists.");
            UserConfig.Token t = new UserConfig.Token();
            Boolean privsep = bool(p, "privsep");
            t.privsep = privsep == null || privsep;
            Long expire = lng(p, "expire");
            t.expire = expire != null ? expire : u.expire;
            t.comment = nonEmpty(str(p, "comment"));
            ac.modifyTokenSecrets(s -> s.secrets.put(full, secret));
            u.tokens.put(tokenid, t);
            return t;
        });
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("full-tokenid", full);
        out.put("info", tokenEntry(created));
        out.put("value", secret);
        return out;
    }

    public Map<String, Object> updateToken(String userid, String tokenid, Map<String, ?> p) {
        UserConfig.Token updated = locked("updating token failed", cfg -> {
            UserConfig.User u = cfg.users.get(userid);
            if (u == null) throw new AccessException("no such user ('" + userid + "')");
            UserConfig.Token t = u.tokens.get(tokenid);
            if (t == null) throw new AccessException("no such token '" + tokenid + "' for user '" + userid + "'");
            Boolean privsep = bool(p, "privsep");
            if (privsep != null) t.privsep = privsep;
            Long expire = lng(p, "expire");
            if (expire != null) t.expire = expire;
            if (p.containsKey("comment")) t.comment = nonEmpty(str(p, "comment"));
            return t.copy();
        });
        return tokenEntry(updated);
    }

    public void deleteToken(String userid, String tokenid) {
        String full = userid + "!" + tokenid;
        locked("deleting token failed", cfg -> {
            UserConfig.User u = cfg.users.get(userid);
            if (u == null) throw new AccessException("no such user ('" + userid + "')");
            if (u.tokens.remove(tokenid) == null) throw new AccessException("no such token '" + tokenid + "' for user '" + userid + "'");
            for (UserConfig.AclNode node : cfg.acl.values()) node.tokens.remove(full);
            cfg.acl.values().removeIf(UserConfig.AclNode::isEmpty);
            ac.modifyTokenSecrets(s -> s.secrets.remove(full));
            return null;
        });
    }

    // ---- password -------------------------------------------------------------------------------------

    /** {@code PUT /access/password} (the method check has passed: self, or Realm.AllocateUser + User.Modify). */
    public void changePassword(String authid, String userid, String password, String confirmation) {
        Ids.UserId id = parseUserParam(userid);
        UserConfig cfg = ac.userConfig();
        if (!cfg.users.containsKey(id.userid())) throw new AccessException("no such user ('" + id.userid() + "')");
        if (!"root@pam".equals(authid)) {
            if (Ids.isTokenId(authid)) throw new Checks.Denied(null);
            if (id.userid().equals("root@pam")) throw new Checks.Denied(null);
            if (id.realm().equals("pam") || ac.domains().type(id.realm()).map("pam"::equals).orElse(false))
                throw new Checks.Denied("only root can change the password of pam users");
            ac.checkUserEnabled(id.userid());
            if (confirmation == null) throw ParamException.of("confirmation-password", "password is required to modify user");
            try {
                ac.verifyPassword(authid, confirmation, null);
            } catch (AuthenticationException e) {
                throw new AccessException("authentication failure");
            }
        }
        ac.setPassword(id.userid(), password);
    }

    // ---- permissions ----------------------------------------------------------------------------------

    /** {@code GET /access/permissions}. */
    public Map<String, Map<String, Integer>> permissions(String authid, String userid, String path) {
        String target = userid == null ? authid : userid;
        boolean self = target.equals(authid);
        boolean ownedToken = Ids.isTokenId(target) && Ids.parseTokenId(target).userid().equals(authid);
        if (!(self || ownedToken)) {
            UserConfig cfg = ac.userConfig();
            if (Ids.isTokenId(target)) {
                if (cfg.token(target) == null) throw new AccessException("no such token '" + target + "'");
            } else if (!cfg.users.containsKey(target)) {
                throw new AccessException("no such user ('" + target + "')");
            }
            if (!can(authid, "/access", false, "Sys.Audit")) throw new Checks.Denied("/access, Sys.Audit");
        }
        return ac.permissionMap(target, path == null ? null : Optional.ofNullable(Ids.normalizePath(path)).orElse(path));
    }

    // ---- pools ----------------------------------------------------------------------------------------

    /** Guests known to the cluster: vmid → (node, type) from {@code .vmlist}; empty when unavailable. */
    public Map<String, String[]> vmList() {
        Map<String, String[]> out = new TreeMap<>();
        Optional<String> json = ac.fs().readString(".vmlist");
        if (json.isEmpty()) return out;
        var m = Pattern.compile("\"(\\d+)\"\\s*:\\s*\\{([^}]*)\\}").matcher(json.get());
        while (m.find()) {
            String body = m.group(2);
            var node = Pattern.compile("\"node\"\\s*:\\s*\"([^\"]*)\"").matcher(body);
            var type = Pattern.compile("\"type\"\\s*:\\s*\"([^\"]*)\"").matcher(body);
            out.put(m.group(1), new String[]{node.find() ? node.group(1) : "", type.find() ? type.group(1) : "qemu"});
        }
        return out;
    }

    private List<Map<String, Object>> poolMembers(UserConfig.Pool pool, String typeFilter) {
        List<Map<String, Object>> members = new ArrayList<>();
        Map<String, String[]> vms = vmList();
        for (String vmid : pool.vms) {
            String[] info = vms.getOrDefault(vmid, new String[]{"", "qemu"});
            if (typeFilter != null && !typeFilter.equals(info[1])) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", info[1] + "/" + vmid);
            m.put("vmid", Long.parseLong(vmid));
            m.put("node", info[0]);
            m.put("type", info[1]);
            members.add(m);
        }
        if (typeFilter == null || typeFilter.equals("storage")) {
            for (String s : pool.storage) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("id", "storage/" + ac.fs().nodeName() + "/" + s);
                m.put("storage", s);
                m.put("node", ac.fs().nodeName());
                m.put("type", "storage");
                members.add(m);
            }
        }
        return members;
    }

    public List<Map<String, Object>> listPools(String authid, String poolid, String type) {
        List<Map<String, Object>> out = new ArrayList<>();
        UserConfig cfg = ac.userConfig();
        if (poolid != null && !cfg.pools.containsKey(poolid)) throw new AccessException("pool '" + poolid + "' does not exist");
        cfg.pools.forEach((name, pool) -> {
            if (poolid != null && !poolid.equals(name)) return;
            if (!can(authid, "/pool/" + name, false, "Pool.Audit")) return;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("poolid", name);
            if (pool.comment != null) m.put("comment", pool.comment);
            if (poolid != null) m.put("members", poolMembers(pool, type));
            out.add(m);
        });
        return out;
    }

    public Map<String, Object> readPool(String poolid, String type) {
        UserConfig.Pool pool = ac.userConfig().pools.get(poolid);
        if (pool == null) throw new AccessException("pool '" + poolid + "' does not exist");
        Map<String, Object> m = new LinkedHashMap<>();
        if (pool.comment != null) m.put("comment", pool.comment);
        m.put("members", poolMembers(pool, type));
        return m;
    }

    public void createPool(String poolid, String comment) {
        requireFormat("poolid", "pve-poolid", poolid);
        locked("create pool failed", cfg -> {
            if (cfg.pools.containsKey(poolid)) throw new AccessException("pool '" + poolid + "' already exists");
            int slash = poolid.lastIndexOf('/');
            if (slash > 0 && !cfg.pools.containsKey(poolid.substring(0, slash)))
                throw new AccessException("parent '" + poolid.substring(0, slash) + "' does not exist");
            UserConfig.Pool p = new UserConfig.Pool();
            p.comment = nonEmpty(comment);
            cfg.pools.put(poolid, p);
            return null;
        });
    }

    /** {@code PUT /pools/{poolid}}: members can only be added/removed with the right to modify their permissions. */
    public void updatePool(String authid, String poolid, Map<String, ?> p) {
        boolean delete = Boolean.TRUE.equals(bool(p, "delete"));
        boolean allowMove = Boolean.TRUE.equals(bool(p, "allow-move"));
        List<String> vms = list(p, "vms");
        List<String> storages = list(p, "storage");
        Checks checks = new Checks(perms());
        Map<String, String[]> known = vmList();
        boolean haveVmList = ac.fs().read(".vmlist").isPresent();
        SectionConfig.Document storageCfg = ac.fs().readString("storage.cfg").map(SectionConfig::parse).orElse(null);
        locked("update pools failed", cfg -> {
            UserConfig.Pool pool = cfg.pools.get(poolid);
            if (pool == null) throw new AccessException("pool '" + poolid + "' does not exist");
            if (p.containsKey("comment")) pool.comment = nonEmpty(str(p, "comment"));
            for (String raw : vms) {
                String vmid = Long.toString(Long.parseLong(raw));
                if (!checks.canModifyPermissions(authid, "/vms/" + vmid)) throw new Checks.Denied("/vms/" + vmid + ", Permissions.Modify");
                if (delete) {
                    if (!pool.vms.remove(vmid)) throw new AccessException("VM " + vmid + " is not a pool member");
                    cfg.vmPool.remove(vmid);
                } else {
                    if (haveVmList && !known.containsKey(vmid)) throw new AccessException("VM " + vmid + " does not exist");
                    String current = cfg.vmPool.get(vmid);
                    if (current != null && !current.equals(poolid)) {
                        if (!allowMove) throw new AccessException("VM " + vmid + " belongs already to pool '" + current + "' and allow-move is not set");
                        if (!checks.canModifyPermissions(authid, "/pool/" + current)) throw new Checks.Denied("/pool/" + current + ", Permissions.Modify");
                        cfg.pools.get(current).vms.remove(vmid);
                    }
                    pool.vms.add(vmid);
                    cfg.vmPool.put(vmid, poolid);
                }
            }
            for (String s : storages) {
                if (!checks.canModifyPermissions(authid, "/storage/" + s)) throw new Checks.Denied("/storage/" + s + ", Permissions.Modify");
                if (delete) {
                    if (!pool.storage.remove(s)) throw new AccessException("storage '" + s + "' is not a pool member");
                } else {
                    if (storageCfg != null && storageCfg.find(s).isEmpty()) throw new AccessException("no such storage '" + s + "'");
                    pool.storage.add(s);
                }
            }
            return null;
        });
    }

    public void deletePool(String poolid) {
        locked("delete pool failed", cfg -> {
            UserConfig.Pool pool = cfg.pools.get(poolid);
            if (pool == null) throw new AccessException("pool '" + poolid + "' does not exist");
            if (!pool.vms.isEmpty() || !pool.storage.isEmpty()) throw new AccessException("pool '" + poolid + "' is not empty");
            for (String other : cfg.pools.keySet())
                if (other.startsWith(poolid + "/")) throw new AccessException("pool '" + poolid + "' is not empty (contains sub-pools)");
            cfg.pools.remove(poolid);
            // as PVE's delete_pool_acl: entries on the pool's path go with it
            cfg.acl.remove("/pool/" + poolid);
            return null;
        });
    }

    // ---- realms (domains.cfg) -------------------------------------------------------------------------

    /** Properties accepted per realm type (besides {@code comment}, {@code default}, {@code tfa}). */
    static final Map<String, List<String>> REALM_PROPS = Map.of(
            "pam", List.of(),
            "pve", List.of(),
            "ldap", List.of("server1", "server2", "port", "base_dn", "user_attr", "bind_dn", "secure", "mode", "verify", "capath",
                    "cert", "certkey", "filter", "group_dn", "group_filter", "group_classes", "group_name_attr", "user_classes",
                    "sync_attributes", "sync-defaults-options", "case-sensitive", "sslversion"),
            "ad", List.of("server1", "server2", "port", "domain", "base_dn", "user_attr", "bind_dn", "secure", "mode", "verify",
                    "capath", "cert", "certkey", "filter", "group_dn", "group_filter", "group_classes", "group_name_attr",
                    "user_classes", "sync_attributes", "sync-defaults-options", "case-sensitive", "sslversion"),
            "openid", List.of("issuer-url", "client-id", "client-key", "autocreate", "username-claim", "scopes", "prompt",
                    "acr-values", "groups-claim", "groups-autocreate", "groups-overwrite", "query-userinfo"));

    public List<Map<String, Object>> listRealms() {
        List<Map<String, Object>> out = new ArrayList<>();
        for (SectionConfig.Section s : ac.domains().document().sections()) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("realm", s.id());
            m.put("type", s.type());
            s.get("comment").ifPresent(c -> m.put("comment", c));
            s.get("default").filter(UserConfig::truthy).ifPresent(d -> m.put("default", 1));
            s.get("tfa").ifPresent(t -> m.put("tfa", org.haven.core.format.PropertyString.parse(t, "type").get("type")));
            out.add(m);
        }
        return out;
    }

    public Map<String, Object> readRealm(String realm) {
        SectionConfig.Section s = ac.domains().realm(realm).orElseThrow(() -> new AccessException("domain '" + realm + "' does not exist"));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", s.type());
        s.properties().forEach((k, v) -> m.put(k, v.isEmpty() ? 1 : v));
        m.put("digest", digest(ac.domains().write()));
        return m;
    }

    private static String digest(String text) {
        return ConfigDigest.of(text);
    }

    private <T> T lockedDomains(String errmsg, Function<Domains, T> body) {
        try {
            return ac.fs().withLock("file-domains_cfg", AccessControl.LOCK_TIMEOUT, () -> {
                Domains d = ac.domains();
                T r = body.apply(d);
                ac.fs().writeString(AccessControl.DOMAINS_CFG, d.write());
                return r;
            });
        } catch (ParamException | Checks.Denied e) {
            throw e;
        } catch (RuntimeException e) {
            throw new AccessException(errmsg + ": " + e.getMessage(), e);
        }
    }

    private static void applyRealmProps(SectionConfig.Section s, Map<String, ?> p, boolean create) {
        List<String> allowed = new ArrayList<>(REALM_PROPS.get(s.type()));
        allowed.addAll(List.of("comment", "default", "tfa"));
        for (Map.Entry<String, ?> e : p.entrySet()) {
            String k = e.getKey();
            if (List.of("realm", "type", "delete", "digest", "password", "check-connection").contains(k) || e.getValue() == null) continue;
            if (!allowed.contains(k)) throw ParamException.of(k, "property is not defined in schema and the schema does not allow additional properties");
            Object v = e.getValue();
            String val = v instanceof Boolean b ? (b ? "1" : "0") : v.toString();
            s.set(k, val);
        }
        if (!create) for (String d : list(p, "delete")) s.remove(d);
        // PVE writes realm properties in sorted order
        TreeMap<String, String> sorted = new TreeMap<>(s.properties());
        s.properties().clear();
        s.properties().putAll(sorted);
        if (List.of("ldap", "ad").contains(s.type()) && s.get("server1").isEmpty())
            throw ParamException.of("server1", "property is missing and it is not optional");
        if (s.type().equals("ldap") && (s.get("base_dn").isEmpty() || s.get("user_attr").isEmpty()))
            throw ParamException.of(s.get("base_dn").isEmpty() ? "base_dn" : "user_attr", "property is missing and it is not optional");
        if (s.type().equals("ad") && s.get("domain").isEmpty())
            throw ParamException.of("domain", "property is missing and it is not optional");
        if (s.type().equals("openid"))
            for (String k : List.of("issuer-url", "client-id"))
                if (s.get(k).isEmpty()) throw ParamException.of(k, "property is missing and it is not optional");
    }

    private static void clearOtherDefaults(Domains d, String realm, Map<String, ?> p) {
        if (Boolean.TRUE.equals(bool(p, "default")))
            for (SectionConfig.Section s : d.document().sections()) if (!s.id().equals(realm)) s.remove("default");
    }

    public void createRealm(Map<String, ?> p) {
        String realm = str(p, "realm");
        String type = str(p, "type");
        requireFormat("realm", "pve-realm", realm);
        if (type == null || !Domains.TYPES.contains(type)) throw ParamException.of("type", "value '" + type + "' does not have a value in the enumeration 'ad, ldap, openid, pam, pve'");
        lockedDomains("create auth server failed", d -> {
            if (d.realm(realm).isPresent()) throw new AccessException("domain '" + realm + "' already exists");
            if (type.equals("pam") || type.equals("pve")) throw new AccessException("unable to create builtin type '" + type + "'");
            SectionConfig.Section s = new SectionConfig.Section(type, realm);
            applyRealmProps(s, p, true);
            clearOtherDefaults(d, realm, p);
            d.document().add(s);
            storeRealmPassword(d, realm, str(p, "password"));
            return null;
        });
    }

    public void updateRealm(Map<String, ?> p) {
        String realm = str(p, "realm");
        lockedDomains("update auth server failed", d -> {
            SectionConfig.Section s = d.realm(realm).orElseThrow(() -> new AccessException("domain '" + realm + "' does not exist"));
            String digest = str(p, "digest");
            if (digest != null && !digest.equals(digest(d.write())))
                throw new AccessException("detected modified configuration - file changed by other user? Try again.");
            applyRealmProps(s, p, false);
            clearOtherDefaults(d, realm, p);
            if (p.containsKey("password")) storeRealmPassword(d, realm, str(p, "password"));
            if (list(p, "delete").contains("password")) deleteRealmPassword(realm);
            return null;
        });
    }

    /** Stores the bind password once the changed domains.cfg is known to be writable. */
    private void storeRealmPassword(Domains d, String realm, String password) {
        if (password == null) return;
        d.write();
        ConfigText.line("password", password); // the file holds one line
        if (ac.fs().stat("priv/realm").isEmpty()) ac.fs().mkdirs("priv/realm");
        ac.fs().writeString("priv/realm/" + realm + ".pw", password + "\n");
        ac.fs().delete("priv/ldap/" + realm + ".pw");
    }

    /** PVE 8 keeps realm secrets in {@code priv/realm/}; older installations in {@code priv/ldap/}. */
    private void deleteRealmPassword(String realm) {
        ac.fs().delete("priv/realm/" + realm + ".pw");
        ac.fs().delete("priv/ldap/" + realm + ".pw");
    }

    public void deleteRealm(String realm) {
        lockedDomains("delete auth server failed", d -> {
            SectionConfig.Section s = d.realm(realm).orElseThrow(() -> new AccessException("domain '" + realm + "' does not exist"));
            if (s.type().equals("pam") || s.type().equals("pve")) throw new AccessException("can't delete builtin domain '" + realm + "'");
            d.document().remove(realm);
            deleteRealmPassword(realm);
            return null;
        });
    }

    // ---- realm sync (ldap, ad) --------------------------------------------------------------------------

    /**
     * {@code POST /access/domains/{realm}/sync}: import users ({@code <name>@<realm>}) and groups
     * ({@code <name>-<realm>}) from the directory. Options (defaults from the realm's {@code sync-defaults-options}):
     * {@code scope} users|groups|both, {@code remove-vanished} ";"-list of acl, entry, properties (or none),
     * {@code enable-new} (default 1), {@code dry-run}. Returns the log lines.
     */
    public List<String> syncRealm(String realm, Map<String, ?> opts) {
        SectionConfig.Section s = ac.domains().realm(realm).orElseThrow(() -> new AccessException("domain '" + realm + "' does not exist"));
        if (!s.type().equals("ldap") && !s.type().equals("ad")) throw new AccessException("realm '" + realm + "' does not support syncing");
        Map<String, String> defaults = s.get("sync-defaults-options").map(v -> (Map<String, String>) org.haven.core.format.PropertyString.parse(v, null)).orElse(Map.of());
        java.util.function.Function<String, String> opt = k -> opts.get(k) != null ? (opts.get(k) instanceof Boolean b ? (b ? "1" : "0") : opts.get(k).toString()) : defaults.get(k);
        String scope = opt.apply("scope");
        if (scope == null) throw ParamException.of("scope", "parameter 'scope' is missing and no default is configured");
        if (!List.of("users", "groups", "both").contains(scope)) throw ParamException.of("scope", "value '" + scope + "' does not have a value in the enumeration 'users, groups, both'");
        String rv = opt.apply("remove-vanished");
        List<String> removeVanished = rv == null || rv.equals("none") ? List.of() : List.of(rv.split(";"));
        boolean enableNew = !"0".equals(opt.apply("enable-new"));
        boolean dryRun = "1".equals(opt.apply("dry-run"));
        List<String> log = new ArrayList<>();
        LdapRealm ldap = new LdapRealm(ac.fs());
        List<LdapRealm.DirUser> dirUsers = ldap.searchUsers(s);
        List<LdapRealm.DirGroup> dirGroups = scope.equals("users") ? List.of() : ldap.searchGroups(s, dirUsers);
        log.add("starting sync for realm " + realm);
        log.add("got data from server, updating " + (scope.equals("both") ? "users and groups" : scope));
        java.util.function.Function<UserConfig, Void> apply = cfg -> {
            String suffix = "@" + realm;
            if (!scope.equals("groups")) {
                TreeSet<String> seen = new TreeSet<>();
                for (LdapRealm.DirUser du : dirUsers) {
                    String userid = du.name() + suffix;
                    if (!Ids.isUserId(userid)) { log.add("skipping invalid user name '" + du.name() + "'"); continue; }
                    seen.add(userid);
                    UserConfig.User u = cfg.users.get(userid);
                    if (u == null) {
                        u = new UserConfig.User();
                        u.enable = enableNew;
                        cfg.users.put(userid, u);
                        log.add("adding user '" + userid + "'");
                    } else {
                        log.add("updating user '" + userid + "'");
                    }
                    Map<String, String> a = du.attributes();
                    if (a.containsKey("email")) u.email = a.get("email"); else if (removeVanished.contains("properties")) u.email = null;
                    if (a.containsKey("firstname")) u.firstname = a.get("firstname"); else if (removeVanished.contains("properties")) u.firstname = null;
                    if (a.containsKey("lastname")) u.lastname = a.get("lastname"); else if (removeVanished.contains("properties")) u.lastname = null;
                    if (a.containsKey("comment")) u.comment = a.get("comment");
                }
                for (String userid : new ArrayList<>(cfg.users.keySet())) {
                    if (!userid.endsWith(suffix) || seen.contains(userid)) continue;
                    if (removeVanished.contains("acl")) {
                        for (UserConfig.AclNode node : cfg.acl.values()) node.users.remove(userid);
                        log.add("removed acls of vanished user '" + userid + "'");
                    }
                    if (removeVanished.contains("entry")) {
                        cfg.users.remove(userid);
                        for (UserConfig.Group g : cfg.groups.values()) g.users.remove(userid);
                        for (UserConfig.AclNode node : cfg.acl.values()) node.tokens.keySet().removeIf(t -> t.startsWith(userid + "!"));
                        log.add("removed vanished user '" + userid + "'");
                    }
                }
            }
            if (!scope.equals("users")) {
                String gsuffix = "-" + realm;
                TreeSet<String> seen = new TreeSet<>();
                for (LdapRealm.DirGroup dg : dirGroups) {
                    String groupid = dg.name() + gsuffix;
                    if (!Ids.isGroupName(groupid)) { log.add("skipping invalid group name '" + dg.name() + "'"); continue; }
                    seen.add(groupid);
                    UserConfig.Group g = cfg.groups.get(groupid);
                    if (g == null) {
                        g = new UserConfig.Group();
                        cfg.groups.put(groupid, g);
                        log.add("adding group '" + groupid + "'");
                    } else {
                        log.add("updating group '" + groupid + "'");
                    }
                    for (String old : g.users) { UserConfig.User u = cfg.users.get(old); if (u != null) u.groups.remove(groupid); }
                    g.users.clear();
                    for (String member : dg.members()) {
                        String userid = member + suffix;
                        UserConfig.User u = cfg.users.get(userid);
                        if (u == null) continue;
                        g.users.add(userid);
                        u.groups.add(groupid);
                    }
                }
                for (String groupid : new ArrayList<>(cfg.groups.keySet())) {
                    if (!groupid.endsWith(gsuffix) || seen.contains(groupid)) continue;
                    if (removeVanished.contains("acl")) {
                        for (UserConfig.AclNode node : cfg.acl.values()) node.groups.remove(groupid);
                        log.add("removed acls of vanished group '" + groupid + "'");
                    }
                    if (removeVanished.contains("entry")) {
                        cfg.groups.remove(groupid);
                        for (UserConfig.User u : cfg.users.values()) u.groups.remove(groupid);
                        log.add("removed vanished group '" + groupid + "'");
                    }
                }
            }
            cfg.acl.values().removeIf(UserConfig.AclNode::isEmpty);
            return null;
        };
        if (dryRun) {
            apply.apply(ac.userConfig().copy());
            log.add("NOTE: dry-run, no changes were written");
        } else {
            locked("sync failed", apply);
            log.add("successfully updated " + (scope.equals("both") ? "users and groups" : scope) + " configuration");
        }
        return log;
    }

    // ---- TFA ----------------------------------------------------------------------------------------------

    /** PVE's re-authentication for user modifications: non-root callers confirm with their own password. */
    public void reauth(String authid, String password, String paramName) {
        if ("root@pam".equals(authid)) return;
        if (Ids.isTokenId(authid)) throw new Checks.Denied("API tokens cannot modify user settings");
        if (password == null) throw ParamException.of(paramName, "password is required to modify user");
        try {
            ac.verifyPassword(authid, password, null);
        } catch (AuthenticationException e) {
            throw new AccessException("authentication failure");
        }
    }

    private static Map<String, Object> tfaEntry(TfaConfig.Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", e.type());
        m.put("id", e.id());
        m.put("description", e.description());
        m.put("created", e.created());
        if (!e.enable()) m.put("enable", 0);
        return m;
    }

    /** {@code GET /access/tfa}: every user's entries when the caller may audit users, else only the caller's. */
    public List<Map<String, Object>> listAllTfa(String authid) {
        TfaConfig tfa = ac.tfaConfig();
        boolean all = can(authid, "/access/users", true, "User.Modify", "Sys.Audit") || can(authid, "/access/groups", true, "User.Modify", "Sys.Audit");
        String self = Ids.ownerOf(authid);
        List<Map<String, Object>> out = new ArrayList<>();
        for (String userid : tfa.userIds()) {
            if (!all && !userid.equals(self)) continue;
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("userid", userid);
            List<Map<String, Object>> entries = new ArrayList<>();
            for (TfaConfig.Entry e : tfa.entries(userid)) entries.add(tfaEntry(e));
            m.put("entries", entries);
            m.putAll(tfa.lockInfo(userid));
            out.add(m);
        }
        return out;
    }

    public List<Map<String, Object>> listUserTfa(String userid) {
        if (!ac.userConfig().users.containsKey(userid)) throw new AccessException("no such user ('" + userid + "')");
        List<Map<String, Object>> out = new ArrayList<>();
        for (TfaConfig.Entry e : ac.tfaConfig().entries(userid)) out.add(tfaEntry(e));
        return out;
    }

    public Map<String, Object> readTfa(String userid, String id) {
        TfaConfig.Entry e = ac.tfaConfig().entry(userid, id);
        if (e == null) throw new AccessException("no such tfa entry '" + id + "'");
        Map<String, Object> m = tfaEntry(e);
        return m;
    }

    /** {@code POST /access/tfa/{userid}}: add a TOTP ({@code totp} uri confirmed by {@code value}) or recovery keys. */
    public Map<String, Object> addTfa(String authid, String userid, Map<String, ?> p) {
        reauth(authid, str(p, "password"), "password");
        if (!ac.userConfig().users.containsKey(userid)) throw new AccessException("no such user ('" + userid + "')");
        String type = str(p, "type");
        String description = str(p, "description");
        long now = ac.clock().epochSeconds();
        Map<String, Object> out = new LinkedHashMap<>();
        switch (type == null ? "" : type) {
            case "totp" -> {
                String uri = str(p, "totp");
                if (uri == null) throw ParamException.of("totp", "parameter is required for type 'totp'");
                String value = str(p, "value");
                if (value == null) throw ParamException.of("value", "parameter is required for type 'totp'");
                Totp totp;
                try {
                    totp = Totp.parseUri(uri);
                } catch (IllegalArgumentException e) {
                    throw ParamException.of("totp", e.getMessage());
                }
                if (!totp.verify(value, now)) throw new AccessException("failed to verify TOTP challenge");
                out.put("id", ac.modifyTfa(t -> t.addTotp(userid, totp, description, now)));
            }
            case "recovery" -> {
                List<String> keys = ac.modifyTfa(t -> t.addRecovery(userid, now));
                out.put("id", "recovery");
                out.put("recovery", keys);
            }
            case "webauthn" -> {
                WebAuthn.Config cfg = ac.webAuthnConfig().orElseThrow(() -> new AccessException("no webauthn configuration available"));
                String value = str(p, "value");
                if (value == null) {
                    // first call: hand out the creation options; the client answers with them as 'challenge'
                    List<WebAuthn.Credential> existing = ac.tfaConfig().webAuthn(userid).stream().map(TfaConfig.WebAuthnEntry::credential).toList();
                    out.put("challenge", WebAuthn.creationOptions(cfg, userid, ac.webAuthnRegistrationChallenge(userid), existing));
                    return out;
                }
                String options = str(p, "challenge");
                if (options == null) throw ParamException.of("challenge", "parameter is required when answering a webauthn challenge");
                String challenge;
                try {
                    challenge = tools.jackson.databind.json.JsonMapper.builder().build().readTree(options).path("publicKey").path("challenge").asString(null);
                } catch (RuntimeException e) {
                    challenge = null;
                }
                if (challenge == null || !ac.checkWebAuthnRegistrationChallenge(userid, challenge))
                    throw new AccessException("webauthn: invalid or expired registration challenge");
                WebAuthn.Credential cred;
                try {
                    cred = WebAuthn.register(cfg, challenge, value);
                } catch (AuthenticationException e) {
                    throw new AccessException(e.getMessage());
                }
                for (TfaConfig.WebAuthnEntry e : ac.tfaConfig().webAuthn(userid))
                    if (java.util.Arrays.equals(e.credential().id(), cred.id())) throw new AccessException("webauthn: credential already registered");
                out.put("id", ac.modifyTfa(t -> t.addWebAuthn(userid, cred, description, now)));
            }
            case "u2f", "yubico" -> throw ParamException.of("type", "TFA type '" + type + "' is not supported on this server");
            default -> throw ParamException.of("type", "value '" + type + "' does not have a value in the enumeration 'totp, u2f, webauthn, recovery, yubico'");
        }
        markTfa(userid);
        return out;
    }

    public void updateTfa(String authid, String userid, String id, Map<String, ?> p) {
        reauth(authid, str(p, "password"), "password");
        boolean found = ac.modifyTfa(t -> t.update(userid, id, str(p, "description"), bool(p, "enable")));
        if (!found) throw new AccessException("no such tfa entry '" + id + "'");
    }

    public void deleteTfa(String authid, String userid, String id, String password) {
        reauth(authid, password, "password");
        boolean found = ac.modifyTfa(t -> t.delete(userid, id));
        if (!found) throw new AccessException("no such tfa entry '" + id + "'");
        markTfa(userid);
    }

    /** Keep the {@code keys} marker of user.cfg ("x": factors live in tfa.cfg) in step with tfa.cfg. */
    private void markTfa(String userid) {
        boolean has = !ac.tfaConfig().entries(userid).isEmpty();
        UserConfig.User u = ac.userConfig().users.get(userid);
        if (u == null) return;
        if (has && u.keys == null) ac.modifyUserConfig(c -> { c.users.get(userid).keys = "x"; return null; });
        else if (!has && "x".equals(u.keys)) ac.modifyUserConfig(c -> { c.users.get(userid).keys = null; return null; });
    }

    /** {@code GET /access/users/{userid}/tfa}: the realm's TFA type and the user's factor types. */
    public Map<String, Object> userTfaTypes(String userid, boolean multiple) {
        Ids.UserId id = parseUserParam(userid);
        Map<String, Object> out = new LinkedHashMap<>();
        ac.domains().realm(id.realm()).flatMap(s -> s.get("tfa"))
                .map(t -> org.haven.core.format.PropertyString.parse(t, "type").get("type")).ifPresent(t -> out.put("realm", t));
        TfaConfig tfa = ac.tfaConfig();
        TreeSet<String> types = new TreeSet<>();
        for (TfaConfig.Entry e : tfa.entries(id.userid())) types.add(e.type());
        if (!multiple) out.put("types", new ArrayList<>(types));
        else if (!types.isEmpty()) out.put("user", types.size() == 1 ? types.first() : "multiple");
        out.putAll(tfa.lockInfo(id.userid()));
        return out;
    }

    public boolean unlockTfa(String userid) {
        if (!ac.userConfig().users.containsKey(userid)) throw new AccessException("no such user ('" + userid + "')");
        return ac.modifyTfa(t -> t.unlock(userid));
    }
}
