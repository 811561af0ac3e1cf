package io.caiman.core.wire;

import java.util.List;

/**
 * What a parser accepted and every problem it found; a parser returns both rather than throwing. The accepted
 * samples are held as the parser made them, a {@link SampleBatch} or a list of {@link ParsedSample}s, and each
 * form is made from the other when first asked for: the gateway writes from the batch, everything else reads
 * the list.
 */
public final class ParseResult {

    private final List<ParseError> errors;
    private final long refused;
    private List<ParsedSample> samples;
    private SampleBatch batch;

    /**
     * @param refused how many entries (lines, series, data points) were refused: at least one per error, more when
     *     a parser lists a long run of alike refusals once or stops listing them (OTLP reports the number to its
     *     senders)
     */
    public ParseResult(List<ParsedSample> samples, List<ParseError> errors, long refused) {
        this(errors, refused);
        this.samples = samples;
    }

    /** One refused entry per error. */
    public ParseResult(List<ParsedSample> samples, List<ParseError> errors) {
        this(samples, errors, errors.size());
    }

    /** See {@link #ParseResult(List, List, long)}. */
    public ParseResult(SampleBatch batch, List<ParseError> errors, long refused) {
        this(errors, refused);
        this.batch = batch;
    }

    /** One refused entry per error. */
    public ParseResult(SampleBatch batch, List<ParseError> errors) {
        this(batch, errors, errors.size());
    }

    private ParseResult(List<ParseError> errors, long refused) {
        if (refused < errors.size()) {
            throw new IllegalArgumentException("refused " + refused + " < " + errors.size() + " errors");
        }
        this.errors = errors;
        this.refused = refused;
    }

    /** The accepted samples. */
    public List<ParsedSample> samples() {
        if (samples == null) {
            samples = batch.samples();
        }
        return samples;
    }

    /**
     * The accepted samples as a batch.
     *
     * @throws IllegalArgumentException if a sample's name or a label name is not valid (parsers check them first)
     */
    public SampleBatch batch() {
        if (batch == null) {
            batch = SampleBatch.of(samples);
        }
        return batch;
    }

    /** How many samples were accepted. */
    public int count() {
        return samples != null ? samples.size() : batch.size();
    }

    public List<ParseError> errors() {
        return errors;
    }

    public long refused() {
        return refused;
    }

    public boolean ok() {
        return errors.isEmpty();
    }

    @Override
    public String toString() {
        return "ParseResult[" + count() + " samples, " + errors.size() + " errors, " + refused + " refused]";
    }
}
