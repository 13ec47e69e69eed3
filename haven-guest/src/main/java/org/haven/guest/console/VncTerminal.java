package org.haven.guest.console;

import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import javax.crypto.Cipher;
import javax.crypto.spec.SecretKeySpec;

/**
 * PVE's {@code vncterm}: a command on a terminal, shown to a VNC client (noVNC through the console websocket). The
 * server speaks RFB 3.3 to 3.8 on a Unix socket for one connection, authenticates the client with VNC authentication
 * whose password is the console ticket (as PVE's VNC consoles do), draws the {@link Terminal} with a monospaced font
 * into a true-colour framebuffer sent as raw rectangles of the rows that changed, and turns key events (X keysyms)
 * into the bytes a terminal sends; pasted text is typed in.
 */
public final class VncTerminal {
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int FONT_SIZE = 14;

    private VncTerminal() {}

    /** The size of a character cell in pixels with the console font. */
    public record CellSize(int width, int height, int ascent) {}

    private static Font font() { return new Font(Font.MONOSPACED, Font.PLAIN, FONT_SIZE); }

    public static CellSize cellSize() {
        System.setProperty("java.awt.headless", "true");
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = probe.createGraphics();
        FontMetrics fm = g.getFontMetrics(font());
        g.dispose();
        return new CellSize(Math.max(1, fm.charWidth('M')), Math.max(1, fm.getAscent() + fm.getDescent()), fm.getAscent());
    }

    /**
     * The terminal size for a console of {@code width} x {@code height} pixels (null: PVE's vncterm's 80 x 25
     * characters).
     */
    public static int[] terminalSize(Integer width, Integer height) {
        CellSize c = cellSize();
        int cols = width == null ? 80 : Math.max(2, width / c.width());
        int rows = height == null ? 25 : Math.max(2, height / c.height());
        return new int[] {cols, rows};
    }

    /**
     * Listen on {@code socket}; the first connection that authenticates with {@code password} sees {@code argv} on a
     * terminal of {@code cols} x {@code rows} characters in {@code workDir}; the command ends with the connection.
     */
    public static void listen(Path socket, List<String> argv, Path workDir, Map<String, String> env, Duration acceptTimeout,
                              String password, int cols, int rows) throws IOException {
        PtyShell.accept(socket, acceptTimeout, c -> new Session(c, password, cols, rows).run(argv, workDir, env));
    }

