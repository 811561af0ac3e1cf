package io.caiman.core.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;

/**
 * An immutable set of label name/value pairs, sorted by name. Labels with an empty value are dropped,
 * as in Prometheus, where an empty value means the label is absent. The metric name is not a label
 * here; {@link SeriesKey} carries it.
 */
public final class Labels {

    public static final Labels EMPTY = new Labels(new String[0]);

    /** names and values interleaved: n0, v0, n1, v1, … sorted by name */
    private final String[] pairs;

    private Labels(String[] pairs) {
        this.pairs = pairs;
    }

    /**
     * Labels from alternating names and values.
     *
     * @throws IllegalArgumentException if a name repeats or the count is odd
     */
    public static Labels of(String... namesAndValues) {
        if (namesAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("labels need a value for every name");
        }
        List<String[]> list = new ArrayList<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            list.add(new String[] {namesAndValues[i], namesAndValues[i + 1]});
        }
        return fromPairs(list);
    }

    /**
     * Labels from alternating names and values, taking ownership of the array (it is sorted in place): the
     * parsers' allocation-free path.
     *
     * @throws IllegalArgumentException if a name repeats or the count is odd
     */
    public static Labels ofPairs(String[] namesAndValues) {
        int n = namesAndValues.length;
        if (n % 2 != 0) {
            throw new IllegalArgumentException("labels need a value for every name");
        }
        int kept = 0;
        for (int i = 0; i < n; i += 2) { // drop empty values, as Prometheus does
            if (namesAndValues[i + 1] != null && !namesAndValues[i + 1].isEmpty()) {
                namesAndValues[kept] = java.util.Objects.requireNonNull(namesAndValues[i], "label name");
                namesAndValues[kept + 1] = namesAndValues[i + 1];
                kept += 2;
            }
        }
        // insertion sort by name: series carry few labels, often already sorted
        for (int i = 2; i < kept; i += 2) {
            String name = namesAndValues[i];
            String value = namesAndValues[i + 1];
            int j = i - 2;
            while (j >= 0 && namesAndValues[j].compareTo(name) > 0) {
                namesAndValues[j + 2] = namesAndValues[j];
                namesAndValues[j + 3] = namesAndValues[j + 1];
                j -= 2;
            }
            namesAndValues[j + 2] = name;
            namesAndValues[j + 3] = value;
        }
        for (int i = 2; i < kept; i += 2) {
            if (namesAndValues[i].equals(namesAndValues[i - 2])) {
                throw new IllegalArgumentException("label " + namesAndValues[i] + " given twice");
            }
        }
        if (kept == 0) {
            return EMPTY;
        }
        return new Labels(kept == n ? namesAndValues : Arrays.copyOf(namesAndValues, kept));
    }

    /** Labels from a map; see {@link #of}. */
    public static Labels of(Map<String, String> map) {
        List<String[]> list = new ArrayList<>();
        map.forEach((k, v) -> list.add(new String[] {k, v}));
        return fromPairs(list);
    }

    private static Labels fromPairs(List<String[]> list) {
        list.removeIf(p -> p[1] == null || p[1].isEmpty());
        list.sort((a, b) -> a[0].compareTo(b[0]));
        String[] pairs = new String[list.size() * 2];
        for (int i = 0; i < list.size(); i++) {
            if (i > 0 && list.get(i)[0].equals(list.get(i - 1)[0])) {
                throw new IllegalArgumentException("label " + list.get(i)[0] + " given twice");
            }
            pairs[2 * i] = Objects.requireNonNull(list.get(i)[0], "label name");
            pairs[2 * i + 1] = list.get(i)[1];
        }
        return pairs.length == 0 ? EMPTY : new Labels(pairs);
    }

    public int size() {
        return pairs.length / 2;
    }

    public String name(int i) {
        return pairs[2 * i];
    }

    public String value(int i) {
        return pairs[2 * i + 1];
    }

    /** The value of label {@code name}, or {@code ""} when absent. */
    public String get(String name) {
        for (int i = 0; i < pairs.length; i += 2) {
            int c = pairs[i].compareTo(name);
            if (c == 0) {
                return pairs[i + 1];
            }
            if (c > 0) {
                break;
            }
        }
        return "";
    }

    /** These labels without the ones named in {@code names}. */
    public Labels without(java.util.Collection<String> names) {
        boolean any = false;
        for (int i = 0; !any && i < pairs.length; i += 2) {
            any = names.contains(pairs[i]);
        }
        if (!any) {
            return this; // the usual case, once per sample: no copy
        }
        List<String[]> list = new ArrayList<>();
        forEach((n, v) -> {
            if (!names.contains(n)) {
                list.add(new String[] {n, v});
            }
        });
        return list.size() == size() ? this : fromPairs(list);
    }

    public void forEach(BiConsumer<String, String> action) {
        for (int i = 0; i < pairs.length; i += 2) {
            action.accept(pairs[i], pairs[i + 1]);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Labels && Arrays.equals(pairs, ((Labels) o).pairs);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(pairs);
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        SeriesKey.appendLabels(sb, this);
        return sb.append('}').toString();
    }
}
