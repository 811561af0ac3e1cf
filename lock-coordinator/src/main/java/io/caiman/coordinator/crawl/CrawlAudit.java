package io.caiman.coordinator.crawl;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ClusterConfig;
import io.caiman.core.kafka.KafkaClients;
import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Checks guarantee 4 on the oplog itself: reads it to its end ({@code read_committed}) and counts, for every
 * target of a sharedlock cluster, the crawls of each interval slot, by the {@code up} sample each scheduled crawl
 * writes (triggered crawls are not in slots).
 * The fault tests and the crawl benchmark judge crawlers by it; it knows nothing of how crawlers coordinate.
 */
public final class CrawlAudit {

    /**
     * The crawls of one target.
     *
     * @param slots slot to how many crawls of it are in the oplog, in slot order
     */
    public record TargetCrawls(CrawlTarget target, TreeMap<Long, Integer> slots) {

        /** Slots crawled more than once: must be empty. */
        public List<Long> duplicates() {
            return slots.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).toList();
        }

        /** Slots between the first and the last crawled one that have no crawl. */
        public List<Long> gaps() {
            List<Long> gaps = new ArrayList<>();
            if (slots.isEmpty()) {
                return gaps;
            }
            for (long s = slots.firstKey(); s <= slots.lastKey(); s++) {
                if (!slots.containsKey(s)) {
                    gaps.add(s);
                }
            }
            return gaps;
        }
    }

    private CrawlAudit() {}

    /** Every target of {@code sharedlock} (configured, and in its file_sd files now) with its crawls in the oplog. */
    public static List<TargetCrawls> audit(CaimanConfig config, ClusterConfig sharedlock) {
        ClusterConfig oplog = config.requireCluster(sharedlock.oplog());
        Map<ByteBuffer, TargetCrawls> byKey = new HashMap<>();
        List<TargetCrawls> all = new ArrayList<>();
        FileSd fileSd = new FileSd(config, sharedlock.name());
        fileSd.refresh();
        for (CrawlTarget t : CrawlTarget.withDiscovered(CrawlTarget.of(config, sharedlock.name()), fileSd.targets(),
                new ArrayList<>())) {
            TargetCrawls crawls = new TargetCrawls(t, new TreeMap<>());
            byKey.put(ByteBuffer.wrap(SeriesKey.of(t.tenant(), "up", Labels.of(t.labels()), config.replicaLabels()).bytes()),
                    crawls);
            all.add(crawls);
        }
        try (KafkaConsumer<byte[], byte[]> consumer = KafkaClients.newReader(config, oplog, "caiman-crawl-audit")) {
            List<TopicPartition> partitions = consumer.partitionsFor(oplog.oplogTopic(), Duration.ofSeconds(30)).stream()
                    .map(p -> new TopicPartition(oplog.oplogTopic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("could not read " + oplog.oplogTopic() + " to its end within 2 minutes");
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    TargetCrawls crawls = byKey.get(ByteBuffer.wrap(r.key()));
                    if (crawls != null) {
                        Sample s = Codecs.SAMPLE.decode(r.value());
                        if (!s.getOrigin().getProtocol().equals("crawl")) {
                            continue; // a triggered crawl ("trigger"), outside the slots
                        }
                        crawls.slots().merge(crawls.target().slotOf(s.getTimestampMs()), 1, Integer::sum);
                    }
                }
            }
        }
        return all;
    }
}
