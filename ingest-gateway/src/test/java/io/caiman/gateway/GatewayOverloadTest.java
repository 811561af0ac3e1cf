package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.ConfigLoader;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import io.caiman.testing.TopicReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The gateway under overload and shutdown: bounded, fast to refuse, and never a 2xx for unwritten data. */
@Tag("integration")
class GatewayOverloadTest {

    static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    static HttpResponse<String> post(String base, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(base + "/api/v1/import/prometheus"))
                .timeout(Duration.ofSeconds(60)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    static String body(String metric, int lines) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < lines; i++) {
            sb.append(metric).append("{i=\"").append(i).append("\",pad=\"").append("x".repeat(40)).append("\"} 1\n");
        }
        return sb.toString();
    }

    @Test
    void shouldRefuseWorkBeyondItsInflightBudgetAtOnceWhileKafkaIsDownAndRecover() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).build().start()) {
            String name = TestConfigs.uniqueName("overload");
            String yaml = TestConfigs.oplog(name, 2, "unused").replace(SharedCluster.kafka().bootstrapServers(),
                    kafka.bootstrapServers()) + "gateway:\n  max_inflight_bytes: 64KiB\n  ack_timeout: 8s\n";
            try (GatewayService gateway = new GatewayService(ConfigLoader.parse(yaml, "t.yaml"))) {
                gateway.start();
                String base = "http://127.0.0.1:" + gateway.ports().get(0);
                assertThat(post(base, "warm_up 1\n").statusCode()).isEqualTo(204);
                kafka.stopNode(1);

                ExecutorService pool = Executors.newFixedThreadPool(24);
                List<CompletableFuture<long[]>> calls = new ArrayList<>();
                String payload = body("overload_test", 120); // about 10 KB a request
                for (int i = 0; i < 24; i++) {
                    calls.add(CompletableFuture.supplyAsync(() -> {
                        long t0 = System.nanoTime();
                        try {
                            HttpResponse<String> r = post(base, payload);
                            return new long[] {r.statusCode(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0),
                                r.body().contains("gateway.max_inflight_bytes") ? 1 : 0};
                        } catch (Exception e) {
                            System.out.println("overload request failed after "
                                    + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) + " ms: " + e);
                            return new long[] {-1, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), 0};
                        }
                    }, pool));
                }
                long maxHeld = 0;
                while (!calls.stream().allMatch(CompletableFuture::isDone)) {
                    maxHeld = Math.max(maxHeld, (long) gateway.registry().get("caiman_gateway_inflight_bytes").gauge().value());
                    Thread.sleep(10);
                }
                pool.shutdown();
                List<long[]> results = calls.stream().map(CompletableFuture::join).toList();
                assertThat(maxHeld).isLessThanOrEqualTo(64 * 1024);
                assertThat(results).noneMatch(r -> r[0] == 204).allMatch(r -> r[0] == 503);
                List<long[]> refusedForBudget = results.stream().filter(r -> r[2] == 1).toList();
                assertThat(refusedForBudget).isNotEmpty().allMatch(r -> r[1] < 2_000);

                kafka.startNode(1);
                Awaitility.await().atMost(Timing.seconds(60)).pollInterval(Duration.ofMillis(500))
                        .until(() -> post(base, "after_recovery 1\n").statusCode() == 204);
                Awaitility.await().atMost(Timing.seconds(30)).until(() ->
                        gateway.registry().get("caiman_gateway_inflight_bytes").gauge().value() == 0);
            }
        }
    }

    @Test
    void shouldRefuseARequestWithTooManySamples() throws Exception {
        String name = TestConfigs.uniqueName("limits");
        String yaml = TestConfigs.oplog(name, 1, "unused") + "gateway:\n  max_samples_per_request: 5\n  max_labels_per_series: 2\n";
        try (GatewayService gateway = new GatewayService(ConfigLoader.parse(yaml, "t.yaml"))) {
            gateway.start();
            String base = "http://127.0.0.1:" + gateway.ports().get(0);
            HttpResponse<String> many = post(base, "a 1\nb 1\nc 1\nd 1\ne 1\nf 1\n");
            assertThat(many.statusCode()).isEqualTo(400);
            assertThat(many.body()).contains("the request has 6 samples; the limit is 5 (gateway.max_samples_per_request)");
            HttpResponse<String> labels = post(base, "a{x=\"1\",y=\"2\",z=\"3\"} 1\n");
            assertThat(labels.statusCode()).isEqualTo(400);
            assertThat(labels.body()).contains("line 1, column 1: series a has 3 labels; the limit is 2");
            assertThat(post(base, "a 1\nb 1\n").statusCode()).isEqualTo(204);
        }
    }

    @Test
    void shouldNeverAnswer2xxForDataItDidNotWriteWhileShuttingDown() throws Exception {
        String name = TestConfigs.uniqueName("drain");
        GatewayService gateway = new GatewayService(ConfigLoader.parse(TestConfigs.oplog(name, 3, "unused"), "t.yaml"));
        gateway.start();
        String base = "http://127.0.0.1:" + gateway.ports().get(0);
        Set<String> acknowledged = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        List<CompletableFuture<Void>> senders = new ArrayList<>();
        for (int t = 0; t < 6; t++) {
            int thread = t;
            senders.add(CompletableFuture.runAsync(() -> {
                for (int i = 0; i < 200; i++) {
                    String series = "drain_test{i=\"" + i + "\",t=\"" + thread + "\"}"; // canonical (sorted) label order
                    try {
                        if (post(base, series + " 1\n").statusCode() == 204) {
                            acknowledged.add("default/" + series);
                        }
                    } catch (Exception e) {
                        return; // the gateway stopped listening
                    }
                }
            }, pool));
        }
        Awaitility.await().atMost(Timing.seconds(30)).until(() -> acknowledged.size() >= 50);
        gateway.close();
        CompletableFuture.allOf(senders.toArray(CompletableFuture<?>[]::new)).get(60, TimeUnit.SECONDS);
        pool.shutdown();
        Set<String> stored = TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog").stream()
                .map(r -> new String(r.key(), StandardCharsets.UTF_8)).collect(Collectors.toSet());
        assertThat(acknowledged).isNotEmpty();
        assertThat(stored).containsAll(acknowledged);
    }
}
