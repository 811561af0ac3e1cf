package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.caiman.schemas.oplog.Sample;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporterBuilder;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import java.io.ByteArrayOutputStream;
import java.lang.reflect.Method;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * OTLP/HTTP through the gateway with the OpenTelemetry Java SDK's own exporter as the client (protobuf and
 * JSON, gzip): metric and label naming as Prometheus' OTLP receiver gives them, the resource as job and
 * instance, the tenant header, partial success for delta temporality, and errors in OTLP's shapes.
 */
@Tag("integration")
class OtlpIngestTest {

    static TestGateway gateway;

    @BeforeAll
    static void start() {
        gateway = TestGateway.start("otlp");
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static final Resource RESOURCE = Resource.create(Attributes.of(
            AttributeKey.stringKey("service.name"), "checkout",
            AttributeKey.stringKey("service.instance.id"), "pod-1",
            AttributeKey.stringKey("host.name"), "node-7"));

    /** Records the same instruments on a fresh SDK exporting through {@code configure}, and flushes once. */
    static CompletableResultCode export(String scope, UnaryOperator<OtlpHttpMetricExporterBuilder> configure) {
        OtlpHttpMetricExporter exporter = configure.apply(OtlpHttpMetricExporter.builder()
                .setEndpoint(gateway.base + "/v1/metrics").setTimeout(Duration.ofSeconds(20))).build();
        SdkMeterProvider provider = SdkMeterProvider.builder().setResource(RESOURCE)
                .registerMetricReader(PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
                .build();
        try {
            Meter meter = provider.get(scope);
            meter.counterBuilder(scope + ".requests").setUnit("{request}").build()
                    .add(5, Attributes.of(AttributeKey.stringKey("http.method"), "GET"));
            var histogram = meter.histogramBuilder(scope + ".duration").setUnit("s")
                    .setExplicitBucketBoundariesAdvice(List.of(0.1, 1.0)).build();
            histogram.record(0.05);
            histogram.record(0.5);
            histogram.record(3);
            meter.gaugeBuilder(scope + ".memory.usage").setUnit("By").ofLongs().buildWithCallback(m -> m.record(4096));
            meter.upDownCounterBuilder(scope + ".queue.size").build().add(-2);
            CompletableResultCode flushed = provider.forceFlush();
            flushed.join(30, TimeUnit.SECONDS);
            return flushed;
        } finally {
            provider.close();
        }
    }

    @Test
    void shouldTakeMetricsFromTheOpenTelemetrySdkExporterNamedAsPrometheusNamesThem() {
        CompletableResultCode result = export("shop", b -> b.setCompression("gzip").addHeader("X-Scope-OrgID", "team-a"));
        assertThat(result.isSuccess()).as("the exporter's flush").isTrue();

        Map<String, List<Sample>> oplog = gateway.oplog();
        String id = "instance=\"pod-1\",job=\"checkout\"";
        // the flush, then the provider's close, each export the cumulative state
        assertThat(oplog.get("team-a/shop_requests_total{http_method=\"GET\"," + id + "}"))
                .isNotEmpty().allSatisfy(s -> {
                    assertThat(s.getValue()).isEqualTo(5.0);
                    assertThat(s.getOrigin().getProtocol()).isEqualTo("otlp");
                    assertThat(s.getTimestampMs()).isCloseTo(System.currentTimeMillis(), org.assertj.core.data.Offset.offset(60_000L));
                });
        assertThat(oplog.get("team-a/shop_duration_seconds_bucket{" + id + ",le=\"0.1\"}").get(0).getValue()).isEqualTo(1.0);
        assertThat(oplog.get("team-a/shop_duration_seconds_bucket{" + id + ",le=\"1\"}").get(0).getValue()).isEqualTo(2.0);
        assertThat(oplog.get("team-a/shop_duration_seconds_bucket{" + id + ",le=\"+Inf\"}").get(0).getValue()).isEqualTo(3.0);
        assertThat(oplog.get("team-a/shop_duration_seconds_sum{" + id + "}").get(0).getValue()).isEqualTo(3.55);
        assertThat(oplog.get("team-a/shop_duration_seconds_count{" + id + "}").get(0).getValue()).isEqualTo(3.0);
        assertThat(oplog.get("team-a/shop_memory_usage_bytes{" + id + "}").get(0).getValue()).isEqualTo(4096.0);
        assertThat(oplog.get("team-a/shop_queue_size{" + id + "}").get(0).getValue()).isEqualTo(-2.0);
        assertThat(oplog.get("team-a/target_info{host_name=\"node-7\"," + id + "}").get(0).getValue()).isEqualTo(1.0);
    }

    /** OTLP/JSON as the SDK writes it (its JSON switch is package-private in 1.68, so it is reached by reflection). */
    @Test
    void shouldTakeOtlpJsonFromTheSdkExporter() {
        CompletableResultCode result = export("jsonshop", b -> {
            try {
                Method json = OtlpHttpMetricExporterBuilder.class.getDeclaredMethod("exportAsJson");
                json.setAccessible(true);
                return (OtlpHttpMetricExporterBuilder) json.invoke(b);
            } catch (ReflectiveOperationException e) {
                throw new AssertionError("the SDK's exporter has no exportAsJson any more", e);
            }
        });
        assertThat(result.isSuccess()).as("the exporter's flush").isTrue();
        Map<String, List<Sample>> oplog = gateway.oplog();
        assertThat(oplog.get("default/jsonshop_requests_total{http_method=\"GET\",instance=\"pod-1\",job=\"checkout\"}")
                .get(0).getValue()).isEqualTo(5.0);
        assertThat(oplog.get("default/jsonshop_duration_seconds_count{instance=\"pod-1\",job=\"checkout\"}")
                .get(0).getValue()).isEqualTo(3.0);
    }

    @Test
    void shouldRefuseDeltaTemporalityAndTellTheExporterNotToRetry() {
        // everything delta except the gauge: a partial success; the SDK logs it and does not retry
        CompletableResultCode result = export("delta", b -> b.setAggregationTemporalitySelector(
                AggregationTemporalitySelector.deltaPreferred()));
        assertThat(result.isSuccess()).isTrue();
        Map<String, List<Sample>> oplog = gateway.oplog();
        assertThat(oplog).containsKey("default/delta_memory_usage_bytes{instance=\"pod-1\",job=\"checkout\"}");
        assertThat(oplog.keySet()).noneMatch(k -> k.startsWith("default/delta_requests"))
                .noneMatch(k -> k.startsWith("default/delta_duration"));
    }

    static Metric gauge(String name, double value) {
        return Metric.newBuilder().setName(name).setGauge(Gauge.newBuilder().addDataPoints(
                NumberDataPoint.newBuilder().setAsDouble(value).setTimeUnixNano(1_700_000_000_000_000_000L))).build();
    }

    static Metric deltaSum(String name) {
        return Metric.newBuilder().setName(name).setSum(Sum.newBuilder().setIsMonotonic(true)
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                .addDataPoints(NumberDataPoint.newBuilder().setAsInt(1))
                .addDataPoints(NumberDataPoint.newBuilder().setAsInt(2))).build();
    }

    static byte[] request(Metric... metrics) {
        return ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
                .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics)))).build().toByteArray();
    }

    static HttpResponse<byte[]> post(String path, String contentType, byte[] body, String... headers) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(gateway.base + path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            b.headers(headers);
        }
        return TestGateway.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    @Test
    void shouldAnswerAPartialSuccessWithTheCountAndTheReason() throws Exception {
        HttpResponse<byte[]> answer = post("/opentelemetry/v1/metrics", "application/x-protobuf",
                request(gauge("partial.ok", 1), deltaSum("partial.delta")));
        assertThat(answer.statusCode()).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
        ExportMetricsServiceResponse response = ExportMetricsServiceResponse.parseFrom(answer.body());
        assertThat(response.getPartialSuccess().getRejectedDataPoints()).isEqualTo(2);
        assertThat(response.getPartialSuccess().getErrorMessage())
                .contains("metric partial.delta (sum): delta temporality is not accepted");
        assertThat(gateway.oplog()).containsKey("default/partial_ok");

        // all good: an empty response message
        HttpResponse<byte[]> ok = post("/v1/metrics", "application/x-protobuf", request(gauge("full.ok", 1)));
        assertThat(ok.statusCode()).isEqualTo(200);
        assertThat(ExportMetricsServiceResponse.parseFrom(ok.body()).hasPartialSuccess()).isFalse();
    }

    @Test
    void shouldTakeGzippedJsonAndAnswerInJson() throws Exception {
        String json = "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"json.temp\",\"unit\":\"Cel\","
                + "\"gauge\":{\"dataPoints\":[{\"asDouble\":21.5,\"timeUnixNano\":\"1700000000000000000\"}]}},"
                + "{\"name\":\"json.delta\",\"sum\":{\"aggregationTemporality\":1,\"isMonotonic\":true,"
                + "\"dataPoints\":[{\"asInt\":\"3\"}]}}]}]}]}";
        ByteArrayOutputStream gz = new ByteArrayOutputStream();
        try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
            out.write(json.getBytes(StandardCharsets.UTF_8));
        }
        HttpResponse<byte[]> answer = post("/v1/metrics", "application/json", gz.toByteArray(), "Content-Encoding", "gzip");
        String body = new String(answer.body(), StandardCharsets.UTF_8);
        assertThat(answer.statusCode()).as(body).isEqualTo(200);
        assertThat(answer.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(body).startsWith("{\"partialSuccess\":{\"rejectedDataPoints\":\"1\",\"errorMessage\":\"partial write: 1 data point of ");
        Sample s = gateway.oplog().get("default/json_temp_celsius").get(0);
        assertThat(s.getValue()).isEqualTo(21.5);
        assertThat(s.getTimestampMs()).isEqualTo(1_700_000_000_000L);
    }

    @Test
    void shouldAnswerErrorsAsGoogleRpcStatusInTheRequestsEncoding() throws Exception {
        HttpResponse<byte[]> garbage = post("/v1/metrics", "application/x-protobuf", new byte[] {0x0a, (byte) 0xff, 1});
        assertThat(garbage.statusCode()).isEqualTo(400);
        assertThat(garbage.headers().firstValue("Content-Type")).hasValue("application/x-protobuf");
        CodedInputStream in = CodedInputStream.newInstance(garbage.body());
        int code = -1;
        String message = null;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1 -> code = in.readInt32();
                case 2 -> message = in.readString();
                default -> in.skipField(tag);
            }
        }
        assertThat(code).isEqualTo(3); // INVALID_ARGUMENT
        assertThat(message).contains("not a valid protobuf ExportMetricsServiceRequest");

        HttpResponse<byte[]> allDelta = post("/v1/metrics", "application/json",
                "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"d\",\"sum\":{\"aggregationTemporality\":1,\"dataPoints\":[{\"asInt\":\"1\"}]}}]}]}]}"
                        .getBytes(StandardCharsets.UTF_8));
        assertThat(allDelta.statusCode()).isEqualTo(400);
        assertThat(new String(allDelta.body(), StandardCharsets.UTF_8)).startsWith("{\"code\":3,\"message\":\"1 error in "
                + "the OTLP metrics request; nothing of this request was written:\\nmetric d (sum): delta temporality");

        HttpResponse<byte[]> text = post("/v1/metrics", "text/plain", "x".getBytes(StandardCharsets.UTF_8));
        assertThat(text.statusCode()).isEqualTo(415);
        assertThat(new String(text.body(), StandardCharsets.UTF_8)).contains("send application/x-protobuf or application/json");
    }
}
