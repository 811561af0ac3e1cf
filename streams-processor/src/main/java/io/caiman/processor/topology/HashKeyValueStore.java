package io.caiman.processor.topology;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.BatchingStateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * A key-value store in the heap, in a hash map, for the store that every sample reads and writes once: the
 * series' state ({@code processor.state_store: memory}). Streams' own heap store keeps a sorted map: with some
 * 30,000 series a task, a look-up walks about 15 nodes, each a wait for memory and a comparison of keys that share
 * their metric name, where a hash map reads one or two. Streams' builder wraps this store as it wraps its own, in
 * the changelogging and metered layers, so it is changelogged and restored the same way.
 *
 * <p>{@link #all} makes no promise of order, as the interface allows; {@link #range} and {@link #prefixScan}, which
 * must be in key order, scan every entry and sort what they pick, so this store is only for state read by key. A
 * query for some of its keys ({@code /api/v1/series}) is a {@link KeyFilterQuery}: one pass over the keys, and only
 * the entries it picks are handed out, undecoded.
 * Queries from other threads take a copy of the entries, like Streams' heap store, so they never see a change made
 * while they iterate.
 */
public final class HashKeyValueStore implements KeyValueStore<Bytes, byte[]> {

    private final String name;
    private final Map<Bytes, byte[]> map = new HashMap<>();
    private final Position position = Position.emptyPosition();
    private volatile boolean open;
    private StateStoreContext context;

    public HashKeyValueStore(String name) {
        this.name = name;
    }

    /** Supplies {@link HashKeyValueStore}s for {@link org.apache.kafka.streams.state.Stores#keyValueStoreBuilder}. */
    public static KeyValueBytesStoreSupplier supplier(String name) {
        return new KeyValueBytesStoreSupplier() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public KeyValueStore<Bytes, byte[]> get() {
                return new HashKeyValueStore(name);
            }

            @Override
            public String metricsScope() {
                return "in-memory-hash";
            }
        };
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        this.context = context;
        context.register(root, (BatchingStateRestoreCallback) records -> {
            synchronized (this) {
                for (KeyValue<byte[], byte[]> record : records) {
                    putInternal(Bytes.wrap(record.key), record.value);
                }
            }
        });
        open = true;
    }

    @Override
    public boolean persistent() {
        return false;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public Position getPosition() {
        return position;
    }

    @Override
    public synchronized byte[] get(Bytes key) {
        return map.get(key);
    }

    @Override
    public synchronized void put(Bytes key, byte[] value) {
        putInternal(key, value);
        updatePosition();
    }

    @Override
    public synchronized byte[] putIfAbsent(Bytes key, byte[] value) {
        byte[] old = map.get(key);
        if (old == null && value != null) {
            putInternal(key, value);
        }
        updatePosition();
        return old;
    }

    @Override
    public synchronized void putAll(List<KeyValue<Bytes, byte[]>> entries) {
        for (KeyValue<Bytes, byte[]> entry : entries) {
            putInternal(entry.key, entry.value);
        }
        updatePosition();
    }

    @Override
    public synchronized byte[] delete(Bytes key) {
        byte[] old = map.remove(key);
        updatePosition();
        return old;
    }

    /** A null value deletes, as in every Streams store. */
    private void putInternal(Bytes key, byte[] value) {
        if (value == null) {
            map.remove(key);
        } else {
            map.put(key, value);
        }
    }

    /** Where the record being processed came from, for the position Streams' interactive queries may bound. */
    private void updatePosition() {
        if (context != null) {
            context.recordMetadata().ifPresent(m -> {
                if (m.topic() != null) {
                    position.withComponent(m.topic(), m.partition(), m.offset());
                }
            });
        }
    }

    /** Answers a {@link KeyFilterQuery}; no other query is known here (Streams' metered layer answers its own). */
    @Override
    @SuppressWarnings("unchecked")
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        if (!(query instanceof KeyFilterQuery filter)) {
            return QueryResult.forUnknownQueryType(query, this);
        }
        List<KeyValue<byte[], byte[]>> out = new ArrayList<>();
        Position at;
        synchronized (this) {
            for (Map.Entry<Bytes, byte[]> e : map.entrySet()) {
                if (filter.keys().test(e.getKey().get())) {
                    out.add(KeyValue.pair(e.getKey().get(), e.getValue()));
                }
            }
            at = position.copy();
        }
        QueryResult<R> result = (QueryResult<R>) QueryResult.forResult(out);
        result.setPosition(at);
        return result;
    }

    @Override
    public synchronized KeyValueIterator<Bytes, byte[]> all() {
        return iterator(map.entrySet());
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseAll() {
        return all();
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
        return range(from, to, false);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
        return range(from, to, true);
    }

    /** Keys from {@code from} to {@code to}, both included, either bound null for none, in key order. */
    private synchronized KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to, boolean reverse) {
        if (from != null && to != null && from.compareTo(to) > 0) {
            return iterator(List.of()); // as Streams' stores answer an inverted range
        }
        List<Map.Entry<Bytes, byte[]>> picked = new ArrayList<>();
        for (Map.Entry<Bytes, byte[]> e : map.entrySet()) {
            if ((from == null || e.getKey().compareTo(from) >= 0) && (to == null || e.getKey().compareTo(to) <= 0)) {
                picked.add(e);
            }
        }
        return sorted(picked, reverse);
    }

    @Override
    public synchronized <PS extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(P prefix,
            PS prefixKeySerializer) {
        byte[] p = prefixKeySerializer.serialize(null, prefix);
        List<Map.Entry<Bytes, byte[]>> picked = new ArrayList<>();
        for (Map.Entry<Bytes, byte[]> e : map.entrySet()) {
            byte[] k = e.getKey().get();
            if (k.length >= p.length && Arrays.equals(k, 0, p.length, p, 0, p.length)) {
                picked.add(e);
            }
        }
        return sorted(picked, false);
    }

    private static KeyValueIterator<Bytes, byte[]> sorted(List<Map.Entry<Bytes, byte[]>> entries, boolean reverse) {
        entries.sort(reverse ? Map.Entry.<Bytes, byte[]>comparingByKey().reversed() : Map.Entry.comparingByKey());
        return iterator(entries);
    }

    /** Iterates a copy of entries: the map may change under it. */
    private static KeyValueIterator<Bytes, byte[]> iterator(Collection<Map.Entry<Bytes, byte[]>> entries) {
        List<KeyValue<Bytes, byte[]>> copy = new ArrayList<>(entries.size());
        for (Map.Entry<Bytes, byte[]> e : entries) {
            copy.add(KeyValue.pair(e.getKey(), e.getValue()));
        }
        return new KeyValueIterator<>() {
            private int next;

            @Override
            public boolean hasNext() {
                return next < copy.size();
            }

            @Override
            public KeyValue<Bytes, byte[]> next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return copy.get(next++);
            }

            @Override
            public Bytes peekNextKey() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                return copy.get(next).key;
            }

            @Override
            public void close() {
                // a copy: nothing held
            }
        };
    }

    @Override
    public long approximateNumEntries() {
        synchronized (this) {
            return map.size();
        }
    }

    @Override
    public synchronized void close() {
        map.clear();
        open = false;
    }
}
