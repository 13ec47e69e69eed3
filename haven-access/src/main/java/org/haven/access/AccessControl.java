package org.haven.access;

import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;
import org.haven.core.cfs.CfsException;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.time.Clock;

/**
 * Entry point of access control over the cluster file system: logins (pam, pve realms), tickets, CSRF tokens,
 * API tokens, permission checks, and the user configuration files ({@code user.cfg}, {@code domains.cfg},
 * {@code priv/shadow.cfg}, {@code priv/token.cfg}).
 * Files are re-read when their content changes, so every node sees changes made elsewhere.
 */
public final class AccessControl {
    public static final String USER_CFG = "user.cfg";
    public static final String DOMAINS_CFG = "domains.cfg";
    public static final String SHADOW_CFG = "priv/shadow.cfg";
    public static final String TOKEN_CFG = "priv/token.cfg";
    public static final String AUTHKEY_KEY = "priv/authkey.key";
    public static final String AUTHKEY_PUB = "authkey.pub";
    public static final String WWW_KEY = "priv/pve-www.key";
    public static final String TFA_CFG = "priv/tfa.cfg";
    static final Duration LOCK_TIMEOUT = Duration.ofSeconds(10);

    private final ClusterFs fs;
    private final Clock clock;
    private final PamAuthenticator pam;
    private final String pamService;
    private final SecureRandom random = new SecureRandom();
    private YubicoOtp yubico = new YubicoOtp();

    /** Replace the YubiKey OTP verifier (its HTTP client). */
    public void setYubico(YubicoOtp y) { this.yubico = y; }

    private byte[] userCfgBytes;
    private UserConfig userCfg;
    private Permissions permissions;
    private String keysSource;
    private PrivateKey privateKey;
    private PublicKey publicKey;

    public AccessControl(ClusterFs fs, Clock clock) {
        this(fs, clock, PamAuthenticator.system(), PamAuthenticator.defaultService());
    }

    public AccessControl(ClusterFs fs, Clock clock, PamAuthenticator pam, String pamService) {
        this.fs = fs;
        this.clock = clock;
        this.pam = pam;
        this.pamService = pamService;
    }

    public ClusterFs fs() { return fs; }
    public Clock clock() { return clock; }

    // ---- configuration ------------------------------------------------------------------------------

    /** The current {@code user.cfg} (shared, do not modify; use {@link #modifyUserConfig}). */
    public synchronized UserConfig userConfig() {
        byte[] now = fs.read(USER_CFG).orElse(new byte[0]);
        if (userCfg == null || !Arrays.equals(now, userCfgBytes)) {
            userCfg = UserConfig.parse(new String(now, StandardCharsets.UTF_8));
            userCfgBytes = now;
            permissions = new Permissions(userCfg);
        }
        return userCfg;
    }

    /** A permission evaluator over the current {@code user.cfg}. */
    public synchronized Permissions permissions() {
        userConfig();
        return permissions;
    }

    public Domains domains() { return Domains.parse(fs.readString(DOMAINS_CFG).orElse(null)); }

    public Shadow shadow() { return Shadow.parse(fs.readString(SHADOW_CFG).orElse(null)); }

    public TokenSecrets tokenSecrets() { return TokenSecrets.parse(fs.readString(TOKEN_CFG).orElse(null)); }

    /**
     * Change {@code user.cfg} under the cluster lock: {@code change} works on a private copy, which is written
     * only when it returns normally (an exception leaves the file untouched).
     */
    public <T> T modifyUserConfig(Function<UserConfig, T> change) {
        return fs.withLock("file-user_cfg", LOCK_TIMEOUT, () -> {
            UserConfig copy = UserConfig.parse(fs.readString(USER_CFG).orElse(""));
            T result = change.apply(copy);
            fs.writeString(USER_CFG, copy.write());
            return result;
        });
    }

    public <T> T modifyShadow(Function<Shadow, T> change) {
        return fs.withLock("file-priv_shadow_cfg", LOCK_TIMEOUT, () -> {
            Shadow s = shadow();
            T result = change.apply(s);
            ensurePrivDir();
            fs.writeString(SHADOW_CFG, s.write());
            return result;
        });
    }

    public <T> T modifyTokenSecrets(Function<TokenSecrets, T> change) {
        return fs.withLock("file-priv_token_cfg", LOCK_TIMEOUT, () -> {
            TokenSecrets s = tokenSecrets();
            T result = change.apply(s);
            ensurePrivDir();
            fs.writeString(TOKEN_CFG, s.write());
            return result;
        });
    }

