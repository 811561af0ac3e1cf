package io.caiman.core.config;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One cluster as configured (see {@link CaimanConfigDef} for every field's meaning).
 *
 * @param retentionTime how long every sample is kept ({@code min.compaction.lag.ms})
 * @param latestRetentionTime how much longer each series' newest sample is kept
 * @param retentionBytes {@code retention_bytes} if given, else {@code null}
 * @param oplog for a sharedlock cluster, the oplog cluster it writes to (resolved), else {@code null}
 */
public record ClusterConfig(
        String name,
        Type type,
        List<HostPort> servers,
        long size,
        int partitions,
        List<String> shardingKey,
        int replicaFactor,
        Duration retentionTime,
        Duration latestRetentionTime,
        Long retentionBytes,
        long recordBytes,
        String oplog) {

    /** The two kinds of cluster, as Alligator names them. */
    public enum Type {
        OPLOG,
        SHAREDLOCK
    }

    /** {@code servers} as a Kafka {@code bootstrap.servers} or ZooKeeper connect string. */
    public String connectString() {
        return servers.stream().map(HostPort::toString).collect(Collectors.joining(","));
    }

    /** The oplog topic: {@code <name>.oplog}. */
    public String oplogTopic() {
        return name + ".oplog";
    }

    /** The aggregates topic: {@code <name>.aggregates}. */
    public String aggregatesTopic() {
        return name + ".aggregates";
    }

    /** For a sharedlock cluster, its crawl ledger topic (on the oplog cluster's Kafka): {@code <name>.crawl-ledger}. */
    public String crawlLedgerTopic() {
        return name + ".crawl-ledger";
    }

    /**
     * For a sharedlock cluster, the transactional id of lease group {@code group}: {@code <name>-crawler-<group>}.
     * Whoever holds the group's lease uses it, so a new holder's producer fences the old holder's.
     */
    public String crawlerTransactionalId(int group) {
        return name + "-crawler-" + group;
    }

    /** The processors' Kafka Streams {@code application.id}: {@code <name>-processor}. */
    public String processorApplicationId() {
        return name + "-processor";
    }

    /** The ZooKeeper chroot: {@code /caiman/<name>}. */
    public String zookeeperChroot() {
        return "/caiman/" + name;
    }

    /** {@code min.insync.replicas} for the oplog: max(1, replica_factor - 1). */
    public int minInsyncReplicas() {
        return Math.max(1, replicaFactor - 1);
    }

    /**
     * {@code retention.bytes} per partition: {@code retention_bytes} if given, else Alligator's {@code size}
     * translated as ceil(size / partitions) x record_bytes.
     */
    public long retentionBytesPerPartition() {
        if (retentionBytes != null) {
            return retentionBytes;
        }
        long perPartition = (size + partitions - 1) / partitions;
        return Math.multiplyExact(perPartition, recordBytes);
    }
}
