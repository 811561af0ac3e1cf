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
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Triggered crawls ({@code POST /api/v1/crawls}) through two real crawlers, ZooKeeper and Kafka. */
@Tag("integration")
class CrawlTriggerTest {

    private static final Pattern ID = Pattern.compile("\"id\":\"([0-9a-f]{32})\"");
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void shouldCrawlOnceWhenTheSameTriggerReachesEveryCrawlerManyTimes() throws Exception {
        String name = TestConfigs.uniqueName("trigger");
        try (MetricsStub stub = new MetricsStub(4); MetricsStub adHoc = new MetricsStub(7)) {
            List<String> targets = List.of("kind: prometheus, url: '" + stub.url(0) + "', labels: {target: t0}",
                    "kind: prometheus, url: '" + stub.url(1) + "', labels: {target: t1}");
            String zk = SharedCluster.zookeeper().connectString();
            CaimanConfig configA = ConfigLoader.parse(CrawlerServiceTest.config(name, zk, targets, "a"), "a.yaml");
            CaimanConfig configB = ConfigLoader.parse(CrawlerServiceTest.config(name, zk, targets, "b"), "b.yaml");
            try (CrawlerService a = new CrawlerService(configA); CrawlerService b = new CrawlerService(configB)) {
                a.start();
                b.start();
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                    assertThat(a.leases()).isNotEmpty();
                    assertThat(b.leases()).isNotEmpty();
                    assertThat(a.leases().size() + b.leases().size()).isEqualTo(4);
                });
                List<Integer> ports = List.of(a.httpPort(), b.httpPort());

                // the same request, three times to each crawler at once: one crawl, one id
                String body = "{\"idempotency_key\": \"deploy-4711\", \"url\": \"" + adHoc.url(5) + "\", "
                        + "\"labels\": {\"team\": \"web\"}, \"job\": \"adhoc\"}";
                List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    HttpRequest request = post(ports.get(i % 2), body);
                    sent.add(CompletableFuture.supplyAsync(() -> send(request)));
                }
                Set<String> ids = new HashSet<>();
                for (CompletableFuture<HttpResponse<String>> f : sent) {
                    HttpResponse<String> r = f.get();
                    assertThat(r.statusCode()).as(r.body()).isEqualTo(202);
                    String id = id(r.body());
                    assertThat(r.headers().firstValue("Location")).hasValue("/api/v1/crawls/" + id);
                    ids.add(id);
                }
                assertThat(ids).hasSize(1);
                String id = ids.iterator().next();

