package io.caiman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.gateway.GatewayService;
import io.caiman.processor.ProcessorService;
import io.caiman.schemas.codec.Codecs;
import io.caiman.testing.MetricsText;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.streams.KafkaStreams;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Guarantees 1, 2 and 3 across the failure Kafka's replication is there for: on three brokers (oplog replication
 * factor 3, so {@code min.insync.replicas} 2), two gateways take requests in turn, as behind a round-robin load
 * balancer, and a processor counts every series, while the broker that leads most oplog partitions stops as a
 * crash would (no hand-over of its leaderships first) and later comes back. Each client sends one series set a
 * round, the round's number as every value, and retries a round (on the other gateway) until it gets a 2xx, as
 * Prometheus does. Then:
 * <ul>
 *   <li>every round a client had acknowledged is on the oplog, for each of its series (nothing acknowledged lost);
 *   <li>each series' values are in the order they were sent (a retried round may be there twice, next to itself);
 *   <li>the processor, still running, counted each series' oplog records exactly once, and shows the newest value;
 *   <li>its stream aggregation rule's windows (count and sum by client) equal the same figures computed from the
 *       oplog's records, each window once, none late;
 *   <li>every request was answered, in bounded time, while the broker was gone;
 *   <li>the processor's own topics (changelogs, repartition) need as many in-sync copies as the oplog.
 * </ul>
 */
