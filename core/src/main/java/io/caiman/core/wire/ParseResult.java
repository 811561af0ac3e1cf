package io.caiman.core.wire;

import java.util.List;

/** What a parser accepted and every problem it found; a parser returns both rather than throwing. */
public record ParseResult(List<ParsedSample> samples, List<ParseError> errors) {

    public boolean ok() {
        return errors.isEmpty();
    }
}
