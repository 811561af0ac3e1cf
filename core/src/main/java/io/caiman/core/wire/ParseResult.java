package io.caiman.core.wire;

import java.util.List;

/**
 * What a parser accepted and every problem it found; a parser returns both rather than throwing.
 *
 * @param refused how many entries (lines, series, data points) were refused: at least one per error, more when
 *     a parser lists a long run of alike refusals once or stops listing them (OTLP reports the number to its
 *     senders)
 */
public record ParseResult(List<ParsedSample> samples, List<ParseError> errors, long refused) {

    public ParseResult {
        if (refused < errors.size()) {
            throw new IllegalArgumentException("refused " + refused + " < " + errors.size() + " errors");
        }
    }

    /** One refused entry per error. */
    public ParseResult(List<ParsedSample> samples, List<ParseError> errors) {
        this(samples, errors, errors.size());
    }

    public boolean ok() {
        return errors.isEmpty();
    }
}
