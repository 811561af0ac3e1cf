package io.caiman.processor.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.caiman.core.config.RuleConfig;
import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.model.SeriesSelector;
import io.caiman.core.wire.Numbers;
import io.caiman.processor.topology.ProcessorTopology;
import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.oplog.SampleKind;
import io.caiman.schemas.state.ReplicaState;
import io.caiman.schemas.state.RuleSeriesState;
import io.caiman.schemas.state.SeriesState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Collectors;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/** Stream aggregation rules through the real topology ({@code TopologyTestDriver}), outputs checked by hand. */
class RuleTopologyTest {

    static final long MINUTE = 60_000;
    /** A minute-aligned time, so windows of 1m start at T. */
    static final long T = 1_700_000_040_000L;
    /** processor.rule_flush_interval in these tests. */
    static final Duration FLUSH = Duration.ofSeconds(1);

    static RuleConfig rule(String match, String interval, List<String> by, List<String> without, String... outputs) {
        Duration i = Duration.parse("PT" + interval.toUpperCase());
        return new RuleConfig(null, "c", SeriesSelector.parse(match), i, by, without,
                java.util.Arrays.stream(outputs).map(RuleConfig.Output::parse).toList(), Duration.ofSeconds(5),
                i.multipliedBy(2), Duration.ZERO, false);
    }

    static RuleConfig dedup(RuleConfig r, Duration dedup) {
        return new RuleConfig(r.name(), r.cluster(), r.match(), r.interval(), r.by(), r.without(), r.outputs(), r.grace(),
                r.stalenessInterval(), dedup, r.keepInput());
    }

    /** One driver: rules in, the oplog as input, the aggregates as output. */
    static final class Rig implements AutoCloseable {
        final SimpleMeterRegistry registry = new SimpleMeterRegistry();
        final TopologyTestDriver driver;
        final TestInputTopic<byte[], byte[]> oplog;
        final TestOutputTopic<byte[], byte[]> aggregates;

        Rig(RuleConfig... rules) {
            this(false, rules);
        }

        /** @param inMemory whether the stores are held in the heap ({@code processor.state_store: memory}) */
        Rig(boolean inMemory, RuleConfig... rules) {
            Properties p = new Properties();
            p.put(StreamsConfig.APPLICATION_ID_CONFIG, "test-processor");
            p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
            ProcessorTopology.Aggregation aggregation = new ProcessorTopology.Aggregation(
                    CompiledRule.compile(List.of(rules)), "c.aggregates", Duration.ofSeconds(30), Duration.ofMinutes(10),
                    Duration.ofSeconds(30), FLUSH, new RuleMetrics(registry, 10_000), 1, (partition, next) -> true);
            driver = new TopologyTestDriver(ProcessorTopology.build("c.oplog", false, registry.counter("bad"),
                    Duration.ofSeconds(10), aggregation, inMemory), p, Instant.ofEpochMilli(T));
            oplog = driver.createInputTopic("c.oplog", new ByteArraySerializer(), new ByteArraySerializer());
            aggregates = driver.createOutputTopic("c.aggregates", new ByteArrayDeserializer(), new ByteArrayDeserializer());
        }

        void send(String series, double value, long ts) {
            send(series, value, ts, "", SampleKind.VALUE);
        }

        void send(String series, double value, long ts, String replica, SampleKind kind) {
            SeriesKey key = SeriesKey.parse("default/" + series);
            Sample s = Sample.newBuilder().setValue(value).setTimestampMs(ts).setMetricType(MetricType.COUNTER)
                    .setTenant(key.tenant()).setOrigin(Origin.newBuilder().setProtocol("p").setGateway("g")
                            .setReceivedMs(ts).build()).setKind(kind).setReplica(replica).build();
            // the oplog's record time is when it accepted the sample: a little after the sample's own time
            oplog.pipeInput(key.bytes(), Codecs.SAMPLE.encode(s), Instant.ofEpochMilli(ts + 100));
        }

