package org.haven.lxc.setup;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Path resolution inside a rootfs on a real directory tree with symlinks that point out of it. */
class RootFsTest {
    @TempDir Path dir;
    Path root;
    Path outside;

    @BeforeEach
    void tree() throws IOException {
        root = Files.createDirectories(dir.resolve("rootfs"));
        outside = Files.createDirectories(dir.resolve("outside"));
        Files.writeString(outside.resolve("secret"), "outside\n");
        Files.createDirectories(root.resolve("etc"));
        Files.createDirectories(root.resolve("usr/lib"));
        Files.writeString(root.resolve("secret"), "inside\n");
        Files.createSymbolicLink(root.resolve("lib"), Path.of("usr/lib"));
        Files.createSymbolicLink(root.resolve("etc/up"), Path.of("../../../outside/secret"));
        Files.createSymbolicLink(root.resolve("etc/abs"), Path.of("/secret"));
        Files.createSymbolicLink(root.resolve("etc/hostdir"), outside);
        Files.createSymbolicLink(root.resolve("etc/loop"), Path.of("loop"));
    }

    static Stream<Arguments> paths() {
        return Stream.of(
                Arguments.of("/etc/up", true, "outside/secret"),
                Arguments.of("/etc/abs", true, "secret"),
                Arguments.of("/etc/abs", false, "etc/abs"),
                Arguments.of("/lib/x", false, "usr/lib/x"),
                Arguments.of("/../../etc/./up", false, "etc/up"),
                Arguments.of("lib/../secret", true, "usr/secret"));
    }

    @ParameterizedTest
    @MethodSource("paths")
    void resolvesInsideTheRootfs(String ctPath, boolean followLast, String expected) throws IOException {
        RootFs fs = new RootFs(root);
        Path p = fs.resolve(ctPath, followLast);
        assertThat(p).isEqualTo(root.toRealPath().resolve(expected));
    }

    @Test
    void readsFollowLinksInsideAndWritesReplaceTheLink() throws IOException {
        RootFs fs = new RootFs(root);
        assertThat(fs.read("/etc/up")).isNull();
        assertThat(fs.read("/etc/abs")).isEqualTo("inside\n");
        assertThat(fs.read("/etc/hostdir/secret")).isNull();
        assertThat(fs.resolve("/etc/hostdir/secret", true)).isEqualTo(root.toRealPath().resolve(outside.toString().substring(1)).resolve("secret"));
        fs.write("/etc/up", "new\n", 0644);
        assertThat(Files.isSymbolicLink(root.resolve("etc/up"))).isFalse();
        assertThat(Files.readString(root.resolve("etc/up"))).isEqualTo("new\n");
        assertThat(Files.readString(root.resolve("secret"))).isEqualTo("inside\n");
        assertThat(Files.readString(outside.resolve("secret"))).isEqualTo("outside\n");
        assertThatThrownBy(() -> fs.makePath("/etc/hostdir/sub", 0755)).isInstanceOf(IOException.class);
        assertThat(outside.resolve("sub")).doesNotExist();
    }

    @Test
    void symlinkLoopsFail() throws IOException {
        RootFs fs = new RootFs(root);
        assertThatThrownBy(() -> fs.read("/etc/loop")).hasMessageContaining("too many levels of symbolic links");
    }

    @Test
    void pveIgnoreMarkerProtectsAFile() throws IOException {
        RootFs fs = new RootFs(root);
        Files.writeString(root.resolve("etc/hosts"), "mine\n");
        Files.createFile(root.resolve("etc/.pve-ignore.hosts"));
        fs.write("/etc/hosts", "theirs\n", 0644);
        fs.modify("/etc/hosts", "x", ManagedSection.Placement.APPEND, true, 0644);
        assertThat(Files.readString(root.resolve("etc/hosts"))).isEqualTo("mine\n");
    }

    @Test
    void newFilesGetTheModeAndKeptFilesKeepTheirs() throws IOException {
        RootFs fs = new RootFs(root);
        fs.write("/etc/new", "a", 0600);
        assertThat(Files.getPosixFilePermissions(root.resolve("etc/new"))).isEqualTo(RootFs.permissions(0600));
        Files.setPosixFilePermissions(root.resolve("etc/new"), RootFs.permissions(0640));
        fs.write("/etc/new", "b", 0600);
        assertThat(Files.getPosixFilePermissions(root.resolve("etc/new"))).isEqualTo(RootFs.permissions(0640));
        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(RootFs.permissions(0754))).isEqualTo("rwxr-xr--");
    }
}
