package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.shard.ShardingFunction;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Sample;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import io.caiman.testing.TopicReader;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("integration")
class GatewayIntegrationTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static String name;
    static CaimanConfig config;
    static GatewayService gateway;
    static String url;

    @BeforeAll
    static void start() {
        name = TestConfigs.uniqueName("gw");
        config = ConfigLoader.parse(TestConfigs.oplog(name, 6, "unused") + "gateway:\n  max_request_bytes: 4KiB\n", "test.yaml");
        gateway = new GatewayService(config);
        gateway.start();
        url = "http://127.0.0.1:" + gateway.ports().get(0);
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static HttpResponse<String> post(String base, String body, Map<String, String> headers) throws Exception {
        return post(base, body.getBytes(StandardCharsets.UTF_8), headers);
    }

    static HttpResponse<String> post(String base, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + "/api/v1/import/prometheus"))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(b::header);
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> get(String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static List<ConsumerRecord<byte[], byte[]>> oplog() {
        return TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog");
    }

    @Test
    void shouldWriteEverySampleKeyedAndShardedAfterKafkaAcknowledged() throws Exception {
        int before = oplog().size();
        long t0 = System.currentTimeMillis();
        String body = String.join("\n",
                "# TYPE shard_test_total counter",
                "shard_test_total{job=\"a\",__replica__=\"r1\"} 1 1700000000000",
                "shard_test_total{job=\"b\"} 2",
                "other_metric{x=\"y\"} -Inf",
                "");
        HttpResponse<String> r = post(url, body, Map.of("X-Scope-OrgID", "team-7"));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);

        List<ConsumerRecord<byte[], byte[]>> records = oplog();
        assertThat(records).hasSize(before + 3);
        ClusterConfig cluster = config.requireCluster(name);
        ShardingFunction sharding = new ShardingFunction(cluster.shardingKey(), cluster.partitions());
        Map<String, ConsumerRecord<byte[], byte[]>> byKey = records.stream().filter(rec -> new String(rec.key(),
                StandardCharsets.UTF_8).startsWith("team-7/")).collect(Collectors.toMap(
                rec -> new String(rec.key(), StandardCharsets.UTF_8), rec -> rec));
        assertThat(byKey.keySet()).containsExactlyInAnyOrder(
                "team-7/shard_test_total{job=\"a\"}", "team-7/shard_test_total{job=\"b\"}", "team-7/other_metric{x=\"y\"}");
        for (ConsumerRecord<byte[], byte[]> rec : byKey.values()) {
            assertThat(rec.partition()).isEqualTo(sharding.partition(SeriesKey.parse(rec.key())));
        }
        Sample a = Codecs.SAMPLE.decode(byKey.get("team-7/shard_test_total{job=\"a\"}").value());
        assertThat(a.getValue()).isEqualTo(1);
        assertThat(a.getTimestampMs()).isEqualTo(1700000000000L);
        assertThat(a.getMetricType()).isEqualTo(MetricType.COUNTER);
        assertThat(a.getTenant()).isEqualTo("team-7");
        assertThat(a.getOrigin().getProtocol()).isEqualTo("prometheus-text");
        assertThat(a.getOrigin().getGateway()).isEqualTo("127.0.0.1:0");
        assertThat(a.getReplica()).as("the replica label leaves the key but is kept in the sample").isEqualTo("r1");
        Sample b = Codecs.SAMPLE.decode(byKey.get("team-7/shard_test_total{job=\"b\"}").value());
        assertThat(b.getReplica()).isEmpty();
        assertThat(b.getTimestampMs()).isBetween(t0, System.currentTimeMillis());
        assertThat(Codecs.SAMPLE.decode(byKey.get("team-7/other_metric{x=\"y\"}").value()).getValue())
                .isEqualTo(Double.NEGATIVE_INFINITY);
    }

    @Test
    void shouldReadOpenMetricsWhenTheContentTypeSaysSo() throws Exception {
        String om = "application/openmetrics-text; version=1.0.0; charset=utf-8";
        String body = "# TYPE om_requests counter\nom_requests_total{code=\"200\"} 5 1700000000.250\n# EOF\n";
        HttpResponse<String> ok = post(url, body, Map.of("Content-Type", om));
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(204);
        Sample s = oplog().stream().filter(r -> new String(r.key(), StandardCharsets.UTF_8)
                .equals("default/om_requests_total{code=\"200\"}")).map(r -> Codecs.SAMPLE.decode(r.value()))
                .findFirst().orElseThrow();
        assertThat(s.getTimestampMs()).isEqualTo(1_700_000_000_250L);
        assertThat(s.getMetricType()).isEqualTo(MetricType.COUNTER);
        HttpResponse<String> noEof = post(url, "om_gauge 1\n", Map.of("Content-Type", om));
        assertThat(noEof.statusCode()).isEqualTo(400);
        assertThat(noEof.body()).isEqualTo("1 error in the OpenMetrics body; nothing of this request was written:\n"
                + "line 2, column 1: missing # EOF at the end\n");
    }

    @Test
    void shouldKeepTheOrderOfOneSeriesAcrossRequests() throws Exception {
        for (int i = 0; i < 20; i++) {
            assertThat(post(url, "order_test{s=\"1\"} " + i + "\n", Map.of()).statusCode()).isEqualTo(204);
        }
        List<Double> values = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> rec : oplog()) {
            if (new String(rec.key(), StandardCharsets.UTF_8).equals("default/order_test{s=\"1\"}")) {
                values.add(Codecs.SAMPLE.decode(rec.value()).getValue());
            }
        }
        assertThat(values).containsExactly(0d, 1d, 2d, 3d, 4d, 5d, 6d, 7d, 8d, 9d, 10d, 11d, 12d, 13d, 14d, 15d, 16d,
                17d, 18d, 19d);
    }

    @Test
    void shouldRejectAMalformedRequestWholeNamingEveryBadLine() throws Exception {
        int before = oplog().size();
        HttpResponse<String> r = post(url, "good_one 1\nbad{job=\"x\" 1\ngood_two 2\n1bad 3\n", Map.of());
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).isEqualTo("2 errors in the Prometheus text body; nothing of this request was written:\n"
                + "line 2, column 13: expected ',' or '}' after the value of label job\n"
                + "line 4, column 1: expected a metric name, found '1'; allowed: [a-zA-Z_:][a-zA-Z0-9_:]*\n");
        assertThat(oplog()).hasSize(before);
        // and the next good request is not poisoned
        assertThat(post(url, "good_three 3\n", Map.of()).statusCode()).isEqualTo(204);
        assertThat(oplog()).hasSize(before + 1);
    }

    @Test
    void shouldRefuseBodiesOverTheLimitBeforeAndAfterDecompression() throws Exception {
        int before = oplog().size();
        HttpResponse<String> big = post(url, "a 1\n".repeat(1100), Map.of());
        assertThat(big.statusCode()).isEqualTo(413);
        assertThat(big.body()).contains("limit of 4096 bytes (gateway.max_request_bytes)");
        // chunked, so no Content-Length warns the server in advance
        HttpResponse<String> chunked = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/import/prometheus"))
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(
                        "a 1\n".repeat(1100).getBytes(StandardCharsets.UTF_8)))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(chunked.statusCode()).as(chunked.body()).isEqualTo(413);
        assertThat(chunked.body()).contains("gateway.max_request_bytes");
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
            gz.write("a 1\n".repeat(100_000).getBytes(StandardCharsets.UTF_8));
        }
        assertThat(zipped.size()).isLessThan(4096);
        HttpResponse<String> bomb = post(url, zipped.toByteArray(), Map.of("Content-Encoding", "gzip"));
        assertThat(bomb.statusCode()).isEqualTo(413);
        assertThat(bomb.body()).contains("decompressed body is larger");
        assertThat(oplog()).hasSize(before);
    }

    @Test
    void shouldDeliverEvery413WhileTheClientIsStillSendingAndKeepTheConnectionUsable() throws Exception {
        // a body twenty times the limit is still on its way when the gateway decides; answering and closing then
        // lets the client's kernel see a reset that destroys the 413 before the client reads it
        byte[] body = "a 1\n".repeat(20_000).getBytes(StandardCharsets.UTF_8);
        int before = oplog().size();
        for (int i = 0; i < 40; i++) {
            assertThat(post(url, body, Map.of()).statusCode()).as("declared length, round %d", i).isEqualTo(413);
            HttpResponse<String> chunked = HTTP.send(HttpRequest.newBuilder(URI.create(url + "/api/v1/import/prometheus"))
                    .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(body))).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(chunked.statusCode()).as("chunked, round %d", i).isEqualTo(413);
            assertThat(chunked.headers().firstValue("Connection")).as("the body was read to its end").isEmpty();
        }
        assertThat(post(url, "after_oversized 1\n", Map.of()).statusCode()).isEqualTo(204);
        assertThat(oplog()).hasSize(before + 1);
    }

    @Test
    void shouldAcceptGzipAndRefuseUnknownOrBrokenEncodings() throws Exception {
        ByteArrayOutputStream zipped = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(zipped)) {
            gz.write("gzipped_metric 5\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(post(url, zipped.toByteArray(), Map.of("Content-Encoding", "gzip")).statusCode()).isEqualTo(204);
        HttpResponse<String> br = post(url, "x 1", Map.of("Content-Encoding", "br"));
        assertThat(br.statusCode()).isEqualTo(415);
        assertThat(br.body()).contains("Content-Encoding br is not supported");
        HttpResponse<String> broken = post(url, "not gzip", Map.of("Content-Encoding", "gzip"));
        assertThat(broken.statusCode()).isEqualTo(415);
        assertThat(broken.body()).contains("not valid gzip");
    }

    @Test
    void shouldRefuseAnInvalidTenant() throws Exception {
        HttpResponse<String> r = post(url, "x 1", Map.of("X-Scope-OrgID", "a/b"));
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(r.body()).contains("header X-Scope-OrgID: tenant 'a/b' has '/' at position 2");
    }

    @Test
    void shouldServeMetricsHealthAndReadinessAndProperErrors() throws Exception {
        assertThat(post(url, "metrics_probe 1\n", Map.of()).statusCode()).isEqualTo(204);
        HttpResponse<String> metrics = get("/metrics");
        assertThat(metrics.statusCode()).isEqualTo(200);
        assertThat(metrics.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
        assertThat(metrics.body()).containsPattern("caiman_gateway_samples_accepted_total\\{protocol=\"prometheus-text\",tenant=\"default\"\\} [1-9]")
                .containsPattern("caiman_gateway_requests_total\\{code=\"204\",protocol=\"prometheus-text\"\\} [1-9]")
                .contains("caiman_gateway_kafka_ack_seconds_bucket{protocol=\"prometheus-text\"")
                .contains("caiman_gateway_inflight_bytes ");
        for (String stage : new String[] {"decode", "records", "send"}) {
            assertThat(metrics.body()).as(stage)
                    .containsPattern("caiman_gateway_request_stage_seconds_count\\{protocol=\"prometheus-text\",stage=\""
                            + stage + "\"\\} [1-9]")
                    .containsPattern("caiman_gateway_request_stage_seconds_sum\\{protocol=\"prometheus-text\",stage=\""
                            + stage + "\"\\} [0-9.E-]*[1-9]")
                    .contains("caiman_gateway_request_stage_seconds_bucket{protocol=\"prometheus-text\",stage=\"" + stage);
        }
        // each latency histogram has the shared 20 buckets, not Micrometer's 69 to 106
        assertThat(metrics.body().lines().filter(l -> l.startsWith(
                "caiman_gateway_request_stage_seconds_bucket{protocol=\"prometheus-text\",stage=\"decode\"")))
                .hasSize(20);
        assertThat(metrics.body().lines().filter(l -> l.startsWith(
                "caiman_gateway_kafka_ack_seconds_bucket{protocol=\"prometheus-text\"")))
                .hasSize(20);
        assertThat(metrics.body()).contains("kafka_producer_");
        assertThat(metrics.body()).containsPattern("jvm_memory_used_bytes\\{area=\"heap\",id=\"[^\"]+\"} [0-9]")
                .contains("process_cpu_usage ").contains("jvm_threads_live_threads ");
        assertThat(get("/-/healthy").statusCode()).isEqualTo(200);
        HttpResponse<String> ready = get("/-/ready");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).startsWith("Ready").contains("[ok] kafka: oplog " + name + ".oplog");
        assertThat(get("/nope").statusCode()).isEqualTo(404);
        HttpResponse<String> wrong = get("/api/v1/import/prometheus");
        assertThat(wrong.statusCode()).isEqualTo(405);
        assertThat(wrong.headers().firstValue("Allow")).hasValue("POST");
    }

    @Test
    void shouldAnswer503WithRetryAfterWhileKafkaIsDownAndLoseNothingAcknowledged() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).build().start()) {
            String own = TestConfigs.uniqueName("gw-down");
            CaimanConfig cfg = ConfigLoader.parse(TestConfigs.oplog(own, 2, "unused")
                            .replace(SharedCluster.kafka().bootstrapServers(), kafka.bootstrapServers())
                            + "gateway:\n  ack_timeout: 3s\nkafka:\n  producer:\n    max.block.ms: 2000\n"
                            + "    request.timeout.ms: 1500\n    delivery.timeout.ms: 2500\n    linger.ms: 0\n",
                    "test.yaml");
            try (GatewayService down = new GatewayService(cfg)) {
                down.start();
                String base = "http://127.0.0.1:" + down.ports().get(0);
                Set<String> acknowledged = new HashSet<>();
                assertThat(post(base, "before_outage 1\n", Map.of()).statusCode()).isEqualTo(204);
                acknowledged.add("default/before_outage");

                kafka.stopNode(1);
                HttpResponse<String> r = post(base, "during_outage 2\n", Map.of());
                assertThat(r.statusCode()).isEqualTo(503);
                assertThat(r.headers().firstValue("Retry-After")).hasValue("5");
                assertThat(r.body()).contains("retry");
                Awaitility.await().atMost(Timing.seconds(30)).untilAsserted(() -> {
                    HttpResponse<String> ready = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/-/ready")).build(),
                            HttpResponse.BodyHandlers.ofString());
                    assertThat(ready.statusCode()).isEqualTo(503);
                    assertThat(ready.body()).contains("[waiting] kafka: oplog " + own + ".oplog: not reachable");
                });
                String metrics = HTTP.send(HttpRequest.newBuilder(URI.create(base + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("caiman_gateway_samples_rejected_total{protocol=\"prometheus-text\",reason=\"kafka_unavailable\"} 1.0");

                kafka.startNode(1);
                Awaitility.await().atMost(Timing.seconds(60)).pollInterval(java.time.Duration.ofMillis(500))
                        .until(() -> post(base, "after_outage 3\n", Map.of()).statusCode() == 204);
                acknowledged.add("default/after_outage");
                Set<String> stored = TopicReader.readAll(kafka.bootstrapServers(), own + ".oplog").stream()
                        .map(rec -> new String(rec.key(), StandardCharsets.UTF_8)).collect(Collectors.toSet());
                assertThat(stored).containsAll(acknowledged);
            }
        }
    }
}
