package io.caiman.core.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

class KeyLayoutTest {

    /**
     * What the layout reads is a key exactly as {@link SeriesKey#bytes} writes it, so that its ranges can be copied
     * into other keys as they are: edited keys (a byte set, inserted or removed) it reads must parse and render back
     * to the same bytes, with the same name and labels.
     */
    @Property(tries = 5000)
    void shouldReadOnlyKeysThatRenderBackToTheSameBytes(@ForAll("editedKeys") byte[] key) {
        KeyLayout layout = new KeyLayout();
        boolean read = layout.read(key);
        Statistics.label("read").collect(read);
        if (!read) {
            return;
        }
        SeriesKey parsed = SeriesKey.parse(key);
        assertThat(parsed.bytes()).as(new String(key, StandardCharsets.UTF_8)).isEqualTo(key);
        assertThat(layout.name()).isEqualTo(parsed.name());
        assertThat(layout.labels()).isEqualTo(parsed.labels().size());
        for (int i = 0; i < layout.labels(); i++) {
            assertThat(new String(key, layout.labelStart(i), layout.labelEnd(i) - layout.labelStart(i),
                    StandardCharsets.US_ASCII)).isEqualTo(parsed.labels().name(i));
            assertThat(layout.value(i)).isEqualTo(parsed.labels().value(i));
            assertThat(layout.find(parsed.labels().name(i).getBytes(StandardCharsets.US_ASCII))).isEqualTo(i);
        }
    }

    @Test
    void shouldReadKeysAsTheGatewayWritesThem() {
        KeyLayout layout = new KeyLayout();
        byte[] key = SeriesKey.of("default", "http_requests_total",
                Labels.of("path", "/a\"b\\c\nd", "code", "200")).bytes();
        assertThat(layout.read(key)).isTrue();
        assertThat(layout.name()).isEqualTo("http_requests_total");
        assertThat(layout.labels()).isEqualTo(2);
        assertThat(layout.find("code".getBytes(StandardCharsets.US_ASCII))).isZero();
        assertThat(layout.value(1)).isEqualTo("/a\"b\\c\nd");
        assertThat(layout.find("job".getBytes(StandardCharsets.US_ASCII))).isEqualTo(-1);
        assertThat(layout.read("t/up".getBytes(StandardCharsets.US_ASCII))).as("no labels").isTrue();
        assertThat(layout.labels()).isZero();
        String[] many = new String[2 * 70];
        for (int i = 0; i < 70; i++) {
            many[2 * i] = String.format("l%03d", i);
            many[2 * i + 1] = "v" + i;
        }
        assertThat(layout.read(SeriesKey.of("t", "wide", Labels.of(many)).bytes())).as("more labels than it first has room for").isTrue();
        assertThat(layout.labels()).isEqualTo(70);
        assertThat(layout.value(69)).isEqualTo("v69");
        assertThat(layout.find("l042".getBytes(StandardCharsets.US_ASCII))).isEqualTo(42);
    }

    @Test
    void shouldLeaveEveryOtherFormToAParse() {
        KeyLayout layout = new KeyLayout();
        for (String key : List.of("t/up{b=\"1\",a=\"2\"}", "t/up{a=\"1\",a=\"2\"}", "t/up{a=\"\"}", "t/up{a=\"\\q\"}",
                "t/up{a=\"caf\u00e9\"}", "t/up{a=\"x\ny\"}", "t/up{a=\"1\"", "t/up{a=\"1\"}x", "t/up{a=\"1\",}", "up",
                "./up", "t/9up", "t/up{9a=\"1\"}", "t/up{a=\"1\"b=\"2\"}", "t/up{}", "t/up{a=\"1\\\"}")) {
            assertThat(layout.read(key.getBytes(StandardCharsets.UTF_8))).as(key).isFalse();
        }
    }

    @Provide
    Arbitrary<byte[]> editedKeys() {
        Arbitrary<String> values = Arbitraries.of("", "1", "api", "a\"b", "a\\b", "x\ny", "caf\u00e9", "\\n", "a,b=\"c\"");
        Arbitrary<String> names = Arbitraries.of("a", "b", "job", "le", "x_1");
        Arbitrary<byte[]> keys = Combinators.combine(Arbitraries.of("default", "t", "a.b"),
                Arbitraries.of("up", "http_requests_total", "a:b"), names.list().ofMaxSize(4), values.list().ofSize(4))
                .as((tenant, name, labelNames, labelValues) -> {
                    List<String> pairs = new ArrayList<>();
                    for (int i = 0; i < labelNames.size(); i++) {
                        if (!pairs.contains(labelNames.get(i))) {
                            pairs.add(labelNames.get(i));
                            pairs.add(labelValues.get(i));
                        }
                    }
                    return SeriesKey.of(tenant, name, Labels.of(pairs.toArray(String[]::new))).bytes();
                });
        Arbitrary<Integer> edits = Arbitraries.integers().between(0, 3);
        Arbitrary<List<Integer>> at = Arbitraries.integers().between(0, 1000).list().ofSize(3);
        Arbitrary<List<Byte>> bytes = Arbitraries.of((byte) '"', (byte) '\\', (byte) ',', (byte) '{', (byte) '}',
                (byte) '=', (byte) 'n', (byte) 'a', (byte) 0xC3, (byte) '\n', (byte) '/').list().ofSize(3);
        return Combinators.combine(keys, edits, at, bytes).as((key, n, where, what) -> {
            List<Byte> b = new ArrayList<>();
            for (byte x : key) {
                b.add(x);
            }
            for (int e = 0; e < n; e++) {
                int i = where.get(e) % (b.size() + 1);
                switch (where.get(e) % 3) {
                    case 0 -> b.add(i, what.get(e));
                    case 1 -> {
                        if (i < b.size()) {
                            b.remove(i);
                        }
                    }
                    default -> {
                        if (i < b.size()) {
                            b.set(i, what.get(e));
                        }
                    }
                }
            }
            byte[] out = new byte[b.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = b.get(i);
            }
            return out;
        });
    }
}
