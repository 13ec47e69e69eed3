package org.haven.cfs;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.haven.core.cfs.CfsException;
import org.haven.core.time.Clock;

/**
 * A stand-alone replicated cfs node driven by line commands on stdin (used by the multi-process tests):
 * {@code write|create <path> <base64>}, {@code read <path>}, {@code delete <path>}, {@code mkdirs <path>},
 * {@code rename <from> <to>}, {@code sync}, {@code sread <path>} (sync, then read), {@code readv <path>} (sync, then
 * {@code ok <version> <base64>}), {@code cas <path> <version> <base64>} ({@code ok true|false}), {@code quorate},
 * {@code leader}, {@code online}, {@code quit}.
 * Every command answers one line: {@code ok [value]} or {@code err <message>} (with {@code " (not submitted)"}
 * appended when the change was refused before it was proposed); reads answer
 * {@code ok <base64>} or {@code none}. Prints {@code ready} once started.
 *
 * <pre>CfsNodeMain --name n1 --id 1 --dir /data/n1 --listen 10.0.0.1:5405 --peers n1:1:10.0.0.1:5405,n2:2:10.0.0.2:5405,…</pre>
 */
public final class CfsNodeMain {
    private CfsNodeMain() {}

    public static void main(String[] args) throws Exception {
        // the protocol owns stdout; everything else (logging) goes to stderr
        PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), true, StandardCharsets.UTF_8);
        System.setOut(System.err);
        String name = arg(args, "--name");
        int id = Integer.parseInt(arg(args, "--id"));
        Path dir = Path.of(arg(args, "--dir"));
        String[] listen = arg(args, "--listen").split(":");
        List<CfsNode> peers = new ArrayList<>();
        for (String p : arg(args, "--peers").split(",")) {
            String[] f = p.split(":");
            peers.add(new CfsNode(f[0], Integer.parseInt(f[1]), f[2], Integer.parseInt(f[3])));
        }
        CfsNode self = new CfsNode(name, id, listen[0], Integer.parseInt(listen[1]));
        RaftClusterFs fs = RaftClusterFs.start(new RaftClusterFs.Config(arg(args, "--cluster", "it"), RaftClusterFs.groupUuid(arg(args, "--cluster", "it")),
                0, self, peers, dir, Clock.SYSTEM, CfsLimits.PVE, Duration.ofMillis(Long.parseLong(arg(args, "--election-ms", "500"))),
                Duration.ofSeconds(5)));
        out.println("ready");
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        Base64.Decoder dec = Base64.getDecoder();
        Base64.Encoder enc = Base64.getEncoder();
        String line;
        while ((line = in.readLine()) != null) {
            String[] c = line.strip().split(" ");
            try {
                switch (c[0]) {
                    case "write" -> { fs.write(c[1], dec.decode(c[2])); out.println("ok"); }
                    case "create" -> { fs.create(c[1], dec.decode(c[2])); out.println("ok"); }
                    case "read" -> out.println(fs.read(c[1]).map(b -> "ok " + enc.encodeToString(b)).orElse("none"));
                    case "sread" -> {
                        fs.sync();
                        out.println(fs.read(c[1]).map(b -> "ok " + enc.encodeToString(b)).orElse("none"));
                    }
                    case "readv" -> {
                        fs.sync();
                        out.println(fs.readVersioned(c[1]).map(v -> "ok " + v.version() + " " + enc.encodeToString(v.data())).orElse("none"));
                    }
                    case "cas" -> out.println("ok " + (fs.compareAndWrite(c[1], Long.parseLong(c[2]), dec.decode(c[3])) > 0));
                    case "delete" -> out.println("ok " + fs.delete(c[1]));
                    case "mkdirs" -> { fs.mkdirs(c[1]); out.println("ok"); }
                    case "rename" -> { fs.rename(c[1], c[2]); out.println("ok"); }
                    case "sync" -> { fs.sync(); out.println("ok"); }
                    case "quorate" -> out.println("ok " + fs.isQuorate());
                    case "leader" -> out.println("ok " + fs.leader().orElse("-"));
                    case "online" -> out.println("ok " + String.join(",", fs.onlineNodes()));
                    case "quit" -> { fs.close(); out.println("ok"); System.exit(0); }
                    default -> out.println("err unknown command " + c[0]);
                }
            } catch (CfsException | IllegalArgumentException e) {
                out.println("err " + e.getMessage().replace('\n', ' ')
                        + (e instanceof RaftClusterFs.NotSubmittedException ? " (not submitted)" : ""));
            }
        }
        fs.close();
    }

    private static String arg(String[] a, String name) {
        String v = arg(a, name, null);
        if (v == null) throw new IllegalArgumentException("missing " + name);
        return v;
    }

    private static String arg(String[] a, String name, String def) {
        for (int i = 0; i < a.length - 1; i++) if (a[i].equals(name)) return a[i + 1];
        return def;
    }
}
