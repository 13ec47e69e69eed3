package org.haven.access;

import java.util.ArrayList;
import java.util.Hashtable;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import javax.naming.AuthenticationException;
import javax.naming.Context;
import javax.naming.NamingEnumeration;
import javax.naming.NamingException;
import javax.naming.directory.Attribute;
import javax.naming.directory.Attributes;
import javax.naming.directory.SearchControls;
import javax.naming.directory.SearchResult;
import javax.naming.ldap.InitialLdapContext;
import javax.naming.ldap.LdapContext;
import javax.naming.ldap.StartTlsRequest;
import javax.naming.ldap.StartTlsResponse;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.format.SectionConfig;

/**
 * The {@code ldap} and {@code ad} realms over JNDI: password check by binding as the user, and the user/group
 * search behind {@code pveum realm sync}. Connection settings follow PVE's realm options ({@code server1},
 * {@code server2}, {@code port}, {@code mode} ldap|ldaps|ldap+starttls or legacy {@code secure}, {@code base_dn},
 * {@code user_attr}, {@code bind_dn} with the password in {@code priv/realm/<realm>.pw} (or the older {@code priv/ldap/<realm>.pw}), {@code filter},
 * {@code user_classes}, {@code group_dn}, {@code group_filter}, {@code group_classes}, {@code group_name_attr},
 * {@code sync_attributes}).
 */
public final class LdapRealm {
    private final ClusterFs fs;

    public LdapRealm(ClusterFs fs) { this.fs = fs; }

    /** A directory user found by the sync search: the user name plus mapped attributes. */
    public record DirUser(String name, String dn, Map<String, String> attributes) {}

    /** A directory group: name and member user names. */
    public record DirGroup(String name, String dn, TreeSet<String> members) {}

    private static String prop(SectionConfig.Section s, String k, String def) { return s.get(k).filter(v -> !v.isEmpty()).orElse(def); }

    private String mode(SectionConfig.Section s) {
        String mode = prop(s, "mode", null);
        if (mode != null) return mode;
        return UserConfig.truthy(prop(s, "secure", "0")) ? "ldaps" : "ldap";
    }

    private List<String> urls(SectionConfig.Section s) {
        String mode = mode(s);
        String scheme = mode.equals("ldaps") ? "ldaps" : "ldap";
        String port = prop(s, "port", mode.equals("ldaps") ? "636" : "389");
        List<String> out = new ArrayList<>();
        for (String k : List.of("server1", "server2")) {
            String host = prop(s, k, null);
            if (host != null) out.add(scheme + "://" + (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host) + ":" + port);
        }
        return out;
    }

    private LdapContext connect(SectionConfig.Section s, String principal, String password) throws NamingException {
        NamingException last = null;
        boolean verify = UserConfig.truthy(prop(s, "verify", "0"));
        javax.net.ssl.SSLSocketFactory tls = mode(s).equals("ldap") ? null : LdapTls.factory(verify, prop(s, "capath", null));
        for (String url : urls(s)) {
            Hashtable<String, Object> env = new Hashtable<>();
            env.put(Context.INITIAL_CONTEXT_FACTORY, "com.sun.jndi.ldap.LdapCtxFactory");
            env.put(Context.PROVIDER_URL, url);
            env.put("com.sun.jndi.ldap.connect.timeout", "5000");
            env.put("com.sun.jndi.ldap.read.timeout", "10000");
            env.put("com.sun.jndi.ldap.connect.pool", "false");
            env.put(Context.REFERRAL, "ignore");
            boolean startTls = mode(s).equals("ldap+starttls");
            if (mode(s).equals("ldaps")) env.put("java.naming.ldap.factory.socket", LdapTls.class.getName());
            try {
                if (!startTls && principal != null) {
                    env.put(Context.SECURITY_AUTHENTICATION, "simple");
                    env.put(Context.SECURITY_PRINCIPAL, principal);
                    env.put(Context.SECURITY_CREDENTIALS, password);
                }
                LdapContext ctx;
                LdapTls.use(tls);
                try {
                    ctx = new InitialLdapContext(env, null);
                } finally {
                    LdapTls.clear();
                }
                if (startTls) {
                    StartTlsResponse resp = (StartTlsResponse) ctx.extendedOperation(new StartTlsRequest());
                    try {
                        if (!verify) resp.setHostnameVerifier((host, session) -> true);
                        resp.negotiate(tls);
                    } catch (java.io.IOException e) {
                        ctx.close();
                        throw new NamingException("STARTTLS failed: " + e.getMessage());
                    }
                    if (principal != null) {
                        ctx.addToEnvironment(Context.SECURITY_AUTHENTICATION, "simple");
                        ctx.addToEnvironment(Context.SECURITY_PRINCIPAL, principal);
                        ctx.addToEnvironment(Context.SECURITY_CREDENTIALS, password);
                        // bind over the protected connection
                        ctx.lookup("");
                    }
                }
                return ctx;
            } catch (AuthenticationException e) {
                throw e;
            } catch (NamingException e) {
                last = e;
            }
        }
        throw last != null ? last : new NamingException("no LDAP server configured");
    }

