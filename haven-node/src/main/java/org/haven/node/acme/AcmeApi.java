package org.haven.node.acme;

import java.net.http.HttpClient;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.spec.RSAPublicKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import org.haven.api.ApiException;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.SpecMethods;
import org.haven.core.cfs.ClusterFs;
import org.haven.core.format.ConfigDigest;
import org.haven.core.format.SectionConfig;
import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;
import org.haven.core.schema.Validator;
import org.haven.node.Certificates;
import org.haven.node.admin.NodeConfig;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * ACME as PVE has it: accounts at a CA ({@code /cluster/acme/account}, files in {@code priv/acme/<name>}), the
 * challenge plugins ({@code /cluster/acme/plugins}), the CA's directory, terms and meta, and per node the ordering,
 * renewal and revocation of the certificate its HTTPS server presents ({@code nodes/<node>/pveproxy-ssl.pem} and
 * {@code .key}), plus uploading and removing such a custom certificate by hand. The HTTPS server serves a new
 * certificate as soon as the files change.
 */
public final class AcmeApi {
    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final Map<String, String> DESCRIPTIONS = Map.ofEntries(
            Map.entry("name", "ACME account config file name."), Map.entry("contact", "Contact email addresses."),
            Map.entry("directory", "URL of ACME CA directory endpoint."),
            Map.entry("tos_url", "URL of CA TermsOfService - setting this indicates agreement."),
            Map.entry("eab-kid", "Key Identifier for External Account Binding."),
            Map.entry("eab-hmac-key", "HMAC key for External Account Binding."),
            Map.entry("id", "ACME Plugin ID name"), Map.entry("type", "ACME challenge type."),
            Map.entry("api", "API plugin name"), Map.entry("data", "DNS plugin data. (base64 encoded)"),
            Map.entry("nodes", "List of cluster node names."), Map.entry("disable", "Flag to disable the config."),
            Map.entry("validation-delay", "Extra delay in seconds to wait before requesting validation."),
            Map.entry("delete", "A list of settings you want to delete."),
            Map.entry("digest", "Prevent changes if current configuration file has a different digest."),
            Map.entry("force", "Overwrite existing custom certificate (renew: even if expiry is more than 30 days away)."),
            Map.entry("certificates", "PEM encoded certificate (chain)."), Map.entry("key", "PEM encoded private key."),
            Map.entry("restart", "Restart the HTTPS server (Haven serves a new certificate at once in any case)."),
            Map.entry("node", "The cluster node name."));
    private static final SpecMethods SPEC = SpecMethods.load(AcmeApi.class, "acme-api.json", DESCRIPTIONS);
    private static final long RENEW_WINDOW = 30L * 24 * 3600;

    static {
        Formats.register("pve-acme-domain", v -> {
            if (!v.matches("(?i)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"))
                throw new Formats.FormatException("value '" + v + "' does not look like a valid domain name");
        });
    }

    private final NodeContext ctx;
    private final Function<String, HttpClient> http;
    private final int httpPort;
    private final AcmeOrder.Sleeper sleeper;
    private final String defaultDirectory;

    /**
     * {@code http} gives the HTTP client for a CA's directory URL; {@code httpPort} is where the standalone plugin
     * answers challenges (80 for a CA on the Internet); {@code defaultDirectory} is the CA of a request that names none.
     */
    public AcmeApi(NodeContext ctx, Function<String, HttpClient> http, int httpPort, AcmeOrder.Sleeper sleeper, String defaultDirectory) {
        this.ctx = ctx;
        this.http = http;
        this.httpPort = httpPort;
        this.sleeper = sleeper;
        this.defaultDirectory = defaultDirectory;
    }

