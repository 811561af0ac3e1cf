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
        int i = from;
        for (; i + 8 <= to; i += 8) {
            long w = word(b, i);
            if ((highBits(w) | lanesEqual(w, BACKSLASHES) | lanesEqual(w, QUOTES) | lanesEqual(w, NEWLINES)) != 0) {
                return false;
            }
        }
        for (; i < to; i++) {
            byte c = b[i];
            if (c < 0 || c == '\\' || c == '"' || c == '\n') {
                return false;
            }
        }
        return true;
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
