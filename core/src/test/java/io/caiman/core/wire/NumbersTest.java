package io.caiman.core.wire;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;

/**
 * The plain-decimal fast path reads exactly what {@link Double#parseDouble} reads, to the bit, or steps aside; and so does
 * the reader of long decimals behind it.
 */
class NumbersTest {

    @Property(tries = 5000)
    void shouldReadEveryDoubleAsTheJdkDoes(@ForAll double d) {
        for (String text : new String[] {Double.toString(d), String.format(java.util.Locale.ROOT, "%.17g", d),
                java.math.BigDecimal.valueOf(d).toPlainString()}) {
            sameAsTheJdk(text);
        }
    }

    @Property(tries = 5000)
    void shouldReadDecimalsAsTheJdkDoes(@ForAll("decimals") String text) {
        sameAsTheJdk(text);
    }

    @Provide
    Arbitrary<String> decimals() {
        Arbitrary<String> sign = Arbitraries.of("", "+", "-");
        Arbitrary<String> whole = Arbitraries.strings().numeric().ofMaxLength(20);
        Arbitrary<String> point = Arbitraries.of("", ".");
        Arbitrary<String> fraction = Arbitraries.strings().numeric().ofMaxLength(20);
        Arbitrary<String> exponent = Arbitraries.of("", "e", "E", "e+", "e-", "E-").flatMap(e -> e.isEmpty()
                ? Arbitraries.just("") : Arbitraries.integers().between(0, 400).map(n -> e + n));
        return Combinators.combine(sign, whole, point, fraction, exponent).as((s, w, p, f, e) -> s + w + p + f + e);
    }

    @Test
    void shouldReadTheCommonSpellings() {
        for (String text : new String[] {"0", "-0", "+0.0", "1", "42", "0.1", "0.3", "1.5e3", "1E-7", "123456789012345678",
                "9007199254740993", "4.35", "1e22", "1e23", "5e-324", ".5", "5.", "000123.4500", "1.7976931348623157e308"}) {
            sameAsTheJdk(text);
        }
        assertThat(Numbers.plainDecimal(ascii("0.1"), 0, 3)).isEqualTo(0.1);
        assertThat(Numbers.plainDecimal(ascii("x 12.5 y"), 2, 6)).isEqualTo(12.5);
        assertThat(Numbers.parseFloat(ascii("a 7 b"), 2, 3)).isEqualTo(7.0);
        // not decimals: the fast path steps aside and the general reader decides
        for (String text : new String[] {"", ".", "e5", "1e", "1.2.3", "NaN", "+Inf", "0x1p3", "1d", "1_000", " 1"}) {
            assertThat(Numbers.isNumber(Numbers.plainDecimal(ascii(text), 0, text.length()))).as(text).isFalse();
        }
        assertThat(Numbers.parseFloat("-Inf")).isEqualTo(Double.NEGATIVE_INFINITY);
        assertThat(Numbers.parseFloat("+inFinity")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(Numbers.parseFloat("nAn")).isNaN();
        assertThat(Numbers.parseFloat("1_000")).isNull();
        assertThat(Numbers.parseFloat("1١")).isNull(); // digits are ASCII digits
        assertThat(Numbers.parseFloat("infinit")).isNull();
    }

    @Property(tries = 5000)
    void shouldReadTimestampsAsTheJdkReadsAsciiIntegers(@ForAll("integers") String text) {
        long[] out = new long[1];
        byte[] line = ascii("t " + text + " ");
        boolean read = Numbers.parseLong(line, 2, 2 + text.length(), out);
        Long jdk;
        try {
            jdk = Long.parseLong(text);
        } catch (NumberFormatException e) {
            jdk = null;
        }
        assertThat(read ? (Long) out[0] : null).as(text).isEqualTo(jdk);
    }

    @Provide
    Arbitrary<String> integers() {
        return Arbitraries.oneOf(
                Arbitraries.longs().map(Object::toString),
                Arbitraries.of("9223372036854775807", "9223372036854775808", "-9223372036854775808",
                        "-9223372036854775809", "+0", "-", "+", "", "1+", "99999999999999999999", "00000000000000000000001"),
                Arbitraries.strings().withChars('0', '1', '9', '-', '+', '.', 'e').ofMaxLength(21));
    }

    private static byte[] ascii(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    }

    private static void sameAsTheJdk(String text) {
        double fast = Numbers.plainDecimal(ascii(text), 0, text.length());
        Double jdk;
        try {
            jdk = Double.parseDouble(text);
        } catch (NumberFormatException e) {
            jdk = null;
        }
        if (Numbers.isNumber(fast)) {
            assertThat(jdk).as(text).isNotNull();
            assertThat(Double.doubleToRawLongBits(fast)).as(text).isEqualTo(Double.doubleToRawLongBits(jdk));
        }
        if (text.chars().allMatch(c -> (c >= '0' && c <= '9') || ".eE+-".indexOf(c) >= 0)) {
            assertThat(Numbers.parseFloat(text)).as(text).isEqualTo(jdk);
            // in place, inside a line, as the text parsers read it
            double inPlace = Numbers.parseFloat(ascii("v " + text + " 17"), 2, 2 + text.length());
            assertThat(Numbers.isNumber(inPlace) ? (Double) inPlace : null).as(text).isEqualTo(jdk);
        }
    }
}
