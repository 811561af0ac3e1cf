package io.caiman.core.wire;

/**
 * One problem in an input, with where it is: the format, the 1-based line and column (in characters; in
 * bytes for Influx line protocol, as InfluxDB counts them),
 * and what was expected. Reads as {@code line 3, column 17: expected '=' after label name "job"}.
 * Binary formats have no lines: they use line 0 and name the place in the reason
 * ({@code timeseries 3: …}).
 */
public record ParseError(String format, int line, int column, String reason) {

    /** An error in a binary format, located by its reason. */
    public static ParseError binary(String format, String reason) {
        return new ParseError(format, 0, 0, reason);
    }

    @Override
    public String toString() {
        return line > 0 ? "line " + line + ", column " + column + ": " + reason : reason;
    }
}
