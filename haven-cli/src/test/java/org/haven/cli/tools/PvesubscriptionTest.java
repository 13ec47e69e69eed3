package org.haven.cli.tools;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** pvesubscription and the node subcommands of pvenode: their words and output. */
class PvesubscriptionTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    private static String render(BiConsumer<JsonNode, PrintStream> printer, String json) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        printer.accept(JSON.readTree(json), new PrintStream(buf, true, StandardCharsets.UTF_8));
        return buf.toString(StandardCharsets.UTF_8);
    }

    @Test
    void getPrintsSortedKeyValueLines() {
        assertThat(render(Pvesubscription::printSorted, """
                {"status":"notfound","message":"There is no subscription key","sockets":2,"serverid":"AB"}"""))
                .isEqualTo("message: There is no subscription key\nserverid: AB\nsockets: 2\nstatus: notfound\n");
        assertThat(new Pvesubscription().commands()).extracting(c -> c.words()).containsExactly("get", "set", "update", "delete");
    }

    @Test
    void pvenodeConfigGetPrintsTheFileFormat() {
        assertThat(render(Pvenode::printConfig, """
                {"wakeonlan":"mac=aa:bb:cc:dd:ee:ff","description":"line 1\\nline 2\\n","digest":"x","startall-onboot-delay":10}"""))
                .isEqualTo("#line 1\n#line 2\nstartall-onboot-delay: 10\nwakeonlan: mac=aa:bb:cc:dd:ee:ff\n");
        assertThat(new Pvenode().commands()).extracting(c -> c.words()).contains("config get", "config set", "wakeonlan");
    }
}
