package org.haven.guest.migrate;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.haven.core.format.PropertyString;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The migration channel's type, network and the target's address in it, as tables. */
class MigrationNetworkTest {

    @ParameterizedTest(name = "{0} / {1} / {2}")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            // requested type | requested network | datacenter.cfg migration | type | network
            "-        | -              | -                                  | secure   | -",
            "-        | -              | insecure                           | insecure | -",
            "-        | -              | type=insecure,network=10.1.0.0/16  | insecure | 10.1.0.0/16",
            "-        | -              | secure,network=fd00::/64           | secure   | fd00::/64",
            "secure   | -              | type=insecure                      | secure   | -",
            "insecure | 192.0.2.0/24   | type=secure,network=10.1.0.0/16    | insecure | 192.0.2.0/24"})
    void typeAndNetwork(String type, String network, String dc, String expectedType, String expectedNetwork) {
        Map<String, String> d = dc == null ? Map.of() : PropertyString.parse(dc, "type");
        assertThat(MigrationNetwork.type(type, d)).isEqualTo(expectedType);
        assertThat(MigrationNetwork.network(network, d)).isEqualTo(expectedNetwork);
    }

    @ParameterizedTest(name = "{0} in [{1}]")
    @CsvSource(delimiter = '|', nullValues = "-", value = {
            "10.1.0.0/16     | 127.0.0.1 192.168.5.2 10.1.7.9 10.1.8.1 | 10.1.7.9",
            "10.1.0.0/16     | 127.0.0.1 192.168.5.2                   | -",
            "10.1.7.9        | 10.1.7.8 10.1.7.9                       | 10.1.7.9",
            "10.1.7.9/32     | 10.1.7.8                                | -",
            "0.0.0.0/0       | 192.0.2.1                               | 192.0.2.1",
            "192.0.2.128/25  | 192.0.2.127 192.0.2.128                 | 192.0.2.128",
            "fd00:1::/64     | 10.0.0.1 fd00:1::5%eth0 fd00:2::1       | fd00:1::5",
            "fd00:1::/64     | 10.0.0.1                                | -",
            "127.0.0.0/8     | ::1 127.0.0.1                           | 127.0.0.1",
            "10.1.0.0/33     | 10.1.0.1                                | -",
            "not-a-network   | 10.1.0.1                                | -",
            "10.1.0.0/16     | eth0 10.1.0.1                           | 10.1.0.1"})
    void addressInNetwork(String cidr, String addresses, String expected) {
        List<String> a = Arrays.asList(addresses.split(" "));
        assertThat(MigrationNetwork.addressIn(cidr, a)).isEqualTo(expected);
    }
}
