package io.caiman.coordinator.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.caiman.core.config.CaimanConfig;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.model.SeriesKey;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.Sample;
import io.caiman.testing.MetricsStub;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.TopicReader;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("integration")
class CrawlerServiceTest {

    /** A config with an oplog cluster {@code name} and a sharedlock cluster {@code name-locks} with these targets. */
    static String config(String name, String zookeeper, List<String> targets, String node) {
        List<String> lines = new ArrayList<>(List.of(
                "clusters:",
                "  - {name: " + name + ", type: oplog, servers: [" + SharedCluster.kafka().bootstrapServers()
                        + "], partitions: 4, replica_factor: 1}",
                "  - {name: " + name + "-locks, type: sharedlock, servers: [" + zookeeper + "], oplog: " + name + "}",
                "zookeeper: {session_timeout: 1s, connection_timeout: 5s}",
                "crawler: {listen: 127.0.0.1:0, node: " + node + ", lease_groups: 4, commit_interval: 200ms}",
                "aggregate:"));
        for (String t : targets) {
            lines.add("  - {" + t + ", cluster: " + name + "-locks, interval: 2s, timeout: 1s}");
        }
        lines.add("");
        return String.join("\n", lines);
    }

    @Test
    @SuppressWarnings("try") // a leaves mid-test by its close()
    void shouldCrawlEverySlotOnceWhileTwoCrawlersShareTheTargetsAndOneLeaves() throws Exception {
        String name = TestConfigs.uniqueName("crawl");
        try (MetricsStub stub = new MetricsStub(5)) {
            List<String> targets = new ArrayList<>();
            for (int i = 0; i < 12; i++) {
                targets.add("kind: prometheus, url: '" + stub.url(i) + "', labels: {target: t" + i + "}");
            }
            targets.add("kind: prometheus, url: '" + stub.failingUrl(0) + "'");
            targets.add("kind: http, url: '" + stub.url(99) + "', labels: {team: web}");
            String zk = SharedCluster.zookeeper().connectString();
            CaimanConfig configA = ConfigLoader.parse(config(name, zk, targets, "a"), "a.yaml");
            CaimanConfig configB = ConfigLoader.parse(config(name, zk, targets, "b"), "b.yaml");
            HttpClient http = HttpClient.newHttpClient();
            double missed;
            try (CrawlerService a = new CrawlerService(configA); CrawlerService b = new CrawlerService(configB)) {
                a.start();
                b.start();
                // the groups are shared out, each crawler holding some
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    assertThat(a.leases()).isNotEmpty();
                    assertThat(b.leases()).isNotEmpty();
                    assertThat(a.leases()).doesNotContainAnyElementsOf(b.leases());
                });
                HttpResponse<String> peers = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + a.httpPort() + "/api/v1/cluster/peers")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(peers.statusCode()).isEqualTo(200);
                assertThat(peers.body()).contains("\"node\":\"a\"", "\"node\":\"b\"", "\"role\":\"crawler\"",
                        "\"state\":\"running\"");
                HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + b.httpPort() + "/-/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(ready.statusCode()).as(ready.body()).isEqualTo(200);

