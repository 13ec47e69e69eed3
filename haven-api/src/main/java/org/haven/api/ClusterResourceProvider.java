package org.haven.api;

import java.util.List;
import java.util.Map;

/**
 * Contributes entries to {@code GET /cluster/resources}. Each entry is a map with PVE's keys: at least
 * {@code id} (e.g. {@code qemu/100}, {@code storage/node1/local}, {@code node/node1}) and {@code type}
 * ({@code qemu}, {@code lxc}, {@code storage}, {@code node}, {@code pool}, {@code sdn}), plus
 * {@code node}, {@code status}, {@code vmid}, {@code name}, {@code maxmem}, {@code disk}, … as they apply.
 * The framework merges all providers, filters by the {@code type} parameter ({@code vm} = qemu + lxc) and
 * sorts by id. Providers should leave out entries the caller may not see (check with {@code rc}).
 */
@FunctionalInterface
public interface ClusterResourceProvider {
    List<Map<String, Object>> resources(RequestContext rc);
}
