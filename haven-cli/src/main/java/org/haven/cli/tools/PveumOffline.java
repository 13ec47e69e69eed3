package org.haven.cli.tools;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.haven.access.AccessAdmin;
import org.haven.access.AccessControl;
import org.haven.access.AccessException;
import org.haven.access.Checks;
import org.haven.api.cli.CliInvocation;
import org.haven.cli.Output;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.schema.ParamException;
import org.haven.core.time.Clock;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code pveum --local DIR <command> …}: runs pveum commands without a daemon, directly on a directory holding the
 * cluster configuration files ({@code user.cfg}, {@code domains.cfg}, {@code priv/…}, as in {@code /etc/pve}), as
 * root@pam. Reading commands ({@code user list}, {@code user permissions}, {@code acl list}, …) evaluate a
 * {@code user.cfg} offline; changing commands edit the files in place.
 */
final class PveumOffline {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final String ROOT = "root@pam";

    private PveumOffline() {}

    @FunctionalInterface
    interface Action { Object run(AccessAdmin a, Map<String, String> p); }

    record Cmd(String words, List<String> positional, List<String> options, Set<String> flags, Action action, String[] columns) {}

    private static final List<String> USER_OPTS = List.of("comment", "email", "enable", "expire", "firstname", "groups", "keys", "lastname", "password", "append");

