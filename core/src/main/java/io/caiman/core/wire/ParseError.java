package io.caiman.core.wire;

/**
 * One problem in an input, with where it is: the format, the 1-based line and column (in characters),
 * and what was expected. Reads as {@code line 3, column 17: expected '=' after label name "job"}.
 */
public record ParseError(String format, int line, int column, String reason) {

    @Override
    public String toString() {
        return "line " + line + ", column " + column + ": " + reason;
    }
}
