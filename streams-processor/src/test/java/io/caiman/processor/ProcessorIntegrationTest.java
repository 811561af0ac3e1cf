package io.caiman.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.gateway.GatewayService;
import io.caiman.processor.query.SeriesExposition;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
class ProcessorIntegrationTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final Pattern COUNT = Pattern.compile(
            SeriesExposition.COUNT_FAMILY + "\\{series=\"default/(\\w+)\\{i=\\\\\"(\\d+)\\\\\"\\}\"\\} (\\d+)");

    static int post(String url, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/import/prometheus"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()).statusCode();
    }

    static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString()).body();
    }

    /** Sends {@code rounds} requests, each with one sample of each of {@code series} series; all must be 204. */
    static void send(String gatewayUrl, int series, int rounds, int firstRound) throws Exception {
        for (int r = firstRound; r < firstRound + rounds; r++) {
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < series; i++) {
                body.append("exact_total{i=\"").append(i).append("\"} ").append(r).append('\n');
            }
            assertThat(post(gatewayUrl, body.toString())).isEqualTo(204);
        }
    }

    static Map<String, Long> counts(ProcessorService processor) throws Exception {
        Map<String, Long> counts = new HashMap<>();
        Matcher m = COUNT.matcher(get("http://127.0.0.1:" + processor.httpPort() + "/metrics"));
        while (m.find()) {
            counts.put(m.group(2), Long.parseLong(m.group(3)));
        }
        return counts;
    }

    static void awaitCounts(ProcessorService processor, int series, long each) {
        Awaitility.await().atMost(Timing.seconds(60)).pollInterval(java.time.Duration.ofMillis(200)).untilAsserted(() -> {
            Map<String, Long> counts = counts(processor);
            assertThat(counts).hasSize(series);
            assertThat(counts.values()).allMatch(c -> c == each);
        });
    }

    @Test
    void shouldCountEverySampleExactlyOnceAcrossARestartThatRestoresFromTheChangelog(@TempDir Path state,
            @TempDir Path freshState) throws Exception {
        String name = TestConfigs.uniqueName("proc");
        CaimanConfig config = ConfigLoader.parse(TestConfigs.oplog(name, 3, state.toString()), "test.yaml");
        int series = 25;
        try (GatewayService gateway = new GatewayService(config)) {
            gateway.start();
            String gatewayUrl = "http://127.0.0.1:" + gateway.ports().get(0);
            try (ProcessorService processor = new ProcessorService(config)) {
                processor.start();
                send(gatewayUrl, series, 8, 0);
                awaitCounts(processor, series, 8);
                String metrics = get("http://127.0.0.1:" + processor.httpPort() + "/metrics");
                assertThat(metrics).contains("exact_total{i=\"7\"} 7");
                assertThat(metrics).contains("kafka_stream_");
                // ready once its consumer has reported every partition fetched, the empty ones too: a moment after the counts
                Awaitility.await().atMost(Timing.seconds(30)).pollInterval(java.time.Duration.ofMillis(100)).untilAsserted(() ->
                        assertThat(get("http://127.0.0.1:" + processor.httpPort() + "/-/ready")).startsWith("Ready")
                                .contains("[ok] partitions read"));
            }
            // samples accepted while no processor runs are processed, once, by the next one, which starts with
            // empty local state and must rebuild it from the changelog
            send(gatewayUrl, series, 4, 8);
            CaimanConfig restarted = ConfigLoader.parse(TestConfigs.oplog(name, 3, freshState.toString()), "test.yaml");
            try (ProcessorService processor = new ProcessorService(restarted)) {
                processor.start();
                awaitCounts(processor, series, 12);
                assertThat(get("http://127.0.0.1:" + processor.httpPort() + "/metrics")).contains("exact_total{i=\"3\"} 11");
            }
        }
    }

    @Test
    void shouldLeaveTheSeriesOffMetricsPastMetricsMaxSeriesAndStillAnswerForThem(@TempDir Path state) throws Exception {
        String name = TestConfigs.uniqueName("proc-many");
        CaimanConfig config = ConfigLoader.parse(TestConfigs.oplog(name, 3, state.toString())
                + "  metrics_max_series: 20\n", "test.yaml");
        try (GatewayService gateway = new GatewayService(config); ProcessorService processor = new ProcessorService(config)) {
            gateway.start();
            processor.start();
            String gatewayUrl = "http://127.0.0.1:" + gateway.ports().get(0);
            String url = "http://127.0.0.1:" + processor.httpPort();
            // 15 series written 4 times each: listed (series are counted, not writes)
            send(gatewayUrl, 15, 4, 0);
            awaitCounts(processor, 15, 4);
            // 25: more than 20, left off
            send(gatewayUrl, 25, 1, 4);
            Awaitility.await().atMost(Timing.seconds(60)).pollInterval(java.time.Duration.ofMillis(200)).untilAsserted(() ->
                    assertThat(get(url + "/api/v1/series?match[]=exact_total")).contains("\"i\":\"24\""));
            assertThat(get(url + "/metrics")).contains("# this processor's state holds more than "
                    + "processor.metrics_max_series (20) series").doesNotContain("exact_total{")
                    .doesNotContain(SeriesExposition.COUNT_FAMILY);
        }
    }

    @Test
    void shouldStopOnAnUnreadableOplogRecordNamingItsPosition(@TempDir Path state) throws Exception {
        String name = TestConfigs.uniqueName("proc-bad");
        CaimanConfig config = ConfigLoader.parse(TestConfigs.oplog(name, 1, state.toString()), "test.yaml");
        try (ProcessorService processor = new ProcessorService(config)) {
            processor.start();
            try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(Map.of("bootstrap.servers",
                    SharedCluster.kafka().bootstrapServers()), new ByteArraySerializer(), new ByteArraySerializer())) {
                raw.send(new ProducerRecord<>(name + ".oplog", 0, "default/x".getBytes(), "not avro".getBytes()))
                        .get(30, TimeUnit.SECONDS);
            }
            Awaitility.await().atMost(Timing.seconds(60)).until(() -> processor.failure() != null);
            assertThat(processor.failure()).hasStackTraceContaining("cannot read the oplog record at " + name
                    + ".oplog partition 0 offset 0");
            Awaitility.await().atMost(Timing.seconds(30)).until(() -> processor.streamsState() == KafkaStreams.State.ERROR);
            assertThat(get("http://127.0.0.1:" + processor.httpPort() + "/-/ready")).startsWith("Not ready")
                    .contains("[waiting] streams running");
        }
    }
}
