package org.haven.qemu.migrate;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;

import org.haven.core.cfs.ClusterFs;
import org.haven.guest.config.GuestException;
import org.haven.qemu.run.Proc;
import org.haven.qemu.run.VmManager;

/**
 * TLS for the migration channel from the cluster's certificates (Haven's "secure" migration type, where PVE
 * tunnels through SSH): the target listens with its node certificate ({@code nodes/<node>/pve-ssl.pem|key})
 * and accepts only clients with a certificate signed by the cluster CA; the source presents a short-lived client
 * certificate it signs with the CA key ({@code priv/pve-root-ca.key}) using {@code openssl}.
 */
public final class CfsMigrationTls implements VmManager.MigrationTls {
    private final ClusterFs cfs;
    private final String node;

    public CfsMigrationTls(ClusterFs cfs, String node) {
        this.cfs = cfs;
        this.node = node;
    }

    private String read(String path) {
        return cfs.readString(path).orElseThrow(() -> new GuestException(500, "secure migration: '" + path + "' does not exist"));
    }

    private static void write(Path dir, String name, String content) {
        try {
            Files.createDirectories(dir);
            Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
            Path f = dir.resolve(name);
            Files.deleteIfExists(f);
            Files.createFile(f, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(f, content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void writeServer(Path dir) {
        write(dir, "ca-cert.pem", read("pve-root-ca.pem"));
        write(dir, "server-cert.pem", read("nodes/" + node + "/pve-ssl.pem"));
        write(dir, "server-key.pem", read("nodes/" + node + "/pve-ssl.key"));
    }

    @Override
    public void writeClient(Path dir) {
        write(dir, "ca-cert.pem", read("pve-root-ca.pem"));
        write(dir, "ca-key.pem", read("priv/pve-root-ca.key"));
        write(dir, "ext.cnf", "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=clientAuth\n");
        try {
            run(List.of("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", dir.resolve("client-key.pem").toString(),
                    "-subj", "/OU=PVE Cluster Node/O=Proxmox Virtual Environment/CN=" + node + " migration",
                    "-out", dir.resolve("client.csr").toString()));
            long serial = (System.nanoTime() ^ new java.security.SecureRandom().nextLong()) & Long.MAX_VALUE;
            run(List.of("openssl", "x509", "-req", "-in", dir.resolve("client.csr").toString(), "-CA", dir.resolve("ca-cert.pem").toString(),
                    "-CAkey", dir.resolve("ca-key.pem").toString(), "-set_serial", Long.toString(serial), "-days", "1",
                    "-extfile", dir.resolve("ext.cnf").toString(), "-out", dir.resolve("client-cert.pem").toString()));
        } finally {
            try {
                Files.deleteIfExists(dir.resolve("ca-key.pem"));
                Files.deleteIfExists(dir.resolve("client.csr"));
            } catch (IOException ignored) { }
        }
    }

    private static void run(List<String> cmd) {
        Proc.Result r = Proc.run(cmd, Duration.ofSeconds(30));
        if (!r.ok()) throw new GuestException(500, "secure migration: unable to create the client certificate: " + r.output().trim());
    }
}
