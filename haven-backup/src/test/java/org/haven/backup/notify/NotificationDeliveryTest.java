package org.haven.backup.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.FileInputStream;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyStore;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.haven.backup.BackupFixture;
import org.haven.backup.Vzdump;
import org.haven.backup.VzdumpOptions;
import org.haven.core.cfs.MemoryClusterFs;
import org.haven.storage.StorageManager;
import org.haven.storage.spi.ProcessCommandRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Notifications delivered for real: an SMTP server in this JVM (plain with AUTH, STARTTLS and implicit TLS with a
 * certificate made by keytool), an HTTP receiver on 127.0.0.1 for webhook and gotify, and a sendmail program that
 * keeps what it is given. A vzdump run of a missing guest raises the error notification.
 */
class NotificationDeliveryTest {
    static final ZoneId UTC = ZoneId.of("UTC");
    @TempDir Path tmp;
    final MemoryClusterFs cfs = new MemoryClusterFs("node1");
    final List<AutoCloseable> closing = new ArrayList<>();
    HttpServer http;
    final LinkedBlockingQueue<Map<String, String>> requests = new LinkedBlockingQueue<>();
    SSLContext serverSsl, clientSsl;

    @BeforeEach
    void setUp() throws Exception {
        http = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 5);
        http.createContext("/", ex -> {
            requests.add(Map.of("method", ex.getRequestMethod(), "uri", ex.getRequestURI().getRawPath() + (ex.getRequestURI().getRawQuery() == null ? "" : "?" + ex.getRequestURI().getRawQuery()),
                    "auth", String.valueOf(ex.getRequestHeaders().getFirst("Authorization")),
                    "type", String.valueOf(ex.getRequestHeaders().getFirst("Content-Type")),
                    "x-token", String.valueOf(ex.getRequestHeaders().getFirst("X-Token")),
                    "body", new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8)));
            int status = ex.getRequestURI().getPath().startsWith("/fail") ? 503 : 200;
            ex.sendResponseHeaders(status, -1);
            ex.close();
        });
        http.start();
        cfs.writeString("user.cfg", "user:root@pam:1:0:::root@example.com:::\nuser:ops@pve:1:0:::ops@example.com:::\n");
        cfs.writeString("storage.cfg", "dir: bk\n\tpath " + tmp.resolve("bk") + "\n\tcontent backup\n");
    }

    @AfterEach
    void tearDown() throws Exception {
        http.stop(0);
        for (AutoCloseable c : closing) c.close();
    }

    Path sendmail() throws Exception {
        Path script = tmp.resolve("sendmail");
        Files.writeString(script, "#!/bin/sh\nprintf '%s\\n' \"$@\" > " + tmp.resolve("sendmail.args") + "\ncat > " + tmp.resolve("sendmail.mail") + "\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
        return script;
    }

    Notifier notifier() throws Exception {
        Targets.Env env = new Targets.Env(sendmail(), u -> Notifier.userEmail(cfs, u), "root@node1.example.com",
                clientSsl == null ? SSLContext.getDefault() : clientSsl, HttpClient.newHttpClient());
        return new Notifier(cfs, new Targets(env), UTC);
    }

    SmtpReceiver smtp(boolean tls, boolean implicit) throws Exception {
        if (tls) certificates();
        SmtpReceiver r = new SmtpReceiver(tls ? serverSsl : null, implicit, "haven", "pa ss");
        closing.add(r);
        return r;
    }

    void certificates() throws Exception {
        Path ks = tmp.resolve("smtp.p12");
        Process p = new ProcessBuilder("keytool", "-genkeypair", "-alias", "smtp", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
                "-ext", "SAN=ip:127.0.0.1", "-validity", "2", "-keystore", ks.toString(), "-storetype", "PKCS12", "-storepass", "changeit", "-keypass", "changeit")
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0).as(new String(p.getInputStream().readAllBytes())).isTrue();
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (var in = new FileInputStream(ks.toFile())) { store.load(in, "changeit".toCharArray()); }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(store, "changeit".toCharArray());
        serverSsl = SSLContext.getInstance("TLS");
        serverSsl.init(kmf.getKeyManagers(), null, null);
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        trust.setCertificateEntry("smtp", store.getCertificate("smtp"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        clientSsl = SSLContext.getInstance("TLS");
        clientSsl.init(null, tmf.getTrustManagers(), null);
    }

    /** Runs a vzdump of the missing guest 999 with {@code opts}, notifying through {@code n}; returns the task log. */
    List<String> failingBackup(Notifier n, Map<String, String> opts, String jobId) throws Exception {
        StorageManager sm = new StorageManager(cfs, "node1", tmp.resolve("local"), new ProcessCommandRunner());
        Vzdump v = new Vzdump(List.of(), sm, "node1", () -> 1_764_671_400L, UTC);
        List<String> lines = new ArrayList<>();
        Map<String, String> params = new java.util.LinkedHashMap<>(Map.of("vmid", "999", "storage", "bk"));
        params.putAll(opts);
        assertThatThrownBy(() -> VzdumpNotification.run(BackupFixture.log(lines), params, "node1", jobId, n, () -> 1_764_671_400L,
                (l, results) -> v.run(VzdumpOptions.of(params, Map.of()), l, results))).hasMessage("job errors");
        return lines;
    }

    @Test
    void successfulRunIsRoutedBySeverity() throws Exception {
        SmtpReceiver rx = smtp(false, false);
        String base = "http://127.0.0.1:" + http.getAddress().getPort();
        cfs.writeString(NotifyConfig.PATH, "matcher: default-matcher\n\tdisable true\n\n"
                + "smtp: relay\n\tserver 127.0.0.1\n\tport " + rx.port() + "\n\tmode insecure\n\tfrom-address a@b.c\n\tmailto x@example.com\n\n"
                + "webhook: hook\n\tmethod post\n\turl " + base + "/{{ severity }}\n\n"
                + "matcher: failures\n\tmatch-severity error\n\ttarget relay\n\n"
                + "matcher: always\n\tmatch-field exact:type=vzdump\n\ttarget hook\n\n");
        StorageManager sm = new StorageManager(cfs, "node1", tmp.resolve("local"), new ProcessCommandRunner());
        Vzdump v = new Vzdump(List.of(), sm, "node1", () -> 1_764_671_400L, UTC);
        List<String> lines = new ArrayList<>();
        Map<String, String> params = Map.of("all", "1", "storage", "bk");
        VzdumpNotification.run(BackupFixture.log(lines), params, "node1", null, notifier(), () -> 1_764_671_400L,
                (l, results) -> v.run(VzdumpOptions.of(params, Map.of()), l, results));
        assertThat(lines).last().isEqualTo("INFO: Backup job finished successfully");
        assertThat(requests.poll(10, TimeUnit.SECONDS)).containsEntry("uri", "/info");
        assertThat(rx.mails.poll(1, TimeUnit.SECONDS)).isNull();
    }

    static Map<String, String> headers(String data) {
        Map<String, String> h = new java.util.HashMap<>();
        for (String l : data.substring(0, data.indexOf("\n\n")).split("\n")) {
            int c = l.indexOf(':');
            h.put(l.substring(0, c), l.substring(c + 1).strip());
        }
        return h;
    }

    /** The text part of a mail (a multipart/alternative one's first part). */
    static String body(String data) { return part(data, "text/plain"); }

    /** The part of {@code type} of a mail: its whole body when it is not multipart, else that part of the multipart/alternative. */
    static String part(String data, String type) {
        String ct = headers(data).get("Content-Type");
        String rest = data.substring(data.indexOf("\n\n") + 2);
        if (!ct.startsWith("multipart/alternative")) return new String(Base64.getMimeDecoder().decode(rest), StandardCharsets.UTF_8);
        String boundary = ct.replaceFirst(".*boundary=\"([^\"]+)\".*", "$1");
        for (String p : rest.split("--" + java.util.regex.Pattern.quote(boundary))) {
            if (!p.contains("Content-Type: " + type + ";")) continue;
            String b64 = p.substring(p.indexOf("\n\n") + 2);
            return new String(Base64.getMimeDecoder().decode(b64.strip()), StandardCharsets.UTF_8);
        }
        throw new AssertionError("no " + type + " part in " + data);
    }

    @ParameterizedTest
    @ValueSource(strings = {"insecure", "starttls", "tls"})
    void backupJobFailureArrivesAtTheSmtpServer(String mode) throws Exception {
        SmtpReceiver rx = smtp(!mode.equals("insecure"), mode.equals("tls"));
        cfs.writeString(NotifyConfig.PATH, """
                sendmail: mail-to-root
                	mailto-user root@pam
                	disable true

                smtp: relay
                	server 127.0.0.1
                	port %d
                	mode %s
                	username haven
                	from-address pve@example.com
                	author Haven Ü
                	mailto-user ops@pve
                	mailto admin@example.com

                matcher: backups
                	match-field exact:type=vzdump
                	match-field exact:job-id=backup-nightly
                	match-severity error
                	target relay

                """.formatted(rx.port(), mode));
        cfs.writeString(NotifyConfig.PRIV_PATH, "smtp: relay\n\tpassword pa ss\n\n");
        List<String> log = failingBackup(notifier(), Map.of(), "backup-nightly");
        SmtpReceiver.Received mail = rx.take();
        assertThat(mail.from()).isEqualTo("pve@example.com");
        assertThat(mail.to()).containsExactly("admin@example.com", "ops@example.com");
        assertThat(mail.user()).isEqualTo("haven");
        assertThat(mail.tls()).isEqualTo(!mode.equals("insecure"));
        Map<String, String> h = headers(mail.data());
        assertThat(h.get("Subject")).isEqualTo("vzdump backup status (node1): backup failed");
        assertThat(h.get("From")).isEqualTo("=?utf-8?B?" + Base64.getEncoder().encodeToString("Haven Ü".getBytes(StandardCharsets.UTF_8)) + "?= <pve@example.com>");
        assertThat(h.get("To")).isEqualTo("admin@example.com, ops@example.com");
        assertThat(headers(mail.data()).get("Content-Type")).startsWith("multipart/alternative; boundary=");
        assertThat(body(mail.data())).startsWith("Backup failed on node node1.\n\nDetails\n=======\nVMID    Name    Status    Time    Size    Filename\n"
                + "999             err       0s      0 B\n").contains("ERROR: Backup of VM 999 failed - unable to find VM 999");
        assertThat(part(mail.data(), "text/html")).startsWith("<html>\n<body>\n<p>Backup failed on node node1.</p>")
                .contains("<td style=\"border: 1px solid;padding: 3px;\">999</td>", "<td style=\"border: 1px solid;padding: 3px;\">err</td>",
                        "<pre>", "ERROR: Backup of VM 999 failed - unable to find VM 999");
        assertThat(log).noneMatch(l -> l.startsWith("WARN"));
        assertThat(rx.mails).isEmpty();
    }

    @Test
    void aFailingTargetIsReportedAndLeavesTheTaskLogAlone() throws Exception {
        SmtpReceiver rx = smtp(false, false);
        cfs.writeString(NotifyConfig.PATH, "sendmail: mail-to-root\n\tmailto-user root@pam\n\tdisable true\n\n"
                + "smtp: relay\n\tserver 127.0.0.1\n\tport " + rx.port() + "\n\tmode insecure\n\tusername haven\n\tfrom-address a@b.c\n\tmailto x@example.com\n\n"
                + "matcher: all\n\ttarget relay\n\n");
        cfs.writeString(NotifyConfig.PRIV_PATH, "smtp: relay\n\tpassword wrong\n\n");
        List<String> log = failingBackup(notifier(), Map.of(), null);
        assertThat(log).noneMatch(l -> l.startsWith("WARN")).last().isEqualTo("INFO: Backup job finished with errors");
        List<String> errors = new ArrayList<>();
        notifier().notify(Notification.test("relay", 0), errors::add);
        assertThat(errors).containsExactly("could not notify via target 'relay': SMTP error from 127.0.0.1: 535 5.7.8 Authentication credentials invalid");
        assertThat(rx.mails).isEmpty();
    }

    @Test
    void defaultMatcherMailsRootThroughSendmail() throws Exception {
        failingBackup(notifier(), Map.of(), null);
        assertThat(Files.readAllLines(tmp.resolve("sendmail.args"))).containsExactly("-i", "-f", "root@node1.example.com", "--", "root@example.com");
        String mail = Files.readString(tmp.resolve("sendmail.mail")).replace("\r\n", "\n");
        assertThat(headers(mail)).containsEntry("Subject", "vzdump backup status (node1): backup failed").containsEntry("From", "Proxmox VE <root@node1.example.com>");
    }

    @Test
    void legacyMailtoBypassesTheMatchers() throws Exception {
        cfs.writeString(NotifyConfig.PATH, "matcher: default-matcher\n\tdisable true\n\n");
        failingBackup(notifier(), Map.of("mailto", "a@example.com,b@example.com"), null);
        assertThat(Files.readAllLines(tmp.resolve("sendmail.args"))).containsExactly("-i", "-f", "root@node1.example.com", "--", "a@example.com", "b@example.com");
        assertThat(headers(Files.readString(tmp.resolve("sendmail.mail")).replace("\r\n", "\n"))).containsEntry("From", "vzdump backup tool <root@node1.example.com>");
    }

    @Test
    void webhookAndGotifyReceiveTemplatedRequests() throws Exception {
        String base = "http://127.0.0.1:" + http.getAddress().getPort();
        String body = Base64.getEncoder().encodeToString("{\"text\":\"{{ escape message }}\",\"sev\":\"{{ severity }}\",\"job\":\"{{ fields.job-id }}\"}".getBytes(StandardCharsets.UTF_8));
        cfs.writeString(NotifyConfig.PATH, """
                matcher: default-matcher
                	disable true

                webhook: hook
                	method put
                	url %s/hook/{{ url-encode title }}?host={{ fields.hostname }}
                	header name=Content-Type,value=%s
                	header name=X-Token,value=%s
                	body %s

                gotify: phone
                	server %s/

                matcher: all
                	target hook
                	target phone

                """.formatted(base, b64("application/json"), b64("{{ secrets.token }}"), body, base));
        cfs.writeString(NotifyConfig.PRIV_PATH, "webhook: hook\n\tsecret name=token,value=" + b64("t0k") + "\n\ngotify: phone\n\ttoken gt\n\n");
        failingBackup(notifier(), Map.of(), "job1");
        Map<String, String> hook = requests.poll(10, TimeUnit.SECONDS), gotify = requests.poll(10, TimeUnit.SECONDS);
        assertThat(hook).containsEntry("method", "PUT").containsEntry("uri", "/hook/vzdump%20backup%20status%20%28node1%29%3A%20backup%20failed?host=node1")
                .containsEntry("type", "application/json").containsEntry("x-token", "t0k");
        assertThat(hook.get("body")).startsWith("{\"text\":\"Backup failed on node node1.\\n\\nDetails\\n=======\\nVMID    Name    Status")
                .contains("\\n\\nLogs\\n====\\nINFO: starting new backup job").endsWith("\",\"sev\":\"error\",\"job\":\"job1\"}");
        assertThat(gotify).containsEntry("method", "POST").containsEntry("uri", "/message").containsEntry("auth", "Bearer gt").containsEntry("type", "application/json");
        assertThat(gotify.get("body")).startsWith("{\"title\":\"vzdump backup status (node1): backup failed\",\"message\":\"Backup failed")
                .endsWith("\",\"priority\":9,\"extras\":{\"client::display\":{\"contentType\":\"text/markdown\"}}}");
    }

    @Test
    void testNotificationThroughOneTarget() throws Exception {
        String base = "http://127.0.0.1:" + http.getAddress().getPort();
        NotifyConfig cfg = NotifyConfig.parse("webhook: ok\n\tmethod post\n\turl " + base + "/ok\n\tbody " + b64("{{ title }}: {{ message }}") + "\n\n"
                + "webhook: bad\n\tmethod get\n\turl " + base + "/fail\n\n", "");
        notifier().send(cfg, "ok", Notification.test("ok", 0));
        assertThat(requests.poll(10, TimeUnit.SECONDS)).containsEntry("body", "Test notification: This is a test of the notification target 'ok'.");
        assertThatThrownBy(() -> notifier().send(cfg, "bad", Notification.test("bad", 0)))
                .hasMessage("HTTP request to " + base + "/fail failed with status 503");
    }

    static String b64(String s) { return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8)); }
}
