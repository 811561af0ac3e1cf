package io.caiman.core.wire.openmetrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.schemas.oplog.MetricType;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class OpenMetricsParserTest {

    final OpenMetricsParser parser = new OpenMetricsParser();

    ParseResult parse(String text) {
        return parser.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldReadFamiliesWithTypesAndTimestampsInMilliseconds() {
        ParseResult r = parse(String.join("\n",
                "# TYPE http_requests counter",
                "# HELP http_requests Requests.",
                "http_requests_total{code=\"200\"} 1027 1520879607.789 # {trace_id=\"abc\"} 1 1520879607.7",
                "http_requests_created{code=\"200\"} 1520430000.123 1520879607.789",
                "# TYPE rpc_seconds histogram",
                "# UNIT rpc_seconds seconds",
                "rpc_seconds_bucket{le=\"0.1\"} 3",
                "rpc_seconds_bucket{le=\"+Inf\"} 5",
                "rpc_seconds_count 5",
                "rpc_seconds_sum 1.5",
                "# TYPE build info",
                "build_info{version=\"1.2\"} 1",
                "temperature 21.5 1520879607",
                "# EOF",
                ""));
        assertThat(r.errors()).isEmpty();
        assertThat(r.samples()).extracting(ParsedSample::name).containsExactly("http_requests_total",
                "http_requests_created", "rpc_seconds_bucket", "rpc_seconds_bucket", "rpc_seconds_count", "rpc_seconds_sum",
                "build_info", "temperature");
        ParsedSample total = r.samples().get(0);
        assertThat(total.labels()).isEqualTo(Labels.of("code", "200"));
        assertThat(total.value()).isEqualTo(1027);
        assertThat(total.timestampMs()).isEqualTo(1_520_879_607_789L);
        assertThat(total.type()).isEqualTo(MetricType.COUNTER);
        assertThat(r.samples().get(2).type()).isEqualTo(MetricType.HISTOGRAM);
        assertThat(r.samples().get(6).type()).isEqualTo(MetricType.INFO);
        assertThat(r.samples().get(7).type()).isEqualTo(MetricType.UNKNOWN);
        assertThat(r.samples().get(7).timestampMs()).isEqualTo(1_520_879_607_000L);
    }

    @Test
    void shouldRefuseABodyThatIsNotUtf8NamingLineColumnAndBytes() {
        byte[] body = "a 1\nb{l=\"\u20ac\"} 1\n# EOF\n".getBytes(StandardCharsets.UTF_8);
        body[11] = (byte) 0x41; // the € cut after its first two bytes
        ParseResult r = parser.parse(body);
        assertThat(r.samples()).isEmpty();
        assertThat(r.errors()).extracting(Object::toString)
                .containsExactly("line 2, column 6: the body is not valid UTF-8: 0xE2 0x82");
    }

    @Test
    void shouldNameLineAndColumnOfWhatIsWrong() {
        assertThat(parse("a 1\n").errors()).extracting(Object::toString)
                .containsExactly("line 2, column 1: missing # EOF at the end");
        assertThat(parse("a 1\n\n# EOF\n").errors()).extracting(Object::toString)
                .containsExactly("line 2, column 1: blank line (OpenMetrics allows none)");
        assertThat(parse("# TYPE a counter\na_total -1\n# EOF\n").errors()).extracting(Object::toString)
                .containsExactly("line 2, column 1: a_total is counter-like and cannot be negative");
        assertThat(parse("a{b=\"1\",} 1\n# EOF\n").errors()).extracting(Object::toString)
                .containsExactly("line 1, column 9: a ',' before '}' (OpenMetrics allows no trailing comma)");
        assertThat(parse("a 0x1p-3\n# EOF\n").errors()).extracting(Object::toString)
                .containsExactly("line 1, column 3: '0x1p-3' is not a number");
        assertThat(parse("# TYPE a histogram\na_bucket{le=\"1\"} 1\n# EOF\n").errors()).extracting(Object::toString)
                .containsExactly("line 1, column 1: histogram a has no +Inf bucket");
        assertThat(parse("# EOF\na 1\n").errors()).extracting(Object::toString)
                .containsExactly("line 2, column 1: text after # EOF");
    }

    @Test
    void shouldTellTheContentTypeApart() {
        assertThat(OpenMetricsParser.isOpenMetrics("application/openmetrics-text; version=1.0.0; charset=utf-8")).isTrue();
        assertThat(OpenMetricsParser.isOpenMetrics("text/plain; version=0.0.4")).isFalse();
        assertThat(OpenMetricsParser.isOpenMetrics(null)).isFalse();
    }

    @Property(tries = 3000)
    void shouldNeverThrowOnArbitraryInput(@ForAll byte[] body, @ForAll String text) {
        parser.parse(body);
        parser.parse(text.getBytes(StandardCharsets.UTF_8));
        parser.parse((text + "\n# EOF\n").getBytes(StandardCharsets.UTF_8));
    }
}
