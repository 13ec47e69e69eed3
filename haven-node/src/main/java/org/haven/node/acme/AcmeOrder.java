package org.haven.node.acme;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.RSAPublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.ExtensionsGenerator;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.bouncycastle.pkcs.jcajce.JcaPKCS10CertificationRequestBuilder;
import tools.jackson.databind.JsonNode;

/**
 * Ordering a certificate for a node's domains as PVE's {@code order_certificate} does, with its task log: place
 * the order, have every pending authorization validated through the domain's plugin (the {@code standalone} plugin
 * answers HTTP-01 challenges on its own web server), wait for the CA, send a CSR for a new RSA key, and download
 * the chain.
 */
public final class AcmeOrder {
    /** Waits between two looks at a pending authorization or order. */
    @FunctionalInterface
    public interface Sleeper { void sleep(long seconds) throws InterruptedException; }

    /** The new certificate chain and its key, both PEM. */
    public record Issued(String chainPem, String keyPem) {}

    private final AcmeClient ca;
    private final String kid;
    private final KeyPair account;
    private final int httpPort;
    private final Sleeper sleeper;
    private final Consumer<String> log;

    /** {@code httpPort}: where the standalone plugin listens (80 for a CA on the Internet). */
    public AcmeOrder(AcmeClient ca, String kid, KeyPair account, int httpPort, Sleeper sleeper, Consumer<String> log) {
        this.ca = ca;
        this.kid = kid;
        this.account = account;
        this.httpPort = httpPort;
        this.sleeper = sleeper;
        this.log = log;
    }

    public Issued order(List<AcmeConfig.Domain> domains, Map<String, Map<String, String>> plugins) throws Exception {
        if (domains.isEmpty()) throw new IllegalArgumentException("no domains configured for node");
        log.accept("Placing ACME order");
        AcmeClient.Response placed = ca.newOrder(kid, account, domains.stream().map(AcmeConfig.Domain::domain).toList());
        String orderUrl = placed.location();
        JsonNode order = placed.json();
        log.accept("Order URL: " + orderUrl);
        for (JsonNode a : order.path("authorizations")) authorize(a.asString(), domains, plugins);
        log.accept("");
        log.accept("All domains validated!");
        log.accept("");
        log.accept("Creating CSR");
        KeyPair key = rsa(4096);
        byte[] csr = csr(domains.stream().map(AcmeConfig.Domain::domain).toList(), key);
        for (int attempt = 0; ; attempt++) {
            order = ca.post(orderUrl, null, kid, account).json();
            String status = order.path("status").asString();
            if (status.equals("ready")) {
                log.accept("Order is ready, finalizing order");
                ca.post(order.path("finalize").asString(), Map.of("csr", Jws.b64(csr)), kid, account);
                continue;
            }
            if (status.equals("processing") && attempt < 40) {
                log.accept("still processing, trying again in " + wait(attempt) + " seconds");
                sleeper.sleep(wait(attempt));
                continue;
            }
            if (status.equals("valid")) {
                log.accept("valid!");
                break;
            }
            throw new IllegalStateException("order status: " + status);
        }
        log.accept("");
        log.accept("Downloading certificate");
        String chain = ca.post(order.path("certificate").asString(), null, kid, account).body();
        return new Issued(chain, org.haven.node.Certificates.pem(key.getPrivate()));
    }

