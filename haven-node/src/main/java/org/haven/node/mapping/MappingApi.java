package org.haven.node.mapping;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.haven.api.ApiRegistry;
import org.haven.api.NodeContext;
import org.haven.api.Params;
import org.haven.api.RequestContext;
import org.haven.api.SpecMethods;
import org.haven.core.format.ConfigDigest;
import org.haven.core.format.SectionConfig;
import org.haven.core.schema.Validator;
import org.haven.guest.mapping.ResourceMappings;
import org.haven.guest.mapping.ResourceMappings.Kind;
import org.haven.node.admin.Host;
import org.haven.node.admin.PciDevices;
import org.haven.node.admin.UsbDevices;

/**
 * {@code /cluster/mapping}: PVE's cluster resource mappings of PCI devices, USB devices and directories, in
 * {@code mapping/pci.cfg}, {@code mapping/usb.cfg} and {@code mapping/directory.cfg}. A list shows only the
 * mappings the caller may audit, use or modify; with {@code check-node} each carries the problems that node's
 * entries have against the devices and directories of this host.
 */
public final class MappingApi {
    private static final Map<String, String> DESCRIPTIONS = Map.of(
            "id", "The ID of the mapping.", "description", "Description of the mapping.",
            "map", "A list of maps for the cluster nodes.", "mdev", "Marks the device(s) as being capable of providing mediated devices.",
            "live-migration-capable", "Marks the device(s) as being able to be live-migrated.",
            "check-node", "If given, checks the configurations on the given node for correctness.",
            "delete", "A list of settings you want to delete.",
            "digest", "Prevent changes if current configuration file has a different digest.");
    private static final SpecMethods SPEC = SpecMethods.load(MappingApi.class, "mapping-api.json", DESCRIPTIONS);
    private static final List<String> PRIVS = List.of("Mapping.Modify", "Mapping.Use", "Mapping.Audit");

    private final NodeContext ctx;
    private final Host host;

    public MappingApi(NodeContext ctx, Host host) {
        this.ctx = ctx;
        this.host = host;
    }

    public void register(ApiRegistry reg) {
        SPEC.add(reg, "GET", "/cluster/mapping", "List resource types.",
                (p, rc) -> List.of(Map.of("name", "pci"), Map.of("name", "usb"), Map.of("name", "dir")));
        for (Kind k : Kind.values()) {
            String base = "/cluster/mapping/" + k.type();
            SPEC.add(reg, "GET", base, "List " + k.type() + " mappings.", (p, rc) -> list(k, p.opt("check-node").orElse(null), rc));
            SPEC.add(reg, "GET", base + "/{id}", "Get " + k.type() + " mapping.", (p, rc) -> read(k, p.str("id")));
            SPEC.add(reg, "POST", base, "Create a new " + k.type() + " mapping.", (p, rc) -> create(k, p));
            SPEC.add(reg, "PUT", base + "/{id}", "Update a " + k.type() + " mapping.", (p, rc) -> update(k, p));
            SPEC.add(reg, "DELETE", base + "/{id}", "Remove a " + k.type() + " mapping.", (p, rc) -> delete(k, p.str("id")));
        }
    }

    private String text(Kind k) { return ctx.cfs().readString(k.file()).orElse(""); }

    private List<Map<String, Object>> list(Kind k, String checkNode, RequestContext rc) {
        List<Map<String, Object>> out = new ArrayList<>();
        List<SectionConfig.Section> sections = new ArrayList<>(ResourceMappings.parse(k, text(k)).sections());
        sections.sort((a, b) -> a.id().compareTo(b.id()));
        for (SectionConfig.Section s : sections) {
            if (!rc.hasPermission("/mapping/" + k.type() + "/" + s.id(), true, PRIVS.toArray(String[]::new))) continue;
            Map<String, Object> e = ResourceMappings.toApi(s);
            e.remove("type");
            // PVE names the USB list's diagnostics "errors", the others' "checks"
            if (checkNode != null) e.put(k == Kind.USB ? "errors" : "checks", checks(k, s, checkNode));
            out.add(e);
        }
        return out;
    }

