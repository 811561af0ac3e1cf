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
            new SampleLimits(100, 200, 2048), 1024, "test");

    @BeforeEach
    void serve() throws Exception {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        route("/good", "text/plain; version=0.0.4", false, "# TYPE a counter\na_total{job=\"own\"} 5\nb 1 1700000000000\n");
        route("/gzip", "text/plain; version=0.0.4", true, "c 3\n");
        route("/openmetrics", "application/openmetrics-text; version=1.0.0", false, "# TYPE d gauge\nd 2\n# EOF\n");
        route("/bad", "text/plain; version=0.0.4", false, "ok 1\nbad{job=\"x\" 1\n");
        route("/huge", "text/plain; version=0.0.4", false, "x 1\n".repeat(1000));
        route("/hugegzip", "text/plain; version=0.0.4", true, "x 1\n".repeat(1000));
        server.start();
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

    private CrawlResult crawl(String path) throws Exception {
        URI url = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
        CrawlTarget target = CrawlTarget.of(new AggregateConfig("prometheus", url, "locks", null, Duration.ofSeconds(15),
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
            assertThat(r.error()).as(path).contains("crawler.max_response_bytes (1024)");
            assertThat(named(r, "up").value()).isZero();
        }
    }

    @Test
    void shouldFailAnUnreachableTargetWithTheReason() throws Exception {
        server.stop(0);
        CrawlResult r = crawl("/good");
        assertThat(r.error()).contains("ConnectException");
        assertThat(named(r, "up").value()).isZero();
    }
}
