package io.caiman.core.wire;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Scans over byte arrays eight bytes at a time (SWAR: a {@code long} read as eight lanes), for the decoders' hottest
 * loops. Written here because the JDK offers no such scan over a range of a {@code byte[]} without decoding it.
 */
public final class Bytes {

    private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final long HIGH_BITS = 0x8080808080808080L;
    private static final long ONES = 0x0101010101010101L;

    private Bytes() {}

    /** The eight bytes at {@code at}, the first in the lowest byte. */
    public static long word(byte[] b, int at) {
        return (long) LONGS.get(b, at);
    }

    /**
     * Copies {@code src[from, from + length)} to {@code dst}, another array, at {@code at}. A run of 16 bytes or fewer
     * (nearly every name and label value) goes as two words where both arrays have room for them, where
     * {@code System.arraycopy} of a few bytes costs a call; so up to 16 bytes past {@code at + length} may be
     * overwritten too, with bytes the caller is about to write over or never reads.
     */
    public static void copy(byte[] src, int from, byte[] dst, int at, int length) {
        if (length <= 16 && src.length - from >= 16 && dst.length - at >= 16) {
            LONGS.set(dst, at, word(src, from));
            LONGS.set(dst, at + 8, word(src, from + 8));
        } else {
            System.arraycopy(src, from, dst, at, length);
        }
    }

    /**
     * Compares {@code b[aFrom, aTo)} with {@code b[bFrom, bTo)} as {@link java.util.Arrays#compare(byte[], int, int,
     * byte[], int, int)} does (signed bytes, a prefix first), with the same sign; the first eight bytes as one word,
     * which is the whole of nearly every label name, where the JDK's compare of a few bytes costs a call.
     */
    public static int compare(byte[] b, int aFrom, int aTo, int bFrom, int bTo) {
        int aLength = aTo - aFrom;
        int bLength = bTo - bFrom;
        if (b.length - aFrom < 8 || b.length - bFrom < 8) {
            return java.util.Arrays.compare(b, aFrom, aTo, b, bFrom, bTo);
        }
        int n = Math.min(Math.min(aLength, bLength), 8);
        long lanes = n == 8 ? -1L : lowLanes(n);
        // a byte's sign bit flipped orders signed bytes as unsigned ones; the first byte the most significant
        long x = Long.reverseBytes((word(b, aFrom) ^ HIGH_BITS) & lanes);
        long y = Long.reverseBytes((word(b, bFrom) ^ HIGH_BITS) & lanes);
        if (x != y) {
            return Long.compareUnsigned(x, y);
        }
        if (n < 8) {
            return aLength - bLength;
        }
        return java.util.Arrays.compare(b, aFrom + 8, aTo, b, bFrom + 8, bTo);
    }

    /** Whether every byte of {@code b[from, to)} is ASCII (below 0x80). */
    public static boolean isAscii(byte[] b, int from, int to) {
        int i = from;
        long high = 0;
        for (; i + 8 <= to; i += 8) {
            high |= word(b, i);
        }
        for (; i < to; i++) {
            high |= b[i];
        }
        return (high & HIGH_BITS) == 0;
    }

    private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;
    private static final long QUOTES = 0x2222222222222222L;
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;

    /**
     * Whether {@code b[from, to)} is ASCII without a backslash, a double quote or a newline: a label value a series
     * key holds as it is, with nothing to escape (nearly every value).
     */
    public static boolean isPlain(byte[] b, int from, int to) {
        int n = to - from;
        if (n >= 8) {
            for (int i = from; i + 8 < to; i += 8) {
                if (unplain(word(b, i)) != 0) {
                    return false;
                }
            }
            return unplain(word(b, to - 8)) == 0; // the last eight bytes, overlapping those checked
        }
        if (b.length - from >= 8) {
            return unplain(word(b, from) & lowLanes(n)) == 0; // lanes past the range read as 0, which is plain
        }
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c < 0 || c == '\\' || c == '"' || c == '\n') {
                return false;
            }
        }
        return true;
    }

    /** The lanes of {@code w} that are not plain ({@link #isPlain}); 0 if none. */
    private static long unplain(long w) {
        return highBits(w) | lanesEqual(w, BACKSLASHES) | lanesEqual(w, QUOTES) | lanesEqual(w, NEWLINES);
    }

    /**
     * Whether {@code b[from, to)} is a valid metric name ({@code metric}: {@code [a-zA-Z_:][a-zA-Z0-9_:]*}) or label
     * name ({@code [a-zA-Z_][a-zA-Z0-9_]*}), eight bytes at a time: each byte's class found by range checks on all
     * lanes at once, where a table look-up a byte cost a tenth of remote write's decoding.
     */
    public static boolean isName(byte[] b, int from, int to, boolean metric) {
        int n = to - from;
        if (n <= 0 || (b[from] >= '0' && b[from] <= '9')) {
            return false;
        }
        if (n >= 8) {
            for (int i = from; i + 8 < to; i += 8) {
                if (nameLanes(word(b, i), metric) != HIGH_BITS) {
                    return false;
                }
            }
            return nameLanes(word(b, to - 8), metric) == HIGH_BITS;
        }
        if (b.length - from >= 8) {
            long lanes = lowLanes(n) & HIGH_BITS;
            return (nameLanes(word(b, from), metric) & lanes) == lanes;
        }
        for (int i = from; i < to; i++) {
            if ((nameLanes(b[i] & 0xFFL, metric) & 0x80) == 0) { // the byte as lane 0 of a word
                return false;
            }
        }
        return true;
    }

    /**
     * The lanes of {@code w} that a name may hold after its first byte, each as its high bit: a letter, a digit, an
     * underscore, and for a metric a colon. Lanes past ASCII are left out first, so no lane's sum carries into the next.
     */
    private static long nameLanes(long w, boolean metric) {
        long x = w & ~HIGH_BITS;
        long ok = inRange(x | 0x2020202020202020L, 'a', 'z') | inRange(x, '0', '9') | inRange(x, '_', '_');
        if (metric) {
            ok |= inRange(x, ':', ':');
        }
        return ok & ~w & HIGH_BITS;
    }

    /** The lanes of {@code x} (each below 0x80) from {@code lo} to {@code hi}, as their high bits. */
    private static long inRange(long x, int lo, int hi) {
        return (x + (0x80 - lo) * ONES) & ~(x + (0x7F - hi) * ONES) & HIGH_BITS;
    }

    /** The lowest {@code n} lanes (0 to 7) all set. */
    private static long lowLanes(int n) {
        return (1L << (n << 3)) - 1;
    }

    /**
     * The lanes of {@code word} equal to {@code lanes}' byte ({@code lanes} is that byte in all eight): the high bit
     * of each such lane set. Exact for the lowest such lane; a lane above one may be set falsely (a borrow), so
     * read only the lowest ({@link Long#numberOfTrailingZeros} / 8).
     */
    public static long lanesEqual(long word, long lanes) {
        long x = word ^ lanes;
        return (x - ONES) & ~x & HIGH_BITS;
    }

    /** The lanes whose high bit is set: bytes past ASCII. */
    public static long highBits(long word) {
        return word & HIGH_BITS;
    }
}
