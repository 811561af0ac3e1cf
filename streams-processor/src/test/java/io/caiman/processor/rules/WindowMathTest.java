package io.caiman.processor.rules;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.caiman.schemas.state.Contribution;
import io.caiman.schemas.state.WindowSeries;
import io.caiman.schemas.state.WindowState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import org.apache.datasketches.kll.KllDoublesSketch;
import org.junit.jupiter.api.Test;

/**
 * A window added up in parts and merged equals the same samples added one by one: what the group stage computes
 * from the per-series stage's parts is what it computed from single samples.
 */
class WindowMathTest {

    private static final CompiledRule RULE = new CompiledRule(RuleTopologyTest.rule("m", "1m", List.of(), List.of(),
            "count_samples", "sum_samples", "min", "max", "last", "increase", "stdvar", "rate_sum", "quantiles(0, 0.5, 1)",
            "histogram_bucket(5, 20)"));

    @Test
    void shouldStateTheSketchErrorItDocuments() {
        double error = KllDoublesSketch.getNormalizedRankError(WindowMath.KLL_K, false) * 100;
        assertThat(error).isLessThanOrEqualTo(Double.parseDouble(WindowMath.KLL_RANK_ERROR_PERCENT))
                .isGreaterThan(Double.parseDouble(WindowMath.KLL_RANK_ERROR_PERCENT) - 0.01);
    }

    @Property(tries = 200)
    void shouldMergePartsAsIfEverySampleWereAddedInTurn(@ForAll @LongRange(min = 1, max = 1_000_000) long seed,
            @ForAll @IntRange(min = 1, max = 150) int samples, @ForAll @IntRange(min = 1, max = 6) int parts) {
        Random random = new Random(seed);
        List<Contribution> input = new ArrayList<>();
        long ts = RuleTopologyTest.T;
        for (int i = 0; i < samples; i++) {
            ts += random.nextInt(3) * 100L; // ties too: on a tie the later sample is the last
            double increase = random.nextInt(4) == 0 ? Double.NaN : random.nextInt(10);
            input.add(new Contribution(RuleTopologyTest.T, ts, (double) random.nextInt(30), 7L, increase,
                    Double.isNaN(increase) ? 0L : ts - 1_000, null, null));
        }
        WindowState whole = WindowMath.empty(RULE);
        for (Contribution c : input) {
            whole = WindowMath.add(whole, c, RULE);
        }
        // the same samples cut into consecutive parts, each added up alone, then merged in order
        WindowState merged = WindowMath.empty(RULE);
        long seriesCounted = 0; // the per-series stage's count of series new in the window, per part
        int from = 0;
        for (int p = 0; p < parts && from < samples; p++) {
            int to = p == parts - 1 ? samples : from + random.nextInt(samples - from + 1);
            WindowState part = WindowMath.empty(RULE);
            for (Contribution c : input.subList(from, to)) {
                part = WindowMath.add(part, c, RULE);
            }
            if (to > from) {
                int newSeries = random.nextInt(to - from + 1);
                part.setSeriesCount(newSeries);
                seriesCounted += newSeries;
            }
            merged = WindowMath.merge(merged, part, RULE);
            from = to;
        }
        assertThat(merged.getSeriesCount()).as("series counts add").isEqualTo(seriesCounted);
        assertThat(merged.getCount()).isEqualTo(whole.getCount());
        assertThat(merged.getSum()).isEqualTo(whole.getSum()); // whole numbers: exact in any order
        assertThat(merged.getMin()).isEqualTo(whole.getMin());
        assertThat(merged.getMax()).isEqualTo(whole.getMax());
        assertThat(merged.getLastValue()).isEqualTo(whole.getLastValue());
        assertThat(merged.getLastTimestampMs()).isEqualTo(whole.getLastTimestampMs());
        assertThat(merged.getIncrease()).isEqualTo(whole.getIncrease());
        assertThat(merged.getMean()).isCloseTo(whole.getMean(), within(1e-9));
        assertThat(merged.getM2()).isCloseTo(whole.getM2(), within(1e-6 * Math.max(1, whole.getM2())));
        assertThat(merged.getBuckets()).isEqualTo(whole.getBuckets());
        Map<String, Double> mergedQuantiles = output(merged, "quantiles");
        assertThat(mergedQuantiles).as("exact below the sketch's k").isEqualTo(output(whole, "quantiles"));
    }

    @Property(tries = 200)
    void shouldMergeSeriesPartsAsIfEveryIncreaseWereAddedInTurn(@ForAll @LongRange(min = 1, max = 1_000_000) long seed,
            @ForAll @IntRange(min = 1, max = 40) int samples, @ForAll @IntRange(min = 1, max = 6) int parts) {
        Random random = new Random(seed);
        List<Contribution> input = new ArrayList<>();
        long ts = RuleTopologyTest.T;
        for (int i = 0; i < samples; i++) {
            long previous = ts;
            ts += 1_000 + random.nextInt(5_000);
            boolean baseline = random.nextInt(5) == 0; // no increase: the series' first sample, or after a gap
            input.add(new Contribution(RuleTopologyTest.T, ts, 1.0, 7L, baseline ? Double.NaN : random.nextInt(10),
                    baseline ? 0L : previous, null, null));
        }
        WindowSeries whole = null;
        for (Contribution c : input) {
            whole = WindowMath.addSeries(whole, c);
        }
        WindowSeries merged = null;
        int from = 0;
        for (int p = 0; p < parts && from < samples; p++) {
            int to = p == parts - 1 ? samples : from + 1 + random.nextInt(samples - from);
            WindowSeries part = null;
            for (Contribution c : input.subList(from, to)) {
                part = WindowMath.addSeries(part, c);
            }
            merged = WindowMath.mergeSeries(merged, part);
            from = to;
        }
        assertThat(merged).isEqualTo(whole);
    }

    private static Map<String, Double> output(WindowState s, String name) {
        return WindowMath.outputs(RULE, s, List.of(), 0).stream().filter(o -> o.name().equals(name)).findFirst()
                .orElseThrow().values();
    }
}
