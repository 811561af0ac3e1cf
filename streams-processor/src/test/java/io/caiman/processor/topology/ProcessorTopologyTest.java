package io.caiman.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.state.SeriesState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.caiman.schemas.oplog.SampleKind;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

class ProcessorTopologyTest {

    static final byte[] UP = SeriesKey.of("default", "up", Labels.of("job", "a")).bytes();

    static byte[] sample(double value, long ts) {
        return sample(value, ts, SampleKind.VALUE);
    }

    static byte[] sample(double value, long ts, SampleKind kind) {
        return Codecs.SAMPLE.encode(Sample.newBuilder().setValue(value).setTimestampMs(ts).setMetricType(MetricType.GAUGE)
                .setTenant("default").setOrigin(Origin.newBuilder().setProtocol("p").setGateway("g").setReceivedMs(ts).build())
                .setKind(kind).build());
    }

    static TopologyTestDriver driver(boolean skip, Counter bad) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "test-processor");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return new TopologyTestDriver(ProcessorTopology.build("t.oplog", skip, bad, Duration.ofSeconds(10)), p);
    }

    @Test
    void shouldKeepTheLatestValueAndCountEverySample() {
        try (TopologyTestDriver driver = driver(false, new SimpleMeterRegistry().counter("bad"))) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("t.oplog", new ByteArraySerializer(), new ByteArraySerializer());
            in.pipeInput(UP, sample(1, 1000));
            in.pipeInput(UP, sample(3, 3000));
            in.pipeInput(UP, sample(2, 2000)); // late: counted, but not the last value
            in.pipeInput(UP, sample(4, 3000)); // same timestamp, accepted later: wins
            KeyValueStore<byte[], SeriesState> store = driver.getKeyValueStore(ProcessorTopology.SERIES_STATE_STORE);
            SeriesState state = store.get(UP);
            assertThat(state.getSampleCount()).isEqualTo(4);
            assertThat(state.getLastValue()).isEqualTo(4);
            assertThat(state.getLastTimestampMs()).isEqualTo(3000);
            assertThat(state.getMetricType()).isEqualTo(MetricType.GAUGE);
        }
    }

    @Test
    void shouldAddIncrementsAndGaugeDeltasInAnyOrder() {
        try (TopologyTestDriver driver = driver(false, new SimpleMeterRegistry().counter("bad"))) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("t.oplog", new ByteArraySerializer(), new ByteArraySerializer());
            in.pipeInput(UP, sample(2, 5000, SampleKind.INCREMENT));
            in.pipeInput(UP, sample(3, 1000, SampleKind.INCREMENT)); // older: still added
            in.pipeInput(UP, sample(0.5, 4000, SampleKind.INCREMENT));
            SeriesState state = driver.<byte[], SeriesState>getKeyValueStore(ProcessorTopology.SERIES_STATE_STORE).get(UP);
            assertThat(state.getLastValue()).isEqualTo(5.5);
            assertThat(state.getLastTimestampMs()).isEqualTo(5000);

            byte[] queue = SeriesKey.of("default", "queue", Labels.EMPTY).bytes();
            in.pipeInput(queue, sample(-2, 1000, SampleKind.GAUGE_DELTA)); // relative before any value: from 0
            in.pipeInput(queue, sample(10, 2000, SampleKind.VALUE));
            in.pipeInput(queue, sample(4, 2000, SampleKind.GAUGE_DELTA));
            in.pipeInput(queue, sample(-1.5, 2000, SampleKind.GAUGE_DELTA));
            SeriesState q = driver.<byte[], SeriesState>getKeyValueStore(ProcessorTopology.SERIES_STATE_STORE).get(queue);
            assertThat(q.getLastValue()).isEqualTo(12.5);
            assertThat(q.getSampleCount()).isEqualTo(4);
        }
    }

    @Test
    void shouldCountDistinctSetMembersPerWindow() {
        try (TopologyTestDriver driver = driver(false, new SimpleMeterRegistry().counter("bad"))) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("t.oplog", new ByteArraySerializer(), new ByteArraySerializer());
            byte[] users = SeriesKey.of("default", "users", Labels.EMPTY).bytes();
            for (int i = 0; i < 300; i++) {
                in.pipeInput(users, sample(i % 120, 20_000 + i, SampleKind.SET_MEMBER)); // window [20 s, 30 s)
            }
            KeyValueStore<byte[], SeriesState> store = driver.getKeyValueStore(ProcessorTopology.SERIES_STATE_STORE);
            assertThat(store.get(users).getLastValue()).isEqualTo(120);
            assertThat(store.get(users).getSetWindowStartMs()).isEqualTo(20_000);

            in.pipeInput(users, sample(7, 31_000, SampleKind.SET_MEMBER)); // the next window starts over
            in.pipeInput(users, sample(8, 31_500, SampleKind.SET_MEMBER));
            in.pipeInput(users, sample(9, 29_000, SampleKind.SET_MEMBER)); // late for a passed window: no count
            in.pipeInput(users, sample(8, 32_000, SampleKind.SET_MEMBER));
            SeriesState state = store.get(users);
            assertThat(state.getLastValue()).isEqualTo(2);
            assertThat(state.getSetWindowStartMs()).isEqualTo(30_000);
            assertThat(state.getSampleCount()).isEqualTo(304);

            byte[] big = SeriesKey.of("default", "visitors", Labels.EMPTY).bytes();
            for (int i = 0; i < 20_000; i++) {
                in.pipeInput(big, sample(i * 7919.0, 40_000, SampleKind.SET_MEMBER));
            }
            SeriesState b = store.get(big);
            assertThat(b.getLastValue()).isBetween(20_000 * 0.95, 20_000 * 1.05); // 3 standard errors of lgK 12
            assertThat(b.getSetSketch().remaining()).isLessThanOrEqualTo(4200);
        }
    }

    @Test
    void shouldFailOnAnUnreadableRecordByDefaultNamingWhereItIs() {
        try (TopologyTestDriver driver = driver(false, new SimpleMeterRegistry().counter("bad"))) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("t.oplog", new ByteArraySerializer(), new ByteArraySerializer());
            in.pipeInput(UP, sample(1, 1000));
            assertThatThrownBy(() -> in.pipeInput(UP, "garbage".getBytes()))
                    .hasStackTraceContaining(BadOplogRecordException.class.getName())
                    .hasStackTraceContaining("cannot read the oplog record at t.oplog partition 0 offset 1")
                    .hasStackTraceContaining("not Avro single-object encoded")
                    .hasStackTraceContaining("processor.on_bad_record is fail");
        }
    }

    @Test
    void shouldSkipAndCountUnreadableRecordsWhenConfigured() {
        Counter bad = new SimpleMeterRegistry().counter("bad");
        try (TopologyTestDriver driver = driver(true, bad)) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("t.oplog", new ByteArraySerializer(), new ByteArraySerializer());
            in.pipeInput(UP, sample(1, 1000));
            in.pipeInput(UP, "garbage".getBytes());
            in.pipeInput(UP, (byte[]) null);
            in.pipeInput(UP, sample(2, 2000));
            assertThat(bad.count()).isEqualTo(2);
            SeriesState state = driver.<byte[], SeriesState>getKeyValueStore(ProcessorTopology.SERIES_STATE_STORE).get(UP);
            assertThat(state.getSampleCount()).isEqualTo(2);
            assertThat(state.getLastValue()).isEqualTo(2);
        }
    }

    @Test
    void shouldTakeARecordWithoutAKeyAsUnreadable() {
        try (TopologyTestDriver driver = driver(false, new SimpleMeterRegistry().counter("bad"))) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("t.oplog", new ByteArraySerializer(), new ByteArraySerializer());
            assertThatThrownBy(() -> in.pipeInput((byte[]) null, sample(1, 1000)))
                    .hasStackTraceContaining("cannot read the oplog record at t.oplog partition 0 offset 0: it has no key");
        }
        Counter bad = new SimpleMeterRegistry().counter("bad");
        try (TopologyTestDriver driver = driver(true, bad)) {
            TestInputTopic<byte[], byte[]> in = driver.createInputTopic("t.oplog", new ByteArraySerializer(), new ByteArraySerializer());
            in.pipeInput(new byte[0], sample(1, 1000));
            in.pipeInput(UP, sample(2, 2000));
            assertThat(bad.count()).isEqualTo(1);
            assertThat(driver.<byte[], SeriesState>getKeyValueStore(ProcessorTopology.SERIES_STATE_STORE).get(UP)
                    .getSampleCount()).isEqualTo(1);
        }
    }

    /**
     * Processors of one group must run one topology: a rolling restart that adds the first rule runs a processor
     * without rules beside one with them, and the one whose stores the group's leader made no topics for would stall.
     */
    @Test
    void shouldBuildTheSameTopologyWithoutRulesAsWithThem() {
        var rule = new io.caiman.core.config.RuleConfig(null, "c", io.caiman.core.model.SeriesSelector.parse("up"),
                Duration.ofMinutes(1), java.util.List.of("job"), java.util.List.of(),
                java.util.List.of(io.caiman.core.config.RuleConfig.Output.parse("count_samples")), Duration.ofSeconds(5),
                Duration.ofMinutes(2), Duration.ZERO, false);
        TopologyDescription none = ProcessorTopology.build("t.oplog", false, new SimpleMeterRegistry().counter("bad"),
                Duration.ofSeconds(10), aggregation(java.util.List.of()), false).describe();
        TopologyDescription some = ProcessorTopology.build("t.oplog", false, new SimpleMeterRegistry().counter("bad"),
                Duration.ofSeconds(10), aggregation(java.util.List.of(rule)), false).describe();
        assertThat(none).isEqualTo(some);
        assertThat(none.toString()).contains("rule-groups-repartition", ProcessorTopology.SERIES_STATE_STORE);
    }

    private static ProcessorTopology.Aggregation aggregation(java.util.List<io.caiman.core.config.RuleConfig> rules) {
        return new ProcessorTopology.Aggregation(io.caiman.processor.rules.CompiledRule.compile(rules), "t.aggregates",
                Duration.ofSeconds(30), Duration.ofMinutes(10), Duration.ofSeconds(30), Duration.ofSeconds(1),
                new io.caiman.processor.rules.RuleMetrics(new SimpleMeterRegistry(), 10_000), 1, (partition, next) -> true);
    }

    @Test
    void shouldNeedNoRepartitionTopicAndNameEveryNode() {
        TopologyDescription d = ProcessorTopology.build("t.oplog", false, new SimpleMeterRegistry().counter("bad"),
                Duration.ofSeconds(10)).describe();
        assertThat(d.subtopologies()).hasSize(1);
        String text = d.toString();
        assertThat(text).contains(ProcessorTopology.SOURCE, ProcessorTopology.DECODE, ProcessorTopology.SERIES_STAGE,
                ProcessorTopology.SERIES_STATE_STORE).doesNotContain("repartition").doesNotContain("KSTREAM-");
    }
}
