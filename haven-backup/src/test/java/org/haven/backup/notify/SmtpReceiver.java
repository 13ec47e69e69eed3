package org.haven.backup.notify;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * A small SMTP server on 127.0.0.1 for the tests: EHLO, STARTTLS (when it has a TLS context and is not
 * implicit-TLS), AUTH PLAIN against one user, MAIL, RCPT, DATA (dot-unstuffed), QUIT. Received mails are queued.
 */
final class SmtpReceiver implements AutoCloseable {
    record Received(String from, List<String> to, String data, String user, boolean tls) {}

    final LinkedBlockingQueue<Received> mails = new LinkedBlockingQueue<>();
    private final ServerSocket server;
    private final SSLContext ssl;
    private final boolean implicitTls;
    private final String user, password;
    private final Thread thread;

    SmtpReceiver(SSLContext ssl, boolean implicitTls, String user, String password) throws IOException {
        this.ssl = ssl;
        this.implicitTls = implicitTls;
        this.user = user;
        this.password = password;
        server = implicitTls ? ssl.getServerSocketFactory().createServerSocket(0, 5, InetAddress.getLoopbackAddress())
                : new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
        thread = Thread.ofVirtual().start(this::serve);
    }

    int port() { return server.getLocalPort(); }

    Received take() throws InterruptedException {
        Received r = mails.poll(20, TimeUnit.SECONDS);
        if (r == null) throw new AssertionError("no mail arrived");
        return r;
    }

    private void serve() {
        while (!server.isClosed()) {
            try (Socket s = server.accept()) {
                s.setSoTimeout(20_000);
                session(s);
            } catch (IOException e) {
                // connection ended; keep serving until closed
            }
        }
    }

    private void session(Socket s) throws IOException {
        Socket cur = s;
        BufferedReader in = new BufferedReader(new InputStreamReader(cur.getInputStream(), StandardCharsets.UTF_8));
        OutputStream out = cur.getOutputStream();
        reply(out, "220 localhost ESMTP test");
        String from = null, authed = null;
        List<String> to = new ArrayList<>();
        boolean tls = implicitTls;
        String line;
        while ((line = in.readLine()) != null) {
            String up = line.toUpperCase();
            if (up.startsWith("EHLO")) {
                List<String> ext = new ArrayList<>(List.of("localhost", "AUTH PLAIN LOGIN"));
                if (ssl != null && !tls) ext.add("STARTTLS");
                for (int i = 0; i < ext.size(); i++) reply(out, "250" + (i == ext.size() - 1 ? " " : "-") + ext.get(i));
            } else if (up.equals("STARTTLS") && ssl != null && !tls) {
                reply(out, "220 go ahead");
                SSLSocket t = (SSLSocket) ssl.getSocketFactory().createSocket(cur, "127.0.0.1", cur.getPort(), true);
                t.setUseClientMode(false);
                t.startHandshake();
                cur = t;
                in = new BufferedReader(new InputStreamReader(t.getInputStream(), StandardCharsets.UTF_8));
                out = t.getOutputStream();
                tls = true;
            } else if (up.startsWith("AUTH PLAIN ")) {
                String[] parts = new String(Base64.getDecoder().decode(line.substring(11).strip()), StandardCharsets.UTF_8).split("\0", -1);
                if (parts.length == 3 && parts[1].equals(user) && parts[2].equals(password)) {
                    authed = parts[1];
                    reply(out, "235 2.7.0 Authentication successful");
                } else reply(out, "535 5.7.8 Authentication credentials invalid");
            } else if (up.startsWith("MAIL FROM:")) {
                if (user != null && authed == null) { reply(out, "530 5.7.0 Authentication required"); continue; }
                from = line.substring(10).replaceAll("[<>]", "").strip();
                reply(out, "250 OK");
            } else if (up.startsWith("RCPT TO:")) {
                to.add(line.substring(8).replaceAll("[<>]", "").strip());
                reply(out, "250 OK");
            } else if (up.equals("DATA")) {
                reply(out, "354 End data with <CR><LF>.<CR><LF>");
                StringBuilder data = new StringBuilder();
                String l;
                while ((l = in.readLine()) != null && !l.equals(".")) data.append(l.startsWith(".") ? l.substring(1) : l).append('\n');
                mails.add(new Received(from, List.copyOf(to), data.toString(), authed, tls));
                to.clear();
                reply(out, "250 OK queued");
            } else if (up.equals("QUIT")) {
                reply(out, "221 Bye");
                return;
            } else reply(out, "502 Command not implemented");
        }
    }

    private static void reply(OutputStream out, String line) throws IOException {
        out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override public void close() throws IOException {
        server.close();
        thread.interrupt();
    }
}
