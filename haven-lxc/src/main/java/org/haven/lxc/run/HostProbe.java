package org.haven.lxc.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.haven.lxc.gen.HostFacts;

/** Reads the {@link HostFacts} from the running host. */
public final class HostProbe {
    private HostProbe() {}

    public static final Path INCLUDE_DIR = Path.of("/usr/share/lxc/config");

    public static HostFacts probe() {
        Path cg = Path.of("/sys/fs/cgroup");
        boolean v2 = Files.exists(cg.resolve("cgroup.controllers"));
        boolean memsw = Files.exists(cg.resolve("memory/memory.memsw.limit_in_bytes"));
        boolean apparmor = "Y".equals(read(Path.of("/sys/module/apparmor/parameters/enabled")).strip());
        List<Integer> cpus = cpus(read(v2 ? cg.resolve("cpuset.cpus.effective") : cg.resolve("cpuset/cpuset.effective_cpus")));
        if (cpus.isEmpty()) cpus = cpus(read(Path.of("/sys/devices/system/cpu/online")));
        Set<String> includes = new TreeSet<>();
        if (Files.isDirectory(INCLUDE_DIR)) {
            try (Stream<Path> s = Files.list(INCLUDE_DIR)) {
                s.forEach(p -> includes.add(p.getFileName().toString()));
            } catch (IOException e) {
                // no snippets: the generated config names the common ones
            }
        }
        return new HostFacts(v2 ? 2 : 1, memsw, apparmor, cpus, HostFacts.IdRange.parse(read(Path.of("/etc/subuid")), "root"),
                HostFacts.IdRange.parse(read(Path.of("/etc/subgid")), "root"), INCLUDE_DIR.toString(), includes);
    }

    /** A kernel CPU list ({@code 0-3,6}). */
    static List<Integer> cpus(String list) {
        List<Integer> out = new ArrayList<>();
        for (String part : list.strip().split(",")) {
            if (part.isEmpty()) continue;
            String[] r = part.split("-");
            int a = Integer.parseInt(r[0]);
            int b = r.length > 1 ? Integer.parseInt(r[1]) : a;
            for (int i = a; i <= b; i++) out.add(i);
        }
        return out;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "";
        }
    }
}
