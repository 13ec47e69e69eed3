package org.haven.replication.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

@Tag("unit")
class PvesrToolTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    static String print(java.util.function.BiConsumer<tools.jackson.databind.JsonNode, PrintStream> p, String json) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        p.accept(JSON.readTree(json), new PrintStream(b, true, StandardCharsets.UTF_8));
        return b.toString(StandardCharsets.UTF_8);
    }

    @Test
    void listTable() {
        assertThat(print(PvesrTool::printList, """
                [{"id":"200-0","type":"local","guest":200,"target":"b","disable":1},
                 {"id":"100-0","type":"local","guest":100,"target":"a","schedule":"*/5","rate":10}]"""))
                .isEqualTo("""
                        JobID      Target               Schedule             Rate  Enabled
                        100-0      local/a              */5                  10    yes \s
                        200-0      local/b              */15                 -     no  \s
                        """);
    }

    @Test
    void statusTable() {
        long now = 1_700_000_000;
        String out = print((d, o) -> PvesrTool.printStatus(d, o, ZoneOffset.UTC, now), """
                [{"id":"100-0","type":"local","guest":100,"target":"a","last_sync":1699999100,"next_sync":1700000900,"duration":1.52,"fail_count":0},
                 {"id":"100-1","type":"local","guest":100,"target":"b","last_sync":0,"next_sync":1699999999,"fail_count":2,"error":"no route"},
                 {"id":"101-0","type":"local","guest":101,"target":"b","next_sync":0,"fail_count":0,"disable":1},
                 {"id":"102-0","type":"local","guest":102,"target":"b","next_sync":1700000900,"fail_count":0,"pid":42}]""");
        assertThat(out.lines().toList()).containsExactly(
                "JobID      Enabled    Target               LastSync             NextSync             Duration   FailCount  State",
                "100-0      Yes        local/a              2023-11-14_21:58:20  2023-11-14_22:28:20  1.52       0          OK",
                "100-1      Yes        local/b              -                    pending              -          2          no route",
                "101-0      No         local/b              -                    -                    -          0          OK",
                "102-0      Yes        local/b              -                    2023-11-14_22:28:20  -          0          SYNCING");
    }
}