    static final List<Cmd> COMMANDS = List.of(
            new Cmd("user list", List.of(), List.of("enabled", "full"), Set.of("enabled", "full"),
                    (a, p) -> a.listUsers(ROOT, p.containsKey("enabled") ? !"0".equals(p.get("enabled")) : null, "1".equals(p.get("full"))),
                    new String[]{"userid", "comment", "email", "enable", "expire", "firstname", "groups", "keys", "lastname", "realm-type"}),
            new Cmd("user permissions", List.of("userid"), List.of("path"), Set.of(),
                    (a, p) -> a.accessControl().permissionMap(p.getOrDefault("userid", ROOT), p.get("path")), null),
            new Cmd("user token permissions", List.of("userid", "tokenid"), List.of("path"), Set.of(),
                    (a, p) -> a.accessControl().permissionMap(p.get("userid") + "!" + p.get("tokenid"), p.get("path")), null),
            new Cmd("user token list", List.of("userid"), List.of(), Set.of(), (a, p) -> a.listTokens(p.get("userid")),
                    new String[]{"tokenid", "comment", "expire", "privsep"}),
            new Cmd("user add", List.of("userid"), USER_OPTS, Set.of("enable"), (a, p) -> { a.createUser(ROOT, p); return null; }, null),
            new Cmd("useradd", List.of("userid"), USER_OPTS, Set.of("enable"), (a, p) -> { a.createUser(ROOT, p); return null; }, null),
            new Cmd("user modify", List.of("userid"), USER_OPTS, Set.of("enable", "append"), (a, p) -> { a.updateUser(ROOT, p); return null; }, null),
            new Cmd("usermod", List.of("userid"), USER_OPTS, Set.of("enable", "append"), (a, p) -> { a.updateUser(ROOT, p); return null; }, null),
            new Cmd("user delete", List.of("userid"), List.of(), Set.of(), (a, p) -> { a.deleteUser(ROOT, p.get("userid")); return null; }, null),
            new Cmd("userdel", List.of("userid"), List.of(), Set.of(), (a, p) -> { a.deleteUser(ROOT, p.get("userid")); return null; }, null),
            new Cmd("group list", List.of(), List.of(), Set.of(), (a, p) -> a.listGroups(ROOT), new String[]{"groupid", "comment", "users"}),
            new Cmd("group add", List.of("groupid"), List.of("comment"), Set.of(), (a, p) -> { a.createGroup(p.get("groupid"), p.get("comment")); return null; }, null),
            new Cmd("groupadd", List.of("groupid"), List.of("comment"), Set.of(), (a, p) -> { a.createGroup(p.get("groupid"), p.get("comment")); return null; }, null),
            new Cmd("group delete", List.of("groupid"), List.of(), Set.of(), (a, p) -> { a.deleteGroup(p.get("groupid")); return null; }, null),
            new Cmd("groupdel", List.of("groupid"), List.of(), Set.of(), (a, p) -> { a.deleteGroup(p.get("groupid")); return null; }, null),
            new Cmd("role list", List.of(), List.of(), Set.of(), (a, p) -> a.listRoles(), new String[]{"roleid", "privs", "special"}),
            new Cmd("role add", List.of("roleid"), List.of("privs"), Set.of(), (a, p) -> { a.createRole(p.get("roleid"), p.get("privs")); return null; }, null),
            new Cmd("roleadd", List.of("roleid"), List.of("privs"), Set.of(), (a, p) -> { a.createRole(p.get("roleid"), p.get("privs")); return null; }, null),
            new Cmd("role modify", List.of("roleid"), List.of("privs", "append"), Set.of("append"),
                    (a, p) -> { a.updateRole(p.get("roleid"), p.get("privs"), "1".equals(p.get("append"))); return null; }, null),
            new Cmd("rolemod", List.of("roleid"), List.of("privs", "append"), Set.of("append"),
                    (a, p) -> { a.updateRole(p.get("roleid"), p.get("privs"), "1".equals(p.get("append"))); return null; }, null),
            new Cmd("role delete", List.of("roleid"), List.of(), Set.of(), (a, p) -> { a.deleteRole(p.get("roleid")); return null; }, null),
            new Cmd("roledel", List.of("roleid"), List.of(), Set.of(), (a, p) -> { a.deleteRole(p.get("roleid")); return null; }, null),
            new Cmd("acl list", List.of(), List.of(), Set.of(), (a, p) -> a.readAcl(ROOT), new String[]{"path", "roleid", "type", "ugid", "propagate"}),
            new Cmd("acl modify", List.of("path"), List.of("roles", "users", "groups", "tokens", "propagate"), Set.of("propagate"),
                    (a, p) -> { a.updateAcl(ROOT, p); return null; }, null),
            new Cmd("aclmod", List.of("path"), List.of("roles", "users", "groups", "tokens", "propagate"), Set.of("propagate"),
                    (a, p) -> { a.updateAcl(ROOT, p); return null; }, null),
            new Cmd("acl delete", List.of("path"), List.of("roles", "users", "groups", "tokens"), Set.of(),
                    (a, p) -> { p.put("delete", "1"); a.updateAcl(ROOT, p); return null; }, null),
            new Cmd("acldel", List.of("path"), List.of("roles", "users", "groups", "tokens"), Set.of(),
                    (a, p) -> { p.put("delete", "1"); a.updateAcl(ROOT, p); return null; }, null),
            new Cmd("pool list", List.of(), List.of("poolid"), Set.of(), (a, p) -> a.listPools(ROOT, p.get("poolid"), null), new String[]{"poolid", "comment"}),
            new Cmd("pool add", List.of("poolid"), List.of("comment"), Set.of(), (a, p) -> { a.createPool(p.get("poolid"), p.get("comment")); return null; }, null),
            new Cmd("pool modify", List.of("poolid"), List.of("comment", "vms", "storage", "delete", "allow-move"), Set.of("delete", "allow-move"),
                    (a, p) -> { a.updatePool(ROOT, p.get("poolid"), p); return null; }, null),
            new Cmd("pool delete", List.of("poolid"), List.of(), Set.of(), (a, p) -> { a.deletePool(p.get("poolid")); return null; }, null),
            new Cmd("realm list", List.of(), List.of(), Set.of(), (a, p) -> a.listRealms(), new String[]{"realm", "type", "comment"}));

    /** Unique-prefix match as Getopt::Long does it; null when unknown or ambiguous. */
    static String abbrev(String given, List<String> names) {
        if (names.contains(given)) return given;
        String found = null;
        for (String n : names) {
            if (n.startsWith(given)) {
                if (found != null) return null;
                found = n;
            }
        }
        return found;
    }