        /** The per-series state store. */
        org.apache.kafka.streams.state.KeyValueStore<byte[], SeriesState> states() {
            return driver.getKeyValueStore(ProcessorTopology.SERIES_STATE_STORE);
        }

        /** One flush interval of the wall clock: the per-series stage sends its parts on to the group stage. */
        void flush() {
            driver.advanceWallClockTime(FLUSH);
        }

        /** Every aggregate written after a flush, keyed by output series (without the tenant) and window start. */
        Map<String, Aggregate> read() {
            flush();
            Map<String, Aggregate> out = new LinkedHashMap<>();
            for (var kv : aggregates.readKeyValuesToList()) {
                Aggregate a = Codecs.AGGREGATE.decode(kv.value);
                assertThat(new String(kv.key, java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(a.getSeries());
                String key = a.getSeries().substring("default/".length()) + "@" + (a.getWindowStartMs() - T) / 1000;
                assertThat(out.put(key, a)).as("one aggregate per output series and window: %s", key).isNull();
            }
            return out;
        }

        Map<String, Double> values() {
            return read().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().getValue(),
                    (a, b) -> a, java.util.TreeMap::new));
        }

        double counter(String name, String... tags) {
            var c = registry.find(name).tags(tags).counter();
            return c == null ? 0 : c.count();
        }

        @Override
        public void close() {
            driver.close();
        }
    }

    @Test
    void shouldComputeEveryScalarOutputPerGroupAndWindow() {
        try (Rig rig = new Rig(rule("http_requests_total", "1m", List.of("job"), List.of(), "count_samples",
                "count_series", "sum_samples", "min", "max", "avg", "last", "stddev", "stdvar"))) {
            rig.send("http_requests_total{job=\"api\",instance=\"a\"}", 1, T + 1_000);
            rig.send("http_requests_total{job=\"api\",instance=\"b\"}", 4, T + 2_000);
            rig.send("http_requests_total{job=\"api\",instance=\"a\"}", 3, T + 30_000);
            rig.send("http_requests_total{job=\"db\",instance=\"c\"}", 10, T + 40_000);
            rig.send("other_metric{job=\"api\"}", 99, T + 41_000); // not matched
            assertThat(rig.read()).as("no window closes before its end plus grace").isEmpty();
            // a sample past the end plus grace (5 s) on the same partition closes the first window
            rig.send("http_requests_total{job=\"db\",instance=\"c\"}", 11, T + MINUTE + 5_000);
            Map<String, Double> v = rig.values();
            String api = "http_requests_total:1m_by_job_%s{job=\"api\"}@0";
            assertThat(v.get(api.formatted("count_samples"))).isEqualTo(3);
            assertThat(v.get(api.formatted("count_series"))).isEqualTo(2);
            assertThat(v.get(api.formatted("sum_samples"))).isEqualTo(8);
            assertThat(v.get(api.formatted("min"))).isEqualTo(1);
            assertThat(v.get(api.formatted("max"))).isEqualTo(4);
            assertThat(v.get(api.formatted("avg"))).isCloseTo(8.0 / 3, within(1e-12));
            assertThat(v.get(api.formatted("last"))).isEqualTo(3);
            double mean = 8.0 / 3;
            double var = (Math.pow(1 - mean, 2) + Math.pow(4 - mean, 2) + Math.pow(3 - mean, 2)) / 3;
            assertThat(v.get(api.formatted("stdvar"))).isCloseTo(var, within(1e-12));
            assertThat(v.get(api.formatted("stddev"))).isCloseTo(Math.sqrt(var), within(1e-12));
            assertThat(v.get("http_requests_total:1m_by_job_sum_samples{job=\"db\"}@0")).isEqualTo(10);
            assertThat(v.keySet()).noneMatch(k -> k.startsWith("other_metric"));
            assertThat(v).hasSize(18);
        }
    }

