package org.haven.core.testing;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** An OpenLDAP slapd on a free loopback port with the given LDIF, for realm tests; {@link #close} stops it and removes its files. */
public final class Slapd implements AutoCloseable {
    public final Path dir;
    public final int port;
    public final String base;
    private final Process process;

    private Slapd(Path dir, int port, String base, Process process) {
        this.dir = dir;
        this.port = port;
        this.base = base;
        this.process = process;
    }

    public static Slapd start(String base, String rootPassword, String ldif) throws Exception {
        Path dir = Files.createTempDirectory("haven-slapd");
        Files.createDirectories(dir.resolve("db"));
        int port;
        try (ServerSocket s = new ServerSocket(0)) { port = s.getLocalPort(); }
        Files.writeString(dir.resolve("slapd.conf"), """
                include /etc/ldap/schema/core.schema
                include /etc/ldap/schema/cosine.schema
                include /etc/ldap/schema/inetorgperson.schema
                include /etc/ldap/schema/nis.schema
                pidfile %1$s/slapd.pid
                modulepath /usr/lib/ldap
                moduleload back_mdb
                database mdb
                maxsize 16777216
                suffix "%2$s"
                rootdn "cn=admin,%2$s"
                rootpw %3$s
                directory %1$s/db
                access to attrs=userPassword by self read by anonymous auth by * none
                access to * by * read
                """.formatted(dir, base, rootPassword));
        Files.writeString(dir.resolve("data.ldif"), ldif);
        Process add = new ProcessBuilder("/usr/sbin/slapadd", "-f", dir.resolve("slapd.conf").toString(), "-l", dir.resolve("data.ldif").toString())
                .redirectErrorStream(true).start();
        String out = new String(add.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (add.waitFor() != 0) throw new IllegalStateException("slapadd failed: " + out);
        Process p = new ProcessBuilder("/usr/sbin/slapd", "-f", dir.resolve("slapd.conf").toString(), "-h", "ldap://127.0.0.1:" + port + "/", "-d", "0")
                .redirectErrorStream(true).redirectOutput(dir.resolve("slapd.log").toFile()).start();
        Slapd s = new Slapd(dir, port, base, p);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (true) {
            try (Socket c = new Socket("127.0.0.1", port)) {
                return s;
            } catch (IOException e) {
                if (!p.isAlive() || System.nanoTime() > deadline) {
                    s.close();
                    throw new IllegalStateException("slapd did not start");
                }
                Thread.sleep(50);
            }
        }
    }

    @Override
    public void close() throws Exception {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) process.destroyForcibly().waitFor();
        try (Stream<Path> s = Files.walk(dir)) { s.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete()); }
    }
}
