package io.caiman.core.wire.influx;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.influx.LineProtocolDecoder.Entry;
import io.caiman.core.wire.influx.LineProtocolDecoder.Precision;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

class LineProtocolParserTest {

    private final LineProtocolParser parser = new LineProtocolParser(SampleLimits.GENEROUS);

    private ParseResult parse(String body) {
        return parser.parse(body.getBytes(StandardCharsets.UTF_8), Precision.NANOSECONDS, 5_000_000_000L, Map.of()).result();
    }

    @Test
    void shouldNameSamplesAsTelegrafsPrometheusOutputDoes() {
        ParseResult r = parse("cpu.load,host=a,dc-name=eu usage=1,0count=2i,big=18446744073709551615u,up=false,s=\"x\" 1500000000\n");
        assertThat(r.errors()).isEmpty();
        assertThat(r.samples()).extracting(ParsedSample::name)
                .containsExactly("cpu_load_usage", "cpu_load_0count", "cpu_load_big", "cpu_load_up");
        assertThat(r.samples().get(0).labels().get("dc_name")).isEqualTo("eu");
        assertThat(r.samples().get(2).value()).isEqualTo(1.8446744073709552e19);
        assertThat(r.samples().get(3).value()).isEqualTo(0.0);
        assertThat(r.samples().get(0).timestampMs()).isEqualTo(1500L);
        assertThat(io.caiman.core.model.Naming.translate("9lives", true)).isEqualTo("_9lives");
        assertThat(io.caiman.core.model.Naming.translate("temp°C", true)).isEqualTo("temp_C");
        assertThat(io.caiman.core.model.Naming.translate("a:b", false)).isEqualTo("a_b");
    }

    @Test
    void shouldUseTheDefaultTimeTruncatedToThePrecisionAndKeepExtraLabelsBehindTags() {
        LineProtocolParser.Parsed p = parser.parse("m,db=mine v=1\nm v=2\n".getBytes(StandardCharsets.UTF_8),
                Precision.SECONDS, 1_700_000_000_999_000_000L, Map.of("db", "request"));
        assertThat(p.result().samples()).extracting(s -> s.labels().get("db")).containsExactly("mine", "request");
        assertThat(p.result().samples()).allMatch(s -> s.timestampMs() == 1_700_000_000_000L);
        assertThat(p.points()).isEqualTo(2);
    }

    @Test
    void shouldRefuseALineAsAWholeWhenOneOfItsSeriesBreaksALimit() {
        LineProtocolParser strict = new LineProtocolParser(new SampleLimits(1, 20, 100));
        ParseResult r = strict.parse("m,a=1,b=2 x=1\nm,a=1 x=1,y=2\n".getBytes(StandardCharsets.UTF_8),
                Precision.NANOSECONDS, 0, Map.of()).result();
        assertThat(r.errors()).singleElement().satisfies(e -> {
            assertThat(e.line()).isEqualTo(1);
            assertThat(e.reason()).contains("has 2 labels; the limit is 1");
        });
        assertThat(r.samples()).extracting(ParsedSample::name).containsExactly("m_x", "m_y");
    }

    @Test
    void shouldReportEveryBadLineAndKeepTheGoodOnes() {
        ParseResult r = parse("a x=1\nb x=\"unterminated\nc x=1\n");
        // the string swallows the rest of the body, as in InfluxDB: one error, one good line
        assertThat(r.samples()).extracting(ParsedSample::name).containsExactly("a_x");
        assertThat(r.errors()).singleElement().satisfies(e -> assertThat(e.toString())
                .isEqualTo("line 2, column 5: expected closing quote for string field \"x\", found end of input"));
        ParseResult many = parse("a x=1\nb y\nc z=1 12x\nd w=1\n");
        assertThat(many.errors()).extracting(e -> e.line()).containsExactly(2, 3);
        assertThat(many.samples()).extracting(ParsedSample::name).containsExactly("a_x", "d_w");
    }

    @Property(tries = 3000)
    void shouldNeverThrowOnArbitraryBytes(@ForAll byte[] body) {
        List<Entry> entries = LineProtocolDecoder.decode(body, Precision.MILLISECONDS, 0);
        assertThat(entries).allSatisfy(e -> assertThat(e.ok() ? e.point().line() : e.error().line()).isPositive());
    }

    /** Whatever is written with the format's escapes reads back as it was. */
    @Property(tries = 1000)
    void shouldReadBackWhatItsEscapesWrite(@ForAll("points") List<String[]> points) {
        StringBuilder body = new StringBuilder();
        for (String[] p : points) {
            body.append(escape(p[0], " ,")).append(',').append(escape(p[1], ",= ")).append('=').append(escape(p[2], ",= "))
                    .append(' ').append(escape(p[3], ",= ")).append("=\"").append(p[4].replace("\\", "\\\\").replace("\"", "\\\""))
                    .append("\",n=").append(p.length).append("i 42\n");
        }
        List<Entry> entries = LineProtocolDecoder.decode(body.toString().getBytes(StandardCharsets.UTF_8), Precision.NANOSECONDS, 0);
        assertThat(entries).hasSize(points.size());
        for (int i = 0; i < points.size(); i++) {
            String[] p = points.get(i);
            Entry e = entries.get(i);
            assertThat(e.error()).as(body.toString()).isNull();
            assertThat(e.point().measurement()).isEqualTo(p[0]);
            assertThat(e.point().tags()).containsExactly(new LineProtocolDecoder.Tag(p[1], p[2]));
            assertThat(e.point().fields().get(0).value()).isEqualTo(p[4]);
            assertThat(e.point().timeNs()).isEqualTo(42L);
        }
    }

    @Provide
    Arbitrary<List<String[]>> points() {
        Arbitrary<String> name = Arbitraries.strings().withChars("abcXYZ09_ ,=\\\"é-.").ofMinLength(1).ofMaxLength(8)
                .filter(s -> !s.startsWith("#") && !s.endsWith("\\"));
        Arbitrary<String> text = Arbitraries.strings().withChars("ab \n,=\\\"é\t").ofMaxLength(10);
        return Combinators.combine(name, name, name, name, text).as((m, k, v, f, s) -> new String[] {m, k, v, f, s})
                .list().ofMinSize(1).ofMaxSize(5);
    }

    private static String escape(String s, String special) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            if (special.indexOf(c) >= 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }
}
