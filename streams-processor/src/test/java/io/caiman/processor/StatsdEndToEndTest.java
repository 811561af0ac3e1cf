package io.caiman.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.gateway.GatewayService;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * StatsD from the sender to the processor's {@code /metrics}: a gateway with StatsD over UDP and TCP writes
 * increments, gauge deltas and set members to a real oplog, and a real processor adds them up exactly once.
 */
@Tag("integration")
class StatsdEndToEndTest {

    static void udp(int port, String datagram) throws Exception {
        byte[] bytes = datagram.getBytes(StandardCharsets.UTF_8);
        try (DatagramSocket s = new DatagramSocket()) {
            s.send(new DatagramPacket(bytes, bytes.length, InetAddress.getLoopbackAddress(), port));
        }
    }

    static void tcp(int port, String text) throws Exception {
        try (Socket s = new Socket("127.0.0.1", port); OutputStream out = s.getOutputStream()) {
            out.write(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    @Test
    void shouldAddUpCountersTimersGaugesAndSetsSentOverUdpAndTcp(@TempDir Path state) throws Exception {
        String name = TestConfigs.uniqueName("statsd");
        String yaml = TestConfigs.oplog(name, 2, state.toString()).replace("processor:", String.join("\n",
                "  - protocol: udp",
                "    format: statsd",
                "    listen: 127.0.0.1:0",
                "    cluster: " + name,
                "  - protocol: tcp",
                "    format: statsd",
                "    listen: 127.0.0.1:0",
                "    cluster: " + name,
                "gateway:",
                "  statsd_buckets: [0.1, 1]",
                "processor:",
                "  set_window: 1h"));
        CaimanConfig config = ConfigLoader.parse(yaml, "statsd.yaml");
        try (GatewayService gateway = new GatewayService(config); ProcessorService processor = new ProcessorService(config)) {
            gateway.start();
            processor.start();
            int udpPort = gateway.ports().get(1);
            int tcpPort = gateway.ports().get(2);

            udp(udpPort, "jobs.done:1|c|#team:infra\njobs.done:2|c|@0.5|#team:infra\nnot a statsd line\n");
            tcp(tcpPort, "jobs.done:3|c|#team:infra\nreq.time:50|ms\nreq.time:400|ms\n");
            udp(udpPort, "req.time:2000|ms\n");
            // one chunk, so one receive time: every member falls in one window; the gauge's lines keep their order
            udp(udpPort, "users:alice|s\nusers:bob|s\nusers:alice|s|@0.5\nusers:carol|s\n");
            tcp(tcpPort, "queue.depth:10|g\nqueue.depth:+5|g\nqueue.depth:-2|g\n");

            String url = "http://127.0.0.1:" + processor.httpPort() + "/metrics";
            Awaitility.await().atMost(Timing.seconds(60)).pollInterval(java.time.Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(ProcessorIntegrationTest.get(url))
                            .contains("jobs_done{team=\"infra\"} 8\n") // 1 + 2 / 0.5 + 3
                            .contains("queue_depth 13\n")
                            .contains("req_time_bucket{le=\"0.1\"} 1\n")
                            .contains("req_time_bucket{le=\"1\"} 2\n")
                            .contains("req_time_bucket{le=\"+Inf\"} 3\n")
                            .contains("req_time_count 3\n")
                            .contains("req_time_sum 2.45\n")
                            .contains("users 3\n")
                            .contains("# TYPE jobs_done counter"));
            // a relative gauge over UDP moves the value the TCP lines left
            udp(udpPort, "queue.depth:+7|g\n");
            Awaitility.await().atMost(Timing.seconds(60)).pollInterval(java.time.Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(ProcessorIntegrationTest.get(url)).contains("queue_depth 20\n"));
            String gatewayMetrics = ProcessorIntegrationTest.get("http://127.0.0.1:" + gateway.ports().get(0) + "/metrics");
            assertThat(gatewayMetrics).containsPattern(
                    "caiman_gateway_samples_rejected_total\\{protocol=\"statsd-udp\",reason=\"invalid\"} 1.0");
        }
    }
}
