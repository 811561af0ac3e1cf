package io.caiman.processor;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.shard.ShardingFunction;
import io.caiman.gateway.GatewayService;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Two processors of one group: peers, lookup by Caiman's sharding function, series queries fanned out, readiness. */
@Tag("integration")
class ClusterViewTest {

    static final ObjectMapper JSON = new ObjectMapper();

    static CaimanConfig config(String name, Path state, String extra) {
        return ConfigLoader.parse(TestConfigs.oplog(name, 4, state.toString()).replace("replica_factor: 1",
                "replica_factor: 1\n    sharding_key: [__name__, i]") + extra, "test.yaml");
    }

    static HttpResponse<String> get(ProcessorService p, String path) throws Exception {
        return ProcessorIntegrationTest.HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + p.httpPort() + path))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * Waits until both processors are ready and one's {@code /api/v1/cluster/peers} lists the two of them, the other
     * holding some partitions under {@code fields}; returns the other's entry.
     */
    static JsonNode awaitOtherPeer(ProcessorService one, ProcessorService two, String... fields) {
        java.util.concurrent.atomic.AtomicReference<JsonNode> other = new java.util.concurrent.atomic.AtomicReference<>();
        Runnable find = () -> Awaitility.await().atMost(Timing.seconds(90)).pollInterval(java.time.Duration.ofMillis(500))
                .ignoreExceptions().untilAsserted(() -> {
                    assertThat(get(one, "/-/ready").statusCode()).isEqualTo(200);
                    assertThat(get(two, "/-/ready").statusCode()).isEqualTo(200);
                    JsonNode peers = json(one, "/api/v1/cluster/peers").get("data");
                    assertThat(peers).hasSize(2);
                    JsonNode found = peers.get(0).get("self").asBoolean() ? peers.get(1) : peers.get(0);
                    assertThat(java.util.Arrays.stream(fields).mapToInt(f -> found.get(f).size()).sum())
                            .as("the other processor holds partitions").isPositive();
                    other.set(found);
                });
        find.run();
        awaitSettled(one, two);
        find.run(); // again once settled: the entry found first may be from before a follow-up rebalance
        return other.get();
    }

    /**
     * Waits until every processor answers its cluster view and the group has kept one assignment for 5 s: a
     * processor that joins brings follow-up rebalances within seconds (cooperative rebalancing moves a task in two),
     * during which the view answers 503 and owners change.
     */
    static void awaitSettled(ProcessorService... processors) {
        String[] last = {null};
        long[] since = {0};
        Awaitility.await().atMost(Timing.seconds(60)).pollInterval(java.time.Duration.ofMillis(500)).until(() -> {
            StringBuilder view = new StringBuilder();
            for (ProcessorService p : processors) {
                HttpResponse<String> r = get(p, "/api/v1/cluster/peers");
                if (r.statusCode() != 200) {
                    last[0] = null;
                    return false;
                }
                for (JsonNode peer : JSON.readTree(r.body()).get("data")) {
                    view.append(peer.get("address").asText()).append(peer.get("partitions"))
                            .append(peer.get("standby_partitions")).append(peer.get("output_partitions")).append(';');
                }
            }
            if (!view.toString().equals(last[0])) {
                last[0] = view.toString();
                since[0] = System.nanoTime();
                return false;
            }
            return System.nanoTime() - since[0] > 5_000_000_000L;
        });
    }

    static Set<Integer> ints(JsonNode array) {
        Set<Integer> out = new java.util.TreeSet<>();
        array.forEach(n -> out.add(n.asInt()));
        return out;
    }

    static JsonNode json(ProcessorService p, String path) throws Exception {
        HttpResponse<String> r = get(p, path);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return JSON.readTree(r.body());
    }

    @Test
    void shouldListPeersLookUpOwnersAndAnswerQueriesFromEveryPartition(@TempDir Path a, @TempDir Path b) throws Exception {
        String name = TestConfigs.uniqueName("view");
        String wait = "  min_cluster_size: 2\n  cluster_wait: 1h\n";
        CaimanConfig configA = config(name, a, wait);
        try (GatewayService gateway = new GatewayService(configA);
                ProcessorService one = new ProcessorService(configA)) {
            gateway.start();
            one.start();
            String url = "http://127.0.0.1:" + gateway.ports().get(0);
            StringBuilder body = new StringBuilder();
            for (int i = 0; i < 20; i++) {
                body.append("view_metric{i=\"").append(i).append("\"} ").append(i).append('\n');
            }
            assertThat(ProcessorIntegrationTest.post(url, body.toString())).isEqualTo(204);
            Awaitility.await().atMost(Timing.seconds(60)).ignoreExceptions().untilAsserted(() ->
                    assertThat(get(one, "/-/ready").body()).contains("[waiting] cluster formed: 1 of min_cluster_size 2 "
                            + "processors in the group; waiting up to 1h"));
            try (ProcessorService two = new ProcessorService(config(name, b, wait + "  query_max_series: 12\n"))) {
                two.start();
                Awaitility.await().atMost(Timing.seconds(90)).pollInterval(java.time.Duration.ofMillis(500))
                        .ignoreExceptions().untilAsserted(() -> {
                            var ready = get(one, "/-/ready");
                            assertThat(ready.statusCode()).isEqualTo(200);
                            // read in the same attempt: a late rebalance can make the group briefly not ready again
                            assertThat(ready.body()).contains("[ok] cluster formed: 2 of min_cluster_size 2",
                                    "[ok] state restored", "[ok] lag within ready_max_lag");
                            JsonNode peers = json(one, "/api/v1/cluster/peers").get("data");
                            assertThat(peers).hasSize(2);
                            Set<Integer> all = new HashSet<>();
                            for (JsonNode p : peers) {
                                assertThat(p.get("reachable").asBoolean()).isTrue();
                                assertThat(p.get("reported").get("state").asText()).isEqualTo("RUNNING");
                                p.get("partitions").forEach(n -> assertThat(all.add(n.asInt())).as("owned once").isTrue());
                            }
                            assertThat(all).containsExactlyInAnyOrder(0, 1, 2, 3);
                        });
                awaitSettled(one, two);

                // lookup: Caiman's partition, and the owner is the peer that lists that partition
                ShardingFunction sharding = new ShardingFunction(List.of("__name__", "i"), 4);
                JsonNode peers = json(two, "/api/v1/cluster/peers").get("data");
                for (int i = 0; i < 20; i += 7) {
                    String series = "view_metric{i=\"" + i + "\"}";
                    JsonNode found = json(two, "/api/v1/cluster/lookup?series="
                            + URLEncoder.encode(series, StandardCharsets.UTF_8)).get("data");
                    int partition = sharding.partition(SeriesKey.parse("default/" + series));
                    assertThat(found.get("partition").asInt()).isEqualTo(partition);
                    String owner = null;
                    for (JsonNode p : peers) {
                        for (JsonNode n : p.get("partitions")) {
                            if (n.asInt() == partition) {
                                owner = p.get("address").asText();
                            }
                        }
                    }
                    assertThat(found.get("owner").asText()).isEqualTo(owner);
                }
                assertThat(get(one, "/api/v1/cluster/lookup?series=" + URLEncoder.encode("bad{", StandardCharsets.UTF_8))
                        .statusCode()).isEqualTo(400);

                // asked by another processor (local=true), a processor reads exactly the partitions named, and answers
                // 503 for one it does not serve rather than leave it out
                Set<Integer> ones = new java.util.TreeSet<>();
                Set<Integer> twos = new java.util.TreeSet<>();
                for (JsonNode p : json(one, "/api/v1/cluster/peers").get("data")) {
                    (p.get("self").asBoolean() ? ones : twos).addAll(ints(p.get("partitions")));
                }
                String local = "/api/v1/series?local=true&match[]=view_metric&partitions=";
                for (int p : ones) {
                    JsonNode held = json(one, local + p).get("data");
                    List<Integer> partitions = new ArrayList<>();
                    held.forEach(d -> partitions.add(sharding.partition(
                            SeriesKey.parse("default/view_metric{i=\"" + d.get("labels").get("i").asText() + "\"}"))));
                    long expected = java.util.stream.IntStream.range(0, 20).filter(i -> sharding.partition(
                            SeriesKey.parse("default/view_metric{i=\"" + i + "\"}")) == p).count();
                    assertThat(partitions).as("partition %d", p).hasSize((int) expected).containsOnly(p);
                }
                for (int p : twos) {
                    HttpResponse<String> r = get(one, local + p);
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
                    assertThat(r.body()).contains("not served here");
                }
                assertThat(get(one, local + "x").statusCode()).isEqualTo(400);
                assertThat(get(one, "/api/v1/series?match[]=view_metric&partitions=0").statusCode()).isEqualTo(400);

                // a query to either processor sees every series, wherever it lives
                for (ProcessorService p : List.of(one, two)) {
                    JsonNode data = json(p, "/api/v1/series?match[]=" + URLEncoder.encode("view_metric", StandardCharsets.UTF_8))
                            .get("data");
                    List<String> values = new ArrayList<>();
                    data.forEach(d -> values.add(d.get("labels").get("i").asText() + "=" + d.get("value").asText()));
                    assertThat(values).hasSize(p == one ? 20 : 12);
                    if (p == one) {
                        assertThat(values).contains("3=3", "19=19");
                    }
                }
                assertThat(get(one, "/api/v1/series").statusCode()).isEqualTo(400);
                // at most limit entries, from both processors' partitions; an answer cut short says so
                String query = "/api/v1/series?match[]=" + URLEncoder.encode("view_metric", StandardCharsets.UTF_8);
                JsonNode five = json(one, query + "&limit=5");
                assertThat(five.get("data")).hasSize(5);
                assertThat(five.get("warnings").get(0).asText()).startsWith("results truncated due to limit (5;");
                assertThat(json(one, query + "&limit=20").has("warnings")).isFalse();
                assertThat(json(one, query + "&limit=0").get("data")).hasSize(20);
                // two's processor.query_max_series (12) is its default limit and the most it gives
                JsonNode capped = json(two, query + "&limit=100");
                assertThat(capped.get("data")).hasSize(12);
                assertThat(capped.get("warnings").get(0).asText())
                        .isEqualTo("results truncated due to limit (12; processor.query_max_series is 12)");
                assertThat(get(one, query + "&limit=-1").statusCode()).isEqualTo(400);
                assertThat(get(one, query + "&limit=many").body()).contains("limit must be a whole number");
            }
            // with two gone, one takes every partition again and answers alone
            Awaitility.await().atMost(Timing.seconds(90)).pollInterval(java.time.Duration.ofMillis(500))
                    .ignoreExceptions().untilAsserted(() -> {
                        HttpResponse<String> r = get(one, "/api/v1/series?match[]=view_metric");
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        assertThat(JSON.readTree(r.body()).get("data")).hasSize(20);
                    });
        }
    }

    /**
     * A query needs an answer for every partition, of the oplog (the series) and of the rules' window stage (the
     * outputs, on tasks of their own): here processor two advertises an address nobody listens on, so processor one
     * cannot reach it, and must answer 503 naming exactly two's partitions of each kind, never the half it holds.
     */
    @Test
    void shouldAnswer503NamingEveryPartitionWhoseOwnerDoesNotAnswerRatherThanPartialData(@TempDir Path a, @TempDir Path b)
            throws Exception {
        String name = TestConfigs.uniqueName("view503");
        String rule = "stream_aggregation:\n  - match: view_metric\n    interval: 10s\n    by: [i]\n"
                + "    outputs: [count_samples]\n";
        String wait = "  min_cluster_size: 2\n  cluster_wait: 1h\n";
        int closed;
        try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            closed = socket.getLocalPort();
        }
        try (ProcessorService one = new ProcessorService(config(name, a, wait + rule));
                ProcessorService two = new ProcessorService(config(name, b, wait + "  advertise: 127.0.0.1:" + closed
                        + "\n" + rule))) {
            one.start();
            two.start();
            JsonNode other = awaitOtherPeer(one, two, "partitions", "output_partitions");
            assertThat(other.get("address").asText()).isEqualTo("127.0.0.1:" + closed);
            assertThat(other.get("reachable").asBoolean()).isFalse();
            Set<Integer> series = ints(other.get("partitions"));
            Set<Integer> outputs = ints(other.get("output_partitions"));
            // a selector that may match series and rule outputs alike (an output's name is view_metric:10s_by_i_...)
            HttpResponse<String> r = get(one, "/api/v1/series?match[]="
                    + URLEncoder.encode("{__name__=~\"view_metric.*\"}", StandardCharsets.UTF_8));
            assertThat(r.statusCode()).as(r.body()).isEqualTo(503);
            assertThat(r.body()).contains("have no processor that answered");
            if (!series.isEmpty()) {
                assertThat(r.body()).contains("oplog partitions " + series);
            }
            if (!outputs.isEmpty()) {
                assertThat(r.body()).contains("rule output partitions " + outputs);
            } else {
                assertThat(r.body()).doesNotContain("rule output partitions");
            }
            // a selector that gives every sharding_key label names one partition: only its owner is asked, so a
            // series on one's partitions is answered while two cannot be reached, and one on two's gets 503 for it
            ShardingFunction sharding = new ShardingFunction(List.of("__name__", "i"), 4);
            for (int i = 0; i < 100; i++) {
                int partition = sharding.partition("view_metric", io.caiman.core.model.Labels.of("i", Integer.toString(i)));
                HttpResponse<String> pinned = get(one, "/api/v1/series?match[]="
                        + URLEncoder.encode("view_metric{i=\"" + i + "\"}", StandardCharsets.UTF_8));
                if (series.contains(partition)) {
                    assertThat(pinned.statusCode()).as(pinned.body()).isEqualTo(503);
                    assertThat(pinned.body()).contains("oplog partitions [" + partition + "] have no processor")
                            .doesNotContain("rule output partitions");
                } else {
                    assertThat(pinned.statusCode()).as(pinned.body()).isEqualTo(200);
                }
            }
        }
    }

    /**
     * A processor killed while committing leaves a transaction that holds an offset commit of the group open until
     * Kafka aborts it; the new owner of the dead processor's partitions cannot read their committed offsets, so they do
     * not run, though the group shows them assigned and nothing restores. Here a producer leaves such a transaction
     * open on purpose, and the processor whose partitions move is stopped: the one left must count those partitions
     * as not read, and read them once the transaction ends.
     */
    @Test
    void shouldCountTakenOverPartitionsAsNotReadWhileAnOpenTransactionHoldsTheirOffsets(@TempDir Path a, @TempDir Path b)
            throws Exception {
        String name = TestConfigs.uniqueName("txwait");
        CaimanConfig configA = config(name, a, "");
        io.caiman.core.config.ClusterConfig cluster = configA.requireCluster(name);
        java.util.Map<String, Object> client = java.util.Map.of("bootstrap.servers",
                io.caiman.testing.SharedCluster.kafka().bootstrapServers());
        try (ProcessorService one = new ProcessorService(configA);
                org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> dead =
                        new org.apache.kafka.clients.producer.KafkaProducer<>(with(client, "transactional.id",
                                name + "-dead-processor", "transaction.timeout.ms", "300000"),
                                new org.apache.kafka.common.serialization.ByteArraySerializer(),
                                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
            one.start();
            Set<Integer> moved;
            try (ProcessorService two = new ProcessorService(config(name, b, ""))) {
                two.start();
                moved = ints(awaitOtherPeer(one, two, "partitions").get("partitions"));
                // the group as a consumer that has not joined it sees it: no generation, no member (a transactional
                // commit is taken so, as older producers sent it)
                dead.initTransactions();
                dead.beginTransaction();
                java.util.Map<org.apache.kafka.common.TopicPartition, org.apache.kafka.clients.consumer.OffsetAndMetadata>
                        offsets = new java.util.HashMap<>();
                for (int p = 0; p < 4; p++) {
                    offsets.put(new org.apache.kafka.common.TopicPartition(cluster.oplogTopic(), p),
                            new org.apache.kafka.clients.consumer.OffsetAndMetadata(0));
                }
                try (org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]> group =
                        new org.apache.kafka.clients.consumer.KafkaConsumer<>(with(client, "group.id",
                                cluster.processorApplicationId()),
                                new org.apache.kafka.common.serialization.ByteArrayDeserializer(),
                                new org.apache.kafka.common.serialization.ByteArrayDeserializer())) {
                    dead.sendOffsetsToTransaction(offsets, group.groupMetadata());
                }
            }
            // held for as long as the transaction is open: seen twice, two seconds apart, with nothing restoring, and
            // readiness naming the partitions that wait
            for (int i = 0; i < 2; i++) {
                Awaitility.await().atMost(Timing.seconds(60)).pollInterval(java.time.Duration.ofMillis(200))
                        .ignoreExceptions().untilAsserted(() -> {
                            HttpResponse<String> ready = get(one, "/-/ready");
                            assertThat(ready.statusCode()).isEqualTo(503);
                            assertThat(ready.body()).contains("[ok] state restored")
                                    .contains("[waiting] partitions read: oplog partitions " + moved
                                            + " assigned here and not fetched yet");
                            assertThat(get(one, "/metrics").body()).contains("caiman_processor_partitions_not_read "
                                    + moved.size() + ".0");
                        });
                Thread.sleep(2000);
            }
            dead.abortTransaction();
            Awaitility.await().atMost(Timing.seconds(60)).ignoreExceptions().untilAsserted(() -> {
                assertThat(get(one, "/-/ready").statusCode()).isEqualTo(200);
                assertThat(get(one, "/metrics").body()).contains("caiman_processor_partitions_not_read 0.0");
            });
        }
    }

    private static java.util.Map<String, Object> with(java.util.Map<String, Object> base, String... more) {
        java.util.Map<String, Object> all = new java.util.HashMap<>(base);
        for (int i = 0; i < more.length; i += 2) {
            all.put(more[i], more[i + 1]);
        }
        return all;
    }
}
