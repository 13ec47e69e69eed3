package org.haven.qemu.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CapabilitiesTest {
    static {
        QemuOptions.keys(); // registers the CPU format
    }

    @Test
    void cpuModelsWithVendors() {
        List<Map<String, Object>> all = Capabilities.cpuModels("cpu-model: fast\n\treported-model EPYC\n\tflags +aes\n\ncpu-model: plain\n\tflags +avx\n", true);
        assertThat(all).contains(Map.of("name", "Skylake-Server", "custom", 0, "vendor", "GenuineIntel"),
                Map.of("name", "EPYC-Rome", "custom", 0, "vendor", "AuthenticAMD"),
                Map.of("name", "Opteron_G5", "custom", 0, "vendor", "AuthenticAMD"),
                Map.of("name", "host", "custom", 0, "vendor", "default"),
                Map.of("name", "x86-64-v2-AES", "custom", 0, "vendor", "default"),
                Map.of("name", "custom-fast", "custom", 1, "vendor", "AuthenticAMD"),
                Map.of("name", "custom-plain", "custom", 1, "vendor", "default"));
        List<String> names = all.stream().map(m -> m.get("name").toString()).toList();
        assertThat(names).isSorted().doesNotHaveDuplicates();
        assertThat(Capabilities.cpuModels("cpu-model: fast\n\treported-model EPYC\n", false)).noneMatch(m -> m.get("custom").equals(1))
                .hasSize(all.size() - 2);
    }

    @Test
    void machinesNewestFirst() {
        String help = """
                Supported machines are:
                microvm              microvm (i386)
                pc                   Standard PC (i440FX + PIIX, 1996) (alias of pc-i440fx-7.2)
                pc-i440fx-7.2        Standard PC (i440FX + PIIX, 1996) (default)
                pc-i440fx-7.1        Standard PC (i440FX + PIIX, 1996)
                pc-i440fx-10.0       Standard PC (i440FX + PIIX, 1996)
                q35                  Standard PC (Q35 + ICH9, 2009) (alias of pc-q35-7.2)
                pc-q35-7.2           Standard PC (Q35 + ICH9, 2009)
                isapc                ISA-only PC
                none                 empty machine
                """;
        assertThat(Capabilities.machines(help)).containsExactly(
                Map.of("id", "pc-i440fx-10.0", "type", "i440fx", "version", "10.0"),
                Map.of("id", "pc-i440fx-7.2", "type", "i440fx", "version", "7.2"),
                Map.of("id", "pc-q35-7.2", "type", "q35", "version", "7.2"),
                Map.of("id", "pc-i440fx-7.1", "type", "i440fx", "version", "7.1"));
    }
}
