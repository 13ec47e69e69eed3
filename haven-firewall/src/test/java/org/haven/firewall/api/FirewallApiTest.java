package org.haven.firewall.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.haven.api.HttpMethod;
import org.haven.api.TestApi;
import org.haven.api.server.ApiResponse;
import org.haven.cfs.LocalClusterFs;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** The firewall API behind the real dispatcher, on a local cluster file system. */
class FirewallApiTest {
    static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir Path tmp;
    LocalClusterFs cfs;
    TestApi api;

    @BeforeEach
    void setUp() {
        cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
        cfs.mkdirs("nodes/n1/qemu-server");
        cfs.mkdirs("firewall");
        // an auditor: read access everywhere
        api = new TestApi(cfs, tmp, (authid, path, privs, any) -> authid.equals("audit@pve") && privs.stream().allMatch(p -> p.endsWith(".Audit")),
                new FirewallApi());
    }

    ApiResponse call(HttpMethod m, String path, Object... kv) { return api.local(m, path, kv); }

    JsonNode ok(HttpMethod m, String path, Object... kv) {
        ApiResponse r = call(m, path, kv);
        assertThat(r.status()).as("%s %s: %s %s", m, path, r.message(), r.errors()).isEqualTo(200);
        return JSON.valueToTree(r.data());
    }

    String file(String path) { return cfs.readString(path).orElse(""); }

    @Test
    void rulesByPositionWithDigest() {
        ok(HttpMethod.POST, "/cluster/firewall/rules", "type", "in", "action", "ACCEPT", "macro", "ssh", "source", "10.0.0.1", "enable", 1);
        ok(HttpMethod.POST, "/cluster/firewall/rules", "type", "out", "action", "DROP", "proto", "tcp", "dport", "25", "comment", "no mail");
        assertThat(file("firewall/cluster.fw")).isEqualTo("""
                [RULES]

                |OUT DROP -p tcp -dport 25 # no mail
                IN SSH(ACCEPT) -source 10.0.0.1

                """);
        JsonNode rules = ok(HttpMethod.GET, "/cluster/firewall/rules");
        assertThat(rules).hasSize(2);
        assertThat(rules.get(1).get("macro").asString()).isEqualTo("SSH");
        assertThat(rules.get(1).get("pos").asInt()).isEqualTo(1);
        assertThat(rules.get(1).get("enable").asInt()).isEqualTo(1);
        assertThat(rules.get(1).get("ipversion").asInt()).isEqualTo(4);
        String digest = rules.get(0).get("digest").asString();
        assertThat(rules.get(1).get("digest").asString()).isEqualTo(digest);

        ok(HttpMethod.PUT, "/cluster/firewall/rules/1", "moveto", 0, "digest", digest);
        ApiResponse stale = call(HttpMethod.PUT, "/cluster/firewall/rules/0", "enable", 0, "digest", digest);
        assertThat(stale.status()).isEqualTo(500);
        assertThat(stale.message()).contains(FirewallApi.MODIFIED);
        ok(HttpMethod.PUT, "/cluster/firewall/rules/1", "enable", 1, "delete", "comment", "dport", "587");
        assertThat(file("firewall/cluster.fw")).contains("IN SSH(ACCEPT) -source 10.0.0.1\nOUT DROP -p tcp -dport 587\n");
        assertThat(ok(HttpMethod.GET, "/cluster/firewall/rules/0").get("source").asString()).isEqualTo("10.0.0.1");
        ok(HttpMethod.DELETE, "/cluster/firewall/rules/0");
        assertThat(ok(HttpMethod.GET, "/cluster/firewall/rules")).hasSize(1);
        ApiResponse missing = call(HttpMethod.GET, "/cluster/firewall/rules/5");
        assertThat(missing.status()).isEqualTo(400);
        assertThat(missing.errors()).containsEntry("pos", "no rule at position 5");
    }

