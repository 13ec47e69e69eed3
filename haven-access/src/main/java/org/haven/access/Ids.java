package org.haven.access;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.haven.core.schema.Formats;

/** PVE's identifier rules for user ids, token ids, realms, groups, roles, pools and ACL paths. */
public final class Ids {
    private Ids() {}

    public static final String REALM_REGEX = Formats.REALM;
    public static final String USER_REGEX = Formats.USER;
    public static final String TOKEN_SUBID_REGEX = Formats.TOKEN;
    private static final Pattern USERID = Pattern.compile("^(" + USER_REGEX + ")@(" + REALM_REGEX + ")$");
    private static final Pattern TOKENID = Pattern.compile("^(" + USER_REGEX + "@" + REALM_REGEX + ")!(" + TOKEN_SUBID_REGEX + ")$");
    private static final Pattern REALM = Pattern.compile("^" + REALM_REGEX + "$");
    private static final Pattern NAME = Pattern.compile("^[A-Za-z0-9\\.\\-_]+$");
    private static final Pattern POOL = Pattern.compile("^[A-Za-z0-9\\.\\-_]+(?:/[A-Za-z0-9\\.\\-_]+){0,2}$");
    private static final Pattern PATH_CHARS = Pattern.compile("^[\\p{Alnum}\\.\\-_/]+$");
    private static final Pattern TOKEN_SUBID = Pattern.compile("^" + TOKEN_SUBID_REGEX + "$");

    /** A user id split into its parts. */
    public record UserId(String userid, String user, String realm) {}

    /** PVE's {@code verify_username}: throws with PVE's message when invalid. */
    public static UserId parseUserId(String userid) {
        if (userid == null) userid = "";
        int len = userid.length();
        if (len < 3) throw new IllegalArgumentException("user name '" + userid + "' is too short");
        if (len > Formats.USERID_MAX) throw new IllegalArgumentException("user name '" + userid + "' is too long (" + len + " > " + Formats.USERID_MAX + ")");
        Matcher m = USERID.matcher(userid);
        if (!m.matches()) throw new IllegalArgumentException("value '" + userid + "' does not look like a valid user name");
        return new UserId(userid, m.group(1), m.group(2));
    }

    public static boolean isUserId(String userid) {
        return userid != null && userid.length() >= 3 && userid.length() <= Formats.USERID_MAX && USERID.matcher(userid).matches();
    }

    /** A token id {@code user@realm!name} split into user id and token name. */
    public record TokenId(String tokenid, String userid, String name) {}

    public static boolean isTokenId(String tokenid) {
        if (tokenid == null) return false;
        Matcher m = TOKENID.matcher(tokenid);
        return m.matches() && isUserId(m.group(1));
    }

    public static TokenId parseTokenId(String tokenid) {
        Matcher m = tokenid == null ? null : TOKENID.matcher(tokenid);
        if (m == null || !m.matches() || !isUserId(m.group(1)))
            throw new IllegalArgumentException("value '" + tokenid + "' does not look like a valid token ID");
        return new TokenId(tokenid, m.group(1), m.group(2));
    }

    public static boolean isTokenSubId(String name) { return name != null && TOKEN_SUBID.matcher(name).matches(); }

    /** True for a user id or a token id. */
    public static boolean isAuthId(String id) { return isUserId(id) || isTokenId(id); }

    /** The user owning an auth id (the id itself for users). */
    public static String ownerOf(String authid) {
        return isTokenId(authid) ? parseTokenId(authid).userid() : authid;
    }

    public static boolean isRealm(String realm) { return realm != null && REALM.matcher(realm).matches(); }
    public static boolean isGroupName(String g) { return g != null && NAME.matcher(g).matches(); }
    public static boolean isRoleName(String r) { return r != null && NAME.matcher(r).matches(); }
    public static boolean isPoolName(String p) { return p != null && POOL.matcher(p).matches(); }

    /** PVE's {@code normalize_path}: collapses slashes, strips a trailing one, prepends one; null when invalid. */
    public static String normalizePath(String path) {
        if (path == null || path.isEmpty()) return null;
        String p = path.replaceAll("/+", "/");
        if (p.endsWith("/")) p = p.substring(0, p.length() - 1);
        if (p.isEmpty()) p = "/";
        if (!p.startsWith("/")) p = "/" + p;
        if (!PATH_CHARS.matcher(p).matches()) return null;
        return p;
    }
}
