package io.caiman.core.config;

import java.net.URI;
import java.time.Duration;

/** One crawl target as configured. */
public record AggregateConfig(String kind, URI url, String cluster, HostPort instance, Duration interval, Duration timeout) {}
