package org.haven.lxc.setup;

import java.util.ArrayList;
import java.util.List;

/**
 * The network configuration files PVE writes per interface for the distributions without ifupdown: Red Hat
 * network-scripts ({@code ifcfg-*}, {@code route-*}, {@code route6-*}), NetworkManager keyfiles, SUSE
 * ({@code ifcfg-*}, {@code ifroute-*}) and systemd-networkd units. Pure text; the caller writes the files.
 */
final class NetworkFiles {
    private NetworkFiles() {}

    /** A Red Hat network-scripts interface: the ifcfg file (null when there is nothing to configure) and routes. */
    record Ifcfg(String ifcfg, String routes, String routes6) {}

    static Ifcfg redHatIfcfg(NetIf n, SystemFiles.Dns dns, String uuid) {
        StringBuilder data = new StringBuilder();
        StringBuilder routes = new StringBuilder();
        StringBuilder routes6 = new StringBuilder();
        String bootproto = "";
        if (n.ip() != null && !n.ip().equals("manual")) {
            if (n.ip().equals("dhcp")) {
                bootproto = "dhcp";
            } else {
                bootproto = "none";
                data.append("IPADDR=").append(NetIf.address(n.ip())).append('\n');
                data.append("NETMASK=").append(NetIf.netmask(NetIf.prefix(n.ip()))).append('\n');
                if (n.gw() != null) {
                    data.append("GATEWAY=").append(n.gw()).append('\n');
                    if (n.gwNeedsRoute()) {
                        routes.append(n.gw()).append(" dev ").append(n.name()).append('\n');
                        routes.append("default via ").append(n.gw()).append(" dev ").append(n.name()).append('\n');
                    }
                }
            }
        }
        if (n.ip6() != null && !n.ip6().equals("manual")) {
            if (bootproto.isEmpty()) bootproto = "none";
            data.append("IPV6INIT=yes\n");
            if (n.staticIp6()) data.append("IPV6ADDR=").append(n.ip6()).append('\n');
            data.append("IPV6_AUTOCONF=").append(n.ip6().equals("auto") ? "yes" : "no").append('\n');
            if (n.ip6().equals("dhcp")) data.append("DHCPV6C=yes\n");
            if (n.staticIp6() && n.gw6() != null) {
                if (n.gw6NeedsRoute()) {
                    routes6.append(n.gw6()).append(" dev ").append(n.name()).append('\n');
                    routes6.append("default via ").append(n.gw6()).append(" dev ").append(n.name()).append('\n');
                } else {
                    data.append("IPV6_DEFAULTGW=").append(n.gw6()).append('\n');
                }
            }
        }
        if (bootproto.isEmpty()) return new Ifcfg(null, "", "");
        StringBuilder out = new StringBuilder();
        out.append("DEVICE=").append(n.name()).append("\nONBOOT=yes\nUUID=").append(uuid).append('\n');
        out.append("BOOTPROTO=").append(bootproto).append('\n').append(data);
        int i = 1;
        for (String ns : dns.nameservers()) out.append("DNS").append(i++).append('=').append(ns).append('\n');
        if (!dns.search().isEmpty()) {
            String d = String.join(" ", dns.search());
            out.append("DOMAIN=").append(dns.search().size() > 1 ? "\"" + d + "\"" : d).append('\n');
        }
        return new Ifcfg(out.toString(), routes.toString(), routes6.toString());
    }

    /**
     * A NetworkManager keyfile ({@code system-connections/NAME.nmconnection}), or null when neither family is
     * configured. A family without a setting (or {@code manual}) is disabled.
     */
    static String nmKeyfile(NetIf n, SystemFiles.Dns dns, String uuid) {
        boolean v4 = n.ip() != null && !n.ip().equals("manual");
        boolean v6 = n.ip6() != null && !n.ip6().equals("manual");
        if (!v4 && !v6) return null;
        StringBuilder out = new StringBuilder();
        out.append("[connection]\nid=").append(n.name()).append("\nuuid=").append(uuid)
                .append("\ntype=ethernet\ninterface-name=").append(n.name()).append('\n');
        out.append("[ipv4]\n");
        if (!v4) {
            out.append("method=disabled\n");
        } else {
            if (n.ip().equals("dhcp")) {
                out.append("method=auto\n");
            } else {
                out.append("method=manual\naddresses=").append(n.ip()).append('\n');
                if (n.gw() != null) {
                    out.append("gateway=").append(n.gw()).append('\n');
                    if (n.gwNeedsRoute()) out.append("routes=").append(n.gw()).append('\n');
                }
            }
            if (!dns.nameservers().isEmpty()) out.append("dns=").append(String.join(";", dns.nameservers())).append('\n');
            if (!dns.search().isEmpty()) out.append("dns-search=").append(String.join(";", dns.search())).append('\n');
        }
        out.append("[ipv6]\n");
        if (!v6) {
            out.append("method=disabled\n");
        } else if (!n.staticIp6()) {
            out.append("method=").append(n.ip6()).append('\n');
        } else {
            out.append("method=manual\naddress=").append(n.ip6()).append('\n');
            if (n.gw6() != null) out.append(n.gw6NeedsRoute() ? "routes=" : "gateway=").append(n.gw6()).append('\n');
        }
        return out.toString();
    }

