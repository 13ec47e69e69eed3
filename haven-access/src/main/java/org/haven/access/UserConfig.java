package org.haven.access;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.haven.core.format.ConfigText;

/**
 * The model of PVE's {@code user.cfg}: users (with their API tokens), groups, pools, custom roles and the ACL.
 * {@link #parse} follows PVE's parser (invalid lines are reported in {@link #warnings()} and skipped) and
 * {@link #write} produces PVE's canonical text, so a file written by PVE is reproduced byte for byte.
 * Built-in roles are always present and never written.
 */
public final class UserConfig {

    public static final class User {
        public boolean enable = true;
        public long expire;
        public String firstname;
        public String lastname;
        public String email;
        public String comment;
        /** Raw {@code keys} field (TFA marker or legacy key ids). */
        public String keys;
        public final TreeSet<String> groups = new TreeSet<>();
        public final TreeMap<String, Token> tokens = new TreeMap<>();

        public User copy() {
            User u = new User();
            u.enable = enable; u.expire = expire; u.firstname = firstname; u.lastname = lastname;
            u.email = email; u.comment = comment; u.keys = keys;
            u.groups.addAll(groups);
            tokens.forEach((k, v) -> u.tokens.put(k, v.copy()));
            return u;
        }
    }

    public static final class Token {
        public boolean privsep = true;
        public long expire;
        public String comment;

        public Token copy() {
            Token t = new Token();
            t.privsep = privsep; t.expire = expire; t.comment = comment;
            return t;
        }
    }

    public static final class Group {
        public String comment;
        public final TreeSet<String> users = new TreeSet<>();
    }

    public static final class Pool {
        public String comment;
        /** VM ids as decimal strings, in PVE's (string) order. */
        public final TreeSet<String> vms = new TreeSet<>();
        public final TreeSet<String> storage = new TreeSet<>();
    }

    /** ACL entries on one path: member → (role → propagate). */
    public static final class AclNode {
        public final TreeMap<String, TreeMap<String, Boolean>> users = new TreeMap<>();
        public final TreeMap<String, TreeMap<String, Boolean>> groups = new TreeMap<>();
        public final TreeMap<String, TreeMap<String, Boolean>> tokens = new TreeMap<>();

        public boolean isEmpty() { return users.isEmpty() && groups.isEmpty() && tokens.isEmpty(); }
    }

