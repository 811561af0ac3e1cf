package io.caiman.core.model;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Where the metric name and each label lie in a series key's bytes, read in one pass without building a string:
 * for code that asks a few questions of every sample's key (which rules select it, its group under each) and would
 * otherwise parse it whole ({@link SeriesKey#parse(byte[])}) to ask them.
 *
 * <p>It reads only keys in the exact form {@link SeriesKey#bytes()} writes for values of ASCII characters: a valid
 * tenant and metric name, labels in strictly increasing order of name, no empty value, values escaped as the key
 * escapes them ({@code \\}, {@code \"}, {@code \n}, nothing else). So every byte range it gives is what the key's
 * parsed form would render back, byte for byte, and a key's labels are exactly those {@link SeriesKey#labels()}
 * holds. A key in any other form (a value with non-ASCII bytes, labels out of order, an escape the key never
 * writes) is refused by {@link #read}, and the caller parses it instead.
 *
 * <p>Mutable and reused from key to key; not thread-safe.
 */
public final class KeyLayout {

    private byte[] key;
    private int labels;
    /**
     * Where the metric name starts and ends, then per label where its name starts and ends and where its value (as
     * escaped in the key) starts and ends ({@link SeriesKey#scan}).
     */
    private int[] at = new int[2 + 4 * 32];

    /**
     * Reads {@code key}.
     *
     * @return whether it is in the form this layout reads (see the class); when not, nothing it gives is valid
     */
    public boolean read(byte[] key) {
        this.key = key;
        int n;
        while ((n = SeriesKey.scan(key, at, true)) == -2) {
            at = Arrays.copyOf(at, 2 + 2 * (at.length - 2));
        }
        labels = Math.max(n, 0);
        return n >= 0;
    }

    /** The key read last. */
    public byte[] key() {
        return key;
    }

    public int nameStart() {
        return at[0];
    }

    public int nameEnd() {
        return at[1];
    }

    /** How many labels the key has. */
    public int labels() {
        return labels;
    }

    /** Where label {@code i}'s name starts: its {@code name="value"} runs from here to {@link #valueEnd} + 1. */
    public int labelStart(int i) {
        return at[2 + 4 * i];
    }

    public int labelEnd(int i) {
        return at[3 + 4 * i];
    }

    /** Where label {@code i}'s value starts, as escaped in the key. */
    public int valueStart(int i) {
        return at[4 + 4 * i];
    }

    /** Where label {@code i}'s value ends: its closing quote. */
    public int valueEnd(int i) {
        return at[5 + 4 * i];
    }

    /** The label named {@code name} (ASCII), or -1. */
    public int find(byte[] name) {
        for (int i = 0; i < labels; i++) {
            int s = at[2 + 4 * i];
            if (Arrays.equals(key, s, at[3 + 4 * i], name, 0, name.length)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether label {@code i}'s name is one of {@code names}. */
    public boolean named(int i, byte[][] names) {
        for (byte[] name : names) {
            if (Arrays.equals(key, at[2 + 4 * i], at[3 + 4 * i], name, 0, name.length)) {
                return true;
            }
        }
        return false;
    }

    /** The metric name. */
    public String name() {
        return new String(key, at[0], at[1] - at[0], StandardCharsets.US_ASCII);
    }

    /** Label {@code i}'s value, unescaped. */
    public String value(int i) {
        int from = at[4 + 4 * i];
        int to = at[5 + 4 * i];
        char[] out = new char[to - from];
        int n = 0;
        for (int j = from; j < to; j++) {
            char c = (char) key[j];
            if (c == '\\') {
                c = (char) key[++j];
                if (c == 'n') {
                    c = '\n';
                }
            }
            out[n++] = c;
        }
        return new String(out, 0, n);
    }
}
