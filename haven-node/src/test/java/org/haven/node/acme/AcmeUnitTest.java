package org.haven.node.acme;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.Signature;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.RSAPublicKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The JWS pieces against RFC 7638's example, signed requests that verify, and the node's ACME domains. */
class AcmeUnitTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void thumbprintOfRfc7638sExampleKey() throws Exception {
        String n = "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
        RSAPublicKey key = (RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(
                new BigInteger(1, Base64.getUrlDecoder().decode(n)), new BigInteger(1, Base64.getUrlDecoder().decode("AQAB"))));
        assertThat(Jws.jwk(key)).containsExactly(Map.entry("e", "AQAB"), Map.entry("kty", "RSA"), Map.entry("n", n));
        assertThat(Jws.thumbprint(key)).isEqualTo("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
        assertThat(Jws.keyAuthorization("tok", key)).isEqualTo("tok.NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }

    @Test
    void signedRequestsVerifyWithTheAccountKey() throws Exception {
        KeyPair kp = AcmeOrder.rsa(2048);
        String jws = Jws.sign(Jws.header("nonce1", "https://ca/new-acct", null, (RSAPublicKey) kp.getPublic()), Map.of("contact", List.of("mailto:a@b")), kp.getPrivate());
        JsonNode o = JSON.readTree(jws);
        JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(o.path("protected").asString()));
        assertThat(header.path("alg").asString()).isEqualTo("RS256");
        assertThat(header.path("jwk").path("kty").asString()).isEqualTo("RSA");
        assertThat(header.has("kid")).isFalse();
        assertThat(header.path("nonce").asString()).isEqualTo("nonce1");
        Signature v = Signature.getInstance("SHA256withRSA");
        v.initVerify(kp.getPublic());
        v.update((o.path("protected").asString() + "." + o.path("payload").asString()).getBytes(StandardCharsets.US_ASCII));
        assertThat(v.verify(Base64.getUrlDecoder().decode(o.path("signature").asString()))).isTrue();

        // POST-as-GET: empty payload, the account URL as kid
        JsonNode get = JSON.readTree(Jws.sign(Jws.header("n2", "https://ca/order/1", "https://ca/acct/7", (RSAPublicKey) kp.getPublic()), null, kp.getPrivate()));
        assertThat(get.path("payload").asString()).isEmpty();
        assertThat(JSON.readTree(Base64.getUrlDecoder().decode(get.path("protected").asString())).path("kid").asString()).isEqualTo("https://ca/acct/7");
    }

    @Test
    void nodeDomainsFromTheNodeConfig() {
        AcmeConfig.NodeAcme acme = AcmeConfig.node(Map.of("acme", "account=prod,domains=a.example;b.example",
                "acmedomain1", "c.example,plugin=mydns,alias=_acme.other.example", "acmedomain0", "d.example"));
        assertThat(acme.account()).isEqualTo("prod");
        assertThat(acme.domains()).containsExactly(new AcmeConfig.Domain("a.example", "standalone", null),
                new AcmeConfig.Domain("b.example", "standalone", null), new AcmeConfig.Domain("d.example", "standalone", null),
                new AcmeConfig.Domain("c.example", "mydns", "_acme.other.example"));
        assertThat(AcmeConfig.node(Map.of()).account()).isEqualTo("default");
        assertThat(AcmeConfig.node(Map.of()).domains()).isEmpty();
        assertThatThrownBy(() -> AcmeConfig.node(Map.of("acme", "domains=a.example", "acmedomain0", "a.example")))
                .hasMessage("duplicate domain 'a.example' in ACME config properties 'acme' and 'acmedomain0'");
    }

    @Test
    void anUnreachableCaIsNamedWithTheReason() {
        assertThatThrownBy(() -> new AcmeClient("https://127.0.0.1:1/directory", AcmeClient.httpClient()).directory())
                .hasMessage("unable to reach https://127.0.0.1:1/directory: connection refused");
    }

    @Test
    void pluginsAlwaysHaveTheStandaloneOne() {
        assertThat(AcmeConfig.plugins("").sections()).extracting(s -> s.type() + ":" + s.id()).containsExactly("standalone:standalone");
        assertThat(AcmeConfig.plugins("dns: cf\n\tapi cf\n\tdata Q0ZfVG9rZW49eA==\n").sections())
                .extracting(s -> s.type() + ":" + s.id()).containsExactly("standalone:standalone", "dns:cf");
        assertThatThrownBy(() -> AcmeConfig.check("dns", Map.of("nodes", "n1"), true)).hasMessage("missing value for required option 'api'");
        assertThatThrownBy(() -> AcmeConfig.check("standalone", Map.of("api", "cf"), false)).hasMessage("unexpected property 'api'");
        assertThat(AcmeOrder.wait(0)).isEqualTo(1);
        assertThat(AcmeOrder.wait(30)).isEqualTo(10);
    }
}
