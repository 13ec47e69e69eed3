package org.haven.api.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.ApiException;
import org.haven.core.schema.ParamException;
import org.junit.jupiter.api.Test;

class RequestDecoderTest {

    static Map<String, Object> form(String text) {
        Map<String, Object> m = new LinkedHashMap<>();
        RequestDecoder.parseForm(text, m);
        return m;
    }

    static Map<String, Object> json(byte[] body) {
        Map<String, Object> m = new LinkedHashMap<>();
        RequestDecoder.parseJson(body, m);
        return m;
    }

    @Test
    void wellFormedFormsDecode() {
        assertThat(form("a=1&b=x%20y+z&a=2&c=&d")).containsEntry("a", List.of("1", "2")).containsEntry("b", "x y z")
                .containsEntry("c", "").containsEntry("d", "");
        assertThat(form("comment=%C3%A9t%C3%A9&k%3Ay=%2B")).containsEntry("comment", "été").containsEntry("k:y", "+");
        // characters Jetty passes through undecoded are taken as they are
        assertThat(form("n=été")).containsEntry("n", "été");
    }

    @Test
    void malformedValuesAreParameterErrors() {
        // value: PVE's field error envelope; name: a plain 400
        for (String bad : new String[]{"x=%zz", "type=%", "x=%4", "comment=%ff", "comment=%C3", "x=%e9t%e9"}) {
            String name = bad.substring(0, bad.indexOf('='));
            assertThatThrownBy(() -> form(bad)).as(bad).isInstanceOfSatisfying(ParamException.class,
                    e -> assertThat(e.errors()).containsOnlyKeys(name).containsValue("malformed value (invalid percent-encoding or UTF-8)"));
        }
        assertThatThrownBy(() -> form("%zz=1")).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.getMessage()).isEqualTo("malformed parameter name (invalid percent-encoding or UTF-8)");
        });
    }

    @Test
    void formBodiesMustBeUtf8() {
        Map<String, Object> m = new LinkedHashMap<>();
        RequestDecoder.parseFormBody("comment=caf\u00e9".getBytes(StandardCharsets.UTF_8), m);
        assertThat(m).containsEntry("comment", "café");
        assertThatThrownBy(() -> RequestDecoder.parseFormBody("comment=caf\u00e9".getBytes(StandardCharsets.ISO_8859_1), new LinkedHashMap<>()))
                .isInstanceOfSatisfying(ApiException.class, e -> assertThat(e.status()).isEqualTo(400));
    }

    @Test
    void jsonObjectsDecode() {
        assertThat(json("{\"vmid\":100,\"name\":\"été\",\"on\":true,\"tags\":[\"a\",\"b\"],\"opt\":null}".getBytes(StandardCharsets.UTF_8)))
                .containsEntry("vmid", 100L).containsEntry("name", "été").containsEntry("on", true)
                .containsEntry("tags", List.of("a", "b")).containsEntry("opt", null);
        assertThat(json("  ".getBytes(StandardCharsets.UTF_8))).isEmpty();
    }

    @Test
    void badJsonIsA400WithAPlainMessage() {
        String deep = "[".repeat(3000) + "]".repeat(3000);
        Map<String, byte[]> cases = new LinkedHashMap<>();
        cases.put("unable to parse JSON body - ", "{bad".getBytes(StandardCharsets.UTF_8));
        cases.put("unable to parse JSON body - Invalid UTF-8", "{\"a\":\"caf\u00e9\"}".getBytes(StandardCharsets.ISO_8859_1));
        cases.put("unable to parse JSON body - Invalid UTF-8 start byte", new byte[]{'{', '"', 'a', '"', ':', '"', (byte) 0xff, '"', '}'});
        cases.put("unable to parse JSON body - nested deeper than 64 levels", ("{\"a\":" + deep + "}").getBytes(StandardCharsets.UTF_8));
        cases.put("got unexpected JSON data type, expected a object", "[1,2]".getBytes(StandardCharsets.UTF_8));
        cases.forEach((prefix, body) -> assertThatThrownBy(() -> json(body)).as(prefix).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(400);
            assertThat(e.getMessage()).startsWith(prefix);
            assertThat(Dispatcher.mentionsJava(e.getMessage())).isFalse();
            assertThat(e.getMessage()).doesNotContain("Exception", "`");
        }));
        // the bound is the depth, not the size
        assertThat(json(("{\"a\":" + "[".repeat(60) + "]".repeat(60) + "}").getBytes(StandardCharsets.UTF_8))).containsKey("a");
    }
}
