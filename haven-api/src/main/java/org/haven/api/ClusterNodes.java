package org.haven.api;

import java.io.ByteArrayInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.haven.api.server.Json;
import org.haven.core.cfs.ClusterFs;
import tools.jackson.databind.JsonNode;

/**
 * How one node reaches another's API: its address ({@code nodes/<node>/haven-endpoint}, {@code host:port},
 * written by each daemon; else its {@code .members} address with port 8006) and TLS that accepts only that
 * node's own certificates, pinned by fingerprint as PVE does: those of its {@code pveproxy-ssl.pem} (a custom
 * certificate) and {@code pve-ssl.pem}. One node cannot stand in for another, even with a certificate of the
 * cluster CA.
 */
public final class ClusterNodes {
    private ClusterNodes() {}

    public static String endpointPath(String node) { return "nodes/" + node + "/haven-endpoint"; }

    /** {@code host:port} of {@code node}'s API. */
    public static Optional<String> endpoint(ClusterFs cfs, String node) {
        Optional<String> e = cfs.readString(endpointPath(node)).map(String::strip).filter(s -> !s.isEmpty());
        if (e.isPresent()) return e;
        Optional<String> members = cfs.readString(".members");
        if (members.isEmpty()) return Optional.empty();
        try {
            JsonNode n = Json.MAPPER.readTree(members.get()).path("nodelist").get(node);
            if (n == null || n.path("ip").asString("").isEmpty()) return Optional.empty();
            String ip = n.path("ip").asString();
            return Optional.of((ip.contains(":") ? "[" + ip + "]" : ip) + ":8006");
        } catch (RuntimeException ex) {
            return Optional.empty();
        }
    }

    /** SHA-256 digests of the certificates {@code node} may present (read when called). */
    public static List<byte[]> pinnedCertificates(ClusterFs cfs, String node) {
        List<byte[]> out = new ArrayList<>();
        for (String f : List.of("nodes/" + node + "/pveproxy-ssl.pem", "nodes/" + node + "/pve-ssl.pem")) {
            cfs.read(f).ifPresent(pem -> {
                try {
                    for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem))) {
                        out.add(sha256(c.getEncoded()));
                        break;
                    }
                } catch (Exception ignored) {
                    // an unreadable certificate pins nothing
                }
            });
        }
        return out;
    }

    private static byte[] sha256(byte[] der) throws NoSuchAlgorithmException {
        return MessageDigest.getInstance("SHA-256").digest(der);
    }

    /**
     * A TLS context for connections to {@code node}: the server certificate must be one of
     * {@link #pinnedCertificates}, looked up at each handshake (a renewed certificate is accepted at once).
     */
    public static SSLContext pinnedTls(ClusterFs cfs, String node) {
        X509TrustManager tm = new X509TrustManager() {
            @Override public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                throw new CertificateException("client certificates are not accepted here");
            }

            @Override public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
                if (chain == null || chain.length == 0) throw new CertificateException("no server certificate");
                byte[] fp;
                try {
                    fp = sha256(chain[0].getEncoded());
                } catch (NoSuchAlgorithmException e) {
                    throw new CertificateException(e);
                }
                for (byte[] p : pinnedCertificates(cfs, node)) if (MessageDigest.isEqual(p, fp)) return;
                throw new CertificateException("the certificate is not one of node '" + node + "'");
            }

            @Override public X509Certificate[] getAcceptedIssuers() { return new X509Certificate[0]; }
        };
        try {
            SSLContext s = SSLContext.getInstance("TLS");
            s.init(null, new TrustManager[] {tm}, new SecureRandom());
            return s;
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }
}