    private void ensurePrivDir() {
        if (fs.stat("priv").isEmpty()) fs.mkdirs("priv");
    }

    // ---- users ----------------------------------------------------------------------------------------

    /** PVE's {@code check_user_enabled}: throws with PVE's message when missing, disabled or expired. */
    public void checkUserEnabled(String userid) {
        UserConfig.User u = userConfig().users.get(userid);
        if (u == null) throw new AuthenticationException("no such user ('" + userid + "')");
        if (!u.enable) throw new AuthenticationException("user '" + userid + "' is disabled");
        if (u.expire != 0 && u.expire < clock.epochSeconds()) throw new AuthenticationException("user '" + userid + "' access expired");
    }

    public boolean isUserEnabled(String userid) {
        try {
            checkUserEnabled(userid);
            return true;
        } catch (AuthenticationException e) {
            return false;
        }
    }

    /**
     * Check the first factor: normalize {@code username} (appending {@code realm} when the name has none), check
     * that the user exists, is enabled and not expired, and verify the password with the realm. Returns the user id.
     */
    public String verifyPassword(String username, String password, String realm) {
        if (username == null || username.isEmpty()) throw new AuthenticationException("no username specified");
        Ids.UserId id = lookupUser(normalizeUser(username, realm));
        checkUserEnabled(id.userid());
        Optional<String> type = domains().type(id.realm());
        if (type.isEmpty()) throw new AuthenticationException("auth domain '" + id.realm() + "' does not exist");
        if (password == null || password.isEmpty()) throw new AuthenticationException("no password");
        switch (type.get()) {
            case "pve" -> {
                String hash = shadow().hashes.get(id.user());
                if (hash == null) throw new AuthenticationException("no password set");
                if (!ShaCrypt.verify(password, hash)) throw new AuthenticationException("invalid credentials");
            }
            case "pam" -> pam.authenticate(pamService, id.user(), password, null);
            case "ldap", "ad" -> ldap().authenticate(domains().realm(id.realm()).orElseThrow(), id.user(), password);
            default -> throw new AuthenticationException("realm type '" + type.get() + "' is not supported for login");
        }
        return id.userid();
    }

    /**
     * PVE's {@code lookup_username}: in realms with {@code case-sensitive 0} the user name matches the configured
     * user regardless of case.
     */
    private Ids.UserId lookupUser(Ids.UserId id) {
        UserConfig cfg = userConfig();
        if (cfg.users.containsKey(id.userid())) return id;
        boolean insensitive = domains().realm(id.realm()).flatMap(s -> s.get("case-sensitive")).map(v -> !UserConfig.truthy(v)).orElse(false);
        if (!insensitive) return id;
        for (String u : cfg.users.keySet()) if (u.equalsIgnoreCase(id.userid())) return Ids.parseUserId(u);
        return id;
    }

    private static Ids.UserId normalizeUser(String username, String realm) {
        String full = username;
        if (realm != null && !realm.isEmpty() && !username.contains("@")) full = username + "@" + realm;
        try {
            return Ids.parseUserId(full);
        } catch (IllegalArgumentException e) {
            throw new AuthenticationException(e.getMessage());
        }
    }

    /**
     * Authenticate {@code username} (with or without {@code @realm}) including second factors, and return the
     * normalized user id. A user with second factors needs {@code otp} ({@code totp:<code>},
     * {@code recovery:<key>} or a bare TOTP code); without it a {@link TfaRequiredException} carrying the
     * partial ticket of PVE's two-step flow is thrown.
     */
    public String login(String username, String password, String realm, String otp) {
        LoginResult r = authenticate(username, password, realm, otp, null);
        if (r.needTfa()) throw new TfaRequiredException(r.userid(), r.ticket());
        return r.userid();
    }

    /** Result of {@link #authenticate}: a full ticket, or a partial one when a second factor is still needed. */
    public record LoginResult(String userid, String ticket, boolean needTfa) {}

