package org.haven.backup.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
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

    /** As PVE 8 writes the files (the examples of the admin guide's notification chapter, with its array properties). */
    static final String PVE_SAMPLE = """
            sendmail: mail-to-root
            	mailto-user root@pam
            	comment Send mails to root@pam's email address

            matcher: default-matcher
            	mode all
            	target mail-to-root
            	comment Route all notifications to mail-to-root

            smtp: example
            	mailto-user root@pam
            	mailto-user admin@pve
            	mailto max@example.com
            	from-address pve1@example.com
            	username pve1
            	server mail.example.com
            	mode starttls

            gotify: gotify-host
            	server http://gotify.example.com

            webhook: ntfy
            	method post
            	url https://ntfy.example.com/{{ secrets.channel }}
            	header name=Markdown,value=WWVz
            	header name=Priority,value=aGlnaA==
            	body e3sgbWVzc2FnZSB9fQ==

            matcher: backup-failures
            	match-field exact:type=vzdump
            	match-severity error
            	match-calendar mon..fri 8-17
            	mode all
            	target example
            	target ntfy
            	comment Send notifications about backup failures to admins

            """;
    static final String PVE_PRIV_SAMPLE = """
            smtp: example
            	password somepassword

            gotify: gotify-host
            	token somesecrettoken

            webhook: ntfy
            	secret name=channel,value=YWxlcnRz
            	secret name=user,value=cHZl

            """;

    @Test
    void pveWrittenFilesRoundTripByteForByte() {
        NotifyConfig cfg = NotifyConfig.parse(PVE_SAMPLE, PVE_PRIV_SAMPLE);
        assertThat(cfg.text()).isEqualTo(PVE_SAMPLE);
        assertThat(cfg.privText()).isEqualTo(PVE_PRIV_SAMPLE);
        assertThat(cfg.find("example").orElseThrow().all("mailto-user")).containsExactly("root@pam", "admin@pve");
        assertThat(cfg.find("ntfy").orElseThrow().all("header")).containsExactly("name=Markdown,value=WWVz", "name=Priority,value=aGlnaA==");
        assertThat(cfg.secret("ntfy").orElseThrow().all("secret")).containsExactly("name=channel,value=YWxlcnRz", "name=user,value=cHZl");
        assertThat(cfg.find("backup-failures").orElseThrow().all("match-calendar")).containsExactly("mon..fri 8-17");
        // a change rewrites only what changed; comments a user added stay
        String commented = "# relays\n" + PVE_SAMPLE + "# end\n";
        NotifyConfig c2 = NotifyConfig.parse(commented, "");
        c2.put(c2.find("example").orElseThrow().copy().set("mailto", List.of("a@example.com", "b@example.com")));
        assertThat(c2.text()).isEqualTo(commented.replace("\tmailto max@example.com\n", "\tmailto a@example.com\n\tmailto b@example.com\n"));
        // a key that is not an array property must not repeat
        assertThatThrownBy(() -> NotifyConfig.parse("smtp: a\n\tserver x\n\tserver y\n", ""))
                .hasMessage("notifications.cfg: line 3: duplicate attribute 'server' in section 'a'");
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
                .hasMessage("value of 'comment' must not contain a line break");
    }
}
