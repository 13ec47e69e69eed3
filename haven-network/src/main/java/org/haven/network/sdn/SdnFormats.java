package org.haven.network.sdn;

import org.haven.core.schema.Formats;
import org.haven.core.schema.ParamException;

/** The SDN value formats of PVE's schema ({@code pve-sdn-*-id}, {@code pve-sdn-dhcp-range}, node and IP lists). */
final class SdnFormats {
    private SdnFormats() {}

    static void id(SdnConfig.Kind k, String v) {
        try {
            SdnChecks.checkId(k, v);
        } catch (ParamException e) {
            throw new Formats.FormatException(e.errors().values().iterator().next());
        }
    }

    static void subnet(String v) {
        try {
            Cidr.parse(SdnConfig.subnetCidr(v));
        } catch (IllegalArgumentException e) {
            throw new Formats.FormatException("value does not look like a valid CIDR network");
        }
    }

    static void dhcpRange(String v) {
        try {
            SdnChecks.Range.parse(v);
        } catch (IllegalArgumentException e) {
            throw new Formats.FormatException(e.getMessage());
        }
    }

    static void nodeList(String v) {
        for (String n : v.split("[,;\\s]+")) if (!n.isEmpty()) Formats.check("pve-node", n);
    }

    static void ipList(String v) {
        for (String ip : v.split("[,;\\s]+")) if (!ip.isEmpty()) Formats.check("ip", ip);
    }
}
