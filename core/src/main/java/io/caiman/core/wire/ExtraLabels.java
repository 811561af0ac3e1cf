package io.caiman.core.wire;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Labels a request adds to every sample it carries (query parameters, Pushgateway grouping keys). */
public final class ExtraLabels {

    private ExtraLabels() {}

    /**
     * Every sample of {@code result} with {@code extra} added.
     *
     * @param override whether an extra label replaces a sample's own label of that name (VictoriaMetrics'
     *     {@code extra_label}); otherwise a different value is an error naming the sample's line
     */
    public static ParseResult apply(ParseResult result, Map<String, String> extra, boolean override, String format) {
        if (extra.isEmpty() || !result.ok()) {
            return result;
        }
        List<ParsedSample> samples = new ArrayList<>(result.samples().size());
        List<ParseError> errors = new ArrayList<>();
        for (ParsedSample s : result.samples()) {
            Map<String, String> labels = new TreeMap<>();
            s.labels().forEach(labels::put);
            for (Map.Entry<String, String> e : extra.entrySet()) {
                String own = labels.get(e.getKey());
                if (!override && own != null && !own.equals(e.getValue())) {
                    errors.add(new ParseError(format, s.line(), 1, "sample " + s.name() + " has " + e.getKey() + "=\"" + own
                            + "\" but the request's grouping key says " + e.getKey() + "=\"" + e.getValue() + "\""));
                }
                labels.put(e.getKey(), e.getValue());
            }
            samples.add(new ParsedSample(s.name(), Labels.of(labels), s.value(), s.timestampMs(), s.type(), s.line()));
        }
        return errors.isEmpty() ? new ParseResult(samples, List.of()) : new ParseResult(List.of(), errors);
    }

    /** {@code name=value} pairs, validated; the reason of the first bad one in {@code problems}. */
    public static Map<String, String> parsePairs(List<String> pairs, List<String> problems) {
        Map<String, String> out = new TreeMap<>();
        for (String pair : pairs) {
            int eq = pair.indexOf('=');
            String name = eq < 0 ? pair : pair.substring(0, eq);
            String problem = eq <= 0 ? "extra_label " + pair + " must be name=value" : Naming.validateLabelName(name);
            if (problem != null) {
                problems.add(problem);
                continue;
            }
            out.put(name, pair.substring(eq + 1));
        }
        return out;
    }
}
