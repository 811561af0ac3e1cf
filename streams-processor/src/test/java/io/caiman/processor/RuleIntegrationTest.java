package io.caiman.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.gateway.GatewayService;
import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.codec.Codecs;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.TopicReader;
import io.caiman.testing.Timing;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Stream aggregation through a real gateway, broker and processor: the aggregates topic and /metrics. */
@Tag("integration")
class RuleIntegrationTest {

    /** A minute-aligned time an hour ago: every window of the test is in the past. */
    static final long T = (System.currentTimeMillis() / 60_000 - 60) * 60_000;

    static final String SUM_RULE = String.join("\n",
            "  - name: requests",
            "    match: 'requests_total{job=~\"api|db\"}'",
            "    interval: 1m",
            "    by: [job]",
            "    outputs: [sum_samples, count_series, increase]",
            "");
    static final String MAX_RULE = String.join("\n",
            "  - match: requests_total",
            "    interval: 1m",
            "    outputs: [max]",
            "    keep_input: true",
            "");

    static CaimanConfig config(String name, Path state, String store, String rules) {
        return ConfigLoader.parse(TestConfigs.oplog(name, 3, state.toString())
                + "  idle_close: 10m\n  state_store: " + store + "\nstream_aggregation:\n" + rules, "test.yaml");
    }

    static void send(String gatewayUrl, String job, int instance, double value, long ts) throws Exception {
        String line = "requests_total{job=\"" + job + "\",instance=\"i" + instance + "\"} " + value + " " + ts + "\n";
        assertThat(ProcessorIntegrationTest.post(gatewayUrl, line)).isEqualTo(204);
    }

    /** The value of the sample named {@code name} (no labels) in Prometheus text. */
    static double counter(String text, String name) {
        return text.lines().filter(l -> l.startsWith(name + " ")).mapToDouble(l -> Double.parseDouble(l.substring(name.length() + 1)))
                .findFirst().orElseThrow(() -> new AssertionError(name + " not in " + text));
    }

    /** The entries of an {@code /api/v1/series} answer, each as {@code kind name{label=value,…} value}. */
    static List<String> entries(String answer) throws Exception {
        JsonNode root = new ObjectMapper().readTree(answer);
        assertThat(root.path("status").asText()).as(answer).isEqualTo("success");
        List<String> out = new ArrayList<>();
        for (JsonNode e : root.get("data")) {
            List<String> labels = new ArrayList<>();
            e.get("labels").properties().forEach(l -> {
                if (!l.getKey().equals("__name__")) {
                    labels.add(l.getKey() + "=" + l.getValue().asText());
                }
            });
            out.add(e.get("kind").asText() + " " + e.get("labels").get("__name__").asText()
                    + (labels.isEmpty() ? "" : "{" + String.join(",", labels) + "}") + " " + e.get("value").asText());
        }
        return out;
    }

