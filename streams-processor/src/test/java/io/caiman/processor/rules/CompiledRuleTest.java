package io.caiman.processor.rules;

import static org.assertj.core.api.Assertions.assertThat;

import io.caiman.core.model.KeyLayout;
import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import org.junit.jupiter.api.Test;

class CompiledRuleTest {

    private static final List<String> NAMES = List.of("a", "code", "instance", "job", "le", "mode");

    /** A group key made from a key's bytes is the one its parsed form gives, for {@code by}, {@code without} and neither. */
    @Property(tries = 3000)
    void shouldGroupAKeyFromItsBytesAsFromItsParsedForm(@ForAll("keys") SeriesKey key, @ForAll("labelNames") List<String> by,
            @ForAll("labelNames") List<String> without, @ForAll int which) {
        int kind = Math.floorMod(which, 3);
        CompiledRule rule = new CompiledRule(RuleTopologyTest.rule("{__name__=~\".+\"}", "1m",
                kind == 0 ? by : List.of(), kind == 1 ? without : List.of(), "sum_samples"));
        KeyLayout layout = new KeyLayout();
        boolean read = layout.read(key.bytes());
        Statistics.label("read from bytes").collect(read);
        if (read) {
            assertThat(new String(rule.groupKey(layout), StandardCharsets.UTF_8))
                    .isEqualTo(new String(rule.key(rule.group(key).bytes()), StandardCharsets.UTF_8));
            assertThat(rule.matches(layout)).isEqualTo(rule.matches(key));
        }
    }

    @Test
    void shouldKeepTheLabelsByNamesInTheKeysOrder() {
        CompiledRule rule = new CompiledRule(RuleTopologyTest.rule("up", "1m", List.of("mode", "job"), List.of(), "sum_samples"));
        KeyLayout layout = new KeyLayout();
        assertThat(layout.read(SeriesKey.of("t", "up", Labels.of("job", "a\"b", "cpu", "0", "mode", "idle")).bytes())).isTrue();
        assertThat(new String(rule.groupKey(layout), StandardCharsets.UTF_8))
                .isEqualTo(rule.id() + " t/up{job=\"a\\\"b\",mode=\"idle\"}");
        assertThat(layout.read(SeriesKey.of("t", "up", Labels.of("cpu", "0")).bytes())).isTrue();
        assertThat(new String(rule.groupKey(layout), StandardCharsets.UTF_8)).as("none kept: no braces")
                .isEqualTo(rule.id() + " t/up");
    }

    @Provide
    Arbitrary<List<String>> labelNames() {
        return Arbitraries.of(NAMES).list().uniqueElements().ofMaxSize(3);
    }

    @Provide
    Arbitrary<SeriesKey> keys() {
        Arbitrary<String> values = Arbitraries.of("", "0", "api", "a\"b", "a\\b", "x\ny", "caf\u00e9", "a,b=\"c\"");
        return Combinators.combine(Arbitraries.of("default", "t"), Arbitraries.of("up", "node_cpu_seconds_total"),
                Arbitraries.of(NAMES).list().uniqueElements().ofMaxSize(6), values.list().ofSize(6))
                .as((tenant, name, names, labelValues) -> {
                    List<String> pairs = new ArrayList<>();
                    for (int i = 0; i < names.size(); i++) {
                        pairs.add(names.get(i));
                        pairs.add(labelValues.get(i));
                    }
                    return SeriesKey.of(tenant, name, Labels.of(pairs.toArray(String[]::new)));
                });
    }
}
