package org.haven.core.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import org.haven.core.schema.ParamException;
import org.junit.jupiter.api.Test;

/**
 * The writer rule: what a writer accepts, its parser reads back as written; what would change the file's structure
 * is refused with a 400-type error keyed by the property. Table tests for the rule and seeded randomized property
 * tests for the section-config and property-string writers.
 */
class ConfigTextTest {
    static Map<String, String> refusal(Runnable r) {
        try {
            r.run();
        } catch (ConfigText.UnwritableValueException e) {
            return e.errors();
        }
        return null;
    }

    @Test
    void refusalsAreParameterErrorsOnTheProperty() {
        Object[][] table = {
                {"a\nb", "value contains a line feed, which cannot be written to the configuration file"},
                {"a\rb", "value contains a carriage return, which cannot be written to the configuration file"},
                {"a\0b", "value contains a NUL character, which cannot be written to the configuration file"},
                {"a\u001bb", "value contains the control character U+001B, which cannot be written to the configuration file"},
                {"a\u2028b", "value contains the line break U+2028, which cannot be written to the configuration file"},
                {"a:b", "value contains ':', which cannot be written to the configuration file"},
        };
        for (Object[] row : table) {
            assertThat(refusal(() -> ConfigText.field("keys", (String) row[0], ":"))).as("%s", row[0]).isEqualTo(Map.of("keys", row[1]));
        }
        assertThat(ConfigText.line("comment", "tab\tand: colon, fine")).isEqualTo("tab\tand: colon, fine");
        assertThat(ConfigText.line("comment", null)).isNull();
        assertThat(refusal(() -> ConfigText.name("id", "a b", ""))).containsEntry("id", "value contains white space, which cannot be written to the configuration file");
        assertThat(refusal(() -> ConfigText.name("id", "a\u3000b", ""))).containsKey("id");
        assertThat(refusal(() -> ConfigText.name("id", "", ""))).containsEntry("id", "value must not be empty");
        assertThatThrownBy(() -> ConfigText.line("x", "\n")).isInstanceOf(ParamException.class);
    }

    @Test
    void sectionConfigRefusesInjectedLinesAndWritesNothing() {
        SectionConfig.Document doc = SectionConfig.parse("dir: local\n\tpath /var/lib/vz\n\n");
        doc.find("local").orElseThrow().set("comment", "x\ndir: evil\n\tpath /");
        assertThat(refusal(() -> SectionConfig.write(doc))).containsOnlyKeys("comment");
        doc.find("local").orElseThrow().set("comment", "ok").set("#shadow", "1");
        assertThat(refusal(() -> SectionConfig.write(doc))).containsOnlyKeys("#shadow");
        doc.find("local").orElseThrow().remove("#shadow");
        doc.add(new SectionConfig.Section("dir", "two words"));
        assertThat(refusal(() -> SectionConfig.write(doc))).containsOnlyKeys("id");
        doc.remove("two words");
        doc.sections().add(new SectionConfig.Section("nfs", "local"));
        assertThat(refusal(() -> SectionConfig.write(doc))).containsEntry("id", "duplicate section 'local'");
        doc.sections().remove(1);
        doc.add(new SectionConfig.Section("#dir", "c"));
        assertThat(refusal(() -> SectionConfig.write(doc))).containsOnlyKeys("type");
    }

