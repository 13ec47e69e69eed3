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
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;

/**
 * The access-control API: {@code /access/users…} (with tokens and legacy TFA info), {@code /access/groups…},
 * {@code /access/roles…}, {@code /access/acl}, {@code /access/domains…} (with sync), {@code /access/tfa…},
 * {@code /access/password} and {@code /pools…}, with PVE's parameters and permission checks. The logic lives in
 * {@link AccessAdmin} (haven-access); this class declares the methods.
 */
public final class AccessControlApi implements ApiModule {
    private NodeContext ctx;
    private volatile AccessAdmin admin;

    @Override public String name() { return "access-control"; }

    private AccessAdmin admin() {
        AccessAdmin a = admin;
        if (a == null) {
            AccessControl ac = ctx.findService(AccessControl.class).orElseGet(() -> new AccessControl(ctx.cfs(), ctx.clock()));
            admin = a = new AccessAdmin(ac);
        }
        return a;
    }

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
        reg.add(ApiMethod.get("/access/openid").name("index").description("Directory index.")
                .returns(Schema.array(Schema.object().property("subdir", Schema.string())).attr("links", List.of(Map.of("href", "{subdir}", "rel", "child"))))
                .permissions(Permission.all())
                .handler((p, rc) -> List.of(Map.of("subdir", "auth-url"), Map.of("subdir", "login")))
                .build());
        reg.add(ApiMethod.post("/access/openid/auth-url").name("auth_url").description("Get the OpenId Authorization Url for the specified realm.")
                .param("realm", StandardOptions.realm())
                .param("redirect-url", Schema.string().maxLength(255).description("Redirection Url. The client should set this to the used server url (location.origin)."))
                .returns(Schema.string().description("Redirection URL."))
                .permissions(Permission.world())
                .allowtoken(false)
                .handler(wrap((p, rc) -> openId().authUrl(p.str("realm"), p.str("redirect-url"))))
                .build());
        reg.add(ApiMethod.post("/access/openid/login").name("login").description(" Verify OpenID authorization code and create a ticket.")
                .param("code", Schema.string().maxLength(4096).description("OpenId authorization code."))
                .param("state", Schema.string().maxLength(1024).description("OpenId state."))
                .param("redirect-url", Schema.string().maxLength(255).description("Redirection Url. The client should set this to the used server url (location.origin)."))
                .returns(Schema.object().property("username", Schema.string()).property("ticket", Schema.string())
                        .property("CSRFPreventionToken", Schema.string()).property("clustername", Schema.string().optional()))
                .permissions(Permission.world())
                .allowtoken(false).protect()
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
                .property("enable", Schema.bool().defaultValue(1).optional().description("Enable the account (default). You can set this to '0' to disable the account"))
                .property("expire", Schema.integer().minimum(0).optional().description("Account expiration date (seconds since epoch). '0' means no expiration date."))
                .property("firstname", Schema.string().optional())
                .property("lastname", Schema.string().optional())
                .property("keys", Schema.string().optional().description("Keys for two factor auth (yubico)."));
    }

