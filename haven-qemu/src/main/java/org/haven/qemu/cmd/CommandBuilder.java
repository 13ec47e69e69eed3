package org.haven.qemu.cmd;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.haven.guest.volume.Volume;
import org.haven.guest.volume.VolumeResolver;
import org.haven.qemu.config.QemuOptions;

/**
 * Turns a VM config into a QEMU command line for Debian's QEMU 7.2, following the structure of PVE's
 * {@code config_to_command} ({@code qm showcmd}): QMP socket, pidfile, daemonize, smbios, smp, VNC, CPU,
 * memory/NUMA, PCI bridges, vmgenid, USB, VGA, guest agent, balloon, serial, RNG, watchdog, drives with
 * their controllers, nics on taps, machine and raw {@code args}. Pure: volumes are resolved through
 * {@link VolumeResolver}, host facts come from {@link HostInfo}.
 */
public final class CommandBuilder {

    /** Thrown for configs that cannot be turned into a command line, with PVE's message. */
    public static final class ConfigError extends RuntimeException {
        public ConfigError(String message) { super(message); }
    }

    private static final Pattern BOOT_LEGACY = Pattern.compile("[acdn]{1,4}");

    private final int vmid;
    private final Map<String, String> conf;
    private final HostInfo host;
    private final VmPaths paths;
    private final VolumeResolver volumes;
    private final List<String> cmd = new ArrayList<>();
    private final List<String> devices = new ArrayList<>();
    private final List<QemuCommand.Tap> taps = new ArrayList<>();
    private QemuCommand.Tpm tpm;
    private QemuCommand.EfiVars efiVars;
    private final Set<String> bridges = new LinkedHashSet<>();
    private boolean q35;

    private CommandBuilder(int vmid, Map<String, String> conf, HostInfo host, VmPaths paths, VolumeResolver volumes) {
        this.vmid = vmid;
        this.conf = conf;
        this.host = host;
        this.paths = paths;
        this.volumes = volumes;
    }

    /** Build the command line for {@code conf} (the current section of the VM config). */
    public static QemuCommand build(int vmid, Map<String, String> conf, HostInfo host, VmPaths paths, VolumeResolver volumes) {
        return new CommandBuilder(vmid, conf, host, paths, volumes).build();
    }

    private String get(String key) { return conf.get(key); }

    private boolean bool(String key, boolean def) {
        String v = conf.get(key);
        if (v == null) return def;
        return v.equals("1");
    }

    private int integer(String key, int def) {
        String v = conf.get(key);
        return v == null ? def : Integer.parseInt(v);
    }

    private Map<String, String> props(String key) {
        String v = conf.get(key);
        return v == null ? Map.of() : QemuOptions.props(key, v);
    }

    private static void add(List<String> l, String... a) { l.addAll(List.of(a)); }

