package io.caiman.core.wire;

import ch.randelshofer.fastdoubleparser.JavaDoubleParser;

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
     * What {@link #parseFloat(byte[], int, int)} returns for text that is no number: a NaN whose bits no reader of
     * text makes (the text {@code NaN} reads as {@link Double#NaN}). Test with {@link #isNumber}; it never leaves a
     * parser.
     */
    public static final double NOT_A_NUMBER = Double.longBitsToDouble(0x7ff8_0000_0bad_0badL);

    /** Whether {@code v}, from {@link #parseFloat(byte[], int, int)}, is a number: not {@link #NOT_A_NUMBER}. */
    public static boolean isNumber(double v) {
        return Double.doubleToRawLongBits(v) != 0x7ff8_0000_0bad_0badL;
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
        byte[] ascii = new byte[text.length()];
        for (int i = 0; i < ascii.length; i++) {
            char c = text.charAt(i);
            if (c >= 0x80) {
                return null; // every character of a number is ASCII
            }
            ascii[i] = (byte) c;
        }
        double v = parseFloat(ascii, 0, ascii.length);
        return isNumber(v) ? v : null;
    }

    /**
     * {@link #parseFloat(String)} of the ASCII text {@code b[from, to)}, in place: no string, no box.
     *
     * @return the value, or {@link #NOT_A_NUMBER}
     */
    public static double parseFloat(byte[] b, int from, int to) {
        if (from >= to) {
            return NOT_A_NUMBER;
        }
        if (to - from > 16) {
            return notPlain(b, from, to); // 16 digits or more: seldom below 2^53, so the fast path would step aside
        }
        double plain = plainDecimal(b, from, to);
        return isNumber(plain) ? plain : notPlain(b, from, to);
    }

    /** The spellings {@link #plainDecimal} leaves: infinities, NaN, long decimals, and what is not a number. */
    private static double notPlain(byte[] b, int from, int to) {
        int first = b[from];
        if (first == 'n' || first == 'N' || first == 'i' || first == 'I' || first == '+' || first == '-') {
            int start = first == '+' || first == '-' ? from + 1 : from;
            if (lowerEquals(b, start, to, "inf") || lowerEquals(b, start, to, "infinity")) {
                return first == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (lowerEquals(b, start, to, "nan")) {
                return Double.NaN;
            }
        }
        for (int i = from; i < to; i++) {
            int c = b[i];
            if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
                return NOT_A_NUMBER; // what Java alone reads (hex, 'd' and 'f' suffixes, blanks) is no number here
            }
        }
        try {
            // the same correctly rounded double as Double.parseDouble, several times faster on long decimals
            return JavaDoubleParser.parseDouble(b, from, to - from);
        } catch (NumberFormatException e) {
            return NOT_A_NUMBER;
        }
    }

    /** Whether {@code b[from, to)} is {@code lower} in any case ({@code lower} is lower-case ASCII letters). */
    private static boolean lowerEquals(byte[] b, int from, int to, String lower) {
        if (to - from != lower.length()) {
            return false;
        }
        for (int i = 0; i < lower.length(); i++) {
            if ((b[from + i] | 0x20) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * A timestamp as Prometheus' text format writes one: an optional sign and decimal digits, within a
     * {@code long}; what {@link Long#parseLong(CharSequence, int, int, int)} reads, in place.
     *
     * @param out where its value goes: {@code out[0]}
     * @return whether {@code b[from, to)} is one
     */
    public static boolean parseLong(byte[] b, int from, int to, long[] out) {
        int i = from;
        boolean negative = false;
        if (i < to && (b[i] == '+' || b[i] == '-')) {
            negative = b[i] == '-';
            i++;
        }
        if (i == to) {
            return false;
        }
        if (to - i <= 18) { // no overflow possible: a millisecond timestamp has 13 digits
            long v = 0;
            for (; i < to; i++) {
                int d = b[i] - '0';
                if (d < 0 || d > 9) {
                    return false;
                }
                v = v * 10 + d;
            }
            out[0] = negative ? -v : v;
            return true;
        }
        long v = 0; // accumulated negatively, as Long.parseLong does, so Long.MIN_VALUE fits
        for (; i < to; i++) {
            int d = b[i] - '0';
            if (d < 0 || d > 9 || v < (Long.MIN_VALUE + d) / 10) {
                return false;
            }
            v = v * 10 - d;
        }
        if (!negative && v == Long.MIN_VALUE) {
            return false;
        }
        out[0] = negative ? v : -v;
        return true;
    }

    /** The powers of ten a double holds exactly. */
    private static final double[] EXACT_POWERS_OF_TEN = {
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22};

    /**
     * The value of {@code b[from, to)} when it is a plain decimal ({@code [+-]digits[.digits][(e|E)[+-]digits]})
     * whose digits make an integer below 2⁵³ and whose power of ten is at most 22 either way; {@link #NOT_A_NUMBER}
     * for anything else, which the general reader then reads. Both factors are exact doubles, so one
     * multiplication or division rounds once, correctly: the same double {@code Double.parseDouble} gives (Clinger's
     * fast path). Nearly every sample value is such a decimal; written by hand because the JDK reads every number
     * through its general algorithm and needs a {@code String} of it.
     */
    static double plainDecimal(byte[] s, int from, int to) {
        int i = from;
        boolean negative = false;
        if (i < to && (s[i] == '+' || s[i] == '-')) {
            negative = s[i] == '-';
            i++;
        }
        long mantissa = 0;
        int significant = 0;
        int exponent = 0;
        boolean digits = false;
        boolean fraction = false;
        for (; i < to; i++) {
            int c = s[i];
            if (c >= '0' && c <= '9') {
                digits = true;
                if (mantissa != 0 || c != '0') {
                    if (++significant > 18) {
                        return NOT_A_NUMBER; // the long could overflow: leave it to the general reader
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
            return NOT_A_NUMBER;
        }
        if (i < to && (s[i] == 'e' || s[i] == 'E')) {
            i++;
            boolean negativeExponent = false;
            if (i < to && (s[i] == '+' || s[i] == '-')) {
                negativeExponent = s[i] == '-';
                i++;
            }
            int start = i;
            int e = 0;
            for (; i < to && s[i] >= '0' && s[i] <= '9'; i++) {
                e = e * 10 + (s[i] - '0');
                if (e > 1000) {
                    return NOT_A_NUMBER;
                }
            }
            if (i == start) {
                return NOT_A_NUMBER;
            }
            exponent += negativeExponent ? -e : e;
        }
        if (i != to || mantissa > (1L << 53)) {
            return NOT_A_NUMBER;
        }
        double v;
        if (mantissa == 0 || exponent == 0) {
            v = mantissa;
        } else if (exponent > 0 && exponent <= 22) {
            v = mantissa * EXACT_POWERS_OF_TEN[exponent];
        } else if (exponent < 0 && exponent >= -22) {
            v = mantissa / EXACT_POWERS_OF_TEN[-exponent];
        } else {
            return NOT_A_NUMBER;
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
