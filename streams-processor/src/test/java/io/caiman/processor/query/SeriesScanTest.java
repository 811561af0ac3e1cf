package io.caiman.processor.query;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.model.SeriesKey;
import io.caiman.core.model.KeyLayout;
import io.caiman.core.model.SeriesSelector;
import io.caiman.processor.topology.KeyFilterQuery;
import io.caiman.processor.topology.ProcessorTopology;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.oplog.SampleKind;
import io.caiman.schemas.state.SeriesState;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SeriesScan} over the series' state store as the topology builds it (RocksDB, or the hash map), filled with
 * keys whose groups sort around the {@code /} that ends them: it must find exactly what reading every key finds, and
 * in a store kept in order read little more than the names asked for.
 */
class SeriesScanTest {

    /** Tenants, and a rule id with a tenant as the outputs' keys start; '-', '.', '!' and '\'' sort before '/'. */
    static final List<String> GROUPS = List.of("a", "a-b", "a.b", "a0", "a!", "b'c", "default", "team-x",
            "0123456789ab default", "0123456789ab a-b", "0123456789ac default");
    static final List<String> NAMES = List.of("up", "upstream", "up_x", "u", "http_requests_total", "http_errors",
            "node_cpu_seconds_total", "node_memory", "m:x", "m:1m_by_job_sum_samples", "a", "ab", "b");
    static final List<String> LABELS = List.of("", "{job=\"api\"}", "{job=\"web\"}", "{instance=\"h/1{x}\",job=\"api\"}",
            "{path=\"/up{\"}", "{ajob=\"api\",job=\"a\\\"b\"}", "{job=\"x,job=\\\"api\\\"\"}");

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldFindWhatReadingEveryKeyFindsAndReadLittleElseWhenInOrder(boolean inMemory) {
        try (TopologyTestDriver driver = driver(inMemory)) {
            KeyValueStore<byte[], SeriesState> store = driver.getKeyValueStore(ProcessorTopology.SERIES_STATE_STORE);
            SeriesState state = anyState(driver, store);
            int total = 0;
            for (String g : GROUPS) {
                for (String n : NAMES) {
                    for (String l : LABELS) {
                        store.put((g + "/" + n + l).getBytes(StandardCharsets.UTF_8), state);
                        total++;
                    }
                }
            }
            store.put("no group here".getBytes(StandardCharsets.UTF_8), state); // not a series key: never selected
            total++;

            List<List<String>> queries = new ArrayList<>(List.of(List.of("up"), List.of("u"), List.of("b"),
                    List.of("{__name__=~\"up.*\"}"), List.of("{__name__=~\"http_.*\", job=\"api\"}"),
                    List.of("up", "{__name__=~\"u.*\"}"), List.of("up", "node_memory"), List.of("{__name__=~\"m:.*\"}"),
                    List.of("{__name__=~\"nodes?_cpu.*\"}"), List.of("{__name__=~\"up|ab\"}"), List.of("{job=\"api\"}"),
                    List.of("missing"), List.of("{__name__=~\"zzz.*\"}"), List.of("up{path=\"/up{\"}"),
                    List.of("{job=\"api\"}"), List.of("up{job=\"web\"}"), List.of("{instance=\"h/1{x}\"}"),
                    List.of("{job=\"a\\\"b\"}"), List.of("{job=\"api\", instance=\"h/1{x}\"}"), List.of("up{job=\"\"}"),
                    List.of("{job!=\"api\", __name__=\"u\"}"), List.of("{ajob=\"api\"}", "b{job=\"web\"}"),
                    List.of("{job=~\"ap.\"}"), List.of("{job=~\"ap.|web\"}"), List.of("{instance=~\"h/1.*\"}"),
                    List.of("{job!~\"api\", __name__=~\"up|u\"}"), List.of("{__name__=~\"up|nothing\"}", "{path=~\".*up.*\"}")));
            Random random = new Random(7);
            for (int i = 0; i < 200; i++) {
                List<String> q = new ArrayList<>();
                for (int j = 0, n = 1 + random.nextInt(3); j < n; j++) {
                    String name = NAMES.get(random.nextInt(NAMES.size()));
                    q.add(random.nextBoolean() ? name
                            : "{__name__=~\"" + name.substring(0, 1 + random.nextInt(name.length())) + ".*\"}");
                }
                queries.add(q);
            }
            for (List<String> q : queries) {
                List<SeriesSelector> selectors = q.stream().map(SeriesSelector::parse).toList();
                Set<String> expected = new TreeSet<>();
                long inBounds = 0;
                try (KeyValueIterator<byte[], SeriesState> all = store.all()) {
                    while (all.hasNext()) {
                        String key = new String(all.next().key, StandardCharsets.UTF_8);
                        if (selected(key, selectors)) {
                            expected.add(key);
                        }
                        inBounds += key.contains("/") && withinBounds(key, selectors) ? 1 : 0;
                    }
                }
                SeriesScan scan = SeriesScan.of(selectors);
                List<String> found = new ArrayList<>();
                List<String> visited = new ArrayList<>();
                assertThat(scan.forEach(store, (key, value) -> {
                    String k = new String(key, StandardCharsets.UTF_8);
                    visited.add(k);
                    if (selected(k, selectors)) {
                        found.add(k);
                    }
                    return true;
                })).isTrue();
                assertThat(found).as("%s", q).doesNotHaveDuplicates();
                assertThat(new TreeSet<>(found)).as("%s", q).isEqualTo(expected);
                assertThat(visited).as("%s: every key handed over is within the bounds", q)
                        .allSatisfy(k -> assertThat(withinBounds(k, selectors)).isTrue());
                assertThat(visited).as("%s: a series key read from its bytes is handed over only when selected", q)
                        .allSatisfy(k -> assertThat(!new KeyLayout().read(k.getBytes(StandardCharsets.UTF_8))
                                || selected(k, selectors)).isTrue());
                if (selectors.stream().allMatch(s -> s.matchers().stream()
                        .allMatch(m -> m.op() == SeriesSelector.Op.EQUAL && !m.value().isEmpty()))) {
                    assertThat(visited).as("%s: with only = matchers of values, nothing is handed over that is not selected", q)
                            .containsExactlyInAnyOrderElementsOf(found);
                }
                boolean bounded = selectors.stream().allMatch(s -> s.nameBound() != null);
                if (!bounded) {
                    assertThat(scan.read()).as("%s: a selector with no name bound reads every key", q).isEqualTo(total);
                } else {
                    // the keys within the bounds, and per group its first key and a look-up per exact name
                    assertThat(scan.read()).as("%s", q).isLessThanOrEqualTo(inBounds + GROUPS.size() * (1L + q.size()) + 1);
                }
                if (inMemory) {
                    // as a processor reads the hash map: every key checked in the store, the admitted ones handed back
                    QueryResult<List<KeyValue<byte[], byte[]>>> result = store.query(new KeyFilterQuery(scan::admits),
                            PositionBound.unbounded(), new QueryConfig(false));
                    assertThat(result.isSuccess()).as("%s", result).isTrue();
                    List<String> handed = result.getResult().stream()
                            .map(kv -> new String(kv.key, StandardCharsets.UTF_8)).toList();
                    assertThat(handed).as("%s", q).containsExactlyInAnyOrderElementsOf(visited);
                    assertThat(result.getResult()).allSatisfy(kv -> assertThat(Codecs.SERIES_STATE.decode(kv.value))
                            .isEqualTo(state));
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void shouldStopWhenTheVisitorSaysSo(boolean inMemory) {
        try (TopologyTestDriver driver = driver(inMemory)) {
            KeyValueStore<byte[], SeriesState> store = driver.getKeyValueStore(ProcessorTopology.SERIES_STATE_STORE);
            SeriesState state = anyState(driver, store);
            for (String g : GROUPS) {
                store.put((g + "/up").getBytes(StandardCharsets.UTF_8), state);
            }
            List<String> visited = new ArrayList<>();
            boolean finished = SeriesScan.of(List.of(SeriesSelector.parse("up"))).forEach(store, (k, v) -> {
                visited.add(new String(k, StandardCharsets.UTF_8));
                return visited.size() < 3;
            });
            assertThat(finished).isFalse();
            assertThat(visited).hasSize(3);
        }
    }

    /** Whether the metric name of {@code key} is within some selector's name bound. */
    private static boolean withinBounds(String key, List<SeriesSelector> selectors) {
        String name = key.substring(key.indexOf('/') + 1).split("\\{", 2)[0];
        return selectors.stream().anyMatch(s -> s.nameBound() == null || s.nameBound().admits(name));
    }

    private static boolean selected(String key, List<SeriesSelector> selectors) {
        int slash = key.indexOf('/');
        if (slash < 0) {
            return false;
        }
        // a rule output's group is its id and a space before the tenant: the series key is what follows the space
        SeriesKey series = SeriesKey.parse(key.substring(key.lastIndexOf(' ', slash) + 1));
        return selectors.stream().anyMatch(s -> s.matches(series));
    }

    private static TopologyTestDriver driver(boolean inMemory) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "scan-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        return new TopologyTestDriver(ProcessorTopology.build("t.oplog", false, new SimpleMeterRegistry().counter("bad"),
                Duration.ofSeconds(10), null, inMemory), p);
    }

    /** A state the topology wrote, to store under made-up keys; its own key is removed. */
    private static SeriesState anyState(TopologyTestDriver driver, KeyValueStore<byte[], SeriesState> store) {
        byte[] key = "default/seed".getBytes(StandardCharsets.UTF_8);
        driver.createInputTopic("t.oplog", new ByteArraySerializer(), new ByteArraySerializer()).pipeInput(key,
                Codecs.SAMPLE.encode(Sample.newBuilder().setValue(1).setTimestampMs(1000).setMetricType(MetricType.GAUGE)
                        .setTenant("default").setKind(SampleKind.VALUE)
                        .setOrigin(Origin.newBuilder().setProtocol("p").setGateway("g").setReceivedMs(1000).build()).build()));
        SeriesState state = store.get(key);
        store.delete(key);
        return state;
    }
}
