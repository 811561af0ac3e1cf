package io.caiman.core.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

class SeriesKeyTest {

    @Test
    void shouldRenderTheCanonicalForm() {
        SeriesKey key = SeriesKey.of("default", "http_requests_total",
                Labels.of("path", "/a\"b\\c\nd", "job", "api", "empty", ""));
        assertThat(key.toString()).isEqualTo("default/http_requests_total{job=\"api\",path=\"/a\\\"b\\\\c\\nd\"}");
        assertThat(SeriesKey.of("t1", "up", Labels.EMPTY).toString()).isEqualTo("t1/up");
    }

    @Test
    void shouldLeaveReplicaLabelsOutSoAnHaPairSharesAKey() {
        SeriesKey a = SeriesKey.of("default", "up", Labels.of("job", "x", "__replica__", "a"), List.of("__replica__"));
        SeriesKey b = SeriesKey.of("default", "up", Labels.of("job", "x", "__replica__", "b"), List.of("__replica__"));
        assertThat(a).isEqualTo(b);
        assertThat(a.bytes()).isEqualTo(b.bytes());
        assertThat(a.toString()).isEqualTo("default/up{job=\"x\"}");
    }

    @Test
    void shouldRefuseInvalidNames() {
        assertThatThrownBy(() -> SeriesKey.of("default", "1up", Labels.EMPTY)).hasMessageContaining("'1' at position 1");
        assertThatThrownBy(() -> SeriesKey.of("a/b", "up", Labels.EMPTY)).hasMessageContaining("tenant 'a/b'");
        assertThatThrownBy(() -> SeriesKey.of("default", "up", Labels.of("a-b", "1"))).hasMessageContaining("label name 'a-b'");
        assertThatThrownBy(() -> Labels.of("a", "1", "a", "2")).hasMessageContaining("label a given twice");
    }

    @Property(tries = 1000)
    void shouldBuildTheSameLabelsFromAnArrayAsFromTheCopyingPath(
            @ForAll @net.jqwik.api.constraints.Size(max = 12) java.util.List<@net.jqwik.api.constraints.StringLength(max = 3)
                    @net.jqwik.api.constraints.AlphaChars String> parts) {
        String[] pairs = (parts.size() % 2 == 0 ? parts : parts.subList(0, parts.size() - 1)).toArray(new String[0]);
        Labels expected;
        try {
            expected = Labels.of(pairs.clone());
        } catch (IllegalArgumentException e) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> Labels.ofPairs(pairs.clone()))
                    .isInstanceOf(IllegalArgumentException.class);
            return;
        }
        assertThat(Labels.ofPairs(pairs.clone())).isEqualTo(expected);
    }

    @Property(tries = 500)
    void shouldParseBackExactly(@ForAll @StringLength(max = 20) String v1, @ForAll @StringLength(max = 20) String v2) {
        SeriesKey key = SeriesKey.of("team-1", "metric:x", Labels.of("b", v1, "a", v2));
        assertThat(SeriesKey.parse(key.bytes())).isEqualTo(key);
        assertThat(SeriesKey.parse(key.toString()).labels()).isEqualTo(key.labels());
    }

    @Property(tries = 3000)
    void shouldCheckKeyBytesExactlyAsParseReadsThem(
            @ForAll @net.jqwik.api.constraints.CharRange(from = ' ', to = '~') @StringLength(max = 24) String noise,
            @ForAll("keyish") String keyish, @ForAll("editedKey") String edited) {
        for (String text : List.of(noise, keyish, edited)) {
            byte[] bytes = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            boolean parses;
            try {
                SeriesKey.parse(bytes);
                parses = true;
            } catch (IllegalArgumentException e) {
                parses = false;
            }
            // the fast scan accepts exactly what parse accepts (so check never has to fall back on a valid key)
            assertThat(SeriesKey.wellFormed(bytes)).as(text).isEqualTo(parses);
            // the one-pass scan of the canonical form never accepts what parse refuses
            if (SeriesKey.canonical(bytes)) {
                assertThat(parses).as(text).isTrue();
            }
        }
    }

    @Property(tries = 1000)
    void shouldTakeEveryKeyItWritesByTheOnePassScan(
            @ForAll @StringLength(max = 12) String v1, @ForAll @StringLength(max = 12) String v2,
            @ForAll("labelNames") String n1, @ForAll("labelNames") String n2) {
        Labels labels = n1.equals(n2) ? Labels.of(n1, v1) : Labels.of(n1, v1, n2, v2);
        SeriesKey key = SeriesKey.of("team-1.a", "metric:x_1", labels);
        assertThat(SeriesKey.canonical(key.bytes())).as(key.toString()).isTrue();
    }

    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> labelNames() {
        return net.jqwik.api.Arbitraries.of("a", "b", "job", "a1", "_x", "instance", "__name", "Z9");
    }

    /** Strings made of the characters that give a key its structure, and a few others (one not ASCII). */
    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> keyish() {
        return net.jqwik.api.Arbitraries.strings().withChars('a', 'b', '1', ':', '.', '/', '{', '}', '=', '"', '\\', ',', 'é')
                .ofMaxLength(16);
    }

    /** A key with two labels (names valid or not, values empty, escaped or not), then one character added or taken. */
    @net.jqwik.api.Provide
    net.jqwik.api.Arbitrary<String> editedKey() {
        net.jqwik.api.Arbitrary<String> names = net.jqwik.api.Arbitraries.of("a", "b", "job", "a1", "1a", "", "é", "a-b");
        net.jqwik.api.Arbitrary<String> values = net.jqwik.api.Arbitraries.of("", "x", "a\"b", "c\\d", "n\ne", "é");
        return net.jqwik.api.Combinators.combine(names, values, names, values, net.jqwik.api.Arbitraries.integers().between(0, 40),
                net.jqwik.api.Arbitraries.of('"', '=', '{', '}', ',', '\\', 'a', '/', '.'),
                net.jqwik.api.Arbitraries.integers().between(0, 2)).as((n1, v1, n2, v2, at, c, edit) -> {
                    StringBuilder key = new StringBuilder("t1/m:x{").append(n1).append("=\"");
                    SeriesKey.escape(key, v1);
                    key.append("\",").append(n2).append("=\"");
                    SeriesKey.escape(key, v2);
                    key.append("\"}");
                    int p = Math.min(at, key.length() - 1);
                    if (edit == 1) {
                        key.insert(p, (char) c);
                    } else if (edit == 2) {
                        key.deleteCharAt(p);
                    }
                    return key.toString();
                });
    }

    @Test
    void shouldCheckRealKeys() {
        SeriesKey key = SeriesKey.of("t1", "http_requests_total", Labels.of("path", "/a\"b\nc", "job", "api"));
        SeriesKey.check(key.bytes());
        SeriesKey.check("default/up".getBytes(java.nio.charset.StandardCharsets.UTF_8));
        assertThatThrownBy(() -> SeriesKey.check("default/up{job=\"x\"".getBytes(java.nio.charset.StandardCharsets.UTF_8)))
                .hasMessageContaining("expected '}' at the end");
    }
}
