package io.caiman.processor.topology;

import io.caiman.processor.rules.CompiledRule;
import io.caiman.processor.rules.Marks;
import io.caiman.processor.rules.RuleMetrics;
import io.caiman.processor.rules.SeriesStage;
import io.caiman.processor.rules.WindowStage;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor topology, built without Kafka so {@code TopologyTestDriver} can run it:
 *
 * <pre>
 * oplog-source (key: series key, value: Avro sample bytes)
 *   → oplog-decode   (unreadable records: fail, or log + count + skip)
 *   → series-stage   (per series, one record of state in the store "series-state" (RocksDB, or the heap with
 *                     processor.state_store: memory), not cached: the value by
 *                     the samples' kinds, the count, and with stream aggregation rules each matching rule's state and
 *                     the elected HA replica; parts of windows added up per rule, group and window in the cached
 *                     store "rule-partials", sent on every processor.rule_flush_interval; see {@link SeriesStage})
 *     → rule-groups (with rules: repartition by rule and output group, topic {@code <application.id>-rule-groups-repartition};
 *                    each task's marks, see {@link Marks}, to every partition)
 *     → rule-window-stage  (per group and window; stores "rule-windows", "rule-window-series", "rule-totals",
 *                           "aggregate-latest", "rule-window-marks"; see {@link WindowStage})
 *     → aggregates-sink  ({@code <cluster>.aggregates}, Avro {@code Aggregate})
 * </pre>
 *
 * The oplog key is already the series key, so grouping by it needs no repartition topic: per-series state is
 * co-partitioned with the oplog; only grouping across series (the rules' output groups) is repartitioned. Every processor, store and internal topic is named here, because renaming
 * a store loses its state.
 */
public final class ProcessorTopology {

    public static final String SOURCE = "oplog-source";
    public static final String DECODE = "oplog-decode";
    public static final String SERIES_STAGE = "series-stage";
    /** The per-series state store; its changelog is {@code <application.id>-series-state-changelog}. */
    public static final String SERIES_STATE_STORE = SeriesStage.STATE_STORE;
    /** The repartition by output group: topic {@code <application.id>-rule-groups-repartition}. */
    public static final String RULE_GROUPS = "rule-groups";
    public static final String RULE_WINDOW_STAGE = "rule-window-stage";
    public static final String AGGREGATES_SINK = "aggregates-sink";

    private ProcessorTopology() {}

    /**
     * The running application's store {@code name} (its local tasks' stores together), for reading.
     *
     * @throws org.apache.kafka.streams.errors.InvalidStateStoreException while it cannot be read (a rebalance), or when
     *     the topology has no such store (no rules)
     */
    public static <V> org.apache.kafka.streams.state.ReadOnlyKeyValueStore<byte[], V> queryable(
            org.apache.kafka.streams.KafkaStreams streams, String name) {
        return streams.store(ProcessorTopology.<V>queryParameters(name));
    }

    /**
     * The store {@code name} of one partition's active task in this process, on its own: its ranges are in key order,
     * where the store of every partition at once reads one partition's after another's.
     *
     * @throws org.apache.kafka.streams.errors.InvalidStateStoreException while it cannot be read here
     */
    public static <V> org.apache.kafka.streams.state.ReadOnlyKeyValueStore<byte[], V> queryable(
            org.apache.kafka.streams.KafkaStreams streams, String name, int partition) {
        return streams.store(ProcessorTopology.<V>queryParameters(name).withPartition(partition));
    }

    private static <V> org.apache.kafka.streams.StoreQueryParameters<org.apache.kafka.streams.state
            .ReadOnlyKeyValueStore<byte[], V>> queryParameters(String name) {
        return org.apache.kafka.streams.StoreQueryParameters.fromNameAndType(name,
                org.apache.kafka.streams.state.QueryableStoreTypes.keyValueStore());
    }

    /**
     * The stream aggregation half of the topology.
     *
     * @param rules the rules of the cluster; none builds no rule stages
     * @param aggregatesTopic where closed windows go
     * @param replicaTimeout how long an HA replica may be silent before another takes over its series
     * @param maxFuture how far ahead of the oplog's append time a sample may be and still be aggregated
     * @param idleClose how long a quiet partition waits before its due windows close by the wall clock
     * @param flushInterval how often the per-series stage sends its parts of windows on to the group stage
     * @param upstreams the oplog's partitions: the per-series tasks whose marks the group stage waits for
     * @param caughtUp whether this processor has read an oplog partition to its end (see {@link SeriesStage})
     */
    public record Aggregation(List<CompiledRule> rules, String aggregatesTopic, Duration replicaTimeout,
            Duration maxFuture, Duration idleClose, Duration flushInterval, RuleMetrics metrics, int upstreams,
            SeriesStage.InputEnd caughtUp) {}

    /**
     * @param oplogTopic the oplog to read
     * @param skipBadRecords whether unreadable records are skipped (else they fail the processor)
     * @param badRecords counts skipped records
     * @param setWindow the window StatsD sets count distinct members in
     */
    public static Topology build(String oplogTopic, boolean skipBadRecords, Counter badRecords, Duration setWindow) {
        return build(oplogTopic, skipBadRecords, badRecords, setWindow, null);
    }

    /** The topology with stream aggregation ({@code aggregation} may be {@code null}: none), state in RocksDB. */
    public static Topology build(String oplogTopic, boolean skipBadRecords, Counter badRecords, Duration setWindow,
            Aggregation aggregation) {
        return build(oplogTopic, skipBadRecords, badRecords, setWindow, aggregation, false);
    }

    /**
     * The topology with stream aggregation ({@code aggregation} may be {@code null}: none).
     *
     * @param inMemory whether every store is held in the heap ({@code processor.state_store: memory}) instead of
     *     RocksDB; both are changelogged the same way
     */
    public static Topology build(String oplogTopic, boolean skipBadRecords, Counter badRecords, Duration setWindow,
            Aggregation aggregation, boolean inMemory) {
        SeriesStates states = new SeriesStates(setWindow);
        StreamsBuilder builder = new StreamsBuilder();
        Stored stored = new Stored(builder, inMemory);
        KStream<byte[], Sample> decoded = builder.stream(oplogTopic,
                        Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(SOURCE))
                .processValues(() -> new DecodeSample(skipBadRecords, badRecords), Named.as(DECODE));
        // not cached: a series brings one sample per scrape interval, far more than a commit interval apart, so the
        // cache merges no updates; it only adds a copy of each and a flush at every commit (bench/RESULTS.md: 0.18 ->
        // 0.21 of the consumer)
        stored.add(SERIES_STATE_STORE, new AvroSerde<>(Codecs.SERIES_STATE));
        Aggregation a = aggregation;
        if (a == null) {
            decoded.process(() -> new SeriesStage(states), Named.as(SERIES_STAGE), SERIES_STATE_STORE);
            return builder.build();
        }
        // the same topology with no rule as with many: processors of one group must run one topology, and a rolling
        // restart that adds the first rule (or removes the last) runs old and new side by side for a while; a
        // processor whose tasks need stores the group's leader did not make topics for makes no progress and stops
        stored.add(SeriesStage.LEGACY_RULE_STORE, new AvroSerde<>(Codecs.RULE_SERIES_STATE));
        stored.add(SeriesStage.LEGACY_REPLICA_STORE, new AvroSerde<>(Codecs.REPLICA_STATE));
        // cached: a part takes every sample of its group and window, and the record cache writes it to RocksDB and
        // the changelog once per commit at most (most parts are sent on and deleted before a commit writes them)
        builder.addStateStore(stored.builder(SeriesStage.PARTIAL_STORE, new AvroSerde<>(Codecs.CONTRIBUTION))
                .withCachingEnabled());
        stored.add(WindowStage.WINDOW_STORE, new AvroSerde<>(Codecs.WINDOW_STATE));
        stored.add(WindowStage.WINDOW_SERIES_STORE, new AvroSerde<>(Codecs.WINDOW_SERIES));
        stored.add(WindowStage.TOTAL_STORE, new AvroSerde<>(Codecs.GROUP_TOTAL));
        stored.add(WindowStage.LATEST_STORE, new AvroSerde<>(Codecs.AGGREGATE));
        stored.add(WindowStage.MARK_STORE, Serdes.Long());
        decoded.process(() -> new SeriesStage(states, a.rules(), a.replicaTimeout(), a.maxFuture(), a.flushInterval(),
                                a.metrics(), a.caughtUp()), Named.as(SERIES_STAGE), SERIES_STATE_STORE, SeriesStage.LEGACY_RULE_STORE,
                        SeriesStage.LEGACY_REPLICA_STORE, SeriesStage.PARTIAL_STORE)
                .repartition(Repartitioned.with(Serdes.ByteArray(), new AvroSerde<>(Codecs.CONTRIBUTION)).withName(RULE_GROUPS)
                        .withStreamPartitioner(Marks.partitioner()))
                .process(() -> new WindowStage(a.rules(), a.idleClose(), a.metrics(), a.upstreams()),
                        Named.as(RULE_WINDOW_STAGE),
                        WindowStage.WINDOW_STORE, WindowStage.WINDOW_SERIES_STORE, WindowStage.TOTAL_STORE,
                        WindowStage.LATEST_STORE, WindowStage.MARK_STORE)
                .to(a.aggregatesTopic(), Produced.with(Serdes.ByteArray(), new AvroSerde<>(Codecs.AGGREGATE))
                        .withName(AGGREGATES_SINK));
        return builder.build();
    }

    /** The topology's stores, each keyed by bytes and changelogged, in RocksDB or in the heap. */
    private record Stored(StreamsBuilder builder, boolean inMemory) {

        <V> StoreBuilder<KeyValueStore<byte[], V>> builder(String name, Serde<V> values) {
            return Stores.keyValueStoreBuilder(supplier(name), Serdes.ByteArray(), values);
        }

        /**
         * RocksDB; or in the heap, the series' state in a hash map, read and written by key once a sample, and the
         * other stores in Streams' sorted map, which the window stage's range scans need.
         */
        private KeyValueBytesStoreSupplier supplier(String name) {
            if (!inMemory) {
                return Stores.persistentKeyValueStore(name);
            }
            return name.equals(SERIES_STATE_STORE) ? HashKeyValueStore.supplier(name) : Stores.inMemoryKeyValueStore(name);
        }

        /** A store, not cached. */
        <V> void add(String name, Serde<V> values) {
            builder.addStateStore(builder(name, values));
        }
    }
}