    /** The per-series stage tells series no rule can match apart by their key's bytes; none a rule selects is lost. */
    @Test
    void shouldCountExactlyTheSeriesEachRuleSelectsByNameAndLabels() {
        try (Rig rig = new Rig(rule("{__name__=~\"http_.*\", job=\"api\"}", "1m", List.of(), List.of(), "count_samples"),
                rule("up{instance!=\"b\"}", "1m", List.of(), List.of(), "count_samples"))) {
            rig.send("http_requests_total{instance=\"a\",job=\"api\"}", 1, T + 1_000);
            rig.send("http_errors{job=\"api\"}", 1, T + 2_000);
            rig.send("http_requests_total{job=\"web\"}", 1, T + 3_000);
            rig.send("http_requests_total{job=\"web\",path=\"x,job=\\\"api\\\"\"}", 1, T + 4_000); // the text, not the label
            rig.send("other{job=\"api\"}", 1, T + 5_000);
            rig.send("up{instance=\"a\"}", 1, T + 6_000);
            rig.send("up{instance=\"b\"}", 1, T + 7_000);
            rig.send("up", 1, T + 8_000);
            rig.send("up", 1, T + MINUTE + 5_000);
            Map<String, Double> v = rig.values();
            assertThat(v).containsOnly(Map.entry("http_requests_total:1m_count_samples@0", 1.0),
                    Map.entry("http_errors:1m_count_samples@0", 1.0), Map.entry("up:1m_count_samples@0", 2.0));
        }
    }

    @Test
    void shouldNameOutputsAsVmagentDoes() {
        try (Rig rig = new Rig(rule("m", "30s", List.of(), List.of("instance"), "sum_samples"),
                rule("m", "1m", List.of(), List.of(), "max"))) {
            rig.send("m{job=\"x\",instance=\"a\"}", 1, T);
            rig.send("m{job=\"x\",instance=\"a\"}", 2, T + 2 * MINUTE);
            assertThat(rig.values()).containsEntry("m:30s_without_instance_sum_samples{job=\"x\"}@0", 1.0)
                    .containsEntry("m:1m_max@0", 1.0);
        }
    }

    @Test
    void shouldCountIncreasesAcrossCounterResetsAndKeepARunningTotal() {
        try (Rig rig = new Rig(rule("c_total", "1m", List.of(), List.of(), "increase", "total", "rate_sum", "rate_avg"))) {
            rig.send("c_total{i=\"a\"}", 100, T + 1_000);  // baseline: no increase
            rig.send("c_total{i=\"a\"}", 110, T + 11_000); // +10
            rig.send("c_total{i=\"a\"}", 5, T + 21_000);   // reset: +5
            rig.send("c_total{i=\"b\"}", 7, T + 30_000);   // baseline of b
            rig.send("c_total{i=\"b\"}", 9, T + 50_000);   // +2
            rig.send("c_total{i=\"a\"}", 15, T + MINUTE + 1_000); // +10, next window
            rig.send("c_total{i=\"a\"}", 15, T + 3 * MINUTE);     // closes both
            Map<String, Double> v = rig.values();
            assertThat(v.get("c_total:1m_increase@0")).isEqualTo(17);
            assertThat(v.get("c_total:1m_total@0")).isEqualTo(17);
            // a: 15 over 20 s; b: 2 over 20 s
            assertThat(v.get("c_total:1m_rate_sum@0")).isCloseTo(15 / 20.0 + 2 / 20.0, within(1e-12));
            assertThat(v.get("c_total:1m_rate_avg@0")).isCloseTo((15 / 20.0 + 2 / 20.0) / 2, within(1e-12));
            assertThat(v.get("c_total:1m_increase@60")).isEqualTo(10);
            assertThat(v.get("c_total:1m_total@60")).as("the total runs on across windows").isEqualTo(27);
        }
    }

