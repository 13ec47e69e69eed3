package org.haven.node.admin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Random;

import org.junit.jupiter.api.Test;

/** APT repository files (one-line and deb822), their edits, infos and standard repositories; apt and dpkg output. */
class AptSourcesTest {

    static final String LIST = """
            # main archive
            deb http://deb.debian.org/debian bookworm main contrib

            deb [arch=amd64 signed-by=/usr/share/keyrings/a.gpg,/usr/share/keyrings/b.gpg] http://security.debian.org/debian-security bookworm-security main # security
            #deb-src http://deb.debian.org/debian bookworm main
            # a plain comment
            deb file:/srv/repo ./
            """;

    static final String SOURCES = """
            # Debian
            Types: deb deb-src
            URIs: http://deb.debian.org/debian
            Suites: bookworm bookworm-updates
            Components: main
             contrib
            Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

            Types: deb
            URIs: http://deb.debian.org/debian
            Suites: bullseye
            Components: main
            Enabled: no
            """;

    @Test
    void oneLineFormatReadsTypesUrisSuitesComponentsOptionsAndComments() {
        AptSources.File f = AptSources.parse("/etc/apt/sources.list", LIST);
        record Row(List<String> types, List<String> uris, List<String> suites, List<String> components, String comment, boolean enabled, int line) {}
        List<Row> rows = f.repos().stream().map(r -> new Row(r.types(), r.uris(), r.suites(), r.components(), r.comment(), r.enabled(), r.first())).toList();
        assertThat(rows).containsExactly(
                new Row(List.of("deb"), List.of("http://deb.debian.org/debian"), List.of("bookworm"), List.of("main", "contrib"), "main archive", true, 1),
                new Row(List.of("deb"), List.of("http://security.debian.org/debian-security"), List.of("bookworm-security"), List.of("main"), "security", true, 3),
                new Row(List.of("deb-src"), List.of("http://deb.debian.org/debian"), List.of("bookworm"), List.of("main"), "", false, 4),
                new Row(List.of("deb"), List.of("file:/srv/repo"), List.of("./"), List.of(), "a plain comment", true, 6));
        assertThat(f.repos().get(1).options()).containsExactly(Map.entry("arch", List.of("amd64")),
                Map.entry("signed-by", List.of("/usr/share/keyrings/a.gpg", "/usr/share/keyrings/b.gpg")));
        assertThat(f.repos().get(1).json()).containsEntry("Options", List.of(Map.of("Key", "arch", "Values", List.of("amd64")),
                Map.of("Key", "signed-by", "Values", List.of("/usr/share/keyrings/a.gpg", "/usr/share/keyrings/b.gpg"))))
                .containsEntry("FileType", "list").containsEntry("Enabled", true);
    }

    @Test
    void deb822ReadsStanzasWithContinuationLinesAndEnabled() {
        AptSources.File f = AptSources.parse("/etc/apt/sources.list.d/debian.sources", SOURCES);
        assertThat(f.repos()).hasSize(2);
        AptSources.Repo a = f.repos().get(0), b = f.repos().get(1);
        assertThat(a.types()).containsExactly("deb", "deb-src");
        assertThat(a.suites()).containsExactly("bookworm", "bookworm-updates");
        assertThat(a.components()).containsExactly("main", "contrib");
        assertThat(a.options()).containsExactly(Map.entry("Signed-By", List.of("/usr/share/keyrings/debian-archive-keyring.gpg")));
        assertThat(a.comment()).isEqualTo("Debian");
        assertThat(a.enabled()).isTrue();
        assertThat(List.of(a.first(), a.last(), b.first(), b.last())).containsExactly(1, 6, 8, 12);
        assertThat(b.enabled()).isFalse();
        assertThat(b.json()).doesNotContainKey("Options").containsEntry("FileType", "sources");
    }

