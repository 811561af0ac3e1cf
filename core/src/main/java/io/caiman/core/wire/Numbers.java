package io.caiman.core.wire;

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
        char first = text.charAt(0);
        if (first == 'n' || first == 'N' || first == 'i' || first == 'I' || first == '+' || first == '-') {
            String lower = text.toLowerCase(Locale.ROOT);
            String unsigned = first == '+' || first == '-' ? lower.substring(1) : lower;
            if (unsigned.equals("inf") || unsigned.equals("infinity")) {
                return first == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
            }
            if (unsigned.equals("nan")) {
                return Double.NaN;
            }
        }
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!((c >= '0' && c <= '9') || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
                return null;
            }
        }
        try {
            return Double.parseDouble(text);
        } catch (NumberFormatException e) {
            return null;
        }
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
