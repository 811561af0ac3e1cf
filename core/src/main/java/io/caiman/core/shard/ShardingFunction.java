package io.caiman.core.shard;

import io.caiman.core.model.Labels;
import io.caiman.core.model.SeriesKey;
import io.caiman.core.wire.SampleBatch;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Chooses the oplog partition of a series. <b>This function is a public contract</b>: changing it moves
 * series between partitions and breaks per-series ordering across the change, so its output is pinned by
 * a test and it may only change with a new, opt-in function name.
 *
 * <p>The rule ("caiman-v1"):
 *
 * <ol>
 *   <li>The shard key is the values of the {@code sharding_key} labels, in the configured order, each as
 *       UTF-8, joined by the byte {@code 0xFF} (which never occurs in UTF-8). {@code __name__} stands for
 *       the metric name; an absent label contributes an empty value. The tenant is not part of it.
 *   <li>partition = {@code (murmur2(shard key) & 0x7fffffff) % partitions}, where murmur2 is the 32-bit
 *       MurmurHash2 with seed {@code 0x9747b28c}: the same hash and the same arithmetic as Kafka's default
 *       partitioner, so any Kafka client computes the same partition from the same shard-key bytes.
 * </ol>
 *
 * <p>Every series that shares the shard-key values shares a partition, so each series is always on one
 * partition, in order.
 */
public final class ShardingFunction {

    /** The label name that stands for the metric name in {@code sharding_key}. */
    public static final String METRIC_NAME = "__name__";

    private final List<String> shardingKey;
    private final int partitions;
    /** The sharding-key label names as bytes; {@code null} for the metric name. */
    private final byte[][] labelNames;
    private final boolean byNameOnly;

    /**
     * @param shardingKey the label names whose values choose the partition, in order
     * @param partitions the oplog's partition count
     * @throws IllegalArgumentException if {@code shardingKey} is empty or {@code partitions} is below 1
     */
    public ShardingFunction(List<String> shardingKey, int partitions) {
        if (shardingKey.isEmpty()) {
            throw new IllegalArgumentException("sharding_key needs at least one label name");
        }
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, was " + partitions);
        }
        this.shardingKey = List.copyOf(shardingKey);
        this.partitions = partitions;
        this.labelNames = new byte[this.shardingKey.size()][];
        for (int i = 0; i < labelNames.length; i++) {
            String label = this.shardingKey.get(i);
            labelNames[i] = METRIC_NAME.equals(label) ? null : label.getBytes(StandardCharsets.UTF_8);
        }
        this.byNameOnly = labelNames.length == 1 && labelNames[0] == null;
    }

    public int partitions() {
        return partitions;
    }

    public List<String> shardingKey() {
        return shardingKey;
    }

    /** The partition of {@code series}. */
    public int partition(SeriesKey series) {
        return partition(series.name(), series.labels());
    }

    /** The partition of the series {@code name} with {@code labels} (its key's labels: no replica label). */
    public int partition(String name, Labels labels) {
        return partitionOf(shardKey(name, labels));
    }

    /**
     * The partition of series {@code s} of {@code batch}, which carries no replica label: the same as
     * {@link #partition(String, Labels)} of its name and labels, read from its key bytes.
     */
    public int partition(SampleBatch batch, int s) {
        byte[] keys = batch.keyBytes();
        if (byNameOnly) {
            return (murmur2(keys, batch.keyStart(s), batch.nameEnd(s)) & 0x7fffffff) % partitions;
        }
        byte[] shardKey = new byte[batch.keyEnd(s) - batch.keyStart(s) + shardingKey.size()]; // unescaped values fit
        int n = 0;
        for (int i = 0; i < shardingKey.size(); i++) {
            if (i > 0) {
                shardKey[n++] = (byte) 0xFF;
            }
            if (labelNames[i] == null) {
                System.arraycopy(keys, batch.keyStart(s), shardKey, n, batch.nameEnd(s) - batch.keyStart(s));
                n += batch.nameEnd(s) - batch.keyStart(s);
            } else {
                int k = batch.findLabel(s, labelNames[i]);
                if (k >= 0) {
                    n = batch.labelValue(s, k, shardKey, n);
                }
            }
        }
        return (murmur2(shardKey, 0, n) & 0x7fffffff) % partitions;
    }

    /** Whether the partition depends on the metric name alone ({@code sharding_key: [__name__]}). */
    public boolean byNameOnly() {
        return byNameOnly;
    }

    /** The partition of a shard key (step 2 of the rule). */
    public int partitionOf(byte[] shardKey) {
        return (murmur2(shardKey) & 0x7fffffff) % partitions;
    }

    /** The shard-key bytes of {@code series} (step 1 of the rule). */
    public byte[] shardKey(SeriesKey series) {
        return shardKey(series.name(), series.labels());
    }

    private byte[] shardKey(String name, Labels labels) {
        if (shardingKey.size() == 1) {
            return valueOf(name, labels, shardingKey.get(0)).getBytes(StandardCharsets.UTF_8);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(32);
        for (int i = 0; i < shardingKey.size(); i++) {
            if (i > 0) {
                out.write(0xFF);
            }
            out.writeBytes(valueOf(name, labels, shardingKey.get(i)).getBytes(StandardCharsets.UTF_8));
        }
        return out.toByteArray();
    }

    private static String valueOf(String name, Labels labels, String label) {
        return METRIC_NAME.equals(label) ? name : labels.get(label);
    }

    /**
     * 32-bit MurmurHash2, seed 0x9747b28c, as Kafka's {@code Utils.murmur2}. Written here rather than
     * called from Kafka because the partition of every series depends on it: a contract of Caiman's must
     * not change with a dependency's internal utility class (which Kafka has moved between versions).
     */
    static int murmur2(byte[] data) {
        return murmur2(data, 0, data.length);
    }

    /** {@link #murmur2(byte[])} of {@code data[from, to)}. */
    static int murmur2(byte[] data, int from, int to) {
        int length = to - from;
        int seed = 0x9747b28c;
        final int m = 0x5bd1e995;
        final int r = 24;
        int h = seed ^ length;
        int length4 = length / 4;
        for (int i = 0; i < length4; i++) {
            final int i4 = from + i * 4;
            int k = (data[i4] & 0xff) + ((data[i4 + 1] & 0xff) << 8) + ((data[i4 + 2] & 0xff) << 16)
                    + ((data[i4 + 3] & 0xff) << 24);
            k *= m;
            k ^= k >>> r;
            k *= m;
            h *= m;
            h ^= k;
        }
        int tail = length % 4;
        int last = from + (length & ~3);
        if (tail == 3) {
            h ^= (data[last + 2] & 0xff) << 16;
        }
        if (tail >= 2) {
            h ^= (data[last + 1] & 0xff) << 8;
        }
        if (tail >= 1) {
            h ^= data[last] & 0xff;
            h *= m;
        }
        h ^= h >>> 13;
        h *= m;
        h ^= h >>> 15;
        return h;
    }
}