    private QemuCommand build() {
        Map<String, String> machine = props("machine");
        String mtype = machine.getOrDefault("type", "pc");
        q35 = mtype.contains("q35");
        String machineType = pinMachine(mtype);
        boolean kvm = bool("kvm", true) && host.kvm();
        String ostype = conf.getOrDefault("ostype", "other");
        boolean windows = ostype.startsWith("w");

        cmd.add(host.qemuBinary());
        // PVE's '-id' exists only in its patched QEMU; the pidfile path identifies the VM instead
        add(cmd, "-name", conf.getOrDefault("name", "vm" + vmid) + ",debug-threads=on");
        add(cmd, "-chardev", "socket,id=qmp,path=" + paths.qmp(vmid) + ",server=on,wait=off");
        add(cmd, "-mon", "chardev=qmp,mode=control");
        add(cmd, "-pidfile", paths.pid(vmid).toString());
        cmd.add("-daemonize");

        Map<String, String> smbios = props("smbios1");
        if (!smbios.isEmpty()) add(cmd, "-smbios", smbiosArg(smbios));

        // firmware
        if ("ovmf".equals(get("bios"))) ovmf();

        // cpu topology
        int sockets = integer("sockets", 1);
        int cores = integer("cores", 1);
        int maxcpus = sockets * cores;
        int vcpus = integer("vcpus", 0) > 0 ? integer("vcpus", 0) : maxcpus;
        if (vcpus > maxcpus) throw new ConfigError("MAX " + maxcpus + " vcpus allowed per VM on this node");
        add(cmd, "-smp", vcpus + ",sockets=" + sockets + ",cores=" + cores + ",maxcpus=" + maxcpus);
        cmd.add("-nodefaults");
        add(cmd, "-boot", "menu=on,strict=on,reboot-timeout=1000");
        add(cmd, "-vnc", "unix:" + paths.vnc(vmid) + ",password=on");
        add(cmd, "-cpu", cpuArg(kvm, windows));
        memory(sockets);

        // devices in PVE's order; bridges are prepended once we know which buses are used
        vmgenid();
        usb();
        vga();
        agent();
        balloon();
        watchdog();
        serial();
        parallel();
        rng();
        drives();
        nets();
        hostpci();

        // PCI bridges for i440fx (pci.1 … pci.3); q35 gets its DMI bridge and pci.0 behind it
        if (q35) {
            add(cmd, "-device", "i82801b11-bridge,id=pcidmi,bus=pcie.0,addr=0x1e");
            add(cmd, "-device", "pci-bridge,id=pci.0,chassis_nr=1,bus=pcidmi,addr=0x1");
            for (String b : List.of("pci.1", "pci.2", "pci.3")) {
                if (bridges.contains(b)) {
                    int n = b.charAt(4) - '0';
                    add(cmd, "-device", "pci-bridge,id=" + b + ",chassis_nr=" + (n + 1) + ",bus=pci.0,addr=0x" + Integer.toHexString(n + 1));
                }
            }
        } else {
            if (bridges.contains("pci.1")) add(cmd, "-device", "pci-bridge,id=pci.1,chassis_nr=1,bus=pci.0,addr=0x1e");
            if (bridges.contains("pci.2")) add(cmd, "-device", "pci-bridge,id=pci.2,chassis_nr=2,bus=pci.0,addr=0x1f");
            if (bridges.contains("pci.3")) add(cmd, "-device", "pci-bridge,id=pci.3,chassis_nr=3,bus=pci.0,addr=0x5");
        }
        cmd.addAll(devices);

        if (bool("localtime", windows) || conf.containsKey("startdate")) {
            List<String> rtc = new ArrayList<>();
            if (windows) rtc.add("driftfix=slew");
            String sd = get("startdate");
            if (sd != null && !sd.equals("now")) rtc.add("base=" + sd);
            else if (bool("localtime", windows)) rtc.add("base=localtime");
            if (!rtc.isEmpty()) add(cmd, "-rtc", String.join(",", rtc));
        }
        if (windows && kvm) add(cmd, "-global", "kvm-pit.lost_tick_policy=discard");
        if (!bool("acpi", true)) cmd.add("-no-acpi");
        if (!bool("reboot", true)) cmd.add("-no-reboot");
        if (get("keyboard") != null) add(cmd, "-k", get("keyboard"));

        List<String> mflags = new ArrayList<>();
        mflags.add("type=" + machineType);
        mflags.add("accel=" + (kvm ? "kvm" : "tcg"));
        if ("intel".equals(machine.get("viommu"))) mflags.add("kernel-irqchip=split");
        add(cmd, "-machine", String.join(",", mflags));
        if ("intel".equals(machine.get("viommu"))) add(cmd, "-device", "intel-iommu,intremap=on,caching-mode=on");
        if (get("args") != null) cmd.addAll(splitArgs(get("args")));
        return new QemuCommand(List.copyOf(cmd), List.copyOf(taps), tpm, efiVars);
    }

    private String pinMachine(String type) {
        if (type.equals("pc")) return "pc-i440fx-" + host.machineVersion();
        if (type.equals("q35")) return "pc-q35-" + host.machineVersion();
        // versions with PVE's '+pveN' suffix do not exist in Debian's QEMU
        return type.replaceAll("\\+pve\\d+", "").replace(".pxe", "");
    }

    private static String smbiosArg(Map<String, String> s) {
        List<String> parts = new ArrayList<>();
        parts.add("type=1");
        boolean b64 = "1".equals(s.get("base64"));
        for (String k : List.of("family", "manufacturer", "product", "serial", "sku", "uuid", "version")) {
            String v = s.get(k);
            if (v == null) continue;
            if (b64 && !k.equals("uuid")) v = new String(java.util.Base64.getDecoder().decode(v), java.nio.charset.StandardCharsets.UTF_8);
            parts.add(k + "=" + v.replace(",", ",,"));
        }
        return String.join(",", parts);
    }

    private void ovmf() {
        Map<String, String> efi = props("efidisk0");
        boolean fourMeg = "4m".equals(efi.getOrDefault("efitype", "2m"));
        add(cmd, "-drive", "if=pflash,unit=0,format=raw,readonly=on,file=" + host.ovmfCode(fourMeg));
        String varsPath;
        String format = "raw";
        if (efi.isEmpty()) {
            // without an EFI disk PVE uses a temporary copy of the template; we keep it beside the runtime files
            varsPath = paths.dir().resolve(vmid + ".efivars.fd").toString();
        } else {
            Volume v = volumes.resolve(efi.get("file"));
            varsPath = v.path();
            format = v.format() == null ? efi.getOrDefault("format", "raw") : v.format();
        }
        efiVars = new QemuCommand.EfiVars(varsPath, host.ovmfVars(fourMeg), format);
        add(cmd, "-drive", "if=pflash,unit=1,id=drive-efidisk0,format=" + format + ",file=" + varsPath);
    }

