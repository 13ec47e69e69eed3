package org.haven.node.access;

import java.util.List;
import java.util.Map;
import org.haven.access.AccessAdmin;
import org.haven.access.AccessControl;
import org.haven.access.AccessException;
import org.haven.access.AuthenticationException;
import org.haven.access.Checks;
import org.haven.access.Privileges;
import org.haven.api.ApiException;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.Handler;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.Permission;
import org.haven.api.RequestContext;
import org.haven.core.format.SectionConfig;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;

/**
 * The access-control API: {@code /access/users…} (with tokens and legacy TFA info), {@code /access/groups…},
 * {@code /access/roles…}, {@code /access/acl}, {@code /access/domains…} (with sync), {@code /access/tfa…},
 * {@code /access/password} and {@code /pools…}, with PVE's parameters and permission checks. The logic lives in
 * {@link AccessAdmin} (haven-access); this class declares the methods.
 */
public final class AccessControlApi implements ApiModule {
    private final AccessControl ac;
    private NodeContext ctx;
    private volatile AccessAdmin admin;
    private RealmSyncJobs realmSyncJobs;

    /** The access administration API over the node's access control. */
    public AccessControlApi(AccessControl ac) { this.ac = ac; }

    @Override public String name() { return "access-control"; }

    private AccessAdmin admin() {
        AccessAdmin a = admin;
        if (a == null) admin = a = new AccessAdmin(access());
        return a;
    }

    private AccessControl access() { return ac; }

    /** Runs the scheduled realm syncs. */
    @Override public void start(NodeContext ctx) { realmSyncJobs.start(); }

    @Override public void stop() { realmSyncJobs.close(); }

    /** Map haven-access errors to PVE's HTTP answers. */
    private static Handler wrap(Handler h) {
        return (p, rc) -> {
            try {
                return h.handle(p, rc);
            } catch (Checks.Denied e) {
                throw new ApiException(403, e.getMessage());
            } catch (AccessException | AuthenticationException e) {
                throw new ApiException(500, e.getMessage());
            }
        };
    }

    private static Schema optStr(String d) { return Schema.string().optional().description(d); }

