package org.haven.node.ha;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.haven.api.ApiMethod;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.RequestContext;
import org.haven.api.task.TaskLog;
import org.haven.api.task.TaskWorker;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.schema.Schema;
import org.haven.guest.api.HaRequests;
import org.haven.ha.api.HaResources;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Routing of {@code qm start|stop|shutdown} through HA for managed guests only. */
class HaGuestModuleTest {
    @TempDir Path dir;

    /** Runs tasks at once and records their type and log. */
    static final class Rc implements RequestContext {
        final List<String> tasks = new ArrayList<>();
        final List<String> log = new ArrayList<>();

        @Override public String authid() { return "root@pam"; }
        @Override public NodeContext node() { return null; }
        @Override public boolean viaCli() { return true; }
        @Override public String clientAddress() { return "127.0.0.1"; }

        @Override public String startTask(String type, String id, TaskWorker worker) {
            tasks.add(type + ":" + id);
            try {
                worker.run(new TaskLog() {
                    @Override public String upid() { return "UPID:test"; }
                    @Override public void log(String line) { log.add(line); }
                    @Override public void warn(String line) { log.add("WARN: " + line); }
                    @Override public boolean stopRequested() { return false; }
                });
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            return "UPID:" + type;
        }
    }

    record Setup(LocalClusterFs cfs, HaResources ha, List<String> direct) {}

    Setup setup() {
        LocalClusterFs cfs = new LocalClusterFs(dir.resolve("cfs"), "node1");
        cfs.mkdirs("nodes/node1/qemu-server");
        cfs.writeString("nodes/node1/qemu-server/100.conf", "memory: 128\n");
        cfs.writeString("nodes/node1/qemu-server/101.conf", "memory: 128\n");
        HaResources ha = new HaResources(cfs);
        ha.createResource("vm:100", Map.of("state", "stopped"));
        return new Setup(cfs, ha, new ArrayList<>());
    }

    ApiMethod original(String action, List<String> direct) {
        return ApiMethod.post("/nodes/{node}/qemu/{vmid}/status/" + action).param("vmid", Schema.integer())
            .param("timeout", Schema.integer().optional())
            .handler((p, rc) -> { direct.add(action + " " + p.integer("vmid")); return "UPID:qm" + action; }).build();
    }

    /** {@code m} as the guest modules declare it: asking HA first, as a guest of HA type {@code vm}. */
    static ApiMethod wrap(ApiMethod m, String action, HaResources ha, HaGuestModule.IncomingGuard incoming) {
        return wrap(m, action, ha, "vm", "VM", incoming);
    }

    static ApiMethod wrap(ApiMethod m, String action, HaResources ha, String prefix, String word, HaGuestModule.IncomingGuard incoming) {
        HaRequests requests = (haType, a, p, rc) -> HaGuestModule.request(a, p, rc, ha, haType, word, incoming);
        return new ApiMethod(m.path(), m.method(), m.name(), m.description(), m.parameters(), m.returns(), m.permissions(),
            m.proxyto(), m.protect(), m.allowtoken(), HaRequests.routed(requests, prefix, action, m.handler()));
    }

    static final HaGuestModule.IncomingGuard NO_INCOMING = sid -> { throw new AssertionError("no incoming guest here"); };

    String state(HaResources ha, String sid) { return ha.readResource(sid).get("state").toString(); }

    @Test
    void unmanagedGuestsUseTheOriginalHandler() throws Exception {
        Setup s = setup();
        for (String action : List.of("start", "stop", "shutdown")) {
            ApiMethod m = wrap(original(action, s.direct()), action, s.ha(), NO_INCOMING);
            Rc rc = new Rc();
            assertThat(m.handler().handle(new Params(Map.of("vmid", 101)), rc)).isEqualTo("UPID:qm" + action);
            assertThat(rc.tasks).isEmpty();
        }
        assertThat(s.direct()).containsExactly("start 101", "stop 101", "shutdown 101");
    }

    @Test
    void startOfAManagedGuestSetsTheRequestedState() throws Exception {
        Setup s = setup();
        ApiMethod m = wrap(original("start", s.direct()), "start", s.ha(), NO_INCOMING);
        Rc rc = new Rc();
        m.handler().handle(new Params(Map.of("vmid", 100)), rc);
        assertThat(s.direct()).isEmpty();
        assertThat(rc.tasks).containsExactly("hastart:100");
        assertThat(rc.log).containsExactly("Requesting HA start for VM 100");
        assertThat(state(s.ha(), "vm:100")).isEqualTo("started");
    }

