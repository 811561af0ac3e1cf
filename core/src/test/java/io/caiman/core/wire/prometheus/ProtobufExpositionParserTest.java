package io.caiman.core.wire.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.schemas.oplog.MetricType;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** The protobuf exposition format, from messages written field by field as {@code metrics.proto} numbers them. */
class ProtobufExpositionParserTest {

    final ProtobufExpositionParser parser = new ProtobufExpositionParser(new SampleLimits(8, 200, 200));

    /** A protobuf message under construction. */
    static final class Msg {
        final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        final CodedOutputStream out = CodedOutputStream.newInstance(bytes);

        Msg string(int field, String value) throws IOException {
            out.writeString(field, value);
            return this;
        }

        Msg enumValue(int field, int value) throws IOException {
            out.writeEnum(field, value);
            return this;
        }

        Msg doubleValue(int field, double value) throws IOException {
            out.writeDouble(field, value);
            return this;
        }

        Msg sint32(int field, int value) throws IOException {
            out.writeSInt32(field, value);
            return this;
        }

        Msg uint64(int field, long value) throws IOException {
            out.writeUInt64(field, value);
            return this;
        }

        Msg int64(int field, long value) throws IOException {
            out.writeInt64(field, value);
            return this;
        }

        Msg message(int field, Msg value) throws IOException {
            out.writeBytes(field, ByteString.copyFrom(value.bytes()));
            return this;
        }

        byte[] bytes() throws IOException {
            out.flush();
            return bytes.toByteArray();
        }
    }

    static Msg msg() {
        return new Msg();
    }

    static Msg label(String name, String value) throws IOException {
        return msg().string(1, name).string(2, value);
    }

