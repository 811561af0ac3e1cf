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
    private int nameStart;
    private int nameEnd;
    private int labels;
    /** Per label: where its name starts and ends, and where its value (as escaped in the key) starts and ends. */
    private int[] at = new int[4 * 16];

    /**
     * Reads {@code key}.
     *
     * @return whether it is in the form this layout reads (see the class); when not, nothing it gives is valid
     */
    public boolean read(byte[] key) {
        this.key = key;
        this.labels = 0;
        int n = key.length;
        int slash = 0;
        while (slash < n && SeriesKey.isTenantByte(key[slash])) {
            slash++;
        }
        if (slash == 0 || slash > 150 || slash == n || key[slash] != '/'
                || (key[0] == '.' && (slash == 1 || (slash == 2 && key[1] == '.')))) {
            return false;
        }
        int i = slash + 1;
        if (i == n || !SeriesKey.isNameByte(key[i], true, true)) {
            return false;
        }
        nameStart = i++;
        while (i < n && SeriesKey.isNameByte(key[i], true, false)) {
            i++;
        }
        nameEnd = i;
        if (i == n) {
            return true;
        }
        if (key[i] != '{' || key[n - 1] != '}') {
            return false;
        }
        i++;
        while (true) {
            int labelStart = i;
            if (i == n || !SeriesKey.isNameByte(key[i], false, true)) {
                return false;
            }
            i++;
            while (i < n && SeriesKey.isNameByte(key[i], false, false)) {
                i++;
            }
            int labelEnd = i;
            if (i + 2 >= n || key[i] != '=' || key[i + 1] != '"') {
                return false;
            }
            if (labels > 0 && Arrays.compare(key, at[4 * labels - 4], at[4 * labels - 3], key, labelStart, labelEnd) >= 0) {
                return false; // out of order, or a name given twice
            }
            i += 2;
            int valueStart = i;
            while (i < n) {
                byte c = key[i];
                if (c == '"' || c < 0 || c == '\n') {
                    break;
                }
                if (c == '\\') {
                    if (i + 1 == n || (key[i + 1] != '\\' && key[i + 1] != '"' && key[i + 1] != 'n')) {
                        return false;
                    }
                    i++;
                }
                i++;
            }
            if (i >= n - 1 || key[i] != '"' || i == valueStart) {
                return false; // a non-ASCII or raw newline byte, no closing quote, or an empty value
            }
            int slot = 4 * labels;
            if (slot + 4 > at.length) {
                at = Arrays.copyOf(at, at.length * 2);
            }
            at[slot] = labelStart;
            at[slot + 1] = labelEnd;
            at[slot + 2] = valueStart;
            at[slot + 3] = i;
            labels++;
            i++;
            if (key[i] == '}') {
                return i == n - 1;
            }
            if (key[i] != ',') {
                return false;
            }
            i++;
        }
    }

    /** The key read last. */
    public byte[] key() {
        return key;
    }

    public int nameStart() {
        return nameStart;
    }

    public int nameEnd() {
        return nameEnd;
    }

    /** How many labels the key has. */
    public int labels() {
        return labels;
    }

    /** Where label {@code i}'s name starts: its {@code name="value"} runs from here to {@link #valueEnd} + 1. */
    public int labelStart(int i) {
        return at[4 * i];
    }

    public int labelEnd(int i) {
        return at[4 * i + 1];
    }

    /** Where label {@code i}'s value starts, as escaped in the key. */
    public int valueStart(int i) {
        return at[4 * i + 2];
    }

    /** Where label {@code i}'s value ends: its closing quote. */
    public int valueEnd(int i) {
        return at[4 * i + 3];
    }

    /** The label named {@code name} (ASCII), or -1. */
    public int find(byte[] name) {
        for (int i = 0; i < labels; i++) {
            int s = at[4 * i];
            if (Arrays.equals(key, s, at[4 * i + 1], name, 0, name.length)) {
                return i;
            }
        }
        return -1;
    }

    /** Whether label {@code i}'s name is one of {@code names}. */
    public boolean named(int i, byte[][] names) {
        for (byte[] name : names) {
            if (Arrays.equals(key, at[4 * i], at[4 * i + 1], name, 0, name.length)) {
                return true;
            }
        }
        return false;
    }

    /** The metric name. */
    public String name() {
        return new String(key, nameStart, nameEnd - nameStart, StandardCharsets.US_ASCII);
    }

    /** Label {@code i}'s value, unescaped. */
    public String value(int i) {
        int from = at[4 * i + 2];
        int to = at[4 * i + 3];
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
