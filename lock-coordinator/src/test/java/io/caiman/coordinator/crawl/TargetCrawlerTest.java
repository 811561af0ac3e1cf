package io.caiman.coordinator.crawl;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.caiman.core.config.AggregateConfig;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Bad answers fail one crawl with a reason that names what and where (up = 0), and never the crawler. */
class TargetCrawlerTest {

    private HttpServer server;
    private final TargetCrawler crawler = new TargetCrawler(TargetCrawler.newHttpClient(Duration.ofSeconds(5)),
            new SampleLimits(100, 200, 2048), 2048, "test");

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        route("/good", "text/plain; version=0.0.4", false, "# TYPE a counter\na_total{job=\"own\"} 5\nb 1 1700000000000\n");
        route("/gzip", "text/plain; version=0.0.4", true, "c 3\n");
        route("/openmetrics", "application/openmetrics-text; version=1.0.0", false, "# TYPE d gauge\nd 2\n# EOF\n");
        route("/bad", "text/plain; version=0.0.4", false, "ok 1\nbad{job=\"x\" 1\n");
        route("/huge", "text/plain; version=0.0.4", false, "x 1\n".repeat(1000));
        route("/hugegzip", "text/plain; version=0.0.4", true, "x 1\n".repeat(1000));
        route("/es/_cluster/health", "application/json", false, ES_HEALTH);
        route("/es/_nodes/stats", "application/json", false, ES_NODE_STATS);
        route("/es-broken/_cluster/health", "application/json", false, ES_HEALTH);
        route("/es-broken/_nodes/stats", "application/json", false, "{\"nodes\": {\"x\": ");
        stalling("/stall");
        route("/es-stall/_cluster/health", "application/json", false, ES_HEALTH);
        stalling("/es-stall/_nodes/stats");
        server.start();
    }

    /** Sends its headers and the first line of a longer body, then nothing (as an exporter stuck mid-answer does). */
    private void stalling(String path) {
        server.createContext(path, exchange -> {
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, 1000);
            OutputStream out = exchange.getResponseBody();
            out.write("up_soon 1\n".getBytes(StandardCharsets.UTF_8));
            out.flush();
            try {
                Thread.sleep(8_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            exchange.close();
        });
    }

    private void route(String path, String contentType, boolean gzip, String text) {
        server.createContext(path, exchange -> {
            byte[] body = text.getBytes(StandardCharsets.UTF_8);
            if (gzip) {
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                try (GZIPOutputStream z = new GZIPOutputStream(out)) {
                    z.write(body);
                }
                body = out.toByteArray();
                exchange.getResponseHeaders().set("Content-Encoding", "gzip");
            }
            exchange.getResponseHeaders().set("Content-Type", contentType);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    /** Elasticsearch 8's answers, cut down to what is read (and one field from another version's, left alone). */
    static final String ES_HEALTH = """
            {"cluster_name": "logs", "status": "yellow", "timed_out": false, "number_of_nodes": 2,
             "number_of_data_nodes": 2, "active_primary_shards": 11, "active_shards": 20, "relocating_shards": 0,
             "initializing_shards": 0, "unassigned_shards": 2, "delayed_unassigned_shards": 0,
             "number_of_pending_tasks": 0, "number_of_in_flight_fetch": 0, "task_max_waiting_in_queue_millis": 0,
             "active_shards_percent_as_number": 90.9090909090909}
            """;
    static final String ES_NODE_STATS = """
            {"_nodes": {"total": 1, "successful": 1, "failed": 0}, "cluster_name": "logs", "nodes": {
              "aB3dE": {"name": "es-1", "host": "10.0.0.5", "ip": "10.0.0.5:9300",
                "indices": {"docs": {"count": 1200, "deleted": 3}, "store": {"size_in_bytes": 5242880},
                  "indexing": {"index_total": 4000, "index_time_in_millis": 1500},
                  "search": {"query_total": 300, "query_time_in_millis": 250}, "segments": {"count": 40}},
                "os": {"cpu": {"percent": 7, "load_average": {"1m": 0.42}}},
                "process": {"open_file_descriptors": 512, "cpu": {"percent": 3}},
                "jvm": {"mem": {"heap_used_in_bytes": 268435456, "heap_committed_in_bytes": 536870912,
                    "heap_max_in_bytes": 1073741824, "non_heap_used_in_bytes": 134217728},
                  "gc": {"collectors": {"young": {"collection_count": 12, "collection_time_in_millis": 340},
                    "old": {"collection_count": 1, "collection_time_in_millis": 25}}}},
                "thread_pool": {"search": {"threads": 7, "queue": 0, "active": 1, "rejected": 5}},
                "fs": {"total": {"total_in_bytes": 107374182400, "free_in_bytes": 53687091200,
                  "available_in_bytes": 48318382080}},
                "transport": {"rx_size_in_bytes": 9000, "tx_size_in_bytes": 8000},
                "breakers": {"parent": {"estimated_size_in_bytes": 300000000, "tripped": 0}}}}}
            """;

    private CrawlResult crawl(String path) throws Exception {
        return crawl("prometheus", path);
    }

    private CrawlResult crawl(String kind, String path) throws Exception {
        return crawl(kind, URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path));
    }

    private CrawlResult crawl(String kind, URI url) throws Exception {
        CrawlTarget target = CrawlTarget.of(new AggregateConfig(kind, url, "locks", null, Duration.ofSeconds(15),
                Duration.ofSeconds(2), "node", Map.of(), Map.of(), "default", java.util.List.of(),
                io.caiman.core.config.ClientTls.DEFAULT));
        return crawler.crawl(target, 7, 1_000).get(10, TimeUnit.SECONDS);
    }

    private static ParsedSample named(CrawlResult r, String name) {
        return r.samples().stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void shouldAddTheTargetLabelsKeepTheOwnAsExportedAndStampTheCrawlTime() throws Exception {
        CrawlResult r = crawl("/good");
        assertThat(r.error()).isNull();
        ParsedSample a = named(r, "a_total");
        assertThat(a.labels().get("job")).isEqualTo("node");
        assertThat(a.labels().get("exported_job")).isEqualTo("own");
        assertThat(a.labels().get("instance")).isEqualTo("127.0.0.1:" + server.getAddress().getPort());
        assertThat(a.timestampMs()).isEqualTo(1_000L);
        assertThat(named(r, "b").timestampMs()).isEqualTo(1_700_000_000_000L); // its own timestamp is kept
        assertThat(named(r, "up").value()).isEqualTo(1);
        assertThat(named(r, "scrape_samples_scraped").value()).isEqualTo(2);
    }

    @Test
    void shouldReadGzipAndOpenMetricsByTheirHeaders() throws Exception {
        assertThat(named(crawl("/gzip"), "c").value()).isEqualTo(3);
        assertThat(named(crawl("/openmetrics"), "d").value()).isEqualTo(2);
    }

    @Test
    void shouldFailTheWholeCrawlOnAParseErrorNamingLineAndColumn() throws Exception {
        CrawlResult r = crawl("/bad");
        assertThat(r.error()).contains("Prometheus text").contains("line 2");
        assertThat(r.samples()).extracting(ParsedSample::name)
                .containsExactlyInAnyOrder("up", "scrape_duration_seconds", "scrape_samples_scraped");
        assertThat(named(r, "up").value()).isZero();
        assertThat(named(r, "scrape_samples_scraped").value()).isZero();
    }

    @Test
    void shouldFailAnAnswerOverTheLimitPlainOrUnzipped() throws Exception {
        for (String path : List.of("/huge", "/hugegzip")) {
            CrawlResult r = crawl(path);
            assertThat(r.error()).as(path).contains("crawler.max_response_bytes (2048)");
            assertThat(named(r, "up").value()).isZero();
        }
    }

    @Test
    void shouldFailACrawlWhoseAnswerStallsAfterItsHeadersWithinTheTimeout() throws Exception {
        for (String[] c : new String[][] {{"prometheus", "/stall"}, {"elasticsearch", "/es-stall"}}) {
            long t0 = System.nanoTime();
            CrawlResult r = crawl(c[0], c[1]);
            assertThat(Duration.ofNanos(System.nanoTime() - t0)).as(c[1]).isBetween(Duration.ofMillis(1_900),
                    Duration.ofSeconds(5));
            assertThat(r.error()).as(c[1]).isEqualTo("the answer did not arrive whole within the timeout of 2000 ms");
            assertThat(named(r, "up").value()).isZero();
        }
    }

    @Test
    void shouldFailAnUnreachableTargetWithTheReason() throws Exception {
        server.stop(0);
        CrawlResult r = crawl("/good");
        assertThat(r.error()).startsWith("cannot connect to 127.0.0.1:").endsWith(" (refused or unreachable)");
        assertThat(named(r, "up").value()).isZero();
        // a reserved name (RFC 2606): no resolver knows it
        CrawlResult unknown = crawl("prometheus", URI.create("http://no-such-host.invalid/metrics"));
        assertThat(unknown.error()).isEqualTo("unknown host no-such-host.invalid");
    }

    @Test
    void shouldTurnElasticsearchHealthAndNodeStatsIntoElasticsearchExporterMetrics() throws Exception {
        CrawlResult r = crawl("elasticsearch", "/es");
        assertThat(r.error()).isNull();
        List<String> series = r.samples().stream().map(x -> x.name() + x.labels() + " " + x.value()).toList();
        assertThat(series).contains(
                "elasticsearch_cluster_health_status{cluster=\"logs\",color=\"yellow\",instance=\"127.0.0.1:"
                        + server.getAddress().getPort() + "\",job=\"node\"} 1.0",
                "elasticsearch_cluster_health_status{cluster=\"logs\",color=\"green\",instance=\"127.0.0.1:"
                        + server.getAddress().getPort() + "\",job=\"node\"} 0.0");
        assertThat(named(r, "elasticsearch_cluster_health_unassigned_shards").value()).isEqualTo(2);
        assertThat(named(r, "elasticsearch_cluster_health_active_shards_percent_as_number").value()).isBetween(90.9, 91.0);
        ParsedSample heap = r.samples().stream().filter(x -> x.name().equals("elasticsearch_jvm_memory_used_bytes")
                && x.labels().get("area").equals("heap")).findFirst().orElseThrow();
        assertThat(heap.value()).isEqualTo(268435456);
        assertThat(heap.labels().get("name")).isEqualTo("es-1");
        assertThat(heap.labels().get("es_node_id")).isEqualTo("aB3dE");
        assertThat(heap.timestampMs()).isEqualTo(1_000L);
        ParsedSample gc = r.samples().stream().filter(x -> x.name().equals("elasticsearch_jvm_gc_collection_seconds_sum")
                && x.labels().get("gc").equals("young")).findFirst().orElseThrow();
        assertThat(gc.value()).isEqualTo(0.34);
        assertThat(named(r, "elasticsearch_thread_pool_rejected_count").value()).isEqualTo(5);
        assertThat(named(r, "elasticsearch_filesystem_data_available_bytes").value()).isEqualTo(48318382080d);
        assertThat(named(r, "elasticsearch_indices_docs").value()).isEqualTo(1200);
        assertThat(named(r, "up").value()).isEqualTo(1);
        assertThat(named(r, "scrape_samples_scraped").value()).isEqualTo(r.samples().size() - 3);
    }

    @Test
    void shouldFailAnElasticsearchCrawlWhenEitherAnswerIsMissingOrBroken() throws Exception {
        CrawlResult broken = crawl("elasticsearch", "/es-broken");
        assertThat(broken.error()).contains("_nodes/stats answered not valid JSON");
        assertThat(named(broken, "up").value()).isZero();
        CrawlResult missing = crawl("elasticsearch", "/nothing");
        assertThat(missing.error()).contains("GET /nothing/_cluster/health: server returned HTTP status 404");
        assertThat(missing.samples()).hasSize(3);
    }
}