    private Optional<String> bindPassword(String realm) {
        Optional<String> pw = fs.readString("priv/realm/" + realm + ".pw");
        if (pw.isEmpty()) pw = fs.readString("priv/ldap/" + realm + ".pw");
        return pw.map(String::strip);
    }

    /** A connection for searching: bound as {@code bind_dn} when configured, else anonymous. */
    private LdapContext searchConnection(SectionConfig.Section s) throws NamingException {
        String bindDn = prop(s, "bind_dn", null);
        if (bindDn == null) return connect(s, null, null);
        return connect(s, bindDn, bindPassword(s.id()).orElse(""));
    }

    /** Verify {@code password} of directory user {@code user}; throws the access AuthenticationException. */
    public void authenticate(SectionConfig.Section s, String user, String password) {
        if (password == null || password.isEmpty()) throw new org.haven.access.AuthenticationException("no password");
        try {
            String principal;
            if (s.type().equals("ad")) {
                String domain = prop(s, "domain", null);
                principal = user.contains("@") || domain == null ? user : user + "@" + domain;
            } else {
                principal = userDn(s, user);
            }
            LdapContext ctx = connect(s, principal, password);
            ctx.close();
        } catch (AuthenticationException e) {
            throw new org.haven.access.AuthenticationException("ldap: invalid credentials");
        } catch (NamingException e) {
            throw new org.haven.access.AuthenticationException("ldap error: " + e.getMessage());
        }
    }

    private String userDn(SectionConfig.Section s, String user) throws NamingException {
        String attr = prop(s, "user_attr", "uid");
        String base = prop(s, "base_dn", "");
        if (prop(s, "bind_dn", null) == null) return attr + "=" + escapeDnValue(user) + (base.isEmpty() ? "" : "," + base);
        LdapContext ctx = searchConnection(s);
        try {
            SearchControls sc = new SearchControls();
            sc.setSearchScope(SearchControls.SUBTREE_SCOPE);
            sc.setReturningAttributes(new String[]{attr});
            String filter = "(&(" + attr + "={0})" + prop(s, "filter", "") + ")";
            NamingEnumeration<SearchResult> res = ctx.search(base, filter, new Object[]{user}, sc);
            if (!res.hasMore()) throw new AuthenticationException("user not found");
            return res.next().getNameInNamespace();
        } finally {
            ctx.close();
        }
    }

