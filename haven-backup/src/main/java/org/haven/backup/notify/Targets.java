package org.haven.backup.notify;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sends a notification through one target section: {@code sendmail} (pipes the mail to {@code /usr/sbin/sendmail}),
 * {@code smtp} ({@link SmtpClient}), {@code gotify} (POST {@code <server>/message} with the token) and
 * {@code webhook} (the configured method, URL, headers and body, templated by {@link Template}).
 */
public final class Targets {
    /** How the targets reach the outside: the sendmail binary, user e-mail addresses, TLS and HTTP. */
    public record Env(Path sendmail, Function<String, String> userEmail, String defaultFrom, SSLContext ssl, HttpClient http) {
        public static Env system(Function<String, String> userEmail, String defaultFrom) {
            try {
                return new Env(Path.of("/usr/sbin/sendmail"), userEmail, defaultFrom, SSLContext.getDefault(),
                        HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build());
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private final Env env;

    public Targets(Env env) { this.env = env; }

    /** Sends {@code n} through {@code target}; {@code secret} is its private section (may be null). */
    public void send(NotifyConfig.Section target, NotifyConfig.Section secret, Notification n) throws IOException, InterruptedException {
        switch (target.type()) {
            case "sendmail" -> sendmail(target, n);
            case "smtp" -> smtp(target, secret, n);
            case "gotify" -> gotify(target, secret, n);
            case "webhook" -> webhook(target, secret, n);
            default -> throw new IllegalArgumentException("'" + target.name() + "' is not a notification target");
        }
    }

    /** The recipients: {@code mailto} addresses, then the e-mail addresses of {@code mailto-user} users that have one. */
    List<String> recipients(NotifyConfig.Section t) {
        List<String> to = new ArrayList<>();
        for (String m : t.all("mailto")) for (String a : m.split("[,;\\s]+")) if (!a.isEmpty() && !to.contains(a)) to.add(a);
        for (String u : t.all("mailto-user")) for (String a : u.split("[,;\\s]+")) {
            String mail = a.isEmpty() ? null : env.userEmail().apply(a);
            if (mail != null && !mail.isEmpty() && !to.contains(mail)) to.add(mail);
        }
        return to;
    }

    Mail mail(NotifyConfig.Section t, Notification n) {
        List<String> to = recipients(t);
        if (to.isEmpty()) throw new IllegalStateException("no recipients provided for the mail, cannot send it.");
        return new Mail(t.get("from-address", env.defaultFrom()), t.get("author", "Proxmox VE"), to, n.title(), n.message(), n.html(), n.timestamp());
    }

    private void sendmail(NotifyConfig.Section t, Notification n) throws IOException, InterruptedException {
        Mail m = mail(t, n);
        if (!Files.isExecutable(env.sendmail())) throw new IOException("could not run " + env.sendmail() + ": not found");
        List<String> cmd = new ArrayList<>(List.of(env.sendmail().toString(), "-i", "-f", m.from(), "--"));
        cmd.addAll(m.to());
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        try (OutputStream o = p.getOutputStream()) {
            o.write(m.render().getBytes(StandardCharsets.UTF_8));
        }
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("sendmail did not finish in time");
        }
        if (p.exitValue() != 0) throw new IOException("sendmail returned exit code " + p.exitValue() + (output.isEmpty() ? "" : ": " + output));
    }

    private void smtp(NotifyConfig.Section t, NotifyConfig.Section secret, Notification n) throws IOException {
        SmtpClient.Mode mode = SmtpClient.mode(t.get("mode", "tls"));
        int port = t.get("port").map(Integer::parseInt).orElse(SmtpClient.defaultPort(mode));
        String password = secret == null ? null : secret.get("password").orElse(null);
        new SmtpClient(t.get("server", ""), port, mode, env.ssl()).send(mail(t, n), t.get("username").orElse(null), password);
    }

    /** Gotify's priority of a severity, as PVE maps it. */
    static int priority(Notification.Severity s) {
        return switch (s) { case INFO -> 1; case NOTICE -> 3; case WARNING -> 5; case ERROR -> 9; case UNKNOWN -> 5; };
    }

    private void gotify(NotifyConfig.Section t, NotifyConfig.Section secret, Notification n) throws IOException, InterruptedException {
        String server = t.get("server", "");
        String url = (server.endsWith("/") ? server : server + "/") + "message";
        Map<String, Object> message = new LinkedHashMap<>();
        message.put("title", n.title());
        message.put("message", n.message());
        message.put("priority", priority(n.severity()));
        message.put("extras", Map.of("client::display", Map.of("contentType", "text/markdown")));
        String body = JSON.writeValueAsString(message);
        HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
        if (secret != null) secret.get("token").ifPresent(tok -> rq.header("Authorization", "Bearer " + tok));
        check(env.http().send(rq.build(), HttpResponse.BodyHandlers.ofString()), url);
    }

    private void webhook(NotifyConfig.Section t, NotifyConfig.Section secret, Notification n) throws IOException, InterruptedException {
        Map<String, String> secrets = new LinkedHashMap<>();
        if (secret != null) for (String s : secret.all("secret")) {
            KeyValue kv = KeyValue.parse(s);
            secrets.put(kv.name(), kv.value());
        }
        String url = Template.render(t.get("url", ""), n, secrets);
        String method = t.get("method", "post").toUpperCase(java.util.Locale.ROOT);
        String body = t.get("body").map(b -> Template.render(decode(b), n, secrets)).orElse(null);
        HttpRequest.Builder rq = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        for (String h : t.all("header")) {
            KeyValue kv = KeyValue.parse(h);
            rq.header(kv.name(), Template.render(kv.value(), n, secrets));
        }
        rq.method(method, body == null || method.equals("GET") ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        check(env.http().send(rq.build(), HttpResponse.BodyHandlers.ofString()), url);
    }

    private static void check(HttpResponse<String> r, String url) throws IOException {
        if (r.statusCode() / 100 != 2) throw new IOException("HTTP request to " + url + " failed with status " + r.statusCode());
    }

    static String decode(String b64) { return new String(Base64.getDecoder().decode(b64.strip()), StandardCharsets.UTF_8); }

    /** A webhook {@code header} or {@code secret}: the property string {@code name=<name>,value=<base64 of value>}. */
    public record KeyValue(String name, String value) {
        public static KeyValue parse(String prop) {
            String name = null, value = "";
            for (String part : prop.split(",")) {
                int eq = part.indexOf('=');
                if (eq < 0) throw new IllegalArgumentException("invalid property string '" + prop + "'");
                String k = part.substring(0, eq).strip(), v = part.substring(eq + 1).strip();
                switch (k) {
                    case "name" -> name = v;
                    case "value" -> {
                        try {
                            value = decode(v);
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException("invalid base64 value in '" + prop + "'");
                        }
                    }
                    default -> throw new IllegalArgumentException("unknown key '" + k + "' in '" + prop + "'");
                }
            }
            if (name == null || name.isEmpty()) throw new IllegalArgumentException("missing name in '" + prop + "'");
            return new KeyValue(name, value);
        }

        public String encode() { return "name=" + name + ",value=" + Base64.getEncoder().encodeToString(value.getBytes(StandardCharsets.UTF_8)); }
    }
}
