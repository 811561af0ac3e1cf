package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.caiman.schemas.oplog.Sample;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The line listeners through a real broker: Graphite over TCP (with a graphite_exporter mapping file) and
 * UDP, and Alligator's raw TCP listener taking Prometheus text, Graphite and Influx lines on one connection.
 */
@Tag("integration")
class LineListenersTest {

    @TempDir
    static Path dir;
    static TestGateway gateway;

    @BeforeAll
    static void start() throws Exception {
        Path mappings = dir.resolve("graphite-mappings.yaml");
        Files.writeString(mappings, String.join("\n",
                "mappings:",
                "  - match: servers.*.cpu.*",
                "    name: server_cpu_percent",
                "    labels: {host: $1, mode: '${2}', job: graphite}",
                "  - match: 'apps\\.(\\w+)\\.requests'",
                "    match_type: regex",
                "    name: app_requests_total",
                "    labels: {app: $1}",
                "  - match: debug.*",
                "    action: drop",
                ""));
        gateway = TestGateway.start("lines", String.join("\n",
                "  - protocol: tcp",
                "    format: graphite",
                "    listen: 127.0.0.1:0",
                "    cluster: $CLUSTER",
                "  - protocol: udp",
                "    format: graphite",
                "    listen: 127.0.0.1:0",
                "    cluster: $CLUSTER",
                "  - protocol: tcp",
                "    listen: 127.0.0.1:0",
                "    cluster: $CLUSTER",
                ""), "gateway:\n  graphite_mapping_file: '" + mappings + "'\n  max_line_bytes: 1KiB\n  max_connections: 2\n"
                + "  line_idle_timeout: 1s\n");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static void tcp(int port, String text) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port); OutputStream out = s.getOutputStream()) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    static Map<String, List<Sample>> awaitKeys(String... keys) {
        return await().atMost(Duration.ofSeconds(20)).until(gateway::oplog, m -> m.keySet().containsAll(List.of(keys)));
    }

    @Test
    void shouldTakeGraphitePlaintextOverTcpWithMappingsTagsAndBadLinesSkipped() throws Exception {
        int port = gateway.service.ports().get(1);
        tcp(port, String.join("\n",
                "servers.web-1.cpu.user 12.5 1700000000",
                "apps.shop.requests 42 1700000000.5",
                "debug.noise 1 1700000000",
                "not a valid line at all",
                "x".repeat(2000) + " 1 1700000000", // longer than max_line_bytes: skipped, counted
                "disk.used;host=db-1;mount=/var 0.75 1700000001",
                "load.shortterm 0.5 -1",
                "no.newline.at.end 7 1700000002"));
        Map<String, List<Sample>> oplog = awaitKeys(
                "default/server_cpu_percent{host=\"web-1\",job=\"graphite\",mode=\"user\"}",
                "default/app_requests_total{app=\"shop\"}",
                "default/disk_used{host=\"db-1\",mount=\"/var\"}",
                "default/load_shortterm",
                "default/no_newline_at_end");
        Sample cpu = oplog.get("default/server_cpu_percent{host=\"web-1\",job=\"graphite\",mode=\"user\"}").get(0);
        assertThat(cpu.getValue()).isEqualTo(12.5);
        assertThat(cpu.getTimestampMs()).isEqualTo(1_700_000_000_000L);
        assertThat(cpu.getOrigin().getProtocol()).isEqualTo("graphite-tcp");
        assertThat(oplog.get("default/app_requests_total{app=\"shop\"}").get(0).getTimestampMs()).isEqualTo(1_700_000_000_500L);
        assertThat(oplog.get("default/load_shortterm").get(0).getTimestampMs())
                .isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
        assertThat(oplog.keySet()).noneMatch(k -> k.contains("debug") || k.contains("xxxx"));
        String metrics = TestGateway.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(gateway.base + "/metrics"))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        assertThat(metrics).contains("caiman_gateway_graphite_dropped_total 1.0")
                .containsPattern("caiman_gateway_samples_rejected_total\\{protocol=\"graphite-tcp\",reason=\"invalid\"} 1.0")
                .containsPattern("caiman_gateway_samples_rejected_total\\{protocol=\"graphite-tcp\",reason=\"too_large\"} 1.0");
    }

    @Test
    void shouldCloseConnectionsThatSendNothingSoThatWaitingSendersGetTheirSlots() throws Exception {
        int port = gateway.service.ports().get(1);
        try (Socket first = new Socket("127.0.0.1", port); Socket second = new Socket("127.0.0.1", port);
                Socket third = new Socket("127.0.0.1", port)) {
            // the first two hold max_connections (2), then fall silent; the third waits in the accept queue
            first.getOutputStream().write("idle.first 1 -1\n".getBytes(StandardCharsets.UTF_8));
            second.getOutputStream().write("idle.second 2 -1\n".getBytes(StandardCharsets.UTF_8));
            Thread.sleep(200);
            long t0 = System.nanoTime();
            third.getOutputStream().write("idle.third 3 -1\n".getBytes(StandardCharsets.UTF_8));
            first.setSoTimeout(10_000);
            second.setSoTimeout(10_000);
            assertThat(first.getInputStream().read()).as("closed by the gateway").isEqualTo(-1);
            assertThat(second.getInputStream().read()).as("closed by the gateway").isEqualTo(-1);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).isBetween(Duration.ofMillis(500), Duration.ofSeconds(5));
            awaitKeys("default/idle_first", "default/idle_second", "default/idle_third");
        }
    }

    @Test
    void shouldTakeGraphiteOverUdp() throws Exception {
        int port = gateway.service.ports().get(2);
        byte[] datagram = "udp.probe.a 1 1700000000\nudp.probe.b 2 1700000000\n".getBytes(StandardCharsets.UTF_8);
        try (DatagramSocket s = new DatagramSocket()) {
            s.send(new DatagramPacket(datagram, datagram.length, InetAddress.getLoopbackAddress(), port));
        }
        Map<String, List<Sample>> oplog = awaitKeys("default/udp_probe_a", "default/udp_probe_b");
        assertThat(oplog.get("default/udp_probe_b").get(0).getOrigin().getProtocol()).isEqualTo("graphite-udp");
    }

    @Test
    void shouldTellPrometheusGraphiteAndInfluxLinesApartOnAlligatorsRawListener() throws Exception {
        int port = gateway.service.ports().get(3);
        tcp(port, String.join("\n",
                "# TYPE raw_prom_requests counter",
                "raw_prom_requests_total{code=\"200\"} 10 1700000000000",
                "raw_prom_plain 3",
                "raw.graphite.path 4 1700000000",
                "raw_influx,host=a value=5,other=6i 1700000000000000000",
                "raw_plain_graphite 8 1700000000",
                ""));
        Map<String, List<Sample>> oplog = awaitKeys("default/raw_prom_requests_total{code=\"200\"}", "default/raw_prom_plain",
                "default/raw_graphite_path", "default/raw_influx_value{host=\"a\"}", "default/raw_influx_other{host=\"a\"}",
                "default/raw_plain_graphite");
        assertThat(oplog.get("default/raw_prom_requests_total{code=\"200\"}").get(0).getTimestampMs()).isEqualTo(1_700_000_000_000L);
        assertThat(oplog.get("default/raw_plain_graphite").get(0).getTimestampMs()).isEqualTo(1_700_000_000_000L);
        assertThat(oplog.get("default/raw_influx_other{host=\"a\"}").get(0).getValue()).isEqualTo(6.0);
        assertThat(oplog.get("default/raw_prom_plain").get(0).getOrigin().getProtocol()).isEqualTo("raw-tcp");
    }

    @Test
    void shouldCountUdpDatagramsOverTheTenantsRateAsDroppedNeverSilently() throws Exception {
        try (TestGateway limited = TestGateway.start("udp-limited",
                "  - protocol: udp\n    format: graphite\n    listen: 127.0.0.1:0\n    cluster: $CLUSTER\n",
                "gateway:\n  tenant_sample_rate: 2\n")) {
            int port = limited.service.ports().get(1);
            try (DatagramSocket s = new DatagramSocket()) {
                for (String batch : new String[] {"limited.a 1 1700000000\nlimited.b 2 1700000000\n", "limited.c 3 1700000000\n"}) {
                    byte[] datagram = batch.getBytes(StandardCharsets.UTF_8);
                    s.send(new DatagramPacket(datagram, datagram.length, InetAddress.getLoopbackAddress(), port));
                    Thread.sleep(200); // in order, well within the bucket's one-second refill
                }
            }
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                    TestGateway.HTTP.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(limited.base + "/metrics"))
                            .build(), java.net.http.HttpResponse.BodyHandlers.ofString()).body())
                    .containsPattern("caiman_gateway_samples_rejected_total\\{protocol=\"graphite-udp\",reason=\"rate_limited\"} 1.0"));
            assertThat(limited.oplog()).containsKeys("default/limited_a", "default/limited_b").doesNotContainKey("default/limited_c");
        }
    }
}
