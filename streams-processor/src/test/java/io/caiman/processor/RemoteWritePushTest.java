package io.caiman.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.gateway.GatewayService;
import io.caiman.testing.RealPrometheus;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Closed windows pushed by remote write to a real Prometheus, and queryable there at their windows' ends. */
@Tag("integration")
class RemoteWritePushTest {

    @Test
    void shouldPushClosedWindowsToARealPrometheus(@TempDir Path dir) throws Exception {
        RealPrometheus prometheus = RealPrometheus.start(dir.resolve("prometheus"));
        Assumptions.assumeTrue(prometheus != null, "no prometheus binary on PATH (apt-get install prometheus; .ci/run does)");
        try (prometheus) {
            String name = TestConfigs.uniqueName("push");
            CaimanConfig config = ConfigLoader.parse(TestConfigs.oplog(name, 1, dir.resolve("state").toString())
                    + "  idle_close: 10m\n  remote_write_url: " + prometheus.writeUrl() + "\n"
                    + "stream_aggregation:\n"
                    + "  - {match: push_latency, interval: 10s, by: [job], outputs: [sum_samples, 'quantiles(0.5)'], grace: 1s}\n",
                    "test.yaml");
            long t = (System.currentTimeMillis() / 10_000 - 6) * 10_000; // a minute ago, window-aligned
            try (GatewayService gateway = new GatewayService(config);
                    ProcessorService processor = new ProcessorService(config)) {
                gateway.start();
                processor.start();
                String url = "http://127.0.0.1:" + gateway.ports().get(0);
                String body = String.join("\n",
                        "push_latency{job=\"api\",i=\"a\"} 1 " + (t + 1_000),
                        "push_latency{job=\"api\",i=\"b\"} 3 " + (t + 2_000),
                        "push_latency{job=\"api\",i=\"c\"} 5 " + (t + 3_000),
                        "push_latency{job=\"api\",i=\"a\"} 7 " + (t + 12_000), // closes the first window
                        "");
                assertThat(ProcessorIntegrationTest.post(url, body)).isEqualTo(204);
                String at = "&time=" + (t + 10_000) / 1000;
                Awaitility.await().atMost(Timing.seconds(60)).pollInterval(java.time.Duration.ofMillis(500))
                        .ignoreExceptions().untilAsserted(() -> {
                            String sum = prometheus.get("/api/v1/query?query=" + URLEncoder.encode(
                                    "push_latency:10s_by_job_sum_samples", StandardCharsets.UTF_8) + at).body();
                            assertThat(sum).contains("\"job\":\"api\"").contains("\"9\"]");
                            String median = prometheus.get("/api/v1/query?query=" + URLEncoder.encode(
                                    "push_latency:10s_by_job_quantiles{quantile=\"0.5\"}", StandardCharsets.UTF_8) + at).body();
                            assertThat(median).contains("\"3\"]");
                        });
                assertThat(ProcessorIntegrationTest.get("http://127.0.0.1:" + processor.httpPort() + "/metrics"))
                        .contains("caiman_processor_remote_write_samples_total 2.0");
            }
        }
    }
}
