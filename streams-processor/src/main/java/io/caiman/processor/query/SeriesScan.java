package io.caiman.processor.query;

import io.caiman.core.model.KeyAdmission;
import io.caiman.core.model.KeyLayout;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.model.SeriesSelector;
import io.caiman.core.model.SeriesSelector.NameBound;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.BiPredicate;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The entries of one partition's store that a query's selectors may select, read without reading the rest where the
 * store allows it. The stores are keyed by series keys behind a group: {@code <group>/<name>{…}}, where the group is
 * the tenant (the series' state), or a rule id, a space and the tenant (the rules' outputs). Neither a rule id nor a
 * tenant holds a {@code /}.
 *
 * <p>When every selector bounds the metric name ({@link SeriesSelector#nameBound}: {@code up}, {@code http_.*}), a
 * store kept in key order (RocksDB, Streams' heap store) is read group by group ({@link #forEach}): the first key at
 * or after a point names the next group, and within it only the keys that start with {@code <group>/<name>} are
 * read. That is a few seeks per group and bound, then the keys of the names asked for. The series' state in a hash
 * map ({@code processor.state_store: memory}) has no order: it is read whole, in the store, each key checked by its
 * bytes ({@link #admits}, through a {@link io.caiman.processor.topology.KeyFilterQuery}), and only the values of the
 * keys it admits are decoded. A selector that bounds no name ({@code {job="api"}}) reads every key either way.
 *
 * <p>A key is handed over only if some selector may select it by its bytes alone ({@link #admits}): a name within
 * the selector's bound, and every {@code label="value"} its {@code =} matchers ask for, as the key writes them; and,
 * for a series key {@link KeyLayout} reads, only if a selector does select it. That spares a key parse for each key
 * that cannot match, and in the hash map the copy and decoding of its value.
 *
 * <p>The caller still matches each entry against the selectors: the bounds narrow what is read, never what is
 * selected.
 */
final class SeriesScan {

    private static final ByteArraySerializer PREFIX = new ByteArraySerializer();

    /** The names to read, sorted, none within another; {@code null}: every entry. */
    private final List<Bound> bounds;
    /** What each selector asks of a key's bytes; a key any of them admits is handed over. */
    private final KeyAdmission admission;
    private final List<SeriesSelector> selectors;
    /** The key being checked ({@link #admits}); a scan runs on one thread. */
    private final KeyLayout layout = new KeyLayout();
    private long read;

    /** A name bound, with its name as UTF-8. */
    private record Bound(NameBound bound, byte[] name) {

        static Bound of(NameBound bound) {
            return bound == null ? null : new Bound(bound, bound.prefix().getBytes(StandardCharsets.UTF_8));
        }
    }

    private SeriesScan(List<Bound> bounds, KeyAdmission admission, List<SeriesSelector> selectors) {
        this.bounds = bounds;
        this.admission = admission;
        this.selectors = List.copyOf(selectors);
    }

    /** The scan for a query: the union of the selectors' bounds, or every entry when one of them bounds nothing. */
    static SeriesScan of(List<SeriesSelector> selectors) {
        KeyAdmission admission = KeyAdmission.of(selectors);
        List<NameBound> all = new ArrayList<>();
        for (SeriesSelector s : selectors) {
            all.add(s.nameBound());
        }
        if (all.contains(null)) {
            return new SeriesScan(null, admission, selectors);
        }
        // a bound within another (an exact name that a prefix admits, a longer prefix) would read its keys twice
        all.sort(Comparator.comparing(NameBound::prefix).thenComparing(NameBound::exact)); // a prefix before its exact name
        List<Bound> kept = new ArrayList<>();
        for (NameBound b : all) {
            boolean within = kept.stream().map(Bound::bound)
                    .anyMatch(k -> k.equals(b) || (!k.exact() && b.prefix().startsWith(k.prefix())));
            if (!within) {
                kept.add(Bound.of(b));
            }
        }
        return new SeriesScan(kept, admission, selectors);
    }

    /** How many entries the scans so far have read, those the selectors then refuse included. */
    long read() {
        return read;
    }

    /**
     * Hands {@code visit} each entry of {@code store}, a store kept in key order, within the bounds, until it returns
     * {@code false}.
     *
     * @return {@code false} if {@code visit} stopped the scan
     */
    <V> boolean forEach(ReadOnlyKeyValueStore<byte[], V> store, BiPredicate<byte[], V> visit) {
        if (bounds == null) {
            try (KeyValueIterator<byte[], V> all = store.all()) {
                while (all.hasNext()) {
                    KeyValue<byte[], V> kv = all.next();
                    read++;
                    if (admits(kv.key) && !visit.test(kv.key, kv.value)) {
                        return false;
                    }
                }
            }
            return true;
        }
        byte[] from = null;
        while (true) {
            byte[] first;
            try (KeyValueIterator<byte[], V> next = store.range(from, null)) {
                if (!next.hasNext()) {
                    return true;
                }
                first = next.next().key;
                read++;
            }
            int slash = SeriesKey.groupEnd(first);
            if (slash < 0) {
                from = Arrays.copyOf(first, first.length + 1); // not a series key, so no selector selects it
                continue;
            }
            for (Bound bound : bounds) {
                NameBound b = bound.bound();
                byte[] name = bound.name();
                byte[] prefix = Arrays.copyOf(first, slash + 1 + name.length + (b.exact() ? 1 : 0));
                System.arraycopy(name, 0, prefix, slash + 1, name.length);
                if (b.exact()) {
                    byte[] bare = Arrays.copyOf(prefix, prefix.length - 1); // the name without labels
                    V value = store.get(bare);
                    read++;
                    if (value != null && admits(bare) && !visit.test(bare, value)) {
                        return false;
                    }
                    prefix[prefix.length - 1] = '{';
                }
                try (KeyValueIterator<byte[], V> in = store.prefixScan(prefix, PREFIX)) {
                    while (in.hasNext()) {
                        KeyValue<byte[], V> kv = in.next();
                        read++;
                        if (admits(kv.key) && !visit.test(kv.key, kv.value)) {
                            return false;
                        }
                    }
                }
            }
            // past the group: '0' follows '/', and a group's keys all start with <group>/
            from = Arrays.copyOf(first, slash + 1);
            from[slash] = '0';
        }
    }

    /** {@link #admits}, counting {@code key} as read: for a store that checks its keys itself (the hash map). */
    boolean read(byte[] key) {
        read++;
        return admits(key);
    }

    /**
     * Whether some selector may select {@code key}, from its bytes: its name within the selector's bound, and every
     * {@code label="value"} the selector asks for in it; then, for a key in the form {@link KeyLayout} reads (nearly
     * all), whether some selector does select it, so that a regular expression ({@code {job=~"api|db"}}) also spares
     * the keys it refuses their parse and, in the hash map, the copy and decoding of their values. Cheap enough to
     * run inside a store's lock.
     */
    boolean admits(byte[] key) {
        if (!admission.admits(key)) {
            return false;
        }
        if (!layout.read(key)) {
            return true; // parsed and matched by the caller
        }
        for (SeriesSelector selector : selectors) {
            if (selector.matches(layout)) {
                return true;
            }
        }
        return false;
    }
}
