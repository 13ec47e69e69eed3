package org.haven.node;

import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPublicKey;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Date;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.haven.core.cfs.ClusterFs;

/**
 * The cluster CA ({@code pve-root-ca.pem}, {@code priv/pve-root-ca.key}, {@code priv/pve-root-ca.srl}) and the
 * node certificate ({@code nodes/<node>/pve-ssl.pem|key}) in the cluster file system, created on first start
 * with PVE's subjects and extensions.
 */
public final class Certificates {
    public static final String CA_PEM = "pve-root-ca.pem";
    public static final String CA_KEY = "priv/pve-root-ca.key";
    public static final String CA_SRL = "priv/pve-root-ca.srl";
    private static final SecureRandom RANDOM = new SecureRandom();

    private Certificates() {}

    public static String nodeCertPath(String node) { return "nodes/" + node + "/pve-ssl.pem"; }

    public static String nodeKeyPath(String node) { return "nodes/" + node + "/pve-ssl.key"; }

    /** Create the CA and the node certificate when missing. */
    public static void ensure(ClusterFs cfs, String node, Collection<String> ips) throws Exception {
        update(cfs, node, ips, false);
    }

    /**
     * {@code pvecm updatecerts}: creates the CA when missing, and the node certificate when missing, when it
     * is not signed by the cluster CA (e.g. after joining a cluster) or when {@code force} is set. Returns
     * whether the node certificate was (re)generated.
     */
    public static boolean update(ClusterFs cfs, String node, Collection<String> ips, boolean force) throws Exception {
        return cfs.withLock("pve-ssl", Duration.ofSeconds(30), () -> {
            try {
                if (cfs.read(CA_PEM).isEmpty() || cfs.read(CA_KEY).isEmpty()) createCa(cfs);
                if (force || cfs.read(nodeKeyPath(node)).isEmpty() || !signedByCa(cfs, node)) {
                    createNodeCert(cfs, node, ips);
                    return true;
                }
                return false;
            } catch (Exception e) {
                throw new IllegalStateException("unable to generate certificates: " + e.getMessage(), e);
            }
        });
    }

    /** Whether the node certificate exists and verifies against the cluster CA. */
    static boolean signedByCa(ClusterFs cfs, String node) {
        Optional<String> cert = cfs.readString(nodeCertPath(node));
        Optional<String> ca = cfs.readString(CA_PEM);
        if (cert.isEmpty() || ca.isEmpty()) return false;
        try {
            X509Certificate c = readCert(cert.get());
            for (X509Certificate a : readChain(ca.get())) {
                try {
                    c.verify(a.getPublicKey());
                    return true;
                } catch (java.security.GeneralSecurityException e) {
                    // another CA certificate of the bundle
                }
            }
            return false;
        } catch (Exception e) {
            return false;
        }
    }