    static byte[] delimited(Msg... families) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        for (Msg f : families) {
            byte[] b = f.bytes();
            CodedOutputStream out = CodedOutputStream.newInstance(bytes);
            out.writeUInt32NoTag(b.length);
            out.flush();
            bytes.write(b);
        }
        return bytes.toByteArray();
    }

    static String render(ParsedSample s) {
        return s.name() + (s.labels().size() == 0 ? "" : s.labels().toString()) + " " + s.value() + (s.timestampMs() == null ? "" : " @" + s.timestampMs());
    }

    @Test
    void shouldMakeTheSeriesPrometheusMakesOfEachType() throws IOException {
        byte[] body = delimited(
                msg().string(1, "http_requests_total").enumValue(3, 0)
                        .message(4, msg().message(1, label("code", "200")).message(3, msg().doubleValue(1, 7))
                                .int64(6, 1_700_000_000_123L)),
                msg().string(1, "temperature").enumValue(3, 1)
                        .message(4, msg().message(2, msg().doubleValue(1, 21.5))),
                msg().string(1, "rpc_seconds").enumValue(3, 2)
                        .message(4, msg().message(4, msg().uint64(1, 3).doubleValue(2, 1.5)
                                .message(3, msg().doubleValue(1, 0.99).doubleValue(2, 0.9)))),
                msg().string(1, "latency_seconds").enumValue(3, 4)
                        .message(4, msg().message(1, label("path", "/")).message(7, msg().uint64(1, 4).doubleValue(2, 2.5)
                                .message(3, msg().uint64(1, 1).doubleValue(2, 0.1))
                                .message(3, msg().uint64(1, 3).doubleValue(2, 1)))),
                msg().string(1, "queue_items").enumValue(3, 5)
                        .message(4, msg().message(7, msg().uint64(1, 2).doubleValue(2, 5)
                                .message(3, msg().uint64(1, 2).doubleValue(2, Double.POSITIVE_INFINITY)))),
                msg().string(1, "legacy").enumValue(3, 3).message(4, msg().message(5, msg().doubleValue(1, -1))));

        ParseResult result = parser.parse(body);

        assertThat(result.errors()).isEmpty();
        assertThat(result.samples()).extracting(ProtobufExpositionParserTest::render).containsExactly(
                "http_requests_total{code=\"200\"} 7.0 @1700000000123",
                "temperature 21.5",
                "rpc_seconds{quantile=\"0.99\"} 0.9",
                "rpc_seconds_sum 1.5",
                "rpc_seconds_count 3.0",
                "latency_seconds_bucket{le=\"0.1\",path=\"/\"} 1.0",
                "latency_seconds_bucket{le=\"1\",path=\"/\"} 3.0",
                "latency_seconds_bucket{le=\"+Inf\",path=\"/\"} 4.0",
                "latency_seconds_sum{path=\"/\"} 2.5",
                "latency_seconds_count{path=\"/\"} 4.0",
                "queue_items_bucket{le=\"+Inf\"} 2.0",
                "queue_items_gsum 5.0",
                "queue_items_gcount 2.0",
                "legacy -1.0");
        assertThat(result.samples()).extracting(ParsedSample::type).containsSubsequence(MetricType.COUNTER,
                MetricType.GAUGE, MetricType.SUMMARY, MetricType.HISTOGRAM, MetricType.GAUGE_HISTOGRAM, MetricType.UNKNOWN);
    }

    @Test
    void shouldRefuseTheWholeBodyNamingEveryBadFamily() throws IOException {
        byte[] body = delimited(
                msg().string(1, "ok_metric").enumValue(3, 1).message(4, msg().message(2, msg().doubleValue(1, 1))),
                msg().string(1, "bad-name").enumValue(3, 1).message(4, msg().message(2, msg().doubleValue(1, 1))),
                msg().string(1, "native").enumValue(3, 4).message(4, msg().message(7, msg().uint64(1, 1).sint32(5, 3))),
                msg().string(1, "twice").enumValue(3, 1).message(4, msg().message(1, label("a", "1"))
                        .message(1, label("a", "2")).message(2, msg().doubleValue(1, 1))),
                msg().string(1, "histo").enumValue(3, 4).message(4, msg().message(1, label("le", "x"))
                        .message(7, msg().uint64(1, 1))),
                // a bad label on the first metric does not hide the second's problem
                msg().string(1, "labels").enumValue(3, 1)
                        .message(4, msg().message(1, label("bad-label", "1")).message(2, msg().doubleValue(1, 1)))
                        .message(4, msg().message(1, label("x", "1")).message(1, label("x", "2"))
                                .message(2, msg().doubleValue(1, 1))));
        ParseResult result = parser.parse(body);
        assertThat(result.samples()).isEmpty();
        assertThat(result.errors()).extracting(Object::toString).containsExactly(
                "metric family 2 (bad-name): metric name 'bad-name' has '-' at position 4; allowed: [a-zA-Z_:][a-zA-Z0-9_:]*",
                "metric family 3 (native), metric 1: native histograms are not supported; expose classic buckets",
                "metric family 4 (twice), metric 1: label a appears twice",
                "metric family 5 (histo), metric 1: label le is reserved for the family's type",
                "metric family 6 (labels), metric 1: label name 'bad-label' has '-' at position 4; allowed: "
                        + "[a-zA-Z_][a-zA-Z0-9_]*",
                "metric family 6 (labels), metric 2: label x appears twice");
    }

    @Test
    void shouldReportATruncatedBody() throws IOException {
        byte[] body = delimited(msg().string(1, "m").enumValue(3, 1).message(4, msg().message(2, msg().doubleValue(1, 1))));
        byte[] truncated = java.util.Arrays.copyOf(body, body.length - 3);
        assertThat(parser.parse(truncated).errors()).singleElement().asString()
                .startsWith("metric family 1: not a valid length-delimited io.prometheus.client.MetricFamily");
    }

    @Test
    void shouldKnowItsContentType() {
        String ct = "application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited";
        assertThat(ProtobufExpositionParser.isProtobuf(ct)).isTrue();
        assertThat(ProtobufExpositionParser.unsupportedEncoding(ct)).isNull();
        assertThat(ProtobufExpositionParser.unsupportedEncoding(ct.replace("delimited", "text"))).isEqualTo("text");
        assertThat(ProtobufExpositionParser.isProtobuf("text/plain; version=0.0.4")).isFalse();
    }

    @Property(tries = 300)
    void shouldNeverThrowOnArbitraryBytes(@ForAll byte[] body) {
        ParseResult result = parser.parse(body);
        assertThat(result.ok() || result.samples().isEmpty()).isTrue();
    }
}