    /** PVE's x86-64 ABI level models, defined on top of qemu64. */
    private static final Map<String, List<String>> X86_64_LEVELS;
    static {
        List<String> v2 = List.of("+cx16", "+lahf_lm", "+popcnt", "+pni", "+sse4.1", "+sse4.2", "+ssse3");
        List<String> v2aes = new ArrayList<>(List.of("+aes"));
        v2aes.addAll(v2);
        List<String> v3 = new ArrayList<>(v2aes);
        v3.addAll(List.of("+avx", "+avx2", "+bmi1", "+bmi2", "+f16c", "+fma", "+abm", "+movbe", "+xsave"));
        List<String> v4 = new ArrayList<>(v3);
        v4.addAll(List.of("+avx512f", "+avx512bw", "+avx512cd", "+avx512dq", "+avx512vl"));
        X86_64_LEVELS = Map.of("x86-64-v2", v2, "x86-64-v2-AES", List.copyOf(v2aes), "x86-64-v3", List.copyOf(v3), "x86-64-v4", List.copyOf(v4));
    }

    private String cpuArg(boolean kvm, boolean windows) {
        Map<String, String> cpu = props("cpu");
        String model = cpu.getOrDefault("cputype", "kvm64");
        if (model.startsWith("custom-")) model = "kvm64";
        if (!kvm && model.equals("host")) model = "max";
        List<String> flags = new ArrayList<>();
        List<String> extra = X86_64_LEVELS.get(model);
        if (extra != null) model = "qemu64";
        flags.add(model);
        if (kvm && host.cpuEnforce()) flags.add("enforce");
        if (extra != null) flags.addAll(extra);
        if (extra == null && (model.equals("kvm64") || model.equals("qemu64"))) {
            if (kvm) { flags.add("+kvm_pv_eoi"); flags.add("+kvm_pv_unhalt"); }
            flags.add("+lahf_lm");
            flags.add("+sep");
        } else if (kvm && !model.equals("host") && !model.equals("max")) {
            flags.add("+kvm_pv_eoi");
            flags.add("+kvm_pv_unhalt");
        }
        if (kvm && windows) {
            flags.addAll(List.of("hv_ipi", "hv_relaxed", "hv_reset", "hv_runtime", "hv_spinlocks=0x1fff", "hv_stimer",
                    "hv_synic", "hv_time", "hv_vapic", "hv_vpindex"));
            if (cpu.get("hv-vendor-id") != null) flags.add("hv_vendor_id=" + cpu.get("hv-vendor-id"));
        }
        if ("1".equals(cpu.get("hidden"))) flags.add("kvm=off");
        String pb = cpu.get("phys-bits");
        if (pb != null) flags.add(pb.equals("host") ? "host-phys-bits=true" : "phys-bits=" + pb);
        String f = cpu.get("flags");
        if (f != null) for (String fl : f.split(";")) if (!fl.isEmpty()) flags.add(fl);
        return String.join(",", flags);
    }

    private void memory(int sockets) {
        Map<String, String> mem = props("memory");
        int memory = Integer.parseInt(mem.getOrDefault("current", "512"));
        add(cmd, "-m", Integer.toString(memory));
        if (!bool("numa", false)) return;
        TreeMap<Integer, Map<String, String>> nodes = new TreeMap<>();
        for (int i = 0; i < 8; i++) if (conf.containsKey("numa" + i)) nodes.put(i, props("numa" + i));
        int cores = integer("cores", 1);
        if (nodes.isEmpty()) {
            // one node per socket, memory split evenly (PVE's default)
            if (memory % sockets != 0) throw new ConfigError("total memory for NUMA nodes must be equal to vm static memory");
            for (int i = 0; i < sockets; i++) {
                int from = i * cores, to = from + cores - 1;
                add(cmd, "-object", "memory-backend-ram,id=ram-node" + i + ",size=" + (memory / sockets) + "M");
                add(cmd, "-numa", "node,nodeid=" + i + ",cpus=" + (from == to ? "" + from : from + "-" + to) + ",memdev=ram-node" + i);
            }
            return;
        }
        long total = 0;
        for (var e : nodes.entrySet()) {
            Map<String, String> n = e.getValue();
            String m = n.get("memory");
            if (m == null) throw new ConfigError("missing NUMA node" + e.getKey() + " memory value");
            long size = (long) Double.parseDouble(m);
            total += size;
            StringBuilder obj = new StringBuilder("memory-backend-ram,id=ram-node" + e.getKey() + ",size=" + size + "M");
            if (n.get("hostnodes") != null) {
                obj.append(",host-nodes=").append(n.get("hostnodes").replace(';', ',')).append(",policy=").append(n.getOrDefault("policy", "preferred"));
            }
            add(cmd, "-object", obj.toString());
            StringBuilder node = new StringBuilder("node,nodeid=" + e.getKey());
            for (String c : n.get("cpus").split(";")) node.append(",cpus=").append(c);
            node.append(",memdev=ram-node").append(e.getKey());
            add(cmd, "-numa", node.toString());
        }
        if (total != memory) throw new ConfigError("total memory for NUMA nodes must be equal to vm static memory");
    }