    private static KeyPair rsa(int bits) throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(bits, RANDOM);
        return g.generateKeyPair();
    }

    static void createCa(ClusterFs cfs) throws Exception {
        KeyPair kp = rsa(4096);
        X500Name subject = new X500Name("CN=Proxmox Virtual Environment,OU=" + UUID.randomUUID() + ",O=PVE Cluster Manager CA");
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(subject, BigInteger.ONE, Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(3650))), subject, kp.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
        b.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
        X509Certificate cert = sign(b, kp.getPrivate());
        if (cfs.stat("priv").isEmpty()) cfs.mkdirs("priv");
        cfs.writeString(CA_KEY, pem(kp.getPrivate()));
        cfs.writeString(CA_PEM, pem(cert));
        cfs.writeString(CA_SRL, "01\n");
    }

    static void createNodeCert(ClusterFs cfs, String node, Collection<String> ips) throws Exception {
        X509Certificate ca = readCert(cfs.readString(CA_PEM).orElseThrow());
        PrivateKey caKey = readKey(cfs.readString(CA_KEY).orElseThrow());
        BigInteger serial = new BigInteger(cfs.readString(CA_SRL).orElse("01").strip(), 16).add(BigInteger.ONE);
        cfs.writeString(CA_SRL, serial.toString(16).toUpperCase() + "\n");
        KeyPair kp = rsa(2048);
        String fqdn = node;
        try {
            String c = InetAddress.getLocalHost().getCanonicalHostName();
            if (c.startsWith(node + ".")) fqdn = c;
        } catch (Exception ignored) { }
        X500Name subject = new X500Name("OU=PVE Cluster Node,O=Proxmox Virtual Environment,CN=" + fqdn);
        Instant now = Instant.now();
        X509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(ca, serial, Date.from(now.minus(Duration.ofDays(1))),
                Date.from(now.plus(Duration.ofDays(730))), subject, kp.getPublic());
        JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
        b.addExtension(Extension.basicConstraints, false, new BasicConstraints(false));
        b.addExtension(Extension.keyUsage, false, new KeyUsage(KeyUsage.digitalSignature | KeyUsage.nonRepudiation | KeyUsage.keyEncipherment | KeyUsage.dataEncipherment));
        b.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(KeyPurposeId.id_kp_serverAuth));
        b.addExtension(Extension.subjectKeyIdentifier, false, ext.createSubjectKeyIdentifier(kp.getPublic()));
        b.addExtension(Extension.authorityKeyIdentifier, false, ext.createAuthorityKeyIdentifier(ca));
        Set<String> dns = new LinkedHashSet<>(List.of("localhost", node, fqdn));
        Set<String> ipset = new LinkedHashSet<>(List.of("127.0.0.1", "0:0:0:0:0:0:0:1"));
        ipset.addAll(ips);
        List<GeneralName> names = new ArrayList<>();
        for (String ip : ipset) names.add(new GeneralName(GeneralName.iPAddress, ip));
        for (String d : dns) names.add(new GeneralName(GeneralName.dNSName, d));
        b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
        X509Certificate cert = sign(b, caKey);
        cfs.mkdirs("nodes/" + node);
        cfs.writeString(nodeKeyPath(node), pem(kp.getPrivate()));
        cfs.writeString(nodeCertPath(node), pem(cert));
    }

    private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws Exception {
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withRSA").build(key);
        X509CertificateHolder h = b.build(signer);
        return new JcaX509CertificateConverter().getCertificate(h);
    }

    public static String pem(Object o) throws Exception {
        StringWriter sw = new StringWriter();
        try (JcaPEMWriter w = new JcaPEMWriter(sw)) { w.writeObject(o); }
        return sw.toString();
    }

    public static X509Certificate readCert(String pem) throws Exception {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            if (!(o instanceof X509CertificateHolder h)) throw new IllegalArgumentException("no certificate found");
            return new JcaX509CertificateConverter().getCertificate(h);
        }
    }

    /** All certificates of a PEM chain. */
    public static List<X509Certificate> readChain(String pem) throws Exception {
        List<X509Certificate> out = new ArrayList<>();
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o;
            while ((o = p.readObject()) != null)
                if (o instanceof X509CertificateHolder h) out.add(new JcaX509CertificateConverter().getCertificate(h));
        }
        return out;
    }

    public static PrivateKey readKey(String pem) throws Exception {
        try (PEMParser p = new PEMParser(new StringReader(pem))) {
            Object o = p.readObject();
            JcaPEMKeyConverter c = new JcaPEMKeyConverter();
            if (o instanceof PEMKeyPair kp) return c.getKeyPair(kp).getPrivate();
            if (o instanceof PrivateKeyInfo pki) return c.getPrivateKey(pki);
            throw new IllegalArgumentException("no private key found");
        }
    }

    /** The custom (uploaded or ACME) certificate chain the node's HTTPS server presents instead of its own. */
    public static String customCertPath(String node) { return "nodes/" + node + "/pveproxy-ssl.pem"; }

    public static String customKeyPath(String node) { return "nodes/" + node + "/pveproxy-ssl.key"; }

    /**
     * A PKCS#12 key store holding what the HTTPS server presents: the custom certificate chain and key when both
     * exist (as PVE's proxy prefers {@code pveproxy-ssl.pem}), else the node key with its certificate and the CA.
     */
    public static KeyStore keyStore(ClusterFs cfs, String node, char[] password) throws Exception {
        Optional<String> customCert = cfs.readString(customCertPath(node));
        Optional<String> customKey = cfs.readString(customKeyPath(node));
        boolean custom = customCert.isPresent() && customKey.isPresent();
        String certPem = custom ? customCert.get() : cfs.readString(nodeCertPath(node)).orElseThrow();
        PrivateKey key = readKey(custom ? customKey.get() : cfs.readString(nodeKeyPath(node)).orElseThrow());
        List<X509Certificate> chain = readChain(certPem);
        if (!custom) cfs.readString(CA_PEM).ifPresent(ca -> {
            try { chain.addAll(readChain(ca)); } catch (Exception ignored) { }
        });
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("pve-ssl", key, password, chain.toArray(X509Certificate[]::new));
        return ks;
    }

    /** SHA-256 fingerprint as PVE shows it ({@code AA:BB:…}). */
    public static String fingerprint(X509Certificate c) throws Exception {
        byte[] d = MessageDigest.getInstance("SHA-256").digest(c.getEncoded());
        return HexFormat.ofDelimiter(":").withUpperCase().formatHex(d);
    }

    /** The entry of {@code GET /nodes/{node}/certificates/info} for one certificate file. */
    public static Map<String, Object> info(String filename, String pem) throws Exception {
        X509Certificate c = readCert(pem);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("filename", filename);
        m.put("fingerprint", fingerprint(c));
        m.put("issuer", openssl(c.getIssuerX500Principal().getName()));
        m.put("notafter", c.getNotAfter().getTime() / 1000);
        m.put("notbefore", c.getNotBefore().getTime() / 1000);
        m.put("pem", pem.strip() + "\n");
        m.put("public-key-bits", c.getPublicKey() instanceof RSAPublicKey r ? r.getModulus().bitLength() : 0);
        m.put("public-key-type", c.getPublicKey().getAlgorithm().equals("RSA") ? "rsaEncryption" : c.getPublicKey().getAlgorithm());
        List<String> san = new ArrayList<>();
        if (c.getSubjectAlternativeNames() != null)
            for (List<?> e : c.getSubjectAlternativeNames()) {
                int t = (Integer) e.get(0);
                if (t == 2) san.add(String.valueOf(e.get(1)));
                else if (t == 7) san.add(String.valueOf(e.get(1)));
            }
        m.put("san", san);
        m.put("subject", openssl(c.getSubjectX500Principal().getName()));
        return m;
    }

    /** RFC 2253 name in OpenSSL's one-line form ({@code /OU=…/O=…/CN=…}) in certificate order. */
    static String openssl(String rfc2253) {
        String[] parts = rfc2253.split("(?<!\\\\),");
        StringBuilder sb = new StringBuilder();
        for (int i = parts.length - 1; i >= 0; i--) sb.append('/').append(parts[i].trim());
        return sb.toString();
    }

    static byte[] bytes(String s) { return s.getBytes(StandardCharsets.UTF_8); }
}
