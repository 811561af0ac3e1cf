package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.caiman.core.config.ConfigLoader;
import io.caiman.embedded.Ports;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import io.caiman.testing.TopicReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real Prometheus (Debian's package; .ci/run installs it) scrapes a local target and remote-writes to
 * the gateway; the samples must arrive on the oplog with their labels, values and timestamps.
 */
@Tag("integration")
class RealPrometheusTest {

    @Test
    void shouldReceiveWhatPrometheusScrapesAndRemoteWrites(@TempDir Path dir) throws Exception {
        Path binary = io.caiman.testing.Executables.onPath("prometheus");
        Assumptions.assumeTrue(binary != null, "no prometheus binary on PATH (apt-get install prometheus; .ci/run does)");
        String name = TestConfigs.uniqueName("prom");
        HttpServer target = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        target.createContext("/metrics", exchange -> {
            byte[] body = ("# TYPE caiman_e2e_value gauge\ncaiman_e2e_value{kind=\"fixed\",path=\"a\\\"b\"} 123.5\n")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        target.start();
        Process prometheus = null;
        try (GatewayService gateway = new GatewayService(ConfigLoader.parse(TestConfigs.oplog(name, 2, "unused"), "t.yaml"))) {
            gateway.start();
            int targetPort = target.getAddress().getPort();
            Path config = dir.resolve("prometheus.yml");
            Files.writeString(config, String.join("\n",
                    "global:",
                    "  scrape_interval: 1s",
                    "scrape_configs:",
                    "  - job_name: e2e",
                    "    static_configs:",
                    "      - targets: ['127.0.0.1:" + targetPort + "']",
                    "remote_write:",
                    "  - url: http://127.0.0.1:" + gateway.ports().get(0) + "/api/v1/write",
                    "    queue_config: {batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: 1s}",
                    "    metadata_config: {send_interval: 1s}",
                    ""));
            long started = System.currentTimeMillis();
            prometheus = new ProcessBuilder(binary.toString(), "--config.file=" + config,
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + Ports.free())
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            String key = "default/caiman_e2e_value{instance=\"127.0.0.1:" + targetPort
                    + "\",job=\"e2e\",kind=\"fixed\",path=\"a\\\"b\"}";
            Awaitility.await().atMost(Timing.seconds(90)).pollInterval(Duration.ofMillis(500))
                    .untilAsserted(() -> assertThat(oplog(name)).containsKey(key));
            Sample sample = oplog(name).get(key);
            assertThat(sample.getValue()).isEqualTo(123.5);
            assertThat(sample.getTimestampMs()).isBetween(started - 1000, System.currentTimeMillis());
            assertThat(sample.getOrigin().getProtocol()).isEqualTo("remote-write");
            assertThat(oplog(name)).containsKey("default/up{instance=\"127.0.0.1:" + targetPort + "\",job=\"e2e\"}");
        } finally {
            if (prometheus != null) {
                prometheus.destroy();
                if (!prometheus.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                    prometheus.destroyForcibly();
                }
            }
            target.stop(0);
        }
    }

    static Map<String, Sample> oplog(String name) {
        return TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog").stream().collect(
                Collectors.toMap(r -> new String(r.key(), StandardCharsets.UTF_8), r -> Codecs.SAMPLE.decode(r.value()),
                        (a, b) -> b));
    }
}
