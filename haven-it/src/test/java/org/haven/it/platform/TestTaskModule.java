package org.haven.it.platform;

import java.nio.file.Files;
import java.nio.file.Path;
import org.haven.api.ApiMethod;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Permission;
import org.haven.core.schema.Schema;
import org.haven.core.schema.StandardOptions;

/**
 * A test-only module (run by the test daemons, {@link org.haven.it.TestHavend}): {@code POST /nodes/{node}/haven-test/task} starts a worker
 * that logs a line, waits until the file named by {@code gate} exists in the data directory, logs another
 * line and then ends OK or fails with {@code fail}.
 */
public final class TestTaskModule implements ApiModule {
    /** The module's one method, which only the test daemons serve (not the product: {@code haven apidump} lacks it). */
    public static final String TASK = "/nodes/{node}/haven-test/task";

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        reg.add(ApiMethod.post(TASK).name("test_task").description("Start a test task.")
                .param("node", StandardOptions.node())
                .param("gate", Schema.string().pattern("[a-z0-9]+"))
                .param("fail", Schema.string().optional())
                .returns(Schema.string())
                .permissions(Permission.perm("/nodes/{node}", "Sys.Modify"))
                .proxyto("node")
                .handler((p, rc) -> rc.startTask("hatest", "", log -> {
                    log.log("step one");
                    Path gate = ctx.dataDir().resolve(p.str("gate"));
                    while (!Files.exists(gate)) {
                        log.checkStop();
                        Thread.sleep(20);
                    }
                    log.log("step two");
                    if (p.has("fail")) throw new IllegalStateException(p.str("fail"));
                })).build());
    }
}
