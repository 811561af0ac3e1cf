package io.caiman.core.wire;

/**
 * One {@code String} for equal runs of text within one parse. Metric names, label names and many label values
 * repeat from line to line ({@code job}, {@code instance}, {@code mode="idle"}); a hit costs a hash and a
 * comparison instead of a new string, so a body's samples share their names. A small direct-mapped table: a
 * collision replaces the slot, so it never grows. Not thread-safe: one per parse. Written here because the
 * JDK's {@code String.intern} needs the string first and keeps it forever. Only the reference text parser
 * ({@code ReferenceTextParser}) uses it now: the parsers read names as bytes.
 */
public final class Interner {

    private static final int SLOTS = 1024;
    private static final int LONGEST = 64; // longer runs are rarely repeated: not worth hashing

    private final String[] table = new String[SLOTS];

    /** {@code s.substring(from, to)}, the same instance as an earlier equal run when it is still in the table. */
    public String substring(String s, int from, int to) {
        int length = to - from;
        if (length > LONGEST || length == 0) {
            return s.substring(from, to);
        }
        int h = 0;
        for (int i = from; i < to; i++) {
            h = 31 * h + s.charAt(i);
        }
        return substring(s, from, to, h);
    }

    /**
     * {@link #substring(String, int, int)} for a caller that computed {@code hash} ({@code h = 31 * h + c} over the
     * run's characters) while it scanned the run, so the run is read once more only to compare it.
     */
    public String substring(String s, int from, int to, int hash) {
        int length = to - from;
        if (length > LONGEST || length == 0) {
            return s.substring(from, to);
        }
        int h = hash;
        int slot = (h ^ (h >>> 16)) & (SLOTS - 1);
        String hit = table[slot];
        if (hit != null && hit.length() == length && s.regionMatches(from, hit, 0, length)) {
            return hit;
        }
        String made = s.substring(from, to);
        table[slot] = made;
        return made;
    }
}