    // ---- PCI addressing (PVE's PCI.pm map) ------------------------------------------------------

    private static final Map<String, int[]> PCI = new LinkedHashMap<>();
    static {
        Object[][] map = {
                {"piix3", 0, 1}, {"vga", 0, 2}, {"balloon0", 0, 3}, {"watchdog", 0, 4}, {"scsihw0", 0, 5},
                {"scsihw1", 0, 6}, {"ahci0", 0, 7}, {"qga0", 0, 8}, {"virtio0", 0, 10}, {"virtio1", 0, 11},
                {"virtio2", 0, 12}, {"virtio3", 0, 13}, {"virtio4", 0, 14}, {"virtio5", 0, 15},
                {"hostpci0", 0, 16}, {"hostpci1", 0, 17}, {"net0", 0, 18}, {"net1", 0, 19}, {"net2", 0, 20},
                {"net3", 0, 21}, {"net4", 0, 22}, {"net5", 0, 23}, {"hostpci2", 0, 27}, {"hostpci3", 0, 28},
                {"xhci", 1, 27}, {"rng0", 1, 29}, {"audio0", 2, 12}, {"ivshmem", 2, 11},
                {"scsihw2", 4, 1}, {"scsihw3", 4, 2}, {"scsihw4", 4, 3}};
        for (Object[] o : map) PCI.put((String) o[0], new int[]{(int) o[1], (int) o[2]});
        for (int i = 6; i <= 31; i++) PCI.put("net" + i, new int[]{1, i - 5});
        for (int i = 6; i <= 15; i++) PCI.put("virtio" + i, new int[]{2, i - 5});
        for (int i = 4; i <= 15; i++) PCI.put("hostpci" + i, new int[]{2, i + 9});
        for (int i = 0; i <= 30; i++) PCI.put("virtioscsi" + i, new int[]{3, i + 1});
    }

    /** {@code bus=pci.N,addr=0xNN} for a device id, registering the bridge it needs. */
    private String pciAddr(String id) {
        int[] a = PCI.get(id);
        if (a == null) throw new ConfigError("unable to find PCI address for '" + id + "'");
        String bus = "pci." + a[0];
        if (a[0] > 0) bridges.add(bus);
        if (a[0] == 4) throw new ConfigError("no PCI bridge for '" + id + "'");
        if (q35 && id.equals("vga")) return "bus=pcie.0,addr=0x1";
        return "bus=" + bus + ",addr=0x" + Integer.toHexString(a[1]);
    }

    // ---- devices ----------------------------------------------------------------------------------

    private void vmgenid() {
        String g = get("vmgenid");
        if (g != null && !g.equals("0") && !g.equals("1")) add(devices, "-device", "vmgenid,guid=" + g);
    }

    private String usbBus() {
        return q35 ? "ehci.0" : "uhci.0";
    }

    private void usb() {
        Map<String, String> vga = props("vga");
        String vtype = vga.getOrDefault("type", "std");
        boolean tablet = bool("tablet", true) && !vtype.equals("none") && !vtype.startsWith("serial");
        List<String> usbDevs = new ArrayList<>();
        boolean xhci = false;
        for (int i = 0; i < 14; i++) {
            if (!conf.containsKey("usb" + i)) continue;
            Map<String, String> u = props("usb" + i);
            if ("1".equals(u.get("usb3"))) xhci = true;
            usbDevs.add("usb" + i);
        }
        if (!tablet && usbDevs.isEmpty()) return;
        if (q35) {
            add(devices, "-device", "ich9-usb-ehci1,id=ehci,multifunction=on,bus=pcie.0,addr=0x1d.0x7");
            add(devices, "-device", "ich9-usb-uhci1,id=uhci-1,masterbus=ehci.0,firstport=0,bus=pcie.0,addr=0x1d.0x0,multifunction=on");
            add(devices, "-device", "ich9-usb-uhci2,id=uhci-2,masterbus=ehci.0,firstport=2,bus=pcie.0,addr=0x1d.0x1");
            add(devices, "-device", "ich9-usb-uhci3,id=uhci-3,masterbus=ehci.0,firstport=4,bus=pcie.0,addr=0x1d.0x2");
        } else {
            add(devices, "-device", "piix3-usb-uhci,id=uhci,bus=pci.0,addr=0x1.0x2");
        }
        if (xhci) add(devices, "-device", "qemu-xhci,p2=15,p3=15,id=xhci," + pciAddr("xhci"));
        if (tablet) add(devices, "-device", "usb-tablet,id=tablet,bus=" + usbBus() + ",port=1");
        int port = 2;
        for (String key : usbDevs) {
            Map<String, String> u = props(key);
            String h = u.get("host");
            String bus = "1".equals(u.get("usb3")) ? "xhci.0" : usbBus();
            int p = "1".equals(u.get("usb3")) ? Integer.parseInt(key.substring(3)) + 1 : port++;
            if (h == null || h.equalsIgnoreCase("spice")) {
                continue; // spice redirection needs a spice display
            }
            Matcher vp = Pattern.compile("(?:0x)?([0-9A-Fa-f]{4}):(?:0x)?([0-9A-Fa-f]{4})").matcher(h);
            Matcher bp = Pattern.compile("(\\d+)-(\\d+(?:\\.\\d+)*)").matcher(h);
            String sel;
            if (vp.matches()) sel = "vendorid=0x" + vp.group(1) + ",productid=0x" + vp.group(2);
            else if (bp.matches()) sel = "hostbus=" + bp.group(1) + ",hostport=" + bp.group(2);
            else throw new ConfigError("unable to parse usb device '" + h + "'");
            add(devices, "-device", "usb-host,bus=" + bus + ",port=" + p + "," + sel + ",id=" + key);
        }
    }

