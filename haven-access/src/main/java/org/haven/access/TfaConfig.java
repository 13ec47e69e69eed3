package org.haven.access;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code priv/tfa.cfg}: the second factors of each user, as JSON
 * ({@code {"users":{"<userid>":{"totp":[{"id","description","created","enable"?,"entry":"otpauth://..."}],
 * "recovery":{"secret","entries":[hash|null…],"created"}, …}}}}). Entries of kinds not handled here (webauthn,
 * u2f, yubico) and unknown keys are kept as they are.
 */
public final class TfaConfig {
    private static final ObjectMapper JSON = JsonMapper.builder().build();
    private static final SecureRandom RANDOM = new SecureRandom();

    private final ObjectNode root;

    private TfaConfig(ObjectNode root) { this.root = root; }

    public static TfaConfig parse(String text) {
        if (text == null || text.isBlank()) return new TfaConfig(JSON.createObjectNode());
        JsonNode n = JSON.readTree(text);
        if (!(n instanceof ObjectNode o)) throw new IllegalArgumentException("tfa.cfg: not a JSON object");
        return new TfaConfig(o);
    }

    public String write() { return JSON.writeValueAsString(root); }

    private ObjectNode users() {
        JsonNode u = root.get("users");
        if (u instanceof ObjectNode o) return o;
        return root.putObject("users");
    }

    private ObjectNode user(String userid, boolean create) {
        JsonNode u = users().get(userid);
        if (u instanceof ObjectNode o) return o;
        return create ? users().putObject(userid) : null;
    }

    /** One configured factor as listed by the API. */
    public record Entry(String type, String id, String description, long created, boolean enable) {}

    public List<String> userIds() {
        List<String> out = new ArrayList<>();
        users().propertyNames().forEach(out::add);
        out.sort(null);
        return out;
    }

    public List<Entry> entries(String userid) {
        List<Entry> out = new ArrayList<>();
        ObjectNode u = user(userid, false);
        if (u == null) return out;
        for (String type : List.of("totp", "u2f", "webauthn", "yubico")) {
            JsonNode arr = u.get(type);
            if (arr instanceof ArrayNode a) for (JsonNode e : a)
                out.add(new Entry(type, e.path("id").asString(""), e.path("description").asString(""), e.path("created").asLong(0),
                        !e.has("enable") || e.get("enable").asBoolean(true)));
        }
        JsonNode rec = u.get("recovery");
        if (rec instanceof ObjectNode r)
            out.add(new Entry("recovery", "recovery", "", r.path("created").asLong(0), true));
        return out;
    }

    /** Has the user at least one enabled factor? */
    public boolean hasFactors(String userid) {
        return entries(userid).stream().anyMatch(e -> e.enable && !(e.type.equals("recovery") && availableRecovery(userid).isEmpty()));
    }

    public Totp totp(String userid, String id) {
        ObjectNode e = findEntry(userid, "totp", id);
        return e == null ? null : Totp.parseUri(e.path("entry").asString());
    }

    private ObjectNode findEntry(String userid, String type, String id) {
        ObjectNode u = user(userid, false);
        if (u == null) return null;
        JsonNode arr = u.get(type);
        if (arr instanceof ArrayNode a) for (JsonNode e : a) if (e instanceof ObjectNode o && id.equals(o.path("id").asString(""))) return o;
        return null;
    }

    /** Find an entry of any type by id. */
    public Entry entry(String userid, String id) {
        for (Entry e : entries(userid)) if (e.id.equals(id)) return e;
        return null;
    }

    public String addTotp(String userid, Totp totp, String description, long now) {
        ObjectNode u = user(userid, true);
        ArrayNode arr = u.get("totp") instanceof ArrayNode a ? a : u.putArray("totp");
        String id = "totp-" + UUID.randomUUID().toString().substring(0, 13);
        ObjectNode e = arr.addObject();
        e.put("id", id);
        e.put("description", description == null ? "" : description);
        e.put("created", now);
        e.put("entry", totp.toUri());
        return id;
    }

    /** Generate ten recovery keys ({@code xxxx-xxxx-xxxx-xxxx}); only their HMACs are stored. */
    public List<String> addRecovery(String userid, long now) {
        ObjectNode u = user(userid, true);
        if (u.get("recovery") instanceof ObjectNode) throw new AccessException("user already has recovery keys");
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        String secretHex = HexFormat.of().formatHex(secret);
        List<String> keys = new ArrayList<>();
        ObjectNode rec = u.putObject("recovery");
        rec.put("secret", secretHex);
        ArrayNode entries = rec.putArray("entries");
        for (int i = 0; i < 10; i++) {
            byte[] b = new byte[8];
            RANDOM.nextBytes(b);
            String hex = HexFormat.of().formatHex(b);
            String key = hex.substring(0, 4) + "-" + hex.substring(4, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16);
            keys.add(key);
            entries.add(hmac(secretHex, key));
        }
        rec.put("created", now);
        return keys;
    }

    /** Indices of unused recovery keys. */
    public List<Integer> availableRecovery(String userid) {
        List<Integer> out = new ArrayList<>();
        ObjectNode u = user(userid, false);
        if (u == null || !(u.get("recovery") instanceof ObjectNode r)) return out;
        JsonNode entries = r.get("entries");
        if (entries instanceof ArrayNode a) for (int i = 0; i < a.size(); i++) if (!a.get(i).isNull()) out.add(i);
        return out;
    }

