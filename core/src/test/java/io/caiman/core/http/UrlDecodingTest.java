package io.caiman.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.junit.jupiter.api.Test;

/** A URL's query and path segments decoded exactly, or refused naming the place. */
class UrlDecodingTest {

    @Property(tries = 1000)
    void shouldReadBackWhatTheJdkEncodes(@ForAll String value) {
        if (!value.codePoints().allMatch(Character::isDefined) || value.chars().anyMatch(c -> Character.isSurrogate((char) c))) {
            return; // lone surrogates have no UTF-8; URLEncoder writes '?' for them
        }
        String encoded = URLEncoder.encode(value, StandardCharsets.UTF_8);
        assertThat(UrlDecoding.decode(encoded, true, "v")).isEqualTo(value);
        assertThat(HttpExchange.query("a=1&v=" + encoded + "&a=2"))
                .isEqualTo(Map.of("a", List.of("1", "2"), "v", List.of(value)));
    }

    @Test
    void shouldTakeCharactersSentUnencodedAsTheyAre() {
        assertThat(UrlDecoding.decode("\u00e9t\u00e9-\ud83d\ude00", false, "v")).isEqualTo("\u00e9t\u00e9-\ud83d\ude00");
    }

    @Test
    void shouldReadPlusAsASpaceOnlyInAQuery() {
        assertThat(UrlDecoding.decode("a+b%2B", true, "v")).isEqualTo("a b+");
        assertThat(UrlDecoding.decode("a+b%2B", false, "v")).isEqualTo("a+b+");
        assertThat(HttpExchange.query("extra_label=env=prod&flag&&x=")).isEqualTo(
                Map.of("extra_label", List.of("env=prod"), "flag", List.of(""), "x", List.of("")));
    }

    @Test
    void shouldRefuseRatherThanReplace() {
        assertThatThrownBy(() -> HttpExchange.query("extra_label=env%3D%FF"))
                .isInstanceOf(HttpError.class)
                .hasMessage("the query parameter extra_label is not valid UTF-8: 0xFF (its byte 4)");
        assertThatThrownBy(() -> HttpExchange.query("db=a%2")).hasMessage(
                "the query parameter db has a '%' not followed by two hex digits");
        assertThatThrownBy(() -> HttpExchange.query("%E2%82=1")).hasMessage(
                "a query parameter's name is not valid UTF-8: 0xE2 0x82 (its byte 0)");
    }
}
