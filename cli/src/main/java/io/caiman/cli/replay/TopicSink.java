package io.caiman.cli.replay;

import io.caiman.core.kafka.Topics;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Copies records to another topic, on this Kafka cluster or another: the same key, value and partition, and
 * the acceptance time as the record timestamp (a target topic with LogAppendTime, such as another Caiman
 * oplog, sets its own). A missing topic is created with the source's partition count and the target
 * cluster's default replication; an existing one needs at least as many partitions. The producer is
 * idempotent with {@code acks=all}; {@link #flush} waits for every acknowledgement and fails with the first
 * error.
 */
public final class TopicSink implements ReplaySink {

    private final Map<String, Object> producerProperties;
    private final String topic;
    private final int sourcePartitions;
    private final AtomicReference<Exception> failure = new AtomicReference<>();
    private KafkaProducer<byte[], byte[]> producer;

    /** @param producerProperties the producer's properties, {@code bootstrap.servers} naming the target */
    public TopicSink(Map<String, Object> producerProperties, String topic, int sourcePartitions) {
        this.producerProperties = Map.copyOf(producerProperties);
        this.topic = topic;
        this.sourcePartitions = sourcePartitions;
    }

    @Override
    public void check() throws IOException {
        Object servers = producerProperties.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, servers,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG,
                10_000))) {
            TopicDescription existing;
            try {
                existing = admin.describeTopics(List.of(topic)).allTopicNames().get(15, TimeUnit.SECONDS).get(topic);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw e;
                }
                existing = null;
            }
            if (existing == null) {
                admin.createTopics(List.of(new NewTopic(topic, Optional.of(sourcePartitions), Optional.empty())))
                        .all().get(15, TimeUnit.SECONDS);
                Topics.awaitServed(admin, topic); // a producer at once on a new partition can lose a request to Kafka
            } else if (existing.partitions().size() < sourcePartitions) {
                throw new IOException("topic " + topic + " at " + servers + " has " + existing.partitions().size()
                        + " partitions; a replay keeps each record's partition, so it needs at least " + sourcePartitions);
            }
        } catch (ExecutionException e) {
            throw new IOException("cannot use topic " + topic + " at " + servers + ": " + e.getCause().getMessage(),
                    e.getCause());
        } catch (io.caiman.error.CaimanException e) {
            throw new IOException("cannot use topic " + topic + " at " + servers + ": " + e.getMessage(), e);
        } catch (TimeoutException | org.apache.kafka.common.errors.TimeoutException e) {
            throw new IOException("the target Kafka cluster at " + servers + " did not answer within 15 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("interrupted while checking topic " + topic);
        }
        producer = new KafkaProducer<>(producerProperties);
    }

    @Override
    public boolean write(ReplayRecord r) throws IOException {
        throwIfFailed();
        producer.send(new ProducerRecord<>(topic, r.partition(), r.acceptedMs(), r.rawKey(), r.rawValue()),
                (metadata, e) -> {
                    if (e != null) {
                        failure.compareAndSet(null, e);
                    }
                });
        return true;
    }

    @Override
    public boolean decodes() {
        return false;
    }

    @Override
    public void flush() throws IOException {
        producer.flush();
        throwIfFailed();
    }

    private void throwIfFailed() throws IOException {
        Exception e = failure.get();
        if (e != null) {
            throw new IOException("writing to topic " + topic + " failed: " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return "topic " + topic + " at " + producerProperties.get(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG);
    }

    @Override
    public void close() {
        if (producer != null) {
            producer.close(java.time.Duration.ofSeconds(10));
        }
    }
}
