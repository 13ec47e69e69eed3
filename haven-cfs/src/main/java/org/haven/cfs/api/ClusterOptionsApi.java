package org.haven.cfs.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.haven.api.ApiException;
import org.haven.api.ApiModule;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.SpecMethods;
import org.haven.core.format.DatacenterConfig;
import org.haven.core.schema.Validator;
import org.haven.core.cfs.ClusterFs;

/** {@code /cluster/options}: the datacenter options of {@code datacenter.cfg}, read and changed as PVE does. */
public final class ClusterOptionsApi implements ApiModule {
    static final String FILE = "datacenter.cfg";
    private static final SpecMethods SPEC = SpecMethods.load(DatacenterConfig.class, "datacenter-options.json", descriptions());

    private static Map<String, String> descriptions() {
        Map<String, String> d = new LinkedHashMap<>();
        DatacenterConfig.OPTIONS.forEach((k, s) -> d.put(k, s.description() != null ? s.description() : k));
        d.put("delete", "A list of settings you want to delete.");
        return d;
    }

    @Override
    public void register(ApiRegistry reg, NodeContext ctx) {
        ClusterFs cfs = ctx.cfs();
        SPEC.add(reg, "GET", "/cluster/options", "Get datacenter options.", (p, rc) -> read(cfs).toJson());
        SPEC.add(reg, "PUT", "/cluster/options", "Set datacenter options.", (p, rc) -> {
            update(cfs, p);
            return null;
        });
    }

    static DatacenterConfig read(ClusterFs cfs) {
        return DatacenterConfig.parse(cfs.readString(FILE).orElse(null));
    }

    /** PVE's {@code set_options}: under the file's lock, delete then set, and write the file. */
    static void update(ClusterFs cfs, Params p) {
        Map<String, String> set = new LinkedHashMap<>();
        for (Map.Entry<String, Object> e : p.asMap().entrySet()) {
            if (e.getKey().equals("delete") || e.getValue() == null) continue;
            set.put(e.getKey(), Validator.text(e.getValue()));
        }
        List<String> delete = p.opt("delete").map(d -> List.of(d.split("[,;\\s]+"))).orElse(List.of()).stream().filter(s -> !s.isEmpty()).toList();
        for (String d : delete) {
            if (set.containsKey(d)) throw ApiException.param(d, "can't set and delete option '" + d + "' at the same time");
            if (!DatacenterConfig.OPTIONS.containsKey(d)) throw ApiException.param("delete", "unknown option '" + d + "'");
        }
        checkNextId(set.get("next-id"));
        cfs.withLock("file-datacenter_cfg", null, () -> {
            DatacenterConfig next = read(cfs).with(set, delete);
            cfs.writeString(FILE, next.text());
            return null;
        });
    }

    private static void checkNextId(String nextId) {
        if (nextId == null) return;
        DatacenterConfig.IdRange r = DatacenterConfig.parse("next-id: " + nextId).nextIds();
        if (r.lower() >= r.upper()) throw ApiException.param("next-id", "lower (" + r.lower() + ") <= upper (" + r.upper() + ") boundary rule broken");
    }

}
