package org.haven.guest.access;

import java.util.Map;
import java.util.function.BiFunction;

import org.haven.api.RequestContext;
import org.haven.core.format.SectionConfig;
import org.haven.guest.config.GuestConfig;
import org.haven.guest.volume.StorageVolumes;
import org.haven.guest.volume.VolumeAccess;
import org.haven.storage.StorageException;
import org.haven.storage.volume.VolumeIdCheck;
import org.haven.storage.volume.VolumeName;

/**
 * {@link OptionAccess.Context} of an API request on guest {@code vmid} (its config {@code cfg}, null on create):
 * privileges from the request, volume names checked by {@link VolumeIdCheck} against the node's storage. The guest
 * type gives how its property-string options split ({@code props}; an empty map for a plain option).
 */
public record RequestOptionAccess(RequestContext rc, VolumeAccess volumes, int vmid, GuestConfig cfg,
                                  BiFunction<String, String, Map<String, String>> splitter) implements OptionAccess.Context {

    @Override public String authid() { return rc.authid(); }

    @Override public String guestPath() { return "/vms/" + vmid; }

    @Override public String current(String key) {
        if (cfg == null) return null;
        return cfg.pending().has(key) ? cfg.pending().getOrNull(key) : cfg.current().getOrNull(key);
    }

    @Override public boolean has(String path, boolean any, String... privs) { return rc.hasPermission(path, any, privs); }

    @Override public Map<String, String> props(String key, String value) { return splitter.apply(key, value); }

    @Override public void volume(String key, String volid) {
        VolumeIdCheck.checkAccess(key, authid(), this::has, this::parse, vmid, volid);
    }

    @Override public void importSource(String key, String source) {
        VolumeIdCheck.checkImportSource(key, authid(), this::has, this::parse, vmid, source);
    }

    @Override public void allocate(String key, String storage) {
        VolumeIdCheck.checkAllocate(authid(), this::has, storage);
    }

    /** The zone of the vnet named {@code bridge} in the cluster's {@code sdn/vnets.cfg}, else {@code localnetwork}. */
    @Override public String sdnZone(String bridge) {
        String vnets = rc.node().cfs().readString("sdn/vnets.cfg").orElse("");
        try {
            return SectionConfig.parse(vnets).find(bridge).flatMap(s -> s.get("zone")).orElse("localnetwork");
        } catch (SectionConfig.ParseException e) {
            return "localnetwork";
        }
    }

    private VolumeName parse(String volid) {
        if (!(volumes instanceof StorageVolumes sv)) throw new StorageException("unable to parse volume ID '" + volid + "'");
        return sv.storage().parseVolname(volid);
    }
}