    @Test
    void malformedFilesAreRefusedWithTheLine() {
        record Row(String path, String text, String error) {}
        for (Row r : List.of(
                new Row("/a.list", "deb http://x\n", "malformed entry on line 1"),
                new Row("/a.list", "deb [arch=amd64 http://x bookworm main\n", "malformed entry on line 1"),
                new Row("/a.list", "dep http://x bookworm main\n", "malformed entry on line 1"),
                new Row("/a.list", "deb http://x bookworm/ main\n", "malformed entry on line 1"),
                new Row("/a.sources", "Types: deb\nURIs: http://x\nComponents: main\n", "missing field 'Suites' (lines 1-3)"),
                new Row("/a.sources", "Types: rpm\nURIs: http://x\nSuites: a\nComponents: main\n", "unknown package type 'rpm' (lines 1-4)"),
                new Row("/a.sources", "Types: deb\nURIs: http://x\nSuites: a\n", "missing field 'Components' (lines 1-3)"),
                new Row("/a.sources", "Types: deb\nURIs: http://x\nSuites: a\nComponents: main\nEnabled: maybe\n", "invalid value 'maybe' for 'Enabled' (lines 1-5)"),
                new Row("/a.sources", "Types: deb\ntypes: deb\n", "duplicate field 'types' on line 2"),
                new Row("/a.sources", "Types deb\n", "malformed line 1: no field"),
                new Row("/a.conf", "", "unknown file extension")))
            assertThatThrownBy(() -> AptSources.parse(r.path(), r.text())).as(r.text()).hasMessage(r.error());
    }

    @Test
    void unchangedFilesWriteBackByteForByteAndEnablingEditsOneLine() {
        for (String[] c : new String[][]{{"/etc/apt/sources.list", LIST}, {"/etc/apt/sources.list.d/d.sources", SOURCES}, {"/x.list", "deb http://a b c"}, {"/x.list", ""}})
            assertThat(AptSources.parse(c[0], c[1]).text()).isEqualTo(c[1]);

        AptSources.File list = AptSources.parse("/etc/apt/sources.list", LIST);
        AptSources.File off = AptSources.setEnabled(list, 0, false);
        assertThat(off.text()).isEqualTo(LIST.replace("\ndeb http://deb.debian.org/debian bookworm main contrib", "\n# deb http://deb.debian.org/debian bookworm main contrib"));
        assertThat(off.repos().get(0).enabled()).isFalse();
        assertThat(AptSources.setEnabled(off, 0, true).text()).isEqualTo(LIST);
        assertThat(AptSources.setEnabled(list, 2, true).text()).contains("\ndeb-src http://deb.debian.org/debian bookworm main\n");
        assertThat(AptSources.setEnabled(list, 1, true)).isSameAs(list);
        assertThatThrownBy(() -> AptSources.setEnabled(list, 4, true)).hasMessage("unable to find repository with index 4");

        AptSources.File src = AptSources.parse("/d.sources", SOURCES);
        AptSources.File on = AptSources.setEnabled(src, 1, true);
        assertThat(on.text()).isEqualTo(SOURCES.replace("Enabled: no", "Enabled: yes"));
        AptSources.File firstOff = AptSources.setEnabled(src, 0, false);
        assertThat(firstOff.text()).isEqualTo(SOURCES.replace("debian-archive-keyring.gpg\n", "debian-archive-keyring.gpg\nEnabled: no\n"));
        assertThat(firstOff.repos()).extracting(AptSources.Repo::enabled).containsExactly(false, false);
    }

    @Test
    void appendedRepositoriesParseBack() {
        AptSources.File list = AptSources.append(AptSources.parse("/n.list", "deb http://a b c"), "deb", "http://deb.debian.org/debian", "bookworm", List.of("main"), null);
        assertThat(list.text()).isEqualTo("deb http://a b c\ndeb http://deb.debian.org/debian bookworm main\n");
        AptSources.File src = AptSources.append(AptSources.parse("/n.sources", SOURCES), "deb", "http://x/debian", "trixie", List.of("main", "contrib"), "new");
        assertThat(src.repos()).hasSize(3);
        assertThat(src.repos().get(2).comment()).isEqualTo("new");
        assertThat(src.repos().get(2).components()).containsExactly("main", "contrib");
        assertThat(src.text()).startsWith(SOURCES);
    }

