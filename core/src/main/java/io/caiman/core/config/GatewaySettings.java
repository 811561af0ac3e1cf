package io.caiman.core.config;

import io.caiman.core.wire.SampleLimits;
import java.time.Duration;

/**
 * Gateway limits and tenancy from the {@code gateway} block.
 *
 * @param graphiteMappingFile a graphite_exporter mapping file, or {@code null}
 * @param statsdBuckets the increasing {@code le} bounds of StatsD timers and histograms
 * @param authFile the credentials file, or {@code null} when requests are not authenticated
 * @param maxConcurrentRequests the most write requests an http entrypoint serves at once
 * @param maxRequestWait how long a write may wait for one of them before it is answered 503
 * @param minBodyRate the slowest a request body may arrive, in bytes a second past its first 5 s (0: any pace)
 * @param lineIdleTimeout how long a tcp line connection may send nothing before it is closed (0: never)
 */
public record GatewaySettings(
        long maxRequestBytes,
        Duration ackTimeout,
        long maxInflightBytes,
        int maxSamplesPerRequest,
        SampleLimits sampleLimits,
        String tenantHeader,
        String defaultTenant,
        RateLimits rateLimits,
        String graphiteMappingFile,
        java.util.List<Double> statsdBuckets,
        int maxLineBytes,
        int maxConnections,
        String authFile,
        int maxConcurrentRequests,
        Duration maxRequestWait,
        long minBodyRate,
        Duration lineIdleTimeout) {

    /**
     * Per-tenant sample rates, per gateway.
     *
     * @param rate samples per second for every tenant (0: none)
     * @param burst the most at once (0: the rate)
     * @param overrides per-tenant rates
     */
    public record RateLimits(long rate, long burst, java.util.Map<String, Long> overrides) {}
}
