package org.haven.backup.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TemplateTest {
    static final Notification N = new Notification(Notification.Severity.WARNING, "Backup \"nightly\"", "line 1\nline 2\ttab",
            Map.of("hostname", "node 1/a", "type", "vzdump"), 1_764_671_400L);

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
            "{{ title }}                       | Backup \"nightly\"",
            "{{title}}/{{ severity }}          | Backup \"nightly\"/warning",
            "{{ timestamp }}                   | 1764671400",
            "{{ fields.hostname }}             | node 1/a",
            "x{{ fields.nope }}x               | xx",
            "{{ secrets.token }}               | s3cr&t",
            "{{ unknown }}                     | ``",
            "/n/{{ url-encode fields.hostname }} | /n/node%201%2Fa",
            "{{ url-encode secrets.token }}    | s3cr%26t",
            "{\"m\":\"{{ escape message }}\"}  | {\"m\":\"line 1\\nline 2\\ttab\"}",
            "{\"t\":{{ json title }}}          | {\"t\":\"Backup \\\"nightly\\\"\"}",
            "{\"ts\":{{ json timestamp }}}     | {\"ts\":1764671400}",
            "no tags                           | no tags",
    })
    void renders(String template, String expected) {
        assertThat(Template.render(template, N, Map.of("token", "s3cr&t"))).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"{{ upper title }} | unknown template helper 'upper'", "{{ a b c }} | invalid template expression '{{ a b c }}'"})
    void refusesUnknownHelpers(String template, String message) {
        assertThatThrownBy(() -> Template.render(template, N, Map.of())).hasMessage(message);
    }
}
