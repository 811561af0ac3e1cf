package io.caiman.processor.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.model.SeriesKey;
import io.caiman.processor.topology.AvroSerde;
import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.state.Contribution;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The group stage's close bound from the per-series tasks' marks (see {@link Marks}): a window closes only once every
 * task has marked past its end plus grace or said it is idle, and the marks survive a restart of the stage's task.
 */
class WindowStageMarksTest {

    /** A window of 10 s from 0 with a grace of 5 s closes at 15 s. */
    private static final long CLOSE = 15_000;

    private final CompiledRule rule = CompiledRule.compile(List.of(RuleTopologyTest.rule("m", "10s", List.of("job"),
            List.of(), "count_samples"))).get(0);
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private MockProcessorContext<byte[], Aggregate> context;
    private WindowStage stage;

    @BeforeEach
    void start() {
        context = new MockProcessorContext<>();
        context.setCurrentSystemTimeMs(1_000_000);
        store(WindowStage.WINDOW_STORE, new AvroSerde<>(Codecs.WINDOW_STATE));
        store(WindowStage.WINDOW_SERIES_STORE, new AvroSerde<>(Codecs.WINDOW_SERIES));
        store(WindowStage.TOTAL_STORE, new AvroSerde<>(Codecs.GROUP_TOTAL));
        store(WindowStage.LATEST_STORE, new AvroSerde<>(Codecs.AGGREGATE));
        store(WindowStage.MARK_STORE, Serdes.Long());
        stage = newStage();
    }

    private WindowStage newStage() {
        WindowStage s = new WindowStage(List.of(rule), Duration.ofMinutes(10), new RuleMetrics(registry, 10_000), 2);
        s.init(context);
        return s;
    }

    private <V> void store(String name, Serde<V> values) {
        KeyValueStore<byte[], V> store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(name), Serdes.ByteArray(),
                values).withLoggingDisabled().build();
        store.init(context.getStateStoreContext(), store);
        context.addStateStore(store);
    }

    /** A part of the window [0, 10 s) of group {job="a"} with {@code samples} samples. */
    private void part(int samples) {
        byte[] group = rule.key(rule.group(SeriesKey.parse("default/m{job=\"a\",instance=\"x\"}")).bytes());
        var window = WindowMath.empty(rule);
        for (int i = 0; i < samples; i++) {
            window = WindowMath.add(window, new Contribution(0L, 1_000L + i, 1.0, 0L, Double.NaN, 0L, null, null), rule);
        }
        stage.process(new Record<>(group, new Contribution(0L, 1_000L + samples, Double.NaN, 0L, Double.NaN, 0L, window,
                null), 1_000L));
    }

    private void mark(int upstream, long newest, boolean idle) {
        stage.process(new Record<>(Marks.key(upstream, idle), Marks.value(newest), Math.max(0, newest)));
    }

    private List<Double> closed() {
        return context.forwarded().stream().map(f -> f.record().value().getValue()).toList();
    }

    private double late() {
        var c = registry.find("caiman_processor_rule_late_samples").counter();
        return c == null ? 0 : c.count();
    }

    @Test
    void shouldWaitForEveryTaskToMarkPastTheWindow() {
        part(3);
        mark(0, CLOSE + 60_000, false);
        assertThat(closed()).as("task 1 has not marked at all").isEmpty();
        mark(1, CLOSE - 1, false);
        assertThat(closed()).as("task 1 is short of the window's end plus grace").isEmpty();
        part(2); // task 1's part, still in time
        mark(1, CLOSE, false);
        assertThat(closed()).containsExactly(5.0);
        part(4);
        assertThat(late()).as("a part after the window closed is late").isEqualTo(4);
    }

    @Test
    void shouldLeaveAnIdleTaskOutButNotCloseBeyondTheNewestMark() {
        part(3);
        mark(0, CLOSE - 5_000, false);
        mark(1, Long.MIN_VALUE, true); // a task with no samples at all
        assertThat(closed()).as("the only busy task is short of the window").isEmpty();
        mark(0, CLOSE - 5_000, true);
        assertThat(closed()).as("all idle: nothing is past the newest mark, which is short of the window").isEmpty();
        mark(0, CLOSE, false);
        assertThat(closed()).containsExactly(3.0);
    }

    @Test
    void shouldHoldTheWindowsOfATaskThatStoppedMarkingHoweverFarTheOthersGo() {
        part(3);
        mark(0, CLOSE - 1, false); // then its processor dies: no mark comes from task 0 until it is taken over
        mark(1, CLOSE + 3_600_000, false);
        assertThat(closed()).isEmpty();
        assertThat(registry.get("caiman_processor_rule_close_wait_seconds").gauge().value())
                .as("how far the windows wait for task 0").isEqualTo(3_600.001);
        part(2); // task 0's new owner sends its parts on, then marks
        mark(0, Long.MIN_VALUE, false); // a new owner starts from nothing: the bound does not go back
        mark(0, CLOSE, false);
        assertThat(closed()).containsExactly(5.0);
        assertThat(late()).isZero();
        stage.close();
        assertThat(registry.get("caiman_processor_rule_close_wait_seconds").gauge().value())
                .as("a closed task waits for nothing").isZero();
    }

    @Test
    void shouldKeepTheMarksAcrossARestartOfItsTask() {
        part(3);
        mark(0, CLOSE + 10_000, false);
        mark(1, CLOSE - 1, false);
        stage.close();
        stage = newStage(); // the same stores, as restored from their changelogs
        mark(1, CLOSE, false);
        assertThat(closed()).as("task 0's mark, from before the restart, still counts").containsExactly(3.0);
    }

    @Test
    void shouldBroadcastMarksAndLeavePartsToTheKeysHash() {
        var partitioner = Marks.partitioner();
        assertThat(partitioner.partitions("t", Marks.key(3, false), Marks.value(1), 4)).hasValue(java.util.Set.of(0, 1, 2, 3));
        assertThat(partitioner.partitions("t", rule.key("default/m{job=\"a\"}".getBytes()), Marks.value(1), 4)).isEmpty();
    }
}
