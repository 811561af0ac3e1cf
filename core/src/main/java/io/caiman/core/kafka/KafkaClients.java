package io.caiman.core.kafka;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * The one place Caiman's Kafka client settings are put together: the cluster's bootstrap servers, the
 * {@code kafka.client} properties, the per-kind properties, then what Caiman's guarantees pin.
 */
public final class KafkaClients {

    private KafkaClients() {}

    /** Properties every client of {@code cluster} shares. */
    public static Map<String, Object> common(CaimanConfig config, ClusterConfig cluster, String clientId) {
        Map<String, Object> p = new HashMap<>(config.kafka().client());
        p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, cluster.connectString());
        p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return p;
    }

    /**
     * The oplog producer's properties: idempotent, {@code acks=all}, lz4-compressed batches with a short
     * linger (one record per sample is cheap only when batched and compressed), then {@code kafka.producer}.
     */
    public static Map<String, Object> producer(CaimanConfig config, ClusterConfig cluster, String clientId) {
        Map<String, Object> p = common(config, cluster, clientId);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        // send() blocks this long for metadata when Kafka is unreachable: never longer than a request may wait
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, Math.min(10_000, config.gateway().ackTimeout().toMillis()));
        // the gateway's in-flight budget bounds what it hands the producer; with room above it, send() never
        // blocks a request thread waiting for buffer space
        p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L << 20, config.gateway().maxInflightBytes() + (16L << 20)));
        p.putAll(config.kafka().producer());
        // the delivery guarantees depend on these; the config check refuses other values
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        return p;
    }

    /** A producer of byte-array records; see {@link #producer(CaimanConfig, ClusterConfig, String)}. */
    public static KafkaProducer<byte[], byte[]> newProducer(CaimanConfig config, ClusterConfig cluster, String clientId) {
        return new KafkaProducer<>(producer(config, cluster, clientId));
    }

    /**
     * A transactional producer's properties: the oplog producer's, with {@code transactional.id} (a new
     * producer with the same id fences the old one: its open transaction is aborted and it can never commit) and
     * a short transaction timeout (a transaction left open by a killed producer holds back every
     * {@code read_committed} reader of its partitions until it is aborted).
     */
    public static Map<String, Object> transactionalProducer(CaimanConfig config, ClusterConfig cluster, String clientId,
            String transactionalId) {
        Map<String, Object> p = producer(config, cluster, clientId);
        p.putIfAbsent(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG, 15_000);
        p.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
        return p;
    }

    /**
     * A reader's properties: assigned partitions, no consumer group and no committed offsets (readers such as
     * replay keep their own positions), {@code read_committed} so aborted transactions are never read, then
     * {@code kafka.consumer}.
     */
    public static Map<String, Object> reader(CaimanConfig config, ClusterConfig cluster, String clientId) {
        Map<String, Object> p = common(config, cluster, clientId);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 5_000);
        p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 32 << 20);
        p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 4 << 20);
        p.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        p.putAll(config.kafka().consumer());
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        return p;
    }

    /** A reader of byte-array records; see {@link #reader(CaimanConfig, ClusterConfig, String)}. */
    public static KafkaConsumer<byte[], byte[]> newReader(CaimanConfig config, ClusterConfig cluster, String clientId) {
        return new KafkaConsumer<>(reader(config, cluster, clientId));
    }

    /** The admin client's properties. */
    public static Map<String, Object> admin(CaimanConfig config, ClusterConfig cluster, String clientId) {
        Map<String, Object> p = common(config, cluster, clientId);
        p.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        p.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        p.putAll(config.kafka().admin());
        return p;
    }

    public static Admin newAdmin(CaimanConfig config, ClusterConfig cluster, String clientId) {
        return Admin.create(admin(config, cluster, clientId));
    }
}
