package io.caiman.core.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;

/**
 * One crawl target as configured.
 *
 * @param job the {@code job} label (the kind when not configured)
 * @param labels extra labels for every sample of the target
 * @param headers HTTP headers sent with every crawl
 * @param tenant the tenant of the target's samples (the gateway's default tenant when not configured)
 */
public record AggregateConfig(String kind, URI url, String cluster, HostPort instance, Duration interval, Duration timeout,
        String job, Map<String, String> labels, Map<String, String> headers, String tenant) {}
