package org.haven.lxc.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.SplittableRandom;

import org.haven.core.schema.ParamException;
import org.haven.guest.config.GuestConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class CtConfigTest {

    /** A config as PVE 8 writes it: description, sorted keys, raw lxc keys in file order, a snapshot. */
    static final String PVE_CONF = """
            #web server
            #second line
            arch: amd64
            cmode: shell
            console: 0
            cores: 2
            cpulimit: 1.5
            cpuunits: 200
            features: keyctl=1,nesting=1
            hostname: ct100
            memory: 1024
            mp0: local-lvm:vm-100-disk-1,mp=/mnt/data,backup=1,size=8G
            mp1: /srv/shared,mp=/shared,ro=1
            nameserver: 192.0.2.53
            net0: name=eth0,bridge=vmbr0,firewall=1,gw=192.0.2.1,hwaddr=BC:24:11:5F:3A:0E,ip=192.0.2.50/24,type=veth
            net1: name=eth1,bridge=vmbr1,hwaddr=BC:24:11:00:00:01,ip=dhcp,ip6=auto,mtu=9000,rate=12.5,tag=20,type=veth
            onboot: 1
            ostype: debian
            parent: before
            protection: 1
            rootfs: local-lvm:vm-100-disk-0,size=8G
            searchdomain: example.org
            startup: order=2,up=30
            swap: 256
            tags: prod;web
            timezone: Europe/Vienna
            tty: 3
            unprivileged: 1
            unused0: local-lvm:vm-100-disk-2
            lxc.apparmor.profile: unconfined
            lxc.cgroup2.devices.allow: a
            lxc.mount.entry: /dev/net dev/net none bind,create=dir

            [before]
            arch: amd64
            hostname: ct100
            memory: 512
            ostype: debian
            rootfs: local-lvm:vm-100-disk-0,size=8G
            snaptime: 1700000000
            """;

    @Test
    void aPveWrittenConfigRoundTripsByteForByte() {
        GuestConfig cfg = GuestConfig.parse(PVE_CONF);
        assertThat(cfg.write()).isEqualTo(PVE_CONF);
        // every value printed from the typed model is the value PVE wrote
        CtConfig c = CtConfig.of(cfg.current());
        assertThat(c.rootfs().print()).isEqualTo(cfg.get("rootfs").orElseThrow());
        c.mountPoints().values().forEach(m -> assertThat(m.print()).isEqualTo(cfg.get(m.key()).orElseThrow()));
        c.nets().values().forEach(n -> assertThat(n.print()).isEqualTo(cfg.get(n.key()).orElseThrow()));
        cfg.current().values().forEach((k, v) -> {
            if (LxcOptions.option(k) != null) assertThat(LxcOptions.check(k, v)).as(k).isEqualTo(v);
        });
    }

    @Test
    void typedView() {
        CtConfig c = CtConfig.of(GuestConfig.parse(PVE_CONF).current());
        assertThat(c.arch()).isEqualTo("amd64");
        assertThat(c.cores()).isEqualTo(2);
        assertThat(c.cpulimit()).isEqualTo(1.5);
        assertThat(c.cpuunits()).isEqualTo(200);
        assertThat(c.memory()).isEqualTo(1024);
        assertThat(c.swap()).isEqualTo(256);
        assertThat(c.hostname()).isEqualTo("ct100");
        assertThat(c.unprivileged()).isTrue();
        assertThat(c.protection()).isTrue();
        assertThat(c.feature("nesting")).isTrue();
        assertThat(c.feature("fuse")).isFalse();
        assertThat(c.tty()).isEqualTo(3);
        assertThat(c.console()).isFalse();
        assertThat(c.cmode()).isEqualTo("shell");
        assertThat(c.rawLxc()).extracting(Map.Entry::getKey)
                .containsExactly("lxc.apparmor.profile", "lxc.cgroup2.devices.allow", "lxc.mount.entry");
        assertThat(c.rootfs().kind()).isEqualTo(MountPoint.Kind.VOLUME);
        assertThat(c.rootfs().mp()).isEqualTo("/");
        assertThat(c.mountPoints().get(1).kind()).isEqualTo(MountPoint.Kind.BIND);
        assertThat(c.mountPoints().get(1).ro()).isTrue();
        assertThat(c.mountsInOrder()).extracting(MountPoint::mp).containsExactly("/", "/mnt/data", "/shared");
        Net n1 = c.nets().get(1);
        assertThat(n1.tag()).isEqualTo(20);
        assertThat(n1.mtu()).isEqualTo(9000);
        assertThat(n1.hostIface(100)).isEqualTo("veth100i1");
        assertThat(c.nets().get(0).firewall()).isTrue();
    }

    @Test
    void defaultsAsPve() {
        CtConfig c = CtConfig.of(Map.of());
        assertThat(c.arch()).isEqualTo("amd64");
        assertThat(c.memory()).isEqualTo(512);
        assertThat(c.swap()).isEqualTo(512);
        assertThat(c.tty()).isEqualTo(2);
        assertThat(c.console()).isTrue();
        assertThat(c.cmode()).isEqualTo("tty");
        assertThat(c.cores()).isNull();
        assertThat(c.cpulimit()).isZero();
        assertThat(c.rootfs()).isNull();
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        // key | given | stored
        "net0 | bridge=vmbr0,name=eth0,ip=dhcp | name=eth0,bridge=vmbr0,ip=dhcp",
        "net0 | name=eth0,firewall=yes,ip=10.0.0.2/8 | name=eth0,firewall=1,ip=10.0.0.2/8",
        "net0 | name=eth0,ip=manual,ip6=manual | name=eth0,ip=manual,ip6=manual",
        "rootfs | volume=local:8,acl=1 | local:8,acl=1",
        "rootfs | local:100/vm-100-disk-0.raw,size=8G | local:100/vm-100-disk-0.raw,size=8G",
        "mp3 | size=4G,mp=/data,volume=local:4 | local:4,mp=/data,size=4G",
        "features | nesting=true,keyctl=0 | keyctl=0,nesting=1",
        "unprivileged | true | 1",
        "memory | 2048 | 2048",
        "cpulimit | 0.5 | 0.5",
        "ostype | unmanaged | unmanaged",
        "lxc.cgroup2.devices.allow | c 10:200 rwm | c 10:200 rwm",
    })
    void checkNormalizes(String key, String given, String stored) {
        assertThat(LxcOptions.check(key, given)).isEqualTo(stored);
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', value = {
        "memory | 8",
        "tty | 7",
        "ostype | windows",
        "net0 | bridge=vmbr0",
        "net0 | name=eth0,ip=300.1.1.1/24",
        "net0 | name=eth0,tag=5000",
        "mp0 | local:4",
        "mp256 | local:4,mp=/x",
        "cmode | serial",
        "bogus | 1",
    })
    void checkRefuses(String key, String given) {
        assertThatThrownBy(() -> LxcOptions.checkAll(Map.of(key, given))).isInstanceOf(ParamException.class);
    }

    @Test
    void generatedHwaddrHasTheClusterPrefix() {
        Net n = Net.parse("net0", "name=eth0,bridge=vmbr0").withDefaults("BC:24:11", new SplittableRandom(1));
        assertThat(n.hwaddr()).matches("BC:24:11(:[0-9A-F]{2}){3}");
        assertThat(n.print()).startsWith("name=eth0,bridge=vmbr0,hwaddr=BC:24:11:").endsWith(",type=veth");
        Net kept = Net.parse("net0", "name=eth0,hwaddr=02:00:00:00:00:01").withDefaults("BC:24:11", new SplittableRandom(1));
        assertThat(kept.hwaddr()).isEqualTo("02:00:00:00:00:01");
    }

    @Test
    void volumeKeys() {
        var k = LxcVolumeKeys.INSTANCE;
        assertThat(k.isVolumeKey("rootfs")).isTrue();
        assertThat(k.isVolumeKey("mp255")).isTrue();
        assertThat(k.isVolumeKey("mp256")).isFalse();
        assertThat(k.isVolumeKey("net0")).isFalse();
        assertThat(k.volumeProperty()).isEqualTo("volume");
        assertThat(k.volume("mp0", "local:100/vm-100-disk-1.raw,mp=/d")).isEqualTo("local:100/vm-100-disk-1.raw");
        assertThat(k.volume("mp1", "/srv,mp=/d")).isNull();
        assertThat(k.print("rootfs", k.parse("rootfs", "local:100/x.raw,size=1G"))).isEqualTo("local:100/x.raw,size=1G");
    }
}
