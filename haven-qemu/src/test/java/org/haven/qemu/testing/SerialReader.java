package org.haven.qemu.testing;

import java.io.IOException;
import java.io.InputStream;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;

/** Reads a VM's serial console socket into a buffer that tests can wait on. */
public final class SerialReader implements AutoCloseable {
    private final SocketChannel ch;
    private final StringBuffer text = new StringBuffer();
    private final Thread thread;

    public SerialReader(Path socket) throws IOException {
        ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        InputStream in = Channels.newInputStream(ch);
        thread = Thread.ofVirtual().start(() -> {
            byte[] buf = new byte[4096];
            try {
                int n;
                while ((n = in.read(buf)) > 0) text.append(new String(buf, 0, n, StandardCharsets.ISO_8859_1));
            } catch (IOException ignored) { }
        });
    }

    public String text() { return text.toString(); }

    /** Wait until the output contains {@code s}; false on timeout. */
    public boolean await(String s, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (text.indexOf(s) >= 0) return true;
            Thread.sleep(100);
        }
        return text.indexOf(s) >= 0;
    }

    @Override public void close() throws IOException {
        ch.close();
        thread.interrupt();
    }
}