    /**
     * PVE's {@code POST /access/ticket} logic. Without {@code tfaChallenge}: check the password, then (realm OATH,
     * or factors in tfa.cfg) either verify {@code otp} or return a partial ticket with {@code needTfa}. With
     * {@code tfaChallenge} (the partial ticket): {@code password} is the second factor ({@code totp:…},
     * {@code recovery:…}); returns the full ticket.
     */
    public LoginResult authenticate(String username, String password, String realm, String otp, String tfaChallenge) {
        if (tfaChallenge != null) {
            if (username == null || username.isEmpty()) throw new AuthenticationException("no username specified");
            Ids.UserId id = normalizeUser(username, realm);
            Tickets.Verified v = verifyAnyKey("PVE", tfaChallenge, id.userid(), TFA_CHALLENGE_LIFETIME)
                    .orElseThrow(() -> new AuthenticationException("invalid tfa challenge"));
            if (!v.data().startsWith("!tfa!")) throw new AuthenticationException("invalid tfa challenge");
            checkUserEnabled(id.userid());
            verifySecondFactor(id.userid(), password, webAuthnChallenge(v.data()));
            return new LoginResult(id.userid(), createTicket(id.userid()), false);
        }
        String userid = verifyPassword(username, password, realm);
        Ids.UserId id = Ids.parseUserId(userid);
        // realm-level OATH (keys in user.cfg)
        Optional<Map<String, String>> realmTfa = domains().realm(id.realm()).flatMap(s -> s.get("tfa"))
                .map(t -> org.haven.core.format.PropertyString.parse(t, "type"));
        if (realmTfa.isPresent() && "oath".equals(realmTfa.get().get("type"))) {
            verifyRealmOath(userid, realmTfa.get(), otp);
            return new LoginResult(userid, createTicket(userid), false);
        }
        if (realmTfa.isPresent() && "yubico".equals(realmTfa.get().get("type"))) {
            UserConfig.User u = userConfig().users.get(userid);
            if (u == null || u.keys == null || u.keys.isBlank() || u.keys.equals("x"))
                throw new AuthenticationException("missing required yubico keys for user '" + userid + "'");
            if (otp == null || otp.isEmpty()) throw new AuthenticationException("missing otp");
            yubico.verify(realmTfa.get(), u.keys, otp);
            return new LoginResult(userid, createTicket(userid), false);
        }
        TfaConfig tfa = tfaConfig();
        if (tfa.hasFactors(userid)) {
            if (otp != null && !otp.isEmpty()) {
                verifySecondFactor(userid, otp, null);
                return new LoginResult(userid, createTicket(userid), false);
            }
            tools.jackson.databind.node.ObjectNode challenge = TFA_JSON.createObjectNode();
            boolean totp = !tfa.totpLocked(userid) && tfa.entries(userid).stream().anyMatch(e -> e.type().equals("totp") && e.enable());
            challenge.put("totp", totp);
            List<Integer> rec = tfa.availableRecovery(userid);
            if (!rec.isEmpty()) {
                tools.jackson.databind.node.ArrayNode r = challenge.putArray("recovery");
                rec.forEach(r::add);
            }
            Optional<WebAuthn.Config> wa = webAuthnConfig();
            List<TfaConfig.WebAuthnEntry> creds = tfa.webAuthn(userid);
            if (wa.isPresent() && !creds.isEmpty())
                challenge.set("webauthn", TFA_JSON.readTree(WebAuthn.requestOptions(wa.get(), WebAuthn.newChallenge(),
                        creds.stream().map(TfaConfig.WebAuthnEntry::credential).toList())));
            String data = "!tfa!" + java.net.URLEncoder.encode(TFA_JSON.writeValueAsString(challenge), StandardCharsets.UTF_8);
            return new LoginResult(userid, createTicket("PVE", data, userid), true);
        }
        return new LoginResult(userid, createTicket(userid), false);
    }

    static final long TFA_CHALLENGE_LIFETIME = 120;
    private static final tools.jackson.databind.json.JsonMapper TFA_JSON = tools.jackson.databind.json.JsonMapper.builder().build();

