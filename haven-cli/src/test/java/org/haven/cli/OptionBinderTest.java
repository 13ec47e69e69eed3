package org.haven.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

class OptionBinderTest {
    static final String INFO = """
            {"parameters":{"type":"object","properties":{
              "node":{"type":"string","format":"pve-node"},
              "vmid":{"type":"integer","format":"pve-vmid","minimum":100},
              "timeout":{"type":"integer","optional":1,"minimum":0},
              "force":{"type":"boolean","optional":1},
              "tags":{"type":"array","items":{"type":"string"},"optional":1},
              "mode":{"type":"string","enum":["a","b"],"optional":1}}}}""";

    Map<String, Object> parse(String... args) {
        CommandSpec spec = CommandSpec.create().name("qm stop");
        OptionBinder.bind(spec, SocketClient.JSON.readTree(INFO), List.of("vmid"), List.of("node"), true);
        CommandLine.ParseResult pr = new CommandLine(spec).parseArgs(args);
        return OptionBinder.params(pr, List.of("vmid"));
    }

    @Test
    void positionalsOptionsAndBooleans() {
        assertThat(parse("100", "--timeout", "5", "--force")).containsExactlyInAnyOrderEntriesOf(Map.of("vmid", "100", "timeout", "5", "force", "1"));
        assertThat(parse("100", "-timeout", "5", "--force", "0")).containsEntry("force", "0").containsEntry("timeout", "5");
        assertThat(parse("100", "--timeout=7")).containsEntry("timeout", "7");
        assertThat(parse("100", "--tags", "x", "--tags", "y")).containsEntry("tags", List.of("x", "y"));
    }

    @Test
    void fixedParametersAreNotOptionsAndUnknownOptionsFail() {
        assertThatThrownBy(() -> parse("100", "--node", "x")).isInstanceOf(CommandLine.UnmatchedArgumentException.class);
        assertThatThrownBy(() -> parse("100", "--bogus", "1")).isInstanceOf(CommandLine.UnmatchedArgumentException.class);
        assertThatThrownBy(() -> parse()).isInstanceOf(CommandLine.MissingParameterException.class);
    }

    @Test
    void typetextFollowsPve() {
        var s = SocketClient.JSON.readTree(INFO).get("parameters").get("properties");
        assertThat(OptionBinder.typetext(s.get("mode"))).isEqualTo("<a | b>");
        assertThat(OptionBinder.typetext(s.get("force"))).isEqualTo("<boolean>");
    }

    @Test
    void formatOptionsAreSeparateFromParameters() {
        CommandSpec spec = CommandSpec.create().name("pvesh get");
        OptionBinder.bind(spec, SocketClient.JSON.readTree(INFO), List.of(), List.of("node", "vmid"), true);
        CommandLine.ParseResult pr = new CommandLine(spec).parseArgs("--output-format", "json", "--noborder", "--mode", "a");
        assertThat(OptionBinder.params(pr, List.of())).containsExactly(Map.entry("mode", "a"));
        assertThat(OptionBinder.formatOption(pr, "output-format")).isEqualTo("json");
        assertThat(OptionBinder.formatOption(pr, "noborder")).isEqualTo("1");
    }
}
