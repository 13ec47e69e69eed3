#!/usr/bin/python3
"""A VM's life through proxmoxer, as a PVE user's script drives it: create, configure, start, snapshot,
stop and delete, reading the generated MAC addresses back. Any failed call ends the script with an error.

usage: proxmoxer_vm.py HOST PORT USER PASSWORD NODE VMID
"""
import re
import sys
import time

from proxmoxer import ProxmoxAPI, ResourceException

host, port, user, password, node, vmid = sys.argv[1:7]
MAC = re.compile(r"^(virtio|e1000)=([0-9A-F]{2}(?::[0-9A-F]{2}){5})(?:,|$)")

api = ProxmoxAPI(host, port=int(port), user=user, password=password, verify_ssl=False, timeout=120)
vm = api.nodes(node).qemu(vmid)


def wait(upid, what):
    for _ in range(600):
        st = api.nodes(node).tasks(upid).status.get()
        if st["status"] == "stopped":
            if st.get("exitstatus") != "OK":
                raise SystemExit("%s failed: %s" % (what, st.get("exitstatus")))
            return
        time.sleep(0.2)
    raise SystemExit("%s did not finish" % what)


def check(cond, what):
    if not cond:
        raise SystemExit("check failed: " + what)


wait(api.nodes(node).qemu.post(vmid=vmid, name="proxmoxer-vm", memory=64, net0="virtio", serial0="socket", vga="serial0"), "create")
vm.config.put(name="proxmoxer-renamed", net1="e1000", description="set by proxmoxer")
conf = vm.config.get()
check(conf["name"] == "proxmoxer-renamed", "name is %r" % conf.get("name"))
macs = {}
for nic in ("net0", "net1"):
    m = MAC.match(conf.get(nic, ""))
    check(m is not None, "%s has no MAC: %r" % (nic, conf.get(nic)))
    macs[nic] = m.group(2)
check(macs["net0"] != macs["net1"], "both NICs have %s" % macs["net0"])

wait(vm.status.start.post(), "start")
check(vm.status.current.get()["status"] == "running", "not running after start")
wait(vm.snapshot.post(snapname="s1", description="by proxmoxer"), "snapshot")
check("s1" in [s["name"] for s in vm.snapshot.get()], "snapshot s1 not listed")
wait(vm.status.stop.post(), "stop")
check(vm.status.current.get()["status"] == "stopped", "not stopped after stop")
check(vm.config.get()["net0"] == conf["net0"], "net0 changed")
wait(vm.delete(), "delete")

try:
    vm.config.get()
    raise SystemExit("config of a deleted VM was answered")
except ResourceException as e:
    # the status line's reason phrase is the error proxmoxer shows
    check("does not exist" in str(e), "error without PVE's reason: %s" % e)

for nic, mac in macs.items():
    print("%s %s" % (nic, mac))
