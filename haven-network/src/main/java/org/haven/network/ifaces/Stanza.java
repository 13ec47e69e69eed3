package org.haven.network.ifaces;

import java.util.List;

/**
 * One {@code iface NAME FAMILY METHOD} block for one address family: its method, address (kept as written after
 * folding a separate {@code netmask} into CIDR form), gateway, the options Haven does not interpret (kept
 * verbatim, in order) and the {@code #} comment lines that follow the block (without the {@code #}).
 */
public record Stanza(String family, String method, String address, String gateway, List<String> options, List<String> comments) {
    public Stanza {
        if (!family.equals("inet") && !family.equals("inet6")) throw new IllegalArgumentException("unknown address family '" + family + "'");
        options = List.copyOf(options);
        comments = List.copyOf(comments);
    }

    public static Stanza of(String family, String method) {
        return new Stanza(family, method, null, null, List.of(), List.of());
    }

    public Stanza withMethod(String m) { return new Stanza(family, m, address, gateway, options, comments); }
    public Stanza withAddress(String a) { return new Stanza(family, method, a, gateway, options, comments); }
    public Stanza withGateway(String g) { return new Stanza(family, method, address, g, options, comments); }
    public Stanza withComments(List<String> c) { return new Stanza(family, method, address, gateway, options, c); }

    /** The address without its prefix length. */
    public String ip() {
        if (address == null) return null;
        int i = address.indexOf('/');
        return i < 0 ? address : address.substring(0, i);
    }

    /** The prefix length, or null when the address has none. */
    public String prefix() {
        if (address == null) return null;
        int i = address.indexOf('/');
        return i < 0 ? null : address.substring(i + 1);
    }
}
