package org.haven.guest.console;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A command on a pseudo terminal, served on a Unix socket for one connection (what PVE's {@code termproxy}
 * spawns behind the websocket of the node's shell or of a container's console). The terminal comes from util-linux
 * {@code script}, which runs the command on a new pty and relays it to its own stdin/stdout; the command starts when
 * the connection comes and is killed when it goes. A socket nobody connects to within {@code acceptTimeout} is removed.
 */
public final class PtyShell {
    private final Path socket;
    private final ServerSocketChannel server;

    private PtyShell(Path socket, ServerSocketChannel server) {
        this.socket = socket;
        this.server = server;
    }

    /** Listen on {@code socket}; the first connection gets {@code argv} on a terminal in {@code workDir}. */
    public static PtyShell listen(Path socket, List<String> argv, Path workDir, Map<String, String> env, Duration acceptTimeout) throws IOException {
        return accept(socket, acceptTimeout, c -> serve(c, argv, workDir, env));
    }

    /** What serves the one connection of a socket. */
    interface Connection {
        void serve(SocketChannel c) throws IOException;
    }

    /**
     * Listen on {@code socket} for one connection, served by {@code connection}; the socket is removed when the
     * connection comes or when nobody connected within {@code acceptTimeout}.
     */
    static PtyShell accept(Path socket, Duration acceptTimeout, Connection connection) throws IOException {
        Files.deleteIfExists(socket);
        ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        server.bind(UnixDomainSocketAddress.of(socket));
        PtyShell shell = new PtyShell(socket, server);
        Thread timer = Thread.ofVirtual().name("pty-shell-timeout").start(() -> {
            try {
                Thread.sleep(acceptTimeout);
                shell.closeServer();
            } catch (InterruptedException ignored) { }
        });
        Thread.ofVirtual().name("pty-shell").start(() -> {
            try (SocketChannel c = server.accept()) {
                timer.interrupt();
                shell.closeServer();
                connection.serve(c);
            } catch (IOException e) {
                shell.closeServer();
            }
        });
        return shell;
    }

    /** {@code argv} started on a new terminal (util-linux {@code script}), its output (stdout and stderr) merged. */
    static Process start(List<String> argv, Path workDir, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder("script", "-q", "-f", "-e", "-c", quote(argv), "/dev/null")
                .directory(workDir.toFile()).redirectErrorStream(true);
        pb.environment().putAll(env);
        return pb.start();
    }

    public Path socket() { return socket; }

    /** {@code argv} as one POSIX shell command line. */
    public static String quote(List<String> argv) {
        StringBuilder b = new StringBuilder();
        for (String a : argv) {
            if (!b.isEmpty()) b.append(' ');
            if (!a.isEmpty() && a.matches("[A-Za-z0-9_@%+=:,./-]+")) b.append(a);
            else b.append('\'').append(a.replace("'", "'\\''")).append('\'');
        }
        return b.toString();
    }

    private void closeServer() {
        try { server.close(); } catch (IOException ignored) { }
        try { Files.deleteIfExists(socket); } catch (IOException ignored) { }
    }

    private static void serve(SocketChannel c, List<String> argv, Path workDir, Map<String, String> env) throws IOException {
        Process p = start(argv, workDir, env);
        try {
            OutputStream toShell = p.getOutputStream();
            Thread in = Thread.ofVirtual().name("pty-shell-in").start(() -> {
                ByteBuffer buf = ByteBuffer.allocate(8192);
                try {
                    while (c.read(buf) >= 0) {
                        toShell.write(buf.array(), 0, buf.position());
                        toShell.flush();
                        buf.clear();
                    }
                } catch (IOException ignored) {
                    // connection or shell gone
                } finally {
                    p.destroy();
                }
            });
            InputStream fromShell = p.getInputStream();
            OutputStream out = Channels.newOutputStream(c);
            byte[] b = new byte[8192];
            int n;
            try {
                while ((n = fromShell.read(b)) >= 0) out.write(b, 0, n);
            } catch (IOException ignored) {
                // connection closed
            }
            c.shutdownOutput();
            in.interrupt();
        } finally {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
    }
}
