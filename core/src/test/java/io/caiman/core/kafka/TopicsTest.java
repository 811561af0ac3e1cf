package io.caiman.core.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.error.CaimanException;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("integration")
class TopicsTest {

    static ClusterConfig cluster(String name, int partitions, String extra) {
        return cluster(name, partitions, 1, extra);
    }

    static ClusterConfig cluster(String name, int partitions, int replicaFactor, String extra) {
        CaimanConfig config = ConfigLoader.parse(String.join("\n",
                "clusters:",
                "  - name: " + name,
                "    type: oplog",
                "    servers: [" + SharedCluster.kafka().bootstrapServers() + "]",
                "    partitions: " + partitions,
                "    replica_factor: " + replicaFactor,
                extra, ""), "test.yaml");
        return config.requireCluster(name);
    }

    static Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", SharedCluster.kafka().bootstrapServers()));
    }

    @Test
    void shouldCreateTheOplogFromTheClusterConfig() throws Exception {
        String name = TestConfigs.uniqueName("topics");
        ClusterConfig cluster = cluster(name, 4, "    size: 4000\n    record_bytes: 50\n    retention_time: 2d");
        try (Admin admin = admin()) {
            assertThat(Topics.ensure(admin, TopicSpec.oplog(cluster))).isTrue();
            TopicDescription d = admin.describeTopics(Set.of(name + ".oplog")).allTopicNames().get().get(name + ".oplog");
            assertThat(d.partitions()).hasSize(4);
            assertThat(d.partitions().get(0).replicas()).hasSize(1);
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, name + ".oplog");
            Config c = admin.describeConfigs(Set.of(r)).all().get().get(r);
            assertThat(c.get("cleanup.policy").value()).isEqualTo("compact,delete");
            assertThat(c.get("min.insync.replicas").value()).isEqualTo("1");
            // every sample for retention_time (2d), each series' newest for latest_retention_time (7d) more
            assertThat(c.get("min.compaction.lag.ms").value()).isEqualTo(Long.toString(2 * 86_400_000L));
            assertThat(c.get("retention.ms").value()).isEqualTo(Long.toString(9 * 86_400_000L));
            assertThat(c.get("retention.bytes").value()).isEqualTo("50000"); // ceil(4000 / 4) x 50
            assertThat(c.get("message.timestamp.type").value()).isEqualTo("LogAppendTime");
            // a second start finds it as configured
            assertThat(Topics.ensure(admin, TopicSpec.oplog(cluster))).isFalse();
        }
    }

    /**
     * Before Kafka 4.5 a producer that sends to a partition its leader does not host yet can lose its first request to
     * an out-of-order refusal (KAFKA-15591): {@link Topics#ensure} returns only once every leader serves its partition.
     * Small batches, five in flight to each broker, at once after the creation, to a few new topics.
     */
    @Test
    void shouldCautionWhenRetentionComesFromASizeUnderASegment() {
        assertThat(TopicSpec.oplog(cluster("c", 12, "")).caution()).startsWith(
                "retention.bytes is 8400 a partition, translated from size 1000").contains("Set retention_bytes");
        assertThat(TopicSpec.oplog(cluster("c", 12, "    size: 13000000\n    record_bytes: 1KiB")).caution())
                .as("a size that holds a segment or more").isNull();
        assertThat(TopicSpec.oplog(cluster("c", 12, "    retention_bytes: 1MiB")).caution())
                .as("bytes stated: the operator chose them").isNull();
        assertThat(TopicSpec.aggregates(cluster("c", 12, "")).caution()).isNull();
    }

    @Test
    void shouldHandOverANewTopicThatAnIdempotentProducerCanWriteAtOnce() throws Exception {
        Map<String, Object> settings = Map.of("bootstrap.servers", SharedCluster.kafka().bootstrapServers(),
                "enable.idempotence", true, "acks", "all", "max.in.flight.requests.per.connection", 5, "linger.ms", 0,
                "batch.size", 512, "delivery.timeout.ms", 15_000, "request.timeout.ms", 10_000);
        try (Admin admin = admin()) {
            for (int round = 0; round < 5; round++) {
                ClusterConfig cluster = cluster(TestConfigs.uniqueName("fresh"), 12, "");
                Topics.ensure(admin, TopicSpec.oplog(cluster));
                java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
                long started = System.nanoTime();
                try (org.apache.kafka.clients.producer.KafkaProducer<byte[], byte[]> producer =
                        new org.apache.kafka.clients.producer.KafkaProducer<>(settings,
                                new org.apache.kafka.common.serialization.ByteArraySerializer(),
                                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
                    for (int i = 0; i < 12_000; i++) {
                        producer.send(new org.apache.kafka.clients.producer.ProducerRecord<>(cluster.oplogTopic(), i % 12,
                                ("k" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8), new byte[40]), (m, e) -> {
                                    if (e != null) {
                                        failed.compareAndSet(null, e);
                                    }
                                });
                    }
                    producer.flush();
                }
                assertThat(failed.get()).as("round %d", round).isNull();
                assertThat((System.nanoTime() - started) / 1e9).as("round %d: seconds to write", round).isLessThan(10);
            }
        }
    }

    @Test
    void shouldLetSeveralProcessesEnsureTheSameNewTopicAtOnce() throws Exception {
        // crawlers started together all create the crawl ledger: the losers of the race check the winner's topic
        ClusterConfig cluster = cluster(TestConfigs.uniqueName("topics"), 3, "");
        java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<Boolean>> created = new java.util.ArrayList<>();
            for (int i = 0; i < 4; i++) {
                created.add(pool.submit(() -> {
                    try (Admin admin = admin()) {
                        return Topics.ensure(admin, TopicSpec.oplog(cluster));
                    }
                }));
            }
            int creators = 0;
            for (java.util.concurrent.Future<Boolean> f : created) {
                creators += f.get(60, java.util.concurrent.TimeUnit.SECONDS) ? 1 : 0;
            }
            assertThat(creators).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void shouldRefuseAnOplogWithOtherPartitionsNamingTheDifferenceAndWhatToDo() {
        String name = TestConfigs.uniqueName("topics");
        try (Admin admin = admin()) {
            Topics.ensure(admin, TopicSpec.oplog(cluster(name, 3, "")));
            for (int partitions : new int[] {2, 6}) {
                assertThatThrownBy(() -> Topics.ensure(admin, TopicSpec.oplog(cluster(name, partitions, ""))))
                        .isInstanceOf(TopicMismatchException.class)
                        .hasMessageContaining("topic " + name + ".oplog exists but differs from the configuration")
                        .hasMessageContaining("partitions: the topic has 3, the configuration says " + partitions)
                        .hasMessageContaining("never reshards");
            }
        }
    }

    @Test
    void shouldRefuseAnOplogWhoseSettingsWereChanged() throws Exception {
        String name = TestConfigs.uniqueName("topics");
        ClusterConfig cluster = cluster(name, 2, "");
        try (Admin admin = admin()) {
            Topics.ensure(admin, TopicSpec.oplog(cluster));
            ConfigResource r = new ConfigResource(ConfigResource.Type.TOPIC, name + ".oplog");
            admin.incrementalAlterConfigs(Map.of(r, List.of(
                    new AlterConfigOp(new ConfigEntry("cleanup.policy", "delete"), AlterConfigOp.OpType.SET))))
                    .all().get(30, TimeUnit.SECONDS);
            // the broker applies an altered config asynchronously; wait until it is visible
            org.awaitility.Awaitility.await().atMost(io.caiman.testing.Timing.seconds(30)).until(() ->
                    admin.describeConfigs(Set.of(r)).all().get().get(r).get("cleanup.policy").value().equals("delete"));
            assertThatThrownBy(() -> Topics.ensure(admin, TopicSpec.oplog(cluster)))
                    .isInstanceOf(TopicMismatchException.class)
                    .satisfies(e -> assertThat(((TopicMismatchException) e).differences())
                            .containsExactly("cleanup.policy: the topic has delete, the configuration says compact,delete"));
        }
    }

    @Test
    void shouldExplainAReplicationFactorTheClusterCannotHold() {
        String name = TestConfigs.uniqueName("topics");
        ClusterConfig cluster = cluster(name, 1, 3, "");
        try (Admin admin = admin()) {
            assertThatThrownBy(() -> Topics.ensure(admin, TopicSpec.oplog(cluster)))
                    .isInstanceOf(CaimanException.class)
                    .hasMessageContaining("cannot create or check topic " + name + ".oplog")
                    .hasMessageContaining("replication factor");
        }
    }
}
