package io.caiman.processor.topology;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueIterator;

/**
 * The hash store answers every operation as a sorted map does, over random sequences of writes on keys that
 * share prefixes (as series keys share their metric names): its gets, its scans in key order, its unordered
 * {@code all}, and an iterator taken before a write does not see it.
 */
class HashKeyValueStoreTest {

    record Op(int kind, byte[] key, byte[] value) {}

    @Provide
    Arbitrary<List<Op>> ops() {
        Arbitrary<byte[]> keys = Arbitraries.of("a", "ab", "abc", "abd", "b", "ba", "", "\u00ff", "a\u0000")
                .map(s -> s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        Arbitrary<byte[]> values = Arbitraries.bytes().array(byte[].class).ofMaxSize(3).injectNull(0.1);
        return Combinators.combine(Arbitraries.integers().between(0, 3), keys, values).as(Op::new).list().ofMaxSize(60);
    }

    @Property(tries = 500)
    void answersAsASortedMap(@ForAll("ops") List<Op> ops) {
        HashKeyValueStore store = new HashKeyValueStore("series-state");
        NavigableMap<Bytes, byte[]> reference = new TreeMap<>();
        KeyValueIterator<Bytes, byte[]> early = null;
        Map<Bytes, byte[]> earlyContent = null;
        for (Op op : ops) {
            Bytes key = Bytes.wrap(op.key());
            switch (op.kind()) {
                case 0 -> {
                    store.put(key, op.value());
                    if (op.value() == null) {
                        reference.remove(key);
                    } else {
                        reference.put(key, op.value());
                    }
                }
                case 1 -> {
                    byte[] old = store.putIfAbsent(key, op.value());
                    assertThat(old).isEqualTo(reference.get(key));
                    if (old == null && op.value() != null) {
                        reference.put(key, op.value());
                    }
                }
                case 2 -> assertThat(store.delete(key)).isEqualTo(reference.remove(key));
                default -> {
                    if (early == null) {
                        early = store.all();
                        earlyContent = new HashMap<>(reference);
                    }
                }
            }
            assertThat(store.get(key)).isEqualTo(reference.get(key));
        }
        assertThat(store.approximateNumEntries()).isEqualTo(reference.size());
        assertThat(contents(store.all())).containsExactlyInAnyOrderElementsOf(entries(reference));
        Bytes from = Bytes.wrap(new byte[] {'a'});
        Bytes to = Bytes.wrap(new byte[] {'b'});
        assertThat(keys(store.range(from, to))).containsExactlyElementsOf(reference.subMap(from, true, to, true).keySet());
        assertThat(keys(store.reverseRange(from, to)))
                .containsExactlyElementsOf(reference.subMap(from, true, to, true).descendingKeySet());
        assertThat(keys(store.range(null, to))).containsExactlyElementsOf(reference.headMap(to, true).keySet());
        assertThat(keys(store.range(to, from))).isEmpty();
        assertThat(keys(store.prefixScan(new byte[] {'a', 'b'}, new ByteArraySerializer())))
                .containsExactlyElementsOf(reference.keySet().stream()
                        .filter(k -> k.get().length >= 2 && k.get()[0] == 'a' && k.get()[1] == 'b').toList());
        if (early != null) {
            assertThat(contents(early)).containsExactlyInAnyOrderElementsOf(entries(earlyContent));
        }
        store.close();
        assertThat(store.approximateNumEntries()).isZero();
    }

    private static List<String> contents(KeyValueIterator<Bytes, byte[]> it) {
        List<String> out = new ArrayList<>();
        try (it) {
            it.forEachRemaining(kv -> out.add(kv.key + "=" + java.util.Arrays.toString(kv.value)));
        }
        return out;
    }

    private static List<String> entries(Map<Bytes, byte[]> map) {
        return map.entrySet().stream().map(e -> e.getKey() + "=" + java.util.Arrays.toString(e.getValue())).toList();
    }

    private static List<Bytes> keys(KeyValueIterator<Bytes, byte[]> it) {
        List<Bytes> out = new ArrayList<>();
        try (it) {
            it.forEachRemaining(kv -> out.add(kv.key));
        }
        return out;
    }
}
