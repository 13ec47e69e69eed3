package org.haven.cli.tools;

import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.haven.api.HttpMethod;
import org.haven.api.cli.CliCommand;
import org.haven.api.cli.CliInvocation;
import org.haven.api.cli.CliPrinter;
import org.haven.api.cli.CliTool;
import org.haven.cli.Output;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code pveum}: user, group, role, ACL, realm, pool, API token and TFA management, with PVE's subcommands and
 * the old aliases ({@code useradd}, {@code aclmod}, …). Options come from the bound API methods; PVE's unique
 * abbreviations ({@code -group} for {@code --groups}) are accepted. {@code --password} without a value (user add)
 * and {@code passwd} read the password interactively (or from standard input).
 */
public final class Pveum implements CliTool {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** Text tables with borders and headers; UTF-8 box drawing unless the locale says otherwise. */
    static final Output.Options TEXT = new Output.Options(Output.Format.TEXT, true, true,
            !"C".equals(System.getenv("LC_ALL")) && !"POSIX".equals(System.getenv("LC_ALL")));

    @Override public String name() { return "pveum"; }

    @Override public String description() { return "Proxmox VE User Manager"; }

    private static final String[] USER_COLS = {"userid", "comment", "email", "enable", "expire", "firstname", "groups", "keys", "lastname", "realm-type", "tfa-locked-until", "totp-locked"};

