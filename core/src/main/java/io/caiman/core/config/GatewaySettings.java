package io.caiman.core.config;

import io.caiman.core.wire.SampleLimits;
import java.time.Duration;

/** Gateway limits and tenancy from the {@code gateway} block. */
public record GatewaySettings(
        long maxRequestBytes,
        Duration ackTimeout,
        long maxInflightBytes,
        int maxSamplesPerRequest,
        SampleLimits sampleLimits,
        String tenantHeader,
        String defaultTenant) {}
