package org.haven.guest.console;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A character terminal as PVE's {@code vncterm} emulates one for the VNC console of a container or the node: a grid
 * of cells with colours, fed with the output of the program on the terminal (UTF-8 with the control and escape
 * sequences of the Linux console and xterm that shells, getty, {@code lxc-console} and full-screen programs use:
 * cursor movement, erasing, insert/delete of lines and characters, scroll regions, SGR colours (16, 256 and direct),
 * reverse video, the alternate screen, status reports). Which rows changed since {@link #takeDirty} is tracked for
 * the screen updates. Pure: answers to status requests go to {@code reply}.
 */
public final class Terminal {
    /** Default colours: palette indices of the foreground and background. */
    public static final int DEFAULT_FG = 7, DEFAULT_BG = 0;

    /** A cell's attributes: palette index or {@code 0x1000000 | rgb} for direct colours, bold, reverse. */
    public record Cell(int ch, int fg, int bg, boolean bold, boolean reverse) {
        static final Cell BLANK = new Cell(' ', DEFAULT_FG, DEFAULT_BG, false, false);
    }

    private final int cols, rows;
    private final Consumer<byte[]> reply;
    private Cell[][] screen, saved;
    private final boolean[] dirty;
    private int x, y, top, bottom;
    private boolean wrapPending, autowrap = true, cursorVisible = true;
    private int fg = DEFAULT_FG, bg = DEFAULT_BG;
    private boolean bold, reverse;
    private int savedX, savedY, savedFg = DEFAULT_FG, savedBg = DEFAULT_BG;
    private boolean savedBold, savedReverse;
    private int bells;

    // parser state
    private enum State { GROUND, ESC, CSI, OSC, OSC_ESC, CHARSET }
    private State state = State.GROUND;
    private final StringBuilder params = new StringBuilder();
    private int utf8Need, utf8Code;

    public Terminal(int cols, int rows, Consumer<byte[]> reply) {
        if (cols < 2 || rows < 2) throw new IllegalArgumentException("terminal of " + cols + "x" + rows);
        this.cols = cols;
        this.rows = rows;
        this.reply = reply;
        this.screen = blank(rows, cols);
        this.dirty = new boolean[rows];
        this.bottom = rows - 1;
        Arrays.fill(dirty, true);
    }

    private static Cell[][] blank(int rows, int cols) {
        Cell[][] s = new Cell[rows][cols];
        for (Cell[] r : s) Arrays.fill(r, Cell.BLANK);
        return s;
    }

    public int cols() { return cols; }
    public int rows() { return rows; }
    public int cursorX() { return Math.min(x, cols - 1); }
    public int cursorY() { return y; }
    public boolean cursorVisible() { return cursorVisible; }
    public Cell cell(int col, int row) { return screen[row][col]; }

    /** Bells rung since the last call. */
    public synchronized int takeBells() {
        int b = bells;
        bells = 0;
        return b;
    }

    /** The text of a row without trailing blanks. */
    public synchronized String line(int row) {
        StringBuilder b = new StringBuilder();
        for (Cell c : screen[row]) b.appendCodePoint(c.ch());
        return b.toString().stripTrailing();
    }

    /** The rows that changed since the last call (as a copy), marking them clean. */
    public synchronized boolean[] takeDirty() {
        boolean[] d = dirty.clone();
        Arrays.fill(dirty, false);
        return d;
    }

    /** Whether a row changed since the last {@link #takeDirty}. */
    public synchronized boolean anyDirty() {
        for (boolean d : dirty) if (d) return true;
        return false;
    }

    /** Marks every row changed (a client asked for the whole screen). */
    public synchronized void touchAll() { Arrays.fill(dirty, true); }

    public synchronized void feed(byte[] data, int off, int len) {
        for (int i = off; i < off + len; i++) {
            int b = data[i] & 0xff;
            if (utf8Need > 0) {
                if ((b & 0xc0) == 0x80) {
                    utf8Code = (utf8Code << 6) | (b & 0x3f);
                    if (--utf8Need == 0) put(utf8Code);
                    continue;
                }
                utf8Need = 0;
                put(0xfffd);
            }
            if (state == State.GROUND && b >= 0xc0 && b < 0xf8) {
                utf8Need = b >= 0xf0 ? 3 : b >= 0xe0 ? 2 : 1;
                utf8Code = b & (0x3f >> utf8Need);
                continue;
            }
            if (state == State.GROUND && b >= 0x80) {
                put(0xfffd);
                continue;
            }
            put(b);
        }
    }

    public void feed(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        feed(b, 0, b.length);
    }

    private void put(int c) {
        switch (state) {
            case GROUND -> ground(c);
            case ESC -> escape(c);
            case CSI -> {
                if (c >= 0x40 && c <= 0x7e) {
                    state = State.GROUND;
                    csi(c, params.toString());
                } else if (c == 0x1b) {
                    state = State.ESC;
                } else if (c >= 0x20) {
                    params.append((char) c);
                } else {
                    control(c);
                }
            }
            case OSC -> {
                if (c == 7) state = State.GROUND;
                else if (c == 0x1b) state = State.OSC_ESC;
            }
            case OSC_ESC -> state = c == '\\' ? State.GROUND : State.OSC;
            case CHARSET -> state = State.GROUND;
        }
    }

    private void ground(int c) {
        if (c < 0x20 || c == 0x7f) {
            control(c);
            return;
        }
        if (wrapPending) {
            wrapPending = false;
            if (autowrap) {
                x = 0;
                lineFeed();
            }
        }
        screen[y][x] = new Cell(c, fg, bg, bold, reverse);
        dirty[y] = true;
        if (x == cols - 1) wrapPending = true;
        else x++;
    }

    private void control(int c) {
        switch (c) {
            case 7 -> bells++;
            case 8 -> { x = Math.max(0, x - 1); wrapPending = false; }
            case 9 -> { x = Math.min(cols - 1, (x / 8 + 1) * 8); wrapPending = false; }
            case 10, 11, 12 -> { lineFeed(); wrapPending = false; }
            case 13 -> { x = 0; wrapPending = false; }
            case 0x1b -> { state = State.ESC; params.setLength(0); }
            default -> { } // NUL, SO, SI, DEL: nothing to show
        }
    }

    private void escape(int c) {
        state = State.GROUND;
        switch (c) {
            case '[' -> { state = State.CSI; params.setLength(0); }
            case ']' -> state = State.OSC;
            case '(', ')', '*', '+' -> state = State.CHARSET;
            case '7' -> saveCursor();
            case '8' -> restoreCursor();
            case 'D' -> lineFeed();
            case 'E' -> { x = 0; lineFeed(); }
            case 'M' -> reverseIndex();
            case 'c' -> reset();
            default -> { } // ESC = / ESC > (keypad modes) and the like
        }
    }

    private void reset() {
        screen = blank(rows, cols);
        x = y = top = 0;
        bottom = rows - 1;
        fg = DEFAULT_FG;
        bg = DEFAULT_BG;
        bold = reverse = wrapPending = false;
        autowrap = cursorVisible = true;
        Arrays.fill(dirty, true);
    }

    private void saveCursor() {
        savedX = x; savedY = y; savedFg = fg; savedBg = bg; savedBold = bold; savedReverse = reverse;
    }

    private void restoreCursor() {
        x = Math.min(savedX, cols - 1); y = Math.min(savedY, rows - 1); fg = savedFg; bg = savedBg; bold = savedBold; reverse = savedReverse;
        wrapPending = false;
    }

    private void lineFeed() {
        if (y == bottom) scrollUp(top, bottom, 1);
        else if (y < rows - 1) y++;
    }

    private void reverseIndex() {
        if (y == top) scrollDown(top, bottom, 1);
        else if (y > 0) y--;
    }

    private Cell blankCell() { return new Cell(' ', fg, bg, false, false); }

    private void scrollUp(int from, int to, int n) {
        n = Math.min(n, to - from + 1);
        for (int r = from; r <= to; r++) {
            screen[r] = r + n <= to ? screen[r + n] : fill(blankCell());
            dirty[r] = true;
        }
    }

    private void scrollDown(int from, int to, int n) {
        n = Math.min(n, to - from + 1);
        for (int r = to; r >= from; r--) {
            screen[r] = r - n >= from ? screen[r - n] : fill(blankCell());
            dirty[r] = true;
        }
    }

    private Cell[] fill(Cell c) {
        Cell[] r = new Cell[cols];
        Arrays.fill(r, c);
        return r;
    }

    private void erase(int row, int from, int to) {
        Cell b = blankCell();
        for (int i = Math.max(0, from); i < Math.min(cols, to); i++) screen[row][i] = b;
        dirty[row] = true;
    }

    private static int[] numbers(String p) {
        String s = p.startsWith("?") || p.startsWith(">") ? p.substring(1) : p;
        if (s.isEmpty()) return new int[0];
        String[] f = s.split("[;:]", -1);
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            try {
                out[i] = f[i].isEmpty() ? 0 : Integer.parseInt(f[i]);
            } catch (NumberFormatException e) {
                out[i] = 0;
            }
        }
        return out;
    }

    private static int arg(int[] a, int i, int def) { return i < a.length && a[i] > 0 ? a[i] : def; }

    private void csi(int c, String p) {
        int[] a = numbers(p);
        boolean priv = p.startsWith("?");
        int n = arg(a, 0, 1);
        if (c != 'm') wrapPending = false;
        switch (c) {
            case 'A' -> y = Math.max(y < top ? 0 : top, y - n);
            case 'B', 'e' -> y = Math.min(y > bottom ? rows - 1 : bottom, y + n);
            case 'C', 'a' -> x = Math.min(cols - 1, x + n);
            case 'D' -> x = Math.max(0, Math.min(x, cols - 1) - n);
            case 'E' -> { y = Math.min(bottom, y + n); x = 0; }
            case 'F' -> { y = Math.max(top, y - n); x = 0; }
            case 'G', '`' -> x = Math.min(cols - 1, n - 1);
            case 'd' -> y = Math.min(rows - 1, n - 1);
            case 'H', 'f' -> { y = Math.min(rows - 1, arg(a, 0, 1) - 1); x = Math.min(cols - 1, arg(a, 1, 1) - 1); }
            case 'J' -> {
                int mode = a.length > 0 ? a[0] : 0;
                if (mode == 0) { erase(y, x, cols); for (int r = y + 1; r < rows; r++) erase(r, 0, cols); }
                else if (mode == 1) { erase(y, 0, x + 1); for (int r = 0; r < y; r++) erase(r, 0, cols); }
                else for (int r = 0; r < rows; r++) erase(r, 0, cols);
            }
            case 'K' -> {
                int mode = a.length > 0 ? a[0] : 0;
                if (mode == 0) erase(y, x, cols);
                else if (mode == 1) erase(y, 0, x + 1);
                else erase(y, 0, cols);
            }
            case 'X' -> erase(y, x, x + n);
            case 'L' -> { if (y >= top && y <= bottom) scrollDown(y, bottom, n); }
            case 'M' -> { if (y >= top && y <= bottom) scrollUp(y, bottom, n); }
            case 'S' -> scrollUp(top, bottom, n);
            case 'T' -> scrollDown(top, bottom, n);
            case '@' -> {
                Cell[] r = screen[y];
                for (int i = cols - 1; i >= x; i--) r[i] = i - n >= x ? r[i - n] : blankCell();
                dirty[y] = true;
            }
            case 'P' -> {
                Cell[] r = screen[y];
                for (int i = x; i < cols; i++) r[i] = i + n < cols ? r[i + n] : blankCell();
                dirty[y] = true;
            }
            case 'r' -> {
                int t = arg(a, 0, 1) - 1, b = arg(a, 1, rows) - 1;
                if (t < b && b < rows) { top = t; bottom = b; x = 0; y = 0; }
            }
            case 's' -> saveCursor();
            case 'u' -> restoreCursor();
            case 'm' -> sgr(a);
            case 'h', 'l' -> { if (priv) mode(a, c == 'h'); }
            case 'n' -> {
                if (n == 6) reply.accept(("\033[" + (y + 1) + ";" + (Math.min(x, cols - 1) + 1) + "R").getBytes(StandardCharsets.US_ASCII));
                else if (n == 5) reply.accept("\033[0n".getBytes(StandardCharsets.US_ASCII));
            }
            case 'c' -> { if (!p.startsWith(">")) reply.accept("\033[?6c".getBytes(StandardCharsets.US_ASCII)); }
            default -> { } // unknown sequences are ignored, as terminals do
        }
    }

    private void mode(int[] a, boolean set) {
        for (int m : a) {
            switch (m) {
                case 7 -> autowrap = set;
                case 25 -> cursorVisible = set;
                case 47, 1047, 1049 -> alternate(set);
                default -> { }
            }
        }
    }

    private void alternate(boolean on) {
        if (on == (saved != null)) return;
        if (on) {
            saveCursor();
            saved = screen;
            screen = blank(rows, cols);
        } else {
            screen = saved;
            saved = null;
            restoreCursor();
        }
        Arrays.fill(dirty, true);
    }

    private void sgr(int[] a) {
        if (a.length == 0) a = new int[] {0};
        for (int i = 0; i < a.length; i++) {
            int v = a[i];
            if (v == 0) { fg = DEFAULT_FG; bg = DEFAULT_BG; bold = reverse = false; }
            else if (v == 1) bold = true;
            else if (v == 22) bold = false;
            else if (v == 7) reverse = true;
            else if (v == 27) reverse = false;
            else if (v >= 30 && v <= 37) fg = v - 30;
            else if (v == 39) fg = DEFAULT_FG;
            else if (v >= 40 && v <= 47) bg = v - 40;
            else if (v == 49) bg = DEFAULT_BG;
            else if (v >= 90 && v <= 97) fg = v - 90 + 8;
            else if (v >= 100 && v <= 107) bg = v - 100 + 8;
            else if ((v == 38 || v == 48) && i + 1 < a.length) {
                int color;
                if (a[i + 1] == 5 && i + 2 < a.length) { color = a[i + 2] & 0xff; i += 2; }
                else if (a[i + 1] == 2 && i + 4 < a.length) { color = 0x1000000 | (a[i + 2] & 0xff) << 16 | (a[i + 3] & 0xff) << 8 | (a[i + 4] & 0xff); i += 4; }
                else break;
                if (v == 38) fg = color; else bg = color;
            }
        }
    }

    /** The RGB of a colour (palette index 0–255 or direct), the Linux console's 16 colours first. */
    public static int rgb(int color, boolean bright) {
        if ((color & 0x1000000) != 0) return color & 0xffffff;
        if (bright && color < 8) color += 8;
        if (color < 16) return PALETTE[color];
        if (color < 232) {
            int c = color - 16;
            return level(c / 36) << 16 | level(c / 6 % 6) << 8 | level(c % 6);
        }
        int g = 8 + (color - 232) * 10;
        return g << 16 | g << 8 | g;
    }

    private static int level(int i) { return i == 0 ? 0 : 55 + i * 40; }

    private static final int[] PALETTE = {
        0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa,
        0x555555, 0xff5555, 0x55ff55, 0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
    };
}
