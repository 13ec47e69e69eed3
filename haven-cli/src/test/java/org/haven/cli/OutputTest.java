package org.haven.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

class OutputTest {
    static JsonNode j(String s) { return SocketClient.JSON.readTree(s); }

    static String render(String data, String returns, Output.Options o) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Output.print(new PrintStream(b, true, StandardCharsets.UTF_8), j(data), returns == null ? null : j(returns), null, o);
        return b.toString(StandardCharsets.UTF_8);
    }

    static final Output.Options ASCII = new Output.Options(Output.Format.TEXT, true, true, false);
    static final Output.Options UTF8 = new Output.Options(Output.Format.TEXT, true, true, true);

    @Test
    void objectsAreKeyValueTables() {
        String out = render("{\"version\":\"8.4.1\",\"release\":\"8.4\",\"repoid\":\"abcdef01\"}", "{\"type\":\"object\"}", ASCII);
        assertThat(out).isEqualTo("""
                +---------+----------+
                | key     | value    |
                +=========+==========+
                | release | 8.4      |
                +---------+----------+
                | repoid  | abcdef01 |
                +---------+----------+
                | version | 8.4.1    |
                +---------+----------+
                """);
        assertThat(render("{\"a\":1}", null, UTF8)).isEqualTo("""
                ┌─────┬───────┐
                │ key │ value │
                ╞═════╪═══════╡
                │ a   │ 1     │
                └─────┴───────┘
                """);
    }

    @Test
    void listsUseSchemaColumnsSortedByFirstColumn() {
        String returns = "{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{\"vmid\":{\"type\":\"integer\"},\"name\":{\"type\":\"string\"}}}}";
        String out = render("[{\"vmid\":101,\"name\":\"b\"},{\"vmid\":100,\"name\":\"a\"}]", returns,
                new Output.Options(Output.Format.TEXT, false, true, false));
        assertThat(out).isEqualTo("name vmid\na    100\nb    101\n");
        String noheader = render("[{\"vmid\":9,\"name\":\"x\"},{\"vmid\":10,\"name\":\"y\"}]", returns,
                new Output.Options(Output.Format.TEXT, false, false, false));
        assertThat(noheader).isEqualTo("x 9\ny 10\n");
    }

    @Test
    void scalarsNullsAndEmptyLists() {
        assertThat(render("\"UPID:n1:00000001:00000002:00000003:x::root@pam:\"", "{\"type\":\"string\"}", ASCII))
                .isEqualTo("UPID:n1:00000001:00000002:00000003:x::root@pam:\n");
        assertThat(render("null", "{\"type\":\"null\"}", ASCII)).isEmpty();
        assertThat(render("[]", "{\"type\":\"array\"}", ASCII)).isEmpty();
        assertThat(render("100", "{\"type\":\"integer\"}", ASCII)).isEqualTo("100\n");
    }

    @Test
    void jsonFormatsAreCanonical() {
        Output.Options json = new Output.Options(Output.Format.JSON, true, true, false);
        Output.Options pretty = new Output.Options(Output.Format.JSON_PRETTY, true, true, false);
        assertThat(render("{\"b\":[1,{\"y\":1,\"x\":2}],\"a\":\"s\"}", null, json)).isEqualTo("{\"a\":\"s\",\"b\":[1,{\"x\":2,\"y\":1}]}\n");
        assertThat(render("{\"b\":[1],\"a\":{}}", null, pretty)).isEqualTo("{\n   \"a\" : {},\n   \"b\" : [\n      1\n   ]\n}\n");
    }

    @Test
    void yaml() {
        Output.Options yaml = new Output.Options(Output.Format.YAML, true, true, false);
        assertThat(render("{\"b\":[1,\"x y\"],\"a\":{\"c\":\"\"},\"d\":\"a: b\"}", null, yaml))
                .isEqualTo("---\na:\n  c: ''\nb:\n  - 1\n  - x y\nd: 'a: b'\n");
        assertThat(render("\"plain\"", null, yaml)).isEqualTo("--- plain\n");
    }

    @Test
    void unknownFormatIsRejectedWithPveMessage() {
        assertThatThrownBy(() -> Output.Format.parse("xml"))
                .hasMessage("value 'xml' does not have a value in the enumeration 'json, json-pretty, text, yaml'");
    }

    /** Randomized: every rendered table line has the same display width and every cell value appears. */
    @Test
    void randomizedTablesAreRectangular() {
        Random r = new Random(11);
        for (int round = 0; round < 200; round++) {
            int rows = 1 + r.nextInt(6);
            StringBuilder sb = new StringBuilder("[");
            List<String> values = new java.util.ArrayList<>();
            for (int i = 0; i < rows; i++) {
                String a = Long.toString(r.nextLong() & 0xFFFFFFL, 36).repeat(1 + r.nextInt(3));
                String b = "v" + r.nextInt(100000);
                values.add(a);
                values.add(b);
                sb.append(i > 0 ? "," : "").append("{\"a\":\"").append(a).append("\",\"b\":\"").append(b).append("\"}");
            }
            String out = render(sb.append("]").toString(), null, r.nextBoolean() ? UTF8 : ASCII);
            String[] lines = out.split("\n");
            for (String l : lines) assertThat(l.length()).isEqualTo(lines[0].length());
            for (String v : values) assertThat(out).contains(" " + v + " ");
        }
    }
}
