package io.caiman.core.config;

import io.caiman.core.model.SeriesSelector;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;

/**
 * One stream aggregation rule as configured ({@code stream_aggregation[]}), in the style of vmagent's stream
 * aggregation: the series {@code match} selects are grouped by their metric name and the {@code by} labels (or all
 * labels but {@code without}), and every {@code interval} each group's {@code outputs} are computed over the window.
 *
 * @param name a name for logs and metrics; defaults to the rule's {@link #id()}
 * @param cluster the oplog cluster whose samples the rule reads
 * @param grace how long after a window's end its samples are still counted
 * @param stalenessInterval after this long without a sample, a series starts afresh (a counter's next sample is
 *     its new baseline) and a group's outputs leave {@code /metrics}
 * @param dedupInterval keep only the first sample of each series per this long; zero keeps every sample
 * @param keepInput whether the processor's {@code /metrics} still shows the matched input series
 */
public record RuleConfig(String name, String cluster, SeriesSelector match, Duration interval, List<String> by,
        List<String> without, List<Output> outputs, Duration grace, Duration stalenessInterval, Duration dedupInterval,
        boolean keepInput) {

    /** The outputs a rule may compute. */
    public static final List<String> OUTPUT_NAMES = List.of("count_samples", "count_series", "sum_samples", "min",
            "max", "avg", "last", "total", "increase", "rate_sum", "rate_avg", "stddev", "stdvar", "quantiles",
            "histogram_bucket");

    /** Prometheus' default histogram buckets, the bounds of {@code histogram_bucket} without arguments. */
    public static final List<Double> DEFAULT_BUCKETS = List.of(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            5.0, 10.0);

    /**
     * One output: {@code sum_samples}, {@code quantiles(0.5, 0.99)}, {@code histogram_bucket(0.1, 1, 10)}.
     *
     * @param args the φ of {@code quantiles}, the bucket bounds of {@code histogram_bucket}; empty otherwise
     */
    public record Output(String name, List<Double> args) {

        /**
         * Reads one output.
         *
         * @throws IllegalArgumentException saying what is wrong
         */
        public static Output parse(String text) {
            String t = text.trim();
            int open = t.indexOf('(');
            String name = (open < 0 ? t : t.substring(0, open)).trim();
            if (!OUTPUT_NAMES.contains(name)) {
                throw new IllegalArgumentException("has unknown output " + t + " (known: " + String.join(", ", OUTPUT_NAMES) + ")");
            }
            List<Double> args = new ArrayList<>();
            if (open >= 0) {
                if (!t.endsWith(")")) {
                    throw new IllegalArgumentException("has output " + t + " without its closing )");
                }
                for (String a : t.substring(open + 1, t.length() - 1).split(",")) {
                    try {
                        args.add(Double.parseDouble(a.trim()));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("has output " + t + " with " + a.trim() + ", which is not a number");
                    }
                }
            }
            switch (name) {
                case "quantiles" -> {
                    if (args.isEmpty()) {
                        throw new IllegalArgumentException("has quantiles without φ: write quantiles(0.5, 0.99)");
                    }
                    for (double phi : args) {
                        if (!(phi >= 0 && phi <= 1)) {
                            throw new IllegalArgumentException("has quantiles φ " + phi + ", which is not from 0 to 1");
                        }
                    }
                }
                case "histogram_bucket" -> {
                    if (args.isEmpty()) {
                        args.addAll(DEFAULT_BUCKETS);
                    }
                    for (int i = 0; i < args.size(); i++) {
                        if (!Double.isFinite(args.get(i)) || (i > 0 && args.get(i) <= args.get(i - 1))) {
                            throw new IllegalArgumentException("has histogram_bucket bounds that are not finite and "
                                    + "increasing: " + t);
                        }
                    }
                }
                default -> {
                    if (open >= 0) {
                        throw new IllegalArgumentException("has output " + name + ", which takes no arguments");
                    }
                }
            }
            return new Output(name, List.copyOf(args));
        }

        @Override
        public String toString() {
            if (args.isEmpty()) {
                return name;
            }
            StringBuilder sb = new StringBuilder(name).append('(');
            for (int i = 0; i < args.size(); i++) {
                sb.append(i > 0 ? ", " : "").append(io.caiman.core.wire.Numbers.formatSample(args.get(i)));
            }
            return sb.append(')').toString();
        }
    }

    /**
     * The rule's identity: the first 12 hex digits of the SHA-256 of everything that shapes its state (match,
     * interval, grouping, outputs, grace, staleness and dedup intervals), not its name or its place in the file.
     * Processor state is keyed by it, so a rule left unchanged keeps its state across restarts and edits of other
     * rules, and a changed rule starts afresh instead of misreading the old state.
     */
    public String id() {
        String canonical = String.join("\n", match.toString(), Long.toString(interval.toMillis()), String.join(",", by),
                String.join(",", without), outputs.toString(), Long.toString(grace.toMillis()),
                Long.toString(stalenessInterval.toMillis()), Long.toString(dedupInterval.toMillis()));
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(canonical.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash, 0, 6);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }

    /**
     * The suffix of the rule's output series names, after the input metric name, as vmagent writes it:
     * {@code :1m_by_job_instance_} or {@code :5m_without_pod_} or {@code :30s_}; the output's name follows.
     */
    public String nameSuffix() {
        StringBuilder sb = new StringBuilder(":").append(SettingType.formatDuration(interval).toLowerCase(Locale.ROOT));
        if (!by.isEmpty()) {
            sb.append("_by_").append(String.join("_", by));
        } else if (!without.isEmpty()) {
            sb.append("_without_").append(String.join("_", without));
        }
        return sb.append('_').toString();
    }

    /** How the rule is named in logs and metrics. */
    public String displayName() {
        return name != null ? name : id();
    }
}
