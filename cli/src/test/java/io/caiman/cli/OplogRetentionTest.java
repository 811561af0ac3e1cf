package io.caiman.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.cli.CommandLineTest.Run;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.TopicSpec;
import io.caiman.core.kafka.Topics;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Origin;
import io.caiman.schemas.oplog.Sample;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.Timing;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AlterConfigOp;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the oplog keeps, against a real broker's log cleaner and retention: every sample while it is younger than
 * retention_time, then only each series' newest, then nothing once latest_retention_time has passed too. Segments roll every 300 ms here so the cleaner has closed
 * segments to work on.
 */
class OplogRetentionTest {

    @Test
    void shouldKeepEverySampleWithinRetentionTimeAndEachSeriesNewestBeyondIt(@TempDir Path dir) throws Exception {
        Path young = oplog(dir, "1h");   // every sample is younger than retention_time: compaction may not touch them
        Path old = oplog(dir, "1s");     // samples become older than retention_time a second after they are written
        write(young);
        write(old);
        Thread.sleep(1500);
        // a record in a new segment closes the old one, which the cleaner may then compact
        roll(young);
        roll(old);
        Awaitility.await().atMost(Timing.seconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(replay(old)).isEqualTo("a 3 3000\nb 2 2000\nroll 1 9000\n"));
        assertThat(replay(young)).isEqualTo("a 1 1000\na 2 2000\nb 1 1000\na 3 3000\nb 2 2000\nroll 1 9000\n");
    }

    @Test
    void shouldDeleteEvenEachSeriesNewestOnceLatestRetentionTimeHasPassedToo(@TempDir Path dir) throws Exception {
        // retention.ms = 1 s + 1 s: two seconds after they were accepted, the segment holding a and b is deleted
        Path gone = oplog(dir, "1s", "1s");
        write(gone);
        Thread.sleep(1500);
        roll(gone); // closes the segment that holds a and b; the active segment is never deleted
        Awaitility.await().atMost(Timing.seconds(60)).pollInterval(Duration.ofMillis(500)).untilAsserted(() ->
                assertThat(replay(gone)).isEqualTo("roll 1 9000\n"));
    }

    static Path oplog(Path dir, String retentionTime) throws Exception {
        return oplog(dir, retentionTime, "1h");
    }

    static Path oplog(Path dir, String retentionTime, String latestRetentionTime) throws Exception {
        String name = TestConfigs.uniqueName("retention");
        String yaml = TestConfigs.oplog(name, 1, "unused").replace("    replica_factor: 1\n",
                "    replica_factor: 1\n    retention_time: " + retentionTime + "\n    latest_retention_time: "
                        + latestRetentionTime + "\n");
        Path file = dir.resolve(name + ".yaml");
        Files.writeString(file, yaml);
        CaimanConfig config = ConfigLoader.parse(yaml, "t.yaml");
        ClusterConfig cluster = config.requireCluster(name);
        try (Admin admin = KafkaClients.newAdmin(config, cluster, "test")) {
            Topics.ensure(admin, TopicSpec.oplog(cluster));
            ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, cluster.oplogTopic());
            admin.incrementalAlterConfigs(Map.of(topic, List.of(
                    new AlterConfigOp(new ConfigEntry("segment.ms", "300"), AlterConfigOp.OpType.SET),
                    new AlterConfigOp(new ConfigEntry("min.cleanable.dirty.ratio", "0.01"), AlterConfigOp.OpType.SET))))
                    .all().get();
        }
        return file;
    }

    static void write(Path file) throws Exception {
        send(file, "a", 1, 1000);
        send(file, "a", 2, 2000);
        send(file, "b", 1, 1000);
        send(file, "a", 3, 3000);
        send(file, "b", 2, 2000);
    }

    static void roll(Path file) throws Exception {
        send(file, "roll", 1, 9000);
    }

    static void send(Path file, String series, double value, long timestampMs) throws Exception {
        CaimanConfig config = ConfigLoader.load(file, Map.of(), List.of());
        ClusterConfig cluster = config.clusters().get(0);
        Origin origin = Origin.newBuilder().setProtocol("test").setGateway("test").setReceivedMs(timestampMs).build();
        byte[] sample = Codecs.SAMPLE.encode(Sample.newBuilder().setValue(value).setTimestampMs(timestampMs)
                .setTenant("default").setOrigin(origin).build());
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.newProducer(config, cluster, "test")) {
            producer.send(new ProducerRecord<>(cluster.oplogTopic(), 0,
                    ("default/" + series).getBytes(StandardCharsets.UTF_8), sample)).get();
        }
    }

    /** Every sample the oplog holds, in oplog order. */
    static String replay(Path file) {
        Run r = CommandLineTest.run("replay", "-c", file.toString(), "--progress", "none");
        assertThat(r.code()).as(r.err()).isZero();
        return r.out();
    }
}
