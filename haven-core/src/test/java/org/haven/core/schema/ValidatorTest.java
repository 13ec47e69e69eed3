package org.haven.core.schema;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ValidatorTest {

    private static Map<String, String> errors(Schema s, Map<String, ?> params) {
        try {
            Validator.validateParams(s, params);
            return Map.of();
        } catch (ParamException e) {
            return e.errors();
        }
    }

    private static Schema vmSchema() {
        return Schema.object()
                .property("node", StandardOptions.node())
                .property("vmid", StandardOptions.vmid())
                .property("memory", Schema.integer().minimum(16).optional())
                .property("onboot", Schema.bool().optional())
                .property("ostype", Schema.string().enumValues("l26", "win11").optional())
                .property("name", Schema.string().maxLength(8).optional())
                .property("delete", Schema.string().format("pve-configid-list").optional());
    }

    @Test
    void perlEmbeddedFlagsInPveSchemaPatterns() {
        Schema s = Schema.object().property("tags", Schema.string().pattern("(?:(?^i:[a-z0-9_][a-z0-9_\\-\\+\\.]*);)*(?^i:[a-z0-9_][a-z0-9_\\-\\+\\.]*)").optional())
                .property("plain", Schema.string().pattern("(?^:[a-z]+)").optional());
        assertThat(errors(s, Map.of("tags", "Prod;web-1", "plain", "abc"))).isEmpty();
        assertThat(errors(s, Map.of("tags", "a b"))).containsEntry("tags", "value does not match the regex pattern");
        assertThat(errors(s, Map.of("plain", "ABC"))).containsEntry("plain", "value does not match the regex pattern");
    }

    @Test
    void missingAndUnknownProperties() {
        assertThat(errors(vmSchema(), Map.of("bogus", "1")))
                .containsEntry("node", "property is missing and it is not optional")
                .containsEntry("vmid", "property is missing and it is not optional")
                .containsEntry("bogus", "property is not defined in schema and the schema does not allow additional properties");
    }

    @Test
    void coercesStringsFromHttp() {
        Map<String, Object> out = Validator.validateParams(vmSchema(),
                Map.of("node", "n1", "vmid", "100", "memory", "512", "onboot", "yes", "delete", "net0,ide2;scsi1"));
        assertThat(out).containsEntry("vmid", 100L).containsEntry("memory", 512L).containsEntry("onboot", true)
                .containsEntry("delete", "net0,ide2;scsi1");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "vmid|abc|type check ('integer') failed - got 'abc'",
            "vmid|99|value must have a minimum value of 100",
            "vmid|1000000000|value must have a maximum value of 999999999",
            "memory|8|value must have a minimum value of 16",
            "onboot|maybe|type check ('boolean') failed - got 'maybe'",
            "ostype|dos|value 'dos' does not have a value in the enumeration 'l26, win11'",
            "name|toolongname|value may only be 8 characters long",
            "delete|net0,1bad|invalid format - invalid configuration ID '1bad'\\n",
            "node|-bad|invalid format - value does not look like a valid node name\\n",
    })
    void fieldErrors(String key, String value, String message) {
        Map<String, Object> p = new LinkedHashMap<>(Map.of("node", "n1", "vmid", "100"));
        p.put(key, value);
        assertThat(errors(vmSchema(), p)).containsExactly(Map.entry(key, message.replace("\\n", "\n")));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "pve-vmid|100|", "pve-vmid|099|value does not look like a valid VM ID",
            "pve-storage-id|local-lvm|", "pve-storage-id|1local|storage ID '1local' contains illegal characters",
            "pve-configid|net0|", "pve-configid|0net|invalid configuration ID '0net'",
            "pve-userid|root@pam|", "pve-userid|ro|user name 'ro' is too short",
            "pve-userid|root|value 'root' does not look like a valid user name",
            "pve-volume-id|local:100/vm-100-disk-0.raw|", "pve-volume-id|nocolon|unable to parse volume ID 'nocolon'",
            "ipv4|10.0.0.1|", "ipv4|10.0.0.256|value does not look like a valid IPv4 address",
            "ipv6|fe80::1|", "ip|::1|", "CIDR|10.0.0.0/8|", "mac-addr|BC:24:11:00:00:01|",
    })
    void namedFormats(String format, String value, String message) {
        if (message == null) {
            Formats.check(format, value);
        } else {
            assertThatThrownBy(() -> Formats.check(format, value)).hasMessage(message);
        }
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "storage|pve-storage-id|64", "id|pve-configid|64", "groupid|pve-groupid|64", "roleid|pve-roleid|64",
            "realm|pve-realm|32", "userid|pve-userid|64", "poolid|pve-poolid|194", "tokenid|pve-tokenid|129",
    })
    void idFormatsCarryTheirLengthBound(String param, String format, int max) {
        Schema s = Schema.object().property(param, Schema.string().format(format));
        assertThat(s.properties().get(param).maxLength()).isEqualTo(max);
        assertThat(Formats.maxLength(format)).isEqualTo(max);
        assertThat(errors(s, Map.of(param, "a".repeat(10_000)))).containsExactly(Map.entry(param, "value may only be " + max + " characters long"));
        // a list of the format bounds each element
        Schema list = Schema.object().property(param, Schema.string().format(format + "-list"));
        assertThat(errors(list, Map.of(param, "a".repeat(10_000))))
                .containsExactly(Map.entry(param, "invalid format - value may only be " + max + " characters long\n"));
    }

    @Test
    void idBoundsAcceptTheLongestValidIds() {
        Formats.check("pve-storage-id", "s" + "a".repeat(63));
        Formats.check("pve-realm", "R" + "a".repeat(31));
        Formats.check("pve-userid", "u".repeat(59) + "@pve2");
        Formats.check("pve-tokenid", "u".repeat(59) + "@pve2!" + "t".repeat(64));
        Formats.check("pve-poolid", "p".repeat(64) + "/" + "q".repeat(64) + "/" + "r".repeat(64));
        assertThatThrownBy(() -> Formats.check("pve-poolid", "p".repeat(65) + "/q")).hasMessage("value may only be 64 characters long");
        assertThatThrownBy(() -> Formats.check("pve-tokenid", "joe@pve!" + "t".repeat(65))).hasMessage("value may only be 64 characters long");
        assertThatThrownBy(() -> Formats.check("pve-userid", "jo\u0000e@pve")).hasMessage("value 'jo\u0000e@pve' does not look like a valid user name");
        // a narrower bound of the parameter stays
        assertThat(Schema.string().format("pve-configid").maxLength(40).maxLength()).isEqualTo(40);
        assertThat(Schema.string().maxLength(40).format("pve-configid").maxLength()).isEqualTo(40);
    }

    @Test
    void propertyStringFormat() {
        Map<String, Schema> fmt = new LinkedHashMap<>();
        fmt.put("model", Schema.string().enumValues("virtio", "e1000").defaultKey());
        fmt.put("bridge", Schema.string().optional());
        fmt.put("tag", Schema.integer().minimum(1).maximum(4094).optional());
        fmt.put("vlan", Schema.integer().alias("tag").optional());
        Schema s = Schema.object().property("net0", Schema.string().format(fmt));
        assertThat(errors(s, Map.of("net0", "virtio,bridge=vmbr0,tag=5"))).isEmpty();
        assertThat(Validator.parsePropertyString("net0", fmt, "e1000,vlan=7")).containsEntry("model", "e1000").containsEntry("tag", 7L);
        assertThat(errors(s, Map.of("net0", "virtio,tag=5000"))).containsExactly(
                Map.entry("net0", "invalid format - format error\nnet0.tag: value must have a maximum value of 4094\n"));
        assertThat(errors(s, Map.of("net0", "virtio,foo=1"))).containsExactly(
                Map.entry("net0", "invalid format - invalid key in comma-separated list property: foo\n"));
        assertThat(errors(s, Map.of("net0", "bridge=vmbr0"))).containsExactly(
                Map.entry("net0", "invalid format - format error\nnet0.model: property is missing and it is not optional\n"));
    }

    @Test
    void arraysAcceptScalarsAndLists() {
        Schema s = Schema.object().property("ids", Schema.array(Schema.integer()));
        assertThat(Validator.validateParams(s, Map.of("ids", "5"))).containsEntry("ids", List.of(5L));
        assertThat(Validator.validateParams(s, Map.of("ids", List.of("5", "6")))).containsEntry("ids", List.of(5L, 6L));
        assertThat(errors(s, Map.of("ids", List.of("5", "x")))).containsEntry("ids", "type check ('integer') failed - got 'x'");
    }

    @Test
    void jsonRoundTripKeepsPveShape() {
        String json = "{\"type\":\"object\",\"additionalProperties\":0,\"properties\":{\"vmid\":{\"type\":\"integer\",\"format\":\"pve-vmid\","
                + "\"minimum\":100,\"optional\":1,\"typetext\":\"<integer>\"},\"net\":{\"type\":\"string\",\"format\":{\"model\":{\"type\":\"string\",\"default_key\":1}}}}}";
        Schema s = Schema.fromJson(json);
        assertThat(s.properties().get("vmid").isOptional()).isTrue();
        assertThat(s.properties().get("net").formatDefaultKey()).isEqualTo("model");
        assertThat(Schema.fromJson(s.toJson().toString()).toJson()).isEqualTo(s.toJson());
        assertThat(s.toJson().get("properties").get("vmid").get("optional").asInt()).isEqualTo(1);
    }

    /** Randomized: every integer in range validates to itself; every one outside yields exactly the range message. */
    @Test
    void randomizedIntegerRanges() {
        Random r = new Random(42);
        for (int i = 0; i < 2000; i++) {
            long min = r.nextInt(1000) - 500;
            long max = min + r.nextInt(1000);
            long v = min - 300 + r.nextInt((int) (max - min) + 600);
            Schema s = Schema.object().property("x", Schema.integer().minimum(min).maximum(max));
            Map<String, String> e = errors(s, Map.of("x", Long.toString(v)));
            if (v < min) assertThat(e).containsExactly(Map.entry("x", "value must have a minimum value of " + min));
            else if (v > max) assertThat(e).containsExactly(Map.entry("x", "value must have a maximum value of " + max));
            else assertThat(Validator.validateParams(s, Map.of("x", Long.toString(v)))).containsEntry("x", v);
        }
    }

    /** Randomized: booleans in every accepted spelling coerce correctly; anything else is a type error. */
    @Test
    void randomizedBooleans() {
        Random r = new Random(7);
        String[] yes = {"1", "true", "yes", "on", "TRUE", "Yes", "ON"};
        String[] no = {"0", "false", "no", "off", "FALSE", "No", "oFF"};
        Schema s = Schema.object().property("b", Schema.bool());
        for (int i = 0; i < 500; i++) {
            int k = r.nextInt(3);
            if (k == 0) assertThat(Validator.validateParams(s, Map.of("b", yes[r.nextInt(yes.length)]))).containsEntry("b", true);
            else if (k == 1) assertThat(Validator.validateParams(s, Map.of("b", no[r.nextInt(no.length)]))).containsEntry("b", false);
            else {
                String junk = "x" + Integer.toString(r.nextInt(100000), 36);
                assertThat(errors(s, Map.of("b", junk))).containsExactly(Map.entry("b", "type check ('boolean') failed - got '" + junk + "'"));
            }
        }
    }

    /** Randomized: lists joined with any PVE separator split back into the same items. */
    @Test
    void randomizedSplitList() {
        Random r = new Random(3);
        String[] seps = {",", ";", " ", ", ", "\t", ",,"};
        for (int i = 0; i < 500; i++) {
            int n = r.nextInt(6);
            StringBuilder sb = new StringBuilder();
            List<String> items = new java.util.ArrayList<>();
            for (int j = 0; j < n; j++) {
                String item = "net" + r.nextInt(32);
                items.add(item);
                if (j > 0) sb.append(seps[r.nextInt(seps.length)]);
                sb.append(item);
            }
            assertThat(Formats.splitList(sb.toString())).isEqualTo(items);
        }
    }
}
