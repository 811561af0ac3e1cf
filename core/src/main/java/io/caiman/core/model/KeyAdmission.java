package io.caiman.core.model;

import io.caiman.core.model.SeriesSelector.NameBound;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Whether some of a list of selectors may select a canonical series key ({@link SeriesKey#bytes()}), from the key's
 * bytes alone, without parsing it: its metric name within a selector's {@link SeriesSelector#nameBound() name bound},
 * and each {@code label="value"} of the selector's {@code =} matchers among its labels, as the key writes them
 * (values are escaped there, so a quote inside a value never closes one). A key it refuses no selector selects; one
 * it admits may still be refused by the selectors themselves. Cheap enough for every sample and inside a store's lock.
 */
public final class KeyAdmission {

    /**
     * What a key a selector selects has in its bytes: a name within {@code bound} (any name when null, as UTF-8 in
     * {@code name}), and each of {@code labels}.
     */
    private record Check(NameBound bound, byte[] name, byte[][] labels) {}

    private final List<Check> checks;

    private KeyAdmission(List<Check> checks) {
        this.checks = checks;
    }

    /** The admission of keys that any of {@code selectors} may select. */
    public static KeyAdmission of(List<SeriesSelector> selectors) {
        List<Check> checks = new ArrayList<>();
        for (SeriesSelector s : selectors) {
            NameBound b = s.nameBound();
            List<byte[]> labels = new ArrayList<>();
            for (SeriesSelector.Matcher m : s.matchers()) {
                // a label given an empty value is one a key leaves out
                if (m.op() == SeriesSelector.Op.EQUAL && !m.label().equals("__name__") && !m.value().isEmpty()) {
                    StringBuilder text = new StringBuilder(m.label()).append("=\"");
                    SeriesKey.escape(text, m.value());
                    labels.add(text.append('"').toString().getBytes(StandardCharsets.UTF_8));
                }
            }
            checks.add(new Check(b, b == null ? null : b.prefix().getBytes(StandardCharsets.UTF_8),
                    labels.toArray(byte[][]::new)));
        }
        return new KeyAdmission(List.copyOf(checks));
    }

    /** Whether some selector may select {@code key}. */
    public boolean admits(byte[] key) {
        int start = SeriesKey.groupEnd(key) + 1;
        if (start == 0) {
            return false;
        }
        for (Check c : checks) {
            if (c.bound == null || named(key, start, c.name, c.bound.exact())) {
                boolean all = true;
                for (int i = 0; all && i < c.labels.length; i++) {
                    all = holdsLabel(key, start, c.labels[i]);
                }
                if (all) {
                    return true;
                }
            }
        }
        return false;
    }

    /** Whether the name that starts at {@code start} is {@code name} ({@code exact}) or starts with it. */
    private static boolean named(byte[] key, int start, byte[] name, boolean exact) {
        int end = start + name.length;
        return end <= key.length && Arrays.equals(key, start, end, name, 0, name.length)
                && (!exact || end == key.length || key[end] == '{');
    }

    /** Whether {@code label} ({@code name="value"}) is one of the key's labels: after a brace or a comma. */
    private static boolean holdsLabel(byte[] key, int from, byte[] label) {
        for (int i = from + 1; i + label.length <= key.length; i++) {
            if ((key[i - 1] == '{' || key[i - 1] == ',') && Arrays.equals(key, i, i + label.length, label, 0, label.length)) {
                return true;
            }
        }
        return false;
    }
}
