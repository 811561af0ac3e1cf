package io.caiman.processor.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.config.RuleConfig;
import io.caiman.core.wire.Numbers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * The topology's aggregates equal a reference computed here, independently and naively (whole lists, sorted,
 * no streaming), over random counters with resets, random series and groups, in time order as they reach the oplog,
 * with the per-series stage's parts sent on at random points (or only at the end).
 */
class RuleReferenceTest {

    record In(String job, String instance, double value, long ts) {
        boolean staleMarker() {
            return Numbers.isStaleMarker(value);
        }
    }

    @Property(tries = 60)
    void shouldEqualANaiveReference(@ForAll @LongRange(min = 1, max = 1_000_000) long seed,
            @ForAll @IntRange(min = 1, max = 400) int samples, @ForAll @IntRange(min = 0, max = 20) int flushEvery,
            @ForAll boolean longGrace, @ForAll boolean shortStaleness, @ForAll boolean inMemory) {
        java.util.Random random = new java.util.Random(seed);
        List<In> input = new ArrayList<>();
        Map<String, Double> counters = new HashMap<>();
        long ts = RuleTopologyTest.T;
        for (int i = 0; i < samples; i++) {
            ts += random.nextInt(3_000); // in time order, ties allowed; a series may go stale now and then
            String job = "j" + random.nextInt(3);
            String instance = "i" + random.nextInt(4);
            String series = job + "/" + instance;
            if (random.nextInt(25) == 0) {
                input.add(new In(job, instance, Numbers.STALE_NAN, ts)); // the series ends (it may come back)
                counters.remove(series);
                continue;
            }
            if (random.nextInt(8) == 0) {
                // out of order, up to a window and a half back: some in time, some late by the grace
                input.add(new In(job, instance, random.nextInt(50), ts - random.nextInt(90_000)));
                continue;
            }
            double v = random.nextInt(10) == 0 ? random.nextInt(5) : counters.getOrDefault(series, 0.0) + random.nextInt(20);
            counters.put(series, v);
            input.add(new In(job, instance, v, ts));
        }
        // a grace of 5 s: the per-series stage counts count_series itself; 70 min: it sends series' parts on
        java.time.Duration grace = longGrace ? java.time.Duration.ofMinutes(70) : java.time.Duration.ofSeconds(5);
        long[] late = new long[1];
        // staleness_interval: 20 s, under the interval, or twice the interval
        long stalenessMs = shortStaleness ? 20_000 : 2 * RuleTopologyTest.MINUTE;
        Map<String, Double> expected = reference(input, grace.toMillis(), stalenessMs, late);
        RuleConfig r = RuleTopologyTest.rule("c_total", "1m", List.of("job"), List.of(), "count_samples", "count_series",
                "sum_samples", "min", "max", "last", "increase", "total");
        r = new RuleConfig(r.name(), r.cluster(), r.match(), r.interval(), r.by(), r.without(), r.outputs(), grace,
                java.time.Duration.ofMillis(stalenessMs), r.dedupInterval(), r.keepInput());
        assertThat(new CompiledRule(r).countsSeriesInParts()).isEqualTo(!longGrace);
        // the stores in RocksDB or in the heap: the window stage's range scans must find windows in the same order
        try (RuleTopologyTest.Rig rig = new RuleTopologyTest.Rig(inMemory, r)) {
            for (In in : input) {
                rig.send("c_total{job=\"" + in.job + "\",instance=\"" + in.instance + "\"}", in.value, in.ts);
                if (flushEvery > 0 && random.nextInt(flushEvery) == 0) {
                    rig.flush(); // parts sent on mid-window: the group stage merges several parts of one window
                }
            }
            // closes every window of the input
            rig.send("c_total{job=\"end\"}", 0, ts + 2 * RuleTopologyTest.MINUTE + grace.toMillis());
            Map<String, Double> actual = new TreeMap<>(rig.values());
            actual.keySet().removeIf(k -> k.contains("job=\"end\""));
            Map<String, String> differences = new TreeMap<>(); // output: expected, then actual
            java.util.Set<String> keys = new java.util.TreeSet<>(expected.keySet());
            keys.addAll(actual.keySet());
            for (String k : keys) {
                if (!java.util.Objects.equals(expected.get(k), actual.get(k))) {
                    differences.put(k, expected.get(k) + " expected, " + actual.get(k) + " computed");
                }
            }
            assertThat(differences).isEmpty();
            assertThat(rig.counter("caiman_processor_rule_late_samples")).isEqualTo(late[0]);
        }
    }

