package org.haven.guest.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.haven.core.testing.RealTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The VNC terminal with a real command on a real terminal, seen by a VNC client speaking RFB 3.8: the ticket
 * authenticates it (a wrong one is refused), the screen shows what the command prints, and typed keys reach it.
 */
@RealTest
class VncTerminalTest {
    @TempDir Path dir;

    @Test
    void aCommandOnTheVncTerminal() throws Exception {
        Path socket = dir.resolve("vnc.sock");
        Path got = dir.resolve("got");
        String script = "printf 'READY\\n'; read line; echo \"$line\" > " + got + "; printf 'size:'; stty size; sleep 30";
        VncTerminal.listen(socket, List.of("sh", "-c", script), dir, Map.of("TERM", "linux"), Duration.ofSeconds(20), "PVEVNC:ticket", 40, 10);
        VncTerminal.CellSize cell = VncTerminal.cellSize();
        try (RfbClient c = new RfbClient(socket)) {
            assertThat(c.login("PVEVNC:ticket")).isZero();
            assertThat(c.width).isEqualTo(40 * cell.width());
            assertThat(c.height).isEqualTo(10 * cell.height());
            c.request(false);
            c.update();
            // READY on the first row, nothing further right on it
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!c.inked(4, 0, cell) && System.nanoTime() < deadline) {
                c.request(true);
                c.update();
            }
            for (int col = 0; col < 5; col++) assertThat(c.inked(col, 0, cell)).as("column " + col).isTrue();
            for (int col = 6; col < 40; col++) assertThat(c.inked(col, 0, cell)).as("column " + col).isFalse();

            c.type("hello vnc\r");
            deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!(Files.exists(got) && Files.readString(got).endsWith("\n")) && System.nanoTime() < deadline) Thread.sleep(50);
            assertThat(Files.readString(got)).isEqualTo("hello vnc\n");
            // the echo of the typed line on the second row, then the terminal size the command sees
            deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (!c.inked(9, 2, cell) && System.nanoTime() < deadline) {
                c.request(true);
                c.update();
            }
            assertThat(c.inked(8, 1, cell)).isTrue(); // "hello vnc" echoed
            assertThat(c.inked(9, 2, cell)).isTrue(); // "size:10 40"
            assertThat(c.inked(10, 2, cell)).isFalse();
        }
    }

    @Test
    void aWrongTicketIsRefused() throws Exception {
        Path socket = dir.resolve("vnc.sock");
        Path ran = dir.resolve("ran");
        VncTerminal.listen(socket, List.of("touch", ran.toString()), dir, Map.of(), Duration.ofSeconds(20), "PVEVNC:right", 80, 25);
        try (RfbClient c = new RfbClient(socket)) {
            assertThat(c.login("PVEVNC:wrong")).isEqualTo(1);
            assertThat(new String(c.in.readNBytes(c.in.readInt()), StandardCharsets.US_ASCII)).isEqualTo("Authentication failed");
        }
        Thread.sleep(300);
        assertThat(ran).doesNotExist();
    }
}
