package io.caiman.core.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.SampleKind;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * A batch's key bytes are the series key's ({@link SeriesKey#of}), and its refusals are {@link Labels#ofPairs}'s and
 * {@link SampleLimits#check}'s, whichever way a series comes in: as strings, or as byte ranges raw or escaped.
 */
class SampleBatchTest {

    static final SampleLimits LIMITS = new SampleLimits(3, 6, 5);

    @Property(tries = 3000)
    void shouldWriteTheKeysBytesAndRefuseTheSameNamesFromStrings(@ForAll("names") String name,
            @ForAll("names") String n1, @ForAll("values") String v1, @ForAll("names") String n2,
            @ForAll("values") String v2) {
        Labels labels;
        try {
            labels = n1.equals(n2) ? Labels.of(n1, v1) : Labels.of(n1, v1, n2, v2);
        } catch (IllegalArgumentException e) {
            return; // an empty name: Labels refuses it before any key
        }
        SampleBatch batch = new SampleBatch();
        ParsedSample sample = new ParsedSample(name, labels, 1.5, null, MetricType.GAUGE, 3);
        byte[] expected;
        try {
            expected = SeriesKey.of("team-1", name, labels).bytes();
        } catch (IllegalArgumentException refused) {
            assertThatThrownBy(() -> batch.add(sample)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage(refused.getMessage());
            return;
        }
        batch.add(sample);
        batch.add(new ParsedSample(name, labels, 2.5, 7L, MetricType.COUNTER, 4)); // again, from the batch's tables
        assertThat(key(batch, 0)).isEqualTo(new String(expected, StandardCharsets.UTF_8));
        assertThat(key(batch, batch.series(1))).isEqualTo(new String(expected, StandardCharsets.UTF_8));
        // read back as the oplog would: a lone surrogate has no UTF-8 form, and is written as '?'
        Labels written = n1.equals(n2) ? Labels.of(n1, utf8(v1)) : Labels.of(n1, utf8(v1), n2, utf8(v2));
        assertThat(batch.samples()).containsExactly(new ParsedSample(name, written, 1.5, null, MetricType.GAUGE, 3),
                new ParsedSample(name, written, 2.5, 7L, MetricType.COUNTER, 4));
    }

    @Property(tries = 3000)
    void shouldTakeRangesRawOrEscapedAsTheStringsWouldBe(@ForAll("pairs") List<String> pairs, @ForAll boolean escaped) {
        // the series as a parser finds it: a name, then labels in the sender's order, in one input array
        ByteArrayOutputStream input = new ByteArrayOutputStream();
        input.writeBytes("up ".getBytes(StandardCharsets.US_ASCII));
        List<int[]> ranges = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i += 2) {
            int nameFrom = input.size();
            input.writeBytes(pairs.get(i).getBytes(StandardCharsets.US_ASCII));
            int nameTo = input.size();
            input.write('=');
            StringBuilder value = new StringBuilder();
            if (escaped) {
                SeriesKey.escape(value, pairs.get(i + 1));
            } else {
                value.append(pairs.get(i + 1));
            }
            int valueFrom = input.size();
            input.writeBytes(value.toString().getBytes(StandardCharsets.UTF_8));
            ranges.add(new int[] {nameFrom, nameTo, valueFrom, input.size()});
            input.write(' ');
        }
        byte[] b = input.toByteArray();
        SampleBatch batch = new SampleBatch();
        batch.series(b, 0, 2);
        for (int[] r : ranges) {
            batch.label(r[0], r[1], r[2], r[3], escaped);
        }
        String refused = batch.endSeries(LIMITS);

        Labels labels;
        try {
            labels = Labels.ofPairs(pairs.toArray(new String[0]));
        } catch (IllegalArgumentException e) {
            assertThat(refused).isEqualTo(e.getMessage());
            assertThat(batch.seriesCount()).isZero();
            return;
        }
        String limit = LIMITS.check("up", labels);
        if (limit != null) {
            assertThat(refused).isEqualTo(limit);
            assertThat(batch.seriesCount()).isZero();
            return;
        }
        assertThat(refused).isNull();
        batch.sample(4, 5L, true, MetricType.COUNTER, SampleKind.VALUE, 9);
        assertThat(key(batch, 0)).isEqualTo(SeriesKey.of("team-1", "up", labels).toString());
        assertThat(batch.labels(0)).isEqualTo(labels);
        assertThat(batch.samples()).containsExactly(
                new ParsedSample("up", labels, 4, 5L, MetricType.COUNTER, 9));
    }

    @Test
    void shouldHoldManySeriesAndSamplesPastEveryInitialSize() {
        SampleBatch batch = new SampleBatch();
        List<ParsedSample> expected = new ArrayList<>();
        String wide = "x\"é😀".repeat(500);
        for (int i = 0; i < 300; i++) {
            Labels labels = Labels.of("a", i % 7 == 0 ? wide : "v" + i, "b", "\\" + i);
            for (int k = 0; k < 3; k++) {
                ParsedSample s = new ParsedSample("m_" + (i % 3), labels, i + k / 10.0, k == 1 ? null : (long) i,
                        MetricType.values()[i % 8], i, SampleKind.values()[k]);
                batch.add(s);
                expected.add(s);
            }
        }
        assertThat(batch.size()).isEqualTo(900);
        assertThat(batch.seriesCount()).isEqualTo(300); // a sample of the series just added takes it again
        assertThat(batch.samples()).isEqualTo(expected);
        for (int i = 0; i < 300; i++) {
            assertThat(key(batch, i)).isEqualTo(SeriesKey.of("team-1", expected.get(3 * i).name(),
                    expected.get(3 * i).labels()).toString());
        }
    }

    @Test
    void shouldCountCharactersNotBytesOrEscapesAgainstTheValueLimit() {
        // five characters each: two bytes each, escapes, a surrogate pair (two UTF-16 characters)
        for (String value : new String[] {"ééééé", "\\\\\\\\\\", "😀😀a", "\"\"\"\"\""}) {
            assertThat(one(value, true)).as(value).isNull();
            assertThat(one(value, false)).as(value).isNull();
            String message = LIMITS.check("m", Labels.of("a", value + "x"));
            assertThat(one(value + "x", true)).as(value).isEqualTo(message).contains("is 6 characters");
            assertThat(one(value + "x", false)).as(value).isEqualTo(message);
        }
    }

    /** The refusal of series {@code m{a="value"}} given as a range of {@code value}, escaped or raw. */
    private static String one(String value, boolean escaped) {
        StringBuilder text = new StringBuilder("m a");
        if (escaped) {
            SeriesKey.escape(text, value);
        } else {
            text.append(value);
        }
        byte[] b = text.toString().getBytes(StandardCharsets.UTF_8);
        SampleBatch batch = new SampleBatch();
        batch.series(b, 0, 1);
        batch.label(2, 3, 3, b.length, escaped);
        return batch.endSeries(LIMITS);
    }

    private static String utf8(String s) {
        return new String(s.getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
    }

    private static String key(SampleBatch batch, int series) {
        return "team-1/" + batch.keyText(series);
    }

    /** Names valid or not: letters, digits, ':', '-', one not ASCII, empty. */
    @Provide
    Arbitrary<String> names() {
        return Arbitraries.strings().withChars('a', 'Z', '_', '1', ':', '-', 'é').ofMaxLength(5);
    }

    /** Values with every escape, multi-byte characters, surrogate pairs and lone surrogates. */
    @Provide
    Arbitrary<String> values() {
        return Arbitraries.oneOf(
                Arbitraries.strings().withChars('a', '"', '\\', '\n', 'é', '\u20ac', '\ud83d', '\ude00', ' ').ofMaxLength(8),
                Arbitraries.strings().ofMaxLength(8));
    }

    /**
     * Label names and values in the sender's order: valid names (some repeated, some long), values well-formed UTF-8
     * with escapes, empty or over the limit, up to five labels.
     */
    @Provide
    Arbitrary<List<String>> pairs() {
        Arbitrary<String> name = Arbitraries.of("a", "b", "job", "a1", "_x", "Z9", "instance");
        Arbitrary<String> value = Arbitraries.oneOf(Arbitraries.of("", "x", "node"),
                Arbitraries.strings().withChars('a', '"', '\\', '\n', 'é', '\u20ac', ' ').ofMaxLength(7),
                Arbitraries.of("😀😀", "😀😀😀"));
        return Combinators.combine(name, value).as(List::of).list().ofMaxSize(5)
                .map(list -> list.stream().flatMap(List::stream).toList());
    }
}
