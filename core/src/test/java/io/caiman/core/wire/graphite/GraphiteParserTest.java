package io.caiman.core.wire.graphite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.core.wire.MixedLines;
import io.caiman.core.wire.MixedLines.Format;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.error.CaimanException;
import java.nio.charset.StandardCharsets;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

class GraphiteParserTest {

    static final GraphiteMappings RULES = GraphiteMappings.parse(String.join("\n",
            "mappings:",
            "  - match: servers.*.cpu.*",
            "    name: server_cpu",
            "    labels: {host: $1, mode: '${2}'}",
            "  - match: '(\\w+)\\.latency\\.p(\\d+)'",
            "    match_type: regex",
            "    name: ${1}_latency",
            "    labels: {quantile: '0.$2'}",
            "  - match: tmp.*",
            "    action: drop",
            "  - match: '*.*'",
            "    name: '$1-bad'",
            ""), "rules.yaml");

    private ParseResult parse(String text) {
        return new GraphiteParser(SampleLimits.GENEROUS, RULES).parse(text.getBytes(StandardCharsets.UTF_8), 99_000L).result();
    }

    @Test
    void shouldMapPathsByTheFirstMatchingRuleAndTranslateTheRest() {
        ParseResult r = parse("servers.a.cpu.idle 90 10\napi.latency.p99 0.2 10\nfoo-bar.baz.qux 1 10.25\ntmp.x 1 1\n");
        assertThat(r.errors()).isEmpty();
        assertThat(r.samples()).extracting(s -> s.name() + s.labels()).containsExactly(
                "server_cpu{host=\"a\", mode=\"idle\"}".replace(", ", ","), "api_latency{quantile=\"0.99\"}", "foo_bar_baz_qux{}");
        assertThat(r.samples().get(2).timestampMs()).isEqualTo(10_250L);
    }

    @Test
    void shouldReadMappingsAsGraphiteExporterDoes() {
        GraphiteMappings rules = GraphiteMappings.parse(String.join("\n",
                "mappings:",
                "  - match: 'jobs\\.(?P<queue>[[:alpha:]]+)\\.(\\d+)'", // RE2: a Go-style named group, a POSIX class
                "    match_type: regex",
                "    name: job_${queue}_total",
                "    labels: {shard: '$2', raw: '$$2', odd: '$2x', brace: '${2}x', lone: 'a$'}",
                "  - match: jobs.*.*", // a glob is tried before every regex, wherever it stands
                "    name: jobs_glob",
                "    labels: {queue: $1}",
                "  - match: 'cache\\.(hits|misses)'", // found anywhere in the path, as Go's regexp finds it
                "    match_type: regex",
                "    name: cache_$1",
                "  - match: '^(a+)+$'", // backtracks exponentially in java.util.regex; linear in RE2
                "    match_type: regex",
                "    name: many_a",
                ""), "gx.yaml");
        GraphiteMappings.Mapped glob = rules.map("jobs.mail.7");
        assertThat(glob.name()).isEqualTo("jobs_glob");
        assertThat(glob.labels()).containsEntry("queue", "mail");
        GraphiteMappings.Mapped regex = rules.map("jobs.mail.7.retries");
        assertThat(regex.name()).isEqualTo("job_mail_total");
        assertThat(regex.labels()).containsEntry("shard", "7").containsEntry("raw", "$2").containsEntry("odd", "")
                .containsEntry("brace", "7x").containsEntry("lone", "a$");
        assertThat(rules.map("app.cache.hits.5m").name()).isEqualTo("cache_hits");
        long t0 = System.nanoTime();
        assertThat(rules.map("a".repeat(5_000) + "b")).isNull();
        assertThat(java.time.Duration.ofNanos(System.nanoTime() - t0)).isLessThan(java.time.Duration.ofSeconds(2));
        assertThat(rules.map("aaa").name()).isEqualTo("many_a");
    }

    @Test
    void shouldNameTheColumnAndBytesOfALineThatIsNotUtf8AndKeepTheOthers() {
        byte[] chunk = "g.h.i 1 1\nc.\u00e9\u00e9 1 1\n".getBytes(StandardCharsets.UTF_8);
        chunk[15] = (byte) 0xFF; // the second byte of the second é
        GraphiteParser.Parsed parsed = new GraphiteParser(SampleLimits.GENEROUS, RULES).parse(chunk, 99_000L);
        assertThat(parsed.result().samples()).extracting(ParsedSample::name).containsExactly("g_h_i");
        assertThat(parsed.result().errors()).extracting(Object::toString)
                .containsExactly("line 2, column 4: not valid UTF-8: 0xC3");
    }

