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
        ensure(doc, "pve", "Proxmox VE authentication server");
        ensure(doc, "pam", "Linux PAM standard authentication");
        return new Domains(doc);
    }

    private static void ensure(SectionConfig.Document doc, String type, String comment) {
        Optional<SectionConfig.Section> s = doc.find(type);
        if (s.isEmpty()) {
            SectionConfig.Section n = new SectionConfig.Section(type, type);
            n.set("comment", comment);
            doc.add(n);
        } else if (!s.get().type().equals(type)) {
            // PVE forces the type of the two built-in realms
            SectionConfig.Section old = s.get();
            SectionConfig.Section n = new SectionConfig.Section(type, type);
            n.properties().putAll(old.properties());
            n.comments().addAll(old.comments());
            int idx = doc.sections().indexOf(old);
            doc.sections().set(idx, n);
        }
    }

    public SectionConfig.Document document() { return doc; }

    public Optional<SectionConfig.Section> realm(String realm) { return doc.find(realm); }

    public Optional<String> type(String realm) { return realm(realm).map(SectionConfig.Section::type); }

    public String write() { return SectionConfig.write(doc); }
}
