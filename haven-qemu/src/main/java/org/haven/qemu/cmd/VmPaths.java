package org.haven.qemu.cmd;

import java.nio.file.Path;

/** The runtime files of VMs below one directory (PVE: {@code /var/run/qemu-server}). */
public record VmPaths(Path dir) {
    public Path qmp(int vmid) { return dir.resolve(vmid + ".qmp"); }
    public Path pid(int vmid) { return dir.resolve(vmid + ".pid"); }
    public Path vnc(int vmid) { return dir.resolve(vmid + ".vnc"); }
    public Path qga(int vmid) { return dir.resolve(vmid + ".qga"); }
    public Path serial(int vmid, int n) { return dir.resolve(vmid + ".serial" + n); }
    public Path swtpm(int vmid) { return dir.resolve(vmid + ".swtpm"); }
    public Path swtpmPid(int vmid) { return dir.resolve(vmid + ".swtpm.pid"); }
    public Path swtpmLog(int vmid) { return dir.resolve(vmid + ".swtpm.log"); }
    /** Per-tap settings read by the bridge script ({@code tap100i0.net}). */
    public Path tapConf(String tap) { return dir.resolve(tap + ".net"); }
}
