package io.caiman.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "up{job=\"api\"                | column 13: expected '}'",
        "up{job=api}                   | column 8: expected a quoted label value",
        "up{job==\"a\"}                | column 8: expected a quoted label value",
        "up{job=\"a\" code=\"b\"}      | column 12: expected ',' or '}' after a matcher",
        "up{job=~\"(\"}                | column 9: invalid regular expression (",
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
}