    private void vga() {
        Map<String, String> vga = props("vga");
        String type = vga.getOrDefault("type", "std");
        if (type.equals("none") || type.startsWith("serial")) return;
        String dev = switch (type) {
            case "cirrus" -> "cirrus-vga";
            case "qxl", "qxl2", "qxl3", "qxl4" -> "qxl-vga";
            case "virtio", "virtio-gl" -> "virtio-vga";
            case "vmware" -> "vmware-svga";
            default -> "VGA";
        };
        StringBuilder sb = new StringBuilder(dev + ",id=vga," + pciAddr("vga"));
        if (vga.get("memory") != null) {
            int mb = Integer.parseInt(vga.get("memory"));
            sb.append(dev.startsWith("qxl") ? ",ram_size=" + (mb * 1024L * 1024) + ",vram_size=" + (mb * 1024L * 1024 / 2) : ",vgamem_mb=" + mb);
        }
        if (dev.equals("cirrus-vga") && !sb.toString().contains("vgamem")) { /* fixed size */ }
        add(devices, "-device", sb.toString());
    }

    private void agent() {
        Map<String, String> a = props("agent");
        if (!"1".equals(a.getOrDefault("enabled", "0"))) return;
        add(devices, "-chardev", "socket,path=" + paths.qga(vmid) + ",server=on,wait=off,id=qga0");
        if ("isa".equals(a.get("type"))) {
            add(devices, "-device", "isa-serial,chardev=qga0");
        } else {
            add(devices, "-device", "virtio-serial,id=qga0," + pciAddr("qga0"));
            add(devices, "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0");
        }
    }

    private void balloon() {
        String b = get("balloon");
        if (b != null && b.equals("0")) return;
        add(devices, "-device", "virtio-balloon-pci,id=balloon0," + pciAddr("balloon0") + ",free-page-reporting=on");
    }

    private void watchdog() {
        Map<String, String> w = props("watchdog");
        if (w.isEmpty()) return;
        String model = w.getOrDefault("model", "i6300esb");
        if (model.equals("i6300esb")) add(devices, "-device", "i6300esb," + pciAddr("watchdog"));
        else add(devices, "-device", "ib700");
        if (w.get("action") != null) add(devices, "-watchdog-action", w.get("action"));
    }

    private void serial() {
        for (int i = 0; i < 4; i++) {
            String s = get("serial" + i);
            if (s == null) continue;
            if (s.equals("socket")) {
                add(devices, "-chardev", "socket,id=serial" + i + ",path=" + paths.serial(vmid, i) + ",server=on,wait=off");
            } else {
                add(devices, "-chardev", "serial,id=serial" + i + ",path=" + s);
            }
            add(devices, "-device", "isa-serial,chardev=serial" + i);
        }
    }

    private void parallel() {
        for (int i = 0; i < 3; i++) {
            String p = get("parallel" + i);
            if (p == null) continue;
            add(devices, "-chardev", "parport,id=parallel" + i + ",path=" + p);
            add(devices, "-device", "isa-parallel,chardev=parallel" + i);
        }
    }

    private void rng() {
        Map<String, String> r = props("rng0");
        if (r.isEmpty()) return;
        add(devices, "-object", "rng-random,filename=" + r.get("source") + ",id=rng0");
        StringBuilder d = new StringBuilder("virtio-rng-pci,rng=rng0");
        d.append(",max-bytes=").append(r.getOrDefault("max_bytes", "1024"));
        d.append(",period=").append(r.getOrDefault("period", "1000"));
        d.append(',').append(pciAddr("rng0"));
        add(devices, "-device", d.toString());
    }

    // ---- boot order ---------------------------------------------------------------------------------

