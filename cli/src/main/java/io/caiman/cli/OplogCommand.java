package io.caiman.cli;

import io.caiman.cli.replay.Checkpoint;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.error.CaimanException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.LogDirDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.ReplicaInfo;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "oplog", mixinStandardHelpOptions = true, description = "Look at an oplog.",
        subcommands = {OplogCommand.Status.class})
final class OplogCommand implements Runnable {

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    @Command(name = "status", mixinStandardHelpOptions = true, sortOptions = false,
            description = {"Show an oplog per partition: earliest and latest offsets and acceptance times, bytes on "
                    + "disk, the retention in force (and how Alligator's size became it), and how far the processors "
                    + "and any replay checkpoints are behind.", ""})
    static final class Status implements Callable<Integer> {

        @Mixin
        OplogOptions oplogOptions;

        @Option(names = "--checkpoint", paramLabel = "FILE",
                description = "A replay checkpoint whose lag to show (repeatable).")
        List<Path> checkpoints = new ArrayList<>();

        PrintStream out = System.out;
        private Duration timeout;

        private <T> T get(org.apache.kafka.common.KafkaFuture<T> future) throws Exception {
            return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public Integer call() throws Exception {
            CaimanConfig cfg = oplogOptions.load();
            ClusterConfig oplog = oplogOptions.oplog(cfg);
            timeout = oplogOptions.timeout;
            Map<String, Object> props = KafkaClients.admin(cfg, oplog, "caiman-oplog-status");
            props.put("request.timeout.ms", (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE));
            props.put("default.api.timeout.ms", (int) Math.min(timeout.toMillis(), Integer.MAX_VALUE));
            try (Admin admin = Admin.create(props)) {
                print(admin, oplog);
                return 0;
            } catch (ExecutionException e) {
                if (e.getCause() instanceof UnknownTopicOrPartitionException) {
                    throw new CaimanException("topic " + oplog.oplogTopic() + " does not exist at " + oplog.connectString()
                            + " (a gateway or processor creates it on start)");
                }
                throw new CaimanException("Kafka at " + oplog.connectString() + ": " + e.getCause().getMessage(), e.getCause());
            } catch (TimeoutException e) {
                throw new CaimanException("cannot reach the oplog's Kafka cluster at " + oplog.connectString()
                        + " within " + timeout.toSeconds() + " s (are the servers right and up?)", e);
            }
        }

        private void print(Admin admin, ClusterConfig oplog) throws Exception {
            String topic = oplog.oplogTopic();
            TopicDescription description = get(admin.describeTopics(List.of(topic)).allTopicNames()).get(topic);
            List<TopicPartition> partitions = description.partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            Map<TopicPartition, ListOffsetsResultInfo> earliest = offsets(admin, partitions, OffsetSpec.earliest());
            Map<TopicPartition, ListOffsetsResultInfo> latest = offsets(admin, partitions, OffsetSpec.latest());
            // the first record at or after time 0 is the oldest record; with LogAppendTime the newest has the max
            Map<TopicPartition, ListOffsetsResultInfo> first = offsets(admin, partitions, OffsetSpec.forTimestamp(0));
            Map<TopicPartition, ListOffsetsResultInfo> last = offsets(admin, partitions, OffsetSpec.maxTimestamp());
            Map<TopicPartition, Long> bytes = bytes(admin, description);
            ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
            Config topicConfig = get(admin.describeConfigs(Set.of(resource)).all()).get(resource);
            Map<TopicPartition, OffsetAndMetadata> processors = get(admin
                    .listConsumerGroupOffsets(oplog.processorApplicationId()).partitionsToOffsetAndMetadata());
            List<Map<Integer, Long>> checkpointNext = new ArrayList<>();
            for (Path c : checkpoints) {
                Checkpoint checkpoint = Checkpoint.read(c);
                if (checkpoint == null) {
                    throw new CaimanException("checkpoint " + c + " does not exist");
                }
                if (!checkpoint.topic().equals(topic)) {
                    throw new CaimanException("checkpoint " + c + " is a replay of " + checkpoint.topic() + ", not " + topic);
                }
                Map<Integer, Long> next = new HashMap<>(checkpoint.next());
                checkpoint.ranges().forEach((p, r) -> next.put(p, Math.max(next.get(p), r[0])));
                checkpointNext.add(next);
            }

            out.printf(Locale.ROOT, "oplog %s at %s: %d partitions, replication factor %d%n", topic, oplog.connectString(),
                    partitions.size(), description.partitions().get(0).replicas().size());
            out.printf(Locale.ROOT, "retention in force: cleanup.policy=%s min.compaction.lag.ms=%s (%s) retention.ms=%s "
                    + "(%s) retention.bytes=%s per partition (%s) message.timestamp.type=%s min.insync.replicas=%s%n",
                    value(topicConfig, "cleanup.policy"), value(topicConfig, "min.compaction.lag.ms"),
                    duration(value(topicConfig, "min.compaction.lag.ms")), value(topicConfig, "retention.ms"),
                    duration(value(topicConfig, "retention.ms")), value(topicConfig, "retention.bytes"),
                    bytesText(value(topicConfig, "retention.bytes")), value(topicConfig, "message.timestamp.type"),
                    value(topicConfig, "min.insync.replicas"));
            out.println("  every sample is kept for min.compaction.lag.ms; then compaction keeps each series' newest "
                    + "sample until retention.ms; retention.bytes removes the oldest segments of a larger partition");
            if (oplog.retentionBytes() != null) {
                out.printf(Locale.ROOT, "  configured: retention_time %s, latest_retention_time %s, retention_bytes %d per "
                        + "partition%n", duration(Long.toString(oplog.retentionTime().toMillis())),
                        duration(Long.toString(oplog.latestRetentionTime().toMillis())), oplog.retentionBytes());
            } else {
                long perPartition = (oplog.size() + oplog.partitions() - 1) / oplog.partitions();
                out.printf(Locale.ROOT, "  configured: retention_time %s, latest_retention_time %s; size %d samples -> "
                        + "ceil(%d / %d partitions) = %d samples x record_bytes %d = %d bytes per partition%n",
                        duration(Long.toString(oplog.retentionTime().toMillis())),
                        duration(Long.toString(oplog.latestRetentionTime().toMillis())), oplog.size(),
                        oplog.size(), oplog.partitions(), perPartition, oplog.recordBytes(),
                        oplog.retentionBytesPerPartition());
            }
            List<String[]> rows = new ArrayList<>();
            List<String> header = new ArrayList<>(List.of("partition", "earliest", "latest", "first accepted",
                    "last accepted", "bytes", "processors lag"));
            checkpoints.forEach(c -> header.add(c.getFileName() + " lag"));
            rows.add(header.toArray(String[]::new));
            long totalBytes = 0;
            long totalProcessorLag = 0;
            boolean processorsCommitted = false;
            for (TopicPartition tp : partitions) {
                long end = latest.get(tp).offset();
                List<String> row = new ArrayList<>();
                row.add(Integer.toString(tp.partition()));
                row.add(Long.toString(earliest.get(tp).offset()));
                row.add(Long.toString(end));
                row.add(time(first.get(tp)));
                row.add(time(last.get(tp)));
                long b = bytes.getOrDefault(tp, -1L);
                totalBytes += Math.max(b, 0);
                row.add(b < 0 ? "?" : bytesText(Long.toString(b)));
                OffsetAndMetadata committed = processors.get(tp);
                if (committed == null) {
                    row.add("-");
                } else {
                    processorsCommitted = true;
                    long lag = Math.max(0, end - committed.offset());
                    totalProcessorLag += lag;
                    row.add(Long.toString(lag));
                }
                for (Map<Integer, Long> next : checkpointNext) {
                    Long n = next.get(tp.partition());
                    row.add(n == null ? "-" : Long.toString(Math.max(0, end - n)));
                }
                rows.add(row.toArray(String[]::new));
            }
            table(rows);
            out.printf(Locale.ROOT, "total: %s on disk; processors (group %s) %s%n", bytesText(Long.toString(totalBytes)),
                    oplog.processorApplicationId(), processorsCommitted ? totalProcessorLag + " records behind"
                            : "have committed no offsets (none has run, or the group was reset)");
            if (!checkpoints.isEmpty()) {
                out.println("replay checkpoint lag: records between the checkpoint and the oplog's latest offset; a "
                        + "replay with an earlier --to ends before that");
            }
        }

        private Map<TopicPartition, ListOffsetsResultInfo> offsets(Admin admin, List<TopicPartition> partitions,
                OffsetSpec spec) throws Exception {
            Map<TopicPartition, OffsetSpec> query = new HashMap<>();
            partitions.forEach(tp -> query.put(tp, spec));
            return get(admin.listOffsets(query, new org.apache.kafka.clients.admin.ListOffsetsOptions(
                    IsolationLevel.READ_COMMITTED)).all());
        }

        /** Each partition's size on disk: its largest replica (replicas catching up are smaller). */
        private Map<TopicPartition, Long> bytes(Admin admin, TopicDescription description) throws Exception {
            Set<Integer> brokers = new java.util.TreeSet<>();
            description.partitions().forEach(p -> p.replicas().forEach(n -> brokers.add(n.id())));
            Map<TopicPartition, Long> out = new HashMap<>();
            Map<Integer, Map<String, LogDirDescription>> dirs = get(admin.describeLogDirs(brokers).allDescriptions());
            dirs.values().forEach(byDir -> byDir.values().forEach(d -> {
                for (Map.Entry<TopicPartition, ReplicaInfo> e : d.replicaInfos().entrySet()) {
                    if (e.getKey().topic().equals(description.name())) {
                        out.merge(e.getKey(), e.getValue().size(), Math::max);
                    }
                }
            }));
            return out;
        }

        private static String value(Config c, String name) {
            return c.get(name) == null ? "?" : c.get(name).value();
        }

        private static String time(ListOffsetsResultInfo info) {
            return info == null || info.timestamp() < 0 ? "-" : Instant.ofEpochMilli(info.timestamp()).toString();
        }

        private static String duration(String ms) {
            try {
                long v = Long.parseLong(ms);
                if (v < 0) {
                    return "forever";
                }
                Duration d = Duration.ofMillis(v);
                return d.toDays() > 0 && d.toHours() % 24 == 0 ? d.toDays() + "d" : d.toString().substring(2).toLowerCase(Locale.ROOT);
            } catch (NumberFormatException e) {
                return "?";
            }
        }

        private static String bytesText(String n) {
            try {
                long v = Long.parseLong(n);
                return v < 0 ? "no limit" : io.caiman.cli.replay.Progress.bytes(v);
            } catch (NumberFormatException e) {
                return "?";
            }
        }

        private void table(List<String[]> rows) {
            int[] widths = new int[rows.get(0).length];
            for (String[] row : rows) {
                for (int i = 0; i < row.length; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (String[] row : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < row.length; i++) {
                    line.append(i == 0 ? "" : "  ").append(String.format("%-" + widths[i] + "s", row[i]));
                }
                out.println(line.toString().stripTrailing());
            }
        }
    }
}
