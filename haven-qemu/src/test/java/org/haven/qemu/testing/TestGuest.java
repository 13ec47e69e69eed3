package org.haven.qemu.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.haven.core.testing.Tools;
import org.junit.jupiter.api.Assertions;

/**
 * A tiny Linux guest for tests, built from Debian packages on the host: the kernel of
 * {@code linux-image-cloud-amd64} and an initramfs made of {@code busybox-static}, a few kernel modules and
 * (when installed) {@code qemu-ga} with its libraries. The init script prints {@link #MARKER} on the serial
 * console every second, powers off when the ACPI power button is pressed, and runs the guest agent on its
 * virtio port.
 */
public final class TestGuest {
    public static final String MARKER = "HAVEN-GUEST-UP";

    private TestGuest() {}

    /** The newest installed kernel image, if any. */
    public static Optional<Path> kernel() {
        try (Stream<Path> s = Files.list(Path.of("/boot"))) {
            return s.filter(p -> p.getFileName().toString().startsWith("vmlinuz-")).sorted().reduce((a, b) -> b)
                    .filter(Files::isReadable);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    public static boolean available() {
        return kernel().isPresent() && Files.isExecutable(Path.of("/bin/busybox"))
                && Files.isExecutable(Path.of("/usr/bin/qemu-system-x86_64"));
    }

    /** Fails the test unless a kernel, busybox-static and qemu-system-x86 are installed. */
    public static void require() {
        Tools.require("qemu-system-x86", "/usr/bin/qemu-system-x86_64");
        Tools.require("busybox-static", "/bin/busybox");
        if (kernel().isEmpty()) Assertions.fail("missing a kernel in /boot (Debian package linux-image-cloud-amd64; ./test installs it)");
    }

    static final String INIT = """
            #!/bin/busybox sh
            /bin/busybox --install -s /bin
            mount -t proc proc /proc
            mount -t sysfs sys /sys
            mount -t devtmpfs dev /dev
            for m in button evdev virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console virtio_blk failover net_failover virtio_net; do
                [ -f /lib/modules/$m.ko ] && insmod /lib/modules/$m.ko 2>/dev/null
            done
            (i=0; while true; do i=$((i+1)); echo "HAVEN-GUEST-UP $i"; sleep 1; done) > /dev/ttyS0 2>&1 &
            # report block devices and nics as they appear (hot-plug)
            (seen=""; while true; do for d in /sys/block/vd* /sys/block/sd* /sys/class/net/eth*; do n=${d##*/}; [ -e "$d" ] || continue
                case " $seen " in *" $n "*) ;; *) seen="$seen $n"; echo "HAVEN-DEV $n" ;; esac; done; sleep 1; done) > /dev/ttyS0 2>&1 &
            # with haven.writer=<disk> on the kernel command line: write "HAVEN-WRITE <n>" into sector n of /dev/<disk>,
            # synced, then report it on the console
            w=$(sed -n 's/.*haven\\.writer=\\([a-z0-9]*\\).*/\\1/p' /proc/cmdline)
            if [ -n "$w" ]; then
                (while [ ! -b /dev/$w ]; do sleep 1; done; n=0; while true; do n=$((n+1))
                    printf 'HAVEN-WRITE %d\\n' $n | dd of=/dev/$w bs=512 seek=$n count=1 conv=notrunc,sync,fsync 2>/dev/null && echo "HAVEN-WROTE $n"
                    sleep 0.3; done) > /dev/ttyS0 2>&1 &
            fi
            # the ACPI power button: any event on its input device powers the guest off
            for e in /sys/class/input/event*; do
                if [ "$(cat $e/device/name 2>/dev/null)" = "Power Button" ]; then
                    (dd if=/dev/input/${e##*/} bs=24 count=1 of=/dev/null 2>/dev/null; echo HAVEN-GUEST-POWEROFF > /dev/ttyS0; poweroff -f) &
                fi
            done
            # the guest agent on its virtio port
            if [ -x /usr/sbin/qemu-ga ]; then
                for p in /sys/class/virtio-ports/*; do
                    if [ "$(cat $p/name 2>/dev/null)" = "org.qemu.guest_agent.0" ]; then
                        mkdir -p /var/run /tmp
                        /usr/sbin/qemu-ga -m virtio-serial -p /dev/${p##*/} -d -t /tmp 2>/dev/ttyS0
                    fi
                done
            fi
            while true; do sleep 3600; done
            """;

    /** Build the initramfs (a newc cpio archive) at {@code out}. */
    public static Path buildInitramfs(Path out) {
        try {
            String kver = kernel().orElseThrow().getFileName().toString().substring("vmlinuz-".length());
            Cpio cpio = new Cpio();
            for (String d : List.of("bin", "sbin", "usr", "usr/bin", "usr/sbin", "proc", "sys", "dev", "lib", "lib/modules",
                    "lib64", "lib/x86_64-linux-gnu", "tmp", "var", "var/run", "etc")) cpio.dir(d);
            cpio.file("bin/busybox", Files.readAllBytes(Path.of("/bin/busybox")), 0755);
            cpio.file("init", INIT.getBytes(StandardCharsets.UTF_8), 0755);
            Path mods = Path.of("/lib/modules", kver, "kernel");
            for (String m : List.of("drivers/acpi/button.ko", "drivers/input/evdev.ko", "drivers/virtio/virtio_ring.ko",
                    "drivers/virtio/virtio.ko", "drivers/virtio/virtio_pci_legacy_dev.ko", "drivers/virtio/virtio_pci_modern_dev.ko",
                    "drivers/virtio/virtio_pci.ko", "drivers/char/virtio_console.ko", "drivers/block/virtio_blk.ko",
                    "drivers/net/virtio_net.ko", "drivers/net/net_failover.ko", "net/core/failover.ko")) {
                Path p = mods.resolve(m);
                if (Files.exists(p)) cpio.file("lib/modules/" + p.getFileName(), Files.readAllBytes(p), 0644);
            }
            Path ga = Path.of("/usr/sbin/qemu-ga");
            if (Files.isExecutable(ga)) {
                cpio.file("usr/sbin/qemu-ga", Files.readAllBytes(ga), 0755);
                for (String lib : libraries(ga)) {
                    Path l = Path.of(lib).toRealPath();
                    String dest = lib.startsWith("/") ? lib.substring(1) : lib;
                    cpio.file(dest, Files.readAllBytes(l), 0755);
                }
            }
            Files.write(out, cpio.finish());
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Shared libraries of a binary as ldd lists them (paths as the loader looks them up). */
    static List<String> libraries(Path bin) throws IOException {
        Process p = new ProcessBuilder("ldd", bin.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        List<String> libs = new ArrayList<>();
        for (String line : out.split("\n")) {
            line = line.trim();
            int arrow = line.indexOf("=> ");
            String path = arrow >= 0 ? line.substring(arrow + 3) : line;
            int sp = path.indexOf(' ');
            if (sp > 0) path = path.substring(0, sp);
            if (path.startsWith("/")) libs.add(path);
        }
        return libs;
    }

    /** Kernel arguments for the test guest, as a VM's {@code args:} option. */
    /** The counter values the guest printed so far, in order. */
    public static java.util.List<Integer> counters(String console) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(MARKER + " (\\d+)").matcher(console);
        while (m.find()) out.add(Integer.parseInt(m.group(1)));
        return out;
    }

    public static String args(Path initrd) {
        return "-kernel " + kernel().orElseThrow() + " -initrd " + initrd + " -append 'console=ttyS0 quiet panic=-1'";
    }

    /** {@link #args} for a guest that keeps writing numbered sectors to {@code /dev/<disk>} (see {@link #written}). */
    public static String writerArgs(Path initrd, String disk) {
        return "-kernel " + kernel().orElseThrow() + " -initrd " + initrd + " -append 'console=ttyS0 quiet panic=-1 haven.writer=" + disk + "'";
    }

    /** The sector numbers the writing guest reported as written and synced, in order. */
    public static java.util.List<Integer> written(String console) {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("HAVEN-WROTE (\\d+)").matcher(console);
        while (m.find()) out.add(Integer.parseInt(m.group(1)));
        return out;
    }

    /** Sector {@code n} of a raw disk image as the writing guest leaves it. */
    public static String sectorText(int n) { return "HAVEN-WRITE " + n + "\n"; }

    /** Minimal newc cpio writer. */
    static final class Cpio {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private int ino = 1;

        void dir(String name) { entry(name, 040755, new byte[0]); }
        void file(String name, byte[] data, int perm) { entry(name, 0100000 | perm, data); }

        private void entry(String name, int mode, byte[] data) {
            byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
            StringBuilder h = new StringBuilder("070701");
            long[] fields = {ino++, mode, 0, 0, (mode & 040000) != 0 ? 2 : 1, 0, data.length, 0, 0, 0, 0, n.length, 0};
            for (long f : fields) h.append(String.format("%08x", f));
            out.writeBytes(h.toString().getBytes(StandardCharsets.US_ASCII));
            out.writeBytes(n);
            pad();
            out.writeBytes(data);
            pad();
        }

        private void pad() { while (out.size() % 4 != 0) out.write(0); }

        byte[] finish() {
            entry("TRAILER!!!", 0, new byte[0]);
            while (out.size() % 512 != 0) out.write(0);
            return out.toByteArray();
        }
    }
}
