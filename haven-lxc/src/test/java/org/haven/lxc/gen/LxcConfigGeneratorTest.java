package org.haven.lxc.gen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import java.util.Set;

import org.haven.guest.config.GuestConfig;
import org.haven.lxc.config.CtConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LxcConfigGeneratorTest {

    static final HostFacts V2 = new HostFacts(2, true, true, List.of(0, 1, 2, 3), new HostFacts.IdRange(100000, 65536),
            new HostFacts.IdRange(100000, 65536), "/usr/share/lxc/config", Set.of("common.conf", "userns.conf", "debian.common.conf", "nesting.conf"));
    static final HostFacts V1 = new HostFacts(1, false, false, List.of(0, 1), null, null, "/usr/share/lxc/config", Set.of("common.conf", "userns.conf"));

    static CtConfig conf(String text) { return CtConfig.of(GuestConfig.parse(text).current()); }

    @Test
    void debianUnprivilegedOnCgroupV2WithAppArmor() {
        CtConfig c = conf("""
                arch: amd64
                cores: 2
                cpulimit: 1.5
                cpuunits: 200
                features: nesting=1
                hostname: web
                memory: 1024
                mp0: local:100/vm-100-disk-1.raw,mp=/srv/data,ro=1
                mp1: /tank/share,mp=/share
                net0: name=eth0,bridge=vmbr0,hwaddr=BC:24:11:5F:3A:0E,ip=192.0.2.50/24,gw=192.0.2.1,mtu=1400,tag=20,type=veth
                ostype: debian
                rootfs: local:100/vm-100-disk-0.raw,size=8G
                swap: 256
                unprivileged: 1
                lxc.cgroup2.devices.allow: c 10:200 rwm
                """);
        String out = LxcConfigGenerator.generate(100, c, V2, "/var/lib/lxc/100/rootfs",
                Map.of("mp0", "/run/mp/100/mp0", "mp1", "/tank/share"), false);
        assertThat(out).isEqualTo("""
                lxc.arch = amd64
                lxc.include = /usr/share/lxc/config/debian.common.conf
                lxc.include = /usr/share/lxc/config/userns.conf
                lxc.include = /usr/share/lxc/config/nesting.conf
                lxc.apparmor.profile = generated
                lxc.apparmor.allow_nesting = 1
                lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
                lxc.monitor.unshare = 1
                lxc.idmap = u 0 100000 65536
                lxc.idmap = g 0 100000 65536
                lxc.tty.max = 2
                lxc.environment = TERM=linux
                lxc.uts.name = web
                lxc.cgroup2.memory.max = 1073741824
                lxc.cgroup2.memory.swap.max = 268435456
                lxc.cgroup2.cpu.max = 150000 100000
                lxc.cgroup2.cpu.weight = 200
                lxc.cgroup2.cpuset.cpus = 0-1
                lxc.rootfs.path = /var/lib/lxc/100/rootfs
                lxc.net.0.type = veth
                lxc.net.0.veth.pair = veth100i0
                lxc.net.0.hwaddr = BC:24:11:5F:3A:0E
                lxc.net.0.name = eth0
                lxc.net.0.link = vmbr0
                lxc.net.0.flags = up
                lxc.net.0.mtu = 1400
                lxc.net.0.veth.vlan.id = 20
                lxc.mount.entry = /tank/share share none bind,create=dir 0 0
                lxc.mount.entry = /run/mp/100/mp0 srv/data none bind,ro,create=dir 0 0
                lxc.cgroup2.devices.allow = c 10:200 rwm
                """);
    }

    @Test
    void unmanagedOnCgroupV1WithLxcAddresses() {
        CtConfig c = conf("""
                console: 0
                memory: 256
                net0: name=eth0,bridge=br-t,hwaddr=BC:24:11:00:00:01,ip=10.9.0.2/24,gw=10.9.0.1,ip6=fd00::2/64,trunks=3;4,link_down=1,type=veth
                net1: name=eth1,bridge=br-t,hwaddr=BC:24:11:00:00:02,ip=dhcp,type=veth
                ostype: unmanaged
                rootfs: local:101/vm-101-disk-0.raw,size=1G
                tty: 1
                """);
        String out = LxcConfigGenerator.generate(101, c, V1, "/d/lxc/101/rootfs", Map.of(), true);
        assertThat(out).isEqualTo("""
                lxc.arch = amd64
                lxc.include = /usr/share/lxc/config/common.conf
                lxc.mount.auto = proc:mixed sys:mixed cgroup:mixed
                lxc.monitor.unshare = 1
                lxc.tty.max = 1
                lxc.console.path = none
                lxc.environment = TERM=linux
                lxc.uts.name = CT101
                lxc.cgroup.memory.limit_in_bytes = 268435456
                lxc.cgroup.cpu.shares = 1024
                lxc.rootfs.path = /d/lxc/101/rootfs
                lxc.net.0.type = veth
                lxc.net.0.veth.pair = veth101i0
                lxc.net.0.hwaddr = BC:24:11:00:00:01
                lxc.net.0.name = eth0
                lxc.net.0.link = br-t
                lxc.net.0.veth.vlan.tagged.id = 3
                lxc.net.0.veth.vlan.tagged.id = 4
                lxc.net.0.ipv4.address = 10.9.0.2/24
                lxc.net.0.ipv4.gateway = 10.9.0.1
                lxc.net.0.ipv6.address = fd00::2/64
                lxc.net.1.type = veth
                lxc.net.1.veth.pair = veth101i1
                lxc.net.1.hwaddr = BC:24:11:00:00:02
                lxc.net.1.name = eth1
                lxc.net.1.link = br-t
                lxc.net.1.flags = up
                """);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        // config lines (\n-separated) | cgroup | expected limit lines (; separated)
        "memory: 512                 | 2 | lxc.cgroup2.memory.max = 536870912;lxc.cgroup2.memory.swap.max = 536870912;lxc.cgroup2.cpu.weight = 100",
        "cpulimit: 0.25              | 2 | lxc.cgroup2.memory.max = 536870912;lxc.cgroup2.memory.swap.max = 536870912;lxc.cgroup2.cpu.max = 25000 100000;lxc.cgroup2.cpu.weight = 100",
        "cores: 4                    | 2 | lxc.cgroup2.memory.max = 536870912;lxc.cgroup2.memory.swap.max = 536870912;lxc.cgroup2.cpu.weight = 100",
        "cores: 3                    | 2 | lxc.cgroup2.memory.max = 536870912;lxc.cgroup2.memory.swap.max = 536870912;lxc.cgroup2.cpu.weight = 100;lxc.cgroup2.cpuset.cpus = 0-2",
        "swap: 0                     | 1 | lxc.cgroup.memory.limit_in_bytes = 536870912;lxc.cgroup.memory.memsw.limit_in_bytes = 536870912;lxc.cgroup.cpu.shares = 1024",
        "cpulimit: 2                 | 1 | lxc.cgroup.memory.limit_in_bytes = 536870912;lxc.cgroup.memory.memsw.limit_in_bytes = 1073741824;lxc.cgroup.cpu.cfs_period_us = 100000;lxc.cgroup.cpu.cfs_quota_us = 200000;lxc.cgroup.cpu.shares = 1024",
        "cores: 1                    | 1 | lxc.cgroup.memory.limit_in_bytes = 536870912;lxc.cgroup.memory.memsw.limit_in_bytes = 1073741824;lxc.cgroup.cpu.shares = 1024;lxc.cgroup.cpuset.cpus = 0",
    })
    void cgroupLimits(String line, int version, String expected) {
        HostFacts h = new HostFacts(version, true, false, List.of(0, 1, 2, 3), null, null, "/x", Set.of());
        assertThat(LxcConfigGenerator.cgroupLimits(conf(line.strip() + "\n"), h)).containsExactly(expected.split(";"));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"0 | 0", "0,1,2,3 | 0-3", "0,1,2,5,7,8 | 0-2,5,7-8"})
    void cpuList(String cpus, String expected) {
        assertThat(LxcConfigGenerator.cpuList(java.util.Arrays.stream(cpus.split(",")).map(Integer::valueOf).toList())).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"amd64 | amd64", "arm64 | aarch64", "i386 | i386", "armhf | armhf"})
    void arch(String pve, String lxc) {
        assertThat(LxcConfigGenerator.lxcArch(pve)).isEqualTo(lxc);
    }

    @Test
    void subordinateIdRanges() {
        String text = "alice:165536:65536\nroot:100000:65536\nroot:300000:10\nbad:x:y\n";
        assertThat(HostFacts.IdRange.parse(text, "root")).isEqualTo(new HostFacts.IdRange(100000, 65536));
        assertThat(HostFacts.IdRange.parse(text, "alice")).isEqualTo(new HostFacts.IdRange(165536, 65536));
        assertThat(HostFacts.IdRange.parse(text, "bad")).isNull();
        assertThat(HostFacts.IdRange.parse("", "root")).isNull();
    }

    @Test
    void unprivilegedWithoutSubordinateIdsGetsPveDefaultRange() {
        String out = LxcConfigGenerator.generate(1, conf("unprivileged: 1\n"), V1, "/r", Map.of(), false);
        assertThat(out).contains("lxc.include = /usr/share/lxc/config/userns.conf\n")
                .contains("lxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\n");
    }

    @Test
    void customIdmapReplacesTheDefaultOne() {
        String out = LxcConfigGenerator.generate(1, conf("""
                unprivileged: 1
                lxc.idmap: u 0 100000 1005
                lxc.idmap: u 1005 1005 1
                lxc.idmap: g 0 100000 65536
                """), V2, "/r", Map.of(), false);
        assertThat(out).doesNotContain("lxc.idmap = u 0 100000 65536")
                .endsWith("lxc.idmap = u 0 100000 1005\nlxc.idmap = u 1005 1005 1\nlxc.idmap = g 0 100000 65536\n");
        // a map of its own makes a container a user namespace one even without the flag, as in PVE
        assertThat(LxcConfigGenerator.generate(1, conf("lxc.idmap: u 0 100000 65536\nlxc.idmap: g 0 100000 65536\n"), V2, "/r", Map.of(), false))
                .contains("lxc.include = /usr/share/lxc/config/userns.conf\n");
        assertThat(LxcConfigGenerator.generate(1, conf("hostname: p\n"), V2, "/r", Map.of(), false)).doesNotContain("userns.conf", "lxc.idmap");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            // config (lines split by ;)                          | subuid start | map (lxc-usernsexec -m …)                 | root uid | root gid
            "unprivileged: 1                                      | 100000       | u:0:100000:65536 g:0:100000:65536          | 100000   | 100000",
            "unprivileged: 1                                      | 200000       | u:0:200000:65536 g:0:200000:65536          | 200000   | 200000",
            "unprivileged: 0                                      | 100000       | ''                                         | 0        | 0",
            "'lxc.idmap: u 0 300000 10; lxc.idmap: g 0 400000 10' | 100000       | u:0:300000:10 g:0:400000:10                | 300000   | 400000",
            "'unprivileged: 1; lxc.idmap: u 1 5 1'               | 100000       | u:1:5:1                                    | 0        | 0",
    })
    void idMap(String config, long start, String map, long rootUid, long rootGid) {
        HostFacts host = new HostFacts(2, true, false, List.of(0), new HostFacts.IdRange(start, 65536), new HostFacts.IdRange(start, 65536), "/i", Set.of());
        IdMap m = IdMap.of(conf(config.replace("; ", "\n") + "\n"), host);
        List<String> expected = new java.util.ArrayList<>();
        if (!map.isEmpty()) {
            expected.add("lxc-usernsexec");
            for (String e : map.split(" ")) expected.addAll(List.of("-m", e));
            expected.add("--");
        }
        assertThat(m.usernsexec()).isEqualTo(expected);
        assertThat(m.rootUid()).isEqualTo(rootUid);
        assertThat(m.rootGid()).isEqualTo(rootGid);
    }

    @Test
    void brokenIdmapIsRefused() {
        assertThatThrownBy(() -> IdMap.of(conf("lxc.idmap: x 0 1\n"), V2)).hasMessage("failed to parse idmap: x 0 1");
    }
}