    /**
     * A case the property found: a series' sample out of order, late, after its stale marker started its rule state
     * afresh with an older time than the windows it had been counted in; the purge then dropped that state, and the
     * series' next sample counted it in one of those windows again.
     */
    @net.jqwik.api.Example
    void shouldNotCountASeriesTwiceWhenALateSampleFollowsItsStaleMarker() {
        shouldEqualANaiveReference(48293, 172, 17, false, true, false);
        shouldEqualANaiveReference(48293, 172, 17, false, true, true);
    }

    /** Outputs keyed as {@code RuleTopologyTest.Rig#values} keys them. */
    static Map<String, Double> reference(List<In> input, long graceMs, long stalenessMs, long[] late) {
        long minute = RuleTopologyTest.MINUTE;
        long newest = Long.MIN_VALUE; // of the samples counted: a window whose end plus grace it has reached is closed
        Map<String, List<In>> byGroupWindow = new TreeMap<>();
        Map<String, Double> increaseOf = new HashMap<>(); // per input index, the increase it adds
        Map<String, In> previous = new HashMap<>();
        List<Double> increases = new ArrayList<>();
        for (In in : input) {
            String series = in.job + "/" + in.instance;
            if (in.staleMarker()) {
                previous.remove(series); // not aggregated: the series' contribution ends
                increases.add(Double.NaN);
                continue;
            }
            In prev = previous.get(series);
            if (prev != null && in.ts - prev.ts > stalenessMs) {
                prev = null; // stale (staleness_interval): the series starts afresh
            }
            double inc = Double.NaN;
            if (prev != null && in.ts > prev.ts) {
                inc = in.value >= prev.value ? in.value - prev.value : in.value;
            }
            if (prev == null || in.ts > prev.ts) {
                previous.put(series, in);
            }
            increases.add(inc);
            long window = Math.floorDiv(in.ts, minute) * minute;
            if (window + minute + graceMs <= newest) {
                late[0]++; // its series' baseline moved on all the same
                continue;
            }
            newest = Math.max(newest, in.ts);
            byGroupWindow.computeIfAbsent(in.job + "@" + (window - RuleTopologyTest.T) / 1000, k -> new ArrayList<>()).add(in);
        }
        Map<In, Double> inc = new java.util.IdentityHashMap<>();
        for (int i = 0; i < input.size(); i++) {
            inc.put(input.get(i), increases.get(i));
        }
        Map<String, Double> out = new TreeMap<>();
        Map<String, Double> totals = new HashMap<>();
        for (Map.Entry<String, List<In>> e : byGroupWindow.entrySet().stream()
                .sorted(java.util.Comparator.comparingLong(x -> Long.parseLong(x.getKey().split("@")[1]))).toList()) {
            String job = e.getKey().split("@")[0];
            String at = "@" + e.getKey().split("@")[1];
            List<In> w = e.getValue();
            String name = "c_total:1m_by_job_%s{job=\"" + job + "\"}" + at;
            out.put(name.formatted("count_samples"), (double) w.size());
            out.put(name.formatted("count_series"), (double) w.stream().map(In::instance).distinct().count());
            out.put(name.formatted("sum_samples"), w.stream().mapToDouble(In::value).sum());
            out.put(name.formatted("min"), w.stream().mapToDouble(In::value).min().getAsDouble());
            out.put(name.formatted("max"), w.stream().mapToDouble(In::value).max().getAsDouble());
            long lastTs = w.stream().mapToLong(In::ts).max().getAsLong();
            In last = null;
            for (In in : w) {
                if (in.ts == lastTs) {
                    last = in;
                }
            }
            out.put(name.formatted("last"), last.value);
            double increase = w.stream().mapToDouble(inc::get).filter(d -> !Double.isNaN(d)).sum();
            out.put(name.formatted("increase"), increase);
            out.put(name.formatted("total"), totals.merge(job, increase, Double::sum));
        }
        return out;
    }
}
