package io.caiman.bench;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.kafka.OplogRecords;
import io.caiman.core.wire.ParsedSample;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.IntFunction;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;

/** Filling a cluster's oplog for the processor benches, and waiting until its processors have committed all of it. */
final class Oplogs {

    private Oplogs() {}

    /** Writes {@code sample(0)} to {@code sample(count - 1)} to the oplog, as a gateway would, with progress. */
    static void write(CaimanConfig cfg, ClusterConfig cluster, int count, IntFunction<ParsedSample> sample, String client,
            PrintStream out) {
        OplogRecords builder = new OplogRecords(cluster, List.of());
        long t0 = System.nanoTime();
        java.util.concurrent.atomic.AtomicReference<Exception> failed = new java.util.concurrent.atomic.AtomicReference<>();
        try (KafkaProducer<byte[], byte[]> producer = KafkaClients.newProducer(cfg, cluster, client)) {
            for (int i = 0; i < count; i += 1000) {
                List<ParsedSample> batch = new ArrayList<>(1000);
                for (int j = i; j < Math.min(count, i + 1000); j++) {
                    batch.add(sample.apply(j));
                }
                for (ProducerRecord<byte[], byte[]> r : builder.records(batch, "default", System.currentTimeMillis(),
                        client, client)) {
                    producer.send(r, (m, e) -> {
                        if (e != null) {
                            failed.compareAndSet(null, e);
                        }
                    });
                }
                if (i % 200_000 == 0 && i > 0) {
                    out.printf(Locale.ROOT, "  wrote %,d series%n", i);
                }
            }
            producer.flush();
        }
        if (failed.get() != null) {
            throw new IllegalStateException("the oplog did not take every sample", failed.get());
        }
        out.printf(Locale.ROOT, "  wrote %,d series in %.1f s%n", count, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Waits until the processors' group has committed every oplog offset written so far, printing progress every 5 s.
     *
     * @throws IllegalStateException if {@code alive} turns false, or after 600 s
     */
    static void awaitCommitted(Admin admin, ClusterConfig cluster, BooleanSupplier alive, PrintStream out, long t0)
            throws Exception {
        Map<TopicPartition, OffsetSpec> query = new HashMap<>();
        for (int p = 0; p < cluster.partitions(); p++) {
            query.put(new TopicPartition(cluster.oplogTopic(), p), OffsetSpec.latest());
        }
        Map<TopicPartition, Long> ends = new HashMap<>();
        long total = 0;
        for (var e : admin.listOffsets(query).all().get(30, TimeUnit.SECONDS).entrySet()) {
            ends.put(e.getKey(), e.getValue().offset());
            total += e.getValue().offset();
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(600);
        long lastReport = System.nanoTime();
        while (true) {
            if (!alive.getAsBoolean()) {
                throw new IllegalStateException("a processor ended early; see its log");
            }
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(cluster.processorApplicationId())
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
            long done = 0;
            boolean all = true;
            for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
                OffsetAndMetadata c = committed.get(end.getKey());
                done += c == null ? 0 : c.offset();
                all &= c != null && c.offset() >= end.getValue();
            }
            if (all) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the processors had committed " + done + " of " + total + " records after 600 s");
            }
            if (System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(5)) {
                out.printf(Locale.ROOT, "  processing: %,d of %,d records committed after %.0f s%n", done, total,
                        (System.nanoTime() - t0) / 1e9);
                lastReport = System.nanoTime();
            }
            Thread.sleep(250);
        }
    }
}
