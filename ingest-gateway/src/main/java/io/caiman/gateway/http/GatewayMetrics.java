package io.caiman.gateway.http;

import io.caiman.core.metrics.Registries;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * The gateway's own metrics, per protocol: requests by status, samples accepted by tenant, samples
 * rejected by reason, and how long Kafka takes to acknowledge a request. Also rate-limits the log line
 * for each rejection reason, so a misbehaving sender cannot flood the log.
 */
public final class GatewayMetrics {

    /** Why samples were not written. */
    public enum Reason { INVALID, TOO_LARGE, ENCODING, TOO_MANY_SAMPLES, OVER_INFLIGHT_LIMIT, KAFKA_UNAVAILABLE, KAFKA_REFUSED, RATE_LIMITED, UNAUTHORIZED, SHUTDOWN, SLOW_BODY }

    private static final long LOG_EVERY_NANOS = Duration.ofSeconds(10).toNanos();
    private static final Logger logger = org.slf4j.LoggerFactory.getLogger(GatewayMetrics.class);
    /**
     * Tenants with a label value of their own in {@code caiman_gateway_samples_accepted}, per protocol. The tenant
     * comes from a request header: without credentials configured, a sender could otherwise make the gateway keep a
     * counter for every name it makes up, until the heap runs out.
     */
    static final int MAX_TENANT_LABELS = 1000;
    /** The label value the samples of the tenants past {@link #MAX_TENANT_LABELS} share (never a valid tenant). */
    static final String OTHER_TENANTS = "~other";

    private final MeterRegistry registry;
    private final String protocol;
    private final Timer ack;
    private final Timer decode;
    private final Timer records;
    private final Timer send;
    private final Map<Reason, AtomicLong> lastLogged = new ConcurrentHashMap<>();
    private final Map<Reason, AtomicLong> suppressed = new ConcurrentHashMap<>();
    private final Map<String, Counter> acceptedByTenant = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean tenantCapLogged = new java.util.concurrent.atomic.AtomicBoolean();

    public GatewayMetrics(MeterRegistry registry, String protocol) {
        this.registry = registry;
        this.protocol = protocol;
        this.ack = Registries.latencyHistogram("caiman_gateway_kafka_ack")
                .description("From sending a request's records to Kafka acknowledging all of them")
                .tag("protocol", protocol).register(registry);
        this.decode = stage(registry, protocol, "decode");
        this.records = stage(registry, protocol, "records");
        this.send = stage(registry, protocol, "send");
    }

    /**
     * A stage of a request's work on the thread that serves it: {@code decode} (decompressing and parsing its body),
     * {@code records} (its oplog records: keys, partitions, values), {@code send} (handing them to the Kafka
     * producer, which compresses them into its batches). Its sum over the samples accepted is the gateway's cost per
     * sample in each stage, as it runs among everything else the process does.
     */
    private static Timer stage(MeterRegistry registry, String protocol, String stage) {
        return Registries.latencyHistogram("caiman_gateway_request_stage")
                .description("Time a write request spends in each stage of its work on the thread that serves it "
                        + "(decode, records, send); Kafka's acknowledgement is caiman_gateway_kafka_ack")
                .tag("protocol", protocol).tag("stage", stage).register(registry);
    }

    /** A request spent {@code nanos} decoding its body. */
    public void decoded(long nanos) {
        decode.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A request spent {@code nanos} making its oplog records. */
    public void recordsMade(long nanos) {
        records.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** A request spent {@code nanos} handing its records to the producer. */
    public void sent(long nanos) {
        send.record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    public void request(int status) {
        Counter.builder("caiman_gateway_requests").description("HTTP ingest requests by protocol and status")
                .tag("protocol", protocol).tag("code", Integer.toString(status)).register(registry).increment();
    }

    public void accepted(String tenant, int samples) {
        Counter counter = acceptedByTenant.get(tenant);
        if (counter == null) {
            String label = tenant;
            if (acceptedByTenant.size() >= MAX_TENANT_LABELS) {
                label = OTHER_TENANTS;
                if (tenantCapLogged.compareAndSet(false, true)) {
                    logger.warn("{}: samples of more than {} tenants accepted; those of further tenants are "
                            + "counted as caiman_gateway_samples_accepted_total{{tenant=\"{}\"}}", protocol,
                            MAX_TENANT_LABELS, OTHER_TENANTS);
                }
            }
            counter = acceptedByTenant.computeIfAbsent(label, t -> Counter.builder("caiman_gateway_samples_accepted")
                    .description("Samples acknowledged by Kafka and answered 2xx")
                    .tag("protocol", protocol).tag("tenant", t).register(registry));
        }
        counter.increment(samples);
    }

    public void rejected(Reason reason, long samples) {
        Counter.builder("caiman_gateway_samples_rejected")
                .description("Samples of requests refused (never written) or answered 503 (to be retried), by reason")
                .tag("protocol", protocol).tag("reason", reason.name().toLowerCase(java.util.Locale.ROOT))
                .register(registry).increment(samples);
    }

    public void acknowledged(long nanos) {
        ack.record(Duration.ofNanos(nanos));
    }

    /** Logs a rejection at most once per 10 s per reason, saying how many were not logged since. */
    public void logRejection(Logger log, Reason reason, String format, Object... args) {
        long now = System.nanoTime();
        AtomicLong last = lastLogged.computeIfAbsent(reason, r -> new AtomicLong(now - LOG_EVERY_NANOS));
        AtomicLong skipped = suppressed.computeIfAbsent(reason, r -> new AtomicLong());
        long previous = last.get();
        if (now - previous >= LOG_EVERY_NANOS && last.compareAndSet(previous, now)) {
            long count = skipped.getAndSet(0);
            log.warn(format + (count > 0 ? " (" + count + " more " + reason + " rejections since the last such line)" : ""), args);
        } else {
            skipped.incrementAndGet();
        }
    }
}