    private static String escapeDnValue(String v) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < v.length(); i++) {
            char c = v.charAt(i);
            if (",+\"\\<>;=#".indexOf(c) >= 0 || (i == 0 && c == ' ') || (i == v.length() - 1 && c == ' ')) sb.append('\\');
            sb.append(c);
        }
        return sb.toString();
    }

    /** Default attribute mapping of the sync: PVE field → LDAP attribute. */
    static Map<String, String> syncAttributes(SectionConfig.Section s) {
        Map<String, String> m = new LinkedHashMap<>();
        String conf = prop(s, "sync_attributes", null);
        if (conf == null) {
            m.put("email", "mail");
            m.put("firstname", "givenname");
            m.put("lastname", "sn");
        } else {
            for (String kv : conf.split(",")) {
                int eq = kv.indexOf('=');
                if (eq > 0) m.put(kv.substring(0, eq).strip(), kv.substring(eq + 1).strip().toLowerCase(Locale.ROOT));
            }
        }
        return m;
    }

    /** Search the directory's users (filtered by {@code user_classes} and {@code filter}). */
    public List<DirUser> searchUsers(SectionConfig.Section s) {
        String attr = prop(s, "user_attr", s.type().equals("ad") ? "sAMAccountName" : "uid");
        Map<String, String> mapping = syncAttributes(s);
        List<String> classes = List.of(prop(s, "user_classes", "inetorgperson,posixaccount,person,user").split(","));
        StringBuilder filter = new StringBuilder("(&(|");
        for (String c : classes) filter.append("(objectclass=").append(c.strip()).append(')');
        filter.append(')').append(prop(s, "filter", "")).append('(').append(attr).append("=*))");
        List<DirUser> out = new ArrayList<>();
        try {
            LdapContext ctx = searchConnection(s);
            try {
                SearchControls sc = new SearchControls();
                sc.setSearchScope(SearchControls.SUBTREE_SCOPE);
                List<String> want = new ArrayList<>(mapping.values());
                want.add(attr);
                sc.setReturningAttributes(want.toArray(String[]::new));
                NamingEnumeration<SearchResult> res = ctx.search(prop(s, "base_dn", ""), filter.toString(), sc);
                while (res.hasMore()) {
                    SearchResult r = res.next();
                    Attributes a = r.getAttributes();
                    String name = first(a.get(attr));
                    if (name == null) continue;
                    Map<String, String> attrs = new TreeMap<>();
                    for (Map.Entry<String, String> e : mapping.entrySet()) {
                        String v = first(a.get(e.getValue()));
                        if (v != null) attrs.put(e.getKey(), v);
                    }
                    out.add(new DirUser(name, r.getNameInNamespace(), attrs));
                }
            } finally {
                ctx.close();
            }
        } catch (NamingException e) {
            throw new AccessException("ldap search failed: " + e.getMessage(), e);
        }
        out.sort(java.util.Comparator.comparing(DirUser::name));
        return out;
    }

    /** Search the directory's groups and resolve their members to user names (of {@code users}). */
    public List<DirGroup> searchGroups(SectionConfig.Section s, List<DirUser> users) {
        String nameAttr = prop(s, "group_name_attr", "cn");
        List<String> classes = List.of(prop(s, "group_classes", "groupOfNames,group,univentionGroup,ipausergroup").split(","));
        StringBuilder filter = new StringBuilder("(&(|");
        for (String c : classes) filter.append("(objectclass=").append(c.strip()).append(')');
        filter.append(')').append(prop(s, "group_filter", "")).append(')');
        Map<String, String> byDn = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (DirUser u : users) byDn.put(u.dn(), u.name());
        List<DirGroup> out = new ArrayList<>();
        try {
            LdapContext ctx = searchConnection(s);
            try {
                SearchControls sc = new SearchControls();
                sc.setSearchScope(SearchControls.SUBTREE_SCOPE);
                sc.setReturningAttributes(new String[]{nameAttr, "member", "uniqueMember", "memberUid"});
                NamingEnumeration<SearchResult> res = ctx.search(prop(s, "group_dn", prop(s, "base_dn", "")), filter.toString(), sc);
                while (res.hasMore()) {
                    SearchResult r = res.next();
                    Attributes a = r.getAttributes();
                    String name = first(a.get(nameAttr));
                    if (name == null) continue;
                    TreeSet<String> members = new TreeSet<>();
                    for (String m : all(a.get("member"))) if (byDn.containsKey(m)) members.add(byDn.get(m));
                    for (String m : all(a.get("uniqueMember"))) if (byDn.containsKey(m)) members.add(byDn.get(m));
                    members.addAll(all(a.get("memberUid")));
                    out.add(new DirGroup(name, r.getNameInNamespace(), members));
                }
            } finally {
                ctx.close();
            }
        } catch (NamingException e) {
            throw new AccessException("ldap group search failed: " + e.getMessage(), e);
        }
        out.sort(java.util.Comparator.comparing(DirGroup::name));
        return out;
    }

    private static String first(Attribute a) throws NamingException {
        return a == null || a.size() == 0 ? null : String.valueOf(a.get(0));
    }

    private static List<String> all(Attribute a) throws NamingException {
        List<String> out = new ArrayList<>();
        if (a != null) for (int i = 0; i < a.size(); i++) out.add(String.valueOf(a.get(i)));
        return out;
    }
}