    /**
     * The node's own settings: the system's trust store, port 80 and Let's Encrypt as the default CA, unless
     * {@code -Dhaven.acme.httpPort} or {@code -Dhaven.acme.directory} (a site's own CA) say otherwise.
     */
    public static AcmeApi of(NodeContext ctx) {
        HttpClient client = AcmeClient.httpClient();
        return new AcmeApi(ctx, url -> client, Integer.getInteger("haven.acme.httpPort", 80), Thread::sleep,
                System.getProperty("haven.acme.directory", AcmeConfig.DEFAULT_DIRECTORY));
    }

    public void register(ApiRegistry reg) {
        SPEC.add(reg, "GET", "/cluster/acme", "ACMEAccount index.", (p, rc) -> names("account", "tos", "meta", "directories", "plugins", "challenge-schema"));
        SPEC.add(reg, "GET", "/cluster/acme/directories", "Get named known ACME directory endpoints.", (p, rc) -> AcmeConfig.DIRECTORIES);
        // Haven ships no DNS API plugins: there is no schema to offer for them
        SPEC.add(reg, "GET", "/cluster/acme/challenge-schema", "Get schema of ACME challenge types.", (p, rc) -> List.of());
        SPEC.add(reg, "GET", "/cluster/acme/tos", "Retrieve ACME TermsOfService URL from CA.",
                (p, rc) -> client(directory(p)).meta().path("termsOfService").asString(null));
        SPEC.add(reg, "GET", "/cluster/acme/meta", "Retrieve ACME Directory Meta Information.",
                (p, rc) -> JSON.convertValue(client(directory(p)).meta(), Map.class));
        accounts(reg);
        plugins(reg);
        certificates(reg);
    }

    private static List<Map<String, String>> names(String... names) {
        List<Map<String, String>> out = new ArrayList<>();
        for (String n : names) out.add(Map.of("name", n));
        return out;
    }

    private String directory(Params p) { return p.str("directory", defaultDirectory); }

    private AcmeClient client(String directory) { return new AcmeClient(directory, http.apply(directory)); }

    private ClusterFs cfs() { return ctx.cfs(); }

    // ---- accounts ---------------------------------------------------------------------------------------