    /** The WebAuthn relying party from {@code datacenter.cfg} ({@code webauthn: id=…,origin=…,rp=…}), when configured. */
    public Optional<WebAuthn.Config> webAuthnConfig() {
        Optional<String> v = fs.readString("datacenter.cfg").flatMap(dc -> org.haven.core.format.DatacenterConfig.parse(dc).get("webauthn"));
        try {
            return v.map(WebAuthn.Config::parse);
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }

    /** The WebAuthn challenge carried in a verified partial ticket, or null. */
    private static String webAuthnChallenge(String ticketData) {
        try {
            tools.jackson.databind.JsonNode n = TFA_JSON.readTree(java.net.URLDecoder.decode(ticketData.substring(5), StandardCharsets.UTF_8));
            return n.path("webauthn").path("publicKey").path("challenge").asString(null);
        } catch (RuntimeException e) {
            return null;
        }
    }

    /**
     * A registration challenge that needs no server-side state: time stamp, random bytes and an HMAC (keyed with
     * {@code priv/pve-www.key}) over them and the user id, base64url-encoded.
     */
    public String webAuthnRegistrationChallenge(String userid) {
        byte[] body = new byte[24];
        random.nextBytes(body);
        java.nio.ByteBuffer.wrap(body).putLong(clock.epochSeconds());
        byte[] mac = challengeMac(userid, body);
        byte[] out = new byte[40];
        System.arraycopy(body, 0, out, 0, 24);
        System.arraycopy(mac, 0, out, 24, 16);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(out);
    }

    /** True when {@code challenge} was issued by {@link #webAuthnRegistrationChallenge} for {@code userid} within 5 minutes. */
    public boolean checkWebAuthnRegistrationChallenge(String userid, String challenge) {
        byte[] raw;
        try {
            raw = Base64.getUrlDecoder().decode(challenge);
        } catch (IllegalArgumentException | NullPointerException e) {
            return false;
        }
        if (raw.length != 40) return false;
        byte[] body = java.util.Arrays.copyOf(raw, 24);
        byte[] mac = challengeMac(userid, body);
        if (!MessageDigest.isEqual(java.util.Arrays.copyOfRange(raw, 24, 40), java.util.Arrays.copyOf(mac, 16))) return false;
        long age = clock.epochSeconds() - java.nio.ByteBuffer.wrap(body).getLong();
        return age >= Tickets.MIN_AGE && age <= 300;
    }

    private byte[] challengeMac(String userid, byte[] body) {
        try {
            javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
            mac.init(new javax.crypto.spec.SecretKeySpec(wwwKey(), "HmacSHA256"));
            mac.update(("webauthn-registration:" + userid + ":").getBytes(StandardCharsets.UTF_8));
            return mac.doFinal(body);
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    private void verifyRealmOath(String userid, Map<String, String> cfg, String otp) {
        UserConfig.User u = userConfig().users.get(userid);
        String keys = u == null ? null : u.keys;
        if (keys == null || keys.isBlank() || keys.equals("x")) throw new AuthenticationException("missing required otp keys for user '" + userid + "'");
        if (otp == null || otp.isEmpty()) throw new AuthenticationException("missing otp");
        int digits = Integer.parseInt(cfg.getOrDefault("digits", "6"));
        int step = Integer.parseInt(cfg.getOrDefault("step", "30"));
        for (String k : UserConfig.splitList(keys)) {
            try {
                Totp t = new Totp(Totp.parseKey(k), "SHA1", digits, step, null, null);
                if (t.verify(otp, clock.epochSeconds())) return;
            } catch (IllegalArgumentException ignored) {
                // an unparsable key never matches
            }
        }
        throw new AuthenticationException("otp validation failed");
    }

    /** Failed TOTP attempts before TOTP is locked (until a recovery key is used or an admin unlocks it). */
    public static final int TOTP_TRIES = 8;
    /** Failed second-factor attempts before all factors are blocked for {@link #TFA_LOCK_SECONDS}. */
    public static final int TFA_TRIES = 100;
    public static final long TFA_LOCK_SECONDS = 3600;
    private final java.util.concurrent.ConcurrentHashMap<String, int[]> tfaFailures = new java.util.concurrent.ConcurrentHashMap<>();

    private void verifySecondFactor(String userid, String response, String webAuthnChallenge) {
        if (response == null || response.isEmpty()) throw new AuthenticationException("missing second factor");
        long now = clock.epochSeconds();
        TfaConfig tfa = tfaConfig();
        if (tfa.lockedUntil(userid) > now) throw new AuthenticationException("second factor login has been locked for user '" + userid + "'");
        String kind = null, value = response;
        int colon = response.indexOf(':');
        if (colon > 0) { kind = response.substring(0, colon); value = response.substring(colon + 1); }
        final String v = value;
        int[] fails = tfaFailures.computeIfAbsent(userid, k -> new int[2]);
        if (kind == null || kind.equals("totp")) {
            boolean locked = tfa.totpLocked(userid);
            if (!locked) {
                for (TfaConfig.Entry e : tfa.entries(userid)) {
                    if (!e.type().equals("totp") || !e.enable()) continue;
                    if (tfa.totp(userid, e.id()).verify(v, now)) {
                        fails[0] = 0;
                        fails[1] = 0;
                        return;
                    }
                }
                if (v.matches("\\d{6,8}")) recordFailure(userid, fails, true);
            }
            if (kind != null) throw new AuthenticationException(locked ? "totp: locked after too many failed attempts" : "totp: invalid code");
        }
        if ("webauthn".equals(kind)) {
            Optional<WebAuthn.Config> cfg = webAuthnConfig();
            if (cfg.isEmpty() || webAuthnChallenge == null) throw new AuthenticationException("webauthn: no challenge");
            List<TfaConfig.WebAuthnEntry> entries = tfa.webAuthn(userid);
            WebAuthn.Credential used;
            try {
                used = WebAuthn.authenticate(cfg.get(), webAuthnChallenge, v, entries.stream().map(TfaConfig.WebAuthnEntry::credential).toList());
            } catch (AuthenticationException e) {
                recordFailure(userid, fails, false);
                throw e;
            }
            for (TfaConfig.WebAuthnEntry e : entries)
                if (java.util.Arrays.equals(e.credential().id(), used.id()))
                    modifyTfa(t -> { t.setWebAuthnCounter(userid, e.entryId(), used.counter()); return null; });
            fails[0] = 0;
            fails[1] = 0;
            return;
        }
        if (kind == null || kind.equals("recovery")) {
            boolean used = modifyTfa(t -> {
                if (!t.useRecovery(userid, v)) return false;
                t.unlockTotp(userid);
                return true;
            });
            if (used) {
                fails[0] = 0;
                fails[1] = 0;
                return;
            }
            recordFailure(userid, fails, false);
            throw new AuthenticationException("recovery: invalid key");
        }
        throw new AuthenticationException("unsupported second factor '" + kind + "'");
    }

    private void recordFailure(String userid, int[] fails, boolean totp) {
        boolean lockTotp, lockAll;
        synchronized (fails) {
            if (totp) fails[0]++;
            fails[1]++;
            lockTotp = totp && fails[0] >= TOTP_TRIES;
            lockAll = fails[1] >= TFA_TRIES;
            if (lockAll) fails[1] = 0;
        }
        if (lockTotp || lockAll) {
            long until = clock.epochSeconds() + TFA_LOCK_SECONDS;
            modifyTfa(t -> {
                if (lockTotp) t.lockTotp(userid);
                if (lockAll) t.lockUntil(userid, until);
                return null;
            });
        }
    }

    // ---- TFA configuration ------------------------------------------------------------------------------

    public TfaConfig tfaConfig() { return TfaConfig.parse(fs.readString(TFA_CFG).orElse(null)); }

    public <T> T modifyTfa(Function<TfaConfig, T> change) {
        return fs.withLock("file-priv_tfa_cfg", LOCK_TIMEOUT, () -> {
            TfaConfig t = tfaConfig();
            String before = t.write();
            T result = change.apply(t);
            String after = t.write();
            if (!after.equals(before) || fs.read(TFA_CFG).isEmpty()) {
                ensurePrivDir();
                fs.writeString(TFA_CFG, after);
            }
            return result;
        });
    }

    private LdapRealm ldap() { return new LdapRealm(fs); }

    /** Set the password of a {@code pve} realm user ({@code pam} users are changed with chpasswd). */
    public void setPassword(String userid, String password) {
        Ids.UserId id = Ids.parseUserId(userid);
        String type = domains().type(id.realm()).orElseThrow(() -> new IllegalArgumentException("auth domain '" + id.realm() + "' does not exist"));
        if (password == null || password.length() < 5) throw new IllegalArgumentException("password is too short");
        switch (type) {
            case "pve" -> modifyShadow(s -> s.hashes.put(id.user(), ShaCrypt.hash512(password)));
            case "pam" -> {
                try {
                    Process p = new ProcessBuilder("chpasswd").redirectErrorStream(true).start();
                    p.getOutputStream().write((id.user() + ":" + password + "\n").getBytes(StandardCharsets.UTF_8));
                    p.getOutputStream().close();
                    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    if (p.waitFor() != 0) throw new IllegalStateException("change password failed: " + out.strip());
                } catch (java.io.IOException e) {
                    throw new IllegalStateException("change password failed: " + e.getMessage(), e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted");
                }
            }
            default -> throw new IllegalArgumentException("realm '" + id.realm() + "' does not allow to change passwords");
        }
    }

    // ---- tickets --------------------------------------------------------------------------------------

    /** PVE rotates the ticket signing key once a day. */
    public static final long AUTHKEY_LIFETIME = 24 * 3600;
    public static final String AUTHKEY_PUB_OLD = "authkey.pub.old";
    private String oldKeySource;
    private PublicKey oldPublicKey;

    private synchronized void loadKeys() {
        Optional<String> priv = fs.readString(AUTHKEY_KEY);
        Optional<String> pub = fs.readString(AUTHKEY_PUB);
        boolean old = fs.stat(AUTHKEY_KEY).map(e -> e.mtime() > 0 && clock.epochSeconds() - e.mtime() > AUTHKEY_LIFETIME).orElse(false);
        if (priv.isEmpty() || pub.isEmpty() || old) {
            fs.withLock("authkey", LOCK_TIMEOUT, () -> {
                boolean missing = fs.read(AUTHKEY_KEY).isEmpty() || fs.read(AUTHKEY_PUB).isEmpty();
                boolean expired = fs.stat(AUTHKEY_KEY).map(e -> e.mtime() > 0 && clock.epochSeconds() - e.mtime() > AUTHKEY_LIFETIME).orElse(false);
                if (missing || expired) {
                    KeyPair kp = Tickets.generateRsa(2048);
                    ensurePrivDir();
                    // tickets signed with the previous key stay valid until they expire
                    fs.read(AUTHKEY_PUB).ifPresent(b -> fs.write(AUTHKEY_PUB_OLD, b));
                    fs.writeString(AUTHKEY_KEY, Tickets.privatePem(kp.getPrivate()));
                    fs.writeString(AUTHKEY_PUB, Tickets.publicPem(kp.getPublic()));
                }
                return null;
            });
            priv = fs.readString(AUTHKEY_KEY);
            pub = fs.readString(AUTHKEY_PUB);
        }
        String source = priv.orElseThrow() + pub.orElseThrow();
        if (!source.equals(keysSource)) {
            privateKey = Tickets.readPrivate(priv.get());
            publicKey = Tickets.readPublic(pub.get());
            keysSource = source;
        }
        Optional<String> oldPub = fs.readString(AUTHKEY_PUB_OLD);
        if (oldPub.isEmpty()) {
            oldPublicKey = null;
            oldKeySource = null;
        } else if (!oldPub.get().equals(oldKeySource)) {
            try {
                oldPublicKey = Tickets.readPublic(oldPub.get());
            } catch (IllegalArgumentException e) {
                oldPublicKey = null;
            }
            oldKeySource = oldPub.get();
        }
    }

    /** Verify with the current key, then with the previous one (tickets issued before the last rotation). */
    private Optional<Tickets.Verified> verifyAnyKey(String prefix, String ticket, String secret, long maxAge) {
        loadKeys();
        long now = clock.epochSeconds();
        Optional<Tickets.Verified> v = Tickets.verify(publicKey, prefix, ticket, secret, now, Tickets.MIN_AGE, maxAge);
        if (v.isEmpty() && oldPublicKey != null) v = Tickets.verify(oldPublicKey, prefix, ticket, secret, now, Tickets.MIN_AGE, maxAge);
        return v;
    }

    /** A login ticket for {@code userid}, valid for two hours. */
    public String createTicket(String userid) {
        loadKeys();
        return Tickets.assemble(privateKey, "PVE", userid, null, clock.epochSeconds());
    }

    /** Verify a login ticket and return its user id; the user must still be enabled. */
    public String verifyTicket(String ticket) {
        Tickets.Verified v = verifyAnyKey("PVE", ticket, null, Tickets.TICKET_LIFETIME)
                .orElseThrow(() -> new AuthenticationException("invalid ticket"));
        if (!Ids.isUserId(v.data())) throw new AuthenticationException("invalid ticket");
        checkUserEnabled(v.data());
        return v.data();
    }

    /** Sign arbitrary ticket data (used for VNC tickets and the TFA partial ticket). */
    public String createTicket(String prefix, String data, String secretData) {
        loadKeys();
        return Tickets.assemble(privateKey, prefix, data, secretData, clock.epochSeconds());
    }

    public Optional<Tickets.Verified> verifyTicket(String prefix, String ticket, String secretData, long maxAge) {
        return verifyAnyKey(prefix, ticket, secretData, maxAge);
    }

    private byte[] wwwKey() {
        Optional<byte[]> k = fs.read(WWW_KEY);
        if (k.isPresent()) return k.get();
        return fs.withLock("pve-www-key", LOCK_TIMEOUT, () -> {
            Optional<byte[]> again = fs.read(WWW_KEY);
            if (again.isPresent()) return again.get();
            ensurePrivDir();
            String pem = Tickets.privatePem(Tickets.generateRsa(2048).getPrivate());
            fs.writeString(WWW_KEY, pem);
            return pem.getBytes(StandardCharsets.UTF_8);
        });
    }

    public String csrfToken(String userid) {
        return Tickets.csrfToken(wwwKey(), userid, clock.epochSeconds());
    }

    public boolean verifyCsrfToken(String userid, String token) {
        return Tickets.verifyCsrfToken(wwwKey(), userid, token, clock.epochSeconds(), Tickets.TICKET_LIFETIME);
    }

    // ---- API tokens -----------------------------------------------------------------------------------

    /** Verify {@code user@realm!tokenid=secret} (the value after {@code PVEAPIToken=}); returns the token id. */
    public String verifyApiToken(String apiToken) {
        if (apiToken == null || apiToken.isEmpty()) throw new AuthenticationException("no API token specified");
        int eq = apiToken.lastIndexOf('=');
        if (eq < 0) throw new AuthenticationException("no tokenid specified");
        return verifyApiToken(apiToken.substring(0, eq), apiToken.substring(eq + 1));
    }

    public String verifyApiToken(String tokenid, String secret) {
        Ids.TokenId t;
        try {
            t = Ids.parseTokenId(tokenid);
        } catch (IllegalArgumentException e) {
            throw new AuthenticationException(e.getMessage());
        }
        checkUserEnabled(t.userid());
        UserConfig.Token info = userConfig().token(tokenid);
        if (info == null) throw new AuthenticationException("no such token '" + t.name() + "' for user '" + t.userid() + "'");
        if (info.expire != 0 && info.expire < clock.epochSeconds()) throw new AuthenticationException("token '" + t.name() + "' access expired");
        String stored = tokenSecrets().secrets.get(tokenid);
        if (stored == null || secret == null || !MessageDigest.isEqual(stored.getBytes(StandardCharsets.UTF_8), secret.getBytes(StandardCharsets.UTF_8)))
            throw new AuthenticationException("invalid token value!");
        return tokenid;
    }

    // ---- permissions ----------------------------------------------------------------------------------

    public boolean check(String authid, String path, Set<String> privs, boolean any) {
        return permissions().check(authid, path, privs, any);
    }

    /** The check-language evaluator over the current configuration. */
    public Checks checks() { return new Checks(permissions()); }

    /** Evaluate a PVE permission check array ({@code ["perm", path, [privs]]}, {@code ["and", …]}, …). */
    public boolean evaluateCheck(java.util.List<?> check, String authid, Map<String, ?> params) {
        return checks().evaluate(check, authid, params);
    }

    /** PVE's "userid-group" test without group parameters: may the caller manage {@code userid}? */
    public boolean checkUserGroup(String authid, String userid, java.util.Collection<String> privs) {
        if (userid == null || !userConfig().users.containsKey(userid)) return "root@pam".equals(authid);
        return checks().userInManagedGroup(authid, userid, privs);
    }

    /** Privileges (→ propagate flag) of {@code authid} on {@code path}. */
    public Map<String, Boolean> privileges(String authid, String path) {
        return permissions().privileges(authid, path);
    }

    /** What {@code GET /access/permissions} returns: path → privilege → propagate (1/0). */
    public Map<String, Map<String, Integer>> permissionMap(String authid, String path) {
        Map<String, Map<String, Integer>> out = new TreeMap<>();
        if (path != null) {
            out.put(path, toInts(privileges(authid, path)));
        } else {
            permissions().effective(authid).forEach((p, m) -> out.put(p, toInts(m)));
        }
        return out;
    }

    private static final Map<String, java.util.regex.Pattern> CAPABILITY_RE = new java.util.LinkedHashMap<>();
    static {
        CAPABILITY_RE.put("vms", java.util.regex.Pattern.compile("^(VM\\.|Permissions\\.Modify)"));
        CAPABILITY_RE.put("access", java.util.regex.Pattern.compile("^((User|Group)\\.|Permissions\\.Modify)"));
        CAPABILITY_RE.put("storage", java.util.regex.Pattern.compile("^(Datastore\\.|Permissions\\.Modify)"));
        CAPABILITY_RE.put("nodes", java.util.regex.Pattern.compile("^(Sys\\.|Permissions\\.Modify)"));
        CAPABILITY_RE.put("sdn", java.util.regex.Pattern.compile("^(SDN\\.|Permissions\\.Modify)"));
        CAPABILITY_RE.put("dc", java.util.regex.Pattern.compile("^(Sys\\.Audit|Sys\\.Modify|SDN\\.)"));
        CAPABILITY_RE.put("mapping", java.util.regex.Pattern.compile("^(Mapping\\.|Permissions\\.Modify)"));
    }

    /**
     * PVE's {@code compute_api_permission}: the privileges the web UI uses to show features ({@code cap} of the
     * login answer), per area (vms, access, storage, nodes, sdn, dc, mapping), from the standard paths and every
     * ACL path; privileges on pools count for vms and storage.
     */
    public Map<String, Map<String, Integer>> capabilities(String authid) {
        Map<String, Map<String, Integer>> res = new TreeMap<>();
        for (String k : CAPABILITY_RE.keySet()) res.put(k, new TreeMap<>());
        java.util.LinkedHashSet<String> paths = new java.util.LinkedHashSet<>(List.of("/", "/nodes", "/access/groups", "/vms", "/storage", "/sdn", "/mapping"));
        paths.addAll(userConfig().acl.keySet());
        for (String path : paths) {
            Map<String, Boolean> privs = privileges(authid, path);
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^/(\\w+)").matcher(path);
            String top = m.find() ? m.group(1) : "dc";
            if (top.equals("pool")) {
                for (String priv : privs.keySet()) {
                    if (priv.startsWith("VM.")) res.get("vms").put(priv, 1);
                    else if (priv.startsWith("Datastore.")) res.get("storage").put(priv, 1);
                    else if (priv.equals("Permissions.Modify")) { res.get("storage").put(priv, 1); res.get("vms").put(priv, 1); }
                }
                continue;
            }
            java.util.regex.Pattern re = CAPABILITY_RE.get(top);
            if (re == null) continue;
            for (String priv : privs.keySet()) if (re.matcher(priv).find()) res.get(top).put(priv, 1);
        }
        return res;
    }

    private static Map<String, Integer> toInts(Map<String, Boolean> m) {
        Map<String, Integer> r = new TreeMap<>();
        m.forEach((k, v) -> r.put(k, v ? 1 : 0));
        return r;
    }

    // ---- bootstrap ------------------------------------------------------------------------------------

    /**
     * Make sure an administrator can log in with a password: when no enabled {@code pve}-realm user with a
     * password holds full privileges on {@code /}, create (or re-enable) {@code admin@pve} with a generated
     * password and the Administrator role on {@code /}. Returns the new password, or empty when nothing was done.
     */
    public Optional<String> bootstrapAdmin() {
        UserConfig cfg = userConfig();
        Shadow shadow = shadow();
        Permissions perms = permissions();
        for (Map.Entry<String, UserConfig.User> e : cfg.users.entrySet()) {
            String userid = e.getKey();
            if (!userid.endsWith("@pve") || !isUserEnabled(userid)) continue;
            if (!shadow.hashes.containsKey(Ids.parseUserId(userid).user())) continue;
            if (perms.check(userid, "/", Set.of("Permissions.Modify", "Sys.Modify", "Realm.Allocate"), false)) return Optional.empty();
        }
        byte[] raw = new byte[18];
        random.nextBytes(raw);
        String password = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        try {
            modifyUserConfig(c -> {
                UserConfig.User u = c.users.computeIfAbsent("admin@pve", k -> new UserConfig.User());
                u.enable = true;
                u.expire = 0;
                if (u.comment == null) u.comment = "Administrator created at first start";
                c.aclNode("/").users.computeIfAbsent("admin@pve", k -> new TreeMap<>()).put("Administrator", true);
                return null;
            });
            setPassword("admin@pve", password);
        } catch (CfsException e) {
            throw new IllegalStateException("unable to create the initial administrator: " + e.getMessage(), e);
        }
        return Optional.of(password);
    }
}