    @Override
    public List<CliCommand> commands() {
        List<CliCommand> c = new ArrayList<>();
        // users
        for (String w : List.of("user add", "useradd")) c.add(userAdd(w));
        for (String w : List.of("user modify", "usermod"))
            c.add(CliCommand.api(w, HttpMethod.PUT, "/access/users/{userid}").positional("userid").output(CliCommand.Output.NONE));
        for (String w : List.of("user delete", "userdel"))
            c.add(CliCommand.api(w, HttpMethod.DELETE, "/access/users/{userid}").positional("userid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("user list", HttpMethod.GET, "/access/users").columns(USER_COLS));
        c.add(CliCommand.api("user permissions", HttpMethod.GET, "/access/permissions").positional("userid").printer(PERMISSIONS));
        c.add(CliCommand.local("user tfa list", inv -> {
            List<String> args = inv.args();
            JsonNode data;
            if (args.isEmpty()) {
                data = inv.client().call(HttpMethod.GET, "/access/tfa", Map.of());
            } else {
                ArrayNode one = JSON.createArrayNode();
                ObjectNode u = one.addObject();
                u.put("userid", args.get(0));
                u.set("entries", inv.client().call(HttpMethod.GET, "/access/tfa/" + args.get(0), Map.of()));
                data = one;
            }
            TFA_LIST.print(data, inv.out());
            return 0;
        }).output(CliCommand.Output.NONE).description("List second-factor entries (all visible users, or the one given)."));
        c.add(CliCommand.local("user tfa delete", HttpMethod.DELETE, "/access/tfa/{userid}/{id}", Pveum::tfaDelete)
                .positional("userid").description("Delete TFA entries from a user (all of them when no --id is given)."));
        c.add(CliCommand.api("user tfa unlock", HttpMethod.PUT, "/access/users/{userid}/unlock-tfa").positional("userid").output(CliCommand.Output.NONE));
        // tokens
        c.add(CliCommand.api("user token add", HttpMethod.POST, "/access/users/{userid}/token/{tokenid}").positional("userid", "tokenid").printer(TOKEN_ADD));
        c.add(CliCommand.api("user token modify", HttpMethod.PUT, "/access/users/{userid}/token/{tokenid}").positional("userid", "tokenid"));
        for (String w : List.of("user token delete", "user token remove"))
            c.add(CliCommand.api(w, HttpMethod.DELETE, "/access/users/{userid}/token/{tokenid}").positional("userid", "tokenid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("user token list", HttpMethod.GET, "/access/users/{userid}/token").positional("userid").columns("tokenid", "comment", "expire", "privsep"));
        c.add(CliCommand.local("user token permissions", HttpMethod.GET, "/access/permissions", inv -> {
            Map<String, Object> p = new LinkedHashMap<>();
            List<String> args = inv.args();
            Object user = inv.params().get("userid");
            Object token = inv.params().get("tokenid");
            if (user == null || token == null) { inv.err().println("400 not enough arguments"); return 255; }
            p.put("userid", user + "!" + token);
            if (inv.params().get("path") != null) p.put("path", inv.params().get("path"));
            PERMISSIONS.print(inv.client().call(HttpMethod.GET, "/access/permissions", p), inv.out());
            return 0;
        }).positional("userid", "tokenid").description("Retrieve effective permissions of given token."));
        // groups
        for (String w : List.of("group add", "groupadd"))
            c.add(CliCommand.api(w, HttpMethod.POST, "/access/groups").positional("groupid").output(CliCommand.Output.NONE));
        for (String w : List.of("group modify", "groupmod"))
            c.add(CliCommand.api(w, HttpMethod.PUT, "/access/groups/{groupid}").positional("groupid").output(CliCommand.Output.NONE));
        for (String w : List.of("group delete", "groupdel"))
            c.add(CliCommand.api(w, HttpMethod.DELETE, "/access/groups/{groupid}").positional("groupid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("group list", HttpMethod.GET, "/access/groups").columns("groupid", "comment", "users"));
        // roles
        for (String w : List.of("role add", "roleadd"))
            c.add(CliCommand.api(w, HttpMethod.POST, "/access/roles").positional("roleid").output(CliCommand.Output.NONE));
        for (String w : List.of("role modify", "rolemod"))
            c.add(CliCommand.api(w, HttpMethod.PUT, "/access/roles/{roleid}").positional("roleid").output(CliCommand.Output.NONE));
        for (String w : List.of("role delete", "roledel"))
            c.add(CliCommand.api(w, HttpMethod.DELETE, "/access/roles/{roleid}").positional("roleid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("role list", HttpMethod.GET, "/access/roles").columns("roleid", "privs", "special"));
        // ACLs
        for (String w : List.of("acl modify", "aclmod"))
            c.add(CliCommand.api(w, HttpMethod.PUT, "/access/acl").positional("path").output(CliCommand.Output.NONE));
        for (String w : List.of("acl delete", "acldel"))
            c.add(CliCommand.api(w, HttpMethod.PUT, "/access/acl").positional("path").fixed("delete", "1").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("acl list", HttpMethod.GET, "/access/acl").columns("path", "roleid", "type", "ugid", "propagate"));
        // realms
        c.add(CliCommand.api("realm add", HttpMethod.POST, "/access/domains").positional("realm").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("realm modify", HttpMethod.PUT, "/access/domains/{realm}").positional("realm").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("realm delete", HttpMethod.DELETE, "/access/domains/{realm}").positional("realm").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("realm list", HttpMethod.GET, "/access/domains").columns("realm", "type", "comment"));
        c.add(CliCommand.api("realm sync", HttpMethod.POST, "/access/domains/{realm}/sync").positional("realm").output(CliCommand.Output.TASK));
        // pools
        c.add(CliCommand.api("pool add", HttpMethod.POST, "/pools").positional("poolid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("pool modify", HttpMethod.PUT, "/pools").positional("poolid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("pool delete", HttpMethod.DELETE, "/pools").positional("poolid").output(CliCommand.Output.NONE));
        c.add(CliCommand.api("pool list", HttpMethod.GET, "/pools").columns("poolid", "comment", "members"));
        // tickets
        c.add(CliCommand.local("ticket", HttpMethod.POST, "/access/ticket", inv -> {
            Object username = inv.params().get("username");
            if (username == null) { inv.err().println("400 not enough arguments"); return 255; }
            Map<String, Object> p = new LinkedHashMap<>(inv.params());
            if (p.get("password") == null) {
                String pw = readPassword(inv, "Enter password: ", null);
                if (pw == null) return 255;
                p.put("password", pw);
            }
            JsonNode data = inv.client().call(HttpMethod.POST, "/access/ticket", p);
            Output.print(inv.out(), data, null, null, TEXT);
            return 0;
        }).positional("username").description("Create or verify authentication ticket (asks for the password)."));
        // offline on a configuration directory
        c.add(CliCommand.local("--local", PveumOffline::run).output(CliCommand.Output.NONE)
                .description("Run a command without a daemon on a directory holding the configuration files: pveum --local <dir> <command> [ARGS] [OPTIONS]."));
        // password
        c.add(CliCommand.local("passwd", HttpMethod.PUT, "/access/password", Pveum::passwd).positional("userid")
                .description("Change user password (asks for the new password)."));
        return c;
    }

    /** {@code user add}: like the API call, but {@code --password} without a value asks for it. */
    private static CliCommand userAdd(String words) {
        return CliCommand.local(words, inv -> {
            List<String> args = new ArrayList<>(inv.args());
            Map<String, Object> p = new LinkedHashMap<>();
            boolean askPassword = false;
            List<String> names = List.of("comment", "email", "enable", "expire", "firstname", "groups", "keys", "lastname", "password");
            String userid = null;
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (a.startsWith("-") && a.length() > 1) {
                    String n = a.replaceFirst("^--?", "");
                    String value = null;
                    int eq = n.indexOf('=');
                    if (eq >= 0) { value = n.substring(eq + 1); n = n.substring(0, eq); }
                    String full = abbrev(n, names);
                    if (full == null) { inv.err().println("Unknown option: '" + a + "'"); inv.err().println("400 unable to parse option"); return 255; }
                    if (value == null) {
                        boolean hasNext = i + 1 < args.size() && !(args.get(i + 1).startsWith("-") && args.get(i + 1).length() > 1 && !args.get(i + 1).matches("-\\d+"));
                        if (full.equals("password") && !hasNext) { askPassword = true; continue; }
                        if (!hasNext) { inv.err().println("Missing required parameter for option '" + a + "'"); inv.err().println("400 unable to parse option"); return 255; }
                        value = args.get(++i);
                    }
                    p.put(full, value);
                } else if (userid == null) {
                    userid = a;
                } else {
                    inv.err().println("400 too many arguments");
                    return 255;
                }
            }
            if (userid == null) { inv.err().println("400 not enough arguments"); inv.err().println("USAGE: pveum " + words + " <userid> [OPTIONS]"); return 255; }
            p.put("userid", userid);
            if (askPassword) {
                String pw = readPassword(inv, "Enter new password: ", "Retype new password: ");
                if (pw == null) return 255;
                p.put("password", pw);
            }
            inv.client().call(HttpMethod.POST, "/access/users", p);
            return 0;
        }).description("Create new user. Options: --comment, --email, --enable, --expire, --firstname, --groups, --keys, --lastname, "
                + "--password (asked for when given without a value). Unique abbreviations and single dashes are accepted.");
    }

    private static String abbrev(String given, List<String> names) {
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

    private static int passwd(CliInvocation inv) throws IOException {
        Object userid = inv.params().get("userid");
        if (userid == null) { inv.err().println("400 not enough arguments"); return 255; }
        String pw = readPassword(inv, "Enter new password: ", "Retype new password: ");
        if (pw == null) return 255;
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("userid", userid);
        p.put("password", pw);
        Object conf = inv.params().get("confirmation-password");
        if (conf != null) p.put("confirmation-password", conf);
        inv.client().call(HttpMethod.PUT, "/access/password", p);
        return 0;
    }

    private static BufferedReader stdin;

    /** Ask twice on the terminal; without a terminal, read the password (and optional repetition) from stdin. */
    static String readPassword(CliInvocation inv, String prompt, String again) throws IOException {
        Console console = System.console();
        String a, b;
        if (console != null && isTerminal(console)) {
            char[] x = console.readPassword(prompt);
            char[] y = again == null ? x : console.readPassword(again);
            a = x == null ? null : new String(x);
            b = y == null ? null : new String(y);
        } else {
            if (stdin == null) stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            a = stdin.readLine();
            b = again == null ? a : stdin.readLine();
            if (b == null) b = a;
        }
        if (a == null || a.isEmpty()) { inv.err().println("password must not be empty"); return null; }
        if (!a.equals(b)) { inv.err().println("Passwords do not match."); return null; }
        return a;
    }

    /** {@code Console.isTerminal()} (Java 22+; on older runtimes a console exists only for terminals). */
    private static boolean isTerminal(Console c) {
        try {
            return (Boolean) Console.class.getMethod("isTerminal").invoke(c);
        } catch (ReflectiveOperationException e) {
            return true;
        }
    }

    private static int tfaDelete(CliInvocation inv) {
        Object userid = inv.params().get("userid");
        Object id = inv.params().get("id");
        if (userid == null) { inv.err().println("400 not enough arguments"); return 255; }
        List<String> ids = new ArrayList<>();
        if (id != null) ids.add(id.toString());
        else for (JsonNode e : inv.client().call(HttpMethod.GET, "/access/tfa/" + userid, Map.of())) ids.add(e.path("id").asString());
        for (String i : ids) inv.client().call(HttpMethod.DELETE, "/access/tfa/" + userid + "/" + i, Map.of());
        return 0;
    }

    /** Effective permissions as PVE prints them: one row per path, "(*)" marking propagated privileges. */
    static final CliPrinter PERMISSIONS = (data, out) -> {
        ArrayNode rows = JSON.createArrayNode();
        for (String path : new java.util.TreeSet<>(data.propertyNames())) {
            JsonNode privs = data.get(path);
            StringBuilder sb = new StringBuilder();
            for (String priv : new java.util.TreeSet<>(privs.propertyNames())) {
                if (!sb.isEmpty()) sb.append('\n');
                sb.append(priv).append(privs.get(priv).asInt(0) != 0 ? " (*)" : "");
            }
            ObjectNode r = rows.addObject();
            r.put("ACL path", path);
            r.put("Permissions", sb.toString());
        }
        Output.print(out, rows, null, List.of("ACL path", "Permissions"), TEXT);
        out.println("Permissions marked with '(*)' have the 'propagate' flag set.");
    };

    static final CliPrinter TFA_LIST = (data, out) -> {
        ArrayNode rows = JSON.createArrayNode();
        for (JsonNode u : data) {
            for (JsonNode e : u.path("entries")) {
                ObjectNode r = rows.addObject();
                r.put("userid", u.path("userid").asString());
                r.put("type", e.path("type").asString());
                r.put("id", e.path("id").asString());
                r.put("description", e.path("description").asString(""));
                r.put("enable", e.path("enable").asInt(1));
            }
        }
        Output.print(out, rows, null, List.of("userid", "type", "id", "description", "enable"), TEXT);
    };

    static final CliPrinter TOKEN_ADD = (data, out) -> {
        Map<String, String> m = new TreeMap<>();
        m.put("full-tokenid", data.path("full-tokenid").asString());
        m.put("value", data.path("value").asString());
        JsonNode info = data.path("info");
        for (String k : new java.util.TreeSet<>(info.propertyNames())) m.put("info", m.getOrDefault("info", "") + (m.containsKey("info") ? "\n" : "") + k + ": " + info.get(k).asString());
        ArrayNode rows = JSON.createArrayNode();
        for (String k : List.of("full-tokenid", "info", "value")) {
            ObjectNode r = rows.addObject();
            r.put("key", k);
            r.put("value", m.getOrDefault(k, ""));
        }
        Output.print(out, rows, null, List.of("key", "value"), TEXT);
    };
}
