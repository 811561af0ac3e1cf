package io.caiman.bench;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.ParsedSample;
import io.caiman.embedded.Dirs;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.processor.ProcessorService;
import io.caiman.processor.topology.ProcessorTopology;
import io.caiman.processor.topology.SeriesStates;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.state.RuleSeriesState;
import io.caiman.schemas.state.SeriesState;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Processor throughput against a plain consumer that only deserializes the same records (key and value), in the
 * same run, and the processor's state per series. One real broker in this JVM, on loopback; each processor run is
 * a fresh Streams application (its own {@code application.id}, so its own group, changelogs and state).
 *
 * <pre>java -cp bench/target/benchmarks.jar io.caiman.bench.ProcessorBench</pre>
 */
@Command(name = "caiman-processor-bench", mixinStandardHelpOptions = true,
        description = "Processor records/s (exactly_once_v2) against a deserializing consumer over the same oplog.")
public final class ProcessorBench implements Callable<Integer> {

    @Option(names = "--records", defaultValue = "1000000", description = "Records in the oplog (default: ${DEFAULT-VALUE}).")
    int records;

    @Option(names = "--series", defaultValue = "100000", description = "Distinct series (default: ${DEFAULT-VALUE}).")
    int series;

    @Option(names = "--partitions", defaultValue = "3", description = "Oplog partitions (default: ${DEFAULT-VALUE}).")
    int partitions;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds of each reader, alternated (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--streams", description = "Extra Kafka Streams property for the processors (repeatable), e.g. "
            + "num.stream.threads=2.")
    Map<String, String> streamsProperties = new java.util.LinkedHashMap<>();

    @Option(names = "--commit-interval", defaultValue = "100ms", description = "processor.commit_interval (default: "
            + "${DEFAULT-VALUE}).")
    String commitInterval;

    @Option(names = "--outputs", defaultValue = "count_series, sum_samples, increase", description = "The outputs of "
            + "the bench's rule (default: ${DEFAULT-VALUE}); count_series and the rates keep each series apart.")
    String outputs;

    @Option(names = "--match", defaultValue = "node_cpu_seconds_total", description = "The selector of the bench's "
            + "rule (default: ${DEFAULT-VALUE}, every series); e.g. 'node_cpu_seconds_total{mode=\"idle\"}' matches "
            + "one series in eight, as a rule matches some of a processor's series.")
    String match;

    @Option(names = "--state-store", split = ",", description = "processor.state_store of the processor runs: "
            + "rocksdb, memory, or both (rocksdb,memory), run in turn in each round (default: ${DEFAULT-VALUE}).")
    List<String> stateStores = new ArrayList<>(List.of("rocksdb"));

    /** The bench's rule: {@code --match} (node_cpu_seconds_total) per job and mode, every minute. */
    String rule() {
        return String.join("\n",
                "stream_aggregation:",
                "  - match: '" + match.replace("'", "''") + "'",
                "    interval: 1m",
                "    by: [job, mode]",
                "    outputs: [" + outputs + "]",
                "");
    }

    /** The CPU a record of each run of the consumer baseline, on its thread (it polls and decodes there). */
    private final List<Double> plainCpuMicros = new ArrayList<>();

