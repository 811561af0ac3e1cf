package io.caiman.coordinator.crawl;

import io.caiman.core.config.AggregateConfig;
import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClientTls;
import io.caiman.error.CaimanException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * One crawl target of a sharedlock cluster, ready to crawl.
 *
 * @param id the stable id: kind, URL and the configured labels. The ledger is keyed by it, and it picks the
 *     target's lease group, so it must not change while the target stays the same
 * @param labels the target labels every sample gets: {@code job}, {@code instance} (the URL's host:port), then the
 *     configured ones, in that order of precedence
 * @param tls how an HTTPS target is checked
 */
public record CrawlTarget(String id, String kind, URI url, Duration interval, Duration timeout, Map<String, String> labels,
        Map<String, String> headers, String tenant, ClientTls tls) {

    /** The kinds a crawler crawls (the config allows no other). */
    public static final List<String> KINDS = List.of("prometheus", "http", "elasticsearch");

    /**
     * The targets of {@code cluster}, in configuration order.
     *
     * @throws CaimanException naming every pair of identical targets, or of targets that would write the same series
     */
    public static List<CrawlTarget> of(CaimanConfig config, String cluster) {
        List<CrawlTarget> targets = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<String, Integer> seen = new java.util.HashMap<>();
        Map<Map<String, String>, Integer> seenLabels = new java.util.HashMap<>();
        for (int i = 0; i < config.aggregates().size(); i++) {
            AggregateConfig a = config.aggregates().get(i);
            if (!a.cluster().equals(cluster) || !a.fileSd().isEmpty()) {
                continue; // file_sd entries: see FileSd
            }
            CrawlTarget t = of(a);
            Integer before = seen.putIfAbsent(t.id(), i);
            if (before != null) {
                problems.add("aggregate[" + i + "] is the same target as aggregate[" + before + "] (" + t.id() + ")");
                continue;
            }
            before = seenLabels.putIfAbsent(t.seriesIdentity(), i);
            if (before != null) {
                problems.add("aggregate[" + i + "] and aggregate[" + before + "] would write the same series (tenant "
                        + t.tenant() + ", " + new TreeMap<>(t.labels()) + "); give one a distinct job or label");
                continue;
            }
            targets.add(t);
        }
        if (!problems.isEmpty()) {
            throw new CaimanException("cannot crawl the targets of cluster " + cluster + ":\n  " + String.join("\n  ", problems));
        }
        return List.copyOf(targets);
    }

    /**
     * The configured targets and then the discovered ones (file_sd), leaving out a discovered target that is the same
     * as an earlier one or would write the same series.
     *
     * @param problems gets one line per target left out
     */
    static List<CrawlTarget> withDiscovered(List<CrawlTarget> configured, List<CrawlTarget> discovered, List<String> problems) {
        List<CrawlTarget> all = new ArrayList<>(configured);
        Map<String, CrawlTarget> ids = new java.util.HashMap<>();
        Map<Map<String, String>, CrawlTarget> series = new java.util.HashMap<>();
        configured.forEach(t -> {
            ids.put(t.id(), t);
            series.put(t.seriesIdentity(), t);
        });
        for (CrawlTarget t : discovered) {
            if (ids.containsKey(t.id())) {
                problems.add("file_sd target " + t.id() + " left out: it is already a target");
                continue;
            }
            CrawlTarget before = series.putIfAbsent(t.seriesIdentity(), t);
            if (before != null) {
                problems.add("file_sd target " + t.id() + " left out: it would write the same series as " + before.id());
                continue;
            }
            ids.put(t.id(), t);
            all.add(t);
        }
        return List.copyOf(all);
    }

    /** What makes two targets write the same series: tenant and target labels. */
    private Map<String, String> seriesIdentity() {
        return Map.of("tenant", tenant, "labels", new TreeMap<>(labels).toString());
    }

    static CrawlTarget of(AggregateConfig a) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("job", a.job());
        labels.put("instance", instance(a.url()));
        labels.putAll(new TreeMap<>(a.labels()));
        StringBuilder id = new StringBuilder(a.kind()).append(' ').append(a.url());
        if (!a.labels().isEmpty()) {
            id.append(' ').append(new TreeMap<>(a.labels()));
        }
        if (!a.job().equals(a.kind())) {
            id.append(" job=").append(a.job());
        }
        return new CrawlTarget(id.toString(), a.kind(), a.url(), a.interval(), a.timeout(), Map.copyOf(labels),
                Map.copyOf(a.headers()), a.tenant(), a.tls());
    }

    /** {@code host:port} of a URL, with the scheme's default port when it names none (Prometheus' {@code instance}). */
    static String instance(URI url) {
        int port = url.getPort() != -1 ? url.getPort() : "https".equalsIgnoreCase(url.getScheme()) ? 443 : 80;
        String host = url.getHost() != null ? url.getHost() : url.getAuthority();
        return host + ":" + port;
    }

    /** The lease group of this target among {@code groups}: a stable hash of its id (CRC-32C), mod groups. */
    public int group(int groups) {
        return Math.floorMod(hash(), groups);
    }

    /**
     * Where in each interval slot the target is crawled, in ms from the slot's start: spread by the id's hash
     * over the first three quarters of the slot, so that many targets of one interval are not all crawled at the
     * same instant (as Prometheus spreads scrapes), and a crawl that starts a little late still starts in its slot.
     */
    public long offsetMs() {
        return Math.floorMod((long) Integer.rotateLeft(hash(), 13), Math.max(1, interval.toMillis() * 3 / 4));
    }

    private int hash() {
        CRC32C crc = new CRC32C();
        crc.update(id.getBytes(StandardCharsets.UTF_8));
        return (int) crc.getValue();
    }

    /** The interval slot that holds instant {@code ms}: slots are the target's interval, aligned to the epoch. */
    public long slotOf(long ms) {
        return Math.floorDiv(ms, interval.toMillis());
    }

    /** When slot {@code slot} starts, in ms since the epoch. */
    public long slotStartMs(long slot) {
        return slot * interval.toMillis();
    }

    /** When this target is due in slot {@code slot}. */
    public long dueMs(long slot) {
        return slotStartMs(slot) + offsetMs();
    }
}