    private void users(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/users").name("index").description("User index.")
                .param("enabled", Schema.bool().optional().description("Optional filter for enable property."))
                .param("full", Schema.bool().defaultValue(0).optional().description("Include group and token information."))
                .returns(Schema.array(userProps(Schema.object()).property("userid", StandardOptions.userid())
                        .property("groups", Schema.string().format("pve-groupid-list").optional())
                        .property("realm-type", Schema.string().optional())).attr("links", List.of(Map.of("href", "{userid}", "rel", "child"))))
                .permissions(Permission.all("The returned list is restricted to users where you have 'User.Modify' or 'Sys.Audit' permissions on '/access/groups' or on a group the user belongs too. But it always includes the current (authenticated) user."))
                .handler(wrap((p, rc) -> admin().listUsers(rc.authid(), p.has("enabled") ? p.bool("enabled", true) : null, p.bool("full", false))))
                .build());
        reg.add(ApiMethod.post("/access/users").name("create_user").description("Create new user.")
                .param("userid", StandardOptions.userid())
                .param("comment", Schema.string().maxLength(2048).optional())
                .param("email", Schema.string().format("email-opt").maxLength(254).optional())
                .param("enable", Schema.bool().defaultValue(1).optional().description("Enable the account (default). You can set this to '0' to disable the account"))
                .param("expire", Schema.integer().minimum(0).optional().description("Account expiration date (seconds since epoch). '0' means no expiration date."))
                .param("firstname", Schema.string().optional())
                .param("lastname", Schema.string().optional())
                .param("groups", Schema.string().format("pve-groupid-list").optional())
                .param("keys", Schema.string().optional().description("Keys for two factor auth (yubico)."))
                .param("password", Schema.string().minLength(5).maxLength(64).optional().description("Initial password."))
                .permissions(new Permission("You need 'Realm.AllocateUser' on '/access/realm/<realm>' on the realm of user <userid>, and 'User.Modify' permissions to '/access/groups/<group>' for any group specified (or 'User.Modify' on '/access/groups' if you pass no groups.", null,
                        List.of("and", List.of("userid-param", "Realm.AllocateUser"), List.of("userid-group", List.of("User.Modify"), "groups_param", "create"))))
                .protect()
                .handler(wrap((p, rc) -> { admin().createUser(rc.authid(), p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.get("/access/users/{userid}").name("read_user").description("Get user configuration.")
                .param("userid", StandardOptions.userid())
                .returns(userProps(Schema.object()).property("groups", Schema.array(Schema.string()).optional()).property("tokens", Schema.object().optional()))
                .permissions(new Permission(null, null, List.of("userid-group", List.of("User.Modify", "Sys.Audit"))))
                .handler(wrap((p, rc) -> admin().readUser(p.str("userid"))))
                .build());
        reg.add(ApiMethod.put("/access/users/{userid}").name("update_user").description("Update user configuration.")
                .param("userid", StandardOptions.userid())
                .param("append", Schema.bool().optional().requires("groups"))
                .param("comment", Schema.string().maxLength(2048).optional())
                .param("email", Schema.string().format("email-opt").maxLength(254).optional())
                .param("enable", Schema.bool().defaultValue(1).optional().description("Enable the account (default). You can set this to '0' to disable the account"))
                .param("expire", Schema.integer().minimum(0).optional().description("Account expiration date (seconds since epoch). '0' means no expiration date."))
                .param("firstname", Schema.string().optional())
                .param("lastname", Schema.string().optional())
                .param("groups", Schema.string().format("pve-groupid-list").optional())
                .param("keys", Schema.string().optional().description("Keys for two factor auth (yubico)."))
                .permissions(new Permission(null, null, List.of("userid-group", List.of("User.Modify"), "groups_param", "update")))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateUser(rc.authid(), p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/users/{userid}").name("delete_user").description("Delete user.")
                .param("userid", StandardOptions.userid())
                .permissions(new Permission(null, null, List.of("and", List.of("userid-param", "Realm.AllocateUser"), USER_ADMIN_GROUP)))
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteUser(rc.authid(), p.str("userid")); return null; }))
                .build());
        reg.add(ApiMethod.get("/access/users/{userid}/tfa").name("read_user_tfa_type").description("Get user TFA types (Personal and Realm).")
                .param("userid", StandardOptions.userid())
                .param("multiple", Schema.bool().defaultValue(0).optional().description("Request all entries as an array."))
                .returns(Schema.object())
                .permissions(new Permission(null, null, List.of("or", SELF, List.of("userid-group", List.of("User.Modify", "Sys.Audit")))))
                .handler(wrap((p, rc) -> admin().userTfaTypes(p.str("userid"), p.bool("multiple", false))))
                .build());
        reg.add(ApiMethod.put("/access/users/{userid}/unlock-tfa").name("unlock_tfa").description("Unlock a user's TFA authentication.")
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
                .property("expire", Schema.integer().minimum(0).optional().description("API token expiration date (seconds since epoch). '0' means no expiration date."))
                .property("privsep", Schema.bool().defaultValue(1).optional().description("Restrict API token privileges with separate ACLs (default), or give full privileges of corresponding user."));
    }

    private static Schema tokenName() {
        return Schema.string().pattern("[A-Za-z][A-Za-z0-9\\.\\-_]+").description("User-specific token identifier.");
    }

    private void tokens(ApiRegistry reg) {
        Permission selfOrAdmin = new Permission(null, null, List.of("or", SELF, USER_ADMIN_GROUP));
        reg.add(ApiMethod.get("/access/users/{userid}/token").name("token_index").description("Get user API tokens.")
                .param("userid", StandardOptions.userid())
                .returns(Schema.array(tokenInfo(Schema.object()).property("tokenid", tokenName())).attr("links", List.of(Map.of("href", "{tokenid}", "rel", "child"))))
                .permissions(selfOrAdmin)
                .handler(wrap((p, rc) -> admin().listTokens(p.str("userid"))))
                .build());
        reg.add(ApiMethod.get("/access/users/{userid}/token/{tokenid}").name("read_token").description("Get specific API token information.")
                .param("userid", StandardOptions.userid()).param("tokenid", tokenName())
                .returns(tokenInfo(Schema.object()))
                .permissions(selfOrAdmin)
                .handler(wrap((p, rc) -> admin().readToken(p.str("userid"), p.str("tokenid"))))
                .build());
        reg.add(ApiMethod.post("/access/users/{userid}/token/{tokenid}").name("generate_token").description("Generate a new API token for a specific user. NOTE: returns API token value, which needs to be stored as it cannot be retrieved afterwards!")
                .param("userid", StandardOptions.userid()).param("tokenid", tokenName())
                .param("comment", Schema.string().optional())
                .param("expire", Schema.integer().minimum(0).optional().description("API token expiration date (seconds since epoch). '0' means no expiration date."))
                .param("privsep", Schema.bool().defaultValue(1).optional().description("Restrict API token privileges with separate ACLs (default), or give full privileges of corresponding user."))
                .returns(Schema.object().property("full-tokenid", Schema.string()).property("info", tokenInfo(Schema.object())).property("value", Schema.string()))
                .permissions(selfOrAdmin)
                .protect()
                .handler(wrap((p, rc) -> admin().createToken(p.str("userid"), p.str("tokenid"), p.asMap())))
                .build());
        reg.add(ApiMethod.put("/access/users/{userid}/token/{tokenid}").name("update_token_info").description("Update API token for a specific user.")
                .param("userid", StandardOptions.userid()).param("tokenid", tokenName())
                .param("comment", Schema.string().optional())
                .param("expire", Schema.integer().minimum(0).optional().description("API token expiration date (seconds since epoch). '0' means no expiration date."))
                .param("privsep", Schema.bool().optional().description("Restrict API token privileges with separate ACLs (default), or give full privileges of corresponding user."))
                .returns(tokenInfo(Schema.object()).description("Updated token information."))
                .permissions(selfOrAdmin)
                .protect()
                .handler(wrap((p, rc) -> admin().updateToken(p.str("userid"), p.str("tokenid"), p.asMap())))
                .build());
        reg.add(ApiMethod.delete("/access/users/{userid}/token/{tokenid}").name("remove_token").description("Remove API token for a specific user.")
                .param("userid", StandardOptions.userid()).param("tokenid", tokenName())
                .permissions(selfOrAdmin)
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteToken(p.str("userid"), p.str("tokenid")); return null; }))
                .build());
    }

    // ---- groups -----------------------------------------------------------------------------------------

    private void groups(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/groups").name("index").description("Group index.")
                .returns(Schema.array(Schema.object().property("groupid", StandardOptions.groupid()).property("comment", Schema.string().optional())
                        .property("users", Schema.string().format("pve-userid-list").optional())).attr("links", List.of(Map.of("href", "{groupid}", "rel", "child"))))
                .permissions(Permission.all("The returned list is restricted to groups where you have 'User.Modify', 'Sys.Audit'  or 'Group.Allocate' permissions on /access/groups/<group>."))
                .handler(wrap((p, rc) -> admin().listGroups(rc.authid())))
                .build());
        reg.add(ApiMethod.post("/access/groups").name("create_group").description("Create new group.")
                .param("groupid", StandardOptions.groupid()).param("comment", Schema.string().optional())
                .permissions(Permission.perm("/access/groups", "Group.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().createGroup(p.str("groupid"), p.str("comment", null)); return null; }))
                .build());
        reg.add(ApiMethod.get("/access/groups/{groupid}").name("read_group").description("Get group configuration.")
                .param("groupid", StandardOptions.groupid())
                .returns(Schema.object().property("comment", Schema.string().optional()).property("members", Schema.array(StandardOptions.userid())))
                .permissions(Permission.permAny("/access/groups", "Sys.Audit", "Group.Allocate"))
                .handler(wrap((p, rc) -> admin().readGroup(p.str("groupid"))))
                .build());
        reg.add(ApiMethod.put("/access/groups/{groupid}").name("update_group").description("Update group data.")
                .param("groupid", StandardOptions.groupid()).param("comment", Schema.string().optional())
                .permissions(Permission.perm("/access/groups", "Group.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateGroup(p.str("groupid"), p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/groups/{groupid}").name("delete_group").description("Delete group.")
                .param("groupid", StandardOptions.groupid())
                .permissions(Permission.perm("/access/groups", "Group.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteGroup(p.str("groupid")); return null; }))
                .build());
    }

    // ---- roles ------------------------------------------------------------------------------------------

    private void roles(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/roles").name("index").description("Role index.")
                .returns(Schema.array(Schema.object().property("roleid", StandardOptions.roleid())
                        .property("privs", Schema.string().format("pve-priv-list").optional())
                        .property("special", Schema.bool().defaultValue(0).optional())).attr("links", List.of(Map.of("href", "{roleid}", "rel", "child"))))
                .permissions(Permission.all())
                .handler(wrap((p, rc) -> admin().listRoles()))
                .build());
        reg.add(ApiMethod.post("/access/roles").name("create_role").description("Create new role.")
                .param("roleid", StandardOptions.roleid())
                .param("privs", Schema.string().format("pve-priv-list").optional())
                .permissions(Permission.perm("/access", "Sys.Modify"))
                .protect()
                .handler(wrap((p, rc) -> { admin().createRole(p.str("roleid"), p.str("privs", "")); return null; }))
                .build());
        Schema privMap = Schema.object();
        for (String priv : Privileges.ALL) privMap.property(priv, Schema.bool().optional());
        reg.add(ApiMethod.get("/access/roles/{roleid}").name("read_role").description("Get role configuration.")
                .param("roleid", StandardOptions.roleid())
                .returns(privMap)
                .permissions(Permission.all())
                .handler(wrap((p, rc) -> admin().readRole(p.str("roleid"))))
                .build());
        reg.add(ApiMethod.put("/access/roles/{roleid}").name("update_role").description("Update an existing role.")
                .param("roleid", StandardOptions.roleid())
                .param("privs", Schema.string().format("pve-priv-list").optional())
                .param("append", Schema.bool().optional().requires("privs"))
                .permissions(Permission.perm("/access", "Sys.Modify"))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateRole(p.str("roleid"), p.str("privs", ""), p.bool("append", false)); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/roles/{roleid}").name("delete_role").description("Delete role.")
                .param("roleid", StandardOptions.roleid())
                .permissions(Permission.perm("/access", "Sys.Modify"))
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteRole(p.str("roleid")); return null; }))
                .build());
    }

    // ---- ACL --------------------------------------------------------------------------------------------

    private void acl(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/acl").name("read_acl").description("Get Access Control List (ACLs).")
                .returns(Schema.array(Schema.object().property("path", Schema.string()).property("type", Schema.string().enumValues("user", "group", "token"))
                        .property("ugid", Schema.string()).property("roleid", Schema.string()).property("propagate", Schema.bool().defaultValue(1).optional())))
                .permissions(Permission.all("The returned list is restricted to objects where you have rights to modify permissions."))
                .handler(wrap((p, rc) -> admin().readAcl(rc.authid())))
                .build());
        reg.add(ApiMethod.put("/access/acl").name("update_acl").description("Update Access Control List (add or remove permissions).")
                .param("path", Schema.string().description("Access control path"))
                .param("roles", Schema.string().format("pve-roleid-list").description("List of roles."))
                .param("users", Schema.string().format("pve-userid-list").optional().description("List of users."))
                .param("groups", Schema.string().format("pve-groupid-list").optional().description("List of groups."))
                .param("tokens", Schema.string().format("pve-tokenid-list").optional().description("List of API tokens."))
                .param("propagate", Schema.bool().defaultValue(1).optional().description("Allow to propagate (inherit) permissions."))
                .param("delete", Schema.bool().optional().description("Remove permissions (instead of adding it)."))
                .permissions(new Permission(null, null, List.of("perm-modify", "{path}")))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateAcl(rc.authid(), p.asMap()); return null; }))
                .build());
    }

    // ---- realms -----------------------------------------------------------------------------------------

    private static ApiMethod.Builder realmParams(ApiMethod.Builder b, boolean update) {
        b.param("realm", StandardOptions.realm());
        if (!update) b.param("type", Schema.string().enumValues("ad", "ldap", "openid", "pam", "pve").description("Realm type."));
        b.param("comment", Schema.string().maxLength(4096).optional().description("Description."))
                .param("default", Schema.bool().optional().description("Use this as default realm"))
                .param("tfa", Schema.string().optional().description("Use Two-factor authentication."))
                .param("server1", Schema.string().maxLength(256).optional().description("Server IP address (or DNS name)"))
                .param("server2", Schema.string().maxLength(256).optional().description("Fallback Server IP address (or DNS name)"))
                .param("port", Schema.integer().minimum(1).maximum(65535).optional().description("Server port."))
                .param("base_dn", Schema.string().maxLength(256).optional().description("LDAP base domain name"))
                .param("user_attr", Schema.string().maxLength(256).optional().description("LDAP user attribute name"))
                .param("bind_dn", Schema.string().maxLength(256).optional().description("LDAP bind domain name"))
                .param("password", Schema.string().optional().description("LDAP bind password. Will be stored in '/etc/pve/priv/realm/<REALM>.pw'."))
                .param("domain", Schema.string().maxLength(256).optional().description("AD domain name"))
                .param("secure", Schema.bool().optional().description("Use secure LDAPS protocol. DEPRECATED: use 'mode' instead."))
                .param("mode", Schema.string().enumValues("ldap", "ldaps", "ldap+starttls").optional().description("LDAP protocol mode."))
                .param("verify", Schema.bool().defaultValue(0).optional().description("Verify the server's SSL certificate"))
                .param("capath", Schema.string().optional().description("Path to the CA certificate store"))
                .param("cert", Schema.string().optional().description("Path to the client certificate"))
                .param("certkey", Schema.string().optional().description("Path to the client certificate key"))
                .param("filter", Schema.string().maxLength(2048).optional().description("LDAP filter for user sync."))
                .param("user_classes", Schema.string().optional().description("The objectclasses for users."))
                .param("group_dn", Schema.string().maxLength(256).optional().description("LDAP base domain name for group sync."))
                .param("group_filter", Schema.string().maxLength(2048).optional().description("LDAP filter for group sync."))
                .param("group_classes", Schema.string().optional().description("The objectclasses for groups."))
                .param("group_name_attr", Schema.string().optional().description("LDAP attribute representing a groups name."))
                .param("sync_attributes", Schema.string().optional().description("Comma separated list of key=value pairs for specifying which LDAP attributes map to which PVE user field."))
                .param("sync-defaults-options", Schema.string().optional().description("The default options for behavior of synchronizations."))
                .param("case-sensitive", Schema.bool().defaultValue(1).optional().description("username is case-sensitive"))
                .param("sslversion", Schema.string().enumValues("tlsv1", "tlsv1_1", "tlsv1_2", "tlsv1_3").optional().description("LDAPS TLS/SSL version."))
                .param("check-connection", Schema.bool().defaultValue(0).optional().description("Check bind connection to the server."))
                .param("issuer-url", Schema.string().maxLength(256).optional().description("OpenID Issuer Url"))
                .param("client-id", Schema.string().maxLength(256).optional().description("OpenID Client ID"))
                .param("client-key", Schema.string().maxLength(256).optional().description("OpenID Client Key"))
                .param("autocreate", Schema.bool().defaultValue(0).optional().description("Automatically create users if they do not exist."))
                .param("scopes", Schema.string().optional().description("Specifies the scopes (user details) that should be authorized and returned."))
                .param("prompt", Schema.string().optional().description("Specifies whether the Authorization Server prompts the End-User for reauthentication and consent."))
                .param("acr-values", Schema.string().optional().description("Specifies the Authentication Context Class Reference values."))
                .param("groups-claim", Schema.string().optional().description("OpenID claim used to retrieve groups with."))
                .param("groups-autocreate", Schema.bool().defaultValue(0).optional().description("Automatically create groups if they do not exist."))
                .param("groups-overwrite", Schema.bool().defaultValue(0).optional().description("All groups will be overwritten for the user on login."))
                .param("query-userinfo", Schema.bool().defaultValue(1).optional().description("Enables querying the userinfo endpoint for claims values."));
        if (!update) b.param("username-claim", Schema.string().optional().description("OpenID claim used to generate the unique username."));
        if (update) {
            b.param("delete", Schema.string().format("pve-configid-list").maxLength(4096).optional().description("A list of settings you want to delete."))
                    .param("digest", StandardOptions.configDigest());
        }
        return b;
    }

    private void domains(ApiRegistry reg) {
        reg.add(ApiMethod.get("/access/domains").name("index").description("Authentication domain index.")
                .returns(Schema.array(Schema.object().property("realm", Schema.string()).property("type", Schema.string())
                        .property("comment", Schema.string().optional()).property("tfa", Schema.string().enumValues("yubico", "oath").optional()))
                        .attr("links", List.of(Map.of("href", "{realm}", "rel", "child"))))
                .permissions(Permission.world().withDescription("Anyone can access that, because we need that list for the login box (before the user is authenticated)."))
                .handler(wrap((p, rc) -> admin().listRealms()))
                .build());
        reg.add(realmParams(ApiMethod.post("/access/domains"), false).name("create").description("Add an authentication server.")
                .permissions(Permission.perm("/access/realm", "Realm.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().createRealm(p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.get("/access/domains/{realm}").name("read").description("Get auth server configuration.")
                .param("realm", StandardOptions.realm())
                .returns(Schema.object())
                .permissions(Permission.permAny("/access/realm", "Realm.Allocate", "Sys.Audit"))
                .handler(wrap((p, rc) -> admin().readRealm(p.str("realm"))))
                .build());
        reg.add(realmParams(ApiMethod.put("/access/domains/{realm}"), true).name("update").description("Update authentication server settings.")
                .permissions(Permission.perm("/access/realm", "Realm.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().updateRealm(p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/domains/{realm}").name("delete").description("Delete an authentication server.")
                .param("realm", StandardOptions.realm())
                .permissions(Permission.perm("/access/realm", "Realm.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteRealm(p.str("realm")); return null; }))
                .build());
        reg.add(ApiMethod.post("/access/domains/{realm}/sync").name("sync").description("Syncs users and/or groups from the configured LDAP to user.cfg. NOTE: Synced groups will have the name 'name-$realm', so make sure those groups do not overwrite manually created ones.")
                .param("realm", StandardOptions.realm())
                .param("scope", Schema.string().enumValues("users", "groups", "both").optional().description("Select what to sync."))
                .param("remove-vanished", Schema.string().pattern("(?:(?:(?:acl|properties|entry);)*(?:acl|properties|entry))|none").optional()
                        .description("A semicolon-separated list of things to remove when they or the user vanishes during a sync."))
                .param("enable-new", Schema.bool().defaultValue(1).optional().description("Enable newly synced users immediately."))
                .param("dry-run", Schema.bool().defaultValue(0).optional().description("If set, does not write anything."))
                .param("full", Schema.bool().optional().description("DEPRECATED: use 'remove-vanished' instead."))
                .param("purge", Schema.bool().optional().description("DEPRECATED: use 'remove-vanished' instead."))
                .returns(Schema.string().description("Worker Task-UPID"))
                .permissions(new Permission("'Realm.AllocateUser' on '/access/realm/<realm>' and  'User.Modify' permissions to '/access/groups/'.", null,
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
        reg.add(ApiMethod.get("/access/tfa").name("list_tfa").description("List TFA configurations of users.")
                .returns(Schema.array(Schema.object().property("userid", Schema.string()).property("entries", Schema.array(entry))))
                .permissions(Permission.all("Returns all or just the logged-in user, depending on privileges."))
                .handler(wrap((p, rc) -> admin().listAllTfa(rc.authid())))
                .build());
        reg.add(ApiMethod.get("/access/tfa/{userid}").name("list_user_tfa").description("List TFA configurations of users.")
                .param("userid", StandardOptions.userid())
                .returns(Schema.array(entry).attr("links", List.of(Map.of("href", "{id}", "rel", "child"))))
                .permissions(audit)
                .handler(wrap((p, rc) -> admin().listUserTfa(p.str("userid"))))
                .build());
        reg.add(ApiMethod.post("/access/tfa/{userid}").name("add_tfa_entry").description("Add a TFA entry for a user.")
                .param("userid", StandardOptions.userid())
                .param("type", Schema.string().enumValues("totp", "u2f", "webauthn", "recovery", "yubico").description("TFA Entry Type."))
                .param("description", Schema.string().maxLength(255).optional().description("A description to distinguish multiple entries from one another"))
                .param("totp", Schema.string().optional().description("A totp URI."))
                .param("value", Schema.string().optional().description("The current value for the provided totp URI, or a Webauthn/U2F challenge response"))
                .param("challenge", Schema.string().optional().description("When responding to a u2f challenge: the original challenge string"))
                .param("password", Schema.string().maxLength(64).optional().description("The current password of the user performing the change."))
                .returns(Schema.object().property("id", Schema.string()).property("recovery", Schema.array(Schema.string()).optional())
                        .property("challenge", Schema.string().optional()))
                .permissions(modify)
                .protect()
                .handler(wrap((p, rc) -> admin().addTfa(rc.authid(), p.str("userid"), p.asMap())))
                .build());
        reg.add(ApiMethod.get("/access/tfa/{userid}/{id}").name("get_tfa_entry").description("Fetch a requested TFA entry if present.")
                .param("userid", StandardOptions.userid()).param("id", Schema.string().description("A TFA entry id."))
                .returns(entry)
                .permissions(audit)
                .handler(wrap((p, rc) -> admin().readTfa(p.str("userid"), p.str("id"))))
                .build());
        reg.add(ApiMethod.put("/access/tfa/{userid}/{id}").name("update_tfa_entry").description("Add a TFA entry for a user.")
                .param("userid", StandardOptions.userid()).param("id", Schema.string().description("A TFA entry id."))
                .param("description", Schema.string().maxLength(255).optional().description("A description to distinguish multiple entries from one another"))
                .param("enable", Schema.bool().optional().description("Whether the entry should be enabled for login."))
                .param("password", Schema.string().maxLength(64).optional().description("The current password of the user performing the change."))
                .permissions(modify)
                .protect()
                .handler(wrap((p, rc) -> { admin().updateTfa(rc.authid(), p.str("userid"), p.str("id"), p.asMap()); return null; }))
                .build());
        reg.add(ApiMethod.delete("/access/tfa/{userid}/{id}").name("delete_tfa").description("Delete a TFA entry by ID.")
                .param("userid", StandardOptions.userid()).param("id", Schema.string().description("A TFA entry id."))
                .param("password", Schema.string().maxLength(64).optional().description("The current password of the user performing the change."))
                .permissions(modify)
                .protect()
                .handler(wrap((p, rc) -> { admin().deleteTfa(rc.authid(), p.str("userid"), p.str("id"), p.str("password", null)); return null; }))
                .build());
    }

    // ---- password ---------------------------------------------------------------------------------------

    private void password(ApiRegistry reg) {
        reg.add(ApiMethod.put("/access/password").name("change_password").description("Change user password.")
                .param("userid", StandardOptions.userid())
                .param("password", Schema.string().minLength(5).maxLength(64).description("The new password."))
                .param("confirmation-password", Schema.string().maxLength(64).optional().description("The current password of the user performing the change."))
                .permissions(new Permission("Each user is allowed to change their own password. A user can change the password of another user if they have 'Realm.AllocateUser' (on the realm of user <userid>) and 'User.Modify' permission on /access/groups/<group> on a group where user <userid> is member of. For the PAM realm, a password change does not take effect cluster-wide, but only applies to the local node.", null,
                        List.of("or", SELF, List.of("and", List.of("userid-param", "Realm.AllocateUser"), USER_ADMIN_GROUP))))
                .protect()
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
        reg.add(ApiMethod.get("/pools").name("index").description("List pools or get pool configuration.")
                .param("poolid", StandardOptions.poolid().optional())
                .param("type", Schema.string().enumValues("qemu", "lxc", "storage").optional().requires("poolid"))
                .returns(Schema.array(Schema.object().property("poolid", StandardOptions.poolid()).property("comment", Schema.string().optional())
                        .property("members", Schema.array(member).optional())).attr("links", List.of(Map.of("href", "{poolid}", "rel", "child"))))
                .permissions(Permission.all("List all pools where you have Pool.Audit permissions on /pool/<pool>, or the pool specific with {poolid}"))
                .handler(wrap((p, rc) -> admin().listPools(rc.authid(), p.str("poolid", null), p.str("type", null))))
                .build());
        reg.add(ApiMethod.post("/pools").name("create_pool").description("Create new pool.")
                .param("poolid", StandardOptions.poolid()).param("comment", Schema.string().maxLength(4096).optional())
                .permissions(Permission.perm("/pool/{poolid}", "Pool.Allocate"))
                .protect()
                .handler(wrap((p, rc) -> { admin().createPool(p.str("poolid"), p.str("comment", null)); return null; }))
                .build());
        for (String path : List.of("/pools", "/pools/{poolid}")) {
            boolean legacy = path.equals("/pools/{poolid}");
            reg.add(ApiMethod.put(path).name(legacy ? "update_pool_deprecated" : "update_pool").description("Update pool.")
                    .param("poolid", StandardOptions.poolid())
                    .param("comment", Schema.string().maxLength(4096).optional())
                    .param("vms", StandardOptions.vmidList().optional().description("List of guest VMIDs to add or remove from this pool."))
                    .param("storage", Schema.string().format("pve-storage-id-list").optional().description("List of storage IDs to add or remove from this pool."))
                    .param("allow-move", Schema.bool().defaultValue(0).optional().description("Allow adding a guest even if already in another pool. The guest will be removed from its current pool and added to this one."))
                    .param("delete", Schema.bool().defaultValue(0).optional().description("Remove the passed VMIDs and/or storage IDs instead of adding them."))
                    .permissions(Permission.perm("/pool/{poolid}", "Pool.Allocate").withDescription("You also need the right to modify permissions on any object you add/delete."))
                    .protect()
                    .handler(wrap((p, rc) -> { admin().updatePool(rc.authid(), p.str("poolid"), p.asMap()); return null; }))
                    .build());
            reg.add(ApiMethod.delete(path).name(legacy ? "delete_pool_deprecated" : "delete_pool").description("Delete pool.")
                    .param("poolid", StandardOptions.poolid())
                    .permissions(Permission.perm("/pool/{poolid}", "Pool.Allocate").withDescription("You can only delete empty pools (no members)."))
                    .protect()
                    .handler(wrap((p, rc) -> { admin().deletePool(p.str("poolid")); return null; }))
                    .build());
        }
        reg.add(ApiMethod.get("/pools/{poolid}").name("read_pool").description("Get pool configuration (deprecated, no support for nested pools, use 'GET /pools/?poolid={poolid}').")
                .param("poolid", StandardOptions.poolid())
                .param("type", Schema.string().enumValues("qemu", "lxc", "storage").optional())
                .returns(Schema.object().property("comment", Schema.string().optional()).property("members", Schema.array(member)))
                .permissions(Permission.perm("/pool/{poolid}", "Pool.Audit"))
                .handler(wrap((p, rc) -> admin().readPool(p.str("poolid"), p.str("type", null))))
                .build());
    }
}
