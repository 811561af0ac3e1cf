package io.caiman.coordinator.crawl;

import io.caiman.core.wire.ParsedSample;
import java.util.List;

/**
 * What one crawl of one (target, slot) yielded, before it is committed.
 *
 * @param samples every sample to write: the target's own (with the target labels) and the synthetic {@code up},
 *     {@code scrape_duration_seconds} and {@code scrape_samples_scraped}
 * @param durationMs how long the request took
 * @param error why the crawl failed ({@code up} = 0), or {@code null}
 */
public record CrawlResult(CrawlTarget target, long slot, long startedMs, List<ParsedSample> samples, long durationMs,
        String error) {

    public boolean succeeded() {
        return error == null;
    }
}
