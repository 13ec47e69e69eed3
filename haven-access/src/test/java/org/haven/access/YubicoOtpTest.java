package org.haven.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Realm-level YubiKey OTP against a validation server (protocol 2.0) served on loopback by the test. */
class YubicoOtpTest {
    static final byte[] KEY = "0123456789abcdef0123".getBytes(StandardCharsets.US_ASCII);
    static final String KEY_ID = "cccccckdvbrt";
    HttpServer server;
    volatile String status = "OK";
    volatile boolean badSignature;
    volatile boolean echoOtherNonce;
    MemoryClusterFs fs;
    AccessControl ac;

    @BeforeEach
    void start() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/wsapi/2.0/verify", ex -> {
            Map<String, String> q = new TreeMap<>();
            for (String kv : ex.getRequestURI().getRawQuery().split("&")) {
                String[] p = kv.split("=", 2);
                q.put(p[0], URLDecoder.decode(p[1], StandardCharsets.UTF_8));
            }
            Map<String, String> resp = new TreeMap<>();
            boolean reqOk = YubicoOtp.sign(q, KEY).equals(q.get("h"));
            resp.put("otp", q.get("otp"));
            resp.put("nonce", echoOtherNonce ? "0000" : q.get("nonce"));
            resp.put("t", "2026-11-22T00:00:00Z0000");
            resp.put("status", reqOk ? status : "BAD_SIGNATURE");
            resp.put("h", badSignature ? Base64.getEncoder().encodeToString(new byte[20]) : YubicoOtp.sign(resp, KEY));
            StringBuilder sb = new StringBuilder();
            resp.forEach((k, v) -> sb.append(k).append('=').append(v).append("\r\n"));
            byte[] b = sb.toString().getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, b.length);
            ex.getResponseBody().write(b);
            ex.close();
        });
        server.start();
        fs = new MemoryClusterFs("node1");
        ac = new AccessControl(fs, Clock.SYSTEM, (s, u, p, r) -> { throw new AuthenticationException("no PAM"); }, "other");
        fs.put("domains.cfg", "pve: pve\n\tcomment Proxmox VE authentication server\n\ttfa type=yubico,id=42,key=" + Base64.getEncoder().encodeToString(KEY)
                + ",url=http://127.0.0.1:" + server.getAddress().getPort() + "/wsapi/2.0/verify\n\n");
        fs.put("user.cfg", "user:joe@pve:1:0:::::" + KEY_ID + ":\nuser:ann@pve:1:0:::::\n");
        fs.put("priv/shadow.cfg", "joe:" + ShaCrypt.hash512("joepass") + ":\nann:" + ShaCrypt.hash512("annpass") + ":\n");
    }

    @AfterEach
    void stop() { server.stop(0); }

    static final String OTP = KEY_ID + "dteffujehknhfjbrjnlnldnhcujvddbik";

    @Test
    void validOtpOfARegisteredKeyLogsIn() {
        assertThat(ac.login("joe@pve", "joepass", null, OTP)).isEqualTo("joe@pve");
    }

    @Test
    void refusals() {
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, null)).hasMessage("missing otp");
        assertThatThrownBy(() -> ac.login("ann@pve", "annpass", null, OTP)).hasMessage("missing required yubico keys for user 'ann@pve'");
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, "vvvvvvvvvvvv" + OTP.substring(12))).hasMessage("yubico: unknown key id 'vvvvvvvvvvvv'");
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, "123456")).hasMessage("yubico: malformed otp");
        status = "REPLAYED_OTP";
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, OTP)).hasMessage("yubico: REPLAYED_OTP");
        status = "OK";
        badSignature = true;
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, OTP)).hasMessage("yubico: response signature mismatch");
        badSignature = false;
        echoOtherNonce = true;
        assertThatThrownBy(() -> ac.login("joe@pve", "joepass", null, OTP)).hasMessage("yubico: response does not match the request");
        echoOtherNonce = false;
        assertThatThrownBy(() -> ac.login("joe@pve", "wrong", null, OTP)).hasMessage("invalid credentials");
    }
}
