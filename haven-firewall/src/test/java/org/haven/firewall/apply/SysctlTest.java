package org.haven.firewall.apply;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import org.haven.firewall.compile.FwCompiler;
import org.haven.firewall.config.FwFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The connection-tracking settings of host.fw written through {@link Sysctl} into a directory standing for /proc/sys. */
class SysctlTest {
    @TempDir Path root;

    Path setting(String key, String value) throws Exception {
        Path f = root.resolve(key.replace('.', '/'));
        Files.createDirectories(f.getParent());
        Files.writeString(f, value + "\n");
        Files.setLastModifiedTime(f, FileTime.fromMillis(0));
        return f;
    }

    @Test
    void settingsThatDifferAreWrittenOthersLeftAloneAndMissingOnesReported() throws Exception {
        Path max = setting("net.netfilter.nf_conntrack_max", "65536");
        Path established = setting("net.netfilter.nf_conntrack_tcp_timeout_established", "86400");
        FwCompiler.Input in = new FwCompiler.Input("n1", FwFile.parse(FwFile.Kind.CLUSTER, "[OPTIONS]\nenable: 1\n"),
                FwFile.parse(FwFile.Kind.HOST, "[OPTIONS]\nnf_conntrack_max: 300000\nnf_conntrack_tcp_timeout_established: 86400\n"),
                List.of(), List.of(), null);
        List<List<String>> commands = new ArrayList<>();
        NftApplier applier = new NftApplier(List.of(), (cmd, stdin) -> {
            commands.add(cmd);
            return new NftApplier.Result(true, "");
        }, Sysctl.dir(root));

        List<String> refused = applier.sysctls(FwCompiler.sysctls(in));

        assertThat(Files.readString(max)).isEqualTo("303104\n");
        assertThat(Files.getLastModifiedTime(established).toMillis()).as("already 86400: not written").isZero();
        assertThat(refused).singleElement().asString()
                .startsWith("net.netfilter.nf_conntrack_tcp_timeout_syn_recv=60: no setting net.netfilter.nf_conntrack_tcp_timeout_syn_recv");
        assertThat(commands).as("no command runs for a setting").isEmpty();

        // once the kernel has the setting, the next update writes it
        Path synRecv = setting("net.netfilter.nf_conntrack_tcp_timeout_syn_recv", "30");
        assertThat(applier.sysctls(FwCompiler.sysctls(in))).isEmpty();
        assertThat(Files.readString(synRecv)).isEqualTo("60\n");
        assertThat(Sysctl.dir(root).read("net.netfilter.nf_conntrack_max")).contains("303104");
    }

    @Test
    void theCommandFormRunsSysctlWithThePrefix() {
        List<List<String>> commands = new ArrayList<>();
        Sysctl s = Sysctl.command(List.of("ip", "netns", "exec", "ns1"), (cmd, stdin) -> {
            commands.add(cmd);
            return cmd.contains("-n") ? new NftApplier.Result(true, "432000\n") : new NftApplier.Result(false, "sysctl: permission denied");
        });
        assertThat(s.read("net.netfilter.nf_conntrack_tcp_timeout_established")).contains("432000");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> s.write("net.netfilter.nf_conntrack_max", "262144"))
                .hasMessage("sysctl: permission denied");
        assertThat(commands).containsExactly(
                List.of("ip", "netns", "exec", "ns1", "sysctl", "-n", "net.netfilter.nf_conntrack_tcp_timeout_established"),
                List.of("ip", "netns", "exec", "ns1", "sysctl", "-q", "-w", "net.netfilter.nf_conntrack_max=262144"));
    }
}