    static Map<String, Aggregate> aggregates(String name) {
        return TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".aggregates").stream()
                .map(r -> Codecs.AGGREGATE.decode(r.value()))
                .collect(Collectors.toMap(a -> a.getSeries() + "@" + (a.getWindowStartMs() - T) / 1000, a -> a,
                        (a, b) -> {
                            throw new AssertionError("two aggregates for one output and window: " + a + " and " + b);
                        }));
    }

    /**
     * Three processors in turn, each with its state in the store named: RocksDB throughout; the heap, which restores
     * every store from the changelog at each start; and a switch from RocksDB to the heap and back, where the third
     * finds the first's RocksDB files, older than the changelog, and must bring them up to date from it.
     */
    @ParameterizedTest(name = "state in {0}, then {1}, then {2}")
    @CsvSource({"rocksdb, rocksdb, rocksdb", "memory, memory, memory", "rocksdb, memory, rocksdb"})
    void shouldWriteClosedWindowsKeepStateOfUnchangedRulesAcrossARestartAndServeThem(String firstStore,
            String secondStore, String thirdStore, @TempDir Path state) throws Exception {
        String name = TestConfigs.uniqueName("rules");
        CaimanConfig first = config(name, state, firstStore, SUM_RULE);
        try (GatewayService gateway = new GatewayService(first)) {
            gateway.start();
            String url = "http://127.0.0.1:" + gateway.ports().get(0);
            try (ProcessorService processor = new ProcessorService(first)) {
                processor.start();
                for (int i = 0; i < 3; i++) {
                    send(url, "api", i, 100 + i, T + 1_000);
                    send(url, "db", i, 10, T + 2_000);
                }
                send(url, "api", 0, 150, T + 20_000);
                // wait until the processor has counted them (its per-series state shows the newest value)
                Awaitility.await().atMost(Timing.seconds(60)).untilAsserted(() -> assertThat(
                        ProcessorIntegrationTest.get("http://127.0.0.1:" + processor.httpPort() + "/metrics"))
                        .contains("caiman_processor_rule_samples_total{rule=\"requests\"} 7.0"));
                assertThat(aggregates(name)).as("the window is still open").isEmpty();
            }
            // a restart with one more rule: the unchanged rule keeps its open window and its series' baselines
            CaimanConfig second = config(name, state, secondStore, SUM_RULE + MAX_RULE);
            try (ProcessorService processor = new ProcessorService(second)) {
                processor.start();
                send(url, "api", 1, 131, T + 40_000);          // +30 over its baseline of 101
                send(url, "api", 0, 5, T + 61_000 + 5_000);    // next window, past the grace: closes api's first
                send(url, "db", 0, 12, T + 61_000 + 5_000);    // and db's
                Awaitility.await().atMost(Timing.seconds(60)).ignoreExceptions().untilAsserted(() -> {
                    Map<String, Aggregate> a = aggregates(name);
                    assertThat(a.get("default/requests_total:1m_by_job_sum_samples{job=\"api\"}@0").getValue())
                            .isEqualTo(100 + 101 + 102 + 150 + 131);
                    assertThat(a.get("default/requests_total:1m_by_job_count_series{job=\"api\"}@0").getValue())
                            .isEqualTo(3);
                    assertThat(a.get("default/requests_total:1m_by_job_increase{job=\"api\"}@0").getValue())
                            .as("50 of i0 and 30 of i1, measured across the restart").isEqualTo(80);
                    assertThat(a.get("default/requests_total:1m_by_job_sum_samples{job=\"db\"}@0").getValue())
                            .isEqualTo(30);
                    assertThat(a.get("default/requests_total:1m_max@0").getValue())
                            .as("the new rule counts what came after it").isEqualTo(131);
                });
                String metrics = ProcessorIntegrationTest.get("http://127.0.0.1:" + processor.httpPort() + "/metrics");
                assertThat(metrics).contains("# TYPE requests_total:1m_by_job_sum_samples gauge",
                        "requests_total:1m_by_job_sum_samples{job=\"api\"} 584",
                        "requests_total:1m_by_job_increase{job=\"db\"} 0",
                        "requests_total:1m_max 131");
                assertThat(metrics).as("keep_input: true on a rule that matches them").contains(
                        "requests_total{instance=\"i0\",job=\"api\"} 5");
                // the query API reads outputs and series by their names' ranges, partition by partition
                String api = "http://127.0.0.1:" + processor.httpPort() + "/api/v1/series?match[]=";
                assertThat(entries(ProcessorIntegrationTest.get(api + URLEncoder.encode(
                        "{__name__=~\"requests_total:1m_by_job_.*\",job=\"api\"}", StandardCharsets.UTF_8))))
                        .containsExactlyInAnyOrder("output requests_total:1m_by_job_sum_samples{job=api} 584",
                                "output requests_total:1m_by_job_count_series{job=api} 3",
                                "output requests_total:1m_by_job_increase{job=api} 80");
                assertThat(entries(ProcessorIntegrationTest.get(api + URLEncoder.encode("requests_total{job=\"api\"}",
                        StandardCharsets.UTF_8)))).containsExactlyInAnyOrder(
                                "series requests_total{instance=i0,job=api} 5", "series requests_total{instance=i1,job=api} 131",
                                "series requests_total{instance=i2,job=api} 102");
                // each local read is timed and its entries counted: a name reads only its range in RocksDB, while the
                // heap's hash map checks every key (six series here); a regex pins no partition, so every one is read
                String metricsUrl = "http://127.0.0.1:" + processor.httpPort() + "/metrics";
                double before = counter(ProcessorIntegrationTest.get(metricsUrl), "caiman_processor_series_query_read_total");
                ProcessorIntegrationTest.get(api + URLEncoder.encode("{__name__=~\"nothing_here.*\"}", StandardCharsets.UTF_8));
                double named = counter(ProcessorIntegrationTest.get(metricsUrl), "caiman_processor_series_query_read_total");
                ProcessorIntegrationTest.get(api + URLEncoder.encode("{job=~\"api|db\"}", StandardCharsets.UTF_8));
                double all = counter(ProcessorIntegrationTest.get(metricsUrl), "caiman_processor_series_query_read_total");
                if (secondStore.equals("memory")) {
                    assertThat(named - before).isGreaterThanOrEqualTo(6);
                } else {
                    assertThat(named - before).as("a seek per tenant or rule and partition").isLessThan(all - named);
                }
                assertThat(all - named).as("every series, and every output").isGreaterThanOrEqualTo(6);
                assertThat(counter(ProcessorIntegrationTest.get(metricsUrl), "caiman_processor_series_query_seconds_count"))
                        .isGreaterThanOrEqualTo(4);
            }
            // without keep_input, the matched input series leave /metrics
            try (ProcessorService processor = new ProcessorService(config(name, state, thirdStore, SUM_RULE))) {
                processor.start();
                Awaitility.await().atMost(Timing.seconds(60)).untilAsserted(() -> {
                    String metrics = ProcessorIntegrationTest.get("http://127.0.0.1:" + processor.httpPort() + "/metrics");
                    assertThat(metrics).contains("requests_total:1m_by_job_sum_samples{job=\"api\"} 584");
                    assertThat(metrics).doesNotContain("requests_total{instance=\"i0\",job=\"api\"}");
                });
            }
        }
    }
    /**
     * A crawler writes to the oplog in transactions, so a partition it wrote to last ends in a commit marker, an offset
     * no record is read at. A task that has processed every record of such a partition has read it to its end all the
     * same: it goes idle, and the windows the busy tasks have marked past close, without waiting for idle_close (10
     * minutes here).
     */
    @Test
    void shouldCloseWindowsWhenTheQuietPartitionsEndInATransactionsMarker(@TempDir Path state) throws Exception {
        String name = TestConfigs.uniqueName("txmark");
        CaimanConfig config = config(name, state, "memory", SUM_RULE);
        try (GatewayService gateway = new GatewayService(config);
                ProcessorService processor = new ProcessorService(config)) {
            gateway.start();
            processor.start();
            String url = "http://127.0.0.1:" + gateway.ports().get(0);
            var cluster = config.requireCluster(name);
            var records = new io.caiman.core.kafka.OplogRecords(cluster, config.replicaLabels()).records(List.of(
                    new io.caiman.core.wire.ParsedSample("crawled_up", io.caiman.core.model.Labels.EMPTY, 1, T,
                            io.caiman.schemas.oplog.MetricType.GAUGE, 0)), "default", T, "prometheus", "crawler");
            try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(
                    io.caiman.core.kafka.KafkaClients.transactionalProducer(config, cluster, "test-crawler", name + "-tx"))) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int p = 0; p < cluster.partitions(); p++) { // every partition: its last offset is the marker
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(cluster.oplogTopic(), p,
                            records.get(0).key(), records.get(0).value()));
                }
                producer.commitTransaction();
            }
            send(url, "api", 0, 100, T + 1_000);
            send(url, "api", 0, 150, T + 66_000); // past the first window's end plus grace on its own partition
            // the transaction again, after the samples: the rule's partition ends in a marker too
            try (var producer = new org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]>(
                    io.caiman.core.kafka.KafkaClients.transactionalProducer(config, cluster, "test-crawler", name + "-tx"))) {
                producer.initTransactions();
                producer.beginTransaction();
                for (int p = 0; p < cluster.partitions(); p++) {
                    producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(cluster.oplogTopic(), p,
                            records.get(0).key(), records.get(0).value()));
                }
                producer.commitTransaction();
            }
            Awaitility.await().atMost(Timing.seconds(30)).ignoreExceptions().untilAsserted(() -> assertThat(
                    aggregates(name).get("default/requests_total:1m_by_job_sum_samples{job=\"api\"}@0").getValue())
                    .isEqualTo(100));
            assertThat(counter(ProcessorIntegrationTest.get("http://127.0.0.1:" + processor.httpPort() + "/metrics"),
                    "caiman_processor_rule_windows_closed_total{by=\"stream\",rule=\"requests\"}"))
                    .as("closed by the marks, not by the wall clock").isGreaterThanOrEqualTo(1);
        }
    }
}