    /** A SUSE interface: {@code ifcfg-NAME} and the routes for {@code ifroute-NAME}. */
    record Suse(String ifcfg, String routes) {}

    static Suse suse(NetIf n) {
        StringBuilder routes = new StringBuilder();
        List<String> addrs = new ArrayList<>();
        String bootproto = "";
        boolean autoconf = false;
        if (n.ip() != null && !n.ip().equals("manual")) {
            if (n.ip().equals("dhcp")) {
                bootproto = "dhcp4";
            } else {
                addrs.add(n.ip());
                if (n.gw() != null) {
                    if (n.gwNeedsRoute()) routes.append(n.gw()).append(" 0.0.0.0 255.255.255.255 ").append(n.name()).append('\n');
                    routes.append("default ").append(n.gw()).append(" 0.0.0.0 ").append(n.name()).append('\n');
                }
            }
        }
        if (n.ip6() != null && !n.ip6().equals("manual")) {
            if (n.ip6().equals("auto")) {
                autoconf = true; // router advertisements are accepted on any interface that is up
            } else if (n.ip6().equals("dhcp")) {
                bootproto = bootproto.isEmpty() ? "dhcp6" : "dhcp";
            } else {
                addrs.add(n.ip6());
                if (n.gw6() != null) {
                    if (n.gw6NeedsRoute()) routes.append(n.gw6()).append("/128 - - ").append(n.name()).append('\n');
                    routes.append("default ").append(n.gw6()).append(" - ").append(n.name()).append('\n');
                }
            }
        }
        StringBuilder out = new StringBuilder();
        out.append("STARTMODE=").append(!bootproto.isEmpty() || !addrs.isEmpty() || autoconf ? "onboot" : "manual").append('\n');
        out.append("BOOTPROTO=").append(bootproto.isEmpty() ? "static" : bootproto).append('\n');
        if (addrs.size() == 1) {
            out.append("IPADDR=").append(addrs.get(0)).append('\n');
        } else {
            for (int i = 0; i < addrs.size(); i++) out.append("IPADDR_").append(i + 1).append('=').append(addrs.get(i)).append('\n');
        }
        return new Suse(out.toString(), routes.toString());
    }

    /** A systemd-networkd unit ({@code /etc/systemd/network/NAME.network}). */
    static String networkd(NetIf n) {
        StringBuilder out = new StringBuilder();
        out.append("[Match]\nName = ").append(n.name()).append("\n\n[Network]\nDescription = Interface ").append(n.name())
                .append(" autoconfigured by PVE\n");
        StringBuilder routes = new StringBuilder();
        boolean dhcp4 = false, dhcp6 = false, acceptRa = false;
        if (n.ip() != null) {
            if (n.ip().equals("dhcp")) dhcp4 = true;
            else if (n.staticIp()) out.append("Address = ").append(n.ip()).append('\n');
        }
        if (n.gw() != null) {
            out.append("Gateway = ").append(n.gw()).append('\n');
            if (n.gwNeedsRoute()) routes.append("\n[Route]\nDestination = ").append(n.gw()).append("/32\nScope = link\n");
        }
        if (n.ip6() != null) {
            if (n.ip6().equals("dhcp")) dhcp6 = true;
            else if (n.ip6().equals("auto")) acceptRa = true;
            else if (n.staticIp6()) out.append("Address = ").append(n.ip6()).append('\n');
        }
        if (n.gw6() != null) {
            out.append("Gateway = ").append(n.gw6()).append('\n');
            if (n.gw6NeedsRoute()) routes.append("\n[Route]\nDestination = ").append(n.gw6()).append("/128\nScope = link\n");
        }
        out.append("DHCP = ").append(dhcp4 && dhcp6 ? "yes" : dhcp4 ? "ipv4" : dhcp6 ? "ipv6" : "no").append('\n');
        out.append("IPv6AcceptRA = ").append(acceptRa).append('\n');
        out.append(routes);
        return out.toString();
    }

    /**
     * Gentoo's netifrc settings ({@code /etc/conf.d/net}): {@code config_NAME} addresses (or {@code dhcp}) and
     * {@code routes_NAME}, a host route first where the gateway lies outside the subnet. netifrc picks the link and
     * DHCP tools the container has.
     */
    static String netifrc(List<NetIf> nets) {
        StringBuilder data = new StringBuilder();
        for (NetIf n : nets) {
            List<String> config = new ArrayList<>();
            List<String> routes = new ArrayList<>();
            if (n.ip() != null && n.ip().equals("dhcp")) config.add("dhcp");
            else if (n.staticIp()) config.add(n.ip());
            if (n.gw() != null) {
                if (n.gwNeedsRoute()) routes.add(n.gw() + " dev " + n.name());
                routes.add("default via " + n.gw() + " dev " + n.name());
            }
            if (n.staticIp6()) config.add(n.ip6());
            if (n.gw6() != null) {
                if (n.gw6NeedsRoute()) routes.add(n.gw6() + " dev " + n.name());
                routes.add("default via " + n.gw6() + " dev " + n.name());
            }
            if (!config.isEmpty()) data.append("config_").append(n.name()).append("=\"").append(String.join("\n", config)).append("\"\n");
            if (!routes.isEmpty()) data.append("routes_").append(n.name()).append("=\"").append(String.join("\n", routes)).append("\"\n");
        }
        return data.toString();
    }
}
