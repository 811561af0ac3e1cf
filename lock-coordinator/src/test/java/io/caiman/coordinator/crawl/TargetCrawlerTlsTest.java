package io.caiman.coordinator.crawl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import io.caiman.core.config.AggregateConfig;
import io.caiman.core.config.ClientTls;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.http.ClientSsl;
import io.caiman.core.wire.SampleLimits;
import io.caiman.error.CaimanException;
import io.caiman.testing.TestTls;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Crawls of HTTPS targets with the TLS settings of Prometheus' tls_config, against a real TLS server. */
class TargetCrawlerTlsTest {

    @TempDir
    static Path dir;
    private static Path[] server;
    private static Path[] client;
    private static HttpsServer https;
    private static HttpsServer mutual;
    private final TargetCrawler crawler = new TargetCrawler(TargetCrawler.newHttpClient(Duration.ofSeconds(5)),
            new SampleLimits(100, 200, 2048), 1 << 20, "test");

    @BeforeAll
    static void serve() throws Exception {
        server = TestTls.selfSigned(dir, "server");
        client = TestTls.selfSigned(dir, "client");
        https = start(false);
        mutual = start(true);
    }

    /** An HTTPS server with the server certificate; with {@code clientAuth}, one that wants the client's. */
    private static HttpsServer start(boolean clientAuth) throws Exception {
        HttpsServer s = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        SSLContext context = ClientSsl.context(new ClientTls(clientAuth ? client[0].toString() : null,
                server[0].toString(), server[1].toString(), false)); // the same machinery, from the server's side
        s.setHttpsConfigurator(new HttpsConfigurator(context) {
            @Override
            public void configure(HttpsParameters params) {
                SSLParameters p = context.getDefaultSSLParameters();
                p.setNeedClientAuth(clientAuth);
                params.setSSLParameters(p);
            }
        });
        s.createContext("/metrics", exchange -> {
            byte[] body = "tls_up 1\n".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        s.start();
        return s;
    }

    @AfterAll
    static void stop() {
        https.stop(0);
        mutual.stop(0);
    }

    private CrawlResult crawl(HttpsServer s, ClientTls tls) throws Exception {
        URI url = URI.create("https://127.0.0.1:" + s.getAddress().getPort() + "/metrics");
        CrawlTarget target = CrawlTarget.of(new AggregateConfig("prometheus", url, "locks", null, Duration.ofSeconds(15),
                Duration.ofSeconds(3), "tls", Map.of(), Map.of(), "default", List.of(), tls));
        return crawler.crawl(target, 1, 1_000).get(10, TimeUnit.SECONDS);
    }

    @Test
    void shouldTrustTheConfiguredCaAndOnlyIt() throws Exception {
        CrawlResult untrusted = crawl(https, ClientTls.DEFAULT);
        assertThat(untrusted.succeeded()).isFalse();
        assertThat(untrusted.error()).containsIgnoringCase("SSLHandshakeException");

        CrawlResult trusted = crawl(https, new ClientTls(server[0].toString(), null, null, false));
        assertThat(trusted.error()).isNull();
        assertThat(trusted.samples()).anySatisfy(s -> assertThat(s.name()).isEqualTo("tls_up"));

        assertThat(crawl(https, new ClientTls(client[0].toString(), null, null, false)).succeeded())
                .as("another CA's certificate").isFalse();
        assertThat(crawl(https, new ClientTls(null, null, null, true)).error()).as("insecure_skip_verify").isNull();
    }

    @Test
    void shouldPresentTheClientCertificateToATargetThatWantsOne() throws Exception {
        assertThat(crawl(mutual, new ClientTls(server[0].toString(), null, null, false)).succeeded())
                .as("no client certificate").isFalse();
        CrawlResult shown = crawl(mutual, new ClientTls(server[0].toString(), client[0].toString(), client[1].toString(), false));
        assertThat(shown.error()).isNull();
    }

    @Test
    void shouldRefuseToStartWithATlsFileItCannotRead() {
        var config = ConfigLoader.parse(String.join("\n",
                "clusters:",
                "  - {name: m, type: oplog, servers: ['127.0.0.1:9092']}",
                "  - {name: locks, type: sharedlock, servers: ['127.0.0.1:2181'], oplog: m}",
                "aggregate:",
                "  - {kind: prometheus, cluster: locks, url: 'https://a:1/metrics'}",
                "  - {kind: prometheus, cluster: locks, url: 'https://b:1/metrics', tls_ca_file: " + dir.resolve("none.pem") + "}",
                ""), "c.yaml");
        assertThatThrownBy(() -> TargetCrawler.checkTls(config, "locks")).isInstanceOf(CaimanException.class)
                .hasMessageContaining("aggregate[1]: cannot read the CA file " + dir.resolve("none.pem"));
        assertThatThrownBy(() -> ConfigLoader.parse(String.join("\n",
                "clusters:",
                "  - {name: m, type: oplog, servers: ['127.0.0.1:9092']}",
                "  - {name: locks, type: sharedlock, servers: ['127.0.0.1:2181'], oplog: m}",
                "aggregate:",
                "  - {kind: prometheus, cluster: locks, url: 'https://a:1/metrics', tls_cert_file: c.pem}",
                ""), "c.yaml")).hasMessageContaining("aggregate[0].tls_cert_file was c.pem but needs tls_key_file too");
    }
}