    private void authorize(String authUrl, List<AcmeConfig.Domain> domains, Map<String, Map<String, String>> plugins) throws Exception {
        log.accept("");
        log.accept("Getting authorization details from '" + authUrl + "'");
        JsonNode auth = ca.post(authUrl, null, kid, account).json();
        String domain = auth.path("identifier").path("value").asString();
        if (auth.path("status").asString().equals("valid")) {
            log.accept(domain + " is already validated!");
            return;
        }
        log.accept("The validation for " + domain + " is pending!");
        AcmeConfig.Domain d = domains.stream().filter(x -> x.domain().equals(domain)).findFirst()
                .orElseThrow(() -> new IllegalStateException("no config for domain '" + domain + "'"));
        Map<String, String> plugin = plugins.get(d.plugin());
        if (plugin == null) throw new IllegalStateException("plugin '" + d.plugin() + "' for domain '" + domain + "' not found!");
        if (!"standalone".equals(plugin.get("type")))
            throw new IllegalStateException("plugin '" + d.plugin() + "' for domain '" + domain + "': DNS challenges through '"
                    + plugin.get("api") + "' are not supported on this node, use the standalone (HTTP) plugin");
        JsonNode challenge = null;
        for (JsonNode c : auth.path("challenges")) if (c.path("type").asString().equals("http-01")) challenge = c;
        if (challenge == null) throw new IllegalStateException("no supported challenge type found for '" + domain + "'");
        String token = challenge.path("token").asString();
        log.accept("Setting up webserver");
        try (Responder web = new Responder(httpPort)) {
            web.tokens.put(token, Jws.keyAuthorization(token, (RSAPublicKey) account.getPublic()));
            log.accept("Triggering validation");
            ca.post(challenge.path("url").asString(), Map.of(), kid, account);
            for (int attempt = 0; ; attempt++) {
                auth = ca.post(authUrl, null, kid, account).json();
                String status = auth.path("status").asString();
                if (status.equals("valid")) {
                    log.accept("Status is 'valid', domain '" + domain + "' OK!");
                    return;
                }
                if (!status.equals("pending")) {
                    StringBuilder err = new StringBuilder("validating challenge '" + authUrl + "' failed - status: " + status);
                    for (JsonNode c : auth.path("challenges"))
                        if (c.has("error")) err.append(", ").append(c.path("error").path("detail").asString());
                    throw new IllegalStateException(err.toString());
                }
                if (attempt >= 60) throw new IllegalStateException("timeout while waiting for challenge validation");
                log.accept("Status is still 'pending', trying again in " + wait(attempt) + " seconds");
                sleeper.sleep(wait(attempt));
            }
        }
    }

    /** 1, 2, 3, … seconds, at most 10: a fast CA answers at once, a slow one is not asked too often. */
    static long wait(int attempt) { return Math.min(10, attempt + 1); }

    static KeyPair rsa(int bits) throws NoSuchAlgorithmException {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(bits);
        return g.generateKeyPair();
    }

    /** A DER CSR for {@code domains} (the first as common name, all as DNS names), signed with {@code key}. */
    static byte[] csr(List<String> domains, KeyPair key) throws Exception {
        List<GeneralName> names = new ArrayList<>();
        for (String d : domains) names.add(new GeneralName(GeneralName.dNSName, d));
        ExtensionsGenerator ext = new ExtensionsGenerator();
        ext.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(names.toArray(GeneralName[]::new)));
        return new JcaPKCS10CertificationRequestBuilder(new X500Name("CN=" + domains.get(0)), key.getPublic())
                .addAttribute(PKCSObjectIdentifiers.pkcs_9_at_extensionRequest, ext.generate())
                .build(new JcaContentSignerBuilder("SHA256withRSA").build(key.getPrivate())).getEncoded();
    }

    /** The standalone plugin's web server: answers {@code /.well-known/acme-challenge/<token>} while a validation runs. */
    static final class Responder implements AutoCloseable {
        final Map<String, String> tokens = new ConcurrentHashMap<>();
        private final HttpServer server;

        Responder(int port) throws IOException {
            server = HttpServer.create(new InetSocketAddress(port), 16);
            server.createContext("/.well-known/acme-challenge/", ex -> {
                String token = ex.getRequestURI().getPath().substring("/.well-known/acme-challenge/".length());
                String answer = tokens.get(token);
                byte[] body = (answer == null ? "not found" : answer).getBytes(StandardCharsets.US_ASCII);
                ex.getResponseHeaders().set("Content-Type", "text/plain");
                ex.sendResponseHeaders(answer == null ? 404 : 200, body.length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            });
            server.start();
        }

        @Override public void close() { server.stop(0); }
    }
}