    /** X keysym {@code sym} as the bytes a terminal sends ({@code ctrl}, {@code alt}: modifiers held); empty for none. */
    static byte[] keyBytes(int sym, boolean ctrl, boolean alt) {
        String s = switch (sym) {
            case 0xff08 -> "\177";
            case 0xff09 -> "\t";
            case 0xff0d, 0xff8d -> "\r";
            case 0xff1b -> "\033";
            case 0xffff, 0xff9f -> "\033[3~";
            case 0xff50, 0xff95 -> "\033[H";
            case 0xff57, 0xff9c -> "\033[F";
            case 0xff51, 0xff96 -> "\033[D";
            case 0xff52, 0xff97 -> "\033[A";
            case 0xff53, 0xff98 -> "\033[C";
            case 0xff54, 0xff99 -> "\033[B";
            case 0xff55, 0xff9a -> "\033[5~";
            case 0xff56, 0xff9b -> "\033[6~";
            case 0xff63, 0xff9e -> "\033[2~";
            case 0xffbe -> "\033OP";
            case 0xffbf -> "\033OQ";
            case 0xffc0 -> "\033OR";
            case 0xffc1 -> "\033OS";
            case 0xffc2 -> "\033[15~";
            case 0xffc3 -> "\033[17~";
            case 0xffc4 -> "\033[18~";
            case 0xffc5 -> "\033[19~";
            case 0xffc6 -> "\033[20~";
            case 0xffc7 -> "\033[21~";
            case 0xffc8 -> "\033[23~";
            case 0xffc9 -> "\033[24~";
            default -> {
                int cp;
                if (sym >= 0x20 && sym <= 0xff) cp = sym;
                else if ((sym & 0xff000000) == 0x01000000) cp = sym & 0xffffff;
                else if (sym >= 0xffaa && sym <= 0xffb9) cp = "*+,-./0123456789".charAt(sym - 0xffaa); // keypad
                else yield "";
                if (ctrl) {
                    if (cp >= '@' && cp <= '_' || cp >= 'a' && cp <= 'z') cp &= 0x1f;
                    else if (cp == ' ' || cp == '2') cp = 0;
                    else if (cp == '?') cp = 0x7f;
                }
                yield new String(Character.toChars(cp));
            }
        };
        if (alt && !s.isEmpty()) s = "\033" + s;
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** The VNC authentication response: {@code challenge} DES-encrypted with the password (8 bytes, bits mirrored). */
    static byte[] vncAuthResponse(String password, byte[] challenge) {
        byte[] key = new byte[8];
        byte[] pw = password.getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < 8 && i < pw.length; i++) key[i] = (byte) (Integer.reverse(pw[i] & 0xff) >>> 24);
        try {
            Cipher des = Cipher.getInstance("DES/ECB/NoPadding");
            des.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "DES"));
            return des.doFinal(challenge);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("DES is not available: " + e.getMessage(), e);
        }
    }

    /** The client's pixel format (true colour only). */
    record PixelFormat(int bitsPerPixel, boolean bigEndian, int redMax, int greenMax, int blueMax, int redShift, int greenShift, int blueShift) {
        static final PixelFormat SERVER = new PixelFormat(32, false, 255, 255, 255, 16, 8, 0);

        int bytes() { return bitsPerPixel / 8; }

        /** Writes {@code rgb} in this format at {@code off}. */
        void put(byte[] out, int off, int rgb) {
            int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
            int v = (r * redMax / 255) << redShift | (g * greenMax / 255) << greenShift | (b * blueMax / 255) << blueShift;
            int n = bytes();
            for (int i = 0; i < n; i++) out[off + (bigEndian ? n - 1 - i : i)] = (byte) (v >>> (8 * i));
        }

        byte[] encode() {
            byte[] b = new byte[16];
            b[0] = (byte) bitsPerPixel;
            b[1] = (byte) (bitsPerPixel == 32 ? 24 : bitsPerPixel);
            b[2] = (byte) (bigEndian ? 1 : 0);
            b[3] = 1;
            b[4] = (byte) (redMax >> 8); b[5] = (byte) redMax;
            b[6] = (byte) (greenMax >> 8); b[7] = (byte) greenMax;
            b[8] = (byte) (blueMax >> 8); b[9] = (byte) blueMax;
            b[10] = (byte) redShift; b[11] = (byte) greenShift; b[12] = (byte) blueShift;
            return b;
        }
    }

    /** One client: the RFB conversation, the command's terminal and the screen updates. */
    static final class Session {
        private final SocketChannel channel;
        private final String password;
        private final Terminal term;
        private final CellSize cell;
        private final BufferedImage image;
        private final int[] pixels;
        private final Object lock = new Object();
        private volatile OutputStream toCommand;
        private DataOutputStream out;
        private PixelFormat format = PixelFormat.SERVER;
        private boolean updateWanted, closed;
        private int cursorRow = -1, cursorCol = -1;
        private boolean ctrl, alt;

        Session(SocketChannel channel, String password, int cols, int rows) {
            this.channel = channel;
            this.password = password;
            this.cell = cellSize();
            this.term = new Terminal(cols, rows, this::toCommand);
            this.image = new BufferedImage(cols * cell.width(), rows * cell.height(), BufferedImage.TYPE_INT_RGB);
            this.pixels = ((DataBufferInt) image.getRaster().getDataBuffer()).getData();
        }

        private void toCommand(byte[] b) {
            OutputStream o = toCommand;
            if (o == null) return;
            try {
                o.write(b);
                o.flush();
            } catch (IOException ignored) {
                // the command is gone: the session ends with it
            }
        }

        void run(List<String> argv, Path workDir, Map<String, String> env) throws IOException {
            DataInputStream in = new DataInputStream(Channels.newInputStream(channel));
            out = new DataOutputStream(Channels.newOutputStream(channel));
            if (!handshake(in)) return;
            List<String> sized = new ArrayList<>(List.of("sh", "-c", "stty cols " + term.cols() + " rows " + term.rows() + " 2>/dev/null; exec \"$@\"", "sh"));
            sized.addAll(argv);
            Process p = PtyShell.start(sized, workDir, env);
            toCommand = p.getOutputStream();
            Thread output = Thread.ofVirtual().name("vncterm-output").start(() -> pump(p.getInputStream()));
            Thread updates = Thread.ofVirtual().name("vncterm-updates").start(this::sendUpdates);
            try {
                messages(in);
            } catch (IOException e) {
                // the client went away
            } finally {
                synchronized (lock) {
                    closed = true;
                    lock.notifyAll();
                }
                p.descendants().forEach(ProcessHandle::destroy);
                p.destroy();
                output.interrupt();
                updates.interrupt();
            }
        }

        /** RFB version, VNC authentication with the ticket, ClientInit and ServerInit; false when the client is refused. */
        private boolean handshake(DataInputStream in) throws IOException {
            out.write("RFB 003.008\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            byte[] version = in.readNBytes(12);
            if (version.length < 12) return false;
            int minor = Integer.parseInt(new String(version, 8, 3, StandardCharsets.US_ASCII).replaceAll("\\D", "0"));
            if (minor >= 7) {
                out.write(new byte[] {1, 2}); // one security type: VNC authentication
                out.flush();
                if (in.readUnsignedByte() != 2) return false;
            } else {
                out.writeInt(2);
            }
            byte[] challenge = new byte[16];
            RANDOM.nextBytes(challenge);
            out.write(challenge);
            out.flush();
            byte[] response = in.readNBytes(16);
            if (!MessageDigest.isEqual(response, vncAuthResponse(password, challenge))) {
                out.writeInt(1);
                if (minor >= 8) {
                    byte[] reason = "Authentication failed".getBytes(StandardCharsets.US_ASCII);
                    out.writeInt(reason.length);
                    out.write(reason);
                }
                out.flush();
                return false;
            }
            out.writeInt(0);
            out.flush();
            in.readUnsignedByte(); // shared flag: one client anyway
            out.writeShort(image.getWidth());
            out.writeShort(image.getHeight());
            out.write(PixelFormat.SERVER.encode());
            byte[] name = "vncterm".getBytes(StandardCharsets.US_ASCII);
            out.writeInt(name.length);
            out.write(name);
            out.flush();
            return true;
        }

        private void messages(DataInputStream in) throws IOException {
            while (true) {
                int type = in.readUnsignedByte();
                switch (type) {
                    case 0 -> {
                        in.readNBytes(3);
                        byte[] f = in.readNBytes(16);
                        if (f[3] == 0) throw new IOException("colour map pixel formats are not supported");
                        PixelFormat pf = new PixelFormat(f[0] & 0xff, f[2] != 0, (f[4] & 0xff) << 8 | f[5] & 0xff,
                                (f[6] & 0xff) << 8 | f[7] & 0xff, (f[8] & 0xff) << 8 | f[9] & 0xff, f[10] & 0xff, f[11] & 0xff, f[12] & 0xff);
                        if (pf.bitsPerPixel() != 8 && pf.bitsPerPixel() != 16 && pf.bitsPerPixel() != 32) throw new IOException("bad pixel format");
                        synchronized (lock) {
                            format = pf;
                        }
                    }
                    case 2 -> {
                        in.readUnsignedByte();
                        in.readNBytes(in.readUnsignedShort() * 4); // raw is all this server sends
                    }
                    case 3 -> {
                        boolean incremental = in.readUnsignedByte() != 0;
                        in.readNBytes(8);
                        synchronized (lock) {
                            if (!incremental) term.touchAll();
                            updateWanted = true;
                            lock.notifyAll();
                        }
                    }
                    case 4 -> {
                        boolean down = in.readUnsignedByte() != 0;
                        in.readNBytes(2);
                        key(in.readInt(), down);
                    }
                    case 5 -> in.readNBytes(5);
                    case 6 -> {
                        in.readNBytes(3);
                        int len = in.readInt();
                        if (len < 0 || len > 1 << 20) throw new IOException("cut text too long");
                        String text = new String(in.readNBytes(len), StandardCharsets.ISO_8859_1);
                        toCommand(text.replace("\r\n", "\r").replace('\n', '\r').getBytes(StandardCharsets.UTF_8));
                    }
                    default -> throw new IOException("unknown client message " + type);
                }
            }
        }

        private void key(int sym, boolean down) {
            switch (sym) {
                case 0xffe3, 0xffe4 -> ctrl = down;
                case 0xffe9, 0xffea, 0xffe7, 0xffe8 -> alt = down;
                default -> {
                    if (!down) return;
                    byte[] b = keyBytes(sym, ctrl, alt);
                    if (b.length > 0) toCommand(b);
                }
            }
        }

        private void pump(InputStream from) {
            byte[] b = new byte[8192];
            int n;
            try {
                while ((n = from.read(b)) >= 0) {
                    term.feed(b, 0, n);
                    synchronized (lock) {
                        lock.notifyAll();
                    }
                }
            } catch (IOException ignored) {
                // the command ended
            }
            try {
                channel.close(); // the console ends with its command
            } catch (IOException ignored) { }
        }

        /** Sends the rows that changed (and the cursor's) whenever the client asked for an update; bells as they ring. */
        private void sendUpdates() {
            try {
                while (true) {
                    PixelFormat pf;
                    synchronized (lock) {
                        while (!closed && !(updateWanted && (term.anyDirty() || cursorRow != term.cursorY() || cursorCol != term.cursorX()))) {
                            if (term.takeBells() > 0) bell();
                            lock.wait(200);
                        }
                        if (closed) return;
                        updateWanted = false;
                        pf = format;
                    }
                    boolean[] dirty = term.takeDirty();
                    if (cursorRow >= 0) dirty[cursorRow] = true;
                    dirty[term.cursorY()] = true;
                    int first = -1, last = -1;
                    for (int r = 0; r < dirty.length; r++) if (dirty[r]) { if (first < 0) first = r; last = r; }
                    draw(dirty);
                    int y0 = first * cell.height(), h = (last - first + 1) * cell.height(), w = image.getWidth();
                    byte[] data = new byte[w * h * pf.bytes()];
                    for (int i = 0, p = y0 * w; i < w * h; i++, p++) pf.put(data, i * pf.bytes(), pixels[p]);
                    synchronized (out) {
                        out.write(new byte[] {0, 0, 0, 1});
                        out.writeShort(0);
                        out.writeShort(y0);
                        out.writeShort(w);
                        out.writeShort(h);
                        out.writeInt(0); // raw
                        out.write(data);
                        out.flush();
                    }
                }
            } catch (InterruptedException | IOException e) {
                // session over
            }
        }

        private void bell() throws IOException {
            synchronized (out) {
                out.write(2);
                out.flush();
            }
        }

        /** Draws the rows marked in {@code dirty}, the cursor as a reversed cell. */
        private void draw(boolean[] dirty) {
            Graphics2D g = image.createGraphics();
            g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_OFF);
            Font plain = font(), bold = plain.deriveFont(Font.BOLD);
            int cw = cell.width(), ch = cell.height();
            synchronized (term) {
                cursorRow = term.cursorY();
                cursorCol = term.cursorX();
                boolean showCursor = term.cursorVisible();
                for (int r = 0; r < term.rows(); r++) {
                    if (!dirty[r]) continue;
                    for (int c = 0; c < term.cols(); c++) {
                        Terminal.Cell cl = term.cell(c, r);
                        int fg = Terminal.rgb(cl.fg(), cl.bold()), bg = Terminal.rgb(cl.bg(), false);
                        boolean rev = cl.reverse() ^ (showCursor && r == cursorRow && c == cursorCol);
                        if (rev) { int t = fg; fg = bg; bg = t; }
                        g.setColor(new java.awt.Color(bg));
                        g.fillRect(c * cw, r * ch, cw, ch);
                        if (cl.ch() != ' ') {
                            g.setColor(new java.awt.Color(fg));
                            g.setFont(cl.bold() ? bold : plain);
                            g.drawString(new String(Character.toChars(cl.ch())), c * cw, r * ch + cell.ascent());
                        }
                    }
                }
            }
            g.dispose();
        }
    }
}