    /** Device → bootindex (100, 101, …) from {@code boot: order=…} or the legacy {@code cdn} letters. */
    Map<String, Integer> bootIndexes() {
        Map<String, Integer> out = new LinkedHashMap<>();
        Map<String, String> boot = props("boot");
        List<String> order = new ArrayList<>();
        if (boot.get("order") != null) {
            for (String d : boot.get("order").split(";")) if (!d.isEmpty()) order.add(d);
        } else {
            String legacy = boot.getOrDefault("legacy", "cdn");
            if (!BOOT_LEGACY.matcher(legacy).matches()) legacy = "cdn";
            String bootdisk = get("bootdisk");
            for (char c : legacy.toCharArray()) {
                switch (c) {
                    case 'c' -> {
                        if (bootdisk != null && conf.containsKey(bootdisk)) order.add(bootdisk);
                        else for (String k : driveKeys()) if (!isCdrom(k)) { order.add(k); break; }
                    }
                    case 'd' -> { for (String k : driveKeys()) if (isCdrom(k)) order.add(k); }
                    case 'n' -> { for (int i = 0; i < 32; i++) if (conf.containsKey("net" + i)) order.add("net" + i); }
                    default -> { }
                }
            }
        }
        int idx = 100;
        for (String d : order) if (!out.containsKey(d)) out.put(d, idx++);
        return out;
    }

    private List<String> driveKeys() {
        List<String> keys = new ArrayList<>();
        for (String bus : List.of("ide", "sata", "scsi", "virtio")) {
            int n = QemuOptions.COUNTS.get(bus);
            for (int i = 0; i < n; i++) if (conf.containsKey(bus + i)) keys.add(bus + i);
        }
        return keys;
    }

    private boolean isCdrom(String key) {
        Map<String, String> d = props(key);
        return "cdrom".equals(d.get("media")) || "cdrom".equals(d.get("file")) || key.equals("cdrom");
    }

    // ---- drives -------------------------------------------------------------------------------------

    private void drives() {
        Map<String, Integer> boot = bootIndexes();
        String scsihw = conf.getOrDefault("scsihw", "lsi");
        Set<String> controllers = new LinkedHashSet<>();
        boolean ahci = false;
        for (String key : driveKeys()) {
            Map<String, String> d = props(key);
            String bus = key.replaceAll("\\d+$", "");
            int index = Integer.parseInt(key.substring(bus.length()));
            boolean cdrom = isCdrom(key);
            add(devices, "-drive", driveArg(key, d, cdrom));
            Integer bi = boot.get(key);
            String bootindex = bi == null ? "" : ",bootindex=" + bi;
            String iothread = "1".equals(d.get("iothread")) ? "iothread-" : null;
            switch (bus) {
                case "ide" -> {
                    String dev = cdrom ? "ide-cd" : "ide-hd";
                    String addr = q35 ? "bus=ide." + index + ",unit=0" : "bus=ide." + (index / 2) + ",unit=" + (index % 2);
                    add(devices, "-device", dev + "," + addr + ",drive=drive-" + key + ",id=" + key + hdOpts(d, cdrom) + bootindex);
                }
                case "sata" -> {
                    if (!ahci) {
                        add(devices, "-device", "ahci,id=ahci0,multifunction=on," + pciAddr("ahci0"));
                        ahci = true;
                    }
                    String dev = cdrom ? "ide-cd" : "ide-hd";
                    add(devices, "-device", dev + ",bus=ahci0." + index + ",drive=drive-" + key + ",id=" + key + hdOpts(d, cdrom) + bootindex);
                }
                case "scsi" -> {
                    String dev = cdrom ? "scsi-cd" : ("1".equals(d.get("scsiblock")) ? "scsi-block" : "scsi-hd");
                    if (scsihw.equals("virtio-scsi-single")) {
                        String ctrl = "virtioscsi" + index;
                        if (iothread != null) add(devices, "-object", "iothread,id=iothread-" + ctrl);
                        add(devices, "-device", "virtio-scsi-pci,id=" + ctrl + "," + pciAddr(ctrl)
                                + (iothread != null ? ",iothread=iothread-" + ctrl : ""));
                        add(devices, "-device", dev + ",bus=" + ctrl + ".0,channel=0,scsi-id=0,lun=0,drive=drive-" + key
                                + ",id=" + key + hdOpts(d, cdrom) + bootindex);
                    } else {
                        int maxdev = scsihw.startsWith("virtio-scsi") ? 256 : 7;
                        int ctrlIndex = index / maxdev;
                        String ctrl = "scsihw" + ctrlIndex;
                        if (controllers.add(ctrl)) {
                            String model = switch (scsihw) {
                                case "virtio-scsi-pci" -> "virtio-scsi-pci";
                                case "megasas" -> "megasas";
                                case "pvscsi" -> "pvscsi";
                                case "lsi53c810" -> "lsi53c810";
                                default -> "lsi";
                            };
                            add(devices, "-device", model + ",id=" + ctrl + "," + pciAddr(ctrl));
                        }
                        String unit = scsihw.startsWith("virtio-scsi")
                                ? "channel=0,scsi-id=0,lun=" + index
                                : "scsi-id=" + (index % maxdev);
                        add(devices, "-device", dev + ",bus=" + ctrl + ".0," + unit + ",drive=drive-" + key + ",id=" + key
                                + hdOpts(d, cdrom) + bootindex);
                    }
                }
                case "virtio" -> {
                    if (iothread != null) add(devices, "-object", "iothread,id=iothread-" + key);
                    add(devices, "-device", "virtio-blk-pci,drive=drive-" + key + ",id=" + key + "," + pciAddr(key)
                            + (iothread != null ? ",iothread=iothread-" + key : "") + hdOpts(d, cdrom) + bootindex);
                }
                default -> throw new ConfigError("unknown drive bus " + bus);
            }
        }
        Map<String, String> tpmState = props("tpmstate0");
        if (!tpmState.isEmpty()) {
            Volume v = volumes.resolve(tpmState.get("file"));
            tpm = new QemuCommand.Tpm(v.path(), tpmState.getOrDefault("version", "v1.2"), paths.swtpm(vmid).toString());
            add(devices, "-chardev", "socket,id=tpmchar,path=" + paths.swtpm(vmid));
            add(devices, "-tpmdev", "emulator,id=tpmdev,chardev=tpmchar");
            add(devices, "-device", "tpm-tis,tpmdev=tpmdev");
        }
    }

