package org.haven.lxc.template;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;

import org.haven.storage.spi.ProcessCommandRunner;

/** {@code haven template build --dist busybox --out DIR}: builds a container template into {@code DIR}. */
public final class TemplateBuild {
    private TemplateBuild() {}

    public static final String USAGE = "USAGE: haven template build --dist busybox --out DIR";

    /** Returns the exit code: 0 with the archive's path on {@code out}, or 255 with a message on {@code err}. */
    public static int run(List<String> args, PrintStream out, PrintStream err) {
        String dist = null;
        String dir = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if ((a.equals("--dist") || a.equals("--out")) && i + 1 < args.size()) {
                if (a.equals("--dist")) dist = args.get(++i); else dir = args.get(++i);
            } else {
                err.println("unexpected argument '" + a + "'\n" + USAGE);
                return 255;
            }
        }
        if (dist == null || dir == null) { err.println(USAGE); return 255; }
        if (!dist.equals("busybox")) { err.println("unknown distribution '" + dist + "' (known: busybox)"); return 255; }
        try {
            out.println(BusyboxTemplate.build(new ProcessCommandRunner(), Path.of(dir)));
            return 0;
        } catch (Exception e) {
            err.println("template build failed: " + e.getMessage());
            return 255;
        }
    }
}
