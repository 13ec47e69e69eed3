package org.haven.lxc.gen;

import java.util.List;
import java.util.Set;

/**
 * What the generated LXC config depends on in the host: the cgroup version (1: the legacy hierarchies, 2: the
 * unified one), whether swap is accounted (v1's {@code memory.memsw.*}), whether AppArmor is enabled, the host's
 * CPUs, the id ranges of root in {@code /etc/subuid} and {@code /etc/subgid}, and the config snippets in
 * {@code /usr/share/lxc/config} (by file name).
 */
public record HostFacts(int cgroupVersion, boolean swapAccounting, boolean apparmor, List<Integer> cpus,
                        IdRange uids, IdRange gids, String includeDir, Set<String> includes) {

    /** A range of host ids mapped to container ids from 0: {@code root:100000:65536}. */
    public record IdRange(long start, long count) {

        /** root's first range in a subuid/subgid text, or null when root has none. */
        public static IdRange parse(String text, String user) {
            for (String line : text.split("\n")) {
                String[] f = line.strip().split(":");
                if (f.length == 3 && f[0].equals(user)) {
                    try {
                        return new IdRange(Long.parseLong(f[1]), Long.parseLong(f[2]));
                    } catch (NumberFormatException e) {
                        // a broken line is skipped, as shadow's tools do
                    }
                }
            }
            return null;
        }
    }
}
