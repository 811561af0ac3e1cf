package io.caiman.core.wire.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.schemas.oplog.MetricType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class PrometheusTextParserTest {

    final PrometheusTextParser parser = new PrometheusTextParser(new io.caiman.core.wire.SampleLimits(8, 40, 30));

    ParseResult parse(String text) {
        return parser.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldParseAnExposition() {
        ParseResult r = parse(String.join("\n",
                "# HELP http_requests_total The total number of HTTP requests.",
                "# TYPE http_requests_total counter",
                "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000",
                "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000",
                "",
                "# A comment",
                "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"} 1.458255915e9",
                "metric_without_timestamp_and_labels 12.47",
                "something_weird{problem=\"division by zero\"} +Inf -3982045",
                "# TYPE rpc_duration_seconds summary",
                "rpc_duration_seconds{quantile=\"0.5\"} 4773",
                "rpc_duration_seconds_sum 1.7560473e+07",
                "# TYPE http_request_duration_seconds histogram",
                "http_request_duration_seconds_bucket{le=\"+Inf\",} 144320",
                "nan_value NaN",
                "trailing_cr 1\r",
                ""));
        assertThat(r.errors()).isEmpty();
        assertThat(r.samples()).hasSize(10);
        ParsedSample first = r.samples().get(0);
        assertThat(first.name()).isEqualTo("http_requests_total");
        assertThat(first.labels()).isEqualTo(Labels.of("code", "200", "method", "post"));
        assertThat(first.value()).isEqualTo(1027);
        assertThat(first.timestampMs()).isEqualTo(1395066363000L);
        assertThat(first.type()).isEqualTo(MetricType.COUNTER);
        assertThat(first.line()).isEqualTo(3);
        assertThat(r.samples().get(2).labels().get("path")).isEqualTo("C:\\DIR\\FILE.TXT");
        assertThat(r.samples().get(2).labels().get("error")).isEqualTo("Cannot find file:\n\"FILE.TXT\"");
        assertThat(r.samples().get(3).timestampMs()).isNull();
        assertThat(r.samples().get(3).type()).isEqualTo(MetricType.UNKNOWN);
        assertThat(r.samples().get(4).value()).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(r.samples().get(4).timestampMs()).isEqualTo(-3982045L);
        assertThat(r.samples().get(5).type()).isEqualTo(MetricType.SUMMARY);
        assertThat(r.samples().get(6).type()).isEqualTo(MetricType.SUMMARY);
        assertThat(r.samples().get(7).type()).isEqualTo(MetricType.HISTOGRAM);
        assertThat(r.samples().get(8).value()).isNaN();
        assertThat(r.samples().get(9).value()).isEqualTo(1);
    }

    @Test
    void shouldNameLineColumnAndReasonOfEachError() {
        ParseResult r = parse(String.join("\n",
                "good 1",
                "bad{job=\"x\" 1",
                "1bad 2",
                "bad{job=x} 1",
                "bad{job=\"x\"} one",
                "bad 1 2 3",
                "bad{job=\"x\",job=\"y\"} 1",
                "bad{a=\"\\q\"} 1",
                "# TYPE bad gauge_thing",
                "bad{a=\"1\",b=\"2\",c=\"3\",d=\"4\",e=\"5\",f=\"6\",g=\"7\",h=\"8\",i=\"9\"} 1",
                "bad{__name__=\"x\"} 1",
                "bad 1 12.5",
                "bad",
                "a_very_long_metric_name_of_more_than_forty_chars 1",
                "bad{v=\"a value that is longer than thirty chars\"} 1",
                "ok_again 2"));
        assertThat(r.errors()).extracting(Object::toString).containsExactly(
                "line 2, column 13: expected ',' or '}' after the value of label job",
                "line 3, column 1: expected a metric name, found '1'; allowed: [a-zA-Z_:][a-zA-Z0-9_:]*",
                "line 4, column 9: expected '\"' to open the value of label job",
                "line 5, column 14: 'one' is not a number (expected a float, NaN, +Inf or -Inf)",
                "line 6, column 9: unexpected text after the timestamp",
                "line 7, column 13: label job is given twice",
                "line 8, column 9: invalid escape '\\q' in the value of label a (allowed: \\\\, \\\", \\n)",
                "line 9, column 12: unknown metric type 'gauge_thing'; expected counter, gauge, histogram, summary or untyped",
                "line 10, column 1: series bad has 9 labels; the limit is 8 (gateway.max_labels_per_series)",
                "line 11, column 5: label name __name__ is reserved for the metric name",
                "line 12, column 7: '12.5' is not a timestamp (expected milliseconds since the epoch, an integer)",
                "line 13, column 4: expected a value after bad",
                "line 14, column 1: metric name a_very_long_metric_name_of_more_than_for… is 48 characters; the limit is 40 (gateway.max_label_name_length)",
                "line 15, column 1: the value of label v is 40 characters; the limit is 30 (gateway.max_label_value_length)");
        assertThat(r.samples()).extracting(ParsedSample::name).containsExactly("good", "ok_again");
    }

    @Test
    void shouldKeepEachLinesLabelsApartAcrossManyLabelsAndShortLines() {
        StringBuilder many = new StringBuilder("wide{");
        for (int i = 0; i < 20; i++) {
            many.append(i > 0 ? "," : "").append("l").append(i).append("=\"v").append(i).append('"');
        }
        ParseResult r = new PrometheusTextParser().parse(String.join("\n", many + "} 1", "narrow{a=\"x\"} 2", "bare 3")
                .getBytes(StandardCharsets.UTF_8));
        assertThat(r.errors()).isEmpty();
        assertThat(r.samples().get(0).labels().size()).isEqualTo(20);
        assertThat(r.samples().get(0).labels().get("l19")).isEqualTo("v19");
        assertThat(r.samples().get(1).labels()).isEqualTo(io.caiman.core.model.Labels.of("a", "x"));
        assertThat(r.samples().get(2).labels()).isEqualTo(io.caiman.core.model.Labels.EMPTY);
    }

    @Test
    void shouldReportInvalidUtf8ByLineAndColumn() {
        byte[] body = "ok 1\nbad{a=\"\u00e9\"} 1\n".getBytes(StandardCharsets.UTF_8);
        body[13] = (byte) 0xC3;
        body[14] = (byte) 0x28;
        ParseResult r = parser.parse(body);
        assertThat(r.errors()).extracting(Object::toString).containsExactly("line 2, column 8: not valid UTF-8: 0xC3");
    }

    @Property(tries = 2000)
    void shouldNeverThrowOnArbitraryBytes(@ForAll byte[] body) {
        ParseResult r = parser.parse(body);
        assertThat(r.samples().size() + r.errors().size()).isGreaterThanOrEqualTo(0);
        sameAsTheReference(body);
    }

    @Property(tries = 3000)
    void shouldReadAsTheStringParserDid(@ForAll("edited") String text) {
        sameAsTheReference(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldReadTheHandWrittenCasesAsTheStringParserDid() {
        for (String text : new String[] {
            "é{a=\"x\"} 1", "x{é=\"1\"} 1", "x{a=\"é\\q\"} 1", "x{a=\"é\",a=\"\"} 1", "x{a=\"😀\"} 1 2 3",
            "x{a=\"😀\\", "x{a=\"😀\\😀\"} 1", "x{a=\"😀\"} 😀", "x{a=\"😀\"} 1 😀", "x{a=\"😀\"", "# TYPE é gauge",
            "# TYPE x gaugé", "# TYPE x gauge\n# TYPE x counter", "x 1\n# TYPE x counter\nx 2", "x_bucket{le=\"1\"} 1\n"
                    + "# TYPE x histogram\nx_bucket{le=\"1\"} 1\nx_count 1", "\t x \t 1 \t 2 \t", "x{} 1", "x{,} 1",
            "x{a=\"1\",} 1", "x{a = \"1\" , b=\"2\"} 1", "x 1 -0", "x 1 +5", "x 1 9223372036854775808", "x -Inf\r",
            "x{a=\"\\n\\\"\\\\\"} 1", "x{a=\"1\"}1", "x{__name__=\"y\"} 1", "x{a=\"1\"} 1 2\r\n\r\ny 3"}) {
            sameAsTheReference(text.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The same samples and errors as {@link ReferenceTextParser}, the parser over strings this one replaced. */
    private void sameAsTheReference(byte[] body) {
        if (new String(body, StandardCharsets.UTF_8).chars().anyMatch(c -> c >= 0x80 && Character.isDigit(c))) {
            return; // the reference took digits past ASCII in timestamps (Long.parseLong); Prometheus does not
        }
        ParseResult expected = new ReferenceTextParser(new io.caiman.core.wire.SampleLimits(8, 40, 30)).parse(body);
        ParseResult actual = parser.parse(body);
        String input = new String(body, StandardCharsets.UTF_8);
        assertThat(actual.errors()).as(input).isEqualTo(expected.errors());
        assertThat(actual.samples()).as(input).isEqualTo(expected.samples());
    }

    /**
     * Expositions edited: characters replaced, inserted or removed at random places, from an alphabet of the
     * format's structure, blanks, line ends, characters past ASCII (two-, three- and four-byte) and NUL.
     */
    @Provide
    Arbitrary<String> edited() {
        String base = "# HELP a Some help.\n# TYPE a counter\na{b=\"c\\\\d\",e=\"f\\nx\\\"\"} 1.5e3 123\n"
                + "a{b=\"é€😀\"} +Inf\n# TYPE h histogram\nh_bucket{le=\"0.5\",x=\"y\"} 7 -4\nh_count 9\nx 1\n";
        Arbitrary<Character> chars = Arbitraries.of('{', '}', '"', '\\', '=', ',', ' ', '\t', '\n', '\r', '#', 'a', '1',
                '.', 'e', '-', '\u0000', 'é', '€', '\ud83d', '_', ':');
        return Combinators.combine(Arbitraries.integers().between(0, base.length() - 1).list().ofMaxSize(6),
                chars.list().ofSize(6), Arbitraries.integers().between(0, 2).list().ofSize(6)).as((cuts, with, how) -> {
                    StringBuilder sb = new StringBuilder(base);
                    for (int i = 0; i < cuts.size(); i++) {
                        int at = Math.min(cuts.get(i), sb.length() - 1);
                        switch (how.get(i)) {
                            case 0 -> sb.setCharAt(at, with.get(i));
                            case 1 -> sb.insert(at, with.get(i));
                            default -> sb.deleteCharAt(at);
                        }
                    }
                    return sb.toString();
                });
    }

    @Property(tries = 2000)
    void shouldNeverThrowOnMutatedExpositions(@ForAll("mutated") String text) {
        parser.parse(text.getBytes(StandardCharsets.UTF_8));
    }

    @Provide
    Arbitrary<String> mutated() {
        String base = "# TYPE a counter\na{b=\"c\\\\d\",e=\"f\"} 1.5e3 123\nx 1\n";
        return Arbitraries.integers().between(0, base.length() - 1).list().ofMaxSize(4)
                .flatMap(cuts -> Arbitraries.of('{', '}', '"', '\\', '=', ',', ' ', '\n', '#', 'a', '1', '\u0000')
                        .list().ofSize(cuts.size()).map(chars -> {
                            StringBuilder sb = new StringBuilder(base);
                            for (int i = 0; i < cuts.size(); i++) {
                                sb.setCharAt(Math.min(cuts.get(i), sb.length() - 1), chars.get(i));
                            }
                            return sb.toString();
                        }));
    }
}
