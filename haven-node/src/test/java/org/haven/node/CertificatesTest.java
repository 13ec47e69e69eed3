package org.haven.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;
import org.haven.cfs.LocalClusterFs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CertificatesTest {
    @TempDir Path dir;

    @Test
    void caAndNodeCertificatesArePveShapedAndChainUp() throws Exception {
        LocalClusterFs cfs = new LocalClusterFs(dir, "n1");
        Certificates.ensure(cfs, "n1", List.of("192.0.2.10"));
        X509Certificate ca = Certificates.readCert(cfs.readString(Certificates.CA_PEM).orElseThrow());
        X509Certificate node = Certificates.readCert(cfs.readString(Certificates.nodeCertPath("n1")).orElseThrow());
        assertThat(ca.getBasicConstraints()).isGreaterThanOrEqualTo(0);
        assertThat(node.getBasicConstraints()).isEqualTo(-1);
        node.verify(ca.getPublicKey());
        ca.verify(ca.getPublicKey());
        assertThat(Certificates.openssl(ca.getSubjectX500Principal().getName())).matches("/CN=Proxmox Virtual Environment/OU=[0-9a-f-]{36}/O=PVE Cluster Manager CA");
        assertThat(Certificates.openssl(node.getSubjectX500Principal().getName())).startsWith("/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=n1");
        Map<String, Object> info = Certificates.info("pve-ssl.pem", cfs.readString(Certificates.nodeCertPath("n1")).orElseThrow());
        assertThat(((List<?>) info.get("san")).stream().map(String::valueOf).toList()).contains("127.0.0.1", "192.0.2.10", "localhost", "n1");
        assertThat(info.get("public-key-bits")).isEqualTo(2048);
        assertThat((String) info.get("fingerprint")).matches("([0-9A-F]{2}:){31}[0-9A-F]{2}");
        // private keys live below priv/ or the node directory and are not readable by others
        assertThat(Files.getPosixFilePermissions(dir.resolve(Certificates.CA_KEY)).toString()).isEqualTo("[OWNER_READ, OWNER_WRITE]");
        KeyStore ks = Certificates.keyStore(cfs, "n1", "pw".toCharArray());
        assertThat(ks.getCertificateChain("pve-ssl")).hasSize(2);

        // a second node of the same cluster gets its own certificate from the same CA; nothing is regenerated
        String caPem = cfs.readString(Certificates.CA_PEM).orElseThrow();
        String n1Pem = cfs.readString(Certificates.nodeCertPath("n1")).orElseThrow();
        Certificates.ensure(cfs, "n2", List.of());
        Certificates.ensure(cfs, "n1", List.of());
        assertThat(cfs.readString(Certificates.CA_PEM).orElseThrow()).isEqualTo(caPem);
        assertThat(cfs.readString(Certificates.nodeCertPath("n1")).orElseThrow()).isEqualTo(n1Pem);
        X509Certificate n2 = Certificates.readCert(cfs.readString(Certificates.nodeCertPath("n2")).orElseThrow());
        n2.verify(ca.getPublicKey());
        assertThat(n2.getSerialNumber()).isNotEqualTo(node.getSerialNumber());
    }
}