    /** Use a recovery key: true (and the key is consumed) when it matches an unused one. */
    public boolean useRecovery(String userid, String key) {
        ObjectNode u = user(userid, false);
        if (u == null || !(u.get("recovery") instanceof ObjectNode r) || key == null) return false;
        String h = hmac(r.path("secret").asString(""), key.strip().toLowerCase(java.util.Locale.ROOT));
        if (r.get("entries") instanceof ArrayNode a) {
            for (int i = 0; i < a.size(); i++) {
                JsonNode e = a.get(i);
                if (!e.isNull() && MessageDigest.isEqual(e.asString("").getBytes(StandardCharsets.US_ASCII), h.getBytes(StandardCharsets.US_ASCII))) {
                    a.set(i, JSON.nullNode());
                    return true;
                }
            }
        }
        return false;
    }

    public boolean update(String userid, String id, String description, Boolean enable) {
        ObjectNode e = null;
        for (String type : List.of("totp", "u2f", "webauthn", "yubico")) if ((e = findEntry(userid, type, id)) != null) break;
        if (e == null) return false;
        if (description != null) e.put("description", description);
        if (enable != null) {
            if (enable) e.remove("enable");
            else e.put("enable", false);
        }
        return true;
    }

    public boolean delete(String userid, String id) {
        ObjectNode u = user(userid, false);
        if (u == null) return false;
        boolean removed = false;
        if (id.equals("recovery")) removed = u.remove("recovery") != null;
        for (String type : List.of("totp", "u2f", "webauthn", "yubico")) {
            if (u.get(type) instanceof ArrayNode a) {
                for (Iterator<JsonNode> it = a.iterator(); it.hasNext(); ) {
                    if (id.equals(it.next().path("id").asString(""))) { it.remove(); removed = true; }
                }
                if (a.isEmpty()) u.remove(type);
            }
        }
        if (u.isEmpty()) users().remove(userid);
        return removed;
    }

    public void removeUser(String userid) { users().remove(userid); }

    /** Lock state kept per user: {@code totp-locked} and {@code tfa-locked-until}. */
    public Map<String, Object> lockInfo(String userid) {
        ObjectNode u = user(userid, false);
        java.util.LinkedHashMap<String, Object> m = new java.util.LinkedHashMap<>();
        if (u != null) {
            if (u.has("tfa-locked-until")) m.put("tfa-locked-until", u.get("tfa-locked-until").asLong());
            if (u.path("totp-locked").asBoolean(false)) m.put("totp-locked", 1);
        }
        return m;
    }

    public boolean totpLocked(String userid) {
        ObjectNode u = user(userid, false);
        return u != null && u.path("totp-locked").asBoolean(false);
    }

    public long lockedUntil(String userid) {
        ObjectNode u = user(userid, false);
        return u == null ? 0 : u.path("tfa-locked-until").asLong(0);
    }

    public void lockTotp(String userid) {
        ObjectNode u = user(userid, false);
        if (u != null) u.put("totp-locked", true);
    }

    public void unlockTotp(String userid) {
        ObjectNode u = user(userid, false);
        if (u != null) u.remove("totp-locked");
    }

    public void lockUntil(String userid, long until) {
        ObjectNode u = user(userid, false);
        if (u != null) u.put("tfa-locked-until", until);
    }

    public boolean unlock(String userid) {
        ObjectNode u = user(userid, false);
        if (u == null) return false;
        boolean was = u.has("tfa-locked-until") || u.path("totp-locked").asBoolean(false);
        u.remove("tfa-locked-until");
        u.remove("totp-locked");
        return was;
    }

    private static String hmac(String secretHex, String key) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secretHex.getBytes(StandardCharsets.US_ASCII), "HmacSHA256"));
            return HexFormat.of().formatHex(mac.doFinal(key.getBytes(StandardCharsets.UTF_8)));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- WebAuthn credentials ---------------------------------------------------------------------------

    /** A stored WebAuthn credential with the id of its tfa.cfg entry. */
    public record WebAuthnEntry(String entryId, WebAuthn.Credential credential) {}

    public String addWebAuthn(String userid, WebAuthn.Credential c, String description, long now) {
        ObjectNode u = user(userid, true);
        ArrayNode arr = u.get("webauthn") instanceof ArrayNode a ? a : u.putArray("webauthn");
        String id = "webauthn-" + UUID.randomUUID().toString().substring(0, 13);
        ObjectNode e = arr.addObject();
        e.put("id", id);
        e.put("description", description == null ? "" : description);
        e.put("created", now);
        ObjectNode entry = e.putObject("entry");
        entry.put("cred_id", WebAuthn.b64(c.id()));
        entry.put("alg", c.alg());
        entry.put("public_key", WebAuthn.b64(c.publicKey()));
        entry.put("counter", c.counter());
        return id;
    }

    /** Enabled WebAuthn credentials of a user (entries in other formats are skipped). */
    public List<WebAuthnEntry> webAuthn(String userid) {
        List<WebAuthnEntry> out = new ArrayList<>();
        ObjectNode u = user(userid, false);
        if (u == null || !(u.get("webauthn") instanceof ArrayNode a)) return out;
        for (JsonNode e : a) {
            if (e.has("enable") && !e.get("enable").asBoolean(true)) continue;
            JsonNode en = e.path("entry");
            if (!en.has("cred_id") || !en.has("public_key")) continue;
            out.add(new WebAuthnEntry(e.path("id").asString(""), new WebAuthn.Credential(WebAuthn.unb64(en.path("cred_id").asString()),
                    en.path("alg").asInt(), WebAuthn.unb64(en.path("public_key").asString()), en.path("counter").asLong(0))));
        }
        return out;
    }

    public void setWebAuthnCounter(String userid, String entryId, long counter) {
        ObjectNode e = findEntry(userid, "webauthn", entryId);
        if (e != null && e.get("entry") instanceof ObjectNode en) en.put("counter", counter);
    }
}
