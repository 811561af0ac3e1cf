package io.caiman.core.wire;

import ch.randelshofer.fastdoubleparser.JavaDoubleParser;
import java.util.Locale;

/** Numbers as the Prometheus and OpenMetrics text formats write them. */
public final class Numbers {

    /** Prometheus' stale marker: a NaN with its own bit pattern, distinct from an ordinary NaN. */
    public static final double STALE_NAN = Double.longBitsToDouble(0x7ff0000000000002L);

    private Numbers() {}

    /** Whether {@code v} is Prometheus' stale marker (its exact bits, not any NaN). */
    public static boolean isStaleMarker(double v) {
        return Double.doubleToRawLongBits(v) == 0x7ff0000000000002L;
    }

    /**
     * A sample value for a text exposition line: whole numbers without a fraction, others as the shortest
     * text that reads back to the same double, {@code NaN}, {@code +Inf}, {@code -Inf}.
     */
    public static String formatSample(double v) {
        if (Double.isNaN(v)) {
            return "NaN";
        }
        if (Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : "-Inf";
        }
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }

    /**
     * A float as Go's {@code strconv.ParseFloat} (Prometheus) and Python's {@code float} (the OpenMetrics
     * reference parser) read these formats: decimal with an optional exponent, or {@code NaN}, {@code Inf},
     * {@code Infinity} in any case with an optional sign. Java-only spellings (hex floats, {@code d}/{@code f}
     * suffixes) and {@code _} are refused.
     *
     * @return the value, or {@code null} when {@code text} is not a number
     */
    public static Double parseFloat(String text) {
        if (text == null || text.isEmpty()) {
            return null;
        }
        return parseFloat(text, 0, text.length());
    }

    /** {@link #parseFloat(String)} of {@code s.substring(from, to)}, without the substring but for NaN and infinities. */
    public static Double parseFloat(String s, int from, int to) {
        if (from >= to) {
            return null;
        }
        Double plain = plainDecimal(s, from, to);
        return plain != null ? plain : notPlain(s, from, to);
    }

    /** The spellings {@link #plainDecimal} leaves: infinities, NaN, long decimals, and what is not a number. */
    private static Double notPlain(String s, int from, int to) {
        char first = s.charAt(from);
        if (first == 'n' || first == 'N' || first == 'i' || first == 'I' || first == '+' || first == '-') {
            String lower = s.substring(from, to).toLowerCase(Locale.ROOT);
            String unsigned = first == '+' || first == '-' ? lower.substring(1) : lower;
            if (unsigned.equals("inf") || unsigned.equals("infinity")) {
                return first == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (unsigned.equals("nan")) {
                return Double.NaN;
            }
        }
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
                return null; // what Java alone reads (hex, 'd' and 'f' suffixes, blanks) is no number here
            }
        }
        try {
            // the same correctly rounded double as Double.parseDouble, several times faster on long decimals
            return JavaDoubleParser.parseDouble(s, from, to - from);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** The powers of ten a double holds exactly. */
    private static final double[] EXACT_POWERS_OF_TEN = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22};

    /**
     * The value of {@code s[from, to)} when it is a plain decimal ({@code [+-]digits[.digits][(e|E)[+-]digits]})
     * whose digits make an integer below 2⁵³ and whose power of ten is at most 22 either way; {@code null} for
     * anything else, which {@link Double#parseDouble} then reads. Both factors are exact doubles, so one
     * multiplication or division rounds once, correctly: the same double {@code Double.parseDouble} gives (Clinger's
     * fast path). Nearly every sample value is such a decimal; written by hand because the JDK reads every number
     * through its general algorithm and needs a {@code String} of it.
     */
    static Double plainDecimal(CharSequence s, int from, int to) {
        int i = from;
        boolean negative = false;
        if (i < to && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            negative = s.charAt(i) == '-';
            i++;
        }
        long mantissa = 0;
        int significant = 0;
        int exponent = 0;
        boolean digits = false;
        boolean fraction = false;
        for (; i < to; i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                digits = true;
                if (mantissa != 0 || c != '0') {
                    if (++significant > 18) {
                        return null; // the long could overflow: leave it to the general reader
                    }
                    mantissa = mantissa * 10 + (c - '0');
                }
                if (fraction) {
                    exponent--;
                }
            } else if (c == '.' && !fraction) {
                fraction = true;
            } else {
                break;
            }
        }
        if (!digits) {
            return null;
        }
        if (i < to && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            i++;
            boolean negativeExponent = false;
            if (i < to && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
                negativeExponent = s.charAt(i) == '-';
                i++;
            }
            int start = i;
            int e = 0;
            for (; i < to && s.charAt(i) >= '0' && s.charAt(i) <= '9'; i++) {
                e = e * 10 + (s.charAt(i) - '0');
                if (e > 1000) {
                    return null;
                }
            }
            if (i == start) {
                return null;
            }
            exponent += negativeExponent ? -e : e;
        }
        if (i != to || mantissa > (1L << 53)) {
            return null;
        }
        double v;
        if (mantissa == 0 || exponent == 0) {
            v = mantissa;
        } else if (exponent > 0 && exponent <= 22) {
            v = mantissa * EXACT_POWERS_OF_TEN[exponent];
        } else if (exponent < 0 && exponent >= -22) {
            v = mantissa / EXACT_POWERS_OF_TEN[-exponent];
        } else {
            return null;
        }
        return negative ? -v : v;
    }

    /**
     * A float as Go's {@code strconv.FormatFloat(f, 'f', -1, 64)} writes it (no exponent, no trailing zeros;
     * {@code NaN}, {@code +Inf}, {@code -Inf}): how Prometheus names the {@code le} and {@code quantile} of
     * series it makes from binary formats.
     */
    public static String format(double d) {
        if (Double.isNaN(d)) {
            return "NaN";
        }
        if (Double.isInfinite(d)) {
            return d > 0 ? "+Inf" : "-Inf";
        }
        if (d == 0) {
            return "0";
        }
        return new java.math.BigDecimal(Double.toString(d)).stripTrailingZeros().toPlainString();
    }
}
