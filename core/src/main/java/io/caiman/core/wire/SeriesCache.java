package io.caiman.core.wire;

import java.util.concurrent.atomic.LongAdder;

/**
 * The series a decoder has read and found valid, by the exact bytes that named them in its input: a remote-write
 * 1.0 series' label fields, or a Prometheus text line's {@code name{labels}}. A sender writes each of its series
 * again every scrape interval, with the same bytes, so a series seen before is a look-up (a hash and a comparison of
 * those bytes) and a copy of its key, not a walk of its labels, checks of its names and strings, a sort and an
 * escape.
 *
 * <p>Direct-mapped: a series whose slot holds another replaces it, so the cache never grows past its slots. Shared
 * by the threads of one decoder without a lock: a slot holds an immutable {@link SampleBatch.Segment}, and a reader
 * sees either one whole or none (final fields). Only series the decoder took are kept, and a series is kept only with the
 * limits it was checked against: one cache per decoder. Written here because a general cache (Caffeine, a map) needs
 * a key object, so an allocation, per look-up, on the path this cache exists to make cheap.
 *
 * <p>Off in the gateway by default ({@code gateway.series_cache}): a hit reads memory the request has not touched,
 * and once the kept series outgrow the CPU's caches that costs more than reading the series afresh from the body
 * just received (bench/RESULTS.md, 2026-12-07 evening).
 */
public final class SeriesCache {

    /** Series named by more bytes than this are not kept: a series that large is rare, and it would hold memory. */
    public static final int MAX_BYTES = 2048;

    private static final long SEED = 0x9E3779B97F4A7C15L;

    private final SampleBatch.Segment[] slots;
    private final int shift;
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();

    /** @param series how many series it holds at most, rounded up to a power of two */
    public SeriesCache(int series) {
        int bits = 32 - Integer.numberOfLeadingZeros(Math.max(1, series - 1));
        this.slots = new SampleBatch.Segment[1 << bits];
        this.shift = 64 - bits;
    }

    /**
     * A 64-bit hash of {@code b[from, to)}, sixteen bytes at a time in two lanes that do not wait on each other. It
     * only spreads series over the slots: a look-up compares the bytes themselves.
     */
    public static long hash(byte[] b, int from, int to) {
        long x = SEED ^ (to - from);
        long y = 0x6A09E667F3BCC909L;
        int i = from;
        for (; i + 16 <= to; i += 16) {
            x = Long.rotateLeft((x ^ Bytes.word(b, i)) * SEED, 29);
            y = Long.rotateLeft((y ^ Bytes.word(b, i + 8)) * 0xC2B2AE3D27D4EB4FL, 31);
        }
        for (; i < to; i++) {
            x = Long.rotateLeft((x ^ b[i]) * SEED, 29);
        }
        long h = (x ^ Long.rotateLeft(y, 17)) * SEED;
        return h ^ (h >>> 32);
    }

    /** The series named by the bytes {@code b[from, to)} (of hash {@code hash}), or {@code null}. */
    public SampleBatch.Segment get(byte[] b, int from, int to, long hash) {
        SampleBatch.Segment e = slots[(int) ((hash * SEED) >>> shift)];
        return e != null && e.namedBy(b, from, to, hash) ? e : null;
    }

    /** Keeps series {@code s} of {@code batch}, read from the bytes {@code b[from, to)} (of hash {@code hash}). */
    public void put(byte[] b, int from, int to, long hash, SampleBatch batch, int s) {
        slots[(int) ((hash * SEED) >>> shift)] = batch.segment(s, b, from, to, hash);
    }

    /** Counts one message's look-ups. */
    public void counted(int hit, int missed) {
        if (hit > 0) {
            hits.add(hit);
        }
        if (missed > 0) {
            misses.add(missed);
        }
    }

    public long hits() {
        return hits.sum();
    }

    public long misses() {
        return misses.sum();
    }

    public int slots() {
        return slots.length;
    }
}
