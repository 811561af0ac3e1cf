package io.caiman.gateway.oplog;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.core.wire.SampleBatch;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.producer.Callback;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Writes samples to one cluster's oplog ({@link OplogRecords}) through an idempotent {@code acks=all} producer.
 * A write completes only when Kafka has acknowledged every record of it, so a caller can answer its client 2xx
 * only then.
 *
 * <p>Per-series order: one series always maps to one partition, and the idempotent producer keeps the
 * order of sends to a partition, so the samples of a series are stored in the order they were accepted.
 */
public final class OplogWriter implements AutoCloseable {

    private final ClusterConfig cluster;
    private final OplogRecords records;
    private final Producer<byte[], byte[]> producer;
    private final KafkaClientMetrics producerMetrics;

    public OplogWriter(CaimanConfig config, ClusterConfig cluster, String clientId, MeterRegistry registry) {
        this.cluster = cluster;
        this.records = new OplogRecords(cluster, config.replicaLabels());
        KafkaProducer<byte[], byte[]> p = KafkaClients.newProducer(config, cluster, clientId);
        this.producer = p;
        this.producerMetrics = new KafkaClientMetrics(p);
        producerMetrics.bindTo(registry);
    }

    /** See {@link OplogRecords#records(SampleBatch, String, long, String, String)}. */
    public List<ProducerRecord<byte[], byte[]>> records(SampleBatch batch, String tenant, long receivedMs,
            String protocol, String gateway) {
        return records.records(batch, tenant, receivedMs, protocol, gateway);
    }

    /** The bytes {@code records} hold: keys, values and Kafka's per-record overhead. */
    public static long sizeOf(List<ProducerRecord<byte[], byte[]>> records) {
        long bytes = 0;
        for (ProducerRecord<byte[], byte[]> r : records) {
            bytes += r.key().length + r.value().length + 64;
        }
        return bytes;
    }

    /**
     * Sends {@code records} and completes when Kafka has acknowledged all of them, or exceptionally with the
     * first failure (or a {@link java.util.concurrent.TimeoutException} after {@code timeout}).
     */
    public CompletableFuture<Integer> send(List<ProducerRecord<byte[], byte[]>> records, Duration timeout) {
        CompletableFuture<Integer> done = new CompletableFuture<>();
        if (records.isEmpty()) {
            done.complete(0);
            return done;
        }
        AtomicInteger pending = new AtomicInteger(records.size());
        Callback acknowledged = (metadata, error) -> { // one for every record of the request
            if (error != null) {
                done.completeExceptionally(error);
            } else if (pending.decrementAndGet() == 0) {
                done.complete(records.size());
            }
        };
        for (ProducerRecord<byte[], byte[]> record : records) {
            if (done.isDone()) {
                break; // a failure has decided the answer: do not send (or block for) the rest
            }
            try {
                producer.send(record, acknowledged);
            } catch (RuntimeException e) {
                // send() throws when metadata is not available within max.block.ms (Kafka unreachable)
                done.completeExceptionally(e);
            }
        }
        return done.orTimeout(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    public ClusterConfig cluster() {
        return cluster;
    }

    /** Flushes what is in flight and closes the producer. */
    @Override
    public void close() {
        producer.flush();
        producer.close(Duration.ofSeconds(30));
        producerMetrics.close();
    }
}
