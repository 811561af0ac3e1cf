package io.caiman.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.model.Naming;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * The word-at-a-time scans against a byte at a time: over every length across a word, at every offset, near the
 * end of the array (where a scan may not read a whole word past the range) and in its middle.
 */
class BytesTest {

    /** Bytes names and values are made of, with the ones each scan must catch over-represented. */
    @Provide
    Arbitrary<byte[]> bytes() {
        Arbitrary<Byte> interesting = Arbitraries.of((byte) 'a', (byte) 'Z', (byte) '0', (byte) '9', (byte) '_',
                (byte) ':', (byte) '\\', (byte) '"', (byte) '\n', (byte) 0, (byte) 0x7F, (byte) 0x80, (byte) 0xC3,
                (byte) 0xFF, (byte) '/', (byte) '@', (byte) '[', (byte) '`', (byte) '{', (byte) 'A', (byte) 'z');
        Arbitrary<Byte> any = Arbitraries.bytes();
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(3, interesting), net.jqwik.api.Tuple.of(1, any))
                .array(byte[].class).ofMaxSize(40);
    }

    @Property(tries = 3000)
    void scansAgreeWithAByteAtATime(@ForAll("bytes") byte[] content, @ForAll @IntRange(max = 12) int before,
            @ForAll @IntRange(max = 12) int after) {
        byte[] b = new byte[before + content.length + after];
        Arrays.fill(b, (byte) 'x');
        System.arraycopy(content, 0, b, before, content.length);
        int from = before;
        int to = before + content.length;
        String text = new String(content, StandardCharsets.ISO_8859_1);
        boolean ascii = allBelow0x80(content);
        assertThat(Bytes.isName(b, from, to, true)).as("metric name %s", text)
                .isEqualTo(ascii && Naming.isValidMetricName(text));
        assertThat(Bytes.isName(b, from, to, false)).as("label name %s", text)
                .isEqualTo(ascii && Naming.isValidLabelName(text));
        assertThat(Bytes.isPlain(b, from, to)).as("plain %s", text)
                .isEqualTo(ascii && text.indexOf('\\') < 0 && text.indexOf('"') < 0 && text.indexOf('\n') < 0);
        assertThat(Bytes.isAscii(b, from, to)).isEqualTo(ascii);
    }

    @Property(tries = 3000)
    void comparesAsTheJdkDoes(@ForAll("bytes") byte[] x, @ForAll("bytes") byte[] y,
            @ForAll @IntRange(max = 12) int after) {
        // y often shares a prefix with x, as label names do
        byte[] z = y.length > 0 && y[0] == 'a' ? concat(x, y) : y;
        byte[] b = new byte[x.length + z.length + after];
        System.arraycopy(x, 0, b, 0, x.length);
        System.arraycopy(z, 0, b, x.length, z.length);
        int expected = Integer.signum(Arrays.compare(x, z));
        assertThat(Integer.signum(Bytes.compare(b, 0, x.length, x.length, x.length + z.length))).isEqualTo(expected);
        assertThat(Integer.signum(Bytes.compare(b, x.length, x.length + z.length, 0, x.length))).isEqualTo(-expected);
        assertThat(Bytes.compare(b, 0, x.length, 0, x.length)).isZero();
    }

    @Property(tries = 1000)
    void copiesTheRangeAndNothingBeforeIt(@ForAll("bytes") byte[] content, @ForAll @IntRange(max = 20) int at,
            @ForAll @IntRange(max = 20) int room) {
        byte[] dst = new byte[at + content.length + room];
        Arrays.fill(dst, (byte) 7);
        byte[] src = concat(content, new byte[room]);
        Bytes.copy(src, 0, dst, at, content.length);
        assertThat(Arrays.copyOfRange(dst, at, at + content.length)).isEqualTo(content);
        for (int i = 0; i < at; i++) {
            assertThat(dst[i]).isEqualTo((byte) 7);
        }
    }

    private static byte[] concat(byte[] x, byte[] y) {
        byte[] out = Arrays.copyOf(x, x.length + y.length);
        System.arraycopy(y, 0, out, x.length, y.length);
        return out;
    }

    @Test
    void namesOfEveryLengthUpToThreeWords() {
        for (int n = 1; n <= 24; n++) {
            for (int bad = -1; bad < n; bad++) {
                byte[] b = new byte[n];
                Arrays.fill(b, (byte) 'a');
                if (bad >= 0) {
                    b[bad] = (byte) '-';
                }
                assertThat(Bytes.isName(b, 0, n, false)).as("length %d, bad at %d", n, bad).isEqualTo(bad < 0);
                if (bad >= 0) {
                    b[bad] = (byte) '"';
                }
                assertThat(Bytes.isPlain(b, 0, n)).as("length %d, quote at %d", n, bad).isEqualTo(bad < 0);
            }
        }
        assertThat(Bytes.isName(new byte[0], 0, 0, true)).isFalse();
        assertThat(Bytes.isName("9a".getBytes(StandardCharsets.US_ASCII), 0, 2, false)).isFalse();
        assertThat(Bytes.isName(":a".getBytes(StandardCharsets.US_ASCII), 0, 2, true)).isTrue();
        assertThat(Bytes.isName(":a".getBytes(StandardCharsets.US_ASCII), 0, 2, false)).isFalse();
    }

    private static boolean allBelow0x80(byte[] b) {
        for (byte c : b) {
            if (c < 0) {
                return false;
            }
        }
        return true;
    }
}
