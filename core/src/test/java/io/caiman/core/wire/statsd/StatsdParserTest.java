package io.caiman.core.wire.statsd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.caiman.core.model.Labels;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.SampleKind;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class StatsdParserTest {

    static final long NOW = 1_700_000_000_000L;
    final StatsdParser parser = new StatsdParser(SampleLimits.GENEROUS, List.of(0.1, 1.0));

    private ParseResult parse(String text) {
        return parser.parse(text.getBytes(StandardCharsets.UTF_8), NOW);
    }

    /** name{labels} → (kind, value), for compact assertions. */
    private static Map<String, String> byseries(ParseResult r) {
        Map<String, String> out = new TreeMap<>();
        for (ParsedSample s : r.samples()) {
            out.put(s.name() + (s.labels().size() > 0 ? s.labels().toString() : ""), s.kind() + " " + s.value());
        }
        return out;
    }

    @Test
    void shouldScaleCounterIncrementsByTheSampleRate() {
        ParseResult r = parse("api.requests:3|c|@0.5\n");
        assertThat(r.errors()).isEmpty();
        ParsedSample s = r.samples().get(0);
        assertThat(s.name()).isEqualTo("api_requests");
        assertThat(s.kind()).isEqualTo(SampleKind.INCREMENT);
        assertThat(s.type()).isEqualTo(MetricType.COUNTER);
        assertThat(s.value()).isEqualTo(6.0);
        assertThat(s.timestampMs()).isNull();
    }

    @Test
    void shouldNameTheColumnAndBytesOfALineThatIsNotUtf8AndKeepTheOthers() {
        byte[] chunk = "ok:1|c\nbad:1|c|#k:\u00e9\n".getBytes(StandardCharsets.UTF_8);
        chunk[chunk.length - 2] = (byte) 0x41; // the é's second byte, a continuation, made ASCII
        ParseResult r = parser.parse(chunk, NOW);
        assertThat(r.samples()).extracting(ParsedSample::name).containsExactly("ok");
        assertThat(r.errors()).extracting(Object::toString).containsExactly("line 2, column 12: not valid UTF-8: 0xC3");
    }

    @Test
    void shouldSumTheIncrementsOfOneSeriesInAChunk() {
        ParseResult r = parse("hits:1|c\nhits:2|c|@0.5\nhits:1|c|#route:/a\nmisses:1|c\n");
        assertThat(byseries(r)).containsExactly(
                Map.entry("hits", "INCREMENT 5.0"),
                Map.entry("hits{route=\"/a\"}", "INCREMENT 1.0"),
                Map.entry("misses", "INCREMENT 1.0"));
        assertThat(r.samples().get(0).line()).isEqualTo(1);
    }

    @Test
    void shouldTellAbsoluteFromRelativeGaugesAndKeepTheirOrder() {
        ParseResult r = parse("queue:10|g\nqueue:+4|g\nqueue:-1.5|g|@0.1\n");
        assertThat(r.samples()).extracting(ParsedSample::kind, ParsedSample::value).containsExactly(
                org.assertj.core.groups.Tuple.tuple(SampleKind.VALUE, 10.0),
                org.assertj.core.groups.Tuple.tuple(SampleKind.GAUGE_DELTA, 4.0),
                org.assertj.core.groups.Tuple.tuple(SampleKind.GAUGE_DELTA, -1.5));
        assertThat(r.samples()).allSatisfy(s -> assertThat(s.type()).isEqualTo(MetricType.GAUGE));
    }

    @Test
    void shouldTurnTimersIntoHistogramIncrementsInSeconds() {
        ParseResult r = parse("db.query:50|ms\ndb.query:400|ms|@0.5\n");
        assertThat(r.errors()).isEmpty();
        Map<String, String> s = byseries(r);
        assertThat(s).containsEntry("db_query_bucket{le=\"0.1\"}", "INCREMENT 1.0")
                .containsEntry("db_query_bucket{le=\"1\"}", "INCREMENT 3.0")
                .containsEntry("db_query_bucket{le=\"+Inf\"}", "INCREMENT 3.0")
                .containsEntry("db_query_count", "INCREMENT 3.0")
                .hasSize(5);
        ParsedSample sum = r.samples().stream().filter(x -> x.name().equals("db_query_sum")).findFirst().orElseThrow();
        assertThat(sum.value()).isCloseTo(0.05 + 0.4 * 2, within(1e-12));
        assertThat(r.samples()).allSatisfy(x -> assertThat(x.type()).isEqualTo(MetricType.HISTOGRAM));
    }

    @Test
    void shouldCreateEveryBucketFromTheFirstObservationAndTakeSeveralValuesPerLine() {
        ParseResult r = parse("size:5:0.05:7|h|#kind:img\n");
        Map<String, String> s = byseries(r);
        assertThat(s).containsEntry("size_bucket{kind=\"img\",le=\"0.1\"}", "INCREMENT 1.0")
                .containsEntry("size_bucket{kind=\"img\",le=\"1\"}", "INCREMENT 1.0")
                .containsEntry("size_bucket{kind=\"img\",le=\"+Inf\"}", "INCREMENT 3.0")
                .containsEntry("size_sum{kind=\"img\"}", "INCREMENT 12.05")
                .containsEntry("size_count{kind=\"img\"}", "INCREMENT 3.0");
        ParseResult big = parse("size:5|d\n");
        assertThat(byseries(big)).containsEntry("size_bucket{le=\"0.1\"}", "INCREMENT 0.0");
    }

    @Test
    void shouldHashSetMembersSoEqualMembersAreEqualNumbers() {
        ParseResult r = parse("users:alice|s\nusers:bob|s\nusers:alice|s|#region:eu\n");
        assertThat(r.errors()).isEmpty();
        assertThat(r.samples()).allSatisfy(s -> assertThat(s.kind()).isEqualTo(SampleKind.SET_MEMBER));
        double alice = r.samples().get(0).value();
        assertThat(alice).isEqualTo(r.samples().get(2).value()).isNotEqualTo(r.samples().get(1).value());
        assertThat(alice).isEqualTo(Math.rint(alice)).isBetween(0.0, 0x1p53);
    }

    @Test
    void shouldReadEveryTaggingStyle() {
        Labels expected = Labels.of("env", "prod", "host", "a");
        for (String line : List.of("req:1|c|#env:prod,host:a", "req,env=prod,host=a:1|c", "req#env=prod,host=a:1|c",
                "req[env=prod,host=a]:1|c", "r[env=prod,host=a]eq:1|c")) {
            ParseResult r = parse(line);
            assertThat(r.errors()).as(line).isEmpty();
            assertThat(r.samples().get(0).name()).as(line).isEqualTo("req");
            assertThat(r.samples().get(0).labels()).as(line).isEqualTo(expected);
        }
    }

    @Test
    void shouldGiveBareDogStatsDTagsTheValueTrueAndReadContainerAndTimestamp() {
        ParseResult r = parse("jobs.done:2|c|#canary,team:infra|c:abc123|T1700000123\n");
        assertThat(r.errors()).isEmpty();
        ParsedSample s = r.samples().get(0);
        assertThat(s.labels()).isEqualTo(Labels.of("canary", "true", "team", "infra", "container_id", "abc123"));
        assertThat(s.timestampMs()).isEqualTo(1_700_000_123_000L);
    }

    @Test
    void shouldRefuseBadLinesNamingThemAndKeepTheOthers() {
        ParseResult r = parse(String.join("\n",
                "good:1|c",
                "no-value",
                "x:1|z",
                "x:abc|c",
                "x:-1|c",
                "x:1|c|@2",
                "x:1|c|#a:b|#c:d", // two tag sections are fine; this one is good
                "x,a=b:1|c|#c:d",
                "x:1:2|c",
                "x:1|c||",
                "_e{5,4}:title|text",
                "x:1|c|%weird",
                "x:NaN|g",
                "x:1|ms|#le:5",
                "x:1|c|Tsoon",
                "also.good:2|g",
                ""));
        assertThat(r.samples()).extracting(ParsedSample::name).containsExactly("good", "x", "also_good");
        assertThat(r.errors()).extracting(e -> e.line()).containsExactly(2, 3, 4, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15);
        assertThat(r.errors().get(1).toString()).isEqualTo("line 3, column 5: unknown type 'z'; expected c, g, ms, h, d or s");
        assertThat(r.errors().get(3).reason()).contains("negative");
        assertThat(r.errors().get(4).reason()).contains("sample rate '@2'");
        assertThat(r.errors().get(5).reason()).contains("one tagging style");
        assertThat(r.errors().get(6).reason()).contains("only for timers");
        assertThat(r.errors().get(8).reason()).contains("not metrics");
    }

    @Test
    void shouldRefuseInvalidUtf8AndSeriesOverTheLimits() {
        byte[] chunk = "ok:1|c\nbad\u00e9:1|c\n".getBytes(StandardCharsets.UTF_8);
        chunk[chunk.length - 6] = (byte) 0xFF;
        ParseResult r = parser.parse(chunk, NOW);
        assertThat(r.samples()).hasSize(1);
        assertThat(r.errors()).singleElement().satisfies(e -> assertThat(e.reason()).contains("UTF-8"));

        StatsdParser strict = new StatsdParser(new SampleLimits(1, 100, 100), StatsdParser.DEFAULT_BUCKETS);
        ParseResult over = strict.parse("x:1|c|#a:1,b:2\n".getBytes(StandardCharsets.UTF_8), NOW);
        assertThat(over.errors()).singleElement().satisfies(e -> assertThat(e.reason()).contains("gateway.max_labels_per_series"));
    }

    @Property(tries = 2000)
    void shouldNeverThrowAndPlaceEveryResultOnARealLine(@ForAll byte[] chunk) {
        ParseResult r = parser.parse(chunk, NOW);
        long lines = new String(chunk, StandardCharsets.ISO_8859_1).split("\n", -1).length;
        assertThat(r.errors()).allSatisfy(e -> assertThat(e.line()).isBetween(1, (int) lines));
        assertThat(r.samples()).allSatisfy(s -> {
            assertThat(s.line()).isBetween(1, (int) lines);
            assertThat(Double.isFinite(s.value())).isTrue();
        });
    }

    @Property(tries = 1000)
    void shouldNeverThrowOnLinesMadeOfStatsdCharacters(@ForAll("statsdish") String text) {
        parse(text);
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> statsdish() {
        return net.jqwik.api.Arbitraries.strings().withChars("ab.:|#@,=[]cgmshdT0123456789+-\n ").ofMaxLength(60);
    }
}
