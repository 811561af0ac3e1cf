package io.caiman.bench;

import io.caiman.core.model.SeriesSelector;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One regular-expression matcher of a selector against one value, as rules, queries and {@code caiman replay --match}
 * run it, beside {@code java.util.regex} compiled the same way (anchored, {@code .} matching a newline). Selectors
 * read expressions as RE2 does (RE2/J); the common shapes are matched without the engine.
 *
 * <p>Run: {@code java -jar bench/target/benchmarks.jar SelectorBenchmark}
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@State(Scope.Thread)
public class SelectorBenchmark {

    /** An expression and a value, split at the first space. */
    @Param({"http_.* http_requests_total", "api|db db", ".*_total node_cpu_seconds_total", "5.. 503",
        "node_(cpu|memory)_.* node_memory_MemAvailable_bytes", "node_(cpu|memory)_.* go_goroutines"})
    String regexAndValue;

    private SeriesSelector.Regex selector;
    private java.util.regex.Pattern javaRegex;
    private String value;

    @Setup
    public void setUp() {
        String[] parts = regexAndValue.split(" ", 2);
        selector = SeriesSelector.parse("{job=~`" + parts[0] + "`}").matchers().get(0).regex();
        javaRegex = java.util.regex.Pattern.compile("(?:" + parts[0] + ")", java.util.regex.Pattern.DOTALL);
        value = parts[1];
    }

    @Benchmark
    public boolean selector() {
        return selector.matches(value);
    }

    @Benchmark
    public boolean re2jAlone() {
        return selector.pattern().matches(value);
    }

    @Benchmark
    public boolean baselineJavaRegex() {
        return javaRegex.matcher(value).matches();
    }
}
