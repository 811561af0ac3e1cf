package io.caiman.core.wire.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.otlp.OtlpMetricsParser.Encoding;
import io.caiman.core.wire.otlp.OtlpMetricsParser.Kind;
import io.caiman.schemas.oplog.MetricType;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OtlpMetricsParserTest {

    static final long T_NANOS = 1_700_000_000_123_456_789L;
    static final long T_MS = 1_700_000_000_123L;

    final OtlpMetricsParser parser = new OtlpMetricsParser(new SampleLimits(16, 200, 2048));

    @ParameterizedTest(name = "{0} [{1}] {2} -> {3}")
    @CsvSource(delimiter = '|', nullValues = "NONE", textBlock = """
            system.filesystem.usage | By        | GAUGE     | system_filesystem_usage_bytes
            http.server.duration    | ms        | HISTOGRAM | http_server_duration_milliseconds
            http.server.request.duration | s    | HISTOGRAM | http_server_request_duration_seconds
            requests.count          | 1         | COUNTER   | requests_count_total
            cpu.utilization         | 1         | GAUGE     | cpu_utilization_ratio
            speed                   | m/s       | GAUGE     | speed_meters_per_second
            requests                | 1/s       | GAUGE     | requests_per_second
            packets                 | {packets} | COUNTER   | packets_total
            io                      | By/{op}   | COUNTER   | io_bytes_total
            foo_total               | ''        | COUNTER   | foo_total
            foo.total.bar           | ''        | COUNTER   | foo_bar_total
            queue.size              | ''        | UP_DOWN   | queue_size
            latency_seconds         | s         | HISTOGRAM | latency_seconds
            3rd.thing               | ''        | GAUGE     | _3rd_thing
            a..b__c                 | ''        | GAUGE     | a_b_c
            temp                    | Cel       | GAUGE     | temp_celsius
            odd                     | foo-bar   | GAUGE     | odd_foo_bar
            """)
    void shouldNameMetricsAsPrometheusOtlpReceiverDoes(String name, String unit, Kind kind, String expected) {
        assertThat(OtlpMetricsParser.name(name, unit == null ? "" : unit, kind)).isEqualTo(expected);
    }

    @Test
    void shouldNameLabelsAsPrometheusOtlpReceiverDoes() {
        assertThat(OtlpMetricsParser.labelName("http.method")).isEqualTo("http_method");
        assertThat(OtlpMetricsParser.labelName("123invalid")).isEqualTo("key_123invalid");
        assertThat(OtlpMetricsParser.labelName("_private")).isEqualTo("key_private");
        assertThat(OtlpMetricsParser.labelName("__reserved__")).isEqualTo("__reserved__");
        assertThat(OtlpMetricsParser.labelName("région")).isEqualTo("r_gion");
        assertThat(OtlpMetricsParser.labelName("")).isNull();
        assertThat(OtlpMetricsParser.labelName("...")).isNull();
    }

    @Test
    void shouldFormatFloatsAsGoDoes() {
        assertThat(io.caiman.core.wire.Numbers.format(0.005)).isEqualTo("0.005");
        assertThat(io.caiman.core.wire.Numbers.format(1000)).isEqualTo("1000");
        assertThat(io.caiman.core.wire.Numbers.format(1e-7)).isEqualTo("0.0000001");
        assertThat(io.caiman.core.wire.Numbers.format(2.5e21)).isEqualTo("2500000000000000000000");
        assertThat(io.caiman.core.wire.Numbers.format(0)).isEqualTo("0");
        assertThat(io.caiman.core.wire.Numbers.format(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
    }

    static KeyValue attr(String key, String value) {
        return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    }

    static KeyValue attr(String key, AnyValue value) {
        return KeyValue.newBuilder().setKey(key).setValue(value).build();
    }

    static ResourceMetrics resource(List<KeyValue> attributes, Metric... metrics) {
        return ResourceMetrics.newBuilder().setResource(Resource.newBuilder().addAllAttributes(attributes))
                .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics))).build();
    }

    static NumberDataPoint point(double value, KeyValue... attributes) {
        return NumberDataPoint.newBuilder().setAsDouble(value).setTimeUnixNano(T_NANOS).addAllAttributes(List.of(attributes))
                .build();
    }

    static Map<String, ParsedSample> bySeries(ParseResult result) {
        return result.samples().stream().collect(Collectors.toMap(s -> s.name() + s.labels(), s -> s));
    }

    @Test
    void shouldTranslateEveryKindWithTheResourceAsJobAndInstance() {
        Metric gauge = Metric.newBuilder().setName("process.memory.usage").setUnit("By")
                .setGauge(Gauge.newBuilder().addDataPoints(NumberDataPoint.newBuilder().setAsInt(4096)
                        .setTimeUnixNano(T_NANOS).addAttributes(attr("memory.type", "heap")))).build();
        Metric counter = Metric.newBuilder().setName("http.requests").setUnit("{request}")
                .setSum(Sum.newBuilder().setIsMonotonic(true)
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                        .addDataPoints(point(7, attr("http.method", "GET"), attr("job", "overridden")))).build();
        Metric upDown = Metric.newBuilder().setName("queue.size")
                .setSum(Sum.newBuilder().setIsMonotonic(false)
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                        .addDataPoints(point(-3))).build();
        Metric histogram = Metric.newBuilder().setName("http.server.duration").setUnit("s")
                .setHistogram(Histogram.newBuilder()
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                        .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T_NANOS).setCount(10).setSum(2.5)
                                .addAllExplicitBounds(List.of(0.1, 1.0)).addAllBucketCounts(List.of(4L, 5L, 1L)))).build();
        Metric summary = Metric.newBuilder().setName("rpc.latency").setUnit("ms")
                .setSummary(Summary.newBuilder().addDataPoints(SummaryDataPoint.newBuilder().setTimeUnixNano(T_NANOS)
                        .setCount(3).setSum(30)
                        .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(9))
                        .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.99).setValue(20))))
                .build();
        ExportMetricsServiceRequest request = ExportMetricsServiceRequest.newBuilder().addResourceMetrics(resource(
                List.of(attr("service.name", "checkout"), attr("service.namespace", "shop"),
                        attr("service.instance.id", "pod-1"), attr("host.name", "node-7"),
                        attr("k8s.ports", AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
                                .addValues(AnyValue.newBuilder().setIntValue(80))
                                .addValues(AnyValue.newBuilder().setStringValue("x\"y"))).build())),
                gauge, counter, upDown, histogram, summary)).build();

        ParseResult result = parser.translate(request);

        assertThat(result.errors()).isEmpty();
        Map<String, ParsedSample> s = bySeries(result);
        String id = "instance=\"pod-1\",job=\"shop/checkout\"";
        assertThat(s.keySet()).containsExactlyInAnyOrder(
                "process_memory_usage_bytes{" + id + ",memory_type=\"heap\"}",
                "http_requests_total{http_method=\"GET\"," + id + "}",
                "queue_size{" + id + "}",
                "http_server_duration_seconds_bucket{" + id + ",le=\"0.1\"}",
                "http_server_duration_seconds_bucket{" + id + ",le=\"1\"}",
                "http_server_duration_seconds_bucket{" + id + ",le=\"+Inf\"}",
                "http_server_duration_seconds_sum{" + id + "}",
                "http_server_duration_seconds_count{" + id + "}",
                "rpc_latency_milliseconds{" + id + ",quantile=\"0.5\"}",
                "rpc_latency_milliseconds{" + id + ",quantile=\"0.99\"}",
                "rpc_latency_milliseconds_sum{" + id + "}",
                "rpc_latency_milliseconds_count{" + id + "}",
                "target_info{host_name=\"node-7\"," + id + ",k8s_ports=\"[80,\\\"x\\\\\\\"y\\\"]\"}");
        assertThat(s.get("process_memory_usage_bytes{" + id + ",memory_type=\"heap\"}").value()).isEqualTo(4096);
        assertThat(s.get("process_memory_usage_bytes{" + id + ",memory_type=\"heap\"}").timestampMs()).isEqualTo(T_MS);
        assertThat(s.get("http_requests_total{http_method=\"GET\"," + id + "}").type()).isEqualTo(MetricType.COUNTER);
        assertThat(s.get("queue_size{" + id + "}").type()).isEqualTo(MetricType.GAUGE);
        assertThat(s.get("queue_size{" + id + "}").value()).isEqualTo(-3);
        // OTLP counts per bucket; Prometheus' buckets are cumulative
        assertThat(s.get("http_server_duration_seconds_bucket{" + id + ",le=\"0.1\"}").value()).isEqualTo(4);
        assertThat(s.get("http_server_duration_seconds_bucket{" + id + ",le=\"1\"}").value()).isEqualTo(9);
        assertThat(s.get("http_server_duration_seconds_bucket{" + id + ",le=\"+Inf\"}").value()).isEqualTo(10);
        assertThat(s.get("http_server_duration_seconds_sum{" + id + "}").value()).isEqualTo(2.5);
        assertThat(s.get("http_server_duration_seconds_count{" + id + "}").type()).isEqualTo(MetricType.HISTOGRAM);
        assertThat(s.get("rpc_latency_milliseconds{" + id + ",quantile=\"0.99\"}").value()).isEqualTo(20);
        assertThat(s.get("rpc_latency_milliseconds_count{" + id + "}").type()).isEqualTo(MetricType.SUMMARY);
        ParsedSample info = result.samples().stream().filter(x -> x.name().equals("target_info")).findFirst().orElseThrow();
        assertThat(info.value()).isEqualTo(1);
        assertThat(info.timestampMs()).isEqualTo(T_MS);
    }

    @Test
    void shouldRefuseDeltaAndExponentialHistogramsPointByPointAndKeepTheRest() {
        Metric delta = Metric.newBuilder().setName("jobs.done")
                .setSum(Sum.newBuilder().setIsMonotonic(true)
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                        .addDataPoints(point(1)).addDataPoints(point(2)).addDataPoints(point(3))).build();
        Metric exponential = Metric.newBuilder().setName("sizes")
                .setExponentialHistogram(ExponentialHistogram.newBuilder()
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                        .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setCount(1))).build();
        Metric badBuckets = Metric.newBuilder().setName("h")
                .setHistogram(Histogram.newBuilder()
                        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                        .addDataPoints(HistogramDataPoint.newBuilder().addExplicitBounds(1).addBucketCounts(1))).build();
        Metric good = Metric.newBuilder().setName("up").setGauge(Gauge.newBuilder().addDataPoints(point(1))).build();
        ParseResult result = parser.translate(ExportMetricsServiceRequest.newBuilder()
                .addResourceMetrics(resource(List.of(), delta, exponential, badBuckets, good)).build());

        assertThat(result.samples()).extracting(ParsedSample::name).containsExactly("up");
        assertThat(result.refused()).isEqualTo(5);
        assertThat(result.errors()).extracting(Object::toString).containsExactly(
                "metric jobs.done (sum): delta temporality is not accepted; configure the exporter for cumulative "
                        + "temporality (OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=cumulative) (3 data points)",
                "metric sizes: exponential histograms are Prometheus native histograms, which Caiman does not store; "
                        + "send explicit-bucket histograms",
                "metric h, data point 1: 1 bucket counts for 1 explicit bounds; there must be one more count than bounds");
    }

    @Test
    void shouldTurnNoRecordedValueIntoAStaleMarker() {
        Metric gauge = Metric.newBuilder().setName("temp").setGauge(Gauge.newBuilder().addDataPoints(
                NumberDataPoint.newBuilder().setTimeUnixNano(T_NANOS)
                        .setFlags(DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE))).build();
        ParseResult result = parser.translate(ExportMetricsServiceRequest.newBuilder()
                .addResourceMetrics(resource(List.of(), gauge)).build());
        assertThat(Double.doubleToRawLongBits(result.samples().get(0).value())).isEqualTo(0x7ff0000000000002L);
    }

    @Test
    void shouldJoinAttributesThatBecomeTheSameLabelAndDropEmptyOnes() {
        Metric gauge = Metric.newBuilder().setName("g").setGauge(Gauge.newBuilder().addDataPoints(
                point(1, attr("a-b", "2"), attr("a.b", "1"), attr("empty", "")))).build();
        ParseResult result = parser.translate(ExportMetricsServiceRequest.newBuilder()
                .addResourceMetrics(resource(List.of(), gauge)).build());
        assertThat(result.samples().get(0).labels()).isEqualTo(Labels.of("a_b", "2;1"));
    }

    @Test
    void shouldRefuseASeriesOverTheLimits() {
        Metric gauge = Metric.newBuilder().setName("g").setGauge(Gauge.newBuilder()
                .addDataPoints(point(1, attr("big", "x".repeat(3000)))).addDataPoints(point(2))).build();
        ParseResult result = parser.translate(ExportMetricsServiceRequest.newBuilder()
                .addResourceMetrics(resource(List.of(), gauge)).build());
        assertThat(result.samples()).hasSize(1);
        assertThat(result.errors()).singleElement().asString()
                .startsWith("metric g, data point 1: the value of label big is 3000 characters");
    }

    @Test
    void shouldRefuseAHistogramPointOnceAndWholeWhenOneOfItsSeriesBreaksALimit() {
        KeyValue[] sixteen = new KeyValue[16];
        for (int i = 0; i < sixteen.length; i++) {
            sixteen[i] = attr("a" + i, "v");
        }
        Metric histograms = Metric.newBuilder().setName("h").setHistogram(Histogram.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                // no buckets, one over-long value: every series of the point breaks the limit
                .addDataPoints(HistogramDataPoint.newBuilder().setCount(1).addAttributes(attr("big", "x".repeat(3000))))
                // 16 labels are allowed, but the bucket series' le makes 17
                .addDataPoints(HistogramDataPoint.newBuilder().setCount(1).addAllAttributes(List.of(sixteen))
                        .addExplicitBounds(1).addBucketCounts(1).addBucketCounts(0))
                .addDataPoints(HistogramDataPoint.newBuilder().setCount(2).setSum(3))).build();
        ParseResult result = parser.translate(ExportMetricsServiceRequest.newBuilder()
                .addResourceMetrics(resource(List.of(), histograms)).build());
        assertThat(result.refused()).isEqualTo(2);
        assertThat(result.errors()).extracting(Object::toString).containsExactly(
                "metric h, data point 1: the value of label big is 3000 characters; the limit is 2048 "
                        + "(gateway.max_label_value_length)",
                "metric h, data point 2: series h_bucket has 17 labels; the limit is 16 (gateway.max_labels_per_series)");
        // only the third point's series, all of them
        assertThat(result.samples()).extracting(x -> x.name() + x.labels())
                .containsExactly("h_bucket{le=\"+Inf\"}", "h_sum{}", "h_count{}");
    }

    /** OTLP/JSON as the specification's example writes it: enums as numbers, 64-bit integers as strings, hex ids. */
    @Test
    void shouldReadOtlpJson() {
        String json = """
                {"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
                  "scopeMetrics":[{"scope":{"name":"lib","version":"1.0"},"metrics":[
                    {"name":"my.counter","unit":"1","description":"I am a Counter","sum":{"aggregationTemporality":2,
                      "isMonotonic":true,"dataPoints":[{"asDouble":5,"startTimeUnixNano":"1544712660300000000",
                      "timeUnixNano":"1544712660300000000","attributes":[{"key":"my.key","value":{"intValue":"42"}}],
                      "exemplars":[{"timeUnixNano":"1544712660300000000","asDouble":5,
                        "traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174"}]}]}},
                    {"name":"my.gauge","unit":"1","gauge":{"dataPoints":[{"asInt":"10","timeUnixNano":"1544712660300000000"}]}}
                  ],"futureField":true}]}]}
                """;
        ParseResult result = parser.parse(json.getBytes(StandardCharsets.UTF_8), Encoding.JSON);
        assertThat(result.errors()).isEmpty();
        assertThat(result.samples()).extracting(s -> s.name() + s.labels() + " " + s.value() + " @" + s.timestampMs())
                .containsExactly("my_counter_total{job=\"svc\",my_key=\"42\"} 5.0 @1544712660300",
                        "my_gauge_ratio{job=\"svc\"} 10.0 @1544712660300");
    }

    @Test
    void shouldReportABodyThatIsNotARequest() {
        assertThat(parser.parse("{\"resourceMetrics\": 5}".getBytes(StandardCharsets.UTF_8), Encoding.JSON).errors())
                .singleElement().asString().startsWith("the body is not a valid OTLP/JSON ExportMetricsServiceRequest");
        assertThat(parser.parse(new byte[] {(byte) 0x0a, (byte) 0xff}, Encoding.PROTOBUF).errors())
                .singleElement().asString().startsWith("the body is not a valid protobuf ExportMetricsServiceRequest");
    }

    @Test
    void shouldRefuseNamesThatAreNotUtf8RatherThanMangleThem() {
        byte[] json = "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"name\":\"hello.X\",\"gauge\":{\"dataPoints\":[{\"asDouble\":1}]}}]}]}]}"
                .getBytes(StandardCharsets.UTF_8);
        int at = new String(json, StandardCharsets.US_ASCII).indexOf("X");
        json[at] = (byte) 0xFF;
        assertThat(parser.parse(json, Encoding.JSON).errors()).singleElement().asString().isEqualTo(
                "the body is not a valid OTLP/JSON ExportMetricsServiceRequest: byte " + at
                        + " of the JSON: not valid UTF-8: 0xFF");

        Metric gauge = Metric.newBuilder().setName("hello.X").setGauge(Gauge.newBuilder().addDataPoints(point(1))).build();
        byte[] proto = ExportMetricsServiceRequest.newBuilder().addResourceMetrics(resource(List.of(), gauge)).build()
                .toByteArray();
        proto[new String(proto, StandardCharsets.ISO_8859_1).indexOf("hello.X") + 6] = (byte) 0xFF;
        ParseResult result = parser.parse(proto, Encoding.PROTOBUF);
        assertThat(result.samples()).isEmpty();
        assertThat(result.errors()).singleElement().asString().contains("invalid UTF-8");
    }

    @Test
    void shouldPickTheEncodingFromTheContentType() {
        assertThat(Encoding.of("application/x-protobuf")).isEqualTo(Encoding.PROTOBUF);
        assertThat(Encoding.of("application/json; charset=utf-8")).isEqualTo(Encoding.JSON);
        assertThat(Encoding.of("text/plain")).isNull();
        assertThat(Encoding.of(null)).isNull();
    }

    @Property(tries = 300)
    void shouldNeverThrowOnArbitraryBytes(@ForAll byte[] body) {
        for (Encoding encoding : Encoding.values()) {
            ParseResult result = parser.parse(body, encoding);
            assertThat(result.refused()).isGreaterThanOrEqualTo(result.errors().size());
        }
    }

    @Test
    void shouldRefuseDeeplyNestedBodiesWithAnErrorNotAStackOverflow() {
        int depth = 200_000;
        // an attribute value nested in itself (AnyValue holds arrays of AnyValue), in JSON and in protobuf
        String json = "{\"resourceMetrics\":[{\"resource\":{\"attributes\":[{\"key\":\"k\",\"value\":"
                + "{\"arrayValue\":{\"values\":[".repeat(depth) + "]}}".repeat(depth) + "}]}}]}";
        ParseResult nested = parser.parse(json.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                OtlpMetricsParser.Encoding.JSON);
        assertThat(nested.samples()).isEmpty();
        assertThat(nested.errors()).hasSize(1);
        // JSON that no field reads, nested as deep
        String unknown = "{\"x\":" + "[".repeat(depth) + "]".repeat(depth) + "}";
        assertThat(parser.parse(unknown.getBytes(java.nio.charset.StandardCharsets.UTF_8),
                OtlpMetricsParser.Encoding.JSON).errors()).hasSize(1);
        // protobuf, the same: AnyValue.array_value (5) holding ArrayValue.values (1) holding AnyValue, 20,000 deep,
        // in KeyValue.value (2), Resource.attributes (1), ResourceMetrics.resource (1), the request's resource_metrics (1)
        byte[] inner = new byte[0];
        for (int i = 0; i < 20_000; i++) {
            inner = field(i % 2 == 1 ? 0x2A : 0x0A, inner); // the last (outermost) is an AnyValue's array_value
        }
        byte[] proto = field(0x0A, field(0x0A, field(0x0A, field(0x12, inner))));
        assertThat(parser.parse(proto, OtlpMetricsParser.Encoding.PROTOBUF).errors()).singleElement()
                .asString().contains("recursion");
    }

    /** A length-delimited field: its tag byte, its length, then {@code value}. */
    private static byte[] field(int tag, byte[] value) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(tag);
        writeVarint(out, value.length);
        out.writeBytes(value);
        return out.toByteArray();
    }

    private static void writeVarint(java.io.ByteArrayOutputStream out, int value) {
        while ((value & ~0x7F) != 0) {
            out.write((value & 0x7F) | 0x80);
            value >>>= 7;
        }
        out.write(value);
    }
}
