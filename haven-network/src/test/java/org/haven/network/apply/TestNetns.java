package org.haven.network.apply;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/** A network namespace made for one test and deleted on close (and at JVM exit if a test forgot). */
public final class TestNetns implements AutoCloseable {
    public final String name;
    private final Thread hook;

    public TestNetns(String prefix) {
        name = prefix + "-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000000));
        Cmd.run(List.of("ip", "netns", "add", name), 30);
        hook = new Thread(this::delete);
        Runtime.getRuntime().addShutdownHook(hook);
        run("ip", "link", "set", "lo", "up");
    }

    /** {@code ip netns exec NAME}. */
    public List<String> prefix() { return List.of("ip", "netns", "exec", name); }

    /** Run a command in the namespace; its output, or an exception when it fails. */
    public String run(String... cmd) {
        List<String> c = new ArrayList<>(prefix());
        c.addAll(List.of(cmd));
        return Cmd.run(c, 60);
    }

    /** True when the command succeeds in the namespace. */
    public boolean succeeds(String... cmd) {
        try {
            run(cmd);
            return true;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    private void delete() {
        try {
            Cmd.run(List.of("ip", "netns", "del", name), 30);
        } catch (IllegalStateException ignored) {
            // already gone
        }
    }

    @Override
    public void close() {
        delete();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException ignored) {
            // shutting down
        }
    }
}
