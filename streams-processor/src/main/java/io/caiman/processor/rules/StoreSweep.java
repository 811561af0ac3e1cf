package io.caiman.processor.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** Deletes the entries of a store that a predicate picks: the rules' stores use it to stay bounded. */
final class StoreSweep {

    private StoreSweep() {}

    /** Deletes every entry {@code gone} accepts; keys are collected first, so the scan never sees its own deletes. */
    static <V> void deleteWhere(KeyValueStore<byte[], V> store, BiPredicate<byte[], V> gone) {
        List<byte[]> keys = new ArrayList<>();
        try (KeyValueIterator<byte[], V> all = store.all()) {
            while (all.hasNext()) {
                KeyValue<byte[], V> kv = all.next();
                if (gone.test(kv.key, kv.value)) {
                    keys.add(kv.key);
                }
            }
        }
        keys.forEach(store::delete);
    }
}