    @Test
    void randomLineFilesRoundTripAndEveryRepositoryToggles() {
        Random rnd = new Random(18);
        String[] pieces = {"deb http://a/debian bookworm main", "# deb-src http://a/debian bookworm main", "# comment", "", "  ",
                "deb [trusted=yes] file:/r ./", "deb http://b/x bookworm-updates main non-free # tail"};
        for (int n = 0; n < 200; n++) {
            StringBuilder b = new StringBuilder();
            for (int i = rnd.nextInt(8); i > 0; i--) b.append(pieces[rnd.nextInt(pieces.length)]).append('\n');
            if (rnd.nextBoolean() && !b.isEmpty()) b.setLength(b.length() - 1);
            String text = b.toString();
            AptSources.File f = AptSources.parse("/r.list", text);
            assertThat(f.text()).as(text).isEqualTo(text);
            for (int i = 0; i < f.repos().size(); i++) {
                boolean was = f.repos().get(i).enabled();
                AptSources.File t = AptSources.setEnabled(f, i, !was);
                assertThat(t.repos()).hasSize(f.repos().size());
                assertThat(t.repos().get(i).enabled()).isEqualTo(!was);
                assertThat(AptSources.setEnabled(t, i, was).repos()).isEqualTo(f.repos());
            }
        }
    }

    @Test
    void infosNameTheOriginAndSuitesOfOtherReleases() {
        List<AptSources.File> files = List.of(AptSources.parse("/etc/apt/sources.list", """
                deb http://deb.debian.org/debian bookworm main
                deb http://deb.debian.org/debian bullseye main
                deb http://mirror.example/debian trixie main
                deb http://deb.debian.org/debian stable-updates main
                """));
        assertThat(AptSources.infos(files, "bookworm")).containsExactly(
                Map.of("path", "/etc/apt/sources.list", "index", "0", "kind", "origin", "message", "Debian"),
                Map.of("path", "/etc/apt/sources.list", "index", "1", "kind", "origin", "message", "Debian"),
                Map.of("path", "/etc/apt/sources.list", "index", "1", "kind", "warning", "property", "Suites", "message", "old suite 'bullseye' configured!"),
                Map.of("path", "/etc/apt/sources.list", "index", "2", "kind", "warning", "property", "Suites", "message", "newer suite 'trixie' configured!"),
                Map.of("path", "/etc/apt/sources.list", "index", "3", "kind", "origin", "message", "Debian"),
                Map.of("path", "/etc/apt/sources.list", "index", "3", "kind", "warning", "property", "Suites",
                        "message", "use the name of the release instead of 'stable' in 'stable-updates'"));
    }

    @Test
    void standardReposTellWhetherTheyAreConfiguredAndEnabled() {
        List<AptSources.File> files = List.of(AptSources.parse("/etc/apt/sources.list", """
                deb https://deb.debian.org/debian/ bookworm main
                # deb http://security.debian.org/debian-security bookworm-security main
                """));
        assertThat(AptSources.standardRepos(files, "bookworm")).extracting(m -> m.get("handle") + "=" + m.get("status"))
                .containsExactly("debian=true", "debian-updates=null", "debian-security=false");
        assertThatThrownBy(() -> AptSources.standard("enterprise")).hasMessage("unknown repository handle 'enterprise'");
    }

    @Test
    void simulatedUpgradesAndPackageStanzas() {
        String sim = """
                NOTE: This is only a simulation!
                Inst libc6 [2.36-9] (2.36-9+deb12u4 Debian:12.5/stable, Debian-Security:12/stable-security [amd64]) []
                Inst havtest [1.0] (2.0 localhost [all])
                Inst newpkg (1.0 Debian:12.5/stable [amd64])
                Conf havtest (2.0 localhost [all])
                Remv oldpkg [0.9]
                """;
        assertThat(Apt.parseSimulation(sim)).containsExactly(
                new Apt.Upgrade("libc6", "2.36-9", "2.36-9+deb12u4", "Debian", "amd64"),
                new Apt.Upgrade("havtest", "1.0", "2.0", "localhost", "all"));
        List<Map<String, String>> st = Apt.parseStanzas("Package: a\nVersion: 1\nDescription: short\n long one\n .\n more\n\n\nPackage: b\nVersion: 2\n");
        assertThat(st).containsExactly(Map.of("Package", "a", "Version", "1", "Description", "short\nlong one\n.\nmore"), Map.of("Package", "b", "Version", "2"));
        assertThat(Apt.entry(st.get(0), "Debian")).containsEntry("Title", "short").containsEntry("Description", "long one\n\nmore").containsEntry("Origin", "Debian");
    }
}
