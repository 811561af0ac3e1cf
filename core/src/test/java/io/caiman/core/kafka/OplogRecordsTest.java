package io.caiman.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.shard.ShardingFunction;
import io.caiman.core.wire.ParsedSample;
import io.caiman.schemas.oplog.MetricType;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Each record's key and partition are the series key's bytes and the sharding function's choice for it. */
class OplogRecordsTest {

    static CaimanConfig config(String shardingKey) {
        return ConfigLoader.parse(String.join("\n",
                "clusters:",
                "  - name: c",
                "    type: oplog",
                "    servers: [127.0.0.1:9092]",
                "    partitions: 7",
                "    replica_factor: 1",
                "    sharding_key: " + shardingKey,
                "entrypoints:",
                "  - protocol: http",
                "    listen: 127.0.0.1:9091",
                "    cluster: c",
                ""), "caiman.yaml");
    }

    @Property(tries = 300)
    void shouldKeyAndPlaceEverySampleAsTheSeriesKeyAndShardingFunctionDo(
            @ForAll("samples") List<ParsedSample> samples,
            @ForAll("shardingKeys") String shardingKey) {
        CaimanConfig config = config(shardingKey);
        OplogRecords records = new OplogRecords(config.requireCluster("c"), config.replicaLabels());
        ShardingFunction sharding = new ShardingFunction(config.requireCluster("c").shardingKey(), 7);
        List<ProducerRecord<byte[], byte[]>> out = records.records(samples, "team-1", 1_000L, "test", "gw");
        assertThat(out).hasSize(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            ParsedSample s = samples.get(i);
            SeriesKey key = SeriesKey.of("team-1", s.name(), s.labels(), config.replicaLabels());
            assertThat(new String(out.get(i).key(), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(key.toString());
            assertThat(out.get(i).partition()).as(key.toString()).isEqualTo(sharding.partition(key));
        }
    }

    @org.junit.jupiter.api.Test
    void shouldRecordTheFirstReplicaLabelTheSeriesCarriesAndKeepEveryOneOutOfTheKey() {
        CaimanConfig config = ConfigLoader.parse(String.join("\n",
                "clusters:",
                "  - {name: c, type: oplog, servers: [127.0.0.1:9092], partitions: 7, replica_factor: 1}",
                "series:",
                "  replica_labels: [__replica__, prometheus_replica]",
                "entrypoints:",
                "  - {protocol: http, listen: 127.0.0.1:9091, cluster: c}",
                ""), "caiman.yaml");
        OplogRecords records = new OplogRecords(config.requireCluster("c"), config.replicaLabels());
        List<ParsedSample> samples = List.of(
                new ParsedSample("up", Labels.of("job", "a", "prometheus_replica", "b"), 1, 5L, MetricType.GAUGE, 1),
                new ParsedSample("up", Labels.of("job", "a", "__replica__", "r1", "prometheus_replica", "b"), 2, 5L,
                        MetricType.GAUGE, 2),
                new ParsedSample("up", Labels.of("job", "a"), 3, 5L, MetricType.GAUGE, 3));
        List<ProducerRecord<byte[], byte[]>> out = records.records(samples, "t", 1_000L, "test", "gw");
        assertThat(out).extracting(r -> new String(r.key(), java.nio.charset.StandardCharsets.UTF_8))
                .containsOnly("t/up{job=\"a\"}");
        assertThat(out).extracting(r -> io.caiman.schemas.codec.Codecs.SAMPLE.decode(r.value()).getReplica())
                .containsExactly("b", "r1", "");
        assertThat(out).extracting(ProducerRecord::partition).containsOnly(out.get(2).partition());
    }

    @Provide
    Arbitrary<String> shardingKeys() {
        return Arbitraries.of("[__name__]", "[job]", "[__name__, instance]", "[instance, job]");
    }

    /** Few names, so names repeat next to each other and apart; values with escapes and non-ASCII; HA replicas. */
    @Provide
    Arbitrary<List<ParsedSample>> samples() {
        Arbitrary<String> names = Arbitraries.of("up", "node_cpu_seconds_total", "m:x");
        Arbitrary<String> values = Arbitraries.of("", "a", "node", "é", "x\"y", "10.0.0.1:9100");
        return Combinators.combine(names, values, values, values, Arbitraries.of("", "r1", "r2"))
                .as((name, job, instance, zone, replica) -> {
                    List<String> pairs = new ArrayList<>(List.of("job", job, "instance", instance, "zone", zone));
                    if (!replica.isEmpty()) {
                        pairs.addAll(List.of("__replica__", replica));
                    }
                    return new ParsedSample(name, Labels.of(pairs.toArray(new String[0])), 1, null, MetricType.GAUGE, 1);
                }).list().ofMinSize(1).ofMaxSize(30);
    }
}
