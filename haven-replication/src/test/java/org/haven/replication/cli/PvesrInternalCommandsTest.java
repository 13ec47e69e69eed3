package org.haven.replication.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.haven.api.HttpMethod;
import org.haven.api.cli.ApiClient;
import org.haven.api.cli.CliInvocation;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * {@code pvesr set-state}, {@code prepare-local-job} and {@code finalize-local-job} with PVE's arguments: each becomes
 * one request to the daemon's node-to-node handler (the same the other nodes call), bad arguments are refused first.
 */
@Tag("unit")
class PvesrInternalCommandsTest {

    /** Records the daemon requests; answers {@code answer}. */
    static final class Daemon implements ApiClient {
        final List<String> requests = new ArrayList<>();
        String answer = "";

        @Override public JsonNode call(HttpMethod method, String path, Map<String, ?> params) { throw new AssertionError("no API call expected"); }

        @Override
        public String peer(String path, Map<String, ?> query, byte[] body) {
            requests.add(path + " " + new TreeMap<>(query) + " " + new String(body, StandardCharsets.UTF_8));
            return answer;
        }
    }

    record Run(int exit, String out, String err) {}

    static Run run(java.util.function.ToIntFunction<CliInvocation> cmd, Daemon d, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(), err = new ByteArrayOutputStream();
        PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8), e = new PrintStream(err, true, StandardCharsets.UTF_8);
        int exit = cmd.applyAsInt(new CliInvocation() {
            @Override public Map<String, Object> params() { return Map.of(); }
            @Override public List<String> args() { return List.of(args); }
            @Override public ApiClient client() { return d; }
            @Override public String localNode() { return "node1"; }
            @Override public PrintStream out() { return o; }
            @Override public PrintStream err() { return e; }
        });
        return new Run(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    @Test
    void setStateSendsTheGuestsJobStates() {
        Daemon d = new Daemon();
        String state = "{\"100-0\":{\"last_sync\":1700000000,\"fail_count\":0}}";
        assertThat(run(PvesrTool::setState, d, "100", state).exit()).isZero();
        assertThat(d.requests).containsExactly("/haven/replication/set-state {vmid=100} " + state);

        assertThat(run(PvesrTool::setState, d, "100", "not json")).isEqualTo(new Run(255, "", "state: malformed JSON object\n"));
        assertThat(run(PvesrTool::setState, d, "1x", "{}").err()).contains("vmid: invalid format");
        assertThat(run(PvesrTool::setState, d, "100").err()).isEqualTo("400 not enough arguments\n");
        assertThat(d.requests).hasSize(1);
    }

    @Test
    void prepareLocalJobPrintsTheSnapshotsKept() {
        Daemon d = new Daemon();
        d.answer = "{\"repl:100/vm-100-disk-0.raw\":{\"__replicate_100-0_1700000000__\":1}}";
        Run r = run(PvesrTool::prepareLocalJob, d, "100-0", "repl:100/vm-100-disk-0.raw", "repl:100/vm-100-disk-1.raw",
                "--last_sync", "1700000000", "--scan=repl,local", "--force", "1");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).isEqualTo(d.answer + "\n");
        assertThat(d.requests).containsExactly("/haven/replication/prepare {force=1, id=100-0, last_sync=1700000000, scan=repl,local, "
                + "volumes=repl:100/vm-100-disk-0.raw,repl:100/vm-100-disk-1.raw} ");

        Run unknown = run(PvesrTool::prepareLocalJob, d, "100-0", "--target", "node2");
        assertThat(unknown.exit()).isEqualTo(255);
        assertThat(unknown.err()).startsWith("400 Parameter verification failed.\ntarget: property is not defined in schema");
    }

    @Test
    void finalizeLocalJobWithoutLastSyncRemovesAllTheJobsSnapshots() {
        Daemon d = new Daemon();
        assertThat(run(PvesrTool::finalizeLocalJob, d, "100-0", "repl:100/vm-100-disk-0.raw").exit()).isZero();
        assertThat(run(PvesrTool::finalizeLocalJob, d, "100-0", "repl:100/vm-100-disk-0.raw", "--last_sync", "1700000000").exit()).isZero();
        assertThat(d.requests).containsExactly(
                "/haven/replication/finalize {id=100-0, last_sync=0, volumes=repl:100/vm-100-disk-0.raw} ",
                "/haven/replication/finalize {id=100-0, last_sync=1700000000, volumes=repl:100/vm-100-disk-0.raw} ");
    }
}
