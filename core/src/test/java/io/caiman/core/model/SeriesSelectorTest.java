package io.caiman.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.re2j.Pattern;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SeriesSelectorTest {

    static final SeriesKey API_500 = SeriesKey.parse("default/http_requests_total{code=\"500\",job=\"api\"}");
    static final SeriesKey WEB_200 = SeriesKey.parse("default/http_requests_total{code=\"200\",job=\"web\"}");
    static final SeriesKey UP = SeriesKey.parse("default/up{job=\"api\"}");

    @ParameterizedTest
    @CsvSource(delimiter = '¦', value = {
        "http_requests_total                          ¦ true  ¦ true  ¦ false",
        "http_requests_total{job=\"api\"}             ¦ true  ¦ false ¦ false",
        "{__name__=~\"http_.*\", code=~\"5..\"}       ¦ true  ¦ false ¦ false",
        "{__name__=~\"up|http_requests_total\"}       ¦ true  ¦ true  ¦ true",
        "{job=\"api\"}                                ¦ true  ¦ false ¦ true",
        "{job!=\"api\", __name__!=\"\"}               ¦ false ¦ true  ¦ false",
        "http_requests_total{code!~'2..',}            ¦ true  ¦ false ¦ false",
        "{__name__=`up`}                              ¦ false ¦ false ¦ true",
        "up{missing=\"\"}                             ¦ false ¦ false ¦ true",
        "up{missing!=\"\"}                            ¦ false ¦ false ¦ false",
        "{job=~\"ap\"}                                ¦ false ¦ false ¦ false",
    })
    void shouldSelectAsPrometheusDoes(String selector, boolean api500, boolean web200, boolean up) {
        SeriesSelector s = SeriesSelector.parse(selector);
        assertThat(s.matches(API_500)).as("api 500").isEqualTo(api500);
        assertThat(s.matches(WEB_200)).as("web 200").isEqualTo(web200);
        assertThat(s.matches(UP)).as("up").isEqualTo(up);
    }

    @Test
    void shouldReadEscapesInQuotedValues() {
        SeriesKey key = SeriesKey.of("default", "m", Labels.of("path", "a\"b\\c\nd"));
        assertThat(SeriesSelector.parse("m{path=\"a\\\"b\\\\c\\nd\"}").matches(key)).isTrue();
        assertThat(SeriesSelector.parse("m{path=`a\"b\\c\nd`}").matches(key)).isTrue();
    }

    @Test
    @org.junit.jupiter.api.Timeout(value = 10, threadMode = org.junit.jupiter.api.Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldReadRegularExpressionsAsRe2Does() {
        SeriesKey digits = SeriesKey.of("default", "up", Labels.of("job", "123"));
        SeriesKey letters = SeriesKey.of("default", "up", Labels.of("job", "dig"));
        SeriesSelector posix = SeriesSelector.parse("up{job=~\"[[:digit:]]+\"}");
        assertThat(posix.matches(digits)).isTrue();
        assertThat(posix.matches(letters)).as("a named class, not the letters of its name").isFalse();
        // an expression that backtracks for ever in java.util.regex is linear in RE2
        String value = "a".repeat(40) + "!";
        SeriesKey long_ = SeriesKey.of("default", "up", Labels.of("job", value));
        assertThat(SeriesSelector.parse("up{job=~\"(a+)+b\"}").matches(long_)).isFalse();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "up{job=\"api\"                | column 13: expected '}'",
        "up{job=api}                   | column 8: expected a quoted label value",
        "up{job==\"a\"}                | column 8: expected a quoted label value",
        "up{job=\"a\" code=\"b\"}      | column 12: expected ',' or '}' after a matcher",
        "up{job=~\"(\"}                | column 9: invalid regular expression (",
        "up{job=~\"(?=a)\"}            | column 9: invalid regular expression (?=a)",
        "up{job=~\"(a)\\\\1\"}            | column 9: invalid regular expression",
        "{job=~\".*\"}                 | matches every series",
        "{}                            | matches every series",
        "9up                           | column 1: expected a metric name or '{'",
        "up{job=\"a\"} x               | column 13: unexpected text after the selector",
        "up{job=\"a\\q\"}              | column 10: unknown escape \\q",
    })
    void shouldRefuseBadSelectorsSayingWhere(String selector, String message) {
        assertThatThrownBy(() -> SeriesSelector.parse(selector)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '¦', nullValues = "null", value = {
        "up                                 ¦ up         ¦ true",
        "up{job=\"api\"}                    ¦ up         ¦ true",
        "{job=\"api\", __name__=`up`}       ¦ up         ¦ true",
        "{__name__=~\"http_.*\"}            ¦ http_      ¦ false",
        "{__name__=~\"http_requests_total\"} ¦ http_requests_total ¦ false",
        "{__name__=~\"node_(cpu|mem).*\"}   ¦ node_      ¦ false",
        "{__name__=~\"nodes?_up\"}          ¦ node       ¦ false",
        "{__name__=~\"ab*c\"}               ¦ a          ¦ false",
        "{__name__=~\"ab+c\"}               ¦ ab         ¦ false",
        "{__name__=~\"ab{0,2}\"}            ¦ a          ¦ false",
        "{__name__=~\"a:b\\\\.c\"}            ¦ a:b        ¦ false",
        "{__name__=~\"up|go_.*\"}           ¦ null       ¦ false",
        "{__name__=~\"a)|(b\"}              ¦ null       ¦ false",
        "{__name__=~\"a[|]b\"}              ¦ a          ¦ false",
        "{__name__=~\"(?i)up\"}             ¦ null       ¦ false",
        "{__name__=~\"a?b\"}                ¦ null       ¦ false",
        "{__name__=~\"ab(?i)*c\"}           ¦ a          ¦ false",
        "{__name__=~\"ab+(?i)*c\"}          ¦ a          ¦ false",
        "{__name__=~\"a)*b(\"}              ¦ null       ¦ false",
        "{__name__=~\"ab(?i)(?-s)?c\"}      ¦ a          ¦ false",
        "{__name__=~`a\\Qb|c\\E`}            ¦ null       ¦ false",
        "{__name__!=\"up\", job=\"api\"}    ¦ null       ¦ false",
        "{__name__=~\"h.*\", __name__=~\"http_.*\"} ¦ http_ ¦ false",
        "{job=\"api\"}                      ¦ null       ¦ false",
    })
    void shouldTellWhatEverySelectedNameStartsWith(String selector, String prefix, boolean exact) {
        SeriesSelector.NameBound bound = SeriesSelector.parse(selector).nameBound();
        if (prefix == null) {
            assertThat(bound).isNull();
        } else {
            assertThat(bound).isEqualTo(new SeriesSelector.NameBound(prefix, exact));
        }
    }

    /**
     * The bound is only worth anything if it never leaves out a name the expression matches: random expressions
     * built from structure that could hide an alternation or a quantifier, against random names.
     */
    @Property(tries = 5000)
    void shouldNeverBoundOutANameTheExpressionMatches(@ForAll("regexes") String regex, @ForAll("names") List<String> names) {
        SeriesSelector selector;
        try {
            selector = SeriesSelector.parse("{__name__=~`" + regex + "`}");
        } catch (IllegalArgumentException e) {
            return; // not an expression, or one that matches the empty name
        }
        Pattern pattern = selector.matchers().get(0).regex().pattern();
        SeriesSelector.NameBound bound = selector.nameBound();
        Statistics.label("bounded").collect(bound != null);
        for (String name : names) {
            if (pattern.matcher(name).matches()) {
                Statistics.label("matched").collect(true);
                assertThat(bound == null || bound.admits(name)).as("%s matches %s, bound %s", regex, name, bound).isTrue();
            }
        }
    }

    /** The shapes matched without the engine (a literal, its start, end or part, literals in alternation) as RE2 does. */
    @Property(tries = 5000)
    void shouldMatchWithoutTheEngineExactlyAsTheEngineDoes(@ForAll("shapes") String regex, @ForAll("names") List<String> values) {
        SeriesSelector.Regex r;
        try {
            r = SeriesSelector.parse("{job=~`" + regex + "`, __name__=\"x\"}").matchers().get(0).regex();
        } catch (IllegalArgumentException e) {
            return;
        }
        for (String v : values) {
            assertThat(r.matches(v)).as("%s against %s", regex, v).isEqualTo(r.pattern().matches(v));
        }
        assertThat(r.matches("")).as("%s against the empty value", regex).isEqualTo(r.pattern().matches(""));
    }

    @Provide
    Arbitrary<String> shapes() {
        return Arbitraries.of("a", "ab", "b", "A", "_", ":", ".*", ".*", ".*", "|", "|", ".", "\\.", "\\.*", "\\\\", "*",
                "?", "+", "(", ")", "[ab]", "(?i)").list().ofMinSize(1).ofMaxSize(6).map(parts -> String.join("", parts));
    }

    @Test
    void shouldMatchTheCommonShapes() {
        assertThat(regex("http_.*").matches("http_requests_total")).isTrue();
        assertThat(regex("http_.*").matches("https")).isFalse();
        assertThat(regex(".*_total").matches("a_total")).isTrue();
        assertThat(regex(".*err.*").matches("x\nerr\n")).as(". matches a newline").isTrue();
        assertThat(regex("api|db").matches("db")).isTrue();
        assertThat(regex("api|db").matches("apidb")).isFalse();
        assertThat(regex("a\\.b.*").matches("a.bc")).isTrue();
        assertThat(regex("a\\.b.*").matches("axbc")).isFalse();
    }

    private static SeriesSelector.Regex regex(String expression) {
        return SeriesSelector.parse("{job=~`" + expression + "`, __name__=\"x\"}").matchers().get(0).regex();
    }

    @Provide
    Arbitrary<String> regexes() {
        return Arbitraries.of("a", "b", "ab", "_", ":", ".", ".*", "?", "*", "+", "{0,2}", "{1}", "|", "(", ")", "(?:",
                "[", "]", "[ab]", "[^a]", "[|]", "[(]", "[)]", "[[]", "[]]", "[]|]", "[^]|]", "[[:alpha:]]", "[:", ":]", "(?-s)", "(?i)*", "\\.", "\\|", "\\(", "\\Q", "\\E", "(?i)", "^", "$").list().ofMinSize(1)
                .ofMaxSize(7).map(parts -> String.join("", parts));
    }

    @Provide
    Arbitrary<List<String>> names() {
        return Arbitraries.strings().withChars("ab_:.|()A[]").ofMinLength(1).ofMaxLength(5).list().ofMinSize(20).ofMaxSize(40);
    }
}
