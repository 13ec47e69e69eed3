package org.haven.storage;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.storage.spi.CommandRunner;

/** Records every command; answers with scripted results chosen by the longest matching command prefix. */
public final class RecordingRunner implements CommandRunner {
    public final List<String> commands = new ArrayList<>();
    public final List<Map<String, String>> envs = new ArrayList<>();
    private final Map<String, Result> answers = new LinkedHashMap<>();

    /** Answer commands starting with {@code prefix} (joined with spaces) with {@code stdout} and exit 0. */
    public RecordingRunner on(String prefix, String stdout) { return on(prefix, new Result(0, stdout, "")); }

    public RecordingRunner on(String prefix, Result r) {
        answers.put(prefix, r);
        return this;
    }

    private Result answer(String line) {
        Result best = null;
        int len = -1;
        for (var e : answers.entrySet()) {
            if (line.startsWith(e.getKey()) && e.getKey().length() > len) {
                best = e.getValue();
                len = e.getKey().length();
            }
        }
        return best != null ? best : new Result(0, "", "");
    }

    @Override
    public Result run(List<String> cmd, Map<String, String> env, byte[] stdin) {
        String line = String.join(" ", cmd);
        commands.add(line);
        envs.add(env);
        return answer(line);
    }

    @Override
    public Result stream(List<String> cmd, Map<String, String> env, InputStream in, OutputStream out) {
        Result r = run(cmd, env, null);
        try {
            if (in != null) in.readAllBytes();
            if (out != null) out.write(r.stdout().getBytes(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
        return new Result(r.exitCode(), "", r.stderr());
    }

    public void clear() { commands.clear(); envs.clear(); }
}
