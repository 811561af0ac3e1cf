package io.caiman.core.kafka;

import io.caiman.core.config.ClusterConfig;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a Caiman topic must look like: name, partitions, replication factor, and the topic configs
 * Caiman sets. Built from the cluster config, never from scattered strings.
 *
 * @param caution what an operator should know about these settings, logged when the topic is checked at start-up;
 *     {@code null} when nothing
 */
public record TopicSpec(String name, int partitions, short replicationFactor, Map<String, String> configs,
        String caution) {

    /** Kafka's default {@code segment.bytes}, which Caiman leaves as it is: retention deletes whole closed segments. */
    static final long SEGMENT_BYTES = 1L << 30;

    /**
     * The oplog: {@code <name>.oplog}, the configured partitions and replication, {@code min.insync.replicas}
     * = max(1, rf - 1), compacted and deleted ({@code compact,delete}): every sample is kept for {@code
     * retention_time} ({@code min.compaction.lag.ms}: compaction touches no younger record), then compaction
     * keeps each series' newest sample until {@code retention.ms} = retention_time + latest_retention_time
     * removes it; {@code retention.bytes} from {@code size} / {@code retention_bytes} bounds the whole; and
     * record timestamps set by the broker when it appends ({@code LogAppendTime}).
     */
    public static TopicSpec oplog(ClusterConfig cluster) {
        Map<String, String> configs = new TreeMap<>();
        configs.put("cleanup.policy", "compact,delete");
        configs.put("min.insync.replicas", Integer.toString(cluster.minInsyncReplicas()));
        // every sample for retention_time, then each series' newest for latest_retention_time more
        configs.put("min.compaction.lag.ms", Long.toString(cluster.retentionTime().toMillis()));
        configs.put("retention.ms", Long.toString(cluster.retentionTime().plus(cluster.latestRetentionTime()).toMillis()));
        configs.put("retention.bytes", Long.toString(cluster.retentionBytesPerPartition()));
        configs.put("compression.type", "producer");
        // a record's timestamp is when the oplog accepted it, by the broker's clock: replay ranges by time
        // (offsetsForTimes) and retention then follow one monotonic clock per partition, whatever the
        // senders' and gateways' clocks say; the sample's own time is in the record's value
        configs.put("message.timestamp.type", "LogAppendTime");
        return new TopicSpec(cluster.oplogTopic(), cluster.partitions(), (short) cluster.replicaFactor(), Map.copyOf(configs),
                retentionCaution(cluster));
    }

    /**
     * A caution when {@code retention.bytes} comes from Alligator's {@code size} and is under a segment: a partition
     * then keeps little beyond its open segment, and the segment that closes is deleted, read by the processors or
     * not.
     */
    static String retentionCaution(ClusterConfig cluster) {
        long bytes = cluster.retentionBytesPerPartition();
        if (cluster.retentionBytes() != null || bytes >= SEGMENT_BYTES) {
            return null;
        }
        return "retention.bytes is " + bytes + " a partition, translated from size " + cluster.size() + " (a record "
                + "count, as in Alligator): when a partition's open segment closes (at 1 GiB), it is deleted, including "
                + "samples a stopped or lagging processor has not read yet. Set retention_bytes (and retention_time) to "
                + "what the oplog must hold; docs/config.md, \"From size to retention\"";
    }

    /**
     * The aggregates: {@code <name>.aggregates}, one record per output series and closed window of the processors'
     * stream aggregation rules; partitioned and replicated like the oplog, kept for {@code retention_time} ({@code
     * delete}), record timestamps the windows' starts.
     */
    public static TopicSpec aggregates(ClusterConfig cluster) {
        Map<String, String> configs = new TreeMap<>();
        configs.put("cleanup.policy", "delete");
        configs.put("min.insync.replicas", Integer.toString(cluster.minInsyncReplicas()));
        configs.put("retention.ms", Long.toString(cluster.retentionTime().toMillis()));
        return new TopicSpec(cluster.aggregatesTopic(), cluster.partitions(), (short) cluster.replicaFactor(),
                Map.copyOf(configs), null);
    }

    /**
     * A sharedlock cluster's crawl ledger, on its oplog cluster: {@code <name>.crawl-ledger}, one partition per lease
     * group (a group's entries are written only by its lease holder's transactional producer, so once that
     * producer has fenced its predecessor no transaction is open on the partition and a read to its end sees
     * every committed slot), replicated like the oplog, compacted (one entry per target: its last slot).
     */
    public static TopicSpec crawlLedger(ClusterConfig sharedlock, ClusterConfig oplog, int leaseGroups) {
        Map<String, String> configs = new TreeMap<>();
        configs.put("cleanup.policy", "compact");
        configs.put("min.insync.replicas", Integer.toString(oplog.minInsyncReplicas()));
        return new TopicSpec(sharedlock.crawlLedgerTopic(), leaseGroups, (short) oplog.replicaFactor(), Map.copyOf(configs),
                null);
    }
}