                // either crawler answers for it; the result comes from the holder of its lease group
                for (int port : ports) {
                    await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                        HttpResponse<String> r = get(port, "/api/v1/crawls/" + id);
                        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
                        assertThat(r.body()).contains("\"state\":\"succeeded\"", "\"up\":1", "\"samples\":10",
                                "\"idempotency_key\":\"deploy-4711\"", "\"team\":\"web\"", "\"error\":null");
                    });
                }
                // a retry after the crawl is done is the same crawl, not a new one
                HttpResponse<String> again = send(post(a.httpPort(), body));
                assertThat(again.statusCode()).isEqualTo(202);
                assertThat(again.body()).contains("\"id\":\"" + id + "\"", "\"state\":\"succeeded\"");
                assertThat(adHoc.requests(adHoc.url(5))).isEqualTo(1);

                // a configured target, by its URL, with the key in the header; a failing crawl is a result too
                HttpResponse<String> configured = send(HttpRequest.newBuilder(crawls(b.httpPort()))
                        .header("Idempotency-Key", "k-configured").POST(HttpRequest.BodyPublishers.ofString(
                                "{\"target\": \"" + stub.url(1) + "\"}")).build());
                assertThat(configured.statusCode()).as(configured.body()).isEqualTo(202);
                assertThat(configured.body()).contains("\"target\":\"prometheus " + stub.url(1) + " {target=t1}\"");
                HttpResponse<String> failing = send(post(a.httpPort(), "{\"idempotency_key\": \"k-fail\", \"url\": \""
                        + adHoc.failingUrl(2) + "\", \"kind\": \"http\"}"));
                assertThat(failing.statusCode()).as(failing.body()).isEqualTo(202);
                String failingId = id(failing.body());
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(
                        get(b.httpPort(), "/api/v1/crawls/" + failingId).body()).contains("\"state\":\"failed\"",
                        "\"up\":0", "\"error\":\"server returned HTTP status 500\""));

                // the same key for another target is refused; so are requests that say too little or too much
                assertError(post(b.httpPort(), "{\"idempotency_key\": \"deploy-4711\", \"url\": \"" + adHoc.url(6) + "\"}"),
                        409, "idempotency key deploy-4711 is crawl " + id);
                assertError(post(a.httpPort(), "{\"url\": \"" + adHoc.url(6) + "\"}"), 400, "an idempotency key is required");
                assertError(post(a.httpPort(), "{\"idempotency_key\": \"x\",\n \"url\": }"), 400, "not valid JSON",
                        "line 2");
                assertError(post(a.httpPort(), "{\"idempotency_key\": \"x\", \"target\": \"http://nowhere:1/metrics\"}"),
                        404, "no configured target has the id or URL http://nowhere:1/metrics");
                assertError(post(a.httpPort(), "{\"idempotency_key\": \"x\", \"url\": \"ftp://h/x\"}"), 400,
                        "absolute http or https URL");
                assertError(post(a.httpPort(), "{\"idempotency_key\": \"x\", \"url\": \"" + adHoc.url(6)
                        + "\", \"kind\": \"elasticsearchx\"}"), 400, "kind elasticsearchx cannot be crawled");
                assertError(post(a.httpPort(), "{\"idempotency_key\": \"x\", \"url\": \"" + adHoc.url(6)
                        + "\", \"headers\": {}}"), 400, "unknown field headers");
                HttpResponse<String> unknown = get(a.httpPort(), "/api/v1/crawls/" + "0".repeat(32));
                assertThat(unknown.statusCode()).isEqualTo(404);
                assertThat(unknown.body()).contains("never accepted");
                assertThat(a.registry().get("caiman_crawler_triggered_crawls").tag("state", "accepted").counter().count()
                        + b.registry().get("caiman_crawler_triggered_crawls").tag("state", "accepted").counter().count())
                        .isEqualTo(3);
            }

            // in the oplog: the ad-hoc crawl once, as a triggered crawl, with its labels
            String instance = URI.create(adHoc.url(5)).getAuthority();
            int ups = 0;
            for (ConsumerRecord<byte[], byte[]> r : TopicReader.readAll(SharedCluster.kafka().bootstrapServers(),
                    name + ".oplog")) {
                SeriesKey key = SeriesKey.parse(r.key());
                if (key.name().equals("up") && key.labels().get("instance").equals(instance)
                        && key.labels().get("job").equals("adhoc")) {
                    Sample s = Codecs.SAMPLE.decode(r.value());
                    assertThat(s.getOrigin().getProtocol()).isEqualTo("trigger");
                    assertThat(key.labels().get("team")).isEqualTo("web");
                    ups++;
                }
            }
            assertThat(ups).isEqualTo(1);
        }
    }

    @Test
    void shouldDoAnAcceptedCrawlAfterItsCrawlerLosesTheLeaseMidRequestAndWriteItOnce() throws Exception {
        String name = TestConfigs.uniqueName("trigger-lost");
        try (MetricsStub adHoc = new MetricsStub(3)) {
            String zk = SharedCluster.zookeeper().connectString();
            CaimanConfig config = ConfigLoader.parse(CrawlerServiceTest.config(name, zk, List.of(), "solo"), "solo.yaml");
            try (CrawlerService crawler = new CrawlerService(config)) {
                crawler.start();
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(crawler.leases()).hasSize(4));
                CountDownLatch release = adHoc.holdNext();
                HttpResponse<String> accepted = send(post(crawler.httpPort(), "{\"idempotency_key\": \"k-lost\", "
                        + "\"url\": \"" + adHoc.url(1) + "\", \"timeout\": \"30s\"}"));
                assertThat(accepted.statusCode()).as(accepted.body()).isEqualTo(202);
                String id = id(accepted.body());
                assertThat(adHoc.awaitHeld(10)).isTrue();
                // the crawler loses its session while the request is under way: that crawl must never be committed
                crawler.zookeeper().getZookeeperClient().getZooKeeper().getTestable().injectSessionExpiration();
                await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                        assertThat(crawler.registry().get("caiman_crawler_leases_lost").counter().count()).isPositive());
                // the next holder (here: the same crawler, on a new session) reads the promise from the ledger and crawls
                await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(
                        get(crawler.httpPort(), "/api/v1/crawls/" + id).body()).contains("\"state\":\"succeeded\""));
                release.countDown();
                Thread.sleep(1_000); // the first request's answer arrives, under a lease long gone
                assertThat(adHoc.requests(adHoc.url(1))).isEqualTo(2);
            }
            String instance = URI.create(adHoc.url(1)).getAuthority();
            long ups = TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog").stream()
                    .map(r -> SeriesKey.parse(r.key()))
                    .filter(k -> k.name().equals("up") && k.labels().get("instance").equals(instance)).count();
            assertThat(ups).isEqualTo(1);
        }
    }

    private static URI crawls(int port) {
        return URI.create("http://127.0.0.1:" + port + "/api/v1/crawls");
    }

    private static HttpRequest post(int port, String body) {
        return HttpRequest.newBuilder(crawls(port)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Sends, and sends again after Retry-After while the answer is 503 (leases moving), as a client should. */
    private HttpResponse<String> send(HttpRequest request) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        try {
            while (true) {
                HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 503 || System.nanoTime() > deadline) {
                    return r;
                }
                Thread.sleep(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()) * 1000);
            }
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private HttpResponse<String> get(int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private void assertError(HttpRequest request, int status, String... messages) throws Exception {
        HttpResponse<String> r = http.send(request, HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        assertThat(r.body()).contains("\"status\":\"error\"").contains(messages);
    }

    private static String id(String body) {
        Matcher m = ID.matcher(body);
        assertThat(m.find()).as(body).isTrue();
        return m.group(1);
    }
}
