package io.caiman.cli.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParsedSample;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.testing.TestConfigs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replay reads on one thread and checks and writes on another. Against a real broker, with sinks that are slow,
 * that fail and that are stopped mid-range: the sink still gets every record once, in order per partition, a sink's
 * failure still ends the replay with that failure, and a checkpoint still covers exactly what the sink took.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ReplayerPipelineTest {

    /** Several polls' worth (a reader takes at most 5,000 records a poll), so the queue between the stages fills. */
    static final int RECORDS = 40_000;

    CaimanConfig config;
    ClusterConfig cluster;

    @BeforeAll
    void writeRecords(@TempDir Path tmp) throws Exception {
        String name = TestConfigs.uniqueName("pipeline");
        // the default size (1,000 records) lets retention delete what this test reads; keep all of it
        config = ConfigLoader.parse(TestConfigs.oplog(name, 3, tmp.resolve("state").toString())
                .replace("    replica_factor: 1\n", "    replica_factor: 1\n    retention_bytes: 1GiB\n"), "caiman.yaml");
        assertThat(config.requireCluster(name).retentionBytesPerPartition()).isEqualTo(1L << 30);
        cluster = config.requireCluster(name);
        try (Admin admin = KafkaClients.newAdmin(config, cluster, "pipeline-test")) {
            Topics.ensure(admin, TopicSpec.oplog(cluster));
        }
        OplogRecords builder = new OplogRecords(cluster, List.of());
        List<Future<RecordMetadata>> sent = new ArrayList<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.newProducer(config, cluster, "pipeline-test")) {
            for (int i = 0; i < RECORDS; i += 1000) {
                List<ParsedSample> batch = new ArrayList<>();
                for (int j = i; j < i + 1000; j++) {
                    batch.add(new ParsedSample("pipeline_metric", Labels.of("instance", "host-" + (j % 500)), j, null,
                            MetricType.GAUGE, 0));
                }
                for (ProducerRecord<byte[], byte[]> r : builder.records(batch, "default", System.currentTimeMillis(),
                        "test", "test")) {
                    sent.add(producer.send(r));
                }
            }
            producer.flush();
        }
        for (Future<RecordMetadata> f : sent) {
            f.get(); // a send that failed fails the setup here, not as a short count in a test
        }
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.newReader(config, cluster, "pipeline-test")) {
            List<TopicPartition> partitions = consumer.partitionsFor(cluster.oplogTopic()).stream()
                    .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            assertThat(begin.values()).as("the oplog's start offsets (end offsets %s)", end).containsOnly(0L);
            assertThat(end.values().stream().mapToLong(Long::longValue).sum()).as("records in the oplog: %s", end)
                    .isEqualTo(RECORDS);
        }
    }

    @Test
    void shouldGiveASlowSinkEveryRecordOnceInOrderPerPartition() throws Exception {
        Recording sink = new Recording(-1, 2_000);
        Replayer.Summary summary = replay(sink, null, () -> false);
        assertThat(summary.written()).isEqualTo(RECORDS);
        assertThat(summary.complete()).isTrue();
        assertThat(sink.total()).isEqualTo(RECORDS);
        sink.offsets.forEach((p, offsets) -> {
            for (int i = 0; i < offsets.size(); i++) {
                assertThat(offsets.get(i)).as("partition %d, record %d", p, i).isEqualTo((long) i);
            }
        });
        assertThat(sink.threads).as("the sink is written from one thread").hasSize(1);
        assertThat(handlerThreads()).isZero();
    }

    @Test
    void shouldEndWithTheSinksFailureAndLeaveNoThreadBehind() {
        Recording sink = new Recording(12_345, 0);
        assertThatThrownBy(() -> replay(sink, null, () -> false)).isInstanceOf(IOException.class)
                .hasMessage("the sink broke at record 12345");
        assertThat(sink.total()).isEqualTo(12_345);
        assertThat(handlerThreads()).isZero();
    }

    @Test
    void shouldCheckpointExactlyWhatTheSinkTookWhenStopped(@TempDir Path tmp) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        Recording sink = new Recording(-1, 0) {
            @Override
            public boolean write(ReplayRecord record) throws IOException {
                if (total() == 17_000) {
                    stop.set(true);
                }
                return super.write(record);
            }
        };
        Path checkpoint = tmp.resolve("replay.checkpoint");
        Replayer.Summary summary = replay(sink, checkpoint, stop::get);
        assertThat(summary.complete()).isFalse();
        Checkpoint saved = Checkpoint.read(checkpoint);
        long covered = 0;
        for (var e : saved.next().entrySet()) {
            int p = e.getKey();
            long next = e.getValue();
            List<Long> taken = sink.offsets.getOrDefault(p, List.of());
            // every offset before next was taken, and none from next on
            assertThat(taken).as("partition %d", p).hasSize((int) next);
            if (!taken.isEmpty()) {
                assertThat(taken.get(taken.size() - 1)).isEqualTo(next - 1);
            }
            covered += next;
        }
        assertThat(covered).isEqualTo(sink.total()).isGreaterThanOrEqualTo(17_001).isLessThan(RECORDS);

        // the resume takes exactly the rest
        Recording rest = new Recording(-1, 0);
        Replayer.Summary resumed = replay(rest, checkpoint, () -> false);
        assertThat(resumed.resumed()).isTrue();
        assertThat(sink.total() + rest.total()).isEqualTo(RECORDS);
        rest.offsets.forEach((p, offsets) -> assertThat(offsets.get(0)).isEqualTo(saved.next().get(p)));
    }

    private Replayer.Summary replay(ReplaySink sink, Path checkpoint, java.util.function.BooleanSupplier stop)
            throws IOException {
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.newReader(config, cluster, "pipeline-test")) {
            Replayer.Options options = new Replayer.Options(cluster.oplogTopic(), new Bound.Edge(false),
                    new Bound.Edge(true), Replayer.By.APPEND_TIME, null, List.of(), null, Replayer.OnBadRecord.FAIL, 0,
                    checkpoint, Duration.ofMillis(50), "pipeline test", Duration.ofSeconds(30));
            return new Replayer(consumer, sink, options, Progress.of(Progress.Mode.NONE, System.err, 0),
                    new PrintStream(PrintStream.nullOutputStream()), stop).run();
        }
    }

    private static long handlerThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals("caiman-replay-sink")).count();
    }

    /** Records what it takes; breaks at record {@code breakAt}; sleeps 2 ms every {@code slowEvery} records. */
    static class Recording implements ReplaySink {
        final Map<Integer, List<Long>> offsets = new HashMap<>();
        final java.util.Set<Thread> threads = new java.util.HashSet<>();
        private final int breakAt;
        private final int slowEvery;
        private int total;

        Recording(int breakAt, int slowEvery) {
            this.breakAt = breakAt;
            this.slowEvery = slowEvery;
        }

        int total() {
            return total;
        }

        @Override
        public boolean write(ReplayRecord record) throws IOException {
            if (total == breakAt) {
                throw new IOException("the sink broke at record " + total);
            }
            threads.add(Thread.currentThread());
            offsets.computeIfAbsent(record.partition(), p -> new ArrayList<>()).add(record.offset());
            total++;
            if (slowEvery > 0 && total % slowEvery == 0) {
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return true;
        }

        @Override
        public boolean decodes() {
            return false;
        }

        @Override
        public void flush() {}

        @Override
        public String describe() {
            return "a recording sink";
        }

        @Override
        public void close() {}
    }
}
