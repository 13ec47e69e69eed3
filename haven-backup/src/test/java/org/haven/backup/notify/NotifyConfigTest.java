package org.haven.backup.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.haven.core.format.ConfigText;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class NotifyConfigTest {
    static final String PUB = """
            sendmail: mail-to-root
            	mailto-user root@pam
            	mailto ops@example.com
            	mailto second@example.com
            	comment changed

            smtp: relay
            	server mail.example.com
            	port 2525
            	mode starttls
            	username haven
            	from-address pve@example.com
            	mailto ops@example.com

            webhook: hook
            	method post
            	url https://example.com/{{ url-encode fields.hostname }}
            	header name=Content-Type,value=YXBwbGljYXRpb24vanNvbg==
            	body eyJ0aXRsZSI6Int7IGVzY2FwZSB0aXRsZSB9fSJ9

            matcher: errors
            	match-severity error,warning
            	match-field exact:type=vzdump,replication
            	match-field regex:hostname=^node\\d$
            	mode any
            	invert-match true
            	target relay
            	target hook

            """;
    static final String PRIV = """
            smtp: relay
            	password s3cret

            webhook: hook
            	secret name=token,value=dG9r

            """;

    @ParameterizedTest
    @ValueSource(strings = {PUB, PRIV, "", "gotify: gt\n\tserver https://g.example.com\n\tdisable true\n\n"})
    void writesBackWhatItRead(String text) {
        assertThat(NotifyConfig.write(NotifyConfig.sections("f", text))).isEqualTo(text);
    }

    @Test
    void repeatedKeysAreArraysAndSecretsStayPrivate() {
        NotifyConfig cfg = NotifyConfig.parse(PUB, PRIV);
        NotifyConfig.Section m = cfg.find("errors").orElseThrow();
        assertThat(m.all("target")).containsExactly("relay", "hook");
        assertThat(m.all("match-field")).containsExactly("exact:type=vzdump,replication", "regex:hostname=^node\\d$");
        assertThat(cfg.find("mail-to-root").orElseThrow().all("mailto")).containsExactly("ops@example.com", "second@example.com");
        assertThat(cfg.secret("relay").orElseThrow().get("password")).contains("s3cret");
        assertThat(cfg.text()).doesNotContain("s3cret");
        assertThat(cfg.digest()).isEqualTo(NotifyConfig.sha256(PUB)).hasSize(64);
    }

    @Test
    void builtinsAppearUnlessOverridden() {
        NotifyConfig empty = NotifyConfig.empty();
        assertThat(empty.effective()).extracting(NotifyConfig.Section::name).containsExactly("mail-to-root", "default-matcher");
        assertThat(empty.origin("mail-to-root")).isEqualTo("builtin");
        assertThat(empty.find("default-matcher").orElseThrow().all("target")).containsExactly("mail-to-root");
        assertThat(empty.text()).isEmpty();
        NotifyConfig cfg = NotifyConfig.parse(PUB, PRIV);
        assertThat(cfg.origin("mail-to-root")).isEqualTo("modified-builtin");
        assertThat(cfg.origin("relay")).isEqualTo("user-created");
        assertThat(cfg.effective()).extracting(NotifyConfig.Section::name).containsExactly("mail-to-root", "default-matcher", "relay", "hook", "errors");
        assertThat(cfg.find("mail-to-root").orElseThrow().get("comment")).contains("changed");
    }

    @Test
    void removeDropsBothParts() {
        NotifyConfig cfg = NotifyConfig.parse(PUB, PRIV);
        assertThat(cfg.remove("relay")).isTrue();
        assertThat(cfg.text()).doesNotContain("smtp: relay");
        assertThat(cfg.privText()).isEqualTo("webhook: hook\n\tsecret name=token,value=dG9r\n\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"bogus: x\n\tkey v\n", "matcher: a\n\nmatcher: a\n", "\tkey value\n", "sendmail: a\nnot a property\n", "gotify:%phone\n\ttoken x\n"})
    void refusesBadFiles(String text) {
        assertThatThrownBy(() -> NotifyConfig.parse(text, "")).isInstanceOf(NotifyConfig.ParseException.class).hasMessageStartingWith("notifications.cfg: line ");
    }

    @Test
    void refusesUnwritableNamesAndValues() {
        assertThatThrownBy(() -> NotifyConfig.write(List.of(new NotifyConfig.Section("matcher", "<bad>"))))
                .hasMessage("invalid configuration ID '<bad>'");
        assertThatThrownBy(() -> NotifyConfig.write(List.of(new NotifyConfig.Section("matcher", "m1").set("comment", "a\nb"))))
                .isInstanceOfSatisfying(ConfigText.UnwritableValueException.class, e -> assertThat(e.errors()).containsOnlyKeys("comment"));
    }
}
