package io.caiman.bench;

import io.caiman.cli.replay.Bound;
import io.caiman.cli.replay.DiscardSink;
import io.caiman.cli.replay.Progress;
import io.caiman.cli.replay.ReplaySink;
import io.caiman.cli.replay.Replayer;
import io.caiman.cli.replay.StreamSink;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParsedSample;
import io.caiman.embedded.Dirs;
import io.caiman.embedded.EmbeddedKafka;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.schemas.oplog.MetricType;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Replay throughput against a plain consumer reading the same range in the same run, and the time to find
 * the start of a time range as the oplog grows. One real broker in this JVM, on loopback.
 *
 * <pre>java -cp bench/target/benchmarks.jar io.caiman.bench.ReplayBench</pre>
 */
@Command(name = "caiman-replay-bench", mixinStandardHelpOptions = true,
        description = "Replay to a null sink and to a file against a plain consumer over the same records.")
public final class ReplayBench implements Callable<Integer> {

    @Option(names = "--records", defaultValue = "2000000", description = "Records in the oplog (default: ${DEFAULT-VALUE}).")
    int records;

    @Option(names = "--steps", defaultValue = "4", description = "Oplog sizes at which the start of a range is found.")
    int steps;

    @Option(names = "--series", defaultValue = "10000", description = "Distinct series (default: ${DEFAULT-VALUE}).")
    int series;

    @Option(names = "--rounds", defaultValue = "3", description = "Rounds of each reader, alternated (default: ${DEFAULT-VALUE}).")
    int rounds;