    @Test
    void shouldEndASeriesAtAStaleMarkerInsteadOfAggregatingIt() {
        try (Rig rig = new Rig(rule("g", "1m", List.of(), List.of(), "count_samples", "sum_samples", "increase"))) {
            rig.send("g{i=\"a\"}", 10, T + 1_000);
            rig.send("g{i=\"a\"}", Numbers.STALE_NAN, T + 2_000);
            rig.send("g{i=\"a\"}", 50, T + 3_000); // a new baseline, not an increase of 40
            rig.send("g{i=\"a\"}", 51, T + 4_000);
            rig.send("g{i=\"a\"}", 51, T + 2 * MINUTE);
            Map<String, Double> v = rig.values();
            assertThat(v.get("g:1m_count_samples@0")).isEqualTo(3);
            assertThat(v.get("g:1m_sum_samples@0")).isEqualTo(111);
            assertThat(v.get("g:1m_increase@0")).isEqualTo(1);
        }
    }

    @Test
    void shouldCountLateSamplesAsRejectedAndCloseEachWindowOnce() {
        try (Rig rig = new Rig(rule("g", "1m", List.of(), List.of(), "count_samples"))) {
            rig.send("g{i=\"a\"}", 1, T + 1_000);
            rig.send("g{i=\"b\"}", 1, T + 59_000);
            rig.send("g{i=\"a\"}", 1, T + MINUTE + 4_000); // within grace: window 0 still open
            rig.send("g{i=\"b\"}", 1, T + 58_000);         // late but within grace: counted
            rig.send("g{i=\"a\"}", 1, T + MINUTE + 5_000); // closes window 0
            rig.send("g{i=\"b\"}", 1, T + 59_500);         // after the close: late
            rig.send("g{i=\"a\"}", 1, T + 3 * MINUTE);
            Map<String, Double> v = rig.values();
            assertThat(v.get("g:1m_count_samples@0")).isEqualTo(3);
            assertThat(v.get("g:1m_count_samples@60")).isEqualTo(2);
            assertThat(rig.counter("caiman_processor_rule_late_samples")).isEqualTo(1);
        }
    }

    @Test
    void shouldCloseWindowsOfAQuietPartitionByTheWallClock() {
        try (Rig rig = new Rig(rule("g", "1m", List.of(), List.of(), "count_samples"))) {
            rig.send("g{i=\"a\"}", 1, T + 1_000);
            rig.driver.advanceWallClockTime(Duration.ofSeconds(20));
            assertThat(rig.read()).as("the window's end plus grace has not passed").isEmpty();
            rig.driver.advanceWallClockTime(Duration.ofSeconds(60));
            assertThat(rig.values()).containsEntry("g:1m_count_samples@0", 1.0);
            rig.send("g{i=\"a\"}", 1, T + 2_000);
            rig.send("g{i=\"a\"}", 1, T + 3 * MINUTE);
            assertThat(rig.values()).as("a closed window is not written again").isEmpty();
            assertThat(rig.counter("caiman_processor_rule_late_samples")).isEqualTo(1);
        }
    }

    @Test
    void shouldKeepOneSamplePerDedupInterval() {
        try (Rig rig = new Rig(dedup(rule("g", "1m", List.of(), List.of(), "count_samples", "sum_samples"),
                Duration.ofSeconds(15)))) {
            for (int s = 0; s < 60; s += 5) {
                rig.send("g{i=\"a\"}", s, T + s * 1000L); // 12 samples, 4 slots of 15 s
            }
            rig.send("g{i=\"a\"}", 0, T + 2 * MINUTE);
            Map<String, Double> v = rig.values();
            assertThat(v.get("g:1m_count_samples@0")).isEqualTo(4);
            assertThat(v.get("g:1m_sum_samples@0")).as("the first of each slot").isEqualTo(0 + 15 + 30 + 45);
            assertThat(rig.counter("caiman_processor_rule_deduplicated_samples")).isEqualTo(8);
        }
    }

