package io.caiman.processor;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.error.CaimanException;
import io.caiman.gateway.GatewayService;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import io.caiman.testing.TopicReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A reset rebuilds the state from the oplog from a time on: afterwards the processor's counts equal a fresh
 * computation over the records accepted since then, not the old state plus a second pass.
 */
class ProcessorResetTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();

    @Test
    void shouldRebuildStateFromATimeAndRefuseWhileAProcessorRuns(@TempDir Path dir) throws Exception {
        String name = TestConfigs.uniqueName("reset");
        CaimanConfig config = ConfigLoader.parse(TestConfigs.oplog(name, 2, dir.resolve("state").toString()), "t.yaml");
        try (GatewayService gateway = new GatewayService(config)) {
            gateway.start();
            for (int i = 1; i <= 6; i++) {
                post(gateway, "reset_me{job=\"a\"} " + i + "\nreset_other " + i + "\n");
            }
            Thread.sleep(50);
            long resetTime = System.currentTimeMillis();
            Thread.sleep(50);
            for (int i = 7; i <= 10; i++) {
                post(gateway, "reset_me{job=\"a\"} " + i + "\n");
            }
            try (ProcessorService processor = new ProcessorService(config)) {
                processor.start();
                awaitCount(processor, 10);
                // a running processor is named, and nothing is changed
                assertThatThrownBy(() -> new ProcessorService(config).resetTo(OffsetSpec.forTimestamp(resetTime)))
                        .isInstanceOf(CaimanException.class)
                        .hasMessageContaining("refusing to reset: the processor group " + name + "-processor has 1 live member")
                        .hasMessageContaining(" on 127.0.0.1");
            }
            // the reference: the records the oplog accepted at or after the reset time, counted independently
            long fresh = TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog").stream()
                    .filter(r -> r.timestamp() >= resetTime
                            && new String(r.key(), StandardCharsets.UTF_8).equals("default/reset_me{job=\"a\"}"))
                    .count();
            assertThat(fresh).isEqualTo(4);

            ProcessorService restarted = new ProcessorService(config);
            ProcessorReset.Result reset = restarted.resetTo(OffsetSpec.forTimestamp(resetTime));
            assertThat(reset.deletedTopics()).contains(name + "-processor-series-state-changelog");
            try (restarted) {
                restarted.start();
                awaitCount(restarted, fresh);
                Thread.sleep(1000);
                String metrics = metrics(restarted);
                assertThat(count(metrics, "reset_me{job=\\\"a\\\"}")).isEqualTo(fresh);
                assertThat(metrics).contains("reset_me{job=\"a\"} 10\n").doesNotContain("reset_other");
            }
        }
    }

    static void post(GatewayService gateway, String body) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.ports().get(0)
                + "/api/v1/import/prometheus")).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(204);
    }

    static String metrics(ProcessorService p) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.httpPort() + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    static long count(String metrics, String series) {
        Matcher m = Pattern.compile("caiman_processor_series_samples_total\\{series=\"default/" + Pattern.quote(series)
                + "\"} (\\d+)").matcher(metrics);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    static void awaitCount(ProcessorService p, long n) {
        Awaitility.await().atMost(Timing.seconds(60)).pollInterval(Duration.ofMillis(200))
                .untilAsserted(() -> assertThat(count(metrics(p), "reset_me{job=\\\"a\\\"}")).isEqualTo(n));
    }
}
