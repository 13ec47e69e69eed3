package org.haven.node.acme;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.FileInputStream;
import java.net.ServerSocket;
import java.net.http.HttpClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.haven.api.HttpMethod;
import org.haven.api.TestApi;
import org.haven.api.server.ApiResponse;
import org.haven.api.task.TaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.testing.RealTest;
import org.haven.core.testing.Tools;
import org.haven.node.Certificates;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * ACME against a real CA: Debian's pebble on loopback, its DNS answered by pebble-challtestsrv (every name is
 * 127.0.0.1), so that pebble's HTTP-01 validation reaches the standalone plugin's web server. Registers an
 * account, orders, renews and revokes the node's certificate, deactivates the account, and uploads a custom
 * certificate by hand.
 */
@RealTest
class AcmeRealTest {
    @TempDir Path tmp;
    final List<Process> processes = new ArrayList<>();
    LocalClusterFs cfs;
    TestApi api;
    String directory;
    int httpPort;

    static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    Process start(List<String> cmd, Map<String, String> env, String name) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(tmp.resolve(name + ".log").toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as(String.join(" ", cmd) + ": " + out).isZero();
    }

    @BeforeEach
    void startCa() throws Exception {
        Tools.require("pebble", "pebble", "pebble-challtestsrv");
        Tools.require("openssl", "openssl");
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
                "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout", tmp.resolve("ca-key.pem").toString(), "-out", tmp.resolve("ca-cert.pem").toString());
        int dns = freePort(), acme = freePort(), mgmt = freePort(), dnsMgmt = freePort(), tls = freePort();
        httpPort = freePort();
        start(List.of("pebble-challtestsrv", "-dns01", "127.0.0.1:" + dns, "-http01", "", "-https01", "", "-tlsalpn01", "",
                "-management", "127.0.0.1:" + dnsMgmt, "-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""), Map.of(), "dns");
        Files.writeString(tmp.resolve("pebble.json"), """
                {"pebble": {"listenAddress": "127.0.0.1:%d", "managementListenAddress": "127.0.0.1:%d",
                  "certificate": "%s", "privateKey": "%s", "httpPort": %d, "tlsPort": %d,
                  "ocspResponderURL": "", "externalAccountBindingRequired": false}}
                """.formatted(acme, mgmt, tmp.resolve("ca-cert.pem"), tmp.resolve("ca-key.pem"), httpPort, tls));
        // no artificial validation delays; pebble still refuses a share of nonces, which the client must retry
        start(List.of("pebble", "-config", tmp.resolve("pebble.json").toString(), "-dnsserver", "127.0.0.1:" + dns),
                Map.of("PEBBLE_VA_NOSLEEP", "1"), "pebble");
        directory = "https://127.0.0.1:" + acme + "/dir";

        HttpClient client = HttpClient.newBuilder().sslContext(sslFromTrust()).build();
        waitForDirectory(client);

        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        api = new TestApi(cfs, tmp, (authid, path, privs, any) -> false,
                (reg, ctx) -> new AcmeApi(ctx, url -> client, httpPort, s -> Thread.sleep(200), directory).register(reg));
    }

    void waitForDirectory(HttpClient client) throws Exception {
        for (int i = 0; i < 100; i++) {
            try {
                new AcmeClient(directory, client).directory();
                return;
            } catch (AcmeClient.AcmeException e) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("pebble did not start: " + Files.readString(tmp.resolve("pebble.log")));
    }

    @AfterEach
    void stopCa() throws Exception {
        for (Process p : processes) {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
        }
    }

    /** Runs a task method to its end; returns its log. */
    List<String> task(ApiResponse r, String expectedStatus) throws Exception {
        String upid = TestApi.data(r).asString();
        TaskManager tasks = api.node.tasks();
        TaskManager.TaskInfo info = tasks.await(upid, 120_000);
        List<String> log = tasks.log(upid, 0, 1000).lines();
        assertThat(info.status()).as(String.join("\n", log)).isEqualTo(expectedStatus);
        return log;
    }

    @Test
    void accountOrderRenewRevokeAndDeactivate() throws Exception {
        String tos = TestApi.data(api.local(HttpMethod.GET, "/cluster/acme/tos", "directory", directory)).asString();
        assertThat(tos).startsWith("data:text/plain");
        List<String> reg = task(api.local(HttpMethod.POST, "/cluster/acme/account", "contact", "admin@haven.test",
                "directory", directory, "tos_url", tos), "OK");
        assertThat(reg).contains("Registering new ACME account..", "Registering ACME account..");
        assertThat(reg.get(reg.size() - 2)).startsWith("Registration successful, account URL: '" + directory.replace("/dir", "/my-account/"));
        JsonNode account = TestApi.data(api.local(HttpMethod.GET, "/cluster/acme/account/default"));
        assertThat(account.path("account").path("status").asString()).isEqualTo("valid");
        assertThat(account.path("account").path("contact").get(0).asString()).isEqualTo("mailto:admin@haven.test");
        assertThat(account.path("directory").asString()).isEqualTo(directory);
        assertThat(TestApi.data(api.local(HttpMethod.GET, "/cluster/acme/account")).findValuesAsString("name")).containsExactly("default");
        assertThat(api.local(HttpMethod.POST, "/cluster/acme/account", "contact", "a@haven.test", "directory", directory).errors())
                .containsEntry("name", "ACME account config file 'default' already exists.");

        // no domains: refused before a task starts
        assertThat(api.local(HttpMethod.POST, "/nodes/n1/certificates/acme/certificate").message())
                .contains("ACME domain list in node configuration is missing!");
        cfs.mkdirs("nodes/n1");
        cfs.writeString("nodes/n1/config", "acme: account=default\nacmedomain0: n1.haven.test\nacmedomain1: www.n1.haven.test,plugin=standalone\n");
        List<String> order = task(api.local(HttpMethod.POST, "/nodes/n1/certificates/acme/certificate"), "OK");
        assertThat(order).contains("Loading ACME account details", "Placing ACME order", "The validation for n1.haven.test is pending!",
                "Setting up webserver", "Triggering validation", "Status is 'valid', domain 'n1.haven.test' OK!",
                "All domains validated!", "Creating CSR", "Order is ready, finalizing order", "valid!", "Downloading certificate",
                "Setting pveproxy certificate and key");
        List<X509Certificate> chain = Certificates.readChain(cfs.readString(Certificates.customCertPath("n1")).orElseThrow());
        assertThat(chain).hasSizeGreaterThan(1);
        assertThat(chain.get(0).getSubjectAlternativeNames()).extracting(e -> (Object) e.get(1)).containsExactlyInAnyOrder("n1.haven.test", "www.n1.haven.test");
        assertThat(chain.get(0).getIssuerX500Principal().getName()).containsIgnoringCase("pebble");
        // the HTTPS server now presents the CA's chain with the new key
        KeyStore served = Certificates.keyStore(cfs, "n1", "x".toCharArray());
        assertThat(((X509Certificate) served.getCertificate("pve-ssl"))).isEqualTo(chain.get(0));

        // a certificate far from expiry is renewed only with force; a second order needs force too
        assertThat(api.local(HttpMethod.PUT, "/nodes/n1/certificates/acme/certificate").errors())
                .containsEntry("force", "Certificate does not expire within the next 30 days, and 'force' is not set.");
        assertThat(api.local(HttpMethod.POST, "/nodes/n1/certificates/acme/certificate").errors())
                .containsEntry("force", "Custom certificate exists but 'force' is not set.");
        task(api.local(HttpMethod.PUT, "/nodes/n1/certificates/acme/certificate", "force", 1), "OK");
        X509Certificate renewed = Certificates.readChain(cfs.readString(Certificates.customCertPath("n1")).orElseThrow()).get(0);
        assertThat(renewed.getSerialNumber()).isNotEqualTo(chain.get(0).getSerialNumber());

        List<String> revoke = task(api.local(HttpMethod.DELETE, "/nodes/n1/certificates/acme/certificate"), "OK");
        assertThat(revoke).contains("Revoking old certificate", "Deleting certificate files");
        assertThat(cfs.stat(Certificates.customCertPath("n1"))).isEmpty();
        // revoked at the CA: a second revocation of the same certificate is refused there
        AcmeApi.Account a = new AcmeApi.Account((tools.jackson.databind.node.ObjectNode) tools.jackson.databind.json.JsonMapper.builder().build()
                .readTree(cfs.readString(AcmeConfig.accountPath("default")).orElseThrow()));
        HttpClient client = HttpClient.newBuilder().sslContext(sslFromTrust()).build();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AcmeClient(directory, client).revoke(renewed.getEncoded(), a.location(), a.key()))
                .hasMessageContaining("Certificate has already been revoked");

        List<String> deact = task(api.local(HttpMethod.DELETE, "/cluster/acme/account/default"), "OK");
        assertThat(deact).contains("Account deactivated, account file 'default' removed");
        assertThat(TestApi.data(api.local(HttpMethod.GET, "/cluster/acme/account"))).isEmpty();
    }

    /** A TLS context that trusts pebble's own certificate only. */
    SSLContext sslFromTrust() throws Exception {
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        try (FileInputStream in = new FileInputStream(tmp.resolve("ca-cert.pem").toFile())) {
            trust.setCertificateEntry("pebble", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(null, tmf.getTrustManagers(), null);
        return ssl;
    }

    @Test
    void aFailedValidationEndsTheTaskWithTheCasReason() throws Exception {
        // the standalone plugin answers on another port than the one the CA checks: nothing answers there
        HttpClient client = HttpClient.newBuilder().sslContext(sslFromTrust()).build();
        int elsewhere = freePort();
        TestApi wrong = new TestApi(cfs, tmp.resolve("wrong"), (authid, path, privs, any) -> false,
                (reg, ctx) -> new AcmeApi(ctx, url -> client, elsewhere, s -> Thread.sleep(200), directory).register(reg));
        TaskManager tasks = wrong.node.tasks();
        String upid = TestApi.data(wrong.local(HttpMethod.POST, "/cluster/acme/account", "contact", "admin@haven.test",
                "directory", directory, "tos_url", "x")).asString();
        assertThat(tasks.await(upid, 120_000).status()).isEqualTo("OK");
        cfs.mkdirs("nodes/n1");
        cfs.writeString("nodes/n1/config", "acme: account=default,domains=n1.haven.test\n");
        upid = TestApi.data(wrong.local(HttpMethod.POST, "/nodes/n1/certificates/acme/certificate")).asString();
        String status = tasks.await(upid, 120_000).status();
        assertThat(status).contains("validating challenge").contains("failed - status: invalid");
        assertThat(tasks.log(upid, 0, 1000).lines()).contains("Triggering validation").doesNotContain("Downloading certificate");
        assertThat(cfs.stat(Certificates.customCertPath("n1"))).isEmpty();
    }

    @Test
    void customCertificatesAreCheckedAndReplacedOnlyWithForce() throws Exception {
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=n1.haven.test",
                "-keyout", tmp.resolve("k1.pem").toString(), "-out", tmp.resolve("c1.pem").toString());
        run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other",
                "-keyout", tmp.resolve("k2.pem").toString(), "-out", tmp.resolve("c2.pem").toString());
        String c1 = "issued by hand\n" + Files.readString(tmp.resolve("c1.pem"));
        String k1 = Files.readString(tmp.resolve("k1.pem"));
        assertThat(api.local(HttpMethod.POST, "/nodes/n1/certificates/custom", "certificates", c1).errors())
                .containsEntry("key", "Attempted to upload custom certificate without (existing) key.");
        assertThat(api.local(HttpMethod.POST, "/nodes/n1/certificates/custom", "certificates", c1,
                "key", Files.readString(tmp.resolve("k2.pem"))).message()).contains("certificate and key do not match");
        JsonNode info = TestApi.data(api.local(HttpMethod.POST, "/nodes/n1/certificates/custom", "certificates", c1, "key", k1));
        assertThat(info.path("filename").asString()).isEqualTo("pveproxy-ssl.pem");
        assertThat(info.path("subject").asString()).isEqualTo("/CN=n1.haven.test");
        assertThat(cfs.readString(Certificates.customCertPath("n1")).orElseThrow()).startsWith("-----BEGIN CERTIFICATE-----");
        assertThat(api.local(HttpMethod.POST, "/nodes/n1/certificates/custom", "certificates", Files.readString(tmp.resolve("c2.pem")),
                "key", Files.readString(tmp.resolve("k2.pem"))).message()).contains("Custom certificate file exists but force flag is not set.");
        TestApi.data(api.local(HttpMethod.POST, "/nodes/n1/certificates/custom", "certificates", Files.readString(tmp.resolve("c2.pem")),
                "key", Files.readString(tmp.resolve("k2.pem")), "force", 1));
        assertThat(Certificates.readCert(cfs.readString(Certificates.customCertPath("n1")).orElseThrow()).getSubjectX500Principal().getName())
                .isEqualTo("CN=other");
        TestApi.data(api.local(HttpMethod.DELETE, "/nodes/n1/certificates/custom"));
        assertThat(cfs.stat(Certificates.customKeyPath("n1"))).isEmpty();
    }
}
