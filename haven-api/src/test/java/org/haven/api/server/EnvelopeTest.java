package org.haven.api.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.BooleanNode;

class EnvelopeTest {
    record Guest(int vmid, boolean template) {}

    static String json(ApiResponse r) { return new String(HttpApiServer.formatJson(r), StandardCharsets.UTF_8); }
    static String extjs(ApiResponse r) { return new String(HttpApiServer.formatExtjs(r), StandardCharsets.UTF_8); }

    @Test
    void dataEnvelopeWithPveBooleans() {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("local", true);
        d.put("guests", List.of(new Guest(100, false)));
        d.put("literal", BooleanNode.TRUE);
        assertThat(json(ApiResponse.ok(d))).isEqualTo("{\"data\":{\"local\":1,\"guests\":[{\"vmid\":100,\"template\":0}],\"literal\":true}}");
        assertThat(json(new ApiResponse(200, List.of(), null, null, Map.of("total", 7)))).isEqualTo("{\"data\":[],\"total\":7}");
    }

    @Test
    void errorEnvelopes() {
        ApiResponse bad = new ApiResponse(400, null, Map.of("vmid", "value must have a minimum value of 100"), "Parameter verification failed.");
        assertThat(json(bad)).isEqualTo("{\"data\":null,\"errors\":{\"vmid\":\"value must have a minimum value of 100\"},\"message\":\"Parameter verification failed.\\n\"}");
        assertThat(extjs(bad)).isEqualTo("{\"data\":null,\"success\":0,\"status\":400,\"message\":\"Parameter verification failed.\\n\",\"errors\":{\"vmid\":\"value must have a minimum value of 100\"}}");
        assertThat(extjs(ApiResponse.ok("x"))).isEqualTo("{\"data\":\"x\",\"success\":1}");
        assertThat(json(ApiResponse.error(401, "No ticket"))).isEqualTo("{\"data\":null,\"message\":\"No ticket\\n\"}");
    }

    @Test
    void errorReasonPhraseIsTheMessagesFirstLineWithoutControlCharacters() {
        String[][] table = {
                // status, message, reason phrase (null: the standard phrase)
                {"500", "Configuration file 'nodes/n1/qemu-server/9999.conf' does not exist", "Configuration file 'nodes/n1/qemu-server/9999.conf' does not exist"},
                {"400", "Parameter verification failed.", "Parameter verification failed."},
                {"403", "Permission check failed (/vms/100, VM.PowerMgmt)", "Permission check failed (/vms/100, VM.PowerMgmt)"},
                {"500", "start failed: QEMU exited\nsecond line", "start failed: QEMU exited"},
                {"500", "a\rb\u0000c\td\u007fe\u2028f", "abcdef"},
                {"401", "\r\n", null},
                {"401", "", null},
                {"401", null, null},
                {"200", "OK then", null},
                {"302", "moved", null},
        };
        for (String[] row : table)
            assertThat(HttpApiServer.reason(Integer.parseInt(row[0]), row[1])).as("%s %s", row[0], row[1]).isEqualTo(row[2]);
    }

    @Test
    void formParsingKeepsRepeatedKeysAndPercentDecodingKeepsPlus() {
        Map<String, Object> m = new LinkedHashMap<>();
        RequestDecoder.parseForm("a=1&b=x%20y&a=2&c=&d", m);
        assertThat(m).containsEntry("a", List.of("1", "2")).containsEntry("b", "x y").containsEntry("c", "").containsEntry("d", "");
        assertThat(HttpApiServer.percentDecode("PVE%3Aroot%40pam%3A5F+a/b=")).isEqualTo("PVE:root@pam:5F+a/b=");
    }
}