    private static final List<Object> USER_ADMIN_GROUP = List.of("userid-group", List.of("User.Modify"));
    private static final List<Object> SELF = List.of("userid-param", "self");

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        this.ctx = ctx;
        users(reg);
        tokens(reg);
        groups(reg);
        roles(reg);
        acl(reg);
        domains(reg);
        realmSyncJobs = new RealmSyncJobs(ctx, realm -> access().domains().realm(realm).map(SectionConfig.Section::type).orElse(null),
                (realm, opts) -> admin().syncRealm(realm, opts), java.time.ZoneId.systemDefault());
        realmSyncJobs.register(reg);
        tfa(reg);
        password(reg);
        pools(reg);
        openid(reg);
    }

    // ---- OpenID -----------------------------------------------------------------------------------------

    private volatile org.haven.access.OpenIdRealm openId;

    private org.haven.access.OpenIdRealm openId() {
        org.haven.access.OpenIdRealm o = openId;
        if (o == null) openId = o = new org.haven.access.OpenIdRealm(admin().accessControl());
        return o;
    }

    private void openid(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/openid").name("index").description("Subdirectories.")
                .returns(Schema.array(Schema.object().property("subdir", Schema.string())).attr("links", List.of(Map.of("href", "{subdir}", "rel", "child"))))
                .permissions(Permission.all())
                .handler((p, rc) -> List.of(Map.of("subdir", "auth-url"), Map.of("subdir", "login")))
                .build());
        reg.add(ApiMethod.post("/access/openid/auth-url").name("auth_url").description("Start an OpenID login: the URL of the provider to send the browser to.")
                .param("realm", StandardOptions.realm())
                .param("redirect-url", Schema.string().maxLength(255).description("Where the provider sends the browser back to (the server URL the client uses)."))
                .returns(Schema.string().description("Where to send the browser."))
                .permissions(Permission.world())
                .protect()
                .handler(wrap((p, rc) -> openId().authUrl(p.str("realm"), p.str("redirect-url"))))
                .build());
        reg.add(ApiMethod.post("/access/openid/login").name("login").description("Finish an OpenID login: check the authorization code and issue a ticket.")
                .param("code", Schema.string().maxLength(4096).description("Authorization code from the provider."))
                .param("state", Schema.string().maxLength(1024).description("State value from the authorization URL."))
                .param("redirect-url", Schema.string().maxLength(255).description("Where the provider sends the browser back to (the server URL the client uses)."))
                .returns(Schema.object().property("username", Schema.string()).property("ticket", Schema.string())
                        .property("CSRFPreventionToken", Schema.string()).property("clustername", Schema.string().optional())
                        .property("cap", Schema.object().description("Privileges per area, for the web interface.")))
                .permissions(Permission.world())
                .protect()
                .handler((p, rc) -> {
                    String userid;
                    try {
                        userid = openId().login(p.str("code"), p.str("state"), p.str("redirect-url"));
                    } catch (AuthenticationException | AccessException e) {
                        org.slf4j.LoggerFactory.getLogger(AccessControlApi.class).warn("openid authentication failure; rhost={} msg={}", rc.clientAddress(), e.getMessage());
                        throw new ApiException(401, "authentication failure");
                    }
                    AccessControl ac = admin().accessControl();
                    Map<String, Object> out = new java.util.LinkedHashMap<>();
                    out.put("CSRFPreventionToken", ac.csrfToken(userid));
                    out.put("cap", ac.capabilities(userid));
                    ac.fs().readString("corosync.conf").ifPresent(c -> {
                        java.util.regex.Matcher m = java.util.regex.Pattern.compile("cluster_name:\\s*(\\S+)").matcher(c);
                        if (m.find()) out.put("clustername", m.group(1));
                    });
                    out.put("ticket", ac.createTicket(userid));
                    out.put("username", userid);
                    return out;
                })
                .build());
    }

    // ---- users ------------------------------------------------------------------------------------------

    private static Schema userProps(Schema s) {
        return s.property("comment", Schema.string().maxLength(2048).optional())
                .property("email", Schema.string().format("email-opt").maxLength(254).optional())
                .property("enable", Schema.bool().defaultValue(1).optional().description("Whether the account may log in (default yes)."))
                .property("expire", Schema.integer().minimum(0).optional().description("When the account expires (epoch seconds); 0 for never."))
                .property("firstname", Schema.string().maxLength(1024).optional())
                .property("lastname", Schema.string().maxLength(1024).optional())
                .property("keys", keys());
    }

    /** PVE's {@code keys}: realm-level second-factor keys, a restricted alphabet (it is written raw to user.cfg). */
    private static Schema keys() {
        return Schema.string().pattern("[0-9a-zA-Z!=]{0,4096}").optional()
                .description("Second-factor keys of realm-level TFA (OATH secrets or YubiKey ids).");
    }

    private void users(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/users").name("index").description("List users.")
                .param("enabled", Schema.bool().optional().description("Only enabled (1) or only disabled (0) users."))
                .param("full", Schema.bool().defaultValue(0).optional().description("Add group memberships and API tokens to each entry."))
                .returns(Schema.array(userProps(Schema.object()).property("userid", StandardOptions.userid())
                        .property("groups", Schema.string().format("pve-groupid-list").optional())
                        .property("realm-type", Schema.string().optional())
                        .property("tokens", Schema.array(tokenInfo(Schema.object()).property("tokenid", tokenName())).optional())
                        .property("tfa-locked-until", Schema.integer().optional().description("Second factors are blocked until then (epoch seconds)."))
                        .property("totp-locked", Schema.bool().optional().description("TOTP is locked after too many failed attempts.")))
                        .attr("links", List.of(Map.of("href", "{userid}", "rel", "child"))))
                .permissions(Permission.all("Lists the caller, and the users the caller may audit: 'User.Modify' or 'Sys.Audit' on /access/groups or on one of their groups."))
                .protect()
                .handler(wrap((p, rc) -> admin().listUsers(rc.authid(), p.has("enabled") ? p.bool("enabled", true) : null, p.bool("full", false))))
                .build());
        reg.add(ApiMethod.post("/access/users").name("create_user").description("Add a user.")
                .param("userid", StandardOptions.userid())
                .param("comment", Schema.string().maxLength(2048).optional())
                .param("email", Schema.string().format("email-opt").maxLength(254).optional())
                .param("enable", Schema.bool().defaultValue(1).optional().description("Whether the account may log in (default yes)."))
                .param("expire", Schema.integer().minimum(0).optional().description("When the account expires (epoch seconds); 0 for never."))
                .param("firstname", Schema.string().maxLength(1024).optional())
                .param("lastname", Schema.string().maxLength(1024).optional())
                .param("groups", Schema.string().format("pve-groupid-list").optional())
                .param("keys", keys())
                .param("password", Schema.string().minLength(5).maxLength(64).optional().description("Password to set (pve and pam realms)."))
                .permissions(new Permission("Requires 'Realm.AllocateUser' on the new user's realm and 'User.Modify' on every group given (or on /access/groups when none is).", null,
                        List.of("and", List.of("userid-param", "Realm.AllocateUser"), List.of("userid-group", List.of("User.Modify"), "groups_param", "create"))))
                .protect()
                .handler(wrap((p, rc) -> { admin().createUser(rc.authid(), p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.get("/access/users/{userid}").name("read_user").description("Show a user.")
                .param("userid", StandardOptions.userid())
                .returns(userProps(Schema.object()).property("groups", Schema.array(Schema.string()).optional()).property("tokens", Schema.object().optional()))
                .permissions(new Permission(null, null, List.of("userid-group", List.of("User.Modify", "Sys.Audit"))))
                .handler(wrap((p, rc) -> admin().readUser(p.str("userid"))))
                .build());
        reg.add(ApiMethod.put("/access/users/{userid}").name("update_user").description("Change a user.")
                .param("userid", StandardOptions.userid())
                .param("append", Schema.bool().optional().requires("groups"))
                .param("comment", Schema.string().maxLength(2048).optional())
                .param("email", Schema.string().format("email-opt").maxLength(254).optional())
                .param("enable", Schema.bool().defaultValue(1).optional().description("Whether the account may log in (default yes)."))
                .param("expire", Schema.integer().minimum(0).optional().description("When the account expires (epoch seconds); 0 for never."))
                .param("firstname", Schema.string().maxLength(1024).optional())
                .param("lastname", Schema.string().maxLength(1024).optional())
                .param("groups", Schema.string().format("pve-groupid-list").optional())
                .param("keys", keys())
                .permissions(new Permission(null, null, List.of("userid-group", List.of("User.Modify"), "groups_param", "update")))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateUser(rc.authid(), p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/users/{userid}").name("delete_user").description("Remove a user.")
                .param("userid", StandardOptions.userid())
                .permissions(new Permission(null, null, List.of("and", List.of("userid-param", "Realm.AllocateUser"), USER_ADMIN_GROUP)))
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteUser(rc.authid(), p.str("userid")); return null; }))
                .build());
        reg.add(ApiMethod.get("/access/users/{userid}/tfa").name("read_user_tfa_type").description("Second-factor types of a user and of its realm.")
                .param("userid", StandardOptions.userid())
                .param("multiple", Schema.bool().defaultValue(0).optional().description("Return the factor types of the user as one list."))
                .returns(Schema.object()
                        .property("realm", Schema.string().enumValues("oath", "yubico").optional().description("Realm-wide second factor, if any."))
                        .property("types", Schema.array(Schema.string()).optional().description("Second-factor types of the user (without 'multiple')."))
                        .property("user", Schema.string().optional().description("The user's second-factor type, or 'multiple' (with 'multiple').")))
                .permissions(new Permission(null, null, List.of("or", SELF, List.of("userid-group", List.of("User.Modify", "Sys.Audit")))))
                .protect()
                .handler(wrap((p, rc) -> admin().userTfaTypes(p.str("userid"), p.bool("multiple", false))))
                .build());
        reg.add(ApiMethod.put("/access/users/{userid}/unlock-tfa").name("unlock_tfa").description("Clear the second-factor lockout of a user.")
                .param("userid", StandardOptions.userid())
                .returns(Schema.bool())
                .permissions(new Permission(null, null, USER_ADMIN_GROUP))
                .protect()
                .handler(wrap((p, rc) -> admin().unlockTfa(p.str("userid"))))
                .build());
    }

    // ---- tokens -----------------------------------------------------------------------------------------

    private static Schema tokenInfo(Schema s) {
        return s.property("comment", Schema.string().optional())
                .property("expire", Schema.integer().minimum(0).optional().description("When the token expires (epoch seconds); 0 for never."))
                .property("privsep", Schema.bool().defaultValue(1).optional().description("With privilege separation (default) the token has only its own ACL entries (limited by the user's); without it the user's privileges."));
    }

    private static Schema tokenName() {
        return Schema.string().pattern(org.haven.core.schema.Formats.TOKEN).maxLength(org.haven.core.schema.Formats.ID_MAX)
                .description("Token name (unique per user).");
    }

    private void tokens(ApiRegistry reg) {
        Permission selfOrAdmin = new Permission(null, null, List.of("or", SELF, USER_ADMIN_GROUP));
        reg.add(ApiMethod.get("/access/users/{userid}/token").name("token_index").description("List the API tokens of a user.")
                .param("userid", StandardOptions.userid())
                .returns(Schema.array(tokenInfo(Schema.object()).property("tokenid", tokenName())).attr("links", List.of(Map.of("href", "{tokenid}", "rel", "child"))))
                .permissions(selfOrAdmin)
                .handler(wrap((p, rc) -> admin().listTokens(p.str("userid"))))
                .build());
        reg.add(ApiMethod.get("/access/users/{userid}/token/{tokenid}").name("read_token").description("Show one API token.")
                .param("userid", StandardOptions.userid()).param("tokenid", tokenName())
                .returns(tokenInfo(Schema.object()))
                .permissions(selfOrAdmin)
                .handler(wrap((p, rc) -> admin().readToken(p.str("userid"), p.str("tokenid"))))
                .build());
        reg.add(ApiMethod.post("/access/users/{userid}/token/{tokenid}").name("generate_token").description("Create an API token. The secret is returned only once; store it.")
                .param("userid", StandardOptions.userid()).param("tokenid", tokenName())
                .param("comment", Schema.string().optional())
                .param("expire", Schema.integer().minimum(0).optional().description("When the token expires (epoch seconds); 0 for never."))
                .param("privsep", Schema.bool().defaultValue(1).optional().description("With privilege separation (default) the token has only its own ACL entries (limited by the user's); without it the user's privileges."))
                .returns(Schema.object().property("full-tokenid", Schema.string()).property("info", tokenInfo(Schema.object())).property("value", Schema.string()))
                .permissions(selfOrAdmin)
                .protect()
                .handler(wrap((p, rc) -> admin().createToken(p.str("userid"), p.str("tokenid"), p.asMap())))
                .build());
        reg.add(ApiMethod.put("/access/users/{userid}/token/{tokenid}").name("update_token_info").description("Change an API token.")
                .param("userid", StandardOptions.userid()).param("tokenid", tokenName())
                .param("comment", Schema.string().optional())
                .param("expire", Schema.integer().minimum(0).optional().description("When the token expires (epoch seconds); 0 for never."))
                .param("privsep", Schema.bool().optional().description("With privilege separation (default) the token has only its own ACL entries (limited by the user's); without it the user's privileges."))
                .returns(tokenInfo(Schema.object()).description("The token after the change."))
                .permissions(selfOrAdmin)
                .protect()
                .handler(wrap((p, rc) -> admin().updateToken(p.str("userid"), p.str("tokenid"), p.asMap())))
                .build());
        reg.add(ApiMethod.delete("/access/users/{userid}/token/{tokenid}").name("remove_token").description("Remove an API token.")
                .param("userid", StandardOptions.userid()).param("tokenid", tokenName())
                .permissions(selfOrAdmin)
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteToken(p.str("userid"), p.str("tokenid")); return null; }))
                .build());
    }

    // ---- groups -----------------------------------------------------------------------------------------

    private void groups(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/groups").name("index").description("List groups.")
                .returns(Schema.array(Schema.object().property("groupid", StandardOptions.groupid()).property("comment", Schema.string().optional())
                        .property("users", Schema.string().format("pve-userid-list").optional())).attr("links", List.of(Map.of("href", "{groupid}", "rel", "child"))))
                .permissions(Permission.all("Only groups with 'User.Modify', 'Sys.Audit' or 'Group.Allocate' on /access/groups/<group> are listed."))
                .handler(wrap((p, rc) -> admin().listGroups(rc.authid())))
                .build());
        reg.add(ApiMethod.post("/access/groups").name("create_group").description("Add a group.")
                .param("groupid", StandardOptions.groupid()).param("comment", Schema.string().optional())
                .permissions(Permission.perm("/access/groups", "Group.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().createGroup(p.str("groupid"), p.str("comment", null)); return null; }))
                .build());
        reg.add(ApiMethod.get("/access/groups/{groupid}").name("read_group").description("Show a group and its members.")
                .param("groupid", StandardOptions.groupid())
                .returns(Schema.object().property("comment", Schema.string().optional()).property("members", Schema.array(StandardOptions.userid())))
                .permissions(Permission.permAny("/access/groups", "Sys.Audit", "Group.Allocate"))
                .handler(wrap((p, rc) -> admin().readGroup(p.str("groupid"))))
                .build());
        reg.add(ApiMethod.put("/access/groups/{groupid}").name("update_group").description("Change a group.")
                .param("groupid", StandardOptions.groupid()).param("comment", Schema.string().optional())
                .permissions(Permission.perm("/access/groups", "Group.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateGroup(p.str("groupid"), p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/groups/{groupid}").name("delete_group").description("Remove a group.")
                .param("groupid", StandardOptions.groupid())
                .permissions(Permission.perm("/access/groups", "Group.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteGroup(p.str("groupid")); return null; }))
                .build());
    }

    // ---- roles ------------------------------------------------------------------------------------------

    private void roles(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/roles").name("index").description("List roles.")
                .returns(Schema.array(Schema.object().property("roleid", StandardOptions.roleid())
                        .property("privs", Schema.string().format("pve-priv-list").optional())
                        .property("special", Schema.bool().defaultValue(0).optional())).attr("links", List.of(Map.of("href", "{roleid}", "rel", "child"))))
                .permissions(Permission.all())
                .handler(wrap((p, rc) -> admin().listRoles()))
                .build());
        reg.add(ApiMethod.post("/access/roles").name("create_role").description("Add a custom role.")
                .param("roleid", StandardOptions.roleid())
                .param("privs", Schema.string().format("pve-priv-list").optional())
                .permissions(Permission.perm("/access", "Sys.Modify"))
                .protect()
                .handler(wrap((p, rc) -> { admin().createRole(p.str("roleid"), p.str("privs", "")); return null; }))
                .build());
        Schema privMap = Schema.object();
        for (String priv : Privileges.ALL) privMap.property(priv, Schema.bool().optional());
        reg.add(ApiMethod.get("/access/roles/{roleid}").name("read_role").description("Show the privileges of a role.")
                .param("roleid", StandardOptions.roleid())
                .returns(privMap)
                .permissions(Permission.all())
                .handler(wrap((p, rc) -> admin().readRole(p.str("roleid"))))
                .build());
        reg.add(ApiMethod.put("/access/roles/{roleid}").name("update_role").description("Change the privileges of a custom role.")
                .param("roleid", StandardOptions.roleid())
                .param("privs", Schema.string().format("pve-priv-list").optional())
                .param("append", Schema.bool().optional().requires("privs"))
                .permissions(Permission.perm("/access", "Sys.Modify"))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateRole(p.str("roleid"), p.str("privs", ""), p.bool("append", false)); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/roles/{roleid}").name("delete_role").description("Remove a custom role.")
                .param("roleid", StandardOptions.roleid())
                .permissions(Permission.perm("/access", "Sys.Modify"))
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteRole(p.str("roleid")); return null; }))
                .build());
    }

    // ---- ACL --------------------------------------------------------------------------------------------

    private void acl(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/acl").name("read_acl").description("List the access control entries.")
                .returns(Schema.array(Schema.object().property("path", Schema.string()).property("type", Schema.string().enumValues("user", "group", "token"))
                        .property("ugid", Schema.string()).property("roleid", Schema.string()).property("propagate", Schema.bool().defaultValue(1).optional())))
                .permissions(Permission.all("Only entries on paths where the caller may change permissions are listed."))
                .handler(wrap((p, rc) -> admin().readAcl(rc.authid())))
                .build());
        reg.add(ApiMethod.put("/access/acl").name("update_acl").description("Grant or revoke roles on a path.")
                .param("path", Schema.string().description("Object path the entry applies to."))
                .param("roles", Schema.string().format("pve-roleid-list").description("Roles to grant (or revoke)."))
                .param("users", Schema.string().format("pve-userid-list").optional().description("Users the entry applies to."))
                .param("groups", Schema.string().format("pve-groupid-list").optional().description("Groups the entry applies to."))
                .param("tokens", Schema.string().format("pve-tokenid-list").optional().description("API tokens the entry applies to."))
                .param("propagate", Schema.bool().defaultValue(1).optional().description("Whether the entry is inherited by paths below."))
                .param("delete", Schema.bool().optional().description("Revoke instead of grant."))
                .permissions(new Permission(null, null, List.of("perm-modify", "{path}")))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateAcl(rc.authid(), p.asMap()); return null; }))
                .build());
    }

    // ---- realms -----------------------------------------------------------------------------------------

    private static ApiMethod.Builder realmParams(ApiMethod.Builder b, boolean update) {
        b.param("realm", StandardOptions.realm());
        if (!update) b.param("type", Schema.string().enumValues("ad", "ldap", "openid", "pam", "pve").description("Kind of realm."));
        b.param("comment", Schema.string().maxLength(4096).optional().description("Comment shown for the realm."))
                .param("default", Schema.bool().optional().description("Preselect this realm on the login form."))
                .param("tfa", Schema.string().optional().description("Realm-wide second factor (type=oath with digits and step)."))
                .param("server1", Schema.string().maxLength(256).optional().description("Server address or host name."))
                .param("server2", Schema.string().maxLength(256).optional().description("Second server (address or host name), used when the first cannot be reached."))
                .param("port", Schema.integer().minimum(1).maximum(65535).optional().description("TCP port of the server."))
                .param("base_dn", Schema.string().maxLength(256).optional().description("Base DN for user searches."))
                .param("user_attr", Schema.string().maxLength(256).optional().description("Attribute holding the user name."))
                .param("bind_dn", Schema.string().maxLength(256).optional().description("DN to bind as for searches."))
                .param("password", Schema.string().optional().description("Password for the bind DN (kept in priv/realm/<realm>.pw)."))
                .param("domain", Schema.string().maxLength(256).optional().description("Active Directory domain."))
                .param("secure", Schema.bool().optional().description("Obsolete form of 'mode ldaps'."))
                .param("mode", Schema.string().enumValues("ldap", "ldaps", "ldap+starttls").optional().description("Plain LDAP, LDAPS, or LDAP with STARTTLS."))
                .param("verify", Schema.bool().defaultValue(0).optional().description("Check the server certificate (default off)."))
                .param("capath", Schema.string().optional().description("File or directory of trusted CA certificates."))
                .param("cert", Schema.string().optional().description("Client certificate file."))
                .param("certkey", Schema.string().optional().description("Key of the client certificate."))
                .param("filter", Schema.string().maxLength(2048).optional().description("Extra LDAP filter for the user search."))
                .param("user_classes", Schema.string().optional().description("Object classes of user entries."))
                .param("group_dn", Schema.string().maxLength(256).optional().description("Base DN for group searches."))
                .param("group_filter", Schema.string().maxLength(2048).optional().description("Extra LDAP filter for the group search."))
                .param("group_classes", Schema.string().optional().description("Object classes of group entries."))
                .param("group_name_attr", Schema.string().optional().description("Attribute holding the group name."))
                .param("sync_attributes", Schema.string().optional().description("Mapping of user fields to directory attributes, as comma-separated field=attribute pairs."))
                .param("sync-defaults-options", Schema.string().optional().description("Default sync options (scope, remove-vanished, enable-new)."))
                .param("case-sensitive", Schema.bool().defaultValue(1).optional().description("Whether user names are case-sensitive."))
                .param("sslversion", Schema.string().enumValues("tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3").optional().description("Minimum TLS version."))
                .param("check-connection", Schema.bool().defaultValue(0).optional().description("Try to bind to the server before saving."))
                .param("issuer-url", Schema.string().maxLength(256).optional().description("Issuer URL of the provider (discovery is below it)."))
                .param("client-id", Schema.string().maxLength(256).optional().description("Client id registered at the provider."))
                .param("client-key", Schema.string().maxLength(256).optional().description("Client secret registered at the provider."))
                .param("autocreate", Schema.bool().defaultValue(0).optional().description("Create missing users on their first login."))
                .param("scopes", Schema.string().optional().description("Scopes to request (space-separated)."))
                .param("prompt", Schema.string().optional().description("Prompt value passed to the provider."))
                .param("acr-values", Schema.string().optional().description("ACR values to request."))
                .param("groups-claim", Schema.string().optional().description("Claim listing the groups of the user."))
                .param("groups-autocreate", Schema.bool().defaultValue(0).optional().description("Create missing groups on login."))
                .param("groups-overwrite", Schema.bool().defaultValue(0).optional().description("Replace the group memberships of the user at every login."))
                .param("query-userinfo", Schema.bool().defaultValue(1).optional().description("Also read claims from the userinfo endpoint of the provider."));
        if (!update) b.param("username-claim", Schema.string().optional().description("Claim that becomes the user name (subject, username or email)."));
        if (update) {
            b.param("delete", Schema.string().format("pve-configid-list").maxLength(4096).optional().description("Settings to remove."))
                    .param("digest", StandardOptions.configDigest());
        }
        return b;
    }

    private void domains(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/domains").name("index").description("List the authentication realms.")
                .returns(Schema.array(Schema.object().property("realm", Schema.string()).property("type", Schema.string())
                        .property("comment", Schema.string().optional()).property("tfa", Schema.string().enumValues("yubico", "oath").optional()))
                        .attr("links", List.of(Map.of("href", "{realm}", "rel", "child"))))
                .permissions(Permission.world().withDescription("No login needed: the login form shows this list."))
                .handler(wrap((p, rc) -> admin().listRealms()))
                .build());
        reg.add(realmParams(ApiMethod.post("/access/domains"), false).name("create").description("Create an authentication realm.")
                .permissions(Permission.perm("/access/realm", "Realm.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().createRealm(p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.get("/access/domains/{realm}").name("read").description("Show the settings of a realm.")
                .param("realm", StandardOptions.realm())
                .returns(Schema.object())
                .permissions(Permission.permAny("/access/realm", "Realm.Allocate", "Sys.Audit"))
                .handler(wrap((p, rc) -> admin().readRealm(p.str("realm"))))
                .build());
        reg.add(realmParams(ApiMethod.put("/access/domains/{realm}"), true).name("update").description("Change the settings of a realm.")
                .permissions(Permission.perm("/access/realm", "Realm.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateRealm(p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/domains/{realm}").name("delete").description("Remove an authentication realm.")
                .param("realm", StandardOptions.realm())
                .permissions(Permission.perm("/access/realm", "Realm.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteRealm(p.str("realm")); return null; }))
                .build());
        reg.add(ApiMethod.post("/access/domains/{realm}/sync").name("sync").description("Import users and groups from the directory into user.cfg. Imported groups are named '<name>-<realm>'.")
                .param("realm", StandardOptions.realm())
                .param("scope", Schema.string().enumValues("users", "groups", "both").optional().description("Users, groups or both."))
                .param("remove-vanished", Schema.string().pattern("(?:(?:(?:acl|properties|entry);)*(?:acl|properties|entry))|none").optional()
                        .description("What to remove for users and groups no longer in the directory (semicolon-separated: acl, properties, entry; or none)."))
                .param("enable-new", Schema.bool().defaultValue(1).optional().description("Whether users created by the sync are enabled."))
                .param("dry-run", Schema.bool().defaultValue(0).optional().description("Only report what would change."))
                .param("full", Schema.bool().optional().description("Obsolete; see 'remove-vanished'."))
                .param("purge", Schema.bool().optional().description("Obsolete; see 'remove-vanished'."))
                .returns(Schema.string().description("Task id."))
                .permissions(new Permission("Requires 'Realm.AllocateUser' on '/access/realm/<realm>' and 'User.Modify' on '/access/groups'.", null,
                        List.of("and", List.of("perm", "/access/realm/{realm}", List.of("Realm.AllocateUser")), List.of("perm", "/access/groups", List.of("User.Modify")))))
                .protect()
                .handler(wrap((p, rc) -> {
                    Map<String, Object> opts = new java.util.HashMap<>(p.asMap());
                    if (Boolean.TRUE.equals(opts.get("full")) && !opts.containsKey("remove-vanished")) opts.put("remove-vanished", "entry;properties");
                    if (Boolean.TRUE.equals(opts.get("purge"))) opts.merge("remove-vanished", "acl", (a, b) -> a + ";" + b);
                    String realm = p.str("realm");
                    return rc.startTask("auth-realm-sync", realm, log -> {
                        for (String line : admin().syncRealm(realm, opts)) log.log(line);
                    });
                }))
                .build());
    }

    // ---- TFA --------------------------------------------------------------------------------------------

    private void tfa(ApiRegistry reg) {
        Schema entry = Schema.object().property("type", Schema.string().enumValues("totp", "u2f", "webauthn", "recovery", "yubico"))
                .property("id", Schema.string()).property("description", Schema.string()).property("created", Schema.integer())
                .property("enable", Schema.bool().defaultValue(1).optional());
        Permission audit = new Permission(null, null, List.of("or", SELF, List.of("userid-group", List.of("User.Modify", "Sys.Audit"))));
        Permission modify = new Permission(null, null, List.of("or", SELF, USER_ADMIN_GROUP));
        reg.add(ApiMethod.get("/access/tfa").name("list_tfa").description("List second-factor entries.")
                .returns(Schema.array(Schema.object().property("userid", Schema.string()).property("entries", Schema.array(entry))
                        .property("tfa-locked-until", Schema.integer().optional().description("Second factors are blocked until then (epoch seconds)."))
                        .property("totp-locked", Schema.bool().optional().description("TOTP is locked after too many failed attempts."))))
                .permissions(Permission.all("Users with 'User.Modify' or 'Sys.Audit' see everybody's entries, others their own."))
                .protect()
                .handler(wrap((p, rc) -> admin().listAllTfa(rc.authid())))
                .build());
        reg.add(ApiMethod.get("/access/tfa/{userid}").name("list_user_tfa").description("List second-factor entries.")
                .param("userid", StandardOptions.userid())
                .returns(Schema.array(entry).attr("links", List.of(Map.of("href", "{id}", "rel", "child"))))
                .permissions(audit)
                .protect()
                .handler(wrap((p, rc) -> admin().listUserTfa(p.str("userid"))))
                .build());
        reg.add(ApiMethod.post("/access/tfa/{userid}").name("add_tfa_entry").description("Register a second factor for a user.")
                .param("userid", StandardOptions.userid())
                .param("type", Schema.string().enumValues("totp", "u2f", "webauthn", "recovery", "yubico").description("Kind of second factor."))
                .param("description", Schema.string().maxLength(255).optional().description("Free text that tells the entries of a user apart."))
                .param("totp", Schema.string().optional().description("The TOTP secret as otpauth:// URI."))
                .param("value", Schema.string().optional().description("Current TOTP code for the URI, or the WebAuthn answer."))
                .param("challenge", Schema.string().optional().description("When answering a WebAuthn registration: the options returned by the first call."))
                .param("password", Schema.string().maxLength(64).optional().description("Password of the caller, to confirm the change."))
                .returns(Schema.object().property("id", Schema.string()).property("recovery", Schema.array(Schema.string()).optional())
                        .property("challenge", Schema.string().optional()))
                .permissions(modify)
                .protect().allowtoken(false)
                .handler(wrap((p, rc) -> admin().addTfa(rc.authid(), p.str("userid"), p.asMap())))
                .build());
        reg.add(ApiMethod.get("/access/tfa/{userid}/{id}").name("get_tfa_entry").description("Show one second-factor entry.")
                .param("userid", StandardOptions.userid()).param("id", Schema.string().description("Identifier of the second-factor entry."))
                .returns(entry)
                .permissions(audit)
                .protect()
                .handler(wrap((p, rc) -> admin().readTfa(p.str("userid"), p.str("id"))))
                .build());
        reg.add(ApiMethod.put("/access/tfa/{userid}/{id}").name("update_tfa_entry").description("Register a second factor for a user.")
                .param("userid", StandardOptions.userid()).param("id", Schema.string().description("Identifier of the second-factor entry."))
                .param("description", Schema.string().maxLength(255).optional().description("Free text that tells the entries of a user apart."))
                .param("enable", Schema.bool().optional().description("Whether the entry can be used to log in."))
                .param("password", Schema.string().maxLength(64).optional().description("Password of the caller, to confirm the change."))
                .permissions(modify)
                .protect().allowtoken(false)
                .handler(wrap((p, rc) -> { admin().updateTfa(rc.authid(), p.str("userid"), p.str("id"), p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/tfa/{userid}/{id}").name("delete_tfa").description("Remove one second-factor entry.")
                .param("userid", StandardOptions.userid()).param("id", Schema.string().description("Identifier of the second-factor entry."))
                .param("password", Schema.string().maxLength(64).optional().description("Password of the caller, to confirm the change."))
                .permissions(modify)
                .protect().allowtoken(false)
                .handler(wrap((p, rc) -> { admin().deleteTfa(rc.authid(), p.str("userid"), p.str("id"), p.str("password", null)); return null; }))
                .build());
    }

    // ---- password ---------------------------------------------------------------------------------------

    private void password(ApiRegistry reg) {
        reg.add(ApiMethod.put("/access/password").name("change_password").description("Set a new password for a user.")
                .param("userid", StandardOptions.userid())
                .param("password", Schema.string().minLength(5).maxLength(64).description("New password."))
                .param("confirmation-password", Schema.string().maxLength(64).optional().description("Password of the caller, to confirm the change."))
                .permissions(new Permission("Users may change their own password. Changing another user's password needs 'Realm.AllocateUser' on that user's realm and 'User.Modify' on one of the user's groups. PAM passwords change on the local node only.", null,
                        List.of("or", SELF, List.of("and", List.of("userid-param", "Realm.AllocateUser"), USER_ADMIN_GROUP))))
                .protect().allowtoken(false)
                .handler(wrap((p, rc) -> {
                    admin().changePassword(rc.authid(), p.str("userid"), p.str("password"), p.str("confirmation-password", null));
                    return null;
                }))
                .build());
    }

    // ---- pools ------------------------------------------------------------------------------------------

    private void pools(ApiRegistry reg) {
        Schema member = Schema.object().property("id", Schema.string()).property("node", Schema.string())
                .property("type", Schema.string().enumValues("qemu", "lxc", "openvz", "storage"))
                .property("vmid", Schema.integer().optional()).property("storage", Schema.string().optional()).additionalProperties(true);
        reg.add(ApiMethod.get("/pools").name("index").description("List pools, or show one pool with its members.")
                .param("poolid", StandardOptions.poolid().optional())
                .param("type", Schema.string().enumValues("qemu", "lxc", "storage").optional().requires("poolid"))
                .returns(Schema.array(Schema.object().property("poolid", StandardOptions.poolid()).property("comment", Schema.string().optional())
                        .property("members", Schema.array(member).optional())).attr("links", List.of(Map.of("href", "{poolid}", "rel", "child"))))
                .permissions(Permission.all("Only pools with 'Pool.Audit' on /pool/<pool> are listed."))
                .handler(wrap((p, rc) -> admin().listPools(rc.authid(), p.str("poolid", null), p.str("type", null))))
                .build());
        reg.add(ApiMethod.post("/pools").name("create_pool").description("Add a resource pool.")
                .param("poolid", StandardOptions.poolid()).param("comment", Schema.string().maxLength(4096).optional())
                .permissions(Permission.perm("/pool/{poolid}", "Pool.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().createPool(p.str("poolid"), p.str("comment", null)); return null; }))
                .build());
        for (String path : List.of("/pools", "/pools/{poolid}")) {
            boolean legacy = path.equals("/pools/{poolid}");
            reg.add(ApiMethod.put(path).name(legacy ? "update_pool_deprecated" : "update_pool").description("Change a pool or its members.")
                    .param("poolid", StandardOptions.poolid())
                    .param("comment", Schema.string().maxLength(4096).optional())
                    .param("vms", StandardOptions.vmidList().optional().description("Guests to add (or remove)."))
                    .param("storage", Schema.string().format("pve-storage-id-list").optional().description("Storages to add (or remove)."))
                    .param("allow-move", Schema.bool().defaultValue(0).optional().description("Move guests that belong to another pool into this one instead of failing."))
                    .param("delete", Schema.bool().defaultValue(0).optional().description("Remove the given members instead of adding them."))
                    .permissions(Permission.perm("/pool/{poolid}", "Pool.Allocate").withDescription("Adding or removing members also needs the right to change permissions on them."))
                    .protect()
                    .handler(wrap((p, rc) -> { admin().updatePool(rc.authid(), p.str("poolid"), p.asMap()); return null; }))
                    .build());
            reg.add(ApiMethod.delete(path).name(legacy ? "delete_pool_deprecated" : "delete_pool").description("Remove an empty pool.")
                    .param("poolid", StandardOptions.poolid())
                    .permissions(Permission.perm("/pool/{poolid}", "Pool.Allocate").withDescription("Only empty pools can be removed."))
                    .protect()
                    .handler(wrap((p, rc) -> { admin().deletePool(p.str("poolid")); return null; }))
                    .build());
        }
        reg.add(ApiMethod.get("/pools/{poolid}").name("read_pool").description("Show a pool and its members (older form of 'GET /pools?poolid=…').")
                .param("poolid", StandardOptions.poolid())
                .param("type", Schema.string().enumValues("qemu", "lxc", "storage").optional())
                .returns(Schema.object().property("comment", Schema.string().optional()).property("members", Schema.array(member)))
                .permissions(Permission.perm("/pool/{poolid}", "Pool.Audit"))
                .handler(wrap((p, rc) -> admin().readPool(p.str("poolid"), p.str("type", null))))
                .build());
    }
}
