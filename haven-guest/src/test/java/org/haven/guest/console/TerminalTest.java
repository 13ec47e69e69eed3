package org.haven.guest.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The terminal of the VNC consoles fed with what programs print: the screen text and cursor that results. */
class TerminalTest {

    /** The screen's rows joined by {@code |} (trailing blank rows dropped) and the cursor as {@code @col,row}. */
    static String screen(String input, int cols, int rows) {
        Terminal t = new Terminal(cols, rows, b -> { });
        t.feed(input.replace("\\e", "\033").replace("\\r", "\r").replace("\\n", "\n").replace("\\b", "\b").replace("\\t", "\t").replace("\\a", "\007"));
        List<String> lines = new ArrayList<>();
        for (int r = 0; r < rows; r++) lines.add(t.line(r));
        while (!lines.isEmpty() && lines.getLast().isEmpty()) lines.removeLast();
        return String.join("|", lines) + "@" + t.cursorX() + "," + t.cursorY();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '~', value = {
        "abc                             ~ abc@3,0",
        "ab\\r\\ncd                      ~ ab|cd@2,1",
        "abcdefghij                      ~ abcdefgh|ij@2,1",       // wraps at the last column
        "abcdefgh\\r\\nx                 ~ abcdefgh|x@1,1",         // no extra line after a full row
        "abc\\bX                         ~ abX@3,0",
        "a\\tb\\tc                      ~ 'a      c@7,0'",          // tab stops every 8 columns, the last column at most
        "1\\n2\\n3\\n4\\n5               ~ ' 2|  3|   4|    5@5,3'", // LF keeps the column; the top row scrolls away
        "1\\r\\n2\\r\\n3\\r\\n4\\r\\n5   ~ 2|3|4|5@1,3",
        "hello\\e[2;3HX                  ~ hello|  X@3,1",
        "hello\\e[1;3H\\e[K              ~ he@2,0",
        "hello\\e[1;3H\\e[1K             ~ '   lo@2,0'",
        "a\\r\\nb\\e[2J                  ~ @1,1",
        "abcdef\\e[1;2H\\e[2P            ~ adef@1,0",
        "abcdef\\e[1;2H\\e[2@            ~ a  bcdef@1,0",
        "1\\r\\n2\\r\\n3\\e[2;1H\\e[L     ~ 1||2|3@0,1",
        "1\\r\\n2\\r\\n3\\e[1;1H\\e[M     ~ 2|3@0,0",
        "ab\\e7\\e[3;5Hx\\e8c            ~ abc||    x@3,0",
        "\\e[2;3r\\e[2;1H1\\r\\n2\\r\\n3\\r\\n4 ~ |3|4@1,2",          // scrolling stays in the region
        "x\\e[?1049hmenu\\e[?1049l       ~ x@1,0",                   // the alternate screen leaves the main one as it was
        "\\e]0;title\\aok                ~ ok@2,0",                  // window titles are swallowed
        "\\e[31;1mred\\e[0m              ~ red@3,0",
        "\\e[5Cx\\e[2Dy\\e[Az            ~ '    yz@6,0'",        // z overwrites x
        "\u00e4\u20ac\u4e2d              ~ \u00e4\u20ac\u4e2d@3,0",  // UTF-8
    })
    void screenAfter(String input, String expected) {
        assertThat(screen(input, 8, 4)).isEqualTo(expected);
    }

    @Test
    void coloursAndAttributesAreKeptPerCell() {
        Terminal t = new Terminal(10, 2, b -> { });
        t.feed("\033[1;31mR\033[0;44mB\033[7mV\033[38;5;196mX\033[38;2;1;2;3mY\033[0mn");
        assertThat(t.cell(0, 0)).isEqualTo(new Terminal.Cell('R', 1, 0, true, false));
        assertThat(t.cell(1, 0)).isEqualTo(new Terminal.Cell('B', 7, 4, false, false));
        assertThat(t.cell(2, 0)).isEqualTo(new Terminal.Cell('V', 7, 4, false, true));
        assertThat(t.cell(3, 0).fg()).isEqualTo(196);
        assertThat(t.cell(4, 0).fg()).isEqualTo(0x1000000 | 0x010203);
        assertThat(t.cell(5, 0)).isEqualTo(new Terminal.Cell('n', 7, 0, false, false));
        assertThat(Terminal.rgb(1, true)).isEqualTo(0xff5555);
        assertThat(Terminal.rgb(196, false)).isEqualTo(0xff0000);
        assertThat(Terminal.rgb(232, false)).isEqualTo(0x080808);
        assertThat(Terminal.rgb(0x1000000 | 0x010203, false)).isEqualTo(0x010203);
    }

    @Test
    void statusRequestsAreAnswered() {
        List<String> replies = new ArrayList<>();
        Terminal t = new Terminal(10, 5, b -> replies.add(new String(b, StandardCharsets.US_ASCII)));
        t.feed("ab\r\ncd\033[6n\033[c\033[5n");
        assertThat(replies).containsExactly("\033[2;3R", "\033[?6c", "\033[0n");
    }

    @Test
    void changedRowsAreTracked() {
        Terminal t = new Terminal(10, 5, b -> { });
        t.takeDirty();
        assertThat(t.anyDirty()).isFalse();
        t.feed("\033[3;1Hx");
        assertThat(t.takeDirty()).containsExactly(false, false, true, false, false);
        t.feed("\033[?25l\007\007");
        assertThat(t.cursorVisible()).isFalse();
        assertThat(t.takeBells()).isEqualTo(2);
        assertThat(t.takeBells()).isZero();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        // keysym | ctrl  | alt   | bytes (hex)
        "0x61     | false | false | 61",
        "0x61     | true  | false | 01",
        "0x63     | true  | false | 03",
        "0x5b     | true  | false | 1b",
        "0x61     | false | true  | 1b61",
        "0xe4     | false | false | c3a4",
        "0x10020ac| false | false | e282ac",
        "0xff0d   | false | false | 0d",
        "0xff08   | false | false | 7f",
        "0xff52   | false | false | 1b5b41",
        "0xffff   | false | false | 1b5b337e",
        "0xffbe   | false | false | 1b4f50",
        "0xffe1   | false | false | ''",
    })
    void keysyms(String sym, boolean ctrl, boolean alt, String hex) {
        byte[] b = VncTerminal.keyBytes(Integer.decode(sym), ctrl, alt);
        assertThat(java.util.HexFormat.of().formatHex(b)).isEqualTo(hex);
    }

    @Test
    void vncAuthenticationResponse() {
        // RFB's DES with mirrored key bits: password "password" is key 0e86ceceeef64e26 (answer computed with openssl)
        byte[] r = VncTerminal.vncAuthResponse("password", new byte[16]);
        assertThat(java.util.HexFormat.of().formatHex(r)).isEqualTo("ff97502e9422f089ff97502e9422f089");
        byte[] again = VncTerminal.vncAuthResponse("password-longer-than-eight", new byte[16]);
        assertThat(r).hasSize(16).isEqualTo(again); // only the first 8 characters count
        assertThat(VncTerminal.vncAuthResponse("other", new byte[16])).isNotEqualTo(r);
    }
}
