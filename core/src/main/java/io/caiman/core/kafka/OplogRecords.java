package io.caiman.core.kafka;

import io.caiman.core.config.ClusterConfig;
import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.shard.ShardingFunction;
import io.caiman.core.wire.ParsedSample;
import io.caiman.schemas.codec.SampleBatchEncoder;
import io.caiman.schemas.oplog.Origin;
import java.util.ArrayList;
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

    public OplogRecords(ClusterConfig cluster, Collection<String> replicaLabels) {
        this.topic = cluster.oplogTopic();
        this.sharding = new ShardingFunction(cluster.shardingKey(), cluster.partitions());
        this.replicaLabels = List.copyOf(replicaLabels);
    }

    /**
     * The oplog records of {@code samples}, built before anything is sent so a bad sample fails the whole
     * request, not half of it.
     *
     * @param tenant the tenant of every sample
     * @param receivedMs the receive time, used as the timestamp of samples that carry none
     * @throws IllegalArgumentException if a sample's names are invalid (parsers check them first)
     */
    public List<ProducerRecord<byte[], byte[]>> records(List<ParsedSample> samples, String tenant, long receivedMs,
            String protocol, String gateway) {
        Origin origin = Origin.newBuilder().setProtocol(protocol).setGateway(gateway).setReceivedMs(receivedMs).build();
        SampleBatchEncoder values = new SampleBatchEncoder(tenant, origin);
        SeriesKey.Writer keys = new SeriesKey.Writer(tenant);
        boolean byName = sharding.byNameOnly();
        String lastName = null; // the partition of the last metric name, when it is all the partition depends on
        int lastPartition = -1;
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(samples.size());
        for (ParsedSample s : samples) {
            Labels labels = s.labels().without(replicaLabels);
            byte[] key = keys.write(s.name(), labels);
            int partition;
            if (byName && s.name().equals(lastName)) {
                partition = lastPartition;
            } else {
                partition = sharding.partition(s.name(), labels);
                lastName = s.name();
                lastPartition = partition;
            }
            byte[] value = values.encode(s.value(), s.timestampMs() != null ? s.timestampMs() : receivedMs, s.type(),
                    s.kind(), replica(s));
            records.add(new ProducerRecord<>(topic, partition, key, value));
        }
        return records;
    }

    /** The value of the first replica label the sample carries, or {@code ""}. */
    private String replica(ParsedSample s) {
        for (String label : replicaLabels) {
            String value = s.labels().get(label);
            if (value != null) {
                return value;
            }
        }
        return "";
    }
}
