package io.caiman.processor;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.ConfigLoader;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The Kafka Streams properties a processor runs with: what Caiman pins, what it defaults, what a user may change. */
class ProcessorPropertiesTest {

    private static Map<String, Object> properties(String streams) {
        String yaml = String.join("\n", "clusters:", "  - name: metrics", "    type: oplog",
                "    servers: [127.0.0.1:9]", "    replica_factor: 3", "kafka:", "  streams: " + streams,
                "processor:", "  state_dir: /tmp/unused", "");
        return new ProcessorService(ConfigLoader.parse(yaml, "caiman.yaml")).properties();
    }

    @Test
    void shouldRunExactlyOnceWithLz4AndStandbysAndInternalTopicsByReplicaFactor() {
        Map<String, Object> p = properties("{num.stream.threads: '1'}");
        assertThat(p).containsEntry("processing.guarantee", "exactly_once_v2")
                .containsEntry("producer.compression.type", "lz4")
                .containsEntry("num.standby.replicas", 2)
                .containsEntry("replication.factor", 3)
                .containsEntry("topic.min.insync.replicas", 2)
                .containsEntry("application.id", "metrics-processor")
                .containsEntry("commit.interval.ms", 100L)
                .containsEntry("probing.rebalance.interval.ms", 60_000);
        assertThat(properties("{probing.rebalance.interval.ms: '300000'}"))
                .containsEntry("probing.rebalance.interval.ms", "300000");
    }

    @Test
    void shouldLetTheUserChooseTheCompression() {
        assertThat(properties("{producer.compression.type: zstd}")).containsEntry("producer.compression.type", "zstd");
    }
}
