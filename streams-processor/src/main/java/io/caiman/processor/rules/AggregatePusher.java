package io.caiman.processor.rules;

import io.caiman.core.wire.remotewrite.RemoteWriteClient;
import io.caiman.core.wire.remotewrite.RemoteWriteEncoder;
import io.caiman.processor.query.AggregateExposition;
import io.caiman.schemas.aggregate.Aggregate;
import io.caiman.schemas.codec.CodecException;
import io.caiman.schemas.codec.Codecs;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pushes closed windows from {@code <cluster>.aggregates} to a remote-write receiver: a consumer of the group
 * {@code <cluster>-aggregates-remote-write} (read_committed, so only windows the processors committed), one
 * request per tenant and poll, each output (each quantile and bucket) as one sample at its window's end. Offsets
 * are committed only after the receiver answered 2xx, so a window is pushed at least once; a receiver sees a
 * repeat after a crash as the same sample again, which Prometheus and Mimir accept as a duplicate.
 *
 * <p>While the receiver is down or answers 5xx or 429, the same batch is retried with backoff, without end: the
 * aggregates topic keeps the windows meanwhile. A batch it refuses with another 4xx cannot succeed by resending;
 * it is logged with the receiver's answer, counted, and passed.
 */
public final class AggregatePusher implements Runnable, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(AggregatePusher.class);

    private final KafkaConsumer<byte[], byte[]> consumer;
    private final String topic;
    private final RemoteWriteClient client;
    private final Counter pushed;
    private final Counter refused;
    private final Counter unreadable;
    private volatile boolean closing;
    private final Thread thread;

    public AggregatePusher(KafkaConsumer<byte[], byte[]> consumer, String topic, RemoteWriteClient client,
            MeterRegistry registry) {
        this.consumer = consumer;
        this.topic = topic;
        this.client = client;
        this.pushed = Counter.builder("caiman_processor_remote_write_samples")
                .description("Aggregate samples pushed to processor.remote_write_url and acknowledged").register(registry);
        this.refused = Counter.builder("caiman_processor_remote_write_refused_samples")
                .description("Aggregate samples the remote-write receiver refused with a 4xx (logged)").register(registry);
        this.unreadable = Counter.builder("caiman_processor_remote_write_unreadable_records")
                .description("Records of the aggregates topic that could not be read (logged)").register(registry);
        this.thread = new Thread(this, "caiman-aggregates-remote-write");
        this.thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    @Override
    public void run() {
        try {
            consumer.subscribe(List.of(topic));
            while (!closing) {
                ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(500));
                if (records.isEmpty()) {
                    continue;
                }
                Map<String, List<RemoteWriteEncoder.Series>> byTenant = new TreeMap<>();
                for (ConsumerRecord<byte[], byte[]> r : records) {
                    try {
                        Aggregate a = Codecs.AGGREGATE.decode(r.value());
                        for (AggregateExposition.Point p : AggregateExposition.points(a)) {
                            byTenant.computeIfAbsent(a.getTenant(), t -> new ArrayList<>()).add(new RemoteWriteEncoder.Series(
                                    p.key().name(), p.labels().without(List.of(io.caiman.processor.query.SeriesExposition
                                            .TENANT_LABEL)), new double[] {p.value()}, new long[] {a.getWindowEndMs()}));
                        }
                    } catch (CodecException e) {
                        unreadable.increment();
                        log.error("cannot read the aggregate at {} partition {} offset {}: {}; not pushed", r.topic(),
                                r.partition(), r.offset(), e.getMessage());
                    }
                }
                for (Map.Entry<String, List<RemoteWriteEncoder.Series>> e : byTenant.entrySet()) {
                    push(e.getKey(), e.getValue());
                }
                if (!closing) {
                    consumer.commitSync();
                }
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("the push of aggregates to {} stopped: {}", client.url(), e.getMessage(), e);
        } finally {
            consumer.close();
        }
    }

    private void push(String tenant, List<RemoteWriteEncoder.Series> series) {
        byte[] body = RemoteWriteEncoder.body(series, Map.of());
        while (!closing) {
            try {
                client.send(tenant, body, 8);
                pushed.increment(series.size());
                return;
            } catch (RemoteWriteClient.Refused e) {
                refused.increment(series.size());
                log.error("{} aggregate samples of tenant {} not pushed: {}", series.size(), tenant, e.getMessage());
                return;
            } catch (IOException e) {
                log.warn("{}; trying again (the aggregates wait in their topic)", e.getMessage());
            }
        }
        throw new WakeupException(); // closing with this batch unsent: its offsets stay uncommitted
    }

    @Override
    public void close() {
        closing = true;
        consumer.wakeup();
        try {
            thread.join(35_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
