package io.caiman.core.config;

import java.time.Duration;

/**
 * Crawler settings from the {@code crawler} block.
 *
 * @param cluster the sharedlock cluster to join (resolved when only one is defined), or {@code null}
 * @param node this crawler's name among its peers, or {@code null} for {@code <host name>:<listen port>}
 * @param adHocCrawls whether triggered crawls may name a URL that is not a configured target
 */
public record CrawlerSettings(
        String cluster,
        HostPort listen,
        String node,
        int leaseGroups,
        Duration commitInterval,
        int maxConcurrentCrawls,
        long maxResponseBytes,
        int minClusterSize,
        Duration clusterWait,
        boolean adHocCrawls,
        Duration fileSdRefreshInterval) {}
