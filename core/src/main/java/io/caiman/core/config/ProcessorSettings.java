package io.caiman.core.config;

import java.time.Duration;

/**
 * Processor settings from the {@code processor} block.
 *
 * @param cluster the oplog cluster to process (resolved when only one is defined)
 * @param skipBadRecords whether unreadable oplog records are skipped (logged and counted) instead of failing
 * @param setWindow the window StatsD sets count distinct members in
 */
public record ProcessorSettings(
        String cluster, HostPort listen, String stateDir, Duration commitInterval, boolean skipBadRecords,
        Duration setWindow) {}
