package io.caiman.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

class KeyAdmissionTest {

    @Property(tries = 3000)
    void shouldNeverRefuseAKeyASelectorSelects(@ForAll("selectors") List<String> selectors, @ForAll("keys") SeriesKey key) {
        List<SeriesSelector> parsed = selectors.stream().map(SeriesSelector::parse).toList();
        boolean selected = parsed.stream().anyMatch(s -> s.matches(key));
        boolean admitted = KeyAdmission.of(parsed).admits(key.bytes());
        Statistics.label("selected").collect(selected);
        Statistics.label("refused by bytes").collect(!admitted);
        if (selected) {
            assertThat(admitted).as("%s selects %s", selectors, key).isTrue();
        }
    }

    @Property(tries = 3000)
    void shouldSelectFromAKeysBytesAsFromItsParsedForm(@ForAll("selectors") List<String> selectors,
            @ForAll("keys") SeriesKey key) {
        KeyLayout layout = new KeyLayout();
        boolean read = layout.read(key.bytes());
        Statistics.label("read from bytes").collect(read);
        if (read) {
            for (String selector : selectors) {
                SeriesSelector s = SeriesSelector.parse(selector);
                assertThat(s.matches(layout)).as("%s on %s", selector, key).isEqualTo(s.matches(key));
            }
        } else {
            assertThat(key.toString()).as("only keys with non-ASCII values are left to a parse").matches("(?s).*[^\\x00-\\x7f].*");
        }
    }

    @Test
    void shouldRefuseKeysByNameAndExactLabelsWithoutParsingThem() {
        KeyAdmission admission = KeyAdmission.of(List.of(SeriesSelector.parse("http_requests_total{job=\"api\"}"),
                SeriesSelector.parse("{__name__=~\"node_.*\"}")));
        assertThat(admission.admits(key("http_requests_total", "code", "200", "job", "api"))).isTrue();
        assertThat(admission.admits(key("http_requests_total", "job", "web"))).isFalse();
        assertThat(admission.admits(key("http_requests_total_x", "job", "api"))).as("the exact name only").isFalse();
        assertThat(admission.admits(key("node_load1", "job", "web"))).isTrue();
        assertThat(admission.admits(key("up", "job", "api"))).isFalse();
        // a value that holds the label's text is not the label
        assertThat(admission.admits(key("http_requests_total", "path", ",job=\"api\""))).isFalse();
        assertThat(KeyAdmission.of(List.of(SeriesSelector.parse("{job=~\".+\"}"))).admits(key("up", "job", "x")))
                .as("no bound: every key").isTrue();
        assertThat(KeyAdmission.of(List.of()).admits(key("up"))).as("no selectors: none").isFalse();
    }

    private static byte[] key(String name, String... labels) {
        return SeriesKey.of("default", name, Labels.of(labels)).bytes();
    }

    @Provide
    Arbitrary<SeriesKey> keys() {
        Arbitrary<String> names = Arbitraries.of("up", "http_requests_total", "http_errors", "node_load1", "api");
        Arbitrary<String> values = Arbitraries.of("", "api", "web", "a\"b", "x,job=\"api\"", "5xx", "ap", "a\\b",
                "line\nbreak", "caf\u00e9", "\\n");
        return Combinators.combine(Arbitraries.of("default", "team-a"), names, values, values, values)
                .as((tenant, name, job, code, path) -> SeriesKey.of(tenant, name,
                        Labels.ofPairs(new String[] {"job", job, "code", code, "path", path})));
    }

    @Provide
    Arbitrary<List<String>> selectors() {
        Arbitrary<String> names = Arbitraries.of("up", "http_requests_total", "", "{__name__=~\"http_.*\"}",
                "{__name__=~\"api|up\"}", "{__name__!=\"up\"}", "{__name__=~\".*\"}");
        Arbitrary<String> matchers = Arbitraries.of("job=\"api\"", "job=\"\"", "job!=\"web\"", "code=~\"5.*\"",
                "path=\"a\\\"b\"", "path=\"x,job=\\\"api\\\"\"", "job=~\"ap\"", "job=\"ap\"",
                "path=\"a\\\\b\"", "path=~\"line\\nbreak\"", "path=~\".*\\\\.*\"", "path!=\"\\\\n\"", "code=~\"5xx|\"");
        Arbitrary<String> one = Combinators.combine(names, matchers.list().ofMaxSize(2)).as((name, ms) -> {
            if (name.startsWith("{")) {
                String inner = name.substring(1, name.length() - 1);
                return "{" + String.join(", ", java.util.stream.Stream.concat(java.util.stream.Stream.of(inner),
                        ms.stream()).toList()) + "}";
            }
            return name + "{" + String.join(", ", ms) + "}";
        }).filter(KeyAdmissionTest::parses); // Prometheus refuses a selector that selects everything
        return one.list().ofMinSize(1).ofMaxSize(3);
    }

    private static boolean parses(String selector) {
        try {
            SeriesSelector.parse(selector);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
