package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.influxdb.client.InfluxDBClient;
import com.influxdb.client.InfluxDBClientFactory;
import com.influxdb.client.domain.WritePrecision;
import com.influxdb.exceptions.UnauthorizedException;
import io.caiman.core.config.ConfigLoader;
import io.caiman.core.http.PemKeyStore;
import io.caiman.error.CaimanException;
import io.caiman.gateway.http.Credentials;
import io.caiman.testing.TestTls;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The gateway with an auth file and an HTTPS listener: credentials decide the tenant (bearer, Influx's Token
 * and u/p, basic), missing or wrong ones get 401 with a challenge, a tenant header the credentials do not
 * cover gets 403, nothing refused is written; HTTPS serves a PEM certificate, which real clients verify.
 */
@Tag("integration")
class AuthAndTlsTest {

    static final String TOKEN_A = "token-for-team-a-0123456789";
    static final String TOKEN_OTEL = "token-for-otel-0123456789ab";

    @TempDir
    static Path dir;
    static TestGateway gateway;
    static String https;
    static HttpClient trusting;
    static SSLContext trust;
    static X509TrustManager trustManager;

    @BeforeAll
    static void start() throws Exception {
        Path auth = dir.resolve("auth.yaml");
        Files.writeString(auth, String.join("\n",
                "users:",
                "  - tenant: team-a",
                "    bearer_token: " + TOKEN_A,
                "  - tenant: team-b",
                "    username: telegraf",
                "    password: s3cret-b",
                "  - tenant: otel",
                "    bearer_token: " + TOKEN_OTEL,
                ""));
        Path[] pem = TestTls.selfSigned(dir, "gw");
        gateway = TestGateway.start("auth", String.join("\n",
                "  - protocol: http",
                "    listen: 127.0.0.1:0",
                "    cluster: $CLUSTER",
                "    tls_cert_file: '" + pem[0] + "'",
                "    tls_key_file: '" + pem[1] + "'",
                ""), "gateway:\n  auth_file: '" + auth + "'\n");
        https = "https://127.0.0.1:" + gateway.service.ports().get(1);
        KeyStore trusted = KeyStore.getInstance("PKCS12");
        trusted.load(null, null);
        trusted.setCertificateEntry("caiman", PemKeyStore.load(pem[0], pem[1]).getCertificate("caiman"));
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trusted);
        trustManager = (X509TrustManager) tmf.getTrustManagers()[0];
        trust = SSLContext.getInstance("TLS");
        trust.init(null, tmf.getTrustManagers(), null);
        trusting = HttpClient.newBuilder().sslContext(trust).build();
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static HttpResponse<String> post(HttpClient client, String url, String body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void shouldDeliverEvery401WhileTheClientIsStillSending() throws Exception {
        // a megabyte is still on its way when the gateway refuses it; answering then closing lets the client's
        // kernel see a reset that can destroy the 401 before the client reads it
        byte[] body = "auth_big 1\n".repeat(100_000).getBytes(StandardCharsets.UTF_8);
        String url = gateway.base + "/api/v1/import/prometheus";
        for (int i = 0; i < 30; i++) {
            HttpResponse<String> r = TestGateway.HTTP.send(HttpRequest.newBuilder(URI.create(url))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("round %d", i).isEqualTo(401);
            assertThat(r.body()).contains("this gateway requires credentials");
        }
    }

    @Test
    void shouldWriteAsTheCredentialsTenantAndRefuseEverythingElse() throws Exception {
        String url = gateway.base + "/api/v1/import/prometheus";
        assertThat(post(TestGateway.HTTP, url, "auth_ok 1\n", "Authorization", "Bearer " + TOKEN_A).statusCode()).isEqualTo(204);
        // the tenant header may repeat the credentials' tenant
        assertThat(post(TestGateway.HTTP, url, "auth_same 1\n", "Authorization", "Bearer " + TOKEN_A,
                "X-Scope-OrgID", "team-a").statusCode()).isEqualTo(204);
        String basic = "Basic " + Base64.getEncoder().encodeToString("telegraf:s3cret-b".getBytes(StandardCharsets.UTF_8));
        assertThat(post(TestGateway.HTTP, url, "auth_basic 1\n", "Authorization", basic).statusCode()).isEqualTo(204);

        HttpResponse<String> none = post(TestGateway.HTTP, url, "auth_none 1\n");
        assertThat(none.statusCode()).isEqualTo(401);
        assertThat(none.headers().firstValue("WWW-Authenticate")).hasValue(Credentials.CHALLENGE);
        // refused before the body was parsed, which was read and thrown away: the connection serves the next request
        assertThat(none.headers().firstValue("Connection")).isEmpty();
        assertThat(none.body()).contains("this gateway requires credentials");
        assertThat(post(TestGateway.HTTP, url, "auth_wrong 1\n", "Authorization", "Bearer not-a-token").statusCode())
                .isEqualTo(401);
        String wrongPassword = "Basic " + Base64.getEncoder().encodeToString("telegraf:nope".getBytes(StandardCharsets.UTF_8));
        assertThat(post(TestGateway.HTTP, url, "auth_wrong 1\n", "Authorization", wrongPassword).statusCode()).isEqualTo(401);
        HttpResponse<String> other = post(TestGateway.HTTP, url, "auth_other 1\n", "Authorization", "Bearer " + TOKEN_A,
                "X-Scope-OrgID", "team-b");
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.body()).contains("these credentials write to tenant team-a, not to team-b");

        // health and metrics stay open, as on every Prometheus-ecosystem process
        assertThat(TestGateway.HTTP.send(HttpRequest.newBuilder(URI.create(gateway.base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body())
                .contains("caiman_gateway_samples_rejected_total{protocol=\"prometheus-text\",reason=\"unauthorized\"}");

        var oplog = gateway.oplog();
        assertThat(oplog.keySet()).contains("team-a/auth_ok", "team-a/auth_same", "team-b/auth_basic")
                .noneMatch(k -> k.contains("auth_none") || k.contains("auth_wrong") || k.contains("auth_other"));
    }

    @Test
    void shouldTakeTheInfluxClientsCredentials() {
        try (InfluxDBClient client = InfluxDBClientFactory.create(gateway.base, TOKEN_A.toCharArray(), "o", "b")) {
            client.getWriteApiBlocking().writeRecord(WritePrecision.S, "authinflux v=1 1700000000");
        }
        try (InfluxDBClient client = InfluxDBClientFactory.create(gateway.base, "wrong-token".toCharArray(), "o", "b")) {
            assertThatThrownBy(() -> client.getWriteApiBlocking().writeRecord(WritePrecision.S, "authinflux v=2 1700000000"))
                    .isInstanceOf(UnauthorizedException.class);
        }
        try (org.influxdb.InfluxDB v1 = org.influxdb.InfluxDBFactory.connect(gateway.base, "telegraf", "s3cret-b")) {
            v1.write("db", "autogen", org.influxdb.dto.Point.measurement("authinflux1").addField("v", 3.0)
                    .time(1700000000L, TimeUnit.SECONDS).build());
        }
        var oplog = gateway.oplog();
        assertThat(oplog.get("team-a/authinflux_v")).singleElement().satisfies(s -> assertThat(s.getValue()).isEqualTo(1.0));
        assertThat(oplog).containsKey("team-b/authinflux1_v");
    }

    @Test
    void shouldServeHttpsWithThePemCertificate() throws Exception {
        HttpResponse<String> ok = post(trusting, https + "/api/v1/import/prometheus", "tls_ok 1\n",
                "Authorization", "Bearer " + TOKEN_A);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(204);
        assertThat(trusting.send(HttpRequest.newBuilder(URI.create(https + "/-/ready")).build(),
                HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
        // a client that does not trust the certificate does not get through
        assertThatThrownBy(() -> post(HttpClient.newHttpClient(), https + "/api/v1/import/prometheus", "tls_no 1\n"))
                .isInstanceOf(SSLHandshakeException.class);

        assertThat(gateway.oplog()).containsKey("team-a/tls_ok");
    }

    @Test
    void shouldSendTheOtelExporterOverHttpsWithAToken() {
        OtlpHttpMetricExporter exporter = OtlpHttpMetricExporter.builder().setEndpoint(https + "/v1/metrics")
                .setSslContext(trust, trustManager).addHeader("Authorization", "Bearer " + TOKEN_OTEL).build();
        SdkMeterProvider provider = SdkMeterProvider.builder()
                .setResource(Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), "secure")))
                .registerMetricReader(PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
                .build();
        try {
            provider.get("s").counterBuilder("tls.requests").build().add(2);
            CompletableResultCode flushed = provider.forceFlush();
            flushed.join(30, TimeUnit.SECONDS);
            assertThat(flushed.isSuccess()).isTrue();
        } finally {
            provider.close();
        }
        assertThat(gateway.oplog()).containsKey("otel/tls_requests_total{job=\"secure\"}");
    }

    @Test
    void shouldRefuseABadAuthFileListingEveryProblem() {
        assertThatThrownBy(() -> Credentials.parse(String.join("\n",
                "users:",
                "  - tenant: a",
                "    bearer_token: short",
                "  - tenant: 'bad tenant'",
                "    username: u",
                "    password: p",
                "  - tenant: b",
                "    username: u",
                "    password: p2",
                "  - tenant: c",
                "  - tenant: d",
                "    bearer_token: " + TOKEN_A,
                "    colour: blue",
                ""), "auth.yaml"))
                .isInstanceOf(CaimanException.class)
                .hasMessageContaining("5 problems in the gateway's auth file")
                .hasMessageContaining("auth.yaml: users[0].bearer_token is shorter than 16 characters")
                .hasMessageContaining("auth.yaml: users[1].tenant tenant 'bad tenant' has ' ' at position 4")
                .hasMessageContaining("auth.yaml: users[2].username u is already used by an earlier entry")
                .hasMessageContaining("auth.yaml: users[3] must have either bearer_token, or username and password")
                .hasMessageContaining("auth.yaml: users[4].colour is not a known setting")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void shouldRefuseTlsSettingsThatDoNotGoTogether() {
        String yaml = io.caiman.testing.TestConfigs.oplog("tlscheck", 1, "unused").replace("    cluster: tlscheck\n",
                "    cluster: tlscheck\n    tls_cert_file: /x.pem\n  - protocol: tcp\n    listen: 127.0.0.1:0\n"
                        + "    cluster: tlscheck\n    tls_cert_file: /c.pem\n    tls_key_file: /k.pem\n");
        assertThatThrownBy(() -> ConfigLoader.parse(yaml, "t.yaml"))
                .hasMessageContaining("entrypoints[0].tls_cert_file")
                .hasMessageContaining("needs tls_key_file beside it")
                .hasMessageContaining("entrypoints[1].tls_cert_file")
                .hasMessageContaining("is for http listeners only");
        assertThatThrownBy(() -> PemKeyStore.load(Path.of("/nonexistent/cert.pem"), Path.of("/nonexistent/key.pem")))
                .isInstanceOf(CaimanException.class).hasMessageContaining("cannot read the TLS certificate /nonexistent/cert.pem");
    }
}
