package org.haven.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LogFilesTest {
    @TempDir Path dir;

    Path file(String... lines) throws Exception {
        Path f = dir.resolve("log");
        Files.write(f, List.of(lines));
        return f;
    }

    static List<String> texts(LogFiles.Page p) { return p.lines().stream().map(m -> (String) m.get("t")).toList(); }

    @ParameterizedTest(name = "start {0} limit {1}")
    @CsvSource({
        "0, 50, 'a,b,c,d,e', 1",
        "0, 2,  'a,b',       1",
        "2, 2,  'c,d',       3",
        "3, 0,  'd,e',       4",
        "4, 10, 'e',         5",
    })
    void pages(int start, int limit, String expected, int firstN) throws Exception {
        LogFiles.Page p = LogFiles.dump(file("a", "b", "c", "d", "e"), start, limit, l -> true);
        assertThat(p.total()).isEqualTo(5);
        assertThat(texts(p)).containsExactly(expected.split(","));
        assertThat(p.lines().get(0)).containsEntry("n", firstN);
    }

    @Test
    void numbersOnlyMatchingLines() throws Exception {
        LogFiles.Page p = LogFiles.dump(file("100 a", "101 b", "100 c", "102 d", "100 e"), 1, 50, l -> l.startsWith("100 "));
        assertThat(p.total()).isEqualTo(3);
        assertThat(p.lines()).containsExactly(Map.of("n", 2, "t", "100 c"), Map.of("n", 3, "t", "100 e"));
    }

    @Test
    void emptyAndMissingFilesSayWhy() throws Exception {
        assertThat(texts(LogFiles.dump(file(), 0, 50, l -> true))).containsExactly("no content");
        LogFiles.Page pastEnd = LogFiles.dump(file("a"), 5, 50, l -> true);
        assertThat(pastEnd.total()).isEqualTo(1);
        assertThat(pastEnd.lines()).isEmpty();
        LogFiles.Page missing = LogFiles.dump(dir.resolve("nope"), 0, 50, l -> true);
        assertThat(missing.total()).isEqualTo(1);
        assertThat(texts(missing)).containsExactly("unable to open file - No such file or directory");
    }
}
