package io.caiman.processor.rules;

import io.caiman.schemas.state.Contribution;
import java.nio.ByteBuffer;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.streams.processor.StreamPartitioner;

/**
 * Progress marks: how far a per-series task's samples have got, sent to every partition of the group stage. A window
 * closes only once every per-series task has marked its end plus grace (or marked itself idle), so a task that is
 * behind (killed and not yet taken over, restoring, reading a backlog) holds the windows open instead of having its
 * samples come late. Its parts of a window always reach each partition before its mark past the window: one task
 * writes both, in order, and sends its parts on before its mark.
 *
 * <p>A mark travels through the repartition topic as a {@link Contribution} whose {@code timestamp_ms} is the task's
 * newest aggregated sample time, under a key no output group has: a zero byte (rule ids are hex), the idle flag,
 * and the task's oplog partition.
 */
public final class Marks {

    private static final int KEY_LENGTH = 6;
    /** Every partition of a topic, per partition count. */
    private static final ConcurrentHashMap<Integer, Set<Integer>> ALL = new ConcurrentHashMap<>();

    private Marks() {}

    /** The key of a mark from the per-series task of oplog partition {@code upstream}. */
    static byte[] key(int upstream, boolean idle) {
        return ByteBuffer.allocate(KEY_LENGTH).put((byte) 0).put((byte) (idle ? 1 : 0)).putInt(upstream).array();
    }

    static boolean isMark(byte[] key) {
        return key.length == KEY_LENGTH && key[0] == 0;
    }

    static int upstreamOf(byte[] key) {
        return ByteBuffer.wrap(key, 2, 4).getInt();
    }

    /** Whether the task had nothing to aggregate and its input is read to the end: it holds no window open. */
    static boolean idle(byte[] key) {
        return key[1] == 1;
    }

    /** A mark's value: {@code newest} in {@code timestamp_ms}, the rest empty. */
    static Contribution value(long newest) {
        return new Contribution(0L, newest, Double.NaN, 0L, Double.NaN, 0L, null, null);
    }

    /** The repartition's partitioner: a mark to every partition; anything else as without one (the key's murmur2). */
    public static StreamPartitioner<byte[], Contribution> partitioner() {
        return (topic, key, value, partitions) -> isMark(key)
                ? Optional.of(ALL.computeIfAbsent(partitions,
                        n -> IntStream.range(0, n).boxed().collect(Collectors.toUnmodifiableSet())))
                : Optional.empty();
    }
}