    @Option(names = "--no-file", description = "Leave out the replay to a file (measure the null sink only).")
    boolean noFile;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ReplayBench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        Path dir = Files.createTempDirectory("caiman-replay-bench-");
        try (EmbeddedKafka kafka = EmbeddedKafka.builder().nodes(1).dataDir(dir.resolve("kafka")).build().start()) {
            String yaml = String.join("\n", "clusters:", "  - name: bench", "    type: oplog",
                    "    servers: [" + kafka.bootstrapServers() + "]", "    partitions: 3", "    replica_factor: 1", "");
            CaimanConfig config = ConfigLoader.parse(yaml, "bench.yaml");
            ClusterConfig cluster = config.requireCluster("bench");
            try (Admin admin = KafkaClients.newAdmin(config, cluster, "bench")) {
                Topics.ensure(admin, TopicSpec.oplog(cluster));
            }
            out.printf(Locale.ROOT, "writing %,d records of %,d series in %d steps; finding a time's offsets after each%n",
                    records, series, steps);
            List<Long> stepTimes = new ArrayList<>();
            OplogRecords builder = new OplogRecords(cluster, List.of());
            try (KafkaProducer<byte[], byte[]> producer = KafkaClients.newProducer(config, cluster, "bench");
                    KafkaConsumer<byte[], byte[]> finder = KafkaClients.newReader(config, cluster, "bench-finder")) {
                int per = records / steps;
                for (int step = 0; step < steps; step++) {
                    stepTimes.add(System.currentTimeMillis());
                    for (int i = 0; i < per; i += 1000) {
                        List<ParsedSample> batch = new ArrayList<>(1000);
                        for (int j = 0; j < 1000; j++) {
                            int n = step * per + i + j;
                            batch.add(new ParsedSample("bench_metric", Labels.of("instance", "host-" + (n % series),
                                    "job", "bench"), n, null, MetricType.GAUGE, 0));
                        }
                        for (ProducerRecord<byte[], byte[]> r : builder.records(batch, "default",
                                System.currentTimeMillis(), "bench", "bench")) {
                            producer.send(r);
                        }
                    }
                    producer.flush();
                    List<TopicPartition> tps = List.of(0, 1, 2).stream()
                            .map(p -> new TopicPartition(cluster.oplogTopic(), p)).toList();
                    long[] micros = new long[5];
                    for (int k = 0; k < micros.length; k++) {
                        long t = stepTimes.get(k % stepTimes.size());
                        Map<TopicPartition, Long> query = new java.util.HashMap<>();
                        tps.forEach(tp -> query.put(tp, t));
                        long t0 = System.nanoTime();
                        finder.offsetsForTimes(query, Duration.ofSeconds(30));
                        micros[k] = (System.nanoTime() - t0) / 1000;
                    }
                    Arrays.sort(micros);
                    out.printf(Locale.ROOT, "  oplog of %,9d records: offsetsForTimes over 3 partitions, median %,d µs%n",
                            (step + 1) * per, micros[2]);
                }
            }
            long total = (long) (records / steps) * steps;
            double[] plain = new double[rounds];
            double[] discard = new double[rounds];
            double[] file = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                plain[r] = plainConsumer(config, cluster, total);
                discard[r] = replay(config, cluster, new DiscardSink(), total);
                if (!noFile) {
                    Path text = dir.resolve("replay.txt");
                    try (StreamSink sink = StreamSink.file(StreamSink.Format.TEXT, text, 0)) {
                        file[r] = replay(config, cluster, sink, total);
                    }
                    Files.deleteIfExists(text);
                }
                out.printf(Locale.ROOT, "round %d: plain consumer %,.0f rec/s · replay to null %,.0f rec/s · replay to "
                        + "file (text) %,.0f rec/s%n", r + 1, plain[r], discard[r], file[r]);
            }
            double[] ratios = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                ratios[r] = discard[r] / plain[r];
            }
            double p = median(plain);
            out.printf(Locale.ROOT, "median: plain consumer %,.0f rec/s; replay to null %,.0f rec/s (%.2f of plain); "
                    + "replay to file %,.0f rec/s (%.2f of plain)%n", p, median(discard), median(discard) / p,
                    median(file), median(file) / p);
            out.printf(Locale.ROOT, "median of the rounds' own ratios, replay to null / plain: %.2f%n", median(ratios));
        } finally {
            Dirs.deleteQuietly(dir);
        }
        return 0;
    }

    /** The median: the middle value, or the mean of the two middle values of an even count. */
    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int m = s.length / 2;
        return s.length % 2 == 1 ? s[m] : (s[m - 1] + s[m]) / 2;
    }

    /** The baseline: assign, seek to the beginning, poll to the end, count. */
    static double plainConsumer(CaimanConfig config, ClusterConfig cluster, long expected) {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.newReader(config, cluster, "bench-plain")) {
            List<TopicPartition> tps = List.of(0, 1, 2).stream().map(p -> new TopicPartition(cluster.oplogTopic(), p)).toList();
            long t0 = System.nanoTime();
            consumer.assign(tps);
            consumer.seekToBeginning(tps);
            Map<TopicPartition, Long> end = consumer.endOffsets(tps);
            long n = 0;
            while (tps.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                n += records.count();
            }
            if (n != expected) {
                throw new IllegalStateException("plain consumer read " + n + " records, not " + expected);
            }
            return n * 1e9 / (System.nanoTime() - t0);
        }
    }

    static double replay(CaimanConfig config, ClusterConfig cluster, ReplaySink sink, long expected) throws Exception {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.newReader(config, cluster, "bench-replay")) {
            Replayer.Options options = new Replayer.Options(cluster.oplogTopic(), new Bound.Edge(false), new Bound.Edge(true),
                    Replayer.By.APPEND_TIME, null, List.of(), null, Replayer.OnBadRecord.FAIL, 0, null,
                    Duration.ofSeconds(1), "bench", Duration.ofSeconds(30));
            long t0 = System.nanoTime();
            Replayer.Summary s = new Replayer(consumer, sink, options, Progress.of(Progress.Mode.NONE, System.err, 0),
                    System.err, () -> false).run();
            if (s.written() != expected) {
                throw new IllegalStateException("replay wrote " + s.written() + " records, not " + expected);
            }
            return s.written() * 1e9 / (System.nanoTime() - t0);
        }
    }
}