    @Test
    void propertyStringRefusesWhatItCannotQuote() {
        // a default value that cannot stand bare is written with its key, so it reads back and cannot add a key
        assertThat(PropertyString.print(Map.of("file", "a,size=1G"), "file")).isEqualTo("file=\"a,size=1G\"");
        assertThat(PropertyString.print(Map.of("file", "a=b", "size", "1G"), "file")).isEqualTo("file=a=b,size=1G");
        assertThat(PropertyString.print(Map.of("file", "\"x"), "file")).isEqualTo("file=\"\\\"x\"");
        assertThat(PropertyString.print(Map.of("file", ""), "file")).isEqualTo("file=");
        for (String v : new String[]{"a,size=1G", "a=b", "\"x", ""})
            assertThat(PropertyString.parse(PropertyString.print(Map.of("file", v), "file"), "file")).containsExactly(Map.entry("file", v));
        assertThat(refusal(() -> PropertyString.print(Map.of("a=b", "1"), null))).containsOnlyKeys("a=b");
        assertThat(refusal(() -> PropertyString.print(Map.of("a", "1\n2"), null))).containsOnlyKeys("a");
        assertThat(PropertyString.print(Map.of("a", "x,y=\"z\"\\"), null)).isEqualTo("a=\"x,y=\\\"z\\\"\\\\\"");
    }

    /** ASCII blanks at the ends of a value are not kept by the section-config reader (nor by PVE's). */
    static String stripBlanks(String v) { return v.replaceAll("^[ \t]+|[ \t]+$", ""); }

    @Test
    void randomSectionConfigsAreRefusedOrReadBackExactly() {
        Random r = new Random(20261207);
        int written = 0, refused = 0;
        for (int n = 0; n < 3000; n++) {
            SectionConfig.Document doc = new SectionConfig.Document();
            int sections = 1 + r.nextInt(3);
            for (int i = 0; i < sections; i++) {
                String id = r.nextInt(4) == 0 ? HostileText.random(r, 6) : "s" + i;
                if (doc.find(id).isPresent()) continue;
                SectionConfig.Section s = new SectionConfig.Section(r.nextInt(5) == 0 ? HostileText.random(r, 4) : "dir", id);
                if (r.nextInt(6) == 0) s.comments().add("#" + HostileText.random(r, 8));
                int props = r.nextInt(4);
                for (int k = 0; k < props; k++) s.set(r.nextInt(5) == 0 ? HostileText.random(r, 5) : "k" + k, HostileText.random(r, 12));
                doc.add(s);
            }
            String text;
            try {
                text = SectionConfig.write(doc);
            } catch (ConfigText.UnwritableValueException e) {
                refused++;
                continue;
            }
            written++;
            SectionConfig.Document back = SectionConfig.parse(text);
            assertThat(back.sections()).as(text).hasSize(doc.sections().size());
            for (int i = 0; i < doc.sections().size(); i++) {
                SectionConfig.Section want = doc.sections().get(i), got = back.sections().get(i);
                assertThat(got.type()).isEqualTo(want.type());
                assertThat(got.id()).isEqualTo(want.id());
                assertThat(got.comments()).isEqualTo(want.comments());
                Map<String, String> expected = new LinkedHashMap<>();
                want.properties().forEach((k, v) -> expected.put(k, stripBlanks(v)));
                assertThat(got.properties()).as(text).isEqualTo(expected);
            }
        }
        assertThat(written).isGreaterThan(300);
        assertThat(refused).isGreaterThan(300);
    }

    @Test
    void randomPropertyStringsAreRefusedOrReadBackExactly() {
        Random r = new Random(4711);
        int written = 0, refused = 0;
        for (int n = 0; n < 5000; n++) {
            TreeMap<String, String> m = new TreeMap<>();
            int keys = 1 + r.nextInt(4);
            for (int k = 0; k < keys; k++) m.put(r.nextInt(4) == 0 ? HostileText.random(r, 4) : "k" + k, HostileText.random(r, 10));
            String defaultKey = r.nextBoolean() ? "k0" : null;
            String text;
            try {
                text = PropertyString.print(m, defaultKey);
            } catch (ConfigText.UnwritableValueException e) {
                refused++;
                continue;
            }
            written++;
            assertThat(PropertyString.parse(text, defaultKey)).as(text).isEqualTo(m);
        }
        assertThat(written).isGreaterThan(500);
        assertThat(refused).isGreaterThan(500);
    }
}