    @Test
    void shouldComputeQuantilesAndCumulativeBuckets() {
        try (Rig rig = new Rig(rule("lat", "1m", List.of(), List.of(), "quantiles(0, 0.5, 1)",
                "histogram_bucket(1, 10)"))) {
            for (int i = 1; i <= 99; i++) {
                rig.send("lat{i=\"" + (i % 3) + "\"}", i * 0.2, T + i * 100L);
            }
            rig.send("lat{i=\"x\"}", 0, T + 2 * MINUTE);
            Map<String, Aggregate> a = rig.read();
            Map<String, Double> q = a.get("lat:1m_quantiles@0").getValues();
            assertThat(q.get("0")).isCloseTo(0.2, within(1e-9));
            assertThat(q.get("0.5")).isCloseTo(50 * 0.2, within(1e-9)); // exact: fewer samples than the sketch's k
            assertThat(q.get("1")).isCloseTo(99 * 0.2, within(1e-9));
            Map<String, Double> b = a.get("lat:1m_histogram_bucket@0").getValues();
            assertThat(b).isEqualTo(Map.of("1", 5.0, "10", 50.0, "+Inf", 99.0));
        }
    }

    @Test
    void shouldKeepOneHaReplicaPerSeriesAndFailOverAfterTheTimeout() {
        try (Rig rig = new Rig(rule("up", "1m", List.of(), List.of(), "count_samples", "sum_samples"))) {
            // both replicas scrape every 10 s; r1 is seen first and elected
            for (long t = 0; t < 60_000; t += 10_000) {
                rig.send("up{job=\"n\"}", 1, T + t, "r1", SampleKind.VALUE);
                rig.send("up{job=\"n\"}", 1, T + t + 500, "r2", SampleKind.VALUE);
            }
            // r1 stops after T+50s; r2 goes on; replica_timeout is 30 s
            for (long t = 60_000; t < 180_000; t += 10_000) {
                rig.send("up{job=\"n\"}", 1, T + t + 500, "r2", SampleKind.VALUE);
            }
            rig.send("up{job=\"n\"}", 1, T + 5 * MINUTE, "r2", SampleKind.VALUE);
            Map<String, Double> v = rig.values();
            assertThat(v.get("up:1m_count_samples@0")).as("one replica counted, not both").isEqualTo(6);
            // r1's last sample was T+50s; r2 takes over with its first sample more than 30 s newer, T+80.5s: the
            // counted samples have a gap of 30.5 s, the timeout plus less than one scrape interval
            assertThat(v.get("up:1m_count_samples@60")).as("80.5, 90.5, 100.5, 110.5").isEqualTo(4);
            assertThat(v.get("up:1m_count_samples@120")).isEqualTo(6);
            assertThat(rig.counter("caiman_processor_ha_failovers")).isEqualTo(1);
            assertThat(rig.counter("caiman_processor_ha_samples_dropped")).as("r2 in window 0, and at 60.5 and 70.5")
                    .isEqualTo(6 + 2);
            SeriesState state = rig.states().get(SeriesKey.parse("default/up{job=\"n\"}").bytes());
            assertThat(state.getSampleCount()).as("the series' own count keeps one replica too").isEqualTo(6 + 10 + 1);
        }
    }

    /**
     * The series' own state (last value and count, served on /metrics) keeps one replica per series, with or without
     * rules: two replicas' counters taken in turn would read as a reset at every sample.
     */
    @Test
    void shouldKeepOneHaReplicaInTheSeriesOwnStateWithoutRules() {
        try (Rig rig = new Rig()) {
            for (long t = 0; t < 40_000; t += 10_000) {
                rig.send("reqs_total{job=\"n\"}", 100 + t / 1000.0, T + t, "r1", SampleKind.VALUE);
                rig.send("reqs_total{job=\"n\"}", 50 + t / 1000.0, T + t + 500, "r2", SampleKind.VALUE);
            }
            SeriesState state = rig.states().get(SeriesKey.parse("default/reqs_total{job=\"n\"}").bytes());
            assertThat(state.getLastValue()).as("r1's, never r2's lower count").isEqualTo(130);
            assertThat(state.getSampleCount()).isEqualTo(4);
            assertThat(rig.counter("caiman_processor_ha_samples_dropped")).isEqualTo(4);
            // r1 stops; r2 takes over once it is more than replica_timeout (30 s) newer than r1's newest (T+30s)
            rig.send("reqs_total{job=\"n\"}", 90, T + 60_500, "r2", SampleKind.VALUE);
            state = rig.states().get(SeriesKey.parse("default/reqs_total{job=\"n\"}").bytes());
            assertThat(state.getLastValue()).isEqualTo(90);
            assertThat(rig.counter("caiman_processor_ha_failovers")).isEqualTo(1);
        }
    }

