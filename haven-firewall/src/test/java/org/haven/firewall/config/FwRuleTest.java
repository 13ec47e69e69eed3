package org.haven.firewall.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class FwRuleTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '\'', value = {
            "IN ACCEPT -p tcp -dport 22                | ''",
            "IN ssh(ACCEPT) -source 10.0.0.1-10.0.0.9  | ''",
            "IN ACCEPT -dport 22                       | proto=missing property - 'dport' requires this property",
            "IN ACCEPT -p icmp -dport 22               | dport=protocol 'icmp' does not support ports",
            "IN ACCEPT -p gre -sport 22                | sport=protocol 'gre' does not support ports",
            "IN ACCEPT -p foo                          | proto=unknown protocol 'foo'",
            "IN ACCEPT -p 300                          | proto=unknown protocol '300'",
            "IN ACCEPT -p tcp -dport 70000             | dport=invalid port '70000'",
            "IN ACCEPT -p tcp -dport 90:80             | dport=invalid port range '90:80'",
            "IN ACCEPT -p tcp -dport nosuchservice     | dport=invalid port 'nosuchservice'",
            "IN ACCEPT -icmp-type echo-request         | proto=missing property - 'icmp-type' requires this property",
            "IN ACCEPT -p icmp -icmp-type bogus        | icmp-type=invalid icmp-type 'bogus'",
            "IN ACCEPT -p icmpv6 -icmp-type nd-neighbor-solicit | ''",
            "IN ACCEPT -p icmp -source fe80::1         | source=inconsistent IP versions",
            "IN ACCEPT -source 10.0.0.1,,10.0.0.2      | source=extraneous commas in list",
            "IN ACCEPT -source 10.0.0.1-10.0.0.5,10.0.0.9 | source=you can't use a range in a list",
            "IN ACCEPT -source 10.0.0.300              | source=invalid IP address: 10.0.0.300",
            "IN ACCEPT -dest +guest/ipfilter-net0      | ''",
            "IN ACCEPT -dest +bad/x                    | dest=malformed ipset name",
            "IN KEEP                                   | action=unknown action 'KEEP'",
            "FOO ACCEPT                                | type=unknown rule type 'foo'",
            "GROUP my-group -i net0                    | ''",
            "GROUP 1x                                  | action=invalid characters in security group name",
            "IN SSH(ACCEPT) -p udp                     | proto=error in macro: parameter 'proto' is set in macro and rule",
            "IN ACCEPT -log loud                       | log=value 'loud' does not have a value in the enumeration 'emerg, alert, crit, err, warning, notice, info, debug, nolog'",
    })
    void fieldErrorsHavePveMessages(String line, String expected) {
        Map<String, String> errs = FwRule.parse(line).errors(false);
        if (expected.isEmpty()) assertThat(errs).isEmpty();
        else {
            int eq = expected.indexOf('=');
            assertThat(errs).containsEntry(expected.substring(0, eq), expected.substring(eq + 1));
        }
    }

    @ParameterizedTest(name = "{0} in a {1} file")
    @CsvSource(delimiter = '|', value = {
            "FORWARD ACCEPT -p tcp -dport 80 | CLUSTER | ''",
            "FORWARD ACCEPT -p tcp -dport 80 | HOST    | ''",
            "FORWARD ACCEPT -p tcp -dport 80 | VNET    | ''",
            "FORWARD ACCEPT -p tcp -dport 80 | GUEST   | forward rules are not allowed here",
            "IN ACCEPT                       | VNET    | in rules are not allowed here",
            "OUT DROP                        | VNET    | out rules are not allowed here",
            "GROUP web                       | VNET    | ''",
    })
    void directionsAllowedByFileKind(String line, FwFile.Kind kind, String expected) {
        Map<String, String> errs = FwRule.parse(line).errors(kind);
        if (expected.isEmpty()) assertThat(errs).isEmpty();
        else assertThat(errs).containsExactly(Map.entry("type", expected));
    }

    @ParameterizedTest
    @CsvSource(delimiter = ';', value = {
            "IN SSH(ACCEPT) -i net0 # a comment  ; IN SSH(ACCEPT) -i net0 # a comment",
            "  in   ACCEPT -proto tcp -iface net1 -dport 22  #x   ; IN ACCEPT -i net1 -p tcp -dport 22 # x",
            "|out DROP -dest 10.0.0.0/8 -log info -source 10.1.1.1  ; |OUT DROP -source 10.1.1.1 -dest 10.0.0.0/8 -log info",
            "group web -i net0  ; GROUP web -i net0",
    })
    void formatsCanonically(String line, String canonical) {
        FwRule r = FwRule.parse(line);
        assertThat(r.format()).isEqualTo(canonical);
        assertThat(FwRule.parse(r.format())).isEqualTo(r);
    }
}
