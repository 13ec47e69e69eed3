package org.haven.firewall.config;

import java.util.Map;
import java.util.TreeMap;

/** Checks a rule's references to IP sets, aliases and security groups against the files that define them. */
public final class FwRefs {
    private FwRefs() {}

    /**
     * Field errors for references that do not resolve: {@code +set} and aliases in {@code source}/{@code dest}
     * (guest scope first unless {@code dc/}), and the group of a {@code GROUP} rule. {@code guest} is null for
     * cluster and host rules.
     */
    public static Map<String, String> errors(FwRule r, FwFile cluster, FwFile guest) {
        Map<String, String> err = new TreeMap<>();
        if ("group".equals(r.type()) && r.action() != null && !cluster.hasGroup(r.action()))
            err.put("action", "security group '" + r.action() + "' does not exist");
        for (String[] f : new String[][]{{"source", r.source()}, {"dest", r.dest()}}) {
            if (f[1] == null) continue;
            try {
                if (!(FwSyntax.parseAddressList(f[1]).get(0) instanceof FwSyntax.Ref ref)) continue;
                boolean inGuest = guest != null && !"dc".equals(ref.scope())
                        && (ref.ipset() ? guest.hasIpset(ref.name()) : hasAlias(guest, ref.name()));
                boolean inDc = !"guest".equals(ref.scope())
                        && (ref.ipset() ? cluster.hasIpset(ref.name()) || ref.name().equals("management") : hasAlias(cluster, ref.name())
                        || ref.name().equalsIgnoreCase("local_network"));
                if (!inGuest && !inDc) err.put(f[0], (ref.ipset() ? "no such ipset '" : "no such alias '") + ref.name() + "'");
            } catch (IllegalArgumentException e) {
                // syntax errors are reported by FwRule.errors
            }
        }
        return err;
    }

    public static boolean hasAlias(FwFile f, String name) {
        for (FwFile.Alias a : f.aliases()) if (a.name().equalsIgnoreCase(name)) return true;
        return false;
    }
}