    private static String hdOpts(Map<String, String> d, boolean cdrom) {
        StringBuilder sb = new StringBuilder();
        if (cdrom) return "";
        if (d.get("serial") != null) sb.append(",serial=").append(java.net.URLDecoder.decode(d.get("serial"), java.nio.charset.StandardCharsets.UTF_8));
        if (d.get("wwn") != null) sb.append(",wwn=").append(d.get("wwn"));
        if ("1".equals(d.get("ssd"))) sb.append(",rotation_rate=1");
        if (d.get("vendor") != null) sb.append(",vendor=").append(d.get("vendor"));
        if (d.get("product") != null) sb.append(",product=").append(d.get("product"));
        return sb.toString();
    }

    private String driveArg(String key, Map<String, String> d, boolean cdrom) {
        List<String> o = new ArrayList<>();
        String file = d.get("file");
        String format = d.get("format");
        if (file != null && !file.equals("none") && !file.equals("cdrom")) {
            Volume v = volumes.resolve(file);
            o.add("file=" + v.path());
            if (format == null) format = v.format();
        }
        o.add("if=none");
        o.add("id=drive-" + key);
        if (cdrom) {
            o.add("media=cdrom");
            if (format != null && o.get(0).startsWith("file=")) o.add("format=" + format);
            o.add("aio=threads");
            return String.join(",", o);
        }
        if (format != null) o.add("format=" + format);
        String cache = d.get("cache");
        if (cache != null) o.add("cache=" + cache);
        else o.add("cache=none");
        String aio = d.get("aio");
        boolean direct = cache == null || cache.equals("none") || cache.equals("directsync");
        o.add("aio=" + (aio != null ? aio : (direct ? "io_uring" : "threads")));
        if ("on".equals(d.get("discard"))) o.add("discard=unmap");
        if ("1".equals(d.get("ro"))) o.add("readonly=on");
        if (d.get("werror") != null) o.add("werror=" + d.get("werror"));
        if (d.get("rerror") != null) o.add("rerror=" + d.get("rerror"));
        if ("1".equals(d.get("snapshot"))) o.add("snapshot=on");
        if (!"0".equals(d.get("detect_zeroes"))) o.add("detect-zeroes=" + ("on".equals(d.get("discard")) ? "unmap" : "on"));
        throttle(d, o);
        return String.join(",", o);
    }

    private static void throttle(Map<String, String> d, List<String> o) {
        String[][] map = {{"mbps", "throttling.bps-total"}, {"mbps_rd", "throttling.bps-read"}, {"mbps_wr", "throttling.bps-write"},
                {"mbps_max", "throttling.bps-total-max"}, {"mbps_rd_max", "throttling.bps-read-max"}, {"mbps_wr_max", "throttling.bps-write-max"}};
        for (String[] m : map) {
            String v = d.get(m[0]);
            if (v != null) o.add(m[1] + "=" + (long) (Double.parseDouble(v) * 1024 * 1024));
        }
        String[][] direct = {{"bps", "throttling.bps-total"}, {"bps_rd", "throttling.bps-read"}, {"bps_wr", "throttling.bps-write"},
                {"iops", "throttling.iops-total"}, {"iops_rd", "throttling.iops-read"}, {"iops_wr", "throttling.iops-write"},
                {"iops_max", "throttling.iops-total-max"}, {"iops_rd_max", "throttling.iops-read-max"}, {"iops_wr_max", "throttling.iops-write-max"},
                {"iops_max_length", "throttling.iops-total-max-length"}, {"iops_rd_max_length", "throttling.iops-read-max-length"},
                {"iops_wr_max_length", "throttling.iops-write-max-length"}, {"bps_max_length", "throttling.bps-total-max-length"},
                {"bps_rd_max_length", "throttling.bps-read-max-length"}, {"bps_wr_max_length", "throttling.bps-write-max-length"}};
        for (String[] m : direct) {
            String v = d.get(m[0]);
            if (v != null) o.add(m[1] + "=" + v);
        }
    }