                Thread.sleep(7_000);
                a.close(); // leaves: its crawls under way are committed, its leases released and taken by b
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(b.leases()).hasSize(4));
                Thread.sleep(5_000);
                missed = a.registry().get("caiman_crawler_slots_missed").counter().count()
                        + b.registry().get("caiman_crawler_slots_missed").counter().count();
                assertThat(b.registry().get("caiman_crawler_crawls").tag("outcome", "failed").counter().count())
                        .isPositive();
            }

            List<CrawlAudit.TargetCrawls> audit = CrawlAudit.audit(configA, configA.requireCluster(name + "-locks"));
            assertThat(audit).hasSize(14);
            int gaps = 0;
            for (CrawlAudit.TargetCrawls t : audit) {
                assertThat(t.duplicates()).as("slots crawled twice of " + t.target().id()).isEmpty();
                assertThat(t.slots().size()).as("slots crawled of " + t.target().id()).isGreaterThanOrEqualTo(5);
                gaps += t.gaps().size();
            }
            assertThat((double) gaps).as("gaps in the oplog are all reported as missed slots").isLessThanOrEqualTo(missed);

            // what a crawl wrote: the target's samples with the target labels, and Prometheus' synthetic series
            List<String> keys = new ArrayList<>();
            List<Double> failedUp = new ArrayList<>();
            String failingInstance = URI.create(stub.failingUrl(0)).getAuthority();
            for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(SharedCluster.kafka().bootstrapServers(),
                    name + ".oplog")) {
                SeriesKey key = SeriesKey.parse(r.key());
                Sample s = Codecs.SAMPLE.decode(r.value());
                assertThat(s.getOrigin().getProtocol()).isEqualTo("crawl");
                keys.add(key.toString());
                if (key.name().equals("up") && failingInstance.equals(key.labels().get("instance"))
                        && key.labels().get("target").isEmpty() && key.labels().get("job").equals("prometheus")) {
                    failedUp.add(s.getValue());
                }
            }
            String instance = URI.create(stub.url(0)).getAuthority();
            assertThat(keys).contains(
                    "default/node_cpu_seconds_total{cpu=\"0\",exported_instance=\"stub\",instance=\"" + instance
                            + "\",job=\"prometheus\",mode=\"mode1\",target=\"t0\"}",
                    "default/scrape_samples_scraped{instance=\"" + instance + "\",job=\"prometheus\",target=\"t3\"}",
                    "default/probe_http_status_code{instance=\"" + instance + "\",job=\"http\",team=\"web\"}");
            assertThat(failedUp).isNotEmpty().containsOnly(0.0);
            assertThat(stub.requests(stub.url(0))).isGreaterThanOrEqualTo(5);
        }
    }

    @Test
    void shouldGiveUpItsLeasesWhenItsSessionExpiresAndCrawlOnAfterwardsWithoutADuplicate() throws Exception {
        String name = TestConfigs.uniqueName("crawl-expiry");
        try (MetricsStub stub = new MetricsStub(3)) {
            List<String> targets = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                targets.add("kind: prometheus, url: '" + stub.url(i) + "', labels: {target: t" + i + "}");
            }
            CaimanConfig config = ConfigLoader.parse(config(name, SharedCluster.zookeeper().connectString(), targets, "solo"),
                    "solo.yaml");
            try (CrawlerService crawler = new CrawlerService(config)) {
                crawler.start();
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                        crawler.registry().get("caiman_crawler_crawls").tag("outcome", "succeeded").counter().count())
                        .isGreaterThanOrEqualTo(6));
                List<Integer> leases = crawler.leases(); // every group that has targets
                // the session expires as it does when ZooKeeper stops hearing from a crawler for session_timeout
                crawler.zookeeper().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                        assertThat(crawler.registry().get("caiman_crawler_leases_lost").counter().count()).isPositive());
                // it reconnects with a new session, takes its leases again and goes on crawling
                double before = crawler.registry().get("caiman_crawler_crawls").tag("outcome", "succeeded").counter().count();
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
                    assertThat(crawler.leases()).isEqualTo(leases);
                    assertThat(crawler.registry().get("caiman_crawler_crawls").tag("outcome", "succeeded").counter().count())
                            .isGreaterThanOrEqualTo(before + 12);
                });
            }
            for (CrawlAudit.TargetCrawls t : CrawlAudit.audit(config, config.requireCluster(name + "-locks"))) {
                assertThat(t.duplicates()).as("slots crawled twice of " + t.target().id()).isEmpty();
            }
        }
    }

    @Test
    void shouldCrawlTheTargetsOfFileSdFilesAndFollowTheirChanges(@TempDir Path dir) throws Exception {
        String name = TestConfigs.uniqueName("crawl-filesd");
        try (MetricsStub stub = new MetricsStub(2)) {
            String address = URI.create(stub.url(0)).getAuthority();
            Path file = dir.resolve("targets.json");
            Files.writeString(file, groups(address, 0, 1));
            String yaml = config(name, SharedCluster.zookeeper().connectString(),
                    List.of("kind: prometheus, file_sd: ['" + dir + "/*.json'], labels: {source: sd}"), "sd")
                    .replace("commit_interval: 200ms}", "commit_interval: 200ms, file_sd_refresh_interval: 200ms}");
            CaimanConfig config = ConfigLoader.parse(yaml, "sd.yaml");
            try (CrawlerService crawler = new CrawlerService(config)) {
                crawler.start();
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    assertThat(stub.requests(stub.url(0))).isGreaterThanOrEqualTo(2);
                    assertThat(stub.requests(stub.url(1))).isGreaterThanOrEqualTo(2);
                });
                assertThat(crawler.registry().get("caiman_crawler_targets").gauge().value()).isEqualTo(2);

                // target 1 leaves, target 2 comes; a broken write in between changes nothing
                Files.writeString(file, "[{\"targets\": [");
                Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(java.time.Instant.now().plusSeconds(5)));
                await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(
                        crawler.registry().get("caiman_crawler_file_sd_problems").counter().count()).isEqualTo(1));
                Files.writeString(file, groups(address, 0, 2));
                Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(java.time.Instant.now().plusSeconds(10)));
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                        assertThat(stub.requests(stub.url(2))).isGreaterThanOrEqualTo(2));
                int gone = stub.requests(stub.url(1));
                int kept = stub.requests(stub.url(0));
                Thread.sleep(4_500); // two more intervals
                assertThat(stub.requests(stub.url(1))).as("a target no longer listed is not crawled").isEqualTo(gone);
                assertThat(stub.requests(stub.url(0))).as("a target still listed goes on").isGreaterThanOrEqualTo(kept + 2);
            }
            List<CrawlAudit.TargetCrawls> audit = CrawlAudit.audit(config, config.requireCluster(name + "-locks"));
            assertThat(audit).hasSize(2); // the targets listed now: 0 and 2
            for (CrawlAudit.TargetCrawls t : audit) {
                assertThat(t.duplicates()).isEmpty();
                assertThat(t.slots()).hasSizeGreaterThanOrEqualTo(2);
            }
            List<String> keys = new ArrayList<>();
            TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog")
                    .forEach(r -> keys.add(SeriesKey.parse(r.key()).toString()));
            assertThat(keys).contains("default/up{instance=\"" + address + "\",job=\"prometheus\",source=\"sd\",target=\"t2\"}");
        }
    }

    /** A file_sd document with one group per stub target (each has its own path), labelled target=t<n>. */
    private static String groups(String address, int... targets) {
        List<String> groups = new ArrayList<>();
        for (int n : targets) {
            groups.add("{\"targets\": [\"" + address + "\"], \"labels\": {\"__metrics_path__\": \"/target/" + n
                    + "\", \"target\": \"t" + n + "\"}}");
        }
        return "[" + String.join(",\n ", groups) + "]\n";
    }
}
