package org.haven.qemu.api;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.haven.api.ApiException;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.SpecMethods;
import org.haven.qemu.cmd.HostInfo;
import org.haven.qemu.config.Capabilities;

/** {@code /nodes/{node}/capabilities/qemu}: the CPU models and machine versions a VM on this node can use. */
public final class CapabilitiesApi implements ApiModule {
    private static final SpecMethods SPEC = SpecMethods.load(CapabilitiesApi.class, "capabilities-api.json", Map.of("node", "The cluster node name."));
    private static volatile String machineHelp;

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        String base = "/nodes/{node}/capabilities";
        SPEC.add(reg, "GET", base, "Node capabilities index.", (p, rc) -> List.of(Map.of("name", "qemu")));
        SPEC.add(reg, "GET", base + "/qemu", "QEMU capabilities index.", (p, rc) -> List.of(Map.of("name", "cpu"), Map.of("name", "machines")));
        SPEC.add(reg, "GET", base + "/qemu/cpu", "List all custom and default CPU models.", (p, rc) ->
                Capabilities.cpuModels(ctx.cfs().readString(Capabilities.CUSTOM_MODELS).orElse(null), rc.hasPermission("/nodes", false, "Sys.Audit")));
        SPEC.add(reg, "GET", base + "/qemu/machines", "Get available QEMU/KVM machine types.", (p, rc) -> Capabilities.machines(machineHelp()));
    }

    /** {@code qemu-system-x86_64 -machine help}, asked once per process. */
    static String machineHelp() throws IOException, InterruptedException {
        String h = machineHelp;
        if (h != null) return h;
        Process p = new ProcessBuilder(HostInfo.QEMU, "-machine", "help").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) throw ApiException.error("unable to list the machine types of " + HostInfo.QEMU + ": " + out.strip());
        machineHelp = out;
        return out;
    }
}