    static int run(CliInvocation inv) {
        PrintStream out = inv.out(), err = inv.err();
        List<String> args = new ArrayList<>(inv.args());
        if (args.isEmpty()) { err.println("400 not enough arguments"); err.println("USAGE: pveum --local <dir> <command> [ARGS] [OPTIONS]"); return 255; }
        Path dir = Path.of(args.remove(0));
        if (!Files.isDirectory(dir)) { err.println("directory '" + dir + "' does not exist"); return 255; }
        Cmd cmd = null;
        int len = 0;
        for (Cmd c : COMMANDS) {
            String[] w = c.words().split(" ");
            if (w.length > args.size() || w.length <= len) continue;
            boolean ok = true;
            for (int i = 0; i < w.length; i++) if (!w[i].equals(args.get(i))) { ok = false; break; }
            if (ok) { cmd = c; len = w.length; }
        }
        if (cmd == null) {
            err.println("ERROR: unknown command 'pveum --local " + dir + " " + String.join(" ", args) + "'");
            err.println("USAGE: pveum --local <dir> <command> [ARGS] [OPTIONS], with <command> one of:");
            for (Cmd c : COMMANDS) err.println("       " + c.words());
            return 255;
        }
        List<String> rest = args.subList(len, args.size());
        Map<String, String> p = new LinkedHashMap<>();
        List<String> positional = new ArrayList<>();
        String format = "text";
        for (int i = 0; i < rest.size(); i++) {
            String a = rest.get(i);
            if (a.startsWith("-") && a.length() > 1 && !a.matches("-\\d+")) {
                String n = a.replaceFirst("^--?", "");
                String v = null;
                int eq = n.indexOf('=');
                if (eq >= 0) { v = n.substring(eq + 1); n = n.substring(0, eq); }
                List<String> known = new ArrayList<>(cmd.options());
                known.add("output-format");
                String full = abbrev(n, known);
                if (full == null) { err.println("Unknown option: '" + a + "'"); err.println("400 unable to parse option"); return 255; }
                boolean hasNext = i + 1 < rest.size() && !(rest.get(i + 1).startsWith("-") && rest.get(i + 1).length() > 1 && !rest.get(i + 1).matches("-\\d+"));
                if (v == null) {
                    if (cmd.flags().contains(full) && !(hasNext && rest.get(i + 1).matches("0|1|yes|no|true|false|on|off"))) v = "1";
                    else if (!hasNext) { err.println("Missing required parameter for option '" + a + "'"); err.println("400 unable to parse option"); return 255; }
                    else v = rest.get(++i);
                }
                if (full.equals("output-format")) format = v;
                else p.put(full, v);
            } else {
                positional.add(a);
            }
        }
        if (positional.size() > cmd.positional().size()) { err.println("400 too many arguments"); return 255; }
        for (int i = 0; i < positional.size(); i++) p.put(cmd.positional().get(i), positional.get(i));
        for (String req : cmd.positional()) {
            if (!p.containsKey(req) && !(cmd.words().equals("user permissions") && req.equals("userid"))) {
                err.println("400 not enough arguments");
                err.println("USAGE: pveum --local <dir> " + cmd.words() + " " + String.join(" ", cmd.positional().stream().map(x -> "<" + x + ">").toList()));
                return 255;
            }
        }
        try {
            AccessAdmin admin = new AccessAdmin(new AccessControl(openDirectory(dir), Clock.SYSTEM));
            Object result = cmd.action().run(admin, p);
            if (result == null) return 0;
            JsonNode data = JSON.valueToTree(result);
            if (format.equals("json")) out.println(Output.json(data, false, 0));
            else if (format.equals("json-pretty")) out.println(Output.json(data, true, 0));
            else if (cmd.columns() == null) Pveum.PERMISSIONS.print(data, out);
            else Output.print(out, data, null, List.of(cmd.columns()), Pveum.TEXT);
            return 0;
        } catch (ParamException e) {
            err.println("400 Parameter verification failed.");
            e.errors().forEach((k, v) -> err.println(k + ": " + v));
            return 255;
        } catch (AccessException | Checks.Denied | IllegalArgumentException | IllegalStateException e) {
            err.println(e.getMessage());
            return 255;
        }
    }

    /**
     * The directory-backed cluster file system of haven-cfs ({@code org.haven.cfs.LocalClusterFs}, part of the
     * installed tool jar); looked up by name because the client-side CLI module does not depend on haven-cfs.
     */
    static ClusterFs openDirectory(Path dir) {
        try {
            return (ClusterFs) Class.forName("org.haven.cfs.LocalClusterFs").getConstructor(Path.class, String.class)
                    .newInstance(dir, "localhost");
        } catch (java.lang.reflect.InvocationTargetException e) {
            Throwable c = e.getCause();
            throw new IllegalStateException("cannot open '" + dir + "': " + (c.getMessage() == null ? c.toString() : c.getMessage()), c);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("offline mode needs haven-cfs on the class path: " + e);
        }
    }
}
