package io.caiman.core.config;

import java.time.Duration;

/** Curator client settings from the {@code zookeeper} block. */
public record ZooKeeperSettings(Duration sessionTimeout, Duration connectionTimeout, int retries) {}