    // ---- nics ---------------------------------------------------------------------------------------

    private void nets() {
        Map<String, Integer> boot = bootIndexes();
        for (int i = 0; i < 32; i++) {
            String key = "net" + i;
            if (!conf.containsKey(key)) continue;
            Map<String, String> n = props(key);
            String model = n.get("model");
            String mac = n.get("macaddr");
            String bridge = n.get("bridge");
            List<String> nd = new ArrayList<>();
            if (bridge != null) {
                String tap = host.tap(vmid, i);
                taps.add(new QemuCommand.Tap(tap, bridge, n.get("tag") == null ? null : Integer.parseInt(n.get("tag")),
                        n.get("trunks"), n.get("mtu") == null ? null : Integer.parseInt(n.get("mtu")), "1".equals(n.get("firewall"))));
                nd.add("type=tap");
                nd.add("id=" + key);
                nd.add("ifname=" + tap);
                nd.add("script=" + host.bridgeScript());
                nd.add("downscript=no");
                if (model.equals("virtio") && host.vhostNet()) nd.add("vhost=on");
                if (model.equals("virtio") && n.get("queues") != null && Integer.parseInt(n.get("queues")) > 1) nd.add("queues=" + n.get("queues"));
            } else {
                nd.add("type=user");
                nd.add("id=" + key);
                nd.add("hostname=" + conf.getOrDefault("name", "vm" + vmid));
            }
            add(devices, "-netdev", String.join(",", nd));
            String dev = switch (model) {
                case "virtio" -> "virtio-net-pci";
                case "e1000-82540em", "e1000-82544gc", "e1000-82545em" -> model;
                default -> model;
            };
            StringBuilder d = new StringBuilder(dev);
            if (mac != null) d.append(",mac=").append(mac);
            d.append(",netdev=").append(key).append(',').append(pciAddr(key)).append(",id=").append(key);
            if (model.equals("virtio")) {
                d.append(",rx_queue_size=1024,tx_queue_size=256");
                if (n.get("queues") != null && Integer.parseInt(n.get("queues")) > 1) {
                    d.append(",mq=on,vectors=").append(2 * Integer.parseInt(n.get("queues")) + 2);
                }
                if (n.get("mtu") != null) d.append(",host_mtu=").append(n.get("mtu"));
            }
            Integer bi = boot.get(key);
            if (bi != null) d.append(",bootindex=").append(bi);
            add(devices, "-device", d.toString());
        }
    }

    private void hostpci() {
        for (int i = 0; i < 16; i++) {
            String key = "hostpci" + i;
            if (!conf.containsKey(key)) continue;
            Map<String, String> h = props(key);
            String host = h.get("host");
            if (host == null) throw new ConfigError("hostpci" + i + ": either 'host' or 'mapping' must be set.");
            String[] ids = host.split(";");
            for (int f = 0; f < ids.length; f++) {
                String id = ids[f].contains(":") && ids[f].indexOf(':') == ids[f].lastIndexOf(':') ? "0000:" + ids[f] : ids[f];
                if (!id.contains(".")) id = id + ".0";
                StringBuilder d = new StringBuilder("vfio-pci,host=" + id + ",id=" + key + (ids.length > 1 ? "." + f : ""));
                d.append(',').append(pciAddr(key));
                if (ids.length > 1) d.append('.').append(f).append(f == 0 ? ",multifunction=on" : "");
                if ("0".equals(h.get("rombar"))) d.append(",rombar=0");
                if ("1".equals(h.get("x-vga"))) d.append(",x-vga=on");
                add(devices, "-device", d.toString());
            }
        }
    }

    // ---- args -----------------------------------------------------------------------------------------

    /** PVE::Tools::split_args: shell-like words with single and double quotes. */
    public static List<String> splitArgs(String s) {
        List<String> out = new ArrayList<>();
        StringBuilder cur = new StringBuilder();
        boolean inWord = false;
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == quote) { quote = 0; continue; }
                if (c == '\\' && quote == '"' && i + 1 < s.length()) { cur.append(s.charAt(++i)); continue; }
                cur.append(c);
                continue;
            }
            if (c == '\'' || c == '"') { quote = c; inWord = true; continue; }
            if (c == '\\' && i + 1 < s.length()) { cur.append(s.charAt(++i)); inWord = true; continue; }
            if (Character.isWhitespace(c)) {
                if (inWord) { out.add(cur.toString()); cur.setLength(0); inWord = false; }
                continue;
            }
            cur.append(c);
            inWord = true;
        }
        if (quote != 0) throw new ConfigError("unable to parse args - unbalanced quotes");
        if (inWord) out.add(cur.toString());
        return out;
    }
}