    @Test
    void shouldCarryOverRuleStatesAndElectedReplicasFromTheStoresOfThePreviousLayout() {
        RuleConfig config = rule("requests_total", "1m", List.of("job"), List.of(), "increase", "count_samples");
        CompiledRule compiled = new CompiledRule(config);
        byte[] a = SeriesKey.parse("default/requests_total{job=\"api\",instance=\"a\"}").bytes();
        byte[] b = SeriesKey.parse("default/requests_total{job=\"api\",instance=\"b\"}").bytes();
        try (Rig rig = new Rig(config)) {
            // what a processor of the previous layout left: series a's own state and its rule state (baseline 100 at
            // T-30s) in separate stores, and series b's elected replica r1 (last seen T-10s) in a third
            org.apache.kafka.streams.state.KeyValueStore<byte[], SeriesState> states = rig.states();
            SeriesState old = io.caiman.processor.topology.SeriesStates.empty();
            old.setSampleCount(5);
            old.setLastValue(100);
            old.setLastTimestampMs(T - 30_000);
            states.put(a, old);
            rig.driver.<byte[], RuleSeriesState>getKeyValueStore(SeriesStage.LEGACY_RULE_STORE).put(compiled.key(a),
                    new RuleSeriesState(T - 30_000, 100.0, Long.MIN_VALUE, T - 29_900, 0L, 0L, false));
            rig.driver.<byte[], ReplicaState>getKeyValueStore(SeriesStage.LEGACY_REPLICA_STORE).put(b,
                    new ReplicaState("r1", T - 10_000, T - 9_900));

            rig.send("requests_total{job=\"api\",instance=\"a\"}", 130, T + 1_000); // +30 over the old baseline
            rig.send("requests_total{job=\"api\",instance=\"b\"}", 7, T + 2_000, "r2", SampleKind.VALUE); // not elected
            rig.send("requests_total{job=\"api\",instance=\"b\"}", 9, T + 3_000, "r1", SampleKind.VALUE);
            rig.send("requests_total{job=\"api\",instance=\"a\"}", 131, T + MINUTE + 5_000); // closes window 0
            Map<String, Double> v = rig.values();
            assertThat(v.get("requests_total:1m_by_job_increase{job=\"api\"}@0")).isEqualTo(30);
            assertThat(v.get("requests_total:1m_by_job_count_samples{job=\"api\"}@0")).isEqualTo(2);
            assertThat(rig.counter("caiman_processor_ha_samples_dropped")).isEqualTo(1);

            SeriesState now = states.get(a);
            assertThat(now.getSampleCount()).as("the series' own count goes on").isEqualTo(7);
            assertThat(now.getRules()).containsOnlyKeys(compiled.id);
            assertThat(now.getRules().get(compiled.id).getBaseline()).isEqualTo(131);
            assertThat(states.get(b).getReplica().getElected()).isEqualTo("r1");
            try (var left = rig.driver.<byte[], RuleSeriesState>getKeyValueStore(SeriesStage.LEGACY_RULE_STORE).all();
                    var leftReplicas = rig.driver.<byte[], ReplicaState>getKeyValueStore(
                            SeriesStage.LEGACY_REPLICA_STORE).all()) {
                assertThat(left.hasNext()).as("moved out of the old stores").isFalse();
                assertThat(leftReplicas.hasNext()).isFalse();
            }
        }
    }

