package io.caiman.processor.rules;

import io.caiman.core.wire.Numbers;
import io.caiman.schemas.state.Contribution;
import io.caiman.schemas.state.WindowSeries;
import io.caiman.schemas.state.WindowState;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.apache.datasketches.memory.Memory;
import org.apache.datasketches.quantilescommon.QuantileSearchCriteria;

/**
 * How a window's state takes a sample and what its outputs are when it closes. Pure functions, so the same
 * arithmetic can be checked against an independent reference in tests.
 *
 * <p>{@code quantiles} come from an Apache DataSketches KLL sketch with k = {@value #KLL_K}: exact while a window
 * holds at most k samples, then within ±{@value #KLL_RANK_ERROR_PERCENT}% of rank with 99% confidence (the
 * sketch's normalized rank error for one quantile). It is mergeable and at most a few KiB per window and group.
 */
public final class WindowMath {

    static final int KLL_K = 200;
    /** {@code KllDoublesSketch.getNormalizedRankError(200, false)}, rounded up; {@code WindowMathTest} checks it. */
    public static final String KLL_RANK_ERROR_PERCENT = "1.33";

    private WindowMath() {}

    /** One output value of a closed window: the output's name, its value, and extra values keyed by φ or bound. */
    public record Output(String name, double value, Map<String, Double> values) {}

    static WindowState empty(CompiledRule rule) {
        List<Long> buckets = new ArrayList<>(rule.bounds.length + 1);
        for (int i = 0; rule.bounds.length > 0 && i <= rule.bounds.length; i++) {
            buckets.add(0L);
        }
        return new WindowState(0L, 0.0, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.NaN, Long.MIN_VALUE,
                0.0, 0.0, 0.0, EMPTY, buckets, 0L);
    }

    private static final ByteBuffer EMPTY = ByteBuffer.allocate(0).asReadOnlyBuffer();

    /**
     * {@code s} with the sample of {@code c} added: a new state, by the record's constructor (an Avro builder copies
     * every field of {@code s} first, the sketch and buckets deeply: a tenth of the per-series stage's time). The
     * sketch and buckets are shared with {@code s} when the sample leaves them as they are; nothing changes either
     * in place.
     */
    static WindowState add(WindowState s, Contribution c, CompiledRule rule) {
        double v = c.getValue();
        long count = s.getCount() + 1;
        double delta = v - s.getMean();
        double mean = s.getMean() + delta / count;
        boolean newest = c.getTimestampMs() >= s.getLastTimestampMs();
        ByteBuffer sketchBytes = s.getSketch();
        if (rule.quantiles.length > 0 && !Double.isNaN(v)) {
            KllDoublesSketch sketch = sketchBytes.hasRemaining()
                    ? KllDoublesSketch.heapify(Memory.wrap(bytes(sketchBytes))) : KllDoublesSketch.newHeapInstance(KLL_K);
            sketch.update(v);
            sketchBytes = ByteBuffer.wrap(sketch.toByteArray());
        }
        List<Long> buckets = s.getBuckets();
        if (rule.bounds.length > 0 && !Double.isNaN(v)) {
            buckets = new ArrayList<>(buckets);
            int i = 0;
            while (i < rule.bounds.length && v > rule.bounds[i]) {
                i++;
            }
            buckets.set(i, buckets.get(i) + 1);
        }
        return new WindowState(count, s.getSum() + v, Math.min(s.getMin(), v), Math.max(s.getMax(), v),
                newest ? v : s.getLastValue(), newest ? c.getTimestampMs() : s.getLastTimestampMs(), mean,
                s.getM2() + delta * (v - mean), Double.isNaN(c.getIncrease()) ? s.getIncrease() : s.getIncrease()
                + c.getIncrease(), sketchBytes, buckets, s.getSeriesCount());
    }

    /**
     * Two parts of one window taken together, as if their samples had been added one by one: {@code b} was added up
     * after {@code a}, so its newest sample wins a tie for {@code last}. Counts, sums, extremes, increases and buckets
     * add; the mean and the sum of squared differences combine by Chan et al.'s pairwise formula; KLL sketches merge.
     * A part with no samples leaves the other as it is, bit for bit.
     */
    static WindowState merge(WindowState a, WindowState b, CompiledRule rule) {
        if (a.getCount() == 0) {
            return b;
        }
        if (b.getCount() == 0) {
            return a;
        }
        long count = a.getCount() + b.getCount();
        double delta = b.getMean() - a.getMean();
        double mean = a.getMean() + delta * ((double) b.getCount() / count);
        double m2 = a.getM2() + b.getM2() + delta * delta * ((double) a.getCount() * b.getCount() / count);
        WindowState.Builder m = WindowState.newBuilder(a).setCount(count).setSum(a.getSum() + b.getSum())
                .setMin(Math.min(a.getMin(), b.getMin())).setMax(Math.max(a.getMax(), b.getMax()))
                .setMean(mean).setM2(m2).setIncrease(a.getIncrease() + b.getIncrease())
                .setSeriesCount(a.getSeriesCount() + b.getSeriesCount());
        if (b.getLastTimestampMs() >= a.getLastTimestampMs()) {
            m.setLastValue(b.getLastValue()).setLastTimestampMs(b.getLastTimestampMs());
        }
        if (rule.quantiles.length > 0 && b.getSketch().hasRemaining()) {
            if (a.getSketch().hasRemaining()) {
                KllDoublesSketch sketch = KllDoublesSketch.heapify(Memory.wrap(bytes(a.getSketch())));
                sketch.merge(KllDoublesSketch.heapify(Memory.wrap(bytes(b.getSketch()))));
                m.setSketch(ByteBuffer.wrap(sketch.toByteArray()));
            } else {
                m.setSketch(b.getSketch());
            }
        }
        if (rule.bounds.length > 0) { // both parts have the rule's bounds: one rule id, one set of bounds
            List<Long> buckets = new ArrayList<>(a.getBuckets().size());
            for (int i = 0; i < a.getBuckets().size(); i++) {
                buckets.add(a.getBuckets().get(i) + b.getBuckets().get(i));
            }
            m.setBuckets(buckets);
        }
        return m.build();
    }

