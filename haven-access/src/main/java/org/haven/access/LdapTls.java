package org.haven.access;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.stream.Stream;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS for the LDAP realms, following PVE's {@code verify} (default off) and {@code capath} options: without
 * verification any server certificate is accepted; with it, the certificates in {@code capath} (a PEM file or a
 * directory of them) or else the system trust store are used, including host name checks.
 * JNDI instantiates socket factories by class name, so the factory of the current connection attempt is passed
 * through a thread-local ({@link #use}).
 */
public final class LdapTls extends SocketFactory {
    private static final ThreadLocal<SSLSocketFactory> CURRENT = new ThreadLocal<>();

    private final SSLSocketFactory delegate;

    private LdapTls(SSLSocketFactory delegate) { this.delegate = delegate; }

    /** Called by JNDI. */
    public static SocketFactory getDefault() {
        SSLSocketFactory f = CURRENT.get();
        return new LdapTls(f != null ? f : (SSLSocketFactory) SSLSocketFactory.getDefault());
    }

    static void use(SSLSocketFactory f) { CURRENT.set(f); }

    static void clear() { CURRENT.remove(); }

    /** The SSL socket factory for a realm's {@code verify}/{@code capath} settings. */
    static SSLSocketFactory factory(boolean verify, String capath) {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            TrustManager[] tms;
            if (!verify) {
                tms = new TrustManager[]{new TrustAll()};
            } else if (capath != null && !capath.isEmpty()) {
                KeyStore ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                CertificateFactory cf = CertificateFactory.getInstance("X.509");
                Path p = Path.of(capath);
                int n = 0;
                try (Stream<Path> files = Files.isDirectory(p) ? Files.list(p) : Stream.of(p)) {
                    for (Path f : files.filter(Files::isRegularFile).toList()) {
                        try (InputStream in = Files.newInputStream(f)) {
                            for (Certificate c : cf.generateCertificates(in)) ks.setCertificateEntry("ca" + (n++), c);
                        } catch (GeneralSecurityException ignored) {
                            // not a certificate file
                        }
                    }
                }
                TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
                tmf.init(ks);
                tms = tmf.getTrustManagers();
            } else {
                tms = null;
            }
            ctx.init(null, tms, null);
            return ctx.getSocketFactory();
        } catch (GeneralSecurityException | IOException e) {
            throw new AccessException("unable to set up TLS: " + e.getMessage(), e);
        }
    }

    @Override public Socket createSocket() throws IOException { return delegate.createSocket(); }
    @Override public Socket createSocket(String host, int port) throws IOException { return delegate.createSocket(host, port); }
    @Override public Socket createSocket(String host, int port, InetAddress local, int localPort) throws IOException {
        return delegate.createSocket(host, port, local, localPort);
    }
    @Override public Socket createSocket(InetAddress host, int port) throws IOException { return delegate.createSocket(host, port); }
    @Override public Socket createSocket(InetAddress address, int port, InetAddress local, int localPort) throws IOException {
        return delegate.createSocket(address, port, local, localPort);
    }

    /** Accepts every certificate and host name ({@code verify 0}). */
    private static final class TrustAll extends X509ExtendedTrustManager {
        @Override public void checkClientTrusted(X509Certificate[] c, String a) {}
        @Override public void checkServerTrusted(X509Certificate[] c, String a) {}
        @Override public void checkClientTrusted(X509Certificate[] c, String a, Socket s) {}
        @Override public void checkServerTrusted(X509Certificate[] c, String a, Socket s) {}
        @Override public void checkClientTrusted(X509Certificate[] c, String a, SSLEngine e) {}
        @Override public void checkServerTrusted(X509Certificate[] c, String a, SSLEngine e) {}
        @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
    }
}
