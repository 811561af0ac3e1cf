package io.caiman.processor.rules;

import io.caiman.core.config.RuleConfig;
import io.caiman.core.model.KeyLayout;
import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A stream aggregation rule ready to run: its id as key bytes, its times in milliseconds, which outputs it computes,
 * and how an input series maps to its output group.
 */
public final class CompiledRule {

    /** Length of a rule id in a state or repartition key (12 hex digits), then a space. */
    static final int ID_LENGTH = 12;

    final RuleConfig config;
    final String id;
    final byte[] idBytes;
    final long intervalMs;
    final long graceMs;
    final long stalenessMs;
    final long dedupMs;
    final Set<String> outputs = new HashSet<>();
    final double[] quantiles;
    final double[] bounds;
    private final Set<String> by;
    private final Set<String> without;
    /** {@link #by} or else {@link #without} as bytes, for {@link #groupKey(KeyLayout)}. */
    private final byte[][] named;

    public CompiledRule(RuleConfig config) {
        this.config = config;
        this.id = config.id();
        this.idBytes = (id + " ").getBytes(StandardCharsets.US_ASCII);
        this.intervalMs = config.interval().toMillis();
        this.graceMs = config.grace().toMillis();
        this.stalenessMs = config.stalenessInterval().toMillis();
        this.dedupMs = config.dedupInterval().toMillis();
        double[] q = {};
        double[] b = {};
        for (RuleConfig.Output o : config.outputs()) {
            outputs.add(o.name());
            if (o.name().equals("quantiles")) {
                q = o.args().stream().mapToDouble(Double::doubleValue).toArray();
            } else if (o.name().equals("histogram_bucket")) {
                b = o.args().stream().mapToDouble(Double::doubleValue).toArray();
            }
        }
        this.quantiles = q;
        this.bounds = b;
        this.by = Set.copyOf(config.by());
        this.without = Set.copyOf(config.without());
        this.named = (by.isEmpty() ? without : by).stream()
                .map(n -> n.getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);
    }

    public RuleConfig config() {
        return config;
    }

    public String id() {
        return id;
    }

    public String name() {
        return config.displayName();
    }

    public boolean matches(SeriesKey key) {
        return config.match().matches(key);
    }

    /** Whether windows must keep each input series apart (count_series and the rates need it). */
    boolean perSeries() {
        return outputs.contains("count_series") || rates();
    }

    /**
     * Whether the per-series stage counts a window's series itself, in the window's parts, for {@code count_series}
     * (in rules without rates, which need every series' part anyway). A series' rule state remembers the last 63
     * windows it was counted in; a sample that is not late is at most {@code 1 + grace / interval} windows older than
     * its series' newest, so a grace under 62 intervals keeps every such sample in reach. Rules with a longer grace
     * send each series' part of a window on, for the group stage to tell the series apart.
     */
    boolean countsSeriesInParts() {
        return outputs.contains("count_series") && !rates() && graceMs < 62 * intervalMs;
    }

    /** Whether windows need each series' increase and its time span (the rates), not only which series were there. */
    boolean rates() {
        return outputs.contains("rate_sum") || outputs.contains("rate_avg");
    }

    /** The output group of an input series: its tenant and metric name, and the labels {@code by} keeps. */
    SeriesKey group(SeriesKey input) {
        Labels labels = input.labels();
        if (by.isEmpty() && without.isEmpty()) {
            return SeriesKey.of(input.tenant(), input.name(), Labels.EMPTY);
        }
        java.util.TreeMap<String, String> kept = new java.util.TreeMap<>();
        labels.forEach((name, value) -> {
            if (by.isEmpty() ? !without.contains(name) : by.contains(name)) {
                kept.put(name, value);
            }
        });
        return SeriesKey.of(input.tenant(), input.name(), Labels.of(kept));
    }

    /** {@link #matches(SeriesKey)} on the key {@code key} has read. */
    public boolean matches(KeyLayout key) {
        return config.match().matches(key);
    }

    /**
     * {@code key(group(parsed).bytes())} for the key {@code key} has read, from its bytes: its tenant and name, then
     * the labels the group keeps, each as the key writes it (they are in order there already).
     */
    byte[] groupKey(KeyLayout key) {
        byte[] k = key.key();
        int labels = key.labels();
        int length = idBytes.length + key.nameEnd();
        int kept = 0;
        long keep = 0; // which of the first 64 labels the group keeps (a key with more is parsed instead)
        if (labels > 64) {
            return key(group(SeriesKey.parse(k)).bytes());
        }
        if (!by.isEmpty() || !without.isEmpty()) {
            for (int i = 0; i < labels; i++) {
                if (key.named(i, named) == !by.isEmpty()) {
                    keep |= 1L << i;
                    length += key.valueEnd(i) + 1 - key.labelStart(i);
                    kept++;
                }
            }
        }
        if (kept > 0) {
            length += kept + 1; // the braces, and a comma between labels
        }
        byte[] out = new byte[length];
        System.arraycopy(idBytes, 0, out, 0, idBytes.length);
        int pos = idBytes.length;
        System.arraycopy(k, 0, out, pos, key.nameEnd());
        pos += key.nameEnd();
        if (kept > 0) {
            out[pos++] = '{';
            for (int i = 0; i < labels; i++) {
                if ((keep & (1L << i)) != 0) {
                    if (out[pos - 1] != '{') {
                        out[pos++] = ',';
                    }
                    int from = key.labelStart(i);
                    int n = key.valueEnd(i) + 1 - from;
                    System.arraycopy(k, from, out, pos, n);
                    pos += n;
                }
            }
            out[pos] = '}';
        }
        return out;
    }

    /** The key of something of this rule: the id, a space, then {@code key}. */
    byte[] key(byte[] key) {
        byte[] out = new byte[idBytes.length + key.length];
        System.arraycopy(idBytes, 0, out, 0, idBytes.length);
        System.arraycopy(key, 0, out, idBytes.length, key.length);
        return out;
    }

    /** The rule id a key of {@link #key} starts with, or {@code null} when it is too short to hold one. */
    static String idOf(byte[] key) {
        return key.length <= ID_LENGTH ? null : new String(key, 0, ID_LENGTH, StandardCharsets.US_ASCII);
    }

    /** What follows the rule id and its space in a key of {@link #key}. */
    static byte[] rest(byte[] key, int offset) {
        return java.util.Arrays.copyOfRange(key, offset + ID_LENGTH + 1, key.length);
    }

    /** The name of an output series of a group: {@code <metric>:<interval>_by_<labels>_<output>}. */
    String outputName(String metric, String output) {
        return metric + config.nameSuffix() + output;
    }

    public static List<CompiledRule> compile(List<RuleConfig> rules) {
        return rules.stream().map(CompiledRule::new).toList();
    }
}