    /** Two parts of one series in one window taken together ({@code a} may be null). */
    static WindowSeries mergeSeries(WindowSeries a, WindowSeries b) {
        if (a == null || b.getFirstMs() == 0) {
            return a == null ? b : a; // b measured no increase: it adds only the series' presence, which a has
        }
        if (a.getFirstMs() == 0) {
            return b;
        }
        return WindowSeries.newBuilder().setIncrease(a.getIncrease() + b.getIncrease())
                .setFirstMs(Math.min(a.getFirstMs(), b.getFirstMs())).setLastMs(Math.max(a.getLastMs(), b.getLastMs()))
                .build();
    }

    /** A series' part of a window after one more contribution with an increase ({@code previous} may be null). */
    static WindowSeries addSeries(WindowSeries previous, Contribution c) {
        boolean hasIncrease = !Double.isNaN(c.getIncrease()) && c.getPreviousMs() != 0;
        if (previous == null) {
            return WindowSeries.newBuilder().setIncrease(hasIncrease ? c.getIncrease() : 0)
                    .setFirstMs(hasIncrease ? c.getPreviousMs() : 0).setLastMs(hasIncrease ? c.getTimestampMs() : 0).build();
        }
        if (!hasIncrease) {
            return previous;
        }
        return WindowSeries.newBuilder().setIncrease(previous.getIncrease() + c.getIncrease())
                .setFirstMs(previous.getFirstMs() == 0 ? c.getPreviousMs() : Math.min(previous.getFirstMs(), c.getPreviousMs()))
                .setLastMs(Math.max(previous.getLastMs(), c.getTimestampMs())).build();
    }

    /**
     * The outputs of a closed window, in the rule's order. {@code rate_sum} and {@code rate_avg} are left out when
     * no series had two samples to measure a rate between; everything else is always there.
     *
     * @param series the window's per-series parts (empty unless the rule needs them: see {@link CompiledRule#perSeries})
     * @param total the group's running total including this window (for {@code total})
     */
    static List<Output> outputs(CompiledRule rule, WindowState s, List<WindowSeries> series, double total) {
        List<Output> out = new ArrayList<>();
        for (io.caiman.core.config.RuleConfig.Output o : rule.config.outputs()) {
            switch (o.name()) {
                case "count_samples" -> out.add(single(o.name(), s.getCount()));
                // counted by the per-series stage, or told apart here (rates, a long grace, samples sent one by one)
                case "count_series" -> out.add(single(o.name(), s.getSeriesCount() + series.size()));
                case "sum_samples" -> out.add(single(o.name(), s.getSum()));
                case "min" -> out.add(single(o.name(), s.getMin()));
                case "max" -> out.add(single(o.name(), s.getMax()));
                case "avg" -> out.add(single(o.name(), s.getSum() / s.getCount()));
                case "last" -> out.add(single(o.name(), s.getLastValue()));
                case "total" -> out.add(single(o.name(), total));
                case "increase" -> out.add(single(o.name(), s.getIncrease()));
                case "stdvar" -> out.add(single(o.name(), s.getM2() / s.getCount()));
                case "stddev" -> out.add(single(o.name(), Math.sqrt(s.getM2() / s.getCount())));
                case "rate_sum", "rate_avg" -> {
                    double sum = 0;
                    int n = 0;
                    for (WindowSeries w : series) {
                        if (w.getLastMs() > w.getFirstMs() && w.getFirstMs() != 0) {
                            sum += w.getIncrease() / ((w.getLastMs() - w.getFirstMs()) / 1000.0);
                            n++;
                        }
                    }
                    if (n > 0) {
                        out.add(single(o.name(), o.name().equals("rate_sum") ? sum : sum / n));
                    }
                }
                case "quantiles" -> {
                    Map<String, Double> values = new LinkedHashMap<>();
                    ByteBuffer stored = s.getSketch();
                    KllDoublesSketch sketch = stored.hasRemaining() ? KllDoublesSketch.heapify(Memory.wrap(bytes(stored))) : null;
                    for (double phi : rule.quantiles) {
                        values.put(Numbers.formatSample(phi), sketch == null || sketch.isEmpty() ? Double.NaN
                                : sketch.getQuantile(phi, QuantileSearchCriteria.INCLUSIVE));
                    }
                    out.add(new Output(o.name(), Double.NaN, values));
                }
                case "histogram_bucket" -> {
                    Map<String, Double> values = new LinkedHashMap<>();
                    long cumulative = 0;
                    for (int i = 0; i < rule.bounds.length; i++) {
                        cumulative += s.getBuckets().get(i);
                        values.put(Numbers.formatSample(rule.bounds[i]), (double) cumulative);
                    }
                    cumulative += s.getBuckets().get(rule.bounds.length);
                    values.put("+Inf", (double) cumulative);
                    out.add(new Output(o.name(), Double.NaN, values));
                }
                default -> throw new IllegalStateException("output " + o.name() + " has no arithmetic");
            }
        }
        return out;
    }

    private static Output single(String name, double value) {
        return new Output(name, value, Map.of());
    }

    private static byte[] bytes(ByteBuffer buffer) {
        byte[] b = new byte[buffer.remaining()];
        buffer.duplicate().get(b);
        return b;
    }
}
