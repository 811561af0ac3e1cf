package io.caiman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParsedSample;
import io.caiman.embedded.Ports;
import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.testing.MetricsText;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import io.caiman.testing.TopicReader;
import java.io.File;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Guarantee 3 with real separate processes: while a known input streams into the oplog, processor A runs alone,
 * processor B joins mid-stream, and A is killed with SIGKILL (its transactions open, its state on its disk). B
 * finishes. The aggregates on {@code <cluster>.aggregates} must then equal a reference computed here over the
 * same input, exactly: every window once, no sample lost, late or counted twice. The grace is 5 s of sample time,
 * and the input runs at over a hundred seconds of sample time per second: while A is dead and its partitions wait
 * for the session timeout, B's samples run far ahead of them, and only the per-series tasks' marks keep the windows
 * of A's partitions open until B has taken them over.
 */
@Tag("integration")
class ProcessorFaultTest {

    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final int JOBS = 4;
    private static final int INSTANCES = 15;
    private static final int ROUNDS = 400;
    private static final long WINDOW = 10_000;
    /** A window-aligned sample time a day ago: the input's first round. */
    private static final long T = (System.currentTimeMillis() / 86_400_000 - 1) * 86_400_000;

    @TempDir
    Path dir;

    record In(int job, int instance, double value, long ts) {}