@Tag("integration")
class BrokerFaultTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int CLIENTS = 2;
    private static final int SERIES = 20;
    private static final Pattern SERIES_COUNT = Pattern.compile(
            "caiman_processor_series_samples_total\\{series=\"(default/bfault_total\\{[^}]*\\})\"\\} (\\d+)");

    @TempDir
    Path dir;

    @Test
    void shouldLoseNothingAcknowledgedNorCountTwiceWhileABrokerOfThreeFailsAndReturns() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(3)
                // a stop as a crash: no controlled shutdown moving leaderships away first; the controller fences the
                // broker once its heartbeats stop (3 s here, Kafka's default 9 s)
                .brokerProperty("controlled.shutdown.enable", "false")
                .brokerProperty("broker.session.timeout.ms", "3000")
                .brokerProperty("broker.heartbeat.interval.ms", "500")
                .build().start();
                Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            String name = TestConfigs.uniqueName("bfault");
            CaimanConfig cfg = ConfigLoader.parse(String.join("\n",
                    "clusters:",
                    "  - {name: " + name + ", type: oplog, servers: [" + kafka.bootstrapServers() + "], partitions: 6, "
                            + "replica_factor: 3, sharding_key: [__name__, i]}",
                    "entrypoints:",
                    "  - {protocol: http, listen: '127.0.0.1:0', cluster: " + name + "}",
                    "processor: {listen: '127.0.0.1:0', state_dir: '" + dir + "', idle_close: 2s}",
                    "gateway: {ack_timeout: 2s}   # shorter than the broker's session timeout: some requests get 503 and are retried",
                    "kafka:",
                    "  streams: {session.timeout.ms: '6000', heartbeat.interval.ms: '1000'}",
                    "stream_aggregation:",
                    "  - match: bfault_total",
                    "    interval: 2s",
                    "    by: [client]",
                    "    outputs: [count_samples, sum_samples]",
                    // longer than a retried request's first copy can be old when it lands (ack_timeout and a broker's
                    // session timeout): such a copy is on the oplog and must be aggregated, not found late
                    "    grace: 10s",
                    "    keep_input: true",
                    ""), "test.yaml");
            ClusterConfig cluster = cfg.requireCluster(name);
            try (GatewayService a = new GatewayService(cfg); GatewayService b = new GatewayService(cfg);
                    ProcessorService processor = new ProcessorService(cfg)) {
                a.start();
                b.start();
                processor.start();
                List<String> gateways = List.of("http://127.0.0.1:" + a.ports().get(0), "http://127.0.0.1:" + b.ports().get(0));
                List<Client> clients = new ArrayList<>();
                for (int c = 0; c < CLIENTS; c++) {
                    clients.add(new Client(c, gateways));
                }
                clients.forEach(Client::start);
                try {
                    awaitRounds(clients, 20, () -> true, Map.of());

                    int victim = leaderOfMostPartitions(admin, cluster.oplogTopic());
                    Map<Integer, Integer> atStop = acked(clients);
                    long stoppedAt = System.nanoTime();
                    kafka.stopNode(victim);
                    System.out.printf("%tT broker %d stopped with rounds %s acknowledged%n", System.currentTimeMillis(),
                            victim, atStop);
                    // past the broker's session timeout, so that new leaders serve its partitions
                    awaitRounds(clients, 30, () -> System.nanoTime() - stoppedAt > TimeUnit.SECONDS.toNanos(6),
                            atStop);
                    Map<Integer, Integer> atStart = acked(clients);
                    kafka.startNode(victim);
                    System.out.printf("%tT broker %d started with rounds %s acknowledged%n", System.currentTimeMillis(),
                            victim, atStart);
                    Awaitility.await().atMost(Timing.seconds(60)).pollInterval(Duration.ofMillis(250)).until(() ->
                            fullyReplicated(admin, cluster.oplogTopic()));
                    awaitRounds(clients, 30, () -> true, acked(clients));
                } finally {
                    clients.forEach(Client::finish);
                }
                for (Client c : clients) {
                    assertThat(c.error.get()).as("client %d", c.id).isNull();
                    System.out.printf("client %d: %d rounds acknowledged, %d attempts refused or failed (%s), slowest "
                            + "answer %d ms%n", c.id, c.acked.size(), c.failed.get(), c.outcomes, c.slowestMs.get());
                    assertThat(c.slowestMs.get()).as("client %d's slowest answer, in ms (ack_timeout is 2 s)", c.id)
                            .isLessThan(Timing.seconds(12).toMillis());
                }

                Map<String, List<Double>> oplog = new HashMap<>();
                for (var r : TopicReader.readAll(kafka.bootstrapServers(), cluster.oplogTopic())) {
                    oplog.computeIfAbsent(new String(r.key(), StandardCharsets.UTF_8), k -> new ArrayList<>())
                            .add(Codecs.SAMPLE.decode(r.value()).getValue());
                }
                Map<String, String> wrong = new TreeMap<>();
                int duplicates = 0;
                for (Client c : clients) {
                    for (int i = 0; i < SERIES; i++) {
                        String key = seriesKey(c.id, i);
                        List<Double> values = oplog.getOrDefault(key, List.of());
                        Set<Integer> stored = values.stream().map(Double::intValue).collect(Collectors.toSet());
                        duplicates += values.size() - stored.size();
                        List<Integer> lost = c.acked.stream().filter(r -> !stored.contains(r)).sorted().toList();
                        if (!lost.isEmpty()) {
                            wrong.put(key, "acknowledged rounds not on the oplog: " + lost);
                        }
                        for (int j = 1; j < values.size(); j++) {
                            if (values.get(j) < values.get(j - 1)) {
                                wrong.put(key, "out of order at its record " + j + ": " + values);
                                break;
                            }
                        }
                        if (values.stream().anyMatch(v -> v > c.lastAttempted.get())) {
                            wrong.put(key, "a round never sent: " + values);
                        }
                    }
                }
                System.out.printf("oplog: %d records, %d of them a retried round's second copy%n",
                        oplog.values().stream().mapToInt(List::size).sum(), duplicates);
                assertThat(wrong).as("series whose oplog records break guarantee 1 or 2").isEmpty();

                // guarantee 3: the processor counted each record once, through the broker's failure and return
                Map<String, Long> expected = oplog.entrySet().stream()
                        .collect(Collectors.toMap(Map.Entry::getKey, e -> (long) e.getValue().size()));
                Awaitility.await().atMost(Timing.seconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(counts(processor)).isEqualTo(expected));
                String metrics = get("http://127.0.0.1:" + processor.httpPort() + "/metrics");
                for (var e : oplog.entrySet()) {
                    String series = e.getKey().substring("default/".length());
                    double newest = e.getValue().stream().mapToDouble(Double::doubleValue).max().orElseThrow();
                    assertThat(metrics).contains(series + " " + (long) newest + "\n");
                }
                // and the rule's windows hold every record once: each closed window's count and sum, against the
                // same figures computed here from the oplog's records (the windows close once all is quiet)
                Map<String, Double> reference = new TreeMap<>();
                for (var r : TopicReader.readAll(kafka.bootstrapServers(), cluster.oplogTopic())) {
                    var sample = Codecs.SAMPLE.decode(r.value());
                    String client = new String(r.key(), StandardCharsets.UTF_8).replaceAll(".*client=\"(\\d+)\".*", "$1");
                    String window = "{client=\"" + client + "\"}@" + Math.floorDiv(sample.getTimestampMs(), 2000L) * 2000L;
                    reference.merge("count_samples" + window, 1.0, Double::sum);
                    reference.merge("sum_samples" + window, sample.getValue(), Double::sum);
                }
                String prefix = "default/bfault_total:2s_by_client_";
                Awaitility.await().atMost(Timing.seconds(90)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                        assertThat(ProcessorFaultTest.aggregates(kafka.bootstrapServers(), name, prefix)).isEqualTo(reference));
                assertThat(MetricsText.sumOf(get("http://127.0.0.1:" + processor.httpPort() + "/metrics"),
                        "caiman_processor_rule_late_samples_total")).isZero();
                assertThat(processor.streamsState()).isEqualTo(KafkaStreams.State.RUNNING);
                assertThat(processor.failure()).isNull();

                Set<String> internal = admin.listTopics().names().get(30, TimeUnit.SECONDS).stream()
                        .filter(t -> t.startsWith(cluster.processorApplicationId() + "-")).collect(Collectors.toSet());
                assertThat(internal).as("the processor's changelog and repartition topics")
                        .anyMatch(t -> t.endsWith("-changelog"));
                Map<ConfigResource, Config> configs = admin.describeConfigs(internal.stream()
                        .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t)).toList()).all().get(30, TimeUnit.SECONDS);
                configs.forEach((topic, config) -> assertThat(config.get("min.insync.replicas").value())
                        .as("min.insync.replicas of %s", topic.name()).isEqualTo("2"));
            }
        }
    }

    /** A sender of {@link #SERIES} series, a round at a time, alternating gateways per attempt. */
    private static final class Client extends Thread {
        final int id;
        final List<String> gateways;
        final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
        final Set<Integer> acked = ConcurrentHashMap.newKeySet();
        final AtomicInteger lastAttempted = new AtomicInteger(-1);
        final AtomicInteger failed = new AtomicInteger();
        final Map<String, Integer> outcomes = new ConcurrentHashMap<>();
        final AtomicLong slowestMs = new AtomicLong();
        final AtomicBoolean stop = new AtomicBoolean();
        final java.util.concurrent.atomic.AtomicReference<Throwable> error = new java.util.concurrent.atomic.AtomicReference<>();

        Client(int id, List<String> gateways) {
            super("client-" + id);
            this.id = id;
            this.gateways = gateways;
            setDaemon(true);
        }

        @Override
        public void run() {
            int attempt = 0;
            // bounded: at most 100,000 attempts, whatever happens
            for (int round = 0; !stop.get() && attempt < 100_000; ) {
                StringBuilder body = new StringBuilder();
                for (int i = 0; i < SERIES; i++) {
                    body.append("bfault_total{client=\"").append(id).append("\",i=\"").append(i).append("\"} ")
                            .append(round).append('\n');
                }
                lastAttempted.set(round);
                String gateway = gateways.get(attempt++ % gateways.size());
                long t0 = System.nanoTime();
                String outcome;
                try {
                    outcome = Integer.toString(http.send(HttpRequest.newBuilder(URI.create(gateway + "/api/v1/import/prometheus"))
                            .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode());
                } catch (java.io.IOException e) {
                    outcome = e.getClass().getSimpleName();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                } catch (RuntimeException e) {
                    error.set(e);
                    return;
                }
                slowestMs.accumulateAndGet(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0), Math::max);
                if (outcome.equals("204")) {
                    acked.add(round++);
                    pause(20);
                } else {
                    failed.incrementAndGet();
                    outcomes.merge(outcome, 1, Integer::sum);
                    pause(100);
                }
            }
        }

        private void pause(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                stop.set(true);
            }
        }

        void finish() {
            stop.set(true);
            try {
                join(Timing.seconds(60).toMillis());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            assertThat(isAlive()).as("client %d stopped", id).isFalse();
        }
    }

    /** Waits until each client has {@code more} rounds acknowledged beyond {@code since} and {@code also} holds. */
    private static void awaitRounds(List<Client> clients, int more, BooleanSupplier also, Map<Integer, Integer> since) {
        Awaitility.await().atMost(Timing.seconds(90)).pollInterval(Duration.ofMillis(100)).until(() -> {
            for (Client c : clients) {
                if (c.error.get() != null || !c.isAlive()) {
                    throw new AssertionError("client " + c.id + " stopped: " + c.error.get());
                }
            }
            return also.getAsBoolean() && clients.stream().allMatch(c -> c.acked.size() >= since.getOrDefault(c.id, 0) + more);
        });
    }

    private static Map<Integer, Integer> acked(List<Client> clients) {
        return clients.stream().collect(Collectors.toMap(c -> c.id, c -> c.acked.size()));
    }

    private static int leaderOfMostPartitions(Admin admin, String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        Map<Integer, Long> led = d.partitions().stream().filter(p -> p.leader() != null)
                .collect(Collectors.groupingBy(p -> p.leader().id(), Collectors.counting()));
        return led.entrySet().stream().max(Map.Entry.<Integer, Long>comparingByValue()
                .thenComparing(Map.Entry.comparingByKey(java.util.Comparator.reverseOrder()))).orElseThrow().getKey();
    }

    private static boolean fullyReplicated(Admin admin, String topic) throws Exception {
        TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
        for (TopicPartitionInfo p : d.partitions()) {
            if (p.isr().size() < p.replicas().size()) {
                return false;
            }
        }
        return true;
    }

    private static String seriesKey(int client, int i) {
        return "default/bfault_total{client=\"" + client + "\",i=\"" + i + "\"}";
    }

    private static Map<String, Long> counts(ProcessorService processor) throws Exception {
        Map<String, Long> counts = new HashMap<>();
        Matcher m = SERIES_COUNT.matcher(get("http://127.0.0.1:" + processor.httpPort() + "/metrics"));
        while (m.find()) {
            counts.put(m.group(1).replace("\\\"", "\""), Long.parseLong(m.group(2)));
        }
        return counts;
    }

    private static String get(String url) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }
}
