package org.haven.access;

import java.util.Optional;
import org.haven.core.format.SectionConfig;

/**
 * {@code domains.cfg}: the authentication realms, in section-config format. The {@code pam} and {@code pve}
 * realms always exist (added with PVE's default comments when missing).
 */
public final class Domains {
    public static final java.util.Set<String> TYPES = java.util.Set.of("pam", "pve", "ldap", "ad", "openid");

    private final SectionConfig.Document doc;

    private Domains(SectionConfig.Document doc) { this.doc = doc; }

    public static Domains parse(String text) {
        SectionConfig.Document doc = text == null ? new SectionConfig.Document() : SectionConfig.parse(text);
        // missing built-in realms come first, by name (PVE sorts sections without a file position before the others)
        int insert = 0;
        insert += ensure(doc, "pam", "Linux PAM standard authentication", insert);
        ensure(doc, "pve", "Proxmox VE authentication server", insert);
        return new Domains(doc);
    }

    private static int ensure(SectionConfig.Document doc, String type, String comment, int at) {
        Optional<SectionConfig.Section> s = doc.find(type);
        if (s.isEmpty()) {
            SectionConfig.Section n = new SectionConfig.Section(type, type);
            n.set("comment", comment);
            doc.sections().add(at, n);
            return 1;
        }
        if (!s.get().type().equals(type)) {
            // PVE forces the type of the two built-in realms
            SectionConfig.Section old = s.get();
            SectionConfig.Section n = new SectionConfig.Section(type, type);
            n.properties().putAll(old.properties());
            n.comments().addAll(old.comments());
            doc.sections().set(doc.sections().indexOf(old), n);
        }
        return 0;
    }

    public SectionConfig.Document document() { return doc; }

    public Optional<SectionConfig.Section> realm(String realm) { return doc.find(realm); }

    public Optional<String> type(String realm) { return realm(realm).map(SectionConfig.Section::type); }

    public String write() { return SectionConfig.write(doc); }
}
