package org.haven.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.haven.api.TestNodeContext;
import org.haven.api.server.ApiTree;
import org.haven.api.task.FileTaskManager;
import org.haven.cfs.LocalClusterFs;
import org.haven.core.format.SectionConfig;
import org.haven.core.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The senders against real receivers on the loopback: UDP and TCP sockets and an HTTP server. */
class SenderTest {
    static final Snapshot SNAP = FormatTest.SNAP;
    final MetricSender sender = new MetricSender();

    static MetricServer server(String text) {
        return StatusConfig.servers(StatusConfig.parse(text), id -> id.equals("i") ? "tok:en" : null).get(0);
    }

    /** Datagrams until {@code lines} lines arrived (or a second passed without one). */
    static List<String> receive(DatagramSocket s, int lines, List<Integer> sizes) throws IOException {
        s.setSoTimeout(5000);
        List<String> out = new ArrayList<>();
        byte[] buf = new byte[65536];
        while (out.size() < lines) {
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            s.receive(p);
            sizes.add(p.getLength());
            String text = new String(p.getData(), 0, p.getLength(), StandardCharsets.UTF_8);
            assertThat(text).endsWith("\n");
            for (String l : text.split("\n")) out.add(l + "\n");
        }
        return out;
    }

    @Test
    void graphiteOverUdpInDatagramsOfTheMtu() throws Exception {
        try (DatagramSocket rx = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            MetricServer g = server("graphite: g\n\tserver 127.0.0.1\n\tport " + rx.getLocalPort() + "\n\tpath haven.c1\n\tmtu 512\n");
            sender.send(g, SNAP);
            List<Integer> sizes = new ArrayList<>();
            List<String> expected = GraphiteFormat.lines("haven.c1", SNAP);
            List<String> got = receive(rx, expected.size(), sizes);
            assertThat(got).isEqualTo(expected);
            assertThat(got).contains("haven.c1.nodes.n1.memory.memused 4096 1700000000\n", "haven.c1.qemu.100.cpu 0.5 1700000000\n",
                    "haven.c1.storages.n1.local.used 250 1700000000\n");
            assertThat(sizes).hasSizeGreaterThan(1).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(462));
        }
    }

    @Test
    void graphiteOverTcp() throws Exception {
        try (ServerSocket rx = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            CompletableFuture<String> got = CompletableFuture.supplyAsync(() -> {
                try (Socket c = rx.accept()) {
                    return new String(c.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            MetricServer g = server("graphite: g\n\tserver 127.0.0.1\n\tport " + rx.getLocalPort() + "\n\tproto tcp\n\ttimeout 2\n");
            sender.send(g, SNAP);
            String text = got.get(10, TimeUnit.SECONDS);
            assertThat(text).isEqualTo(String.join("", GraphiteFormat.lines("proxmox", SNAP)));
            assertThat(text).contains("proxmox.nodes.n1.uptime 1234 1700000000\n");
        }
    }

    @Test
    void graphiteOverTcpToNobodyFails() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        MetricServer g = server("graphite: g\n\tserver 127.0.0.1\n\tport " + port + "\n\tproto tcp\n");
        assertThatThrownBy(() -> sender.send(g, SNAP)).isInstanceOf(IOException.class).hasMessageStartingWith("failed to create socket - ");
    }

    @Test
    void influxOverUdp() throws Exception {
        try (DatagramSocket rx = new DatagramSocket(0, InetAddress.getLoopbackAddress())) {
            MetricServer i = server("influxdb: i\n\tserver 127.0.0.1\n\tport " + rx.getLocalPort() + "\n\tmtu 600\n");
            sender.send(i, SNAP);
            List<Integer> sizes = new ArrayList<>();
            List<String> expected = InfluxFormat.lines(SNAP);
            List<String> got = receive(rx, expected.size(), sizes);
            assertThat(got).isEqualTo(expected);
            assertThat(got).anySatisfy(l -> assertThat(l).startsWith("memory,object=nodes,host=n1 memtotal=8192,memused=4096 "));
            assertThat(sizes).hasSizeGreaterThan(1).allSatisfy(n -> assertThat(n).isLessThanOrEqualTo(550));
        }
    }

    @Test
    void influxOverHttpV2() throws Exception {
        List<String> requests = new CopyOnWriteArrayList<>();
        List<String> bodies = new CopyOnWriteArrayList<>();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", ex -> {
            requests.add(ex.getRequestMethod() + " " + ex.getRequestURI() + " " + ex.getRequestHeaders().getFirst("Authorization"));
            bodies.add(new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            ex.sendResponseHeaders(204, -1);
            ex.close();
        });
        http.start();
        try {
            MetricServer i = server("influxdb: i\n\tserver 127.0.0.1\n\tport " + http.getAddress().getPort()
                    + "\n\tinfluxdbproto http\n\torganization my org\n\tbucket b1\n\tapi-path-prefix proxy\n\tmax-body-size 400\n\ttimeout 5\n");
            sender.send(i, SNAP);
            assertThat(requests).hasSizeGreaterThan(1).allSatisfy(r ->
                    assertThat(r).isEqualTo("POST /proxy/api/v2/write?org=my+org&bucket=b1 Token tok:en"));
            assertThat(bodies).allSatisfy(b -> assertThat(b.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(400));
            List<String> lines = new ArrayList<>();
            for (String b : bodies) for (String l : b.split("\n")) lines.add(l + "\n");
            assertThat(lines).isEqualTo(InfluxFormat.lines(SNAP));
            assertThat(lines).contains("system,object=storages,nodename=n1,host=local,type=dir active=1,total=1000,type=\"dir\",used=250 1700000000000000000\n");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void influxHttpErrorsAreReported() throws Exception {
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        http.createContext("/", ex -> {
            ex.getRequestBody().readAllBytes();
            byte[] msg = "{\"code\":\"unauthorized\",\"message\":\"unauthorized access\"}".getBytes(StandardCharsets.UTF_8);
            ex.sendResponseHeaders(401, msg.length);
            ex.getResponseBody().write(msg);
            ex.close();
        });
        http.start();
        try {
            MetricServer i = server("influxdb: i\n\tserver 127.0.0.1\n\tport " + http.getAddress().getPort() + "\n\tinfluxdbproto http\n\ttimeout 5\n");
            assertThatThrownBy(() -> sender.send(i, SNAP)).isInstanceOf(IOException.class)
                    .hasMessage("HTTP error: 401 {\"code\":\"unauthorized\",\"message\":\"unauthorized access\"}");
        } finally {
            http.stop(0);
        }
    }

    @Test
    void everyIntervalTheNodeSendsToEveryEnabledServer(@TempDir Path tmp) throws Exception {
        try (DatagramSocket rx = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             DatagramSocket off = new DatagramSocket(0, InetAddress.getLoopbackAddress());
             FileTaskManager tasks = new FileTaskManager(tmp.resolve("tasks"), "n1", Clock.SYSTEM)) {
            LocalClusterFs cfs = new LocalClusterFs(tmp.resolve("cfs"), "n1");
            cfs.writeString("status.cfg", "graphite: on\n\tserver 127.0.0.1\n\tport " + rx.getLocalPort() + "\n\n"
                    + "graphite: off\n\tserver 127.0.0.1\n\tport " + off.getLocalPort() + "\n\tdisable 1\n\n");
            AtomicLong now = new AtomicLong(1000);
            TestNodeContext node = new TestNodeContext(cfs, tasks, null, tmp, () -> now.getAndAdd(10));
            MetricsModule m = new MetricsModule(ctx -> ctime -> new Snapshot(ctime, ctx.nodeName(), Map.of("uptime", ctime), List.of(), List.of()),
                    Duration.ofMillis(50), sender);
            m.register(new ApiTree(), node);
            m.start(node);
            try {
                List<String> got = receive(rx, 3, new ArrayList<>());
                assertThat(got.subList(0, 3)).containsExactly("proxmox.nodes.n1.uptime 1000 1000\n", "proxmox.nodes.n1.uptime 1010 1010\n",
                        "proxmox.nodes.n1.uptime 1020 1020\n");
            } finally {
                m.stop();
            }
            off.setSoTimeout(300);
            byte[] buf = new byte[100];
            assertThatThrownBy(() -> off.receive(new DatagramPacket(buf, buf.length))).isInstanceOf(java.net.SocketTimeoutException.class);
        }
    }
}
