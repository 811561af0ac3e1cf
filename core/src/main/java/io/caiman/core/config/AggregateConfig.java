package io.caiman.core.config;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * One crawl target as configured.
 *
 * @param job the {@code job} label (the kind when not configured)
 * @param labels extra labels for every sample of the target
 * @param headers HTTP headers sent with every crawl
 * @param tenant the tenant of the target's samples (the gateway's default tenant when not configured)
 * @param url the target's URL, or {@code null} when {@code fileSd} lists the targets
 * @param fileSd Prometheus file_sd files (globs) whose targets take this entry's other settings; empty with a URL
 * @param tls how HTTPS targets are checked and shown a client certificate
 */
public record AggregateConfig(String kind, URI url, String cluster, HostPort instance, Duration interval, Duration timeout,
        String job, Map<String, String> labels, Map<String, String> headers, String tenant, List<String> fileSd,
        ClientTls tls) {

    /** The same settings for another URL: one target of a file_sd entry. */
    public AggregateConfig withUrl(URI target, String targetJob, Map<String, String> targetLabels) {
        return new AggregateConfig(kind, target, cluster, instance, interval, timeout, targetJob, targetLabels, headers,
                tenant, List.of(), tls);
    }
}
