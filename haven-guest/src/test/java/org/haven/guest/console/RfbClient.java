package org.haven.guest.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** A minimal VNC client for tests (RFB 3.8): handshake, VNC authentication, the framebuffer as RGB pixels, key events. */
public final class RfbClient implements AutoCloseable {
    final SocketChannel ch;
    public final DataInputStream in;
    final DataOutputStream out;
    public int width, height;
    int[] fb;

    public RfbClient(Path socket) throws IOException {
        ch = SocketChannel.open(UnixDomainSocketAddress.of(socket));
        in = new DataInputStream(Channels.newInputStream(ch));
        out = new DataOutputStream(Channels.newOutputStream(ch));
    }

    /** Returns the security result (0: accepted). */
    public int login(String password) throws IOException {
        assertThat(new String(in.readNBytes(12), StandardCharsets.US_ASCII)).isEqualTo("RFB 003.008\n");
        out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
        int n = in.readUnsignedByte();
        assertThat(in.readNBytes(n)).containsExactly(2);
        out.write(2);
        out.write(VncTerminal.vncAuthResponse(password, in.readNBytes(16)));
        int result = in.readInt();
        if (result != 0) return result;
        out.write(1);
        width = in.readUnsignedShort();
        height = in.readUnsignedShort();
        byte[] pf = in.readNBytes(16);
        assertThat(pf[0]).isEqualTo((byte) 32);
        in.readNBytes(in.readInt());
        fb = new int[width * height];
        return 0;
    }

    public void request(boolean incremental) throws IOException {
        out.write(new byte[] {3, (byte) (incremental ? 1 : 0)});
        out.writeShort(0);
        out.writeShort(0);
        out.writeShort(width);
        out.writeShort(height);
    }

    /** Reads server messages until a framebuffer update arrived and was applied. */
    public void update() throws IOException {
        while (true) {
            int type = in.readUnsignedByte();
            if (type == 2) continue; // bell
            assertThat(type).isZero();
            in.readUnsignedByte();
            int rects = in.readUnsignedShort();
            for (int i = 0; i < rects; i++) {
                int x = in.readUnsignedShort(), y = in.readUnsignedShort(), w = in.readUnsignedShort(), h = in.readUnsignedShort();
                assertThat(in.readInt()).isZero();
                byte[] px = in.readNBytes(w * h * 4);
                for (int r = 0; r < h; r++)
                    for (int c = 0; c < w; c++) {
                        int o = (r * w + c) * 4;
                        fb[(y + r) * width + x + c] = (px[o + 2] & 0xff) << 16 | (px[o + 1] & 0xff) << 8 | px[o] & 0xff;
                    }
            }
            return;
        }
    }

    public void type(String s) throws IOException {
        for (char c : s.toCharArray()) key(c == '\r' ? 0xff0d : c);
    }

    public void key(int sym) throws IOException {
        for (int down = 1; down >= 0; down--) {
            out.write(new byte[] {4, (byte) down, 0, 0});
            out.writeInt(sym);
        }
    }

    /** Whether the character cell at column {@code col}, row {@code row} has any pixel that is not background. */
    public boolean inked(int col, int row, VncTerminal.CellSize cell) {
        for (int y = row * cell.height(); y < (row + 1) * cell.height(); y++)
            for (int x = col * cell.width(); x < (col + 1) * cell.width(); x++)
                if (fb[y * width + x] != 0) return true;
        return false;
    }

    @Override public void close() throws IOException { ch.close(); }
}
