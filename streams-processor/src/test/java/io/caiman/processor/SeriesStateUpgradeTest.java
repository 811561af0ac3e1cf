package io.caiman.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.gateway.GatewayService;
import io.caiman.processor.topology.AvroSerde;
import io.caiman.processor.topology.ProcessorTopology;
import io.caiman.processor.topology.SeriesStates;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;
import io.caiman.schemas.state.SeriesState;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import java.nio.file.Path;
import java.time.Duration;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Processors before {@code SeriesStage} kept the per-series state with the Streams DSL's aggregate (a timestamped
 * store over a plain persistent one). State written that way is read by the current processor: from the local
 * RocksDB files it left, and restored from the changelog into an empty state directory. The counts go on exactly.
 */
@Tag("integration")
class SeriesStateUpgradeTest {

    @Test
    void shouldGoOnFromSeriesStateWrittenByThePreviousLayoutLocallyAndFromTheChangelog(@TempDir Path state,
            @TempDir Path freshState) throws Exception {
        String name = TestConfigs.uniqueName("upgrade");
        CaimanConfig config = ConfigLoader.parse(TestConfigs.oplog(name, 3, state.toString()), "test.yaml");
        int series = 12;
        try (GatewayService gateway = new GatewayService(config)) {
            gateway.start();
            String gatewayUrl = "http://127.0.0.1:" + gateway.ports().get(0);
            ProcessorIntegrationTest.send(gatewayUrl, series, 3, 0);
            KafkaStreams previous = previousLayout(config, name);
            try {
                previous.start();
                Awaitility.await().atMost(Timing.seconds(60)).ignoreExceptions().untilAsserted(() -> {
                    ReadOnlyKeyValueStore<byte[], SeriesState> store = previous.store(StoreQueryParameters.fromNameAndType(
                            ProcessorTopology.SERIES_STATE_STORE, QueryableStoreTypes.keyValueStore()));
                    for (int i = 0; i < series; i++) {
                        byte[] key = SeriesKey.of("default", "exact_total", Labels.of("i", Integer.toString(i))).bytes();
                        assertThat(store.get(key).getSampleCount()).isEqualTo(3);
                    }
                });
            } finally { // leaving the group, as a processor stopped with SIGTERM does
                previous.close(org.apache.kafka.streams.CloseOptions.timeout(Duration.ofSeconds(30))
                        .withGroupMembershipOperation(org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
            }
            ProcessorIntegrationTest.send(gatewayUrl, series, 2, 3);
            try (ProcessorService processor = new ProcessorService(config)) { // the same state directory
                processor.start();
                ProcessorIntegrationTest.awaitCounts(processor, series, 5);
            }
            ProcessorIntegrationTest.send(gatewayUrl, series, 1, 5);
            CaimanConfig restarted = ConfigLoader.parse(TestConfigs.oplog(name, 3, freshState.toString()), "test.yaml");
            try (ProcessorService processor = new ProcessorService(restarted)) { // restored from the changelog
                processor.start();
                ProcessorIntegrationTest.awaitCounts(processor, series, 6);
            }
        }
    }

    /** The per-series part of the topology as it was built before: the DSL aggregate, store "series-state". */
    private static KafkaStreams previousLayout(CaimanConfig config, String name) {
        SeriesStates states = new SeriesStates(Duration.ofSeconds(10));
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(name + ".oplog", Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName("oplog-source"))
                .mapValues(Codecs.SAMPLE::decode, Named.as("oplog-decode"))
                .groupByKey(Grouped.with("series", Serdes.ByteArray(), new AvroSerde<Sample>(Codecs.SAMPLE)))
                .aggregate(SeriesStates::empty, (key, sample, s) -> {
                    states.add(s, sample);
                    return s;
                }, Named.as("series-state-aggregate"), Materialized.<byte[], SeriesState>as(
                                Stores.persistentKeyValueStore(ProcessorTopology.SERIES_STATE_STORE))
                        .withKeySerde(Serdes.ByteArray()).withValueSerde(new AvroSerde<>(Codecs.SERIES_STATE))
                        .withCachingDisabled());
        return new KafkaStreams(builder.build(), new StreamsConfig(new ProcessorService(config).properties()));
    }
}
