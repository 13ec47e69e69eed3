package org.haven.backup.notify;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;

/**
 * A small SMTP client (RFC 5321) for the {@code smtp} target: {@code insecure} (plain, port 25), {@code starttls}
 * (port 587, STARTTLS required) and {@code tls} (implicit TLS, port 465), with AUTH PLAIN or LOGIN when a user
 * name is set. Certificates are verified against the JVM's trust store and the host name.
 */
public final class SmtpClient {
    public enum Mode { INSECURE, STARTTLS, TLS }

    private final String host;
    private final int port;
    private final Mode mode;
    private final SSLContext ssl;
    private BufferedReader in;
    private OutputStream out;

    public SmtpClient(String host, int port, Mode mode, SSLContext ssl) {
        this.host = host;
        this.port = port;
        this.mode = mode;
        this.ssl = ssl;
    }

    /** PVE's default port of a mode. */
    public static int defaultPort(Mode m) {
        return switch (m) { case INSECURE -> 25; case STARTTLS -> 587; case TLS -> 465; };
    }

    public static Mode mode(String s) {
        return switch (s) {
            case "insecure" -> Mode.INSECURE;
            case "starttls" -> Mode.STARTTLS;
            case "tls" -> Mode.TLS;
            default -> throw new IllegalArgumentException("invalid mode '" + s + "'");
        };
    }

    /** Sends {@code mail} (envelope sender {@code mail.from()}, recipients {@code mail.to()}). */
    public void send(Mail mail, String username, String password) throws IOException {
        Socket plain = new Socket();
        plain.connect(new InetSocketAddress(host, port), 10_000);
        plain.setSoTimeout(30_000);
        Socket s = plain;
        try {
            if (mode == Mode.TLS) s = tls(plain);
            attach(s);
            expect(220);
            List<String> ext = ehlo();
            if (mode == Mode.STARTTLS) {
                if (ext.stream().noneMatch(e -> e.equalsIgnoreCase("STARTTLS"))) throw new IOException("SMTP server " + host + " does not offer STARTTLS");
                command("STARTTLS", 220);
                s = tls(plain);
                attach(s);
                ext = ehlo();
            }
            if (username != null && !username.isEmpty()) auth(ext, username, password == null ? "" : password);
            command("MAIL FROM:<" + mail.from() + ">", 250);
            for (String r : mail.to()) command("RCPT TO:<" + r + ">", 250, 251);
            command("DATA", 354);
            StringBuilder data = new StringBuilder();
            for (String line : mail.render().split("\r\n", -1)) data.append(line.startsWith(".") ? "." + line : line).append("\r\n");
            data.setLength(data.length() - 2);
            out.write(data.append(".\r\n").toString().getBytes(StandardCharsets.UTF_8));
            out.flush();
            expect(250);
            command("QUIT", 221);
        } finally {
            s.close();
        }
    }

    private SSLSocket tls(Socket plain) throws IOException {
        SSLSocketFactory f = ssl.getSocketFactory();
        SSLSocket t = (SSLSocket) f.createSocket(plain, host, port, true);
        SSLParameters p = t.getSSLParameters();
        p.setEndpointIdentificationAlgorithm("HTTPS");
        t.setSSLParameters(p);
        t.startHandshake();
        return t;
    }

    private void attach(Socket s) throws IOException {
        in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
        out = s.getOutputStream();
    }

    private List<String> ehlo() throws IOException {
        String name;
        try {
            name = java.net.InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            name = "localhost";
        }
        write("EHLO " + name);
        List<String> lines = expect(250);
        return lines.subList(1, lines.size());
    }

    private void auth(List<String> ext, String user, String password) throws IOException {
        List<String> all = new ArrayList<>();
        for (String l : ext) if (l.toUpperCase().startsWith("AUTH")) all.addAll(List.of(l.toUpperCase().split("[ =]+")));
        if (all.isEmpty()) throw new IOException("SMTP server " + host + " does not offer authentication");
        Base64.Encoder b64 = Base64.getEncoder();
        if (all.contains("PLAIN") || !all.contains("LOGIN")) {
            command("AUTH PLAIN " + b64.encodeToString(("\0" + user + "\0" + password).getBytes(StandardCharsets.UTF_8)), 235);
        } else {
            command("AUTH LOGIN", 334);
            command(b64.encodeToString(user.getBytes(StandardCharsets.UTF_8)), 334);
            command(b64.encodeToString(password.getBytes(StandardCharsets.UTF_8)), 235);
        }
    }

    private void command(String line, int... ok) throws IOException {
        write(line);
        expect(ok);
    }

    private void write(String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Reads one (multi-line) reply; fails unless its code is one of {@code ok}. */
    private List<String> expect(int... ok) throws IOException {
        List<String> lines = new ArrayList<>();
        String l;
        do {
            l = in.readLine();
            if (l == null) throw new IOException("SMTP server " + host + " closed the connection");
            if (l.length() < 3) throw new IOException("bad SMTP reply '" + l + "'");
            lines.add(l.length() > 4 ? l.substring(4) : "");
        } while (l.length() > 3 && l.charAt(3) == '-');
        int code = Integer.parseInt(l.substring(0, 3));
        for (int c : ok) if (c == code) return lines;
        throw new IOException("SMTP error from " + host + ": " + l);
    }
}