    @Test
    void containerStartIsRoutedByItsCtServiceId() throws Exception {
        Setup s = setup();
        s.cfs().mkdirs("nodes/node1/lxc");
        s.cfs().writeString("nodes/node1/lxc/200.conf", "memory: 128\n");
        s.ha().createResource("ct:200", Map.of("state", "stopped"));
        ApiMethod m = wrap(original("start", s.direct()), "start", s.ha(), "ct", "CT", NO_INCOMING);
        Rc rc = new Rc();
        m.handler().handle(new Params(Map.of("vmid", 200)), rc);
        assertThat(rc.log).containsExactly("Requesting HA start for CT 200");
        assertThat(state(s.ha(), "ct:200")).isEqualTo("started");
        // vm:100 is managed, ct:100 is not: the container's own handler runs
        m.handler().handle(new Params(Map.of("vmid", 100)), new Rc());
        assertThat(s.direct()).containsExactly("start 100");
    }

    @Test
    void stopOfAServiceTheManagerKnowsQueuesACrmCommand() throws Exception {
        Setup s = setup();
        s.ha().setRequestedState("vm:100", "started");
        s.cfs().writeString("ha/manager_status", "{\"master_node\":\"node1\",\"node_status\":{\"node1\":\"online\"},"
            + "\"service_status\":{\"vm:100\":{\"node\":\"node1\",\"state\":\"started\",\"running\":1,\"uid\":\"x\"}},\"timestamp\":1}");
        Rc rc = new Rc();
        wrap(original("stop", s.direct()), "stop", s.ha(), NO_INCOMING).handler().handle(new Params(Map.of("vmid", 100)), rc);
        wrap(original("shutdown", s.direct()), "shutdown", s.ha(), NO_INCOMING).handler()
            .handle(new Params(Map.of("vmid", 100, "timeout", 30)), rc);
        assertThat(s.direct()).isEmpty();
        assertThat(rc.tasks).containsExactly("hastop:100", "hastop:100");
        assertThat(rc.log).containsExactly("Requesting HA stop for VM 100", "Requesting HA stop for VM 100");
        assertThat(s.cfs().readString("ha/crm_commands")).contains("stop vm:100 0\nstop vm:100 30\n");
        // the manager records the requested state when it executes the command
        assertThat(state(s.ha(), "vm:100")).isEqualTo("started");
    }

    @Test
    void stopOfAServiceTheManagerDoesNotKnowYetSetsStateStopped() throws Exception {
        Setup s = setup();
        s.ha().setRequestedState("vm:100", "started");
        Rc rc = new Rc();
        wrap(original("stop", s.direct()), "stop", s.ha(), NO_INCOMING).handler().handle(new Params(Map.of("vmid", 100)), rc);
        assertThat(state(s.ha(), "vm:100")).isEqualTo("stopped");
        assertThat(s.cfs().readString("ha/crm_commands")).isEmpty();
    }

    @Test
    void theIncomingGuestOfAMigrationStartsOnlyUnderTheWatchdog() throws Exception {
        Setup s = setup();
        List<String> asked = new ArrayList<>();
        Map<String, Object> incoming = Map.of("vmid", 100, "migratedfrom", "node2", "stateuri", "tcp");
        ApiMethod m = wrap(original("start", s.direct()), "start", s.ha(), sid -> asked.add(sid));
        assertThat(m.handler().handle(new Params(incoming), new Rc())).isEqualTo("UPID:qmstart");
        assertThat(asked).containsExactly("vm:100");
        assertThat(s.direct()).containsExactly("start 100");

        ApiMethod refused = wrap(original("start", s.direct()), "start", s.ha(), sid -> false);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> refused.handler().handle(new Params(incoming), new Rc()))
            .hasMessageContaining("unable to start VM 100 for the incoming migration");
        assertThat(s.direct()).containsExactly("start 100");

        // an unmanaged guest and the target's cleanup stop do not ask
        wrap(original("start", s.direct()), "start", s.ha(), NO_INCOMING).handler()
            .handle(new Params(Map.of("vmid", 101, "migratedfrom", "node2")), new Rc());
        wrap(original("stop", s.direct()), "stop", s.ha(), NO_INCOMING).handler()
            .handle(new Params(Map.of("vmid", 100, "migratedfrom", "node2")), new Rc());
        assertThat(s.direct()).containsExactly("start 100", "start 101", "stop 100");
    }

    @Test
    void memoryOfTheConfig() {
        assertThat(VmResourceDriver.memoryMb(null)).isEqualTo(512);
        assertThat(VmResourceDriver.memoryMb("")).isEqualTo(512);
        assertThat(VmResourceDriver.memoryMb("2048")).isEqualTo(2048);
        assertThat(VmResourceDriver.memoryMb("current=4096")).isEqualTo(4096);
        assertThat(VmResourceDriver.memoryMb("bogus")).isEqualTo(512);
    }
}
