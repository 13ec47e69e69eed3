package org.haven.web;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

class StaticFilesTest {

    @Test
    void normalizeTable() {
        String[][] cases = {
            {"/", "index.html"}, {"/index.html", "index.html"}, {"/vendor/a-1/x.js", "vendor/a-1/x.js"},
            {"/a/../b", null}, {"/./a", null}, {"/a//b", null}, {"/a/", null}, {"a", null}, {null, null},
            {"/a\\b", null}, {"/..", null}, {"/a/\0", null},
        };
        for (String[] c : cases) assertThat(StaticFiles.normalize(c[0])).as(String.valueOf(c[0])).isEqualTo(c[1]);
    }

    @Test
    void normalizedNamesNeverLeaveTheRoot() {
        Random r = new Random(20261122);
        String[] parts = {"a", "b", "..", ".", "", "x.js", "%2e", "...", "..a"};
        for (int i = 0; i < 20000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = 0, n = 1 + r.nextInt(5); k < n; k++) sb.append('/').append(parts[r.nextInt(parts.length)]);
            String rel = StaticFiles.normalize(sb.toString());
            if (rel == null) continue;
            Path p = Path.of("/root").resolve(rel).normalize();
            assertThat(p.startsWith("/root")).as(sb.toString()).isTrue();
            assertThat(Path.of(rel).normalize().toString()).as(sb.toString()).isEqualTo(rel);
        }
    }

    @Test
    void contentTypesAndCachePolicy() {
        assertThat(StaticFiles.contentType("a.mjs")).isEqualTo("text/javascript; charset=utf-8");
        assertThat(StaticFiles.contentType("A.SVG")).isEqualTo("image/svg+xml");
        assertThat(StaticFiles.contentType("LICENSE")).isEqualTo("application/octet-stream");
        assertThat(StaticFiles.cacheControl("index.html")).isEqualTo(StaticFiles.NO_CACHE);
        assertThat(StaticFiles.cacheControl("app-0a1b/x.js")).isEqualTo(StaticFiles.IMMUTABLE);
        assertThat(StaticFiles.cacheControl("app-xyz/x.js")).isEqualTo(StaticFiles.SHORT);
        assertThat(StaticFiles.cacheControl("favicon.svg")).isEqualTo(StaticFiles.SHORT);
    }

    @Test
    void directoryModeRereadsFilesAndStaysInside(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("index.html"), "one");
        Files.writeString(dir.getParent().resolve("outside-" + dir.getFileName() + ".txt"), "secret");
        StaticFiles f = new StaticFiles(dir);
        assertThat(new String(f.lookup("/").orElseThrow().body(), StandardCharsets.UTF_8)).isEqualTo("one");
        Files.writeString(dir.resolve("index.html"), "two");
        assertThat(new String(f.lookup("/").orElseThrow().body(), StandardCharsets.UTF_8)).isEqualTo("two");
        assertThat(f.lookup("/../outside-" + dir.getFileName() + ".txt")).isEmpty();
        Files.delete(dir.getParent().resolve("outside-" + dir.getFileName() + ".txt"));
    }

    /** The built UI (target/classes/www): every import-map target, stylesheet and module import resolves to a served file. */
    @Test
    void builtUiIsSelfContained() throws Exception {
        StaticFiles f = new StaticFiles(StaticFilesTest.class.getClassLoader(), "www");
        String index = new String(f.lookup("/").orElseThrow().body(), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("<script type=\"importmap\">(.*?)</script>", Pattern.DOTALL).matcher(index);
        assertThat(m.find()).isTrue();
        JsonNode imports = JsonMapper.builder().build().readTree(m.group(1)).get("imports");
        List<String> targets = new ArrayList<>();
        imports.properties().forEach(e -> targets.add(e.getValue().asString()));
        assertThat(targets).hasSizeGreaterThanOrEqualTo(10);
        String app = imports.get("app/").asString();
        assertThat(app).matches("/app-[0-9a-f]{12}/");
        for (String t : targets) if (!t.endsWith("/")) assertThat(f.lookup(t)).as(t).isPresent();
        Matcher links = Pattern.compile("(?:href|src)=\"(/[^\"]+)\"").matcher(index);
        int n = 0;
        while (links.find()) { assertThat(f.lookup(links.group(1))).as(links.group(1)).isPresent(); n++; }
        assertThat(n).isGreaterThanOrEqualTo(4);
        // the application's own imports: 'app/x.js' through the map, './x.js' relative
        Pattern imp = Pattern.compile("from '(app/|\\./)([a-z]+\\.js)'");
        for (String mod : List.of("main.js", "panels.js", "vm.js", "node.js", "tasks.js", "wizard.js", "storage.js", "datacenter.js", "hardware.js")) {
            String src = new String(f.lookup(app + mod).orElseThrow(() -> new AssertionError(mod)).body(), StandardCharsets.UTF_8);
            Matcher im = imp.matcher(src);
            while (im.find()) assertThat(f.lookup(app + im.group(2))).as(mod + " imports " + im.group(2)).isPresent();
        }
        assertThat(f.lookup(app + "main.js").orElseThrow().cacheControl()).isEqualTo(StaticFiles.IMMUTABLE);
    }
}
