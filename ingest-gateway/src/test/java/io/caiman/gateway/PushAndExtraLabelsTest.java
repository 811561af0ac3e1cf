package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.schemas.oplog.Sample;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.exporter.pushgateway.Format;
import io.prometheus.metrics.exporter.pushgateway.PushGateway;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Pushgateway-style pushes from the Prometheus Java client, and extra_label on the text import. */
@Tag("integration")
class PushAndExtraLabelsTest {

    static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start("push");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static Map<String, Sample> oplog() {
        return gateway.latest();
    }

    static HttpResponse<String> send(String method, String path, String body) throws Exception {
        return gateway.send(method, path, body);
    }

    @Test
    void shouldTakeAPushFromThePrometheusJavaClientWithItsGroupingKey() throws Exception {
        PrometheusRegistry registry = new PrometheusRegistry();
        Counter.builder().name("batch_records_processed").help("records").register(registry).inc(42);
        Gauge.builder().name("batch_last_success_seconds").help("last success").register(registry).set(1.7e9);
        PushGateway push = PushGateway.builder().address("127.0.0.1:" + gateway.port()).job("nightly")
                .groupingKey("instance", "batch host/1").registry(registry).format(Format.PROMETHEUS_TEXT).build();
        push.push();    // PUT
        push.pushAdd(); // POST
        Map<String, Sample> oplog = oplog();
        assertThat(oplog).containsKey("default/batch_records_processed_total{instance=\"batch host/1\",job=\"nightly\"}");
        assertThat(oplog.get("default/batch_last_success_seconds{instance=\"batch host/1\",job=\"nightly\"}").getValue())
                .isEqualTo(1.7e9);
        assertThat(oplog.get("default/batch_last_success_seconds{instance=\"batch host/1\",job=\"nightly\"}")
                .getOrigin().getProtocol()).isEqualTo("pushgateway");
        // the client's default, the protobuf exposition format: the same series, with a summary's and a
        // histogram's series made as Prometheus makes them
        io.prometheus.metrics.core.metrics.Histogram.builder().name("batch_duration_seconds").help("d")
                .classicUpperBounds(0.5, 1.0).register(registry).observe(0.7);
        io.prometheus.metrics.core.metrics.Summary.builder().name("batch_size_bytes").help("s").register(registry)
                .observe(100);
        PushGateway protobuf = PushGateway.builder().address("127.0.0.1:" + gateway.port()).job("protojob")
                .registry(registry).build();
        protobuf.push();
        oplog = oplog();
        assertThat(oplog.get("default/batch_records_processed_total{job=\"protojob\"}").getValue()).isEqualTo(42.0);
        assertThat(oplog.get("default/batch_records_processed_total{job=\"protojob\"}").getMetricType())
                .isEqualTo(io.caiman.schemas.oplog.MetricType.COUNTER);
        assertThat(oplog.get("default/batch_last_success_seconds{job=\"protojob\"}").getValue()).isEqualTo(1.7e9);
        assertThat(oplog.get("default/batch_duration_seconds_bucket{job=\"protojob\",le=\"0.5\"}").getValue()).isEqualTo(0.0);
        assertThat(oplog.get("default/batch_duration_seconds_bucket{job=\"protojob\",le=\"1\"}").getValue()).isEqualTo(1.0);
        assertThat(oplog.get("default/batch_duration_seconds_bucket{job=\"protojob\",le=\"+Inf\"}").getValue()).isEqualTo(1.0);
        assertThat(oplog.get("default/batch_duration_seconds_sum{job=\"protojob\"}").getValue()).isEqualTo(0.7);
        assertThat(oplog.get("default/batch_size_bytes_count{job=\"protojob\"}").getValue()).isEqualTo(1.0);
        assertThat(oplog.get("default/batch_size_bytes_sum{job=\"protojob\"}").getValue()).isEqualTo(100.0);
    }