    /**
     * The records whose series the bench's rule selects, as the consumer baseline counts them (parsing each key): a
     * rule run must count exactly these, so that a faster run is never one that aggregated less.
     */
    private long selectedRecords = -1;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ProcessorBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        io.caiman.core.lifecycle.CommonPool.atLeastTwoThreads();
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("caiman-processor-bench-");
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).dataDir(dir.resolve("kafka")).build().start()) {
            String clusters = String.join("\n", "clusters:", "  - name: bench", "    type: oplog",
                    "    servers: [" + kafka.bootstrapServers() + "]", "    partitions: " + partitions,
                    "    replica_factor: 1", "    sharding_key: [__name__, instance]", "");
            CaimanConfig config = ConfigLoader.parse(clusters, "bench.yaml");
            ClusterConfig cluster = config.requireCluster("bench");
            try (Admin admin = KafkaClients.newAdmin(config, cluster, "bench")) {
                Topics.ensure(admin, TopicSpec.oplog(cluster));
            }
            write(config, cluster, out);
            double[] plain = new double[rounds];
            Run[] floor = new Run[rounds];
            int kinds = stateStores.size();
            Run[][] bare = new Run[kinds][rounds];
            Run[][] ruled = new Run[kinds][rounds];
            long[][] stateBytes = new long[kinds][2]; // series-state after the last round: without rules, with one
            for (int r = 0; r < rounds; r++) {
                plain[r] = plainConsumer(config, cluster);
                floor[r] = floor(clusters, dir, "floor-" + r);
                out.printf(Locale.ROOT, "round %d: deserializing consumer %,.0f rec/s (%.2f µs CPU a record on its "
                        + "thread) · Streams decoding only %s%n", r + 1, plain[r], plainCpuMicros.get(r), floor[r]);
                boolean last = r == rounds - 1;
                for (int k = 0; k < kinds; k++) {
                    String store = stateStores.get(k);
                    bare[k][r] = processor(clusters, dir, "bare-" + store + "-" + r, store, "",
                            last ? stateBytes[k] : null, 0);
                    ruled[k][r] = processor(clusters, dir, "rules-" + store + "-" + r, store, rule(),
                            last ? stateBytes[k] : null, 1);
                    out.printf(Locale.ROOT, "round %d, state in %s: processor, per-series state only %s · processor "
                            + "with one rule %s%n", r + 1, store, bare[k][r], ruled[k][r]);
                }
            }
            out.printf(Locale.ROOT, "every run with the rule counted exactly the %,d records of series it selects%n",
                    selectedRecords);
            double p = ReplayBench.median(plain);
            out.printf(Locale.ROOT, "median, running (from the first commit to the last): deserializing consumer %,.0f "
                    + "rec/s; Streams (exactly_once_v2) decoding only %,.0f rec/s (%.2f of the consumer); startup to "
                    + "the first commit %.1f s%n", p, Run.medianRunning(floor), Run.medianRunning(floor) / p,
                    Run.medianStartup(floor));
            out.printf(Locale.ROOT, "median CPU a record on the reading threads (less noisy than rates on a shared "
                    + "machine): deserializing consumer %.2f µs; Streams decoding only %.2f µs%n",
                    ReplayBench.median(plainCpuMicros.stream().mapToDouble(Double::doubleValue).toArray()),
                    Run.medianStreamCpu(floor));
            for (int k = 0; k < kinds; k++) {
                out.printf(Locale.ROOT, "state in %s, median CPU a record on the stream threads: per-series state only "
                        + "%.2f µs; with one rule %.2f µs%n", stateStores.get(k), Run.medianStreamCpu(bare[k]),
                        Run.medianStreamCpu(ruled[k]));
                out.printf(Locale.ROOT, "state in %s, median, running: processor per-series state only %,.0f rec/s "
                        + "(%.2f of the consumer); with one rule %,.0f rec/s (%.2f)%n", stateStores.get(k),
                        Run.medianRunning(bare[k]), Run.medianRunning(bare[k]) / p, Run.medianRunning(ruled[k]),
                        Run.medianRunning(ruled[k]) / p);
                out.printf(Locale.ROOT, "state in %s, median, whole run (from start(), startup included): per-series "
                        + "state only %,.0f rec/s (%.2f); with one rule %,.0f rec/s (%.2f); startup to the first commit "
                        + "%.1f s, %.1f s%n", stateStores.get(k), Run.medianWhole(bare[k]), Run.medianWhole(bare[k]) / p,
                        Run.medianWhole(ruled[k]), Run.medianWhole(ruled[k]) / p, Run.medianStartup(bare[k]),
                        Run.medianStartup(ruled[k]));
                if (stateStores.get(k).equals("rocksdb")) {
                    out.printf(Locale.ROOT, "per-series store (series-state) on disk after the last round: %,d bytes "
                            + "without rules, %,d with one rule; the rule's share %.0f bytes per series (RocksDB files, "
                            + "after a flush on close)%n", stateBytes[k][0], stateBytes[k][1],
                            (stateBytes[k][1] - stateBytes[k][0]) / (double) series);
                } else {
                    out.printf(Locale.ROOT, "heap held by the processor's state after the last round (live heap "
                            + "after a GC, processor running and caught up, less the same with it closed): %,d bytes "
                            + "without rules (%.0f a series), %,d with one rule (%.0f a series)%n", stateBytes[k][0],
                            stateBytes[k][0] / (double) series, stateBytes[k][1], stateBytes[k][1] / (double) series);
                }
            }
            out.printf(Locale.ROOT, "logical size of one series' rule state: %d bytes of its series' value%n",
                    ruleStateBytes());
        } finally {
            Dirs.deleteQuietly(dir);
        }
        return 0;
    }

    /** node_exporter-like CPU counters: each series gets a sample every 15 s of sample time, growing. */
    private void write(CaimanConfig config, ClusterConfig cluster, PrintStream out) {
        out.printf(Locale.ROOT, "writing %,d records of %,d series over %d partitions%n", records, series, partitions);
        OplogRecords builder = new OplogRecords(cluster, List.of());
        long t0 = System.currentTimeMillis() - (long) (records / series + 1) * 15_000;
        String[] modes = {"idle", "user", "system", "iowait", "irq", "softirq", "steal", "nice"};
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.newProducer(config, cluster, "bench")) {
            for (int i = 0; i < records; i += 1000) {
                List<ParsedSample> batch = new ArrayList<>(1000);
                for (int j = 0; j < 1000 && i + j < records; j++) {
                    int n = i + j;
                    int s = n % series;
                    int round = n / series;
                    batch.add(new ParsedSample("node_cpu_seconds_total", Labels.of("cpu", Integer.toString(s % 64),
                            "instance", "host-" + (s / 512) + ":9100", "job", "node", "mode", modes[(s / 64) % modes.length]),
                            round * 7.5 + s % 13, t0 + round * 15_000L, MetricType.COUNTER, 0));
                }
                for (ProducerRecord<byte[], byte[]> rec : builder.records(batch, "default", System.currentTimeMillis(),
                        "bench", "bench")) {
                    producer.send(rec);
                }
            }
            producer.flush();
        }
    }

    /** The baseline: assign, seek to the beginning, poll to the end, parse every key and decode every value. */
    private double plainConsumer(CaimanConfig config, ClusterConfig cluster) {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.newReader(config, cluster, "bench-plain")) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < partitions; p++) {
                tps.add(new TopicPartition(cluster.oplogTopic(), p));
            }
            long t0 = System.nanoTime();
            long cpu0 = Cpu.currentThread();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            long n = 0;
            long selected = 0;
            io.caiman.core.model.SeriesSelector selector = io.caiman.core.model.SeriesSelector.parse(match);
            double check = 0;
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    SeriesKey key = SeriesKey.parse(r.key());
                    Sample sample = Codecs.SAMPLE.decode(r.value());
                    check += sample.getValue() + key.name().length();
                    selected += selector.matches(key) ? 1 : 0;
                    n++;
                }
            }
            if (n != records || check == 0) {
                throw new IllegalStateException("the consumer read " + n + " records, not " + records);
            }
            plainCpuMicros.add((Cpu.currentThread() - cpu0) / 1e3 / n);
            selectedRecords = selected;
            return n * 1e9 / (System.nanoTime() - t0);
        }
    }

    /**
     * One run of a Streams application over the whole oplog, read from the group's committed offsets (under
     * exactly_once_v2 a commit is a transaction: what is committed is processed). {@code running} is the rate from
     * the first commit to the last, which leaves out startup (group join, topic creation, the first transaction);
     * {@code whole} counts from {@code start()}.
     */
    record Run(double whole, double running, double startupSeconds, double cpuMicros, double streamCpuMicros) {
        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,.0f rec/s running (%,.0f whole, %.1f s to the first commit; CPU a "
                    + "record while running: %.2f µs in its stream threads, %.2f µs in the whole JVM)", running, whole,
                    startupSeconds, streamCpuMicros, cpuMicros);
        }

        static double medianStreamCpu(Run[] runs) {
            return ReplayBench.median(Stream.of(runs).mapToDouble(Run::streamCpuMicros).toArray());
        }

        static double medianRunning(Run[] runs) {
            return ReplayBench.median(Stream.of(runs).mapToDouble(Run::running).toArray());
        }

        static double medianWhole(Run[] runs) {
            return ReplayBench.median(Stream.of(runs).mapToDouble(Run::whole).toArray());
        }

        static double medianStartup(Run[] runs) {
            return ReplayBench.median(Stream.of(runs).mapToDouble(Run::startupSeconds).toArray());
        }
    }

    /**
     * One processor, a fresh application over the whole oplog, its state in {@code store} ({@code rocksdb} or
     * {@code memory}). Puts the size of its state at {@code stateBytes[slot]} when {@code stateBytes} is given: the
     * series-state store's files on disk for RocksDB; for the heap, the live heap with the processor running, less
     * the same once it is closed.
     */
    private Run processor(String clusters, Path dir, String run, String store, String rules, long[] stateBytes,
            int slot) throws Exception {
        Path state = dir.resolve("state-" + run);
        CaimanConfig config = processorConfig(clusters, state, run, "  state_store: " + store + "\n" + rules);
        Run result;
        long heldHeap = 0;
        try (ProcessorService processor = new ProcessorService(config)) {
            result = untilCommitted(config, run, processor::start, processor::failure);
            heldHeap = liveHeap();
            if (!rules.isEmpty()) {
                double counted = processor.registry().find("caiman_processor_rule_samples").counters().stream()
                        .mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
                if (counted != selectedRecords) {
                    throw new IllegalStateException(run + ": the rule counted " + (long) counted + " samples; the "
                            + "consumer found " + selectedRecords + " records of series it selects");
                }
            }
        }
        if (stateBytes != null) {
            stateBytes[slot] = store.equals("memory") ? heldHeap - liveHeap()
                    : size(state, ProcessorTopology.SERIES_STATE_STORE);
        }
        return result;
    }

    /** The heap in use after a full collection (an estimate: the JVM may not collect everything asked). */
    private static long liveHeap() {
        java.lang.management.MemoryMXBean memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return memory.getHeapMemoryUsage().getUsed();
    }

    /**
     * The floor under any processor: a Streams application with the processor's own properties (exactly_once_v2,
     * the same commit interval) that does only what the consumer baseline does with each record (parse the key,
     * decode the value) and keeps no state. What it loses against the consumer is the price of Streams and its
     * transactions; what the processor loses against it is the price of the state.
     */
    private Run floor(String clusters, Path dir, String run) throws Exception {
        CaimanConfig config = processorConfig(clusters, dir.resolve("state-" + run), run, "");
        ClusterConfig cluster = config.requireCluster("bench");
        StreamsBuilder builder = new StreamsBuilder();
        double[] check = new double[1];
        builder.stream(cluster.oplogTopic(), Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .foreach((k, v) -> check[0] += Codecs.SAMPLE.decode(v).getValue() + SeriesKey.parse(k).name().length());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Run result;
        try (KafkaStreams streams = new KafkaStreams(builder.build(),
                new StreamsConfig(new ProcessorService(config).properties()))) {
            streams.setUncaughtExceptionHandler(e -> {
                failure.set(e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
            });
            result = untilCommitted(config, run, streams::start, failure::get);
        }
        // read after close(), which joins the stream thread that wrote it
        if (check[0] == 0) {
            throw new IllegalStateException("the floor decoded nothing");
        }
        return result;
    }

    /** @param more further lines of the processor block (indented by two), then any other top-level blocks */
    private CaimanConfig processorConfig(String clusters, Path state, String run, String more) {
        StringBuilder streams = new StringBuilder("{application.id: bench-" + run);
        streamsProperties.forEach((k, v) -> streams.append(", ").append(k).append(": '").append(v).append('\''));
        String yaml = clusters + "kafka:\n  streams: " + streams + "}\nprocessor:\n  listen: 127.0.0.1:0\n"
                + "  state_dir: '" + state + "'\n  idle_close: 1h\n  commit_interval: " + commitInterval + "\n" + more;
        return ConfigLoader.parse(yaml, "bench.yaml");
    }

    /** Starts an application and watches its group's committed offsets every 50 ms until they reach the oplog's end. */
    private Run untilCommitted(CaimanConfig config, String run, Runnable start, Supplier<Throwable> failure)
            throws Exception {
        ClusterConfig cluster = config.requireCluster("bench");
        try (Admin admin = KafkaClients.newAdmin(config, cluster, "bench-watch")) {
            Map<TopicPartition, OffsetSpec> query = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                query.put(new TopicPartition(cluster.oplogTopic(), p), OffsetSpec.latest());
            }
            var ends = admin.listOffsets(query).all().get(30, TimeUnit.SECONDS);
            long t0 = System.nanoTime();
            long firstAt = 0;
            long firstCommitted = 0;
            long firstCpu = 0;
            long firstStreamCpu = 0;
            start.run();
            while (true) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets("bench-" + run)
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                long now = System.nanoTime();
                long sum = committed.values().stream().filter(Objects::nonNull)
                        .mapToLong(OffsetAndMetadata::offset).sum();
                if (firstAt == 0 && sum > 0) {
                    firstAt = now;
                    firstCommitted = sum;
                    firstCpu = Cpu.process();
                    firstStreamCpu = Cpu.threads("bench-" + run + "-", "-StreamThread-");
                }
                boolean done = ends.entrySet().stream().allMatch(e -> committed.get(e.getKey()) != null
                        && committed.get(e.getKey()).offset() >= e.getValue().offset());
                if (done) {
                    long counted = records - firstCommitted;
                    double running = counted <= 0 || now == firstAt ? Double.NaN : counted * 1e9 / (now - firstAt);
                    double cpu = counted <= 0 ? Double.NaN : (Cpu.process() - firstCpu) / 1e3 / counted;
                    double streamCpu = counted <= 0 ? Double.NaN
                            : (Cpu.threads("bench-" + run + "-", "-StreamThread-") - firstStreamCpu) / 1e3 / counted;
                    return new Run(records * 1e9 / (now - t0), running, (firstAt - t0) / 1e9, cpu, streamCpu);
                }
                if (failure.get() != null) {
                    throw new IllegalStateException("the run " + run + " failed", failure.get());
                }
                Thread.sleep(50);
            }
        }
    }

    private static long size(Path state, String store) {
        try (Stream<Path> files = Files.walk(state)) {
            return files.filter(f -> f.toString().contains("/" + store + "/") && Files.isRegularFile(f)).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).sum();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** What one rule's entry adds to a series' state value: its rule id, and a baseline with its times. */
    private static int ruleStateBytes() {
        SeriesState bare = SeriesStates.empty();
        bare.setLastValue(12345.67);
        bare.setLastTimestampMs(System.currentTimeMillis());
        int without = Codecs.SERIES_STATE.encode(bare).length;
        bare.getRules().put("0123456789ab", RuleSeriesState.newBuilder().setLastTimestampMs(System.currentTimeMillis())
                .setBaseline(12345.67).setSeenMs(System.currentTimeMillis()).build());
        return Codecs.SERIES_STATE.encode(bare).length - without;
    }

    /** CPU time, in nanoseconds, of this JVM and of its threads. */
    static final class Cpu {

        private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory
                .getThreadMXBean();

        private Cpu() {}

        static long process() {
            return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                    .getOperatingSystemMXBean()).getProcessCpuTime();
        }

        static long currentThread() {
            return THREADS.getCurrentThreadCpuTime();
        }

        /** The CPU of the live threads whose names start with {@code prefix} and contain {@code part}. */
        static long threads(String prefix, String part) {
            long sum = 0;
            for (Thread t : Thread.getAllStackTraces().keySet()) {
                if (t.getName().startsWith(prefix) && t.getName().contains(part)) {
                    long cpu = THREADS.getThreadCpuTime(t.getId());
                    sum += Math.max(cpu, 0);
                }
            }
            return sum;
        }
    }
}
