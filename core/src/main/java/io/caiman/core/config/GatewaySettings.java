package io.caiman.core.config;

import io.caiman.core.wire.SampleLimits;
import java.time.Duration;

/**
 * Gateway limits and tenancy from the {@code gateway} block.
 *
 * @param graphiteMappingFile a graphite_exporter mapping file, or {@code null}
 */
public record GatewaySettings(
        long maxRequestBytes,
        Duration ackTimeout,
        long maxInflightBytes,
        int maxSamplesPerRequest,
        SampleLimits sampleLimits,
        String tenantHeader,
        String defaultTenant,
        String graphiteMappingFile,
        int maxLineBytes,
        int maxConnections) {}