    @Test
    void shouldRefuseAGroupingLabelThatContradictsTheBodyAndBadPaths() throws Exception {
        HttpResponse<String> conflict = send("PUT", "/metrics/job/a", "m{job=\"b\"} 1\n");
        assertThat(conflict.statusCode()).isEqualTo(400);
        assertThat(conflict.body()).contains("line 1, column 1: sample m has job=\"b\" but the request's grouping key says job=\"a\"");
        assertThat(send("PUT", "/metrics/job/a/instance", "m 1\n").statusCode()).isEqualTo(400);
        assertThat(send("PUT", "/metrics/job/", "m 1\n").body()).contains("must name a job");
        assertThat(send("POST", "/metrics/job/a/bad-name/x", "m 1\n").body()).contains("label name 'bad-name'");
        assertThat(send("DELETE", "/metrics/job/a", "").statusCode()).isEqualTo(405);
        // base64 segments, as Pushgateway reads them
        assertThat(send("PUT", "/metrics/job@base64/L3Zhci90bXA", "b64_probe 1\n").statusCode()).isEqualTo(200);
        assertThat(oplog()).containsKey("default/b64_probe{job=\"/var/tmp\"}");
        // values are read from the path as sent: '+' is a plus, %2F a slash of the value, %25 a percent sign
        assertThat(send("PUT", "/metrics/job/a+b/path/%2Fvar%2Ftmp/pct/50%25/note/%C3%A9t%C3%A9", "raw_probe 1\n")
                .statusCode()).isEqualTo(200);
        assertThat(oplog()).containsKey(
                "default/raw_probe{job=\"a+b\",note=\"\u00e9t\u00e9\",path=\"/var/tmp\",pct=\"50%\"}");
        assertThat(send("PUT", "/metrics/job/x/empty@base64/=", "empty_probe 1\n").statusCode()).isEqualTo(200);
        assertThat(oplog()).containsKey("default/empty_probe{job=\"x\"}"); // an empty value is no label
        // bytes that are not UTF-8 are refused, never replaced
        HttpResponse<String> notUtf8 = send("PUT", "/metrics/job/x/v/a%FFb", "m 1\n");
        assertThat(notUtf8.statusCode()).isEqualTo(400);
        assertThat(notUtf8.body()).contains("the value of v is not valid UTF-8: 0xFF (its byte 1)");
        assertThat(send("PUT", "/metrics/job/x/v@base64/_w", "m 1\n").body()) // base64 of the byte 0xFF
                .contains("the value of v is not valid UTF-8: 0xFF (its byte 0)");
        // the gateway's own /metrics is still there
        assertThat(TestGateway.HTTP.send(HttpRequest.newBuilder(URI.create(gateway.base + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body()).contains("caiman_gateway_requests_total");
    }

    @Test
    void shouldAddExtraLabelsToTheTextImportReplacingTheSamplesOwn() throws Exception {
        HttpResponse<String> r = send("POST", "/api/v1/import/prometheus?extra_label=env=prod&extra_label=dc=eu1",
                "extra_probe{dc=\"us1\",x=\"1\"} 5\n");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
        assertThat(oplog()).containsKey("default/extra_probe{dc=\"eu1\",env=\"prod\",x=\"1\"}");
        HttpResponse<String> bad = send("POST", "/api/v1/import/prometheus?extra_label=1x=2", "y 1\n");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(bad.body()).contains("label name '1x'");
        HttpResponse<String> notUtf8 = send("POST", "/api/v1/import/prometheus?extra_label=env=%FF", "y 1\n");
        assertThat(notUtf8.statusCode()).isEqualTo(400); // never a label of U+FFFD
        assertThat(notUtf8.body()).contains("the query parameter extra_label is not valid UTF-8: 0xFF (its byte 4)");
        assertThat(oplog()).doesNotContainKey("default/y");
    }

    @Test
    void shouldAnswer429WithRetryAfterWhenATenantIsOverItsRate() throws Exception {
        try (TestGateway limited = TestGateway.start("limited", "",
                "gateway:\n  tenant_sample_rate: 5\n  tenant_sample_rates: {unlimited: 0}\n")) {
            String five = "a 1\nb 2\nc 3\nd 4\ne 5\n";
            assertThat(limited.send("POST", "/api/v1/import/prometheus", five).statusCode()).isEqualTo(204);
            HttpResponse<String> over = limited.send("POST", "/api/v1/import/prometheus", five);
            assertThat(over.statusCode()).isEqualTo(429);
            assertThat(over.headers().firstValue("Retry-After")).hasValue("1");
            assertThat(over.body()).contains("tenant default is over its limit of 5 samples/s (gateway.tenant_sample_rate)");
            for (int i = 0; i < 3; i++) {
                assertThat(limited.send("POST", "/api/v1/import/prometheus", five, "X-Scope-OrgID", "unlimited")
                        .statusCode()).isEqualTo(204);
            }
            assertThat(limited.oplog()).containsKey("unlimited/e");
        }
    }
}