    /** An account file: the CA's account object, its URL, the directory, the terms agreed to, and the key (PEM). */
    record Account(ObjectNode file) {
        String location() { return file.path("location").asString(); }
        String directory() { return file.path("directory_url").asString(); }
        KeyPair key() throws Exception {
            PrivateKey k = Certificates.readKey(file.path("key").asString());
            RSAPrivateCrtKey rsa = (RSAPrivateCrtKey) k;
            var pub = java.security.KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(rsa.getModulus(), rsa.getPublicExponent()));
            return new KeyPair(pub, k);
        }
    }

    private Optional<Account> account(String name) {
        return cfs().readString(AcmeConfig.accountPath(name)).map(t -> new Account((ObjectNode) JSON.readTree(t)));
    }

    private Account existing(String name) {
        return account(name).orElseThrow(() -> new ParamException(Map.of("name", "ACME account config file '" + name + "' does not exist.")));
    }

    private void saveAccount(String name, Account a) {
        cfs().mkdirs(AcmeConfig.DIR);
        cfs().writeString(AcmeConfig.accountPath(name), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(a.file()) + "\n");
    }

    private static List<String> contacts(String list) {
        return Formats.splitList(list).stream().map(m -> "mailto:" + m).toList();
    }

    private <T> T lockAccount(String name, Supplier<T> body) { return cfs().withLock("acme-" + name, Duration.ofSeconds(10), body); }

    private void accounts(ApiRegistry reg) {
        SPEC.add(reg, "GET", "/cluster/acme/account", "ACMEAccount index.", (p, rc) -> {
            List<Map<String, String>> out = new ArrayList<>();
            for (ClusterFs.Entry e : cfs().stat(AcmeConfig.DIR).isPresent() ? cfs().list(AcmeConfig.DIR) : List.<ClusterFs.Entry>of())
                if (!e.directory() && !e.name().equals("plugins.cfg")) out.add(Map.of("name", e.name()));
            out.sort((a, b) -> a.get("name").compareTo(b.get("name")));
            return out;
        });
        SPEC.add(reg, "POST", "/cluster/acme/account", "Register a new ACME account with CA.", (p, rc) -> {
            String name = p.str("name", "default");
            if (account(name).isPresent()) throw new ParamException(Map.of("name", "ACME account config file '" + name + "' already exists."));
            if (p.has("eab-kid") != p.has("eab-hmac-key"))
                throw new ParamException(Map.of("eab-kid", "eab-kid and eab-hmac-key must be given together"));
            String directory = directory(p);
            List<String> contact = contacts(p.str("contact"));
            return rc.startTask("acmeregister", name, log -> lockAccount(name, () -> {
                    log.log("Registering new ACME account..");
                    AcmeClient ca = client(directory);
                    try {
                        log.log("Generating ACME account key..");
                        KeyPair key = AcmeOrder.rsa(4096);
                        log.log("Registering ACME account..");
                        AcmeClient.Response r;
                        try {
                            r = ca.newAccount(key, contact, p.has("tos_url"), p.str("eab-kid", null), p.str("eab-hmac-key", null));
                        } catch (RuntimeException e) {
                            throw new IllegalStateException("Registration failed: " + e.getMessage());
                        }
                        ObjectNode file = JSON.createObjectNode();
                        file.set("account", r.json());
                        file.put("directory_url", directory);
                        file.put("key", Certificates.pem(key.getPrivate()));
                        file.put("location", r.location());
                        if (p.has("tos_url")) file.put("tos", p.str("tos_url"));
                        saveAccount(name, new Account(file));
                        log.log("Registration successful, account URL: '" + r.location() + "'");
                        return null;
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e.getMessage(), e);
                    }
                }));
        });
        SPEC.add(reg, "GET", "/cluster/acme/account/{name}", "Return existing ACME account information.", (p, rc) -> {
            ObjectNode f = existing(p.str("name")).file();
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("account", JSON.convertValue(f.path("account"), Map.class));
            out.put("directory", f.path("directory_url").asString());
            out.put("location", f.path("location").asString());
            if (f.has("tos")) out.put("tos", f.path("tos").asString());
            return out;
        });
        SPEC.add(reg, "PUT", "/cluster/acme/account/{name}", "Update existing ACME account information with CA.", (p, rc) -> {
            String name = p.str("name", "default");
            existing(name);
            return rc.startTask("acmeupdate", name, log -> accountRequest(name, p.has("contact")
                    ? Map.of("contact", contacts(p.str("contact"))) : Map.of(), log::log, false));
        });
        SPEC.add(reg, "DELETE", "/cluster/acme/account/{name}", "Deactivate existing ACME account at CA.", (p, rc) -> {
            String name = p.str("name", "default");
            existing(name);
            return rc.startTask("acmedeactivate", name, log -> accountRequest(name, Map.of("status", "deactivated"), log::log, true));
        });
    }

    /** A change of the account at the CA; the answer replaces the stored account object, or the file goes with {@code remove}. */
    private Object accountRequest(String name, Map<String, Object> change, Consumer<String> log, boolean remove) {
        return lockAccount(name, () -> {
            Account a = existing(name);
            try {
                AcmeClient.Response r = client(a.directory()).post(a.location(), change, a.location(), a.key());
                if (remove) {
                    if (!"deactivated".equals(r.json().path("status").asString()))
                        log.accept("Account status is '" + r.json().path("status").asString() + "', removing the account file anyway");
                    cfs().delete(AcmeConfig.accountPath(name));
                    log.accept("Account deactivated, account file '" + name + "' removed");
                } else {
                    a.file().set("account", r.json());
                    saveAccount(name, a);
                    log.accept("Account updated");
                }
                return null;
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        });
    }

    // ---- plugins ----------------------------------------------------------------------------------------

    private String pluginText() { return cfs().readString(AcmeConfig.PLUGINS).orElse(""); }

    private <T> T lockPlugins(Supplier<T> body) { return cfs().withLock("file-priv_acme_plugins_cfg", Duration.ofSeconds(10), body); }

    private static Map<String, Object> plugin(SectionConfig.Section s) {
        Map<String, Object> out = new TreeMap<>();
        s.properties().forEach((k, v) -> out.put(k, k.equals("disable") ? (v.isEmpty() || v.equals("1") ? 1 : 0)
                : k.equals("validation-delay") ? Long.parseLong(v) : v));
        out.put("plugin", s.id());
        out.put("type", s.type());
        return out;
    }

    private static Map<String, String> pluginValues(Params p) {
        Map<String, String> out = new LinkedHashMap<>();
        p.asMap().forEach((k, v) -> {
            if (v != null && !List.of("id", "type", "delete", "digest").contains(k)) out.put(k, Validator.text(v));
        });
        return out;
    }

    private void plugins(ApiRegistry reg) {
        SPEC.add(reg, "GET", "/cluster/acme/plugins", "ACME plugin index.", (p, rc) -> {
            String text = pluginText();
            String digest = ConfigDigest.of(text);
            List<Map<String, Object>> out = new ArrayList<>();
            for (SectionConfig.Section s : AcmeConfig.plugins(text).sections()) {
                if (p.has("type") && !p.str("type").equals(s.type())) continue;
                Map<String, Object> e = plugin(s);
                e.put("digest", digest);
                out.add(e);
            }
            return out;
        });
        SPEC.add(reg, "GET", "/cluster/acme/plugins/{id}", "Get ACME plugin configuration.", (p, rc) -> {
            String text = pluginText();
            Map<String, Object> out = plugin(AcmeConfig.plugins(text).find(p.str("id"))
                    .orElseThrow(() -> new IllegalArgumentException("ACME plugin '" + p.str("id") + "' not defined")));
            out.put("digest", ConfigDigest.of(text));
            return out;
        });
        SPEC.add(reg, "POST", "/cluster/acme/plugins", "Add ACME plugin configuration.", (p, rc) -> lockPlugins(() -> {
            SectionConfig.Document doc = AcmeConfig.plugins(pluginText());
            String id = p.str("id");
            if (doc.find(id).isPresent()) throw new IllegalArgumentException("ACME plugin ID '" + id + "' already exists");
            SectionConfig.Section s = new SectionConfig.Section(p.str("type"), id);
            AcmeConfig.check(s.type(), pluginValues(p), true).forEach(s::set);
            doc.add(s);
            writePlugins(doc);
            return null;
        }));
        SPEC.add(reg, "PUT", "/cluster/acme/plugins/{id}", "Update ACME plugin configuration.", (p, rc) -> lockPlugins(() -> {
            String text = pluginText();
            ConfigDigest.check(p.str("digest", null), text);
            SectionConfig.Document doc = AcmeConfig.plugins(text);
            SectionConfig.Section s = doc.find(p.str("id"))
                    .orElseThrow(() -> new IllegalArgumentException("ACME plugin '" + p.str("id") + "' not defined"));
            Map<String, String> set = AcmeConfig.check(s.type(), pluginValues(p), false);
            for (String k : Formats.splitList(p.str("delete", ""))) {
                if (set.containsKey(k)) throw new IllegalArgumentException("cannot set and delete property '" + k + "' at the same time!");
                if (k.equals("api")) throw new IllegalArgumentException("unable to delete required option 'api'");
                s.remove(k);
            }
            set.forEach(s::set);
            writePlugins(doc);
            return null;
        }));
        SPEC.add(reg, "DELETE", "/cluster/acme/plugins/{id}", "Delete ACME plugin configuration.", (p, rc) -> lockPlugins(() -> {
            SectionConfig.Document doc = AcmeConfig.plugins(pluginText());
            doc.remove(p.str("id"));
            writePlugins(doc);
            return null;
        }));
    }

    private void writePlugins(SectionConfig.Document doc) {
        cfs().mkdirs(AcmeConfig.DIR);
        cfs().writeString(AcmeConfig.PLUGINS, SectionConfig.write(doc));
    }

    // ---- the node's certificate -------------------------------------------------------------------------

    private <T> T lockCert(Supplier<T> body) { return cfs().withLock("cert-" + ctx.nodeName(), Duration.ofSeconds(10), body); }

    private void certificates(ApiRegistry reg) {
        String n = "/nodes/{node}/certificates";
        SPEC.add(reg, "GET", n + "/acme", "ACME index.", (p, rc) -> names("certificate"));
        SPEC.add(reg, "POST", n + "/acme/certificate", "Order a new certificate from ACME-compatible CA.", (p, rc) -> {
            String node = ctx.nodeName();
            if (!p.bool("force", false) && cfs().stat(Certificates.customCertPath(node)).isPresent())
                throw new ParamException(Map.of("force", "Custom certificate exists but 'force' is not set."));
            return orderTask(rc, "acmenewcert");
        });
        SPEC.add(reg, "PUT", n + "/acme/certificate", "Renew existing certificate from CA.", (p, rc) -> {
            String pem = currentCert();
            X509Certificate cert = parse(pem);
            boolean soon = cert.getNotAfter().getTime() / 1000 <= ctx.clock().epochSeconds() + RENEW_WINDOW;
            if (!soon && !p.bool("force", false))
                throw new ParamException(Map.of("force", "Certificate does not expire within the next 30 days, and 'force' is not set."));
            return orderTask(rc, "acmerenew");
        });
        SPEC.add(reg, "DELETE", n + "/acme/certificate", "Revoke existing certificate from CA.", (p, rc) -> {
            String pem = currentCert();
            AcmeConfig.NodeAcme acme = nodeAcme();
            return rc.startTask("acmerevoke", null, log -> {
                Account a = existing(acme.account());
                log.log("Loading ACME account details");
                log.log("Revoking old certificate");
                client(a.directory()).revoke(parse(pem).getEncoded(), a.location(), a.key());
                lockCert(() -> {
                    log.log("Deleting certificate files");
                    cfs().delete(Certificates.customCertPath(ctx.nodeName()));
                    cfs().delete(Certificates.customKeyPath(ctx.nodeName()));
                    log.log("Restarting pveproxy to revert to self-signed certificates");
                    return null;
                });
            });
        });
        SPEC.add(reg, "POST", n + "/custom", "Upload or update custom certificate chain and key.", (p, rc) -> {
            String node = ctx.nodeName();
            String certs = stripLeadingText(p.str("certificates"));
            String key = p.has("key") ? stripLeadingText(p.str("key")) : null;
            if (key == null && cfs().stat(Certificates.customKeyPath(node)).isEmpty())
                throw new ParamException(Map.of("key", "Attempted to upload custom certificate without (existing) key."));
            return lockCert(() -> {
                setCertFiles(certs, key, p.bool("force", false));
                try {
                    return Certificates.info("pveproxy-ssl.pem", cfs().readString(Certificates.customCertPath(node)).orElseThrow());
                } catch (Exception e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            });
        });
        SPEC.add(reg, "DELETE", n + "/custom", "DELETE custom certificate chain and key.", (p, rc) -> lockCert(() -> {
            cfs().delete(Certificates.customCertPath(ctx.nodeName()));
            cfs().delete(Certificates.customKeyPath(ctx.nodeName()));
            return null;
        }));
    }

    /** A task ({@code acmenewcert} or {@code acmerenew}) that orders a certificate for the node's domains and installs it. */
    private String orderTask(org.haven.api.RequestContext rc, String type) {
        AcmeConfig.NodeAcme acme = nodeAcme();
        Map<String, Map<String, String>> plugins = pluginMap();
        return rc.startTask(type, null, log -> {
            AcmeOrder.Issued issued = order(acme, plugins, log::log);
            lockCert(() -> {
                log.log("Setting pveproxy certificate and key");
                setCertFiles(issued.chainPem(), issued.keyPem(), true);
                log.log("Restarting pveproxy");
                return null;
            });
        });
    }

    /** The node's custom certificate chain (PEM), which renewal and revocation need. */
    private String currentCert() {
        return cfs().readString(Certificates.customCertPath(ctx.nodeName())).orElseThrow(() ->
                ApiException.error("No current (custom) certificate found, please order a new certificate!"));
    }

    private AcmeConfig.NodeAcme nodeAcme() {
        Map<String, String> conf = NodeConfig.parse(cfs().readString("nodes/" + ctx.nodeName() + "/config").orElse(""));
        AcmeConfig.NodeAcme acme = AcmeConfig.node(conf);
        if (acme.domains().isEmpty()) throw ApiException.error("ACME domain list in node configuration is missing!");
        return acme;
    }

    private Map<String, Map<String, String>> pluginMap() {
        Map<String, Map<String, String>> out = new LinkedHashMap<>();
        for (SectionConfig.Section s : AcmeConfig.plugins(pluginText()).sections()) {
            Map<String, String> m = new LinkedHashMap<>(s.properties());
            m.put("type", s.type());
            out.put(s.id(), m);
        }
        return out;
    }

    private AcmeOrder.Issued order(AcmeConfig.NodeAcme acme, Map<String, Map<String, String>> plugins, Consumer<String> log) throws Exception {
        log.accept("Loading ACME account details");
        Account a = account(acme.account()).orElseThrow(() ->
                new IllegalStateException("ACME account config file '" + acme.account() + "' does not exist."));
        return new AcmeOrder(client(a.directory()), a.location(), a.key(), httpPort, sleeper, log).order(acme.domains(), plugins);
    }

    /**
     * Writes the node's custom certificate chain and (when given) key, refusing to replace existing files without
     * {@code force} and refusing a chain that does not parse or whose first certificate is not the key's.
     */
    private void setCertFiles(String chain, String key, boolean force) {
        String node = ctx.nodeName();
        if (!force && cfs().stat(Certificates.customCertPath(node)).isPresent()) throw new IllegalStateException("Custom certificate file exists but force flag is not set.");
        if (!force && key != null && cfs().stat(Certificates.customKeyPath(node)).isPresent())
            throw new IllegalStateException("Custom certificate key file exists but force flag is not set.");
        X509Certificate cert = parse(chain);
        String keyPem = key != null ? key : cfs().readString(Certificates.customKeyPath(node)).orElseThrow();
        try {
            PrivateKey k = Certificates.readKey(keyPem);
            if (!(k instanceof RSAPrivateCrtKey rsa) || !(cert.getPublicKey() instanceof java.security.interfaces.RSAPublicKey pub)
                    || !rsa.getModulus().equals(pub.getModulus()))
                throw new IllegalArgumentException("certificate and key do not match");
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("unable to parse key - " + e.getMessage());
        }
        if (key != null) cfs().writeString(Certificates.customKeyPath(node), key.strip() + "\n");
        cfs().writeString(Certificates.customCertPath(node), chain.strip() + "\n");
    }

    private static X509Certificate parse(String pem) {
        try {
            List<X509Certificate> chain = Certificates.readChain(pem);
            if (chain.isEmpty()) throw new IllegalArgumentException("no certificate found");
            return chain.get(0);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalArgumentException("unable to parse certificate - " + e.getMessage());
        }
    }

    /** PVE's {@code strip_leading_text}: the PEM from its first {@code -----BEGIN} on. */
    static String stripLeadingText(String pem) {
        int i = pem.indexOf("-----BEGIN");
        return i < 0 ? pem : pem.substring(i);
    }
}
