package org.haven.core.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SectionConfigTest {

    static final String STORAGE = """
            # managed by hand
            dir: local
            	path /var/lib/vz
            	content iso,vztmpl,backup
            	disable

            lvmthin: local-lvm
            	thinpool data
            	vgname pve
            	content rootdir,images

            # trailer
            """;

    @Test
    void parsesSectionsFlagsAndComments() {
        var doc = SectionConfig.parse(STORAGE);
        assertThat(doc.sections()).hasSize(2);
        var local = doc.find("local").orElseThrow();
        assertThat(local.type()).isEqualTo("dir");
        assertThat(local.comments()).containsExactly("# managed by hand");
        assertThat(local.properties()).containsEntry("path", "/var/lib/vz").containsEntry("disable", "");
        assertThat(doc.find("local-lvm").orElseThrow().properties().keySet()).containsExactly("thinpool", "vgname", "content");
        assertThat(doc.trailingComments()).containsExactly("# trailer");
    }

    @Test
    void roundTripIsByteStable() {
        assertThat(SectionConfig.write(SectionConfig.parse(STORAGE))).isEqualTo(STORAGE);
    }

    @Test
    void rejectsDuplicatesAndGarbage() {
        assertThatThrownBy(() -> SectionConfig.parse("dir: a\n\tpath /x\n\tpath /y\n"))
                .hasMessageContaining("duplicate attribute 'path'");
        assertThatThrownBy(() -> SectionConfig.parse("dir: a\n\ndir: a\n")).hasMessageContaining("duplicate section");
        assertThatThrownBy(() -> SectionConfig.parse("not a header\n")).isInstanceOf(SectionConfig.ParseException.class);
    }

    @Test
    void randomDocumentsRoundTrip() {
        Random r = new Random(4711);
        for (int n = 0; n < 2000; n++) {
            var doc = new SectionConfig.Document();
            int sections = r.nextInt(5);
            for (int i = 0; i < sections; i++) {
                var s = new SectionConfig.Section("t" + r.nextInt(3), "id" + i);
                if (r.nextInt(4) == 0) s.comments().add("# c" + r.nextInt(100));
                int props = r.nextInt(6);
                for (int p = 0; p < props; p++) s.set("k" + p, r.nextBoolean() ? "" : "v " + r.nextInt(1000) + " x");
                doc.add(s);
            }
            String text = SectionConfig.write(doc);
            var again = SectionConfig.parse(text);
            assertThat(again).isEqualTo(doc);
            assertThat(SectionConfig.write(again)).isEqualTo(text);
        }
    }
}