    @Test
    void shouldNameEveryBadLineAndKeepTheGoodOnes() {
        ParseResult r = parse("a.b 1\nc.d x 10\ne.f 1 never\ng.h.i 2 -1\ni;k=v;k=w 1 1\nj;=v 1 1\nx.y 1 1\n");
        assertThat(r.samples()).extracting(ParsedSample::name).containsExactly("g_h_i");
        assertThat(r.samples().get(0).timestampMs()).isEqualTo(99_000L); // -1 is now
        assertThat(r.errors()).extracting(Object::toString).containsExactly(
                "line 1, column 1: expected '<path> <value> <timestamp>' but found 2 fields",
                "line 2, column 5: value 'x' is not a number",
                "line 3, column 7: timestamp 'never' is not a number of seconds",
                "line 5, column 7: tags 'k' and 'k' both become label k",
                "line 6, column 3: tag '=v' must be name=value, both non-empty",
                "line 7, column 1: path x.y maps to an invalid name: metric name 'x-bad' has '-' at position 2; allowed: [a-zA-Z_:][a-zA-Z0-9_:]*");
    }

    @Test
    void shouldRefuseAMappingFileWithEveryProblemListed() {
        assertThatThrownBy(() -> GraphiteMappings.parse(String.join("\n",
                "mappings:",
                "  - match: a.*",
                "    name: 'bad name'",
                "  - match: '(unclosed'",
                "    match_type: regex",
                "    name: x",
                "  - name: y",
                "  - match: b.*",
                "    name: ok",
                "    labels: {1x: v}",
                "    colour: red",
                ""), "m.yaml")).isInstanceOf(CaimanException.class)
                .hasMessageContaining("5 problems")
                .hasMessageContaining("m.yaml: mappings[3].labels: label name '1x'")
                .hasMessageContaining("m.yaml: mappings[0].name: metric name 'bad name'")
                .hasMessageContaining("m.yaml: mappings[1].match is not a valid regular expression")
                .hasMessageContaining("m.yaml: mappings[2].match is missing")
                .hasMessageContaining("m.yaml: mappings[3].colour is not a known setting");
    }

    @Test
    void shouldTellTheFormatsOfAlligatorsRawListenerApart() {
        assertThat(MixedLines.detect("http_requests_total{code=\"200\"} 3")).isEqualTo(Format.PROMETHEUS);
        assertThat(MixedLines.detect("# TYPE x counter")).isEqualTo(Format.PROMETHEUS);
        assertThat(MixedLines.detect("up 1 1700000000000")).isEqualTo(Format.PROMETHEUS);
        assertThat(MixedLines.detect("up 1")).isEqualTo(Format.PROMETHEUS);
        assertThat(MixedLines.detect("up 1 1700000000")).isEqualTo(Format.GRAPHITE);
        assertThat(MixedLines.detect("a.b.c 1 1700000000000")).isEqualTo(Format.GRAPHITE);
        assertThat(MixedLines.detect("a;tag=v 1 17")).isEqualTo(Format.GRAPHITE);
        assertThat(MixedLines.detect("cpu,host=a usage=1")).isEqualTo(Format.INFLUX);
        assertThat(MixedLines.detect("cpu usage=1 1700000000000000000")).isEqualTo(Format.INFLUX);
    }

    /** Globs of whole components are matched without a regular expression, exactly as their pattern matches. */
    @Property(tries = 3000)
    void shouldMatchGlobsOfWholeComponentsAsTheirPatternDoes(
            @ForAll("globs") String glob, @ForAll("paths") String path) {
        GraphiteMappings.Glob components = GraphiteMappings.Glob.of(glob);
        assertThat(components).isNotNull();
        com.google.re2j.Matcher m = GraphiteMappings.glob(glob).matcher(path);
        String[] byPattern = null;
        if (m.matches()) {
            byPattern = new String[m.groupCount() + 1];
            for (int i = 0; i < byPattern.length; i++) {
                byPattern[i] = m.group(i);
            }
        }
        assertThat(components.match(path)).as("%s on %s", glob, path).isEqualTo(byPattern);
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> globs() {
        return net.jqwik.api.Arbitraries.of("*", "a", "ab", "").list().ofMinSize(1).ofMaxSize(4)
                .map(parts -> String.join(".", parts));
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> paths() {
        return net.jqwik.api.Arbitraries.strings().withChars("ab.").ofMaxLength(9);
    }

    @Property(tries = 2000)
    void shouldNeverThrowOnArbitraryBytes(@ForAll byte[] chunk) {
        new GraphiteParser(SampleLimits.GENEROUS, RULES).parse(chunk, 0);
    }

    /** Alligator's raw listener: whatever the bytes, every line ends as a sample or an error on its own line. */
    @Property(tries = 2000)
    void shouldNeverThrowOnArbitraryMixedLines(@ForAll byte[] chunk) {
        ParseResult r = new MixedLines(new io.caiman.core.wire.prometheus.PrometheusTextParser(),
                new GraphiteParser(SampleLimits.GENEROUS, RULES),
                new io.caiman.core.wire.influx.LineProtocolParser(SampleLimits.GENEROUS)).parse(chunk, 0);
        long lines = new String(chunk, StandardCharsets.ISO_8859_1).split("\n", -1).length;
        assertThat(r.errors()).allSatisfy(e -> assertThat(e.line()).isBetween(1, (int) lines));
        assertThat(r.samples()).allSatisfy(s -> assertThat(s.line()).isBetween(1, (int) lines));
    }
}