    @Test
    void shouldDropRuleStatesOfSeriesGoneQuietAndOfRemovedRulesButKeepTheSeriesOwnState() {
        RuleConfig config = rule("q_total", "1m", List.of(), List.of(), "count_series", "increase");
        CompiledRule compiled = new CompiledRule(config);
        byte[] quiet = SeriesKey.parse("default/q_total{instance=\"quiet\"}").bytes();
        byte[] busy = SeriesKey.parse("default/q_total{instance=\"busy\"}").bytes();
        try (Rig rig = new Rig(config)) {
            org.apache.kafka.streams.state.KeyValueStore<byte[], SeriesState> states = rig.states();
            rig.send("q_total{instance=\"quiet\"}", 1, T + 1_000, "r1", SampleKind.VALUE);
            SeriesState withRemovedRule = states.get(quiet);
            withRemovedRule.getRules().put("ffffffffffff", new RuleSeriesState(T, 1.0, Long.MIN_VALUE, T, 0L, 0L, false));
            states.put(quiet, withRemovedRule);
            // staleness_interval 2m: the quiet series' rule state must outlive it, plus the interval and the grace
            for (long t = 10_000; t <= 3 * MINUTE; t += 10_000) {
                rig.send("q_total{instance=\"busy\"}", t / 1000.0, T + t);
            }
            assertThat(states.get(quiet).getRules()).as("only the removed rule's state goes yet")
                    .containsOnlyKeys(compiled.id);
            for (long t = 3 * MINUTE + 10_000; t <= 8 * MINUTE; t += 10_000) {
                rig.send("q_total{instance=\"busy\"}", t / 1000.0, T + t);
            }
            SeriesState left = states.get(quiet);
            assertThat(left.getRules()).isEmpty();
            assertThat(left.getReplica()).as("unseen for twice the longest staleness").isNull();
            assertThat(left.getSampleCount()).as("the series' own state stays").isEqualTo(1);
            assertThat(states.get(busy).getRules()).containsOnlyKeys(compiled.id);
            // back after all that: counted again, a new baseline
            rig.send("q_total{instance=\"quiet\"}", 5, T + 8 * MINUTE + 5_000, "r2", SampleKind.VALUE);
            rig.send("q_total{instance=\"busy\"}", 0, T + 10 * MINUTE);
            Map<String, Double> v = rig.values();
            assertThat(v.get("q_total:1m_count_series@480")).isEqualTo(2);
            assertThat(v.get("q_total:1m_increase@480")).as("busy: 10 at 8m; quiet: a new baseline, nothing").isEqualTo(10);
        }
    }

    @Test
    void shouldCloseAWindowWithTheSampleThatEndsItNotAtTheNextFlushInterval() {
        try (Rig rig = new Rig(rule("w", "1m", List.of(), List.of(), "count_samples"))) {
            rig.send("w{i=\"a\"}", 1, T + 1_000);
            rig.send("w{i=\"b\"}", 1, T + 2_000);
            rig.send("w{i=\"a\"}", 1, T + MINUTE + 4_000);
            assertThat(rig.aggregates.readKeyValuesToList()).as("before the end plus grace (5 s)").isEmpty();
            rig.send("w{i=\"a\"}", 1, T + MINUTE + 5_000); // no wall-clock time passes: no flush interval
            var out = rig.aggregates.readKeyValuesToList();
            assertThat(out).hasSize(1);
            assertThat(Codecs.AGGREGATE.decode(out.get(0).value).getValue()).isEqualTo(2);
        }
    }

