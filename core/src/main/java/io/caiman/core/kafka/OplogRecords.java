package io.caiman.core.kafka;

import io.caiman.core.config.ClusterConfig;
import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.shard.ShardingFunction;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleBatch;
import io.caiman.schemas.codec.SampleBatchEncoder;
import io.caiman.schemas.oplog.Origin;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Turns parsed samples into one cluster's oplog records: key = canonical series key (without the replica labels),
 * partition = the sharding function, value = the Avro sample, which records the HA replica. Pure: no Kafka client, so benchmarks and tests build records alone.
 */
public final class OplogRecords {

    private final String topic;
    private final ShardingFunction sharding;
    private final Collection<String> replicaLabels;
    private final byte[][] replicaNames;

    public OplogRecords(ClusterConfig cluster, Collection<String> replicaLabels) {
        this.topic = cluster.oplogTopic();
        this.sharding = new ShardingFunction(cluster.shardingKey(), cluster.partitions());
        this.replicaLabels = List.copyOf(replicaLabels);
        this.replicaNames = this.replicaLabels.stream().map(l -> l.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
    }

    /** The oplog records of {@code samples}; see {@link #records(SampleBatch, String, long, String, String)}. */
    public List<ProducerRecord<byte[], byte[]>> records(List<ParsedSample> samples, String tenant, long receivedMs,
            String protocol, String gateway) {
        return records(SampleBatch.of(samples), tenant, receivedMs, protocol, gateway);
    }

    /**
     * The oplog records of {@code batch}, built before anything is sent so a bad sample fails the whole request, not
     * half of it. Each series' key and partition are made once and shared by its samples.
     *
     * @param tenant the tenant of every sample
     * @param receivedMs the receive time, used as the timestamp of samples that carry none
     * @throws IllegalArgumentException if the tenant is not valid ({@link Naming#validateTenant})
     */
    public List<ProducerRecord<byte[], byte[]>> records(SampleBatch batch, String tenant, long receivedMs,
            String protocol, String gateway) {
        String problem = Naming.validateTenant(tenant);
        if (problem != null) {
            throw new IllegalArgumentException(problem);
        }
        byte[] prefix = (tenant + "/").getBytes(StandardCharsets.US_ASCII);
        Origin origin = Origin.newBuilder().setProtocol(protocol).setGateway(gateway).setReceivedMs(receivedMs).build();
        SampleBatchEncoder values = new SampleBatchEncoder(tenant, origin);
        int seriesCount = batch.seriesCount();
        byte[][] keys = new byte[seriesCount][];
        int[] partitions = new int[seriesCount];
        String[] replicas = new String[seriesCount];
        byte[] names = batch.keyBytes();
        int lastNamed = -1; // the last series whose partition was computed by its name alone
        boolean byName = sharding.byNameOnly();
        int size = batch.size();
        ProducerRecord<byte[], byte[]>[] records = newArray(size);
        for (int i = 0; i < size; i++) {
            int s = batch.series(i);
            if (keys[s] == null) {
                int from = batch.keyStart(s);
                int to = batch.keyEnd(s);
                if (!replicaLabels.isEmpty() && hasReplicaLabel(batch, s)) {
                    // an HA sender's series: rare, so through the string form
                    Labels labels = batch.labels(s);
                    SeriesKey key = SeriesKey.of(tenant, batch.name(s), labels, replicaLabels);
                    keys[s] = key.bytes();
                    partitions[s] = sharding.partition(key);
                    replicas[s] = replica(labels);
                } else {
                    byte[] key = new byte[prefix.length + to - from];
                    System.arraycopy(prefix, 0, key, 0, prefix.length);
                    System.arraycopy(names, from, key, prefix.length, to - from);
                    keys[s] = key;
                    replicas[s] = "";
                    if (byName && lastNamed >= 0 && Arrays.equals(names, from, batch.nameEnd(s), names,
                            batch.keyStart(lastNamed), batch.nameEnd(lastNamed))) {
                        partitions[s] = partitions[lastNamed]; // a repeated metric name: its partition again
                    } else {
                        partitions[s] = sharding.partition(batch, s);
                    }
                    if (byName) {
                        lastNamed = s;
                    }
                }
            }
            byte[] value = values.encode(batch.value(i), batch.stamped(i) ? batch.timestampMs(i) : receivedMs,
                    batch.type(i), batch.kind(i), replicas[s]);
            records[i] = new ProducerRecord<>(topic, partitions[s], keys[s], value);
        }
        return Arrays.asList(records);
    }

    @SuppressWarnings("unchecked")
    private static ProducerRecord<byte[], byte[]>[] newArray(int size) {
        return (ProducerRecord<byte[], byte[]>[]) new ProducerRecord<?, ?>[size];
    }

    private boolean hasReplicaLabel(SampleBatch batch, int s) {
        for (byte[] name : replicaNames) {
            if (batch.findLabel(s, name) >= 0) {
                return true;
            }
        }
        return false;
    }

    /** The value of the first replica label in {@code labels}, or {@code ""}. */
    private String replica(Labels labels) {
        for (String label : replicaLabels) {
            String value = labels.get(label);
            if (!value.isEmpty()) {
                return value;
            }
        }
        return "";
    }
}