    /** With state in RocksDB, and in the heap ({@code processor.state_store: memory}), restored from the changelog. */
    @ParameterizedTest(name = "state in {0}")
    @ValueSource(strings = {"rocksdb", "memory"})
    void shouldAggregateExactlyOnceWhileAProcessorJoinsAndAnotherIsKilled(String store) throws Exception {
        String name = TestConfigs.uniqueName("pfault");
        Path config = dir.resolve("caiman.yaml");
        Files.writeString(config, String.join("\n",
                "clusters:",
                "  - {name: " + name + ", type: oplog, servers: [" + SharedCluster.kafka().bootstrapServers()
                        + "], partitions: 6, replica_factor: 1, sharding_key: [__name__, instance]}",
                "processor: {idle_close: 10m}   # windows close by sample time only",
                "kafka:",
                "  streams: {session.timeout.ms: '6000', heartbeat.interval.ms: '1000'}",
                "stream_aggregation:",
                "  - match: fault_total",
                "    interval: 10s",
                "    by: [job]",
                "    outputs: [count_samples, count_series, sum_samples, max, increase]",
                "    grace: 5s                 # while A is dead, B's samples run hundreds of seconds ahead of A's",
                "    staleness_interval: 1h",
                ""));
        CaimanConfig cfg = ConfigLoader.load(config, Map.of(), List.of());
        ClusterConfig cluster = cfg.requireCluster(name);

        List<In> input = input(new Random(42));
        int portA = Ports.free();
        int portB = Ports.free();
        Process a = processor(config, "a", portA, store);
        Process b = null;
        try (KafkaProducer<byte[], byte[]> producer = producer()) {
            awaitReady(portA, a, "a");
            OplogRecords records = new OplogRecords(cluster, cfg.replicaLabels());
            AtomicInteger sent = new AtomicInteger();
            AtomicBoolean failed = new AtomicBoolean();
            CountDownLatch bReady = new CountDownLatch(1);
            Thread feeder = new Thread(() -> {
                try {
                    for (In in : input) {
                        producer.send(record(records, in), (m, e) -> failed.compareAndSet(false, e != null));
                        int n = sent.incrementAndGet();
                        int round = JOBS * INSTANCES;
                        if (n <= 5 * round || n >= input.size() / 3 && bReady.getCount() > 0) {
                            // a round each half second: for the first rounds, so that every task has samples before
                            // the input speeds up (a task with none is idle, and holds no window open); and a third
                            // in, until B is ready, so that B joins while the input flows and A dies with input still
                            // to come, however slowly B starts (the input does not stop: a stop leaves every task idle)
                            if (n % round == 0) {
                                producer.flush();
                                Thread.sleep(500);
                            }
                        } else if (n % 200 == 0) {
                            producer.flush();
                            Thread.sleep(25); // about 8,000 samples/s
                        }
                    }
                    producer.flush();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }, "feeder");
            feeder.start();
            awaitSent(sent, input.size() / 4);
            b = processor(config, "b", portB, store);
            awaitReady(portB, b, "b");
            bReady.countDown();
            Awaitility.await().atMost(Timing.seconds(120)).pollInterval(Duration.ofMillis(5))
                    .until(() -> sent.get() >= input.size() * 2 / 3);
            a.destroyForcibly(); // SIGKILL mid-stream (a third of the input still to come), with B running
            int sentAtKill = sent.get();
            assertThat(a.waitFor(30, TimeUnit.SECONDS)).isTrue();
            feeder.join(Timing.seconds(120).toMillis());
            assertThat(feeder.isAlive()).isFalse();
            assertThat(failed).as("every input record acknowledged by Kafka").isFalse();
            System.out.printf("%tT A killed with %d of %d input records sent; feeder done%n", System.currentTimeMillis(),
                    sentAtKill, input.size());

            // no wait for the processors: the windows of A's partitions stay open until B has taken them over and sent
            // their parts on, however long that takes
            for (int job = 0; job < JOBS; job++) { // far ahead: closes every window of the input
                producer.send(record(records, new In(job, 99, 0, T + 86_400_000L / 2))).get(30, TimeUnit.SECONDS);
            }

            Map<String, Double> expected = reference(input);
            Awaitility.await().atMost(Timing.seconds(120)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(aggregates(name)).hasSizeGreaterThanOrEqualTo(expected.size()));
            Map<String, Double> actual = aggregates(name);
            assertThat(metric(portB, "caiman_processor_rule_late_samples_total(?:\\{[^}]*\\})?"))
                    .as(() -> "no sample came after its window closed; B logged:\n" + logged("b", "came after")).isZero();
            Map<String, String> wrong = new TreeMap<>();
            expected.forEach((k, v) -> {
                if (!v.equals(actual.get(k))) {
                    wrong.put(k, "expected " + v + ", got " + actual.get(k));
                }
            });
            actual.keySet().stream().filter(k -> !expected.containsKey(k)).forEach(k -> wrong.put(k, "not expected"));
            assertThat(wrong).as("aggregates that differ from the reference (of %d)", expected.size()).isEmpty();
            assertThat(metric(portB, "caiman_processor_rule_windows_closed_total\\{by=\"idle\"[^}]*\\}"))
                    .as("every window closed by sample time").isZero();
            b.destroy(); // SIGTERM: B commits and leaves
            assertThat(b.waitFor(60, TimeUnit.SECONDS)).isTrue();
        } finally {
            a.destroyForcibly();
            if (b != null) {
                b.destroyForcibly();
            }
        }
    }

    /** Counters of 4 jobs x 15 instances, each sampled once a second of sample time, growing by 0 to 9. */
    private static List<In> input(Random random) {
        List<In> input = new ArrayList<>();
        double[] value = new double[JOBS * INSTANCES];
        for (int round = 0; round < ROUNDS; round++) {
            for (int s = 0; s < value.length; s++) {
                value[s] += random.nextInt(10);
                input.add(new In(s / INSTANCES, s % INSTANCES, value[s], T + round * 1000L));
            }
        }
        return input;
    }

    private static ProducerRecord<byte[], byte[]> record(OplogRecords records, In in) {
        ParsedSample sample = new ParsedSample("fault_total", Labels.of("job", "j" + in.job, "instance", "i" + in.instance),
                in.value, in.ts, MetricType.COUNTER, 1);
        return records.records(List.of(sample), "default", in.ts, "test", "test:0").get(0);
    }

    /** The outputs computed naively over the whole input, keyed like {@link #aggregates}. */
    private static Map<String, Double> reference(List<In> input) {
        Map<String, List<In>> byWindow = new TreeMap<>();
        Map<String, Double> increase = new HashMap<>();
        Map<Integer, Double> previous = new HashMap<>();
        for (In in : input) {
            int series = in.job * INSTANCES + in.instance;
            String key = "{job=\"j" + in.job + "\"}@" + (in.ts - in.ts % WINDOW);
            byWindow.computeIfAbsent(key, k -> new ArrayList<>()).add(in);
            Double prev = previous.put(series, in.value);
            increase.merge(key, prev == null ? 0 : in.value - prev, Double::sum);
        }
        Map<String, Double> out = new TreeMap<>();
        byWindow.forEach((key, samples) -> {
            out.put("count_samples" + key, (double) samples.size());
            out.put("count_series" + key, (double) samples.stream().map(In::instance).distinct().count());
            out.put("sum_samples" + key, samples.stream().mapToDouble(In::value).sum());
            out.put("max" + key, samples.stream().mapToDouble(In::value).max().orElseThrow());
            out.put("increase" + key, increase.get(key));
        });
        return out;
    }

    private static Map<String, Double> aggregates(String name) {
        return aggregates(SharedCluster.kafka().bootstrapServers(), name, "default/fault_total:10s_by_job_");
    }

    /**
     * Every aggregate on cluster {@code name}'s aggregates topic, keyed by its series without {@code prefix} and its
     * window's start; a second record for one key fails the test.
     */
    static Map<String, Double> aggregates(String bootstrap, String name, String prefix) {
        Map<String, Double> out = new TreeMap<>();
        for (var r : TopicReader.readAll(bootstrap, name + ".aggregates")) {
            Aggregate a = Codecs.AGGREGATE.decode(r.value());
            String key = a.getSeries().substring(prefix.length()) + "@" + a.getWindowStartMs();
            Double before = out.put(key, a.getValue());
            assertThat(before).as("one aggregate per output and window: %s", key).isNull();
        }
        return out;
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        return new KafkaProducer<>(Map.of("bootstrap.servers", SharedCluster.kafka().bootstrapServers(), "acks", "all",
                "enable.idempotence", true, "linger.ms", 5), new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static void awaitSent(AtomicInteger sent, int count) {
        Awaitility.await().atMost(Timing.seconds(120)).until(() -> sent.get() >= count);
    }

    /** {@code caiman processor} in a JVM of its own, stdout and stderr to {@code <node>.out} and {@code <node>.err}. */
    private Process processor(Path config, String node, int port, String store) throws Exception {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"),
                "-Xmx384m", "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
                Main.class.getName(), "processor", "-c", config.toString(),
                "--set", "processor.listen=127.0.0.1:" + port,
                "--set", "processor.state_dir=" + dir.resolve("state-" + node),
                "--set", "processor.state_store=" + store));
        File out = dir.resolve(node + ".out").toFile();
        File err = dir.resolve(node + ".err").toFile();
        return new ProcessBuilder(command).redirectOutput(out).redirectError(err).start();
    }

    /** The lines of a processor's log that contain {@code text}, for a failure message. */
    private String logged(String node, String text) {
        try (var lines = Files.lines(dir.resolve(node + ".err"))) {
            return String.join("\n", lines.filter(l -> l.contains(text)).toList());
        } catch (java.io.IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private void awaitReady(int port, Process process, String node) {
        Awaitility.await().atMost(Timing.seconds(90)).pollInterval(Duration.ofMillis(250)).ignoreExceptions()
                .untilAsserted(() -> {
                    assertThat(process.isAlive()).as(node + " is running: " + Files.readString(dir.resolve(node + ".err")))
                            .isTrue();
                    assertThat(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/-/ready")).build(),
                            HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
                });
    }

    /** The sum of a series' samples on a processor's /metrics (0 if none yet). */
    private static double metric(int port, String series) throws Exception {
        return MetricsText.sum(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body(), series);
    }
}
