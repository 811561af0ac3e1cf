package io.caiman.core.config;

import java.time.Duration;

/** Gateway limits and tenancy from the {@code gateway} block. */
public record GatewaySettings(long maxRequestBytes, Duration ackTimeout, String tenantHeader, String defaultTenant) {}
