package io.caiman.processor.topology;

import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.state.SeriesState;
import io.micrometer.core.instrument.Counter;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.Stores;

/**
 * The processor topology, built without Kafka so {@code TopologyTestDriver} can run it:
 *
 * <pre>
 * oplog-source (key: series key, value: Avro sample bytes)
 *   → oplog-decode   (unreadable records: fail, or log + count + skip)
 *   → series-state-aggregate  (per series: value by the samples' kinds, count; RocksDB store "series-state")
 * </pre>
 *
 * The oplog key is already the series key, so grouping by it needs no repartition topic: state is
 * co-partitioned with the oplog. Every processor, store and internal topic is named here, because renaming
 * a store loses its state.
 */
public final class ProcessorTopology {

    public static final String SOURCE = "oplog-source";
    public static final String DECODE = "oplog-decode";
    public static final String GROUPED = "series";
    public static final String AGGREGATE = "series-state-aggregate";
    /** The per-series state store; its changelog is {@code <application.id>-series-state-changelog}. */
    public static final String SERIES_STATE_STORE = "series-state";

    private ProcessorTopology() {}

    /**
     * @param oplogTopic the oplog to read
     * @param skipBadRecords whether unreadable records are skipped (else they fail the processor)
     * @param badRecords counts skipped records
     * @param setWindow the window StatsD sets count distinct members in
     */
    public static Topology build(String oplogTopic, boolean skipBadRecords, Counter badRecords, Duration setWindow) {
        SeriesStates states = new SeriesStates(setWindow);
        AvroSerde<Sample> sampleSerde = new AvroSerde<>(Codecs.SAMPLE);
        AvroSerde<SeriesState> stateSerde = new AvroSerde<>(Codecs.SERIES_STATE);
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(oplogTopic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(SOURCE))
                .processValues(() -> new DecodeSample(skipBadRecords, badRecords), Named.as(DECODE))
                .groupByKey(Grouped.with(GROUPED, Serdes.ByteArray(), sampleSerde))
                .aggregate(SeriesStates::empty, (key, sample, state) -> states.add(state, sample), Named.as(AGGREGATE),
                        Materialized.<byte[], SeriesState>as(Stores.persistentKeyValueStore(SERIES_STATE_STORE))
                                .withKeySerde(Serdes.ByteArray())
                                .withValueSerde(stateSerde));
        return builder.build();
    }
}
