package io.caiman.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.ConfigLoader;
import io.caiman.core.model.Labels;
import io.caiman.core.wire.remotewrite.RemoteWriteEncoder;
import io.caiman.schemas.codec.Codecs;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.Sample;
import io.caiman.testing.SharedCluster;
import io.caiman.testing.TestConfigs;
import io.caiman.testing.TopicReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.Snappy;

@Tag("integration")
class RemoteWriteIntegrationTest {

    static final HttpClient HTTP = HttpClient.newHttpClient();
    static final long STALE_BITS = 0x7ff0000000000002L;
    static String name;
    static GatewayService gateway;
    static String url;

    @BeforeAll
    static void start() {
        name = TestConfigs.uniqueName("rw");
        gateway = new GatewayService(ConfigLoader.parse(TestConfigs.oplog(name, 4, "unused")
                + "gateway:\n  max_request_bytes: 64KiB\n", "test.yaml"));
        gateway.start();
        url = "http://127.0.0.1:" + gateway.ports().get(0) + "/api/v1/write";
    }

    @AfterAll
    static void stop() {
        gateway.close();
    }

    static HttpResponse<String> post(byte[] body, String contentType, String encoding) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("X-Prometheus-Remote-Write-Version", "0.1.0");
        if (contentType != null) {
            b.header("Content-Type", contentType);
        }
        if (encoding != null) {
            b.header("Content-Encoding", encoding);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static Map<String, Sample> oplog() {
        return TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog").stream().collect(
                Collectors.toMap(r -> new String(r.key(), StandardCharsets.UTF_8), r -> Codecs.SAMPLE.decode(r.value()),
                        (a, b) -> b));
    }

    static int count() {
        return TopicReader.readAll(SharedCluster.kafka().bootstrapServers(), name + ".oplog").size();
    }

    @Test
    void shouldWriteVersion1SamplesKeepingStaleMarkersDistinct() throws Exception {
        byte[] body = RemoteWriteEncoder.body(List.of(
                new RemoteWriteEncoder.Series("rw_requests_total", Labels.of("job", "api"), new double[] {7}, new long[] {1_700_000_000_000L}),
                new RemoteWriteEncoder.Series("rw_gone", Labels.of("job", "api"), new double[] {Double.longBitsToDouble(STALE_BITS)},
                        new long[] {1_700_000_001_000L}),
                new RemoteWriteEncoder.Series("rw_nan", Labels.EMPTY, new double[] {Double.NaN}, new long[] {1})),
                Map.of("rw_requests_total", MetricType.COUNTER));
        HttpResponse<String> r = post(body, "application/x-protobuf", "snappy");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
        Map<String, Sample> oplog = oplog();
        Sample counter = oplog.get("default/rw_requests_total{job=\"api\"}");
        assertThat(counter.getValue()).isEqualTo(7);
        assertThat(counter.getTimestampMs()).isEqualTo(1_700_000_000_000L);
        assertThat(counter.getMetricType()).isEqualTo(MetricType.COUNTER);
        assertThat(counter.getOrigin().getProtocol()).isEqualTo("remote-write");
        assertThat(Double.doubleToRawLongBits(oplog.get("default/rw_gone{job=\"api\"}").getValue())).isEqualTo(STALE_BITS);
        assertThat(Double.doubleToRawLongBits(oplog.get("default/rw_nan").getValue())).isNotEqualTo(STALE_BITS);
    }

    @Test
    void shouldWriteVersion2AndReportWhatWasWritten() throws Exception {
        byte[] message = RemoteWriteEncoder.requestV2(List.of(new RemoteWriteEncoder.Series("rw2_up",
                Labels.of("job", "node"), new double[] {1}, new long[] {42_000})), Map.of("rw2_up", MetricType.GAUGE));
        HttpResponse<String> r = post(Snappy.compress(message),
                "application/x-protobuf;proto=io.prometheus.write.v2.Request", "snappy");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(204);
        assertThat(r.headers().firstValue("X-Prometheus-Remote-Write-Samples-Written")).hasValue("1");
        assertThat(r.headers().firstValue("X-Prometheus-Remote-Write-Exemplars-Written")).hasValue("0");
        assertThat(oplog().get("default/rw2_up{job=\"node\"}").getTimestampMs()).isEqualTo(42_000);
    }

    @Test
    void shouldAcceptAMetadataOnlyRequest() throws Exception {
        assertThat(post(RemoteWriteEncoder.body(List.of(), Map.of("x", MetricType.GAUGE)), "application/x-protobuf", "snappy")
                .statusCode()).isEqualTo(204);
    }

    @Test
    void shouldRefuseWhatItCannotTakeWritingNothing() throws Exception {
        int before = count();
        byte[] good = RemoteWriteEncoder.body(List.of(new RemoteWriteEncoder.Series("ok", Labels.EMPTY, new double[] {1},
                new long[] {1})), Map.of());
        HttpResponse<String> proto = post(good, "application/x-protobuf;proto=io.prometheus.write.v9.Request", "snappy");
        assertThat(proto.statusCode()).isEqualTo(415);
        assertThat(proto.body()).contains("proto=prometheus.WriteRequest (1.0) or proto=io.prometheus.write.v2.Request (2.0)");
        assertThat(post(good, "application/x-protobuf", "gzip").statusCode()).isEqualTo(415);
        HttpResponse<String> notSnappy = post("hello".getBytes(), "application/x-protobuf", "snappy");
        assertThat(notSnappy.statusCode()).isEqualTo(400);
        assertThat(notSnappy.body()).contains("not snappy-compressed");
        HttpResponse<String> big = post(Snappy.compress(new byte[200_000]), "application/x-protobuf", "snappy");
        assertThat(big.statusCode()).isEqualTo(413);
        byte[] mixed = RemoteWriteEncoder.body(List.of(
                new RemoteWriteEncoder.Series("fine", Labels.EMPTY, new double[] {1}, new long[] {1}),
                new RemoteWriteEncoder.Series("not-fine", Labels.EMPTY, new double[] {1}, new long[] {1})), Map.of());
        HttpResponse<String> invalid = post(mixed, "application/x-protobuf", "snappy");
        assertThat(invalid.statusCode()).isEqualTo(400);
        assertThat(invalid.body()).isEqualTo("1 error in the remote-write request; nothing of this request was written:\n"
                + "timeseries 2: metric name 'not-fine' has '-' at position 4; allowed: [a-zA-Z_:][a-zA-Z0-9_:]*\n");
        assertThat(count()).isEqualTo(before);
        assertThat(post(good, "application/x-protobuf", "snappy").statusCode()).isEqualTo(204);
    }
}
