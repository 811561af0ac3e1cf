package io.caiman.gateway.line;

import io.caiman.core.config.GatewaySettings;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.gateway.http.GatewayMetrics;
import io.caiman.gateway.http.GatewayMetrics.Reason;
import io.caiman.gateway.http.InflightBudget;
import io.caiman.gateway.http.TenantRateLimiter;
import io.caiman.gateway.oplog.OplogWriter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a line listener does with a chunk of complete lines: parse it, count and log (rate-limited) every bad
 * line, and write the good samples to the oplog under the default tenant. Line protocols have no answer, so
 * there are two ways to be safe:
 *
 * <ul>
 *   <li>{@link #writeAndWait} (TCP): the connection is not read again until Kafka acknowledged the chunk;
 *       while Kafka is down, the in-flight budget is full or the tenant is over its sample rate, the chunk
 *       waits and is retried and the socket is left
 *       unread, so TCP flow control holds the sender back instead of the gateway queueing;
 *   <li>{@link #writeOrDrop} (UDP): a datagram over the tenant's rate or the in-flight budget, or that Kafka does
 *       not take, cannot be pushed back; it is dropped and counted ({@code samples_rejected}).
 * </ul>
 */
final class LineWriter {

    private static final Logger log = LoggerFactory.getLogger(LineWriter.class);
    private static final long RETRY_MILLIS = 500;

    private final String protocol;
    private final Function<byte[], ParseResult> parser;
    private final OplogWriter writer;
    private final GatewaySettings settings;
    private final String instance;
    private final InflightBudget budget;
    private final TenantRateLimiter limiter;
    final GatewayMetrics metrics;

    LineWriter(String protocol, Function<byte[], ParseResult> parser, OplogWriter writer, GatewaySettings settings,
            String instance, InflightBudget budget, TenantRateLimiter limiter, MeterRegistry registry) {
        this.limiter = limiter;
        this.protocol = protocol;
        this.parser = parser;
        this.writer = writer;
        this.settings = settings;
        this.instance = instance;
        this.budget = budget;
        this.metrics = new GatewayMetrics(registry, protocol);
    }

    private List<ProducerRecord<byte[], byte[]>> parse(byte[] chunk, String from) {
        long t0 = System.nanoTime();
        ParseResult result = parser.apply(chunk);
        metrics.decoded(System.nanoTime() - t0);
        if (!result.ok()) {
            metrics.rejected(Reason.INVALID, result.errors().size());
            ParseError first = result.errors().get(0);
            metrics.logRejection(log, Reason.INVALID, "gateway [{}] {} lines from {}: {} bad {} skipped; the first: {}",
                    instance, protocol, from, result.errors().size(), result.errors().size() == 1 ? "line" : "lines", first);
        }
        if (result.count() == 0) {
            return List.of();
        }
        long t1 = System.nanoTime();
        List<ProducerRecord<byte[], byte[]>> records = writer.records(result.batch(), settings.defaultTenant(),
                System.currentTimeMillis(), protocol, instance);
        metrics.recordsMade(System.nanoTime() - t1);
        return records;
    }

    /** Counts a line longer than {@code gateway.max_line_bytes}. */
    void tooLong(String from) {
        metrics.rejected(Reason.TOO_LARGE, 1);
        metrics.logRejection(log, Reason.TOO_LARGE, "gateway [{}] {} line from {} is longer than {} bytes "
                + "(gateway.max_line_bytes); skipped", instance, protocol, from, settings.maxLineBytes());
    }

    /**
     * Writes the chunk's samples and returns once Kafka acknowledged them, retrying while Kafka is unavailable
     * or the in-flight budget is full.
     *
     * @param running false once the listener closes: the chunk is then given up, and counted
     * @return whether the chunk was written
     */
    boolean writeAndWait(byte[] chunk, String from, BooleanSupplier running) throws InterruptedException {
        List<ProducerRecord<byte[], byte[]>> records = parse(chunk, from);
        if (records.isEmpty()) {
            return true;
        }
        long size = OplogWriter.sizeOf(records);
        boolean logged = false;
        long wait;
        while ((wait = limiter.tryTake(settings.defaultTenant(), records.size())) > 0 && running.getAsBoolean()) {
            Thread.sleep(Math.min(wait * 1000, RETRY_MILLIS)); // over the tenant's rate: hold the socket unread
        }
        while (running.getAsBoolean()) {
            if (!budget.tryAcquire(size)) {
                Thread.sleep(RETRY_MILLIS / 5);
                continue;
            }
            long t0 = System.nanoTime();
            try {
                CompletableFuture<Integer> sent = writer.send(records, settings.ackTimeout());
                metrics.sent(System.nanoTime() - t0);
                sent.get(settings.ackTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
                metrics.acknowledged(System.nanoTime() - t0);
                metrics.accepted(settings.defaultTenant(), records.size());
                return true;
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                Throwable cause = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
                boolean retriable = cause instanceof RetriableException || cause instanceof java.util.concurrent.TimeoutException
                        || cause instanceof org.apache.kafka.common.errors.TimeoutException;
                if (!retriable) {
                    metrics.rejected(Reason.KAFKA_REFUSED, records.size());
                    log.warn("gateway [{}] {} lines from {}: Kafka refused {} samples: {}", instance, protocol, from,
                            records.size(), cause.toString());
                    return false;
                }
                if (!logged) {
                    log.warn("gateway [{}] {} lines from {}: Kafka did not acknowledge within {} s ({}); holding the "
                            + "connection unread and retrying", instance, protocol, from, settings.ackTimeout().toSeconds(),
                            cause.getClass().getSimpleName());
                    logged = true;
                }
                Thread.sleep(RETRY_MILLIS);
            } finally {
                budget.release(size);
            }
        }
        metrics.rejected(Reason.SHUTDOWN, records.size());
        log.warn("gateway [{}] {} lines from {}: closing before Kafka acknowledged {} samples; they were not written",
                instance, protocol, from, records.size());
        return false;
    }

    /** Sends the chunk's samples without waiting; drops and counts them when they cannot be taken. */
    void writeOrDrop(byte[] chunk, String from) {
        List<ProducerRecord<byte[], byte[]>> records = parse(chunk, from);
        if (records.isEmpty()) {
            return;
        }
        long size = OplogWriter.sizeOf(records);
        if (limiter.tryTake(settings.defaultTenant(), records.size()) > 0) {
            metrics.rejected(Reason.RATE_LIMITED, records.size());
            metrics.logRejection(log, Reason.RATE_LIMITED, "gateway [{}] {} datagram from {}: tenant {} is over its "
                    + "sample rate (gateway.tenant_sample_rate); {} samples dropped", instance, protocol, from,
                    settings.defaultTenant(), records.size());
            return;
        }
        if (!budget.tryAcquire(size)) {
            metrics.rejected(Reason.OVER_INFLIGHT_LIMIT, records.size());
            metrics.logRejection(log, Reason.OVER_INFLIGHT_LIMIT, "gateway [{}] {} datagram from {}: the in-flight "
                    + "budget (gateway.max_inflight_bytes) is full; {} samples dropped", instance, protocol, from, records.size());
            return;
        }
        long t0 = System.nanoTime();
        CompletableFuture<Integer> sent = writer.send(records, settings.ackTimeout());
        metrics.sent(System.nanoTime() - t0);
        sent.whenComplete((n, error) -> {
            budget.release(size);
            if (error == null) {
                metrics.acknowledged(System.nanoTime() - t0);
                metrics.accepted(settings.defaultTenant(), records.size());
            } else {
                metrics.rejected(Reason.KAFKA_UNAVAILABLE, records.size());
                metrics.logRejection(log, Reason.KAFKA_UNAVAILABLE, "gateway [{}] {} datagram from {}: Kafka did not take "
                        + "{} samples ({}); dropped", instance, protocol, from, records.size(), error.toString());
            }
        });
    }
}
