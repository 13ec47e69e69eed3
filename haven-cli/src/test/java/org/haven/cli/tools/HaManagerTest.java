package org.haven.cli.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class HaManagerTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    private static String render(BiConsumer<JsonNode, PrintStream> printer, String json) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        printer.accept(JSON.readTree(json), new PrintStream(buf, true, StandardCharsets.UTF_8));
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void configPrintsSectionsSortedWithoutDigest() {
        String out = render(HaManager::printConfig, """
            [{"sid":"vm:100","type":"vm","state":"started","group":"g1","max_restart":2,"digest":"abc"},
             {"sid":"ct:101","type":"ct","state":"stopped","digest":"abc"}]""");
        assertThat(out).isEqualTo("ct:101\n\tstate stopped\n\nvm:100\n\tgroup g1\n\tmax_restart 2\n\tstate started\n\n");
    }

    @Test
    void groupconfigPrintsGroups() {
        String out = render(HaManager::printGroups, """
            [{"group":"prefer","type":"group","nodes":"n1:2,n2","restricted":1,"digest":"x"}]""");
        assertThat(out).isEqualTo("group: prefer\n\tnodes n1:2,n2\n\trestricted 1\n\n");
    }

    @Test
    void statusPrintsOneLinePerEntry() {
        String out = render(HaManager::printStatus, """
            [{"id":"quorum","type":"quorum","status":"OK"},
             {"id":"master","type":"master","status":"node1 (active, Wed Nov 23 11:07:23 2016)"},
             {"id":"service:vm:100","type":"service","status":"vm:100 (node1, started)"}]""");
        assertThat(out).isEqualTo("quorum OK\nmaster node1 (active, Wed Nov 23 11:07:23 2016)\nservice vm:100 (node1, started)\n");
    }

    @Test
    void toolDeclaresPveSubcommands() {
        assertThat(new HaManager().commands()).extracting(c -> c.words())
            .contains("status", "config", "add", "remove", "set", "migrate", "relocate", "groupconfig", "groupadd",
                "groupremove", "groupset", "crm-command migrate", "crm-command relocate");
    }
}