    @Test
    void shouldStillAggregateSingleSamplesWrittenToTheRepartitionTopicBeforeParts() throws Exception {
        RuleConfig config = rule("g", "1m", List.of(), List.of(), "count_samples", "sum_samples", "count_series");
        CompiledRule compiled = new CompiledRule(config);
        try (Rig rig = new Rig(config)) {
            // Contribution v1: one sample per record, as processors before rule-partials wrote them
            org.apache.avro.Schema v1 = io.caiman.schemas.codec.SchemaHistory.versions(
                    io.caiman.schemas.state.Contribution.getClassSchema().getFullName()).get(0);
            var encoder = new org.apache.avro.message.BinaryMessageEncoder<org.apache.avro.generic.GenericRecord>(
                    org.apache.avro.generic.GenericData.get(), v1);
            TestInputTopic<byte[], byte[]> repartition = rig.driver.createInputTopic(
                    "test-processor-" + ProcessorTopology.RULE_GROUPS + "-repartition", new ByteArraySerializer(),
                    new ByteArraySerializer());
            byte[] group = compiled.key(compiled.group(SeriesKey.parse("default/g{i=\"a\"}")).bytes());
            for (long hash : new long[] {1, 2}) {
                var old = new org.apache.avro.generic.GenericData.Record(v1);
                old.put("window_start_ms", T);
                old.put("timestamp_ms", T + 1_000);
                old.put("value", 5.0);
                old.put("series_hash", hash);
                old.put("increase", Double.NaN);
                old.put("previous_ms", 0L);
                byte[] bytes = encoder.encode(old).array();
                assertThat(Codecs.CONTRIBUTION.decode(bytes).getWindow()).isNull();
                repartition.pipeInput(group, bytes, Instant.ofEpochMilli(T + 1_000));
            }
            rig.send("g{i=\"a\"}", 1, T + 2_000); // a part of the same window, from the per-series stage
            rig.send("g{i=\"a\"}", 1, T + 2 * MINUTE);
            Map<String, Double> v = rig.values();
            assertThat(v).containsEntry("g:1m_count_samples@0", 3.0).containsEntry("g:1m_sum_samples@0", 11.0)
                    .containsEntry("g:1m_count_series@0", 3.0);
        }
    }

    @Test
    void shouldKeepTenantsApart() {
        try (Rig rig = new Rig(rule("g", "1m", List.of(), List.of(), "sum_samples"))) {
            SeriesKey a = SeriesKey.of("team-a", "g", Labels.of("i", "1"));
            SeriesKey b = SeriesKey.of("team-b", "g", Labels.of("i", "1"));
            for (SeriesKey k : List.of(a, b, a)) {
                Sample s = Sample.newBuilder().setValue(2).setTimestampMs(T).setTenant(k.tenant())
                        .setOrigin(Origin.newBuilder().setProtocol("p").setGateway("g").setReceivedMs(T).build()).build();
                rig.oplog.pipeInput(k.bytes(), Codecs.SAMPLE.encode(s), Instant.ofEpochMilli(T));
            }
            rig.send("g{i=\"1\"}", 1, T + 2 * MINUTE);
            rig.flush();
            List<Aggregate> out = rig.aggregates.readValuesToList().stream().map(Codecs.AGGREGATE::decode).toList();
            assertThat(out).extracting(Aggregate::getSeries, Aggregate::getValue).containsExactlyInAnyOrder(
                    org.assertj.core.groups.Tuple.tuple("team-a/g:1m_sum_samples", 4.0),
                    org.assertj.core.groups.Tuple.tuple("team-b/g:1m_sum_samples", 2.0));
        }
    }

    @Test
    void shouldRefuseSamplesFarAheadOfTheOplogClock() {
        try (Rig rig = new Rig(rule("g", "1m", List.of(), List.of(), "count_samples"))) {
            SeriesKey k = SeriesKey.parse("default/g");
            Sample s = Sample.newBuilder().setValue(1).setTimestampMs(T + 3_600_000).setTenant("default")
                    .setOrigin(Origin.newBuilder().setProtocol("p").setGateway("g").setReceivedMs(T).build()).build();
            rig.oplog.pipeInput(k.bytes(), Codecs.SAMPLE.encode(s), Instant.ofEpochMilli(T));
            rig.send("g", 1, T + 1_000);
            rig.send("g", 1, T + 2 * MINUTE);
            assertThat(rig.values()).containsEntry("g:1m_count_samples@0", 1.0);
            assertThat(rig.counter("caiman_processor_rule_rejected_samples", "reason", "future")).isEqualTo(1);
        }
    }
}
