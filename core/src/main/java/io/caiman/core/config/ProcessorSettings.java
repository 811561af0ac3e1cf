package io.caiman.core.config;

import java.time.Duration;

/**
 * Processor settings from the {@code processor} block.
 *
 * @param cluster the oplog cluster to process (resolved when only one is defined)
 * @param inMemoryState whether the state stores are held in the heap rather than in RocksDB (both changelogged)
 * @param skipBadRecords whether unreadable oplog records are skipped (logged and counted) instead of failing
 * @param setWindow the window StatsD sets count distinct members in
 * @param idleClose how long a partition receives nothing before its due windows close by the wall clock
 * @param maxFuture how far ahead of the oplog's append time a sample's timestamp may be and still be aggregated
 * @param ruleFlushInterval how often the rules' per-series stage sends its partial aggregates to the group stage
 * @param advertise the HTTP address peers and clients reach this processor at ({@code null}: derived from listen)
 * @param minClusterSize readiness waits for this many processors in the group, or {@code clusterWait}
 * @param readyMaxLag readiness holds only while the input lag is at most this many records
 * @param remoteWriteUrl where closed windows are pushed by remote write ({@code null}: not pushed)
 * @param remoteWriteHeaders headers of those pushes
 * @param metricsMaxSeries {@code /metrics} lists each series while the state holds at most this many
 * @param queryMaxSeries the most series and outputs one {@code /api/v1/series} answer holds
 */
public record ProcessorSettings(
        String cluster, HostPort listen, String stateDir, boolean inMemoryState, Duration commitInterval, boolean skipBadRecords,
        Duration setWindow, Duration idleClose, Duration maxFuture, Duration ruleFlushInterval,
        HostPort advertise, int minClusterSize,
        Duration clusterWait, long readyMaxLag, java.net.URI remoteWriteUrl, java.util.Map<String, String> remoteWriteHeaders,
        long metricsMaxSeries, int queryMaxSeries) {}