    @Test
    void invalidRulesAreRefusedWithFieldErrors() {
        ApiResponse r = call(HttpMethod.POST, "/cluster/firewall/rules", "type", "in", "action", "ACCEPT", "dport", "22");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errors()).containsEntry("proto", "missing property - 'dport' requires this property");
        r = call(HttpMethod.POST, "/cluster/firewall/rules", "type", "in", "action", "ACCEPT", "source", "+nosuch");
        assertThat(r.errors()).containsEntry("source", "no such ipset 'nosuch'");
        r = call(HttpMethod.POST, "/cluster/firewall/rules", "type", "in", "action", "ACCEPT", "source", "10.0.0.300");
        assertThat(r.status()).isEqualTo(400);
        assertThat(r.errors()).containsKey("source");
        r = call(HttpMethod.POST, "/cluster/firewall/rules", "type", "group", "action", "nosuch");
        assertThat(r.errors()).containsEntry("action", "security group 'nosuch' does not exist");
        r = call(HttpMethod.POST, "/cluster/firewall/rules", "type", "in", "action", "ACCEPT", "comment", "a\n[RULES]\nIN ACCEPT");
        assertThat(r.status()).isEqualTo(500);
        assertThat(file("firewall/cluster.fw")).isEmpty();
    }

    @Test
    void listingsShowErrorsOfHandEditedFiles() {
        cfs.writeString("firewall/cluster.fw", "[RULES]\nIN ACCEPT -p tcp -dport 99999\nIN ACCEPT -source nosuchalias\n");
        JsonNode rules = ok(HttpMethod.GET, "/cluster/firewall/rules");
        assertThat(rules.get(0).get("errors").get("dport").asString()).isEqualTo("invalid port '99999'");
        assertThat(rules.get(1).get("errors").get("source").asString()).isEqualTo("no such alias 'nosuchalias'");
    }

    @Test
    void groupsAliasesIpsetsAndRefs() {
        ok(HttpMethod.POST, "/cluster/firewall/groups", "group", "web", "comment", "web servers");
        ok(HttpMethod.POST, "/cluster/firewall/groups/web", "type", "in", "action", "ACCEPT", "macro", "HTTP", "enable", 1);
        assertThat(call(HttpMethod.POST, "/cluster/firewall/groups/web", "type", "group", "action", "web").errors())
                .containsEntry("type", "security groups not allowed");
        assertThat(call(HttpMethod.DELETE, "/cluster/firewall/groups/web").message()).contains("Security group 'web' is not empty");
        ok(HttpMethod.POST, "/cluster/firewall/rules", "type", "group", "action", "web", "enable", 1);
        ok(HttpMethod.POST, "/cluster/firewall/groups", "group", "www", "rename", "web");
        assertThat(ok(HttpMethod.GET, "/cluster/firewall/groups").get(0).get("group").asString()).isEqualTo("www");
        assertThat(file("firewall/cluster.fw")).contains("GROUP www\n", "[group www] # web servers\n\nIN HTTP(ACCEPT)\n");

        ok(HttpMethod.POST, "/cluster/firewall/aliases", "name", "office", "cidr", "198.51.100.0/24", "comment", "HQ");
        assertThat(call(HttpMethod.POST, "/cluster/firewall/aliases", "name", "Office", "cidr", "10.0.0.1").message()).contains("alias 'Office' already exists");
        ok(HttpMethod.PUT, "/cluster/firewall/aliases/office", "cidr", "198.51.100.0/25", "rename", "hq");
        assertThat(ok(HttpMethod.GET, "/cluster/firewall/aliases/hq").get("cidr").asString()).isEqualTo("198.51.100.0/25");

        ok(HttpMethod.POST, "/cluster/firewall/ipset", "name", "blacklist", "comment", "bad");
        ok(HttpMethod.POST, "/cluster/firewall/ipset/blacklist", "cidr", "203.0.113.7/32");
        ok(HttpMethod.POST, "/cluster/firewall/ipset/blacklist", "cidr", "hq", "nomatch", 1, "comment", "not us");
        assertThat(call(HttpMethod.POST, "/cluster/firewall/ipset/blacklist", "cidr", "nosuch").message()).contains("no such alias 'nosuch'");
        assertThat(call(HttpMethod.POST, "/cluster/firewall/ipset/blacklist", "cidr", "203.0.113.7").message()).contains("address '203.0.113.7' already exists");
        JsonNode entries = ok(HttpMethod.GET, "/cluster/firewall/ipset/blacklist");
        assertThat(entries).hasSize(2);
        assertThat(entries.get(1).get("nomatch").asInt()).isEqualTo(1);
        ok(HttpMethod.PUT, "/cluster/firewall/ipset/blacklist/203.0.113.7", "comment", "scanner");
        assertThat(file("firewall/cluster.fw")).contains("[IPSET blacklist] # bad\n\n203.0.113.7 # scanner\n!hq # not us\n");
        assertThat(call(HttpMethod.DELETE, "/cluster/firewall/ipset/blacklist").message()).contains("IPSet 'blacklist' is not empty");

        JsonNode refs = ok(HttpMethod.GET, "/cluster/firewall/refs");
        assertThat(refs.findValuesAsString("ref")).containsExactly("+dc/blacklist", "dc/hq");
        assertThat(ok(HttpMethod.GET, "/cluster/firewall/refs", "type", "alias")).hasSize(1);
        ok(HttpMethod.DELETE, "/cluster/firewall/ipset/blacklist", "force", 1);
        assertThat(ok(HttpMethod.GET, "/cluster/firewall/ipset")).isEmpty();
    }

    @Test
    void optionsAtEachLevel() {
        ok(HttpMethod.PUT, "/cluster/firewall/options", "enable", 1, "policy_in", "DROP", "log_ratelimit", "enable=1,burst=10");
        JsonNode o = ok(HttpMethod.GET, "/cluster/firewall/options");
        assertThat(o.get("enable").asInt()).isEqualTo(1);
        assertThat(o.get("policy_in").asString()).isEqualTo("DROP");
        String digest = o.get("digest").asString();
        ok(HttpMethod.PUT, "/cluster/firewall/options", "delete", "policy_in", "digest", digest);
        assertThat(call(HttpMethod.PUT, "/cluster/firewall/options", "enable", 0, "digest", digest).message()).contains(FirewallApi.MODIFIED);
        assertThat(file("firewall/cluster.fw")).isEqualTo("[OPTIONS]\n\nenable: 1\nlog_ratelimit: enable=1,burst=10\n\n");
        assertThat(call(HttpMethod.PUT, "/cluster/firewall/options", "policy_in", "MAYBE").status()).isEqualTo(400);

        ok(HttpMethod.PUT, "/nodes/n1/firewall/options", "tcpflags", 1, "nf_conntrack_max", 65536);
        assertThat(file("nodes/n1/host.fw")).isEqualTo("[OPTIONS]\n\nnf_conntrack_max: 65536\ntcpflags: 1\n\n");
        assertThat(call(HttpMethod.PUT, "/nodes/n1/firewall/options", "nf_conntrack_max", 100).status()).isEqualTo(400);
        ok(HttpMethod.POST, "/nodes/n1/firewall/rules", "type", "in", "action", "ACCEPT", "iface", "eth0", "proto", "tcp", "dport", "8006", "enable", 1);
        assertThat(file("nodes/n1/host.fw")).contains("[RULES]\n\nIN ACCEPT -i eth0 -p tcp -dport 8006\n");
    }

    @Test
    void guestLevel() {
        ApiResponse r = call(HttpMethod.GET, "/nodes/n1/qemu/100/firewall/rules");
        assertThat(r.status()).isEqualTo(500);
        assertThat(r.message()).contains("Configuration file 'nodes/n1/qemu-server/100.conf' does not exist");
        cfs.writeString("nodes/n1/qemu-server/100.conf", "memory: 512\n");
        ok(HttpMethod.PUT, "/nodes/n1/qemu/100/firewall/options", "enable", 1, "ipfilter", 1);
        ok(HttpMethod.POST, "/nodes/n1/qemu/100/firewall/ipset", "name", "ipfilter-net0");
        ok(HttpMethod.POST, "/nodes/n1/qemu/100/firewall/ipset/ipfilter-net0", "cidr", "10.0.0.5");
        ok(HttpMethod.POST, "/nodes/n1/qemu/100/firewall/rules", "type", "in", "action", "ACCEPT", "iface", "net0", "source", "+guest/ipfilter-net0");
        assertThat(call(HttpMethod.POST, "/nodes/n1/qemu/100/firewall/rules", "type", "in", "action", "ACCEPT", "iface", "eth0").errors())
                .containsEntry("iface", "wrong interface name ('eth0')");
        assertThat(file("firewall/100.fw")).isEqualTo("""
                [OPTIONS]

                enable: 1
                ipfilter: 1

                [IPSET ipfilter-net0]

                10.0.0.5

                [RULES]

                |IN ACCEPT -i net0 -source +guest/ipfilter-net0

                """);
        assertThat(ok(HttpMethod.GET, "/nodes/n1/qemu/100/firewall/refs").findValuesAsString("ref")).containsExactly("+guest/ipfilter-net0");
    }

    @Test
    void permissionsAndMacros() {
        ApiResponse r = api.as("audit@pve", HttpMethod.GET, "/cluster/firewall/rules");
        ApiResponse w = api.as("audit@pve", HttpMethod.POST, "/cluster/firewall/rules", "type", "in", "action", "DROP");
        assertThat(w.status()).isEqualTo(403);
        assertThat(r.status()).isNotEqualTo(403);
        JsonNode macros = ok(HttpMethod.GET, "/cluster/firewall/macros");
        assertThat(macros.findValuesAsString("macro")).contains("SSH", "HTTP", "DNS", "Ping").hasSizeGreaterThan(80);
        assertThat(macros.get(0).get("descr").asString()).isNotEmpty();
    }

    @Test
    void logsArePagedAndFilteredPerGuest() throws Exception {
        java.nio.file.Path log = tmp.resolve("data/firewall/pve-firewall.log");
        java.nio.file.Files.createDirectories(log.getParent());
        java.nio.file.Files.write(log, java.util.List.of(
                "0 5 - 16/Jan/2020:10:45:01 +0100 starting pvefw logger",
                "100 6 g100-net0-in 16/Jan/2020:10:50:52 +0100 ACCEPT: IN=vmbr0 DPT=22",
                "101 6 g101-net0-in 16/Jan/2020:10:50:53 +0100 DROP: IN=vmbr0 DPT=80",
                "100 4 g100-net0-in 16/Jan/2020:10:51:00 +0100 policy DROP: IN=vmbr0 DPT=3306"));
        cfs.writeString("nodes/n1/qemu-server/100.conf", "memory: 512\n");
        ApiResponse all = call(HttpMethod.GET, "/nodes/n1/firewall/log", "limit", 2, "start", 1);
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.attributes()).containsEntry("total", 4);
        JsonNode lines = JSON.valueToTree(all.data());
        assertThat(lines).hasSize(2);
        assertThat(lines.get(0).get("n").asInt()).isEqualTo(2);
        assertThat(lines.get(1).get("t").asString()).startsWith("101 6 ");
        JsonNode guest = ok(HttpMethod.GET, "/nodes/n1/qemu/100/firewall/log");
        assertThat(guest).hasSize(2);
        assertThat(guest.get(1).get("t").asString()).contains("policy DROP").contains("DPT=3306");
        // since/until are epoch seconds: 10:50:53 +0100 is 09:50:53Z
        long t = java.time.Instant.parse("2020-01-16T09:50:53Z").getEpochSecond();
        JsonNode window = ok(HttpMethod.GET, "/nodes/n1/firewall/log", "since", t, "until", t + 7);
        assertThat(window).extracting(n -> n.get("t").asString().substring(0, 4)).containsExactly("101 ", "100 ");
        assertThat(call(HttpMethod.GET, "/nodes/n1/firewall/log", "limit", -1).status()).isEqualTo(400);
    }


    @Test
    void vnetFirewallRulesAndOptionsWithTheVnetsPermissions() {
        cfs.mkdirs("sdn");
        cfs.writeString("sdn/vnets.cfg", "vnet: v1\n\tzone z1\n\nvnet: v2\n\tzone z2\n");
        // admin@pve may allocate v1, audit@pve may audit it; nobody has rights on v2
        TestApi sdn = new TestApi(cfs, tmp, (authid, path, privs, any) -> path.equals("/sdn/zones/z1/v1") && switch (authid) {
            case "admin@pve" -> any ? privs.contains("SDN.Allocate") : privs.equals(java.util.Set.of("SDN.Allocate"));
            case "audit@pve" -> any ? privs.contains("SDN.Audit") : privs.stream().allMatch("SDN.Audit"::equals);
            default -> false;
        }, new FirewallApi());
        String v1 = "/cluster/sdn/vnets/v1/firewall";
        assertThat(sdn.as("admin@pve", HttpMethod.POST, v1 + "/rules", "type", "forward", "action", "ACCEPT", "proto", "tcp", "dport", "80", "enable", 1).status())
                .isEqualTo(200);
        assertThat(sdn.as("admin@pve", HttpMethod.POST, v1 + "/rules", "type", "forward", "action", "DROP", "source", "10.0.0.0/8").status()).isEqualTo(200);
        assertThat(file("sdn/firewall/v1.fw")).isEqualTo("[RULES]\n\n|FORWARD DROP -source 10.0.0.0/8\nFORWARD ACCEPT -p tcp -dport 80\n\n");
        ApiResponse in = sdn.as("admin@pve", HttpMethod.POST, v1 + "/rules", "type", "in", "action", "ACCEPT");
        assertThat(in.status()).isEqualTo(400);
        assertThat(in.errors()).containsEntry("type", "in rules are not allowed here");

        assertThat(sdn.as("admin@pve", HttpMethod.PUT, v1 + "/options", "enable", 1, "policy_forward", "DROP", "log_level_forward", "info").status()).isEqualTo(200);
        assertThat(file("sdn/firewall/v1.fw")).startsWith("[OPTIONS]\n\nenable: 1\nlog_level_forward: info\npolicy_forward: DROP\n");
        assertThat(sdn.as("admin@pve", HttpMethod.PUT, v1 + "/options", "policy_in", "DROP").status()).isEqualTo(400);
        assertThat(sdn.as("admin@pve", HttpMethod.PUT, v1 + "/options", "delete", "log_level_forward").status()).isEqualTo(200);

        JsonNode options = TestApi.data(sdn.as("audit@pve", HttpMethod.GET, v1 + "/options"));
        assertThat(options.get("enable").asInt()).isEqualTo(1);
        assertThat(options.get("policy_forward").asString()).isEqualTo("DROP");
        assertThat(options.has("log_level_forward")).isFalse();
        JsonNode rules = TestApi.data(sdn.as("audit@pve", HttpMethod.GET, v1 + "/rules"));
        assertThat(rules).hasSize(2);
        assertThat(rules.get(1).get("type").asString()).isEqualTo("forward");
        assertThat(TestApi.data(sdn.as("audit@pve", HttpMethod.GET, v1 + "/rules/1")).get("dport").asString()).isEqualTo("80");
        // the auditor reads, only the allocator changes; neither may touch v2
        assertThat(sdn.as("audit@pve", HttpMethod.PUT, v1 + "/options", "enable", 0).status()).isEqualTo(403);
        assertThat(sdn.as("audit@pve", HttpMethod.POST, v1 + "/rules", "type", "forward", "action", "DROP").status()).isEqualTo(403);
        assertThat(sdn.as("audit@pve", HttpMethod.DELETE, v1 + "/rules/0").status()).isEqualTo(403);
        assertThat(sdn.as("admin@pve", HttpMethod.GET, "/cluster/sdn/vnets/v2/firewall/rules").status()).isEqualTo(403);
        assertThat(sdn.as("audit@pve", HttpMethod.GET, "/cluster/sdn/vnets/v2/firewall/options").status()).isEqualTo(403);
        // an unknown vnet is checked on /sdn/zones//<vnet>: nobody but root has rights there
        assertThat(sdn.as("admin@pve", HttpMethod.GET, "/cluster/sdn/vnets/nosuch/firewall/rules").status()).isEqualTo(403);

        assertThat(sdn.as("admin@pve", HttpMethod.PUT, v1 + "/rules/1", "dport", "443", "digest", rules.get(0).get("digest").asString()).status()).isEqualTo(200);
        assertThat(sdn.as("admin@pve", HttpMethod.DELETE, v1 + "/rules/0").status()).isEqualTo(200);
        assertThat(file("sdn/firewall/v1.fw")).endsWith("[RULES]\n\nFORWARD ACCEPT -p tcp -dport 443\n\n");
        assertThat(TestApi.data(sdn.local(HttpMethod.GET, v1))).hasSize(2);
    }
}