    /** Orders ACL paths as PVE's tree walk does: parent before children, siblings by name. */
    public static final Comparator<String> PATH_ORDER = (a, b) -> {
        String[] x = components(a), y = components(b);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            int c = x[i].compareTo(y[i]);
            if (c != 0) return c;
        }
        return Integer.compare(x.length, y.length);
    };

    private static String[] components(String path) {
        if (path.equals("/")) return new String[0];
        return Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }

    public final TreeMap<String, User> users = new TreeMap<>();
    public final TreeMap<String, Group> groups = new TreeMap<>();
    public final TreeMap<String, Pool> pools = new TreeMap<>();
    /** All roles, built-in ones included. */
    public final TreeMap<String, TreeSet<String>> roles = new TreeMap<>();
    public final TreeMap<String, AclNode> acl = new TreeMap<>(PATH_ORDER);
    /** vmid → pool. */
    public final TreeMap<String, String> vmPool = new TreeMap<>();
    private final List<String> warnings = new ArrayList<>();

    public UserConfig() {
        forceDefaults();
    }

    public List<String> warnings() { return warnings; }

    private void forceDefaults() {
        Privileges.BUILTIN_ROLES.forEach((k, v) -> roles.put(k, new TreeSet<>(v)));
        users.computeIfAbsent("root@pam", k -> new User());
    }

    // ---- lookups used by the evaluator ------------------------------------------------------------

    public Token token(String tokenid) {
        if (!Ids.isTokenId(tokenid)) return null;
        Ids.TokenId t = Ids.parseTokenId(tokenid);
        User u = users.get(t.userid());
        return u == null ? null : u.tokens.get(t.name());
    }

    public AclNode aclNode(String path) { return acl.computeIfAbsent(path, k -> new AclNode()); }

    /** Pools containing the storage {@code storeid}. */
    public List<String> poolsWithStorage(String storeid) {
        List<String> out = new ArrayList<>();
        pools.forEach((name, p) -> { if (p.storage.contains(storeid)) out.add(name); });
        return out;
    }

    // ---- parse ---------------------------------------------------------------------------------------

    private static final Pattern STORAGE_ID = Pattern.compile("(?i)[a-z][a-z0-9\\-_.]*[a-z0-9]");

    public static UserConfig parse(String text) {
        UserConfig cfg = new UserConfig();
        if (text == null) return cfg;
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            if (line.isEmpty()) continue;
            String[] f = line.split(":", -1);
            for (int i = 0; i < f.length; i++) f[i] = f[i].strip();
            cfg.parseLine(line, f);
        }
        // a group's line names its members, as PVE's permission check reads it: a user declared after that line is a member too
        cfg.groups.forEach((name, g) -> g.users.forEach(m -> {
            User u = cfg.users.get(m);
            if (u != null) u.groups.add(name);
        }));
        return cfg;
    }

    private static String field(String[] f, int i) { return i < f.length ? f[i] : ""; }

    private void warn(String msg) { warnings.add("user config - " + msg); }

    private void parseLine(String line, String[] f) {
        String et = f[0];
        switch (et) {
            case "user" -> {
                String userid = field(f, 1);
                if (!Ids.isUserId(userid)) { warn("ignore user '" + userid + "' - invalid user name"); return; }
                String expire = field(f, 3);
                if (expire.isEmpty()) expire = "0";
                if (!expire.matches("\\d+")) {
                    warn("ignore user '" + userid + "' - (illegal characters in expire '" + expire + "')");
                    return;
                }
                User u = new User();
                u.enable = truthy(field(f, 2));
                u.expire = parseLongSafe(expire);
                u.firstname = decodeOrNull(field(f, 4));
                u.lastname = decodeOrNull(field(f, 5));
                u.email = emptyToNull(field(f, 6));
                u.comment = decodeOrNull(field(f, 7));
                u.keys = emptyToNull(field(f, 8));
                User old = users.get(userid);
                if (old != null) { u.groups.addAll(old.groups); u.tokens.putAll(old.tokens); }
                users.put(userid, u);
            }
            case "group" -> {
                String group = field(f, 1);
                if (!Ids.isGroupName(group)) { warn("ignore group '" + group + "' - invalid characters in group name"); return; }
                Group g = groups.computeIfAbsent(group, k -> new Group());
                String comment = decodeOrNull(field(f, 3));
                if (comment != null) g.comment = comment;
                for (String member : splitList(field(f, 2))) {
                    if (!Ids.isUserId(member)) { warn("ignore invalid group member '" + member + "'"); continue; }
                    User u = users.get(member);
                    if (u != null) u.groups.add(group);
                    else warn("ignore invalid group member '" + member + "'");
                    g.users.add(member);
                }
            }
            case "role" -> {
                String role = field(f, 1);
                if (!Ids.isRoleName(role)) { warn("ignore role '" + role + "' - invalid characters in role name"); return; }
                if (Privileges.isBuiltinRole(role)) { warn("ignore role '" + role + "' - built-in role"); return; }
                TreeSet<String> privs = roles.computeIfAbsent(role, k -> new TreeSet<>());
                for (String p : splitList(field(f, 2))) {
                    if (Privileges.isValid(p)) privs.add(p);
                    else warn("ignore invalid privilege '" + p + "'");
                }
            }
            case "acl" -> {
                boolean propagate = truthy(field(f, 1));
                String pathtxt = field(f, 2);
                String path = Ids.normalizePath(pathtxt);
                if (path == null) { warn("ignore invalid path in acl '" + pathtxt + "'"); return; }
                for (String role : splitList(field(f, 4))) {
                    if (!roles.containsKey(role)) { warn("ignore invalid acl role '" + role + "'"); continue; }
                    for (String ug : splitList(field(f, 3))) {
                        if (ug.startsWith("@") && Ids.isGroupName(ug.substring(1))) {
                            String group = ug.substring(1);
                            if (!groups.containsKey(group)) warn("ignore invalid acl group '" + group + "'");
                            aclNode(path).groups.computeIfAbsent(group, k -> new TreeMap<>()).put(role, propagate);
                        } else if (Ids.isUserId(ug)) {
                            if (!users.containsKey(ug)) warn("ignore invalid acl member '" + ug + "'");
                            aclNode(path).users.computeIfAbsent(ug, k -> new TreeMap<>()).put(role, propagate);
                        } else if (Ids.isTokenId(ug)) {
                            if (token(ug) != null) aclNode(path).tokens.computeIfAbsent(ug, k -> new TreeMap<>()).put(role, propagate);
                            else warn("ignore invalid acl token '" + ug + "'");
                        } else {
                            warn("invalid user/group '" + ug + "' in acl");
                        }
                    }
                }
            }
            case "pool" -> {
                String pool = field(f, 1);
                if (!Ids.isPoolName(pool)) { warn("ignore pool '" + pool + "' - invalid characters in pool name"); return; }
                Pool p = pools.computeIfAbsent(pool, k -> new Pool());
                String comment = decodeOrNull(field(f, 2));
                if (comment != null) p.comment = comment;
                for (String vmid : splitList(field(f, 3))) {
                    if (!vmid.matches("\\d+")) { warn("ignore invalid vmid '" + vmid + "' in pool '" + pool + "'"); continue; }
                    String v = Long.toString(parseLongSafe(vmid));
                    if (vmPool.containsKey(v)) { warn("ignore duplicate vmid '" + v + "' in pool '" + pool + "'"); continue; }
                    p.vms.add(v);
                    vmPool.put(v, pool);
                }
                for (String storeid : splitList(field(f, 4))) {
                    if (!STORAGE_ID.matcher(storeid).matches()) {
                        warn("ignore invalid storage '" + storeid + "' in pool '" + pool + "'");
                        continue;
                    }
                    p.storage.add(storeid);
                }
            }
            case "token" -> {
                String tokenid = field(f, 1);
                if (!Ids.isTokenId(tokenid)) { warn("ignore invalid tokenid '" + tokenid + "'"); return; }
                String expire = field(f, 2);
                if (expire.isEmpty()) expire = "0";
                if (!expire.matches("\\d+")) {
                    warn("ignore token '" + tokenid + "' - (illegal characters in expire '" + expire + "')");
                    return;
                }
                Ids.TokenId t = Ids.parseTokenId(tokenid);
                User u = users.get(t.userid());
                if (u == null) { warn("ignore token '" + tokenid + "' - user does not exist"); return; }
                Token tok = u.tokens.computeIfAbsent(t.name(), k -> new Token());
                tok.privsep = truthy(field(f, 3));
                tok.expire = parseLongSafe(expire);
                String comment = decodeOrNull(field(f, 4));
                if (comment != null) tok.comment = comment;
            }
            default -> warn("ignore config line: " + line);
        }
    }

    // ---- write ---------------------------------------------------------------------------------------

    /**
     * PVE's canonical text. Free-text fields are percent-encoded; every other field is written raw, so it is refused
     * (see {@link ConfigText}) when it holds a line break, a ':' or, in a list, a list separator, or when the parser
     * would not read it back (an invalid ID, path or privilege).
     */
    public String write() {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, User> e : users.entrySet()) {
            User d = e.getValue();
            String userid = id("userid", e.getKey(), Ids::isUserId);
            out.append("user:").append(userid).append(':').append(d.enable ? 1 : 0).append(':').append(d.expire).append(':')
                    .append(enc(d.firstname)).append(':').append(enc(d.lastname)).append(':')
                    .append(raw("email", d.email)).append(':').append(enc(d.comment)).append(':')
                    .append(raw("keys", d.keys)).append(":\n");
            for (Map.Entry<String, Token> t : d.tokens.entrySet()) {
                Token td = t.getValue();
                out.append("token:").append(userid).append('!').append(id("tokenid", t.getKey(), Ids::isTokenSubId)).append(':')
                        .append(td.expire).append(':').append(td.privsep ? 1 : 0).append(':').append(enc(td.comment)).append(":\n");
            }
        }
        out.append('\n');
        groups.forEach((name, g) -> out.append("group:").append(id("groupid", name, Ids::isGroupName)).append(':')
                .append(list("users", g.users, Ids::isUserId)).append(':').append(enc(g.comment)).append(":\n"));
        out.append('\n');
        pools.forEach((name, p) -> out.append("pool:").append(id("poolid", name, Ids::isPoolName)).append(':').append(enc(p.comment)).append(':')
                .append(list("vms", p.vms, v -> v.matches("0|[1-9][0-9]{0,17}"))).append(':')
                .append(list("storage", p.storage, v -> STORAGE_ID.matcher(v).matches())).append(":\n"));
        out.append('\n');
        roles.forEach((name, privs) -> {
            if (!Privileges.isBuiltinRole(name))
                out.append("role:").append(id("roleid", name, Ids::isRoleName)).append(':').append(list("privs", privs, Privileges::isValid)).append(":\n");
        });
        out.append('\n');
        acl.forEach((path, node) -> {
            id("path", path, p -> p.equals(Ids.normalizePath(p)));
            list("groups", node.groups.keySet(), Ids::isGroupName);
            list("users", node.users.keySet(), Ids::isUserId);
            list("tokens", node.tokens.keySet(), Ids::isTokenId);
            for (var members : List.of(node.users, node.groups, node.tokens))
                members.values().forEach(r -> list("roles", r.keySet(), Ids::isRoleName));
            // propagate flag → role list → members
            List<TreeMap<String, TreeSet<String>>> byProp = List.of(new TreeMap<>(), new TreeMap<>());
            collect(node.groups, "@", null, byProp);
            collect(node.users, "", "root@pam", byProp);
            collect(node.tokens, "", null, byProp);
            for (int prop = 0; prop <= 1; prop++) {
                for (Map.Entry<String, TreeSet<String>> rl : byProp.get(prop).entrySet()) {
                    out.append("acl:").append(prop).append(':').append(path).append(':')
                            .append(String.join(",", rl.getValue())).append(':').append(rl.getKey()).append(":\n");
                }
            }
        });
        return out.toString();
    }

    /** An ID field: one token the parser reads back as the same ID. */
    private static String id(String key, String value, Predicate<String> valid) { return id(key, value, valid, ":"); }

    private static String id(String key, String value, Predicate<String> valid, String delimiters) {
        ConfigText.name(key, value, delimiters);
        if (!valid.test(value)) throw new ConfigText.UnwritableValueException(key, "invalid value '" + value + "' for user.cfg");
        return value;
    }

    /** A comma-separated list of ID fields (the parser splits on ',', ';' and white space). */
    private static String list(String key, Collection<String> values, Predicate<String> valid) {
        for (String v : values) id(key, v, valid, ":,;");
        return String.join(",", values);
    }

    /** A field written as is (email, keys): without ':' and without white space at either end (the parser strips it). */
    private static String raw(String key, String value) {
        if (value == null) return "";
        if (!value.equals(value.strip())) throw new ConfigText.UnwritableValueException(key, "value must not start or end with white space");
        return ConfigText.field(key, value, ":");
    }

    private static void collect(Map<String, TreeMap<String, Boolean>> members, String prefix, String exclude,
                                List<TreeMap<String, TreeSet<String>>> byProp) {
        members.forEach((member, rolemap) -> {
            if (member.equals(exclude)) return;
            List<String> l0 = new ArrayList<>(), l1 = new ArrayList<>();
            rolemap.forEach((role, prop) -> (prop ? l1 : l0).add(role));
            if (!l0.isEmpty()) byProp.get(0).computeIfAbsent(String.join(",", l0), k -> new TreeSet<>()).add(prefix + member);
            if (!l1.isEmpty()) byProp.get(1).computeIfAbsent(String.join(",", l1), k -> new TreeSet<>()).add(prefix + member);
        });
    }

    // ---- helpers -------------------------------------------------------------------------------------

    static boolean truthy(String s) {
        // Perl truthiness: "" and "0" are false
        return !(s.isEmpty() || s.equals("0"));
    }

    private static long parseLongSafe(String digits) {
        try { return Long.parseLong(digits); } catch (NumberFormatException e) { return Long.MAX_VALUE; }
    }

    static List<String> splitList(String s) {
        List<String> out = new ArrayList<>();
        for (String p : s.split("[;,\\s]+")) if (!p.isEmpty()) out.add(p);
        return out;
    }

    private static String emptyToNull(String s) { return s == null || s.isEmpty() ? null : s; }

    private static String decodeOrNull(String s) { return s == null || s.isEmpty() ? null : decodeText(s); }

    private static String enc(String s) { return s == null || s.isEmpty() ? "" : encodeText(s); }

    /** PVE's {@code encode_text}, with spaces at either end encoded (the parser strips fields). */
    public static String encodeText(String text) { return ConfigText.encodeText(text, true); }

    /** PVE's {@code decode_text}. */
    public static String decodeText(String data) { return ConfigText.decodeText(data); }

    /** Deep copy, so a change can be prepared and validated before it is written. */
    public UserConfig copy() {
        return parse(write());
    }

    /** Roles of a user or token directly configured on ACL paths, for listing. */
    public Set<String> aclPaths() { return acl.keySet(); }
}
