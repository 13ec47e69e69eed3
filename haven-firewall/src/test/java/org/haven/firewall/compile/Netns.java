package org.haven.firewall.compile;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** A network namespace a test creates and always deletes; commands run inside it with {@code ip netns exec}. */
public final class Netns implements AutoCloseable {
    private static final List<Netns> OPEN = new ArrayList<>();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            synchronized (OPEN) { for (Netns n : List.copyOf(OPEN)) n.close(); }
        }));
    }

    public final String name;

    public Netns(String prefix) {
        this.name = prefix + "-" + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffL);
        run(List.of("ip", "netns", "add", name));
        synchronized (OPEN) { OPEN.add(this); }
        exec("ip", "link", "set", "lo", "up");
    }


    /** Run a command in the namespace; fails when it exits non-zero. */
    public String exec(String... cmd) {
        return run(prefix(cmd));
    }

    /** Run a command in the namespace and return its exit code and output. */
    public Result tryExec(String stdin, String... cmd) {
        return runResult(prefix(cmd), stdin, 60);
    }

    public List<String> prefix(String... cmd) {
        List<String> c = new ArrayList<>(List.of("ip", "netns", "exec", name));
        c.addAll(List.of(cmd));
        return c;
    }

    public record Result(int code, String output) {}

    public static String run(List<String> cmd) {
        Result r = runResult(cmd, null, 60);
        if (r.code() != 0) throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.code() + "): " + r.output());
        return r.output();
    }

    public static Result runResult(List<String> cmd, String stdin, int timeoutSeconds) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            if (stdin != null) p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
            p.getOutputStream().close();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) { p.destroyForcibly(); return new Result(-1, "timeout"); }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        synchronized (OPEN) { if (!OPEN.remove(this)) return; }
        runResult(List.of("ip", "netns", "del", name), null, 30);
    }
}