    private List<Map<String, String>> checks(Kind k, SectionConfig.Section s, String node) {
        return switch (k) {
            case PCI -> {
                boolean mdev = s.get("mdev").map(v -> v.equals("1")).orElse(false);
                yield ResourceMappings.checks(s, node, m -> ResourceMappings.pciProblem(s.id(), m, mdev, this::pciFunction));
            }
            case USB -> {
                List<ResourceMappings.UsbDevice> devices = usbDevices();
                yield ResourceMappings.checks(s, node, m -> ResourceMappings.usbProblem(s.id(), m, devices));
            }
            case DIR -> ResourceMappings.checks(s, node, m -> ResourceMappings.dirProblem(m, this::pathKind));
        };
    }

    private Optional<ResourceMappings.PciFunction> pciFunction(String address) {
        try {
            for (Map<String, Object> d : PciDevices.scan(host.sys("bus/pci/devices"), List.of(), null)) {
                if (!address.equalsIgnoreCase((String) d.get("id"))) continue;
                return Optional.of(new ResourceMappings.PciFunction(hex(d.get("vendor")), hex(d.get("device")),
                        (Integer) d.get("iommugroup"), hex(d.get("subsystem_vendor")), hex(d.get("subsystem_device")),
                        Boolean.TRUE.equals(d.get("mdev"))));
            }
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String hex(Object v) { return v == null ? null : v.toString().replaceFirst("^0x", "").toLowerCase(); }

    private List<ResourceMappings.UsbDevice> usbDevices() {
        try {
            List<ResourceMappings.UsbDevice> out = new ArrayList<>();
            for (Map<String, Object> d : UsbDevices.scan(host.sys("bus/usb/devices"))) {
                String path = d.get("usbpath") == null ? null : d.get("busnum") + "-" + d.get("usbpath");
                out.add(new ResourceMappings.UsbDevice(path, (String) d.get("vendid"), (String) d.get("prodid")));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private String pathKind(String path) {
        Path p = Path.of(path);
        if (!Files.exists(p)) return null;
        return Files.isDirectory(p) ? "dir" : "other";
    }

    private Map<String, Object> read(Kind k, String id) {
        String text = text(k);
        Map<String, Object> out = ResourceMappings.toApi(ResourceMappings.find(ResourceMappings.parse(k, text), id));
        out.put("digest", ConfigDigest.of(text));
        return out;
    }

    /** The options of the request other than the ID, the map list and the update controls, as config text. */
    private static Map<String, String> options(Params p) {
        Map<String, String> out = new LinkedHashMap<>();
        p.asMap().forEach((key, v) -> {
            if (v != null && !List.of("id", "map", "delete", "digest").contains(key)) out.put(key, Validator.text(v));
        });
        return out;
    }

    private static List<String> maps(Params p) {
        Object v = p.asMap().get("map");
        if (v == null) return null;
        if (v instanceof List<?> l) return l.stream().map(Validator::text).toList();
        return List.of(Validator.text(v));
    }

    private Object create(Kind k, Params p) {
        String id = p.str("id");
        Map<String, String> options = options(p);
        List<String> maps = maps(p);
        return locked(k, () -> {
            SectionConfig.Document doc = ResourceMappings.parse(k, text(k));
            ResourceMappings.create(doc, k, id, options, maps == null ? List.of() : maps);
            write(k, doc);
            return null;
        });
    }

    private Object update(Kind k, Params p) {
        String id = p.str("id");
        Map<String, String> options = options(p);
        List<String> delete = p.opt("delete").map(d -> List.of(d.split("[,;\\s]+"))).orElse(List.of())
                .stream().filter(s -> !s.isEmpty()).toList();
        return locked(k, () -> {
            String text = text(k);
            ConfigDigest.check(p.str("digest", null), text);
            SectionConfig.Document doc = ResourceMappings.parse(k, text);
            ResourceMappings.update(doc, k, id, options, maps(p), delete);
            write(k, doc);
            return null;
        });
    }

    private Object delete(Kind k, String id) {
        return locked(k, () -> {
            SectionConfig.Document doc = ResourceMappings.parse(k, text(k));
            ResourceMappings.find(doc, id);
            doc.remove(id);
            write(k, doc);
            return null;
        });
    }

    private void write(Kind k, SectionConfig.Document doc) {
        ctx.cfs().mkdirs("mapping");
        ctx.cfs().writeString(k.file(), ResourceMappings.write(k, doc));
    }

    private <T> T locked(Kind k, Supplier<T> body) { return ctx.cfs().withLock(k.lock(), Duration.ofSeconds(10), body); }
}
