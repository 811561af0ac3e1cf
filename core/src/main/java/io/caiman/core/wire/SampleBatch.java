package io.caiman.core.wire;

import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.model.SeriesKey;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.SampleKind;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * The samples of one request in the form the oplog takes them. Each series is held once, as the bytes of its
 * canonical key without the tenant ({@code name{label="value",…}}: labels sorted by name, empty values left out,
 * values escaped; {@link SeriesKey}), with where its name and each label's name and value lie in those bytes. Its
 * samples sit in flat arrays beside them. The gateway writes a record per sample from here with no object per
 * sample or label ({@code OplogRecords}); {@link #samples()} gives the same samples as {@link ParsedSample}s for
 * everything else.
 *
 * <p>Two ways in:
 *
 * <ul>
 *   <li>byte ranges of an input the parser has checked ({@link #series}, {@link #label}, {@link #endSeries}): the
 *       Prometheus text and remote-write decoders hand over the bytes of names and values as they find them, and
 *       the batch sorts, checks and copies them into the key once;
 *   <li>{@link #add(ParsedSample)}: a sample whose name and labels are strings (every other format).
 * </ul>
 *
 * Written here, not taken from a library: it is the gateway's per-sample path, whose cost the benchmarks hold to
 * the raw producer's (bench/RESULTS.md). Not thread-safe: one batch per request.
 */
public final class SampleBatch {

    private static final MetricType[] TYPES = MetricType.values();
    private static final SampleKind[] KINDS = SampleKind.values();
    private static final byte[] NAME_LABEL = "__name__".getBytes(StandardCharsets.US_ASCII);

    // ---- series: key bytes in one array; series i is keys[seriesStart[i], seriesStart[i + 1])
    private byte[] keys;
    private int[] seriesStart;
    private int[] nameEnd;
    /** Series i's labels are labels firstLabel[i] to firstLabel[i + 1] - 1. */
    private int[] firstLabel;
    /** Per label, three offsets into {@link #keys}: where its name starts, its value starts and its value ends. */
    private int[] labelAt;
    private int seriesCount;
    private int labelCount;

    // ---- samples
    private int[] sampleSeries;
    private double[] values;
    private long[] timestamps;
    private boolean[] stamped;
    private byte[] types;
    private byte[] kinds;
    private int[] lines;
    private int count;

    // ---- the series being read by ranges: names and values in src
    private byte[] src;
    private int stagedName;
    private int stagedNameEnd;
    /** Per label: name start, name end, value start, value end, 1 if the value is escaped already. */
    private int[] staged = new int[5 * 16];
    private int stagedCount;
    /** The most bytes the staged series can take in the key. */
    private int stagedRoom;

    // ---- materialized on demand
    private String[] names;
    private Labels[] labelSets;
    private List<ParsedSample> parsed;

    // ---- the string path's bytes of strings it has seen
    private Seen seenMetricNames;
    private Seen seenLabelNames;
    private Seen seenValues;
    private String lastName;
    private Labels lastLabels;

    /** An empty batch that grows as it is filled. */
    public SampleBatch() {
        this(2048, 32, 128);
    }

    /**
     * An empty batch sized for about {@code keyBytes} bytes of series keys, {@code samples} samples (and series) and
     * {@code labels} labels: a parser that knows its input's size starts it near its final size, rather than copying
     * it as it doubles. It still grows.
     */
    public SampleBatch(int keyBytes, int samples, int labels) {
        int n = Math.max(4, samples);
        keys = new byte[Math.max(64, keyBytes)];
        seriesStart = new int[n + 1];
        firstLabel = new int[n + 1];
        nameEnd = new int[n];
        labelAt = new int[3 * Math.max(4, labels)];
        sampleSeries = new int[n];
        values = new double[n];
        timestamps = new long[n];
        stamped = new boolean[n];
        types = new byte[n];
        kinds = new byte[n];
        lines = new int[n];
    }

    /** A batch of {@code samples}, as {@link #add(ParsedSample)} takes them. */
    public static SampleBatch of(List<ParsedSample> samples) {
        SampleBatch batch = new SampleBatch(128 * samples.size(), samples.size(), 4 * samples.size());
        for (ParsedSample s : samples) {
            batch.add(s);
        }
        return batch;
    }

    // =====================================================================================================
    // in: byte ranges

    /**
     * Begins a series whose metric name is {@code src[from, to)}, which the caller has checked
     * ({@link #isMetricName}). Its labels follow by {@link #label}, then {@link #endSeries}. Beginning another
     * series drops this one unless it was ended.
     */
    public void series(byte[] src, int from, int to) {
        this.src = src;
        this.stagedName = from;
        this.stagedNameEnd = to;
        this.stagedCount = 0;
        this.stagedRoom = to - from + 2;
    }

    /**
     * A label of the series begun: its name {@code src[nameFrom, nameTo)}, which the caller has checked
     * ({@link #isLabelName}), and its value {@code src[valueFrom, valueTo)}, valid UTF-8. The value is either
     * {@code escaped} already as the key writes it (the Prometheus text format escapes exactly as the key does:
     * {@code \\}, {@code \"}, {@code \n}, and nothing else), or raw, and then escaped as it is copied. A label with an
     * empty value is left out, as Prometheus does.
     */
    public void label(int nameFrom, int nameTo, int valueFrom, int valueTo, boolean escaped) {
        int at = 5 * stagedCount;
        if (at + 5 > staged.length) {
            staged = Arrays.copyOf(staged, staged.length * 2);
        }
        int[] s = staged;
        s[at] = nameFrom;
        s[at + 1] = nameTo;
        s[at + 2] = valueFrom;
        s[at + 3] = valueTo;
        s[at + 4] = escaped ? 1 : 0;
        stagedCount++;
        stagedRoom += nameTo - nameFrom + 4 + (escaped ? 1 : 2) * (valueTo - valueFrom);
    }

    /**
     * Ends the series begun: sorts its labels, checks them, and adds it, to take samples by {@link #sample}.
     *
     * @return {@code null}, or why the series is refused (a label given twice, a broken limit), as
     *     {@link Labels#ofPairs} and {@link SampleLimits#check} word it; a refused series is not added
     */
    public String endSeries(SampleLimits limits) {
        byte[] b = src;
        int[] s = staged;
        int n = 0; // labels kept: the empty ones left out, by moving the rest down
        for (int i = 0; i < stagedCount; i++) {
            int at = 5 * i;
            if (s[at + 3] > s[at + 2]) {
                if (n != i) {
                    System.arraycopy(s, at, s, 5 * n, 5);
                }
                n++;
            }
        }
        // insertion sort by name: series carry few labels, and most senders sort them already
        boolean strictly = true; // in order with no name twice, as nearly every series comes: nothing more to check
        for (int i = 1; i < n; i++) {
            int at = 5 * i;
            int order = compareNames(b, s, at - 5, at);
            if (order < 0) {
                continue;
            }
            strictly = false;
            if (order == 0) {
                continue;
            }
            int n0 = s[at];
            int n1 = s[at + 1];
            int v0 = s[at + 2];
            int v1 = s[at + 3];
            int e = s[at + 4];
            int j = at - 5;
            while (j >= 0 && Bytes.compare(b, s[j], s[j + 1], n0, n1) > 0) {
                System.arraycopy(s, j, s, j + 5, 5);
                j -= 5;
            }
            s[j + 5] = n0;
            s[j + 6] = n1;
            s[j + 7] = v0;
            s[j + 8] = v1;
            s[j + 9] = e;
        }
        for (int i = 1; i < n && !strictly; i++) {
            if (compareNames(b, s, 5 * (i - 1), 5 * i) == 0) {
                return "label " + ascii(b, s[5 * i], s[5 * i + 1]) + " given twice";
            }
        }
        String limit = check(limits, n);
        if (limit != null) {
            return limit;
        }
        commit(n);
        return null;
    }

    private static int compareNames(byte[] b, int[] s, int x, int y) {
        return Bytes.compare(b, s[x], s[x + 1], s[y], s[y + 1]);
    }

    /** {@link SampleLimits#check} on the staged series of {@code n} kept labels. */
    private String check(SampleLimits limits, int n) {
        byte[] b = src;
        int[] s = staged;
        if (n > limits.maxLabels()) {
            return limits.tooManyLabels(ascii(b, stagedName, stagedNameEnd), n);
        }
        if (stagedNameEnd - stagedName > limits.maxNameLength()) {
            return limits.nameTooLong("metric name", ascii(b, stagedName, stagedNameEnd));
        }
        for (int i = 0; i < n; i++) {
            int at = 5 * i;
            if (s[at + 1] - s[at] > limits.maxNameLength()) {
                return limits.nameTooLong("label name", ascii(b, s[at], s[at + 1]));
            }
            // a value has at most as many characters as bytes: count them only when the bytes are over the limit
            if (s[at + 3] - s[at + 2] > limits.maxValueLength()) {
                int chars = chars(b, s[at + 2], s[at + 3], s[at + 4] == 1);
                if (chars > limits.maxValueLength()) {
                    return limits.valueTooLong(ascii(b, s[at], s[at + 1]), chars);
                }
            }
        }
        return null;
    }

    /** The UTF-16 length of the UTF-8 value in {@code b[from, to)}, unescaped first when {@code escaped}. */
    private static int chars(byte[] b, int from, int to, boolean escaped) {
        int chars = 0;
        for (int i = from; i < to; i++) {
            int c = b[i] & 0xFF;
            if (escaped && c == '\\') {
                i++; // an escape is two bytes for one character
            }
            if (c < 0x80 || c >= 0xC0) {
                chars += c >= 0xF0 ? 2 : 1; // a lead byte; four bytes make a surrogate pair
            }
        }
        return chars;
    }

    /** Copies the staged series of {@code n} kept labels into the key bytes. */
    private void commit(int n) {
        byte[] b = src;
        int[] s = staged;
        int nameLength = stagedNameEnd - stagedName;
        int pos = beginCommit(stagedRoom, n);
        byte[] k = keys;
        Bytes.copy(b, stagedName, k, pos, nameLength);
        pos += nameLength;
        nameEnd[seriesCount] = pos;
        if (n > 0) {
            k[pos++] = '{';
            int[] where = labelAt;
            int w = 3 * labelCount;
            for (int i = 0; i < n; i++) {
                int at = 5 * i;
                if (i > 0) {
                    k[pos++] = ',';
                }
                int length = s[at + 1] - s[at];
                where[w++] = pos;
                Bytes.copy(b, s[at], k, pos, length);
                pos += length;
                k[pos++] = '=';
                k[pos++] = '"';
                where[w++] = pos;
                if (s[at + 4] == 1) {
                    length = s[at + 3] - s[at + 2];
                    Bytes.copy(b, s[at + 2], k, pos, length);
                    pos += length;
                } else {
                    pos = escape(b, s[at + 2], s[at + 3], k, pos);
                }
                where[w++] = pos;
                k[pos++] = '"';
            }
            k[pos++] = '}';
        }
        endCommit(pos, n);
    }

    /** Copies {@code b[from, to)} to {@code k} at {@code pos}, escaped as the key escapes values; where it ends. */
    private static int escape(byte[] b, int from, int to, byte[] k, int pos) {
        for (int i = from; i < to; i++) {
            byte c = b[i];
            if (c == '\\' || c == '"' || c == '\n') {
                k[pos++] = '\\';
                k[pos++] = c == '\n' ? (byte) 'n' : c;
            } else {
                k[pos++] = c;
            }
        }
        return pos;
    }

    /** Makes room for a series of {@code room} bytes and {@code labels} labels; where its bytes start. */
    private int beginCommit(int room, int labels) {
        int pos = seriesStart[seriesCount];
        if (pos + room > keys.length) {
            keys = Arrays.copyOf(keys, Math.max(keys.length * 2, pos + room));
        }
        if (seriesCount + 2 > seriesStart.length) {
            int more = seriesStart.length * 2;
            seriesStart = Arrays.copyOf(seriesStart, more);
            firstLabel = Arrays.copyOf(firstLabel, more);
            nameEnd = Arrays.copyOf(nameEnd, more);
        }
        if (3 * (labelCount + labels) > labelAt.length) {
            labelAt = Arrays.copyOf(labelAt, Math.max(labelAt.length * 2, 3 * (labelCount + labels)));
        }
        return pos;
    }

    private void endCommit(int end, int labels) {
        labelCount += labels;
        seriesCount++;
        seriesStart[seriesCount] = end;
        firstLabel[seriesCount] = labelCount;
        parsed = null;
    }

    /**
     * A sample of the last series added.
     *
     * @param stamped whether the sender gave {@code timestampMs}; a sample without one takes the time the gateway
     *     received it
     */
    public void sample(double value, long timestampMs, boolean stamped, MetricType type, SampleKind kind, int line) {
        if (seriesCount == 0) {
            throw new IllegalStateException("a sample before any series");
        }
        if (count == values.length) {
            int more = count * 2;
            sampleSeries = Arrays.copyOf(sampleSeries, more);
            values = Arrays.copyOf(values, more);
            timestamps = Arrays.copyOf(timestamps, more);
            this.stamped = Arrays.copyOf(this.stamped, more);
            types = Arrays.copyOf(types, more);
            kinds = Arrays.copyOf(kinds, more);
            lines = Arrays.copyOf(lines, more);
        }
        int i = count++;
        sampleSeries[i] = seriesCount - 1;
        values[i] = value;
        timestamps[i] = timestampMs;
        this.stamped[i] = stamped;
        types[i] = (byte) type.ordinal();
        kinds[i] = (byte) kind.ordinal();
        lines[i] = line;
        parsed = null;
    }

    /** Whether {@code b[from, to)} is a valid metric name ({@link Naming#validateMetricName}). */
    public static boolean isMetricName(byte[] b, int from, int to) {
        return Bytes.isName(b, from, to, true);
    }

    /** Whether {@code b[from, to)} is a valid label name ({@link Naming#validateLabelName}). */
    public static boolean isLabelName(byte[] b, int from, int to) {
        return Bytes.isName(b, from, to, false);
    }

    /** Whether {@code b[from, to)} is {@code __name__}. */
    public static boolean isNameLabel(byte[] b, int from, int to) {
        return Arrays.equals(b, from, to, NAME_LABEL, 0, NAME_LABEL.length);
    }

    private static String ascii(byte[] b, int from, int to) {
        return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
    }

    // =====================================================================================================
    // in: strings

    /**
     * Adds {@code sample}, whose name and labels are strings.
     *
     * @throws IllegalArgumentException if its name or a label name is not valid ({@link Naming}); parsers check
     *     them first
     */
    public void add(ParsedSample sample) {
        String name = sample.name();
        Labels set = sample.labels();
        if (seriesCount == 0 || set != lastLabels || !name.equals(lastName)) {
            addSeries(name, set);
            lastName = name;
            lastLabels = set;
        }
        Long ts = sample.timestampMs();
        sample(sample.value(), ts != null ? ts : 0L, ts != null, sample.type(), sample.kind(), sample.line());
    }

    /** Copies a series given as strings into the key bytes, each string checked and encoded once per batch. */
    private void addSeries(String name, Labels set) {
        if (seenMetricNames == null) {
            seenMetricNames = new Seen();
            seenLabelNames = new Seen();
            seenValues = new Seen();
        }
        int n = set.size();
        int pos = beginCommit(3 * name.length() + 2, n);
        pos = copyName(name, seenMetricNames, true, pos);
        nameEnd[seriesCount] = pos;
        if (n > 0) {
            keys[pos++] = '{';
            int w = 3 * labelCount;
            for (int i = 0; i < n; i++) {
                pos = copyLabel(set.name(i), set.value(i), i > 0, pos, w);
                w += 3;
            }
            keys[pos++] = '}';
        }
        endCommit(pos, n);
    }

    /** Copies one label of a series given as strings at {@code pos}, noting where it lies at {@code labelAt[w]}. */
    private int copyLabel(String label, String value, boolean comma, int pos, int w) {
        // a character takes at most 3 UTF-8 bytes, or 2 escaped
        int room = pos + label.length() + 5 + 3 * value.length() + 1;
        if (room > keys.length) {
            keys = Arrays.copyOf(keys, Math.max(keys.length * 2, room));
        }
        byte[] k = keys;
        if (comma) {
            k[pos++] = ',';
        }
        labelAt[w] = pos;
        pos = copyName(label, seenLabelNames, false, pos);
        k[pos++] = '=';
        k[pos++] = '"';
        labelAt[w + 1] = pos;
        byte[] known = seenValues.get(value);
        if (known == null) {
            byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
            int end = escape(utf8, 0, utf8.length, k, pos);
            known = Arrays.copyOfRange(k, pos, end);
            seenValues.put(value, known);
        } else {
            System.arraycopy(known, 0, k, pos, known.length);
        }
        pos += known.length;
        labelAt[w + 2] = pos;
        k[pos++] = '"';
        return pos;
    }

    /** Copies a metric or label name, checked the first time the batch gives it; where it ends. */
    private int copyName(String s, Seen seen, boolean metric, int pos) {
        byte[] known = seen.get(s);
        if (known == null) {
            String problem = metric ? Naming.validateMetricName(s) : Naming.validateLabelName(s);
            if (problem != null) {
                throw new IllegalArgumentException(problem);
            }
            known = s.getBytes(StandardCharsets.US_ASCII); // valid names are ASCII
            seen.put(s, known);
        }
        System.arraycopy(known, 0, keys, pos, known.length);
        return pos + known.length;
    }

    /**
     * The bytes already written for strings of this batch: a request repeats its metric names, label names and many
     * values (job, instance, mode) in sample after sample, and parsers mostly hand over one {@code String} for each,
     * so a hit is usually an identity check and one copy. Direct-mapped by the string's hash, which a string computes
     * once; a collision replaces the slot.
     */
    private static final class Seen {
        private static final int SLOTS = 256;
        private final String[] strings = new String[SLOTS];
        private final byte[][] bytes = new byte[SLOTS][];

        byte[] get(String s) {
            int slot = s.hashCode() & (SLOTS - 1);
            String at = strings[slot];
            return at == s || (at != null && at.equals(s)) ? bytes[slot] : null;
        }

        void put(String s, byte[] b) {
            int slot = s.hashCode() & (SLOTS - 1);
            strings[slot] = s;
            bytes[slot] = b;
        }
    }

    // =====================================================================================================
    // out

    /** How many samples. */
    public int size() {
        return count;
    }

    public boolean isEmpty() {
        return count == 0;
    }

    public int seriesCount() {
        return seriesCount;
    }

    /** The series of sample {@code i}. */
    public int series(int i) {
        return sampleSeries[i];
    }

    public double value(int i) {
        return values[i];
    }

    /** Whether the sender gave sample {@code i} a timestamp. */
    public boolean stamped(int i) {
        return stamped[i];
    }

    /** The sender's timestamp of sample {@code i}; meaningful when {@link #stamped}. */
    public long timestampMs(int i) {
        return timestamps[i];
    }

    public MetricType type(int i) {
        return TYPES[types[i]];
    }

    public SampleKind kind(int i) {
        return KINDS[kinds[i]];
    }

    public int line(int i) {
        return lines[i];
    }

    /** The array that holds every series' key bytes; read it only between the offsets below. */
    public byte[] keyBytes() {
        return keys;
    }

    /** Where series {@code s}'s key bytes (its name, then its labels in braces when it has any) start. */
    public int keyStart(int s) {
        return seriesStart[s];
    }

    public int keyEnd(int s) {
        return seriesStart[s + 1];
    }

    /** Where series {@code s}'s metric name ends. */
    public int nameEnd(int s) {
        return nameEnd[s];
    }

    public int labelCount(int s) {
        return firstLabel[s + 1] - firstLabel[s];
    }

    /** Where the name of label {@code k} (in name order) of series {@code s} starts; it ends 2 bytes before its value. */
    public int labelNameStart(int s, int k) {
        return labelAt[3 * (firstLabel[s] + k)];
    }

    /** Where the value of label {@code k} starts: its escaped bytes, up to {@link #labelValueEnd}. */
    public int labelValueStart(int s, int k) {
        return labelAt[3 * (firstLabel[s] + k) + 1];
    }

    public int labelValueEnd(int s, int k) {
        return labelAt[3 * (firstLabel[s] + k) + 2];
    }

    /** Which label of series {@code s} is named {@code name} (ASCII bytes), or -1. */
    public int findLabel(int s, byte[] name) {
        byte[] k = keys;
        for (int i = firstLabel[s]; i < firstLabel[s + 1]; i++) {
            int from = labelAt[3 * i];
            if (Arrays.equals(k, from, labelAt[3 * i + 1] - 2, name, 0, name.length)) {
                return i - firstLabel[s];
            }
        }
        return -1;
    }

    /** The UTF-8 bytes of label {@code k}'s value, unescaped, appended to {@code out} at {@code pos}; where they end. */
    public int labelValue(int s, int k, byte[] out, int pos) {
        byte[] b = keys;
        int end = labelValueEnd(s, k);
        for (int i = labelValueStart(s, k); i < end; i++) {
            byte c = b[i];
            if (c == '\\') {
                c = b[++i];
                out[pos++] = c == 'n' ? (byte) '\n' : c;
            } else {
                out[pos++] = c;
            }
        }
        return pos;
    }

    /** The metric name of series {@code s}. */
    public String name(int s) {
        materializeSeries();
        String name = names[s];
        if (name == null) {
            name = names[s] = ascii(keys, seriesStart[s], nameEnd[s]);
        }
        return name;
    }

    /** The labels of series {@code s}. */
    public Labels labels(int s) {
        materializeSeries();
        Labels set = labelSets[s];
        if (set == null) {
            int n = labelCount(s);
            String[] pairs = new String[2 * n];
            byte[] value = new byte[64];
            for (int k = 0; k < n; k++) {
                int from = labelNameStart(s, k);
                int valueFrom = labelValueStart(s, k);
                pairs[2 * k] = ascii(keys, from, valueFrom - 2);
                int length = labelValueEnd(s, k) - valueFrom;
                if (value.length < length) {
                    value = new byte[length];
                }
                pairs[2 * k + 1] = new String(value, 0, labelValue(s, k, value, 0), StandardCharsets.UTF_8);
            }
            set = labelSets[s] = Labels.ofPairs(pairs);
        }
        return set;
    }

    private void materializeSeries() {
        if (names == null || names.length < seriesCount) {
            names = names == null ? new String[seriesCount] : Arrays.copyOf(names, seriesCount);
            labelSets = labelSets == null ? new Labels[seriesCount] : Arrays.copyOf(labelSets, seriesCount);
        }
    }

    /** Sample {@code i} as a {@link ParsedSample}; the samples of one series share its name and labels. */
    public ParsedSample sample(int i) {
        int s = sampleSeries[i];
        return new ParsedSample(name(s), labels(s), values[i], stamped[i] ? timestamps[i] : null, type(i), lines[i],
                kind(i));
    }

    /** Every sample as a {@link ParsedSample}, made once, when first asked for. */
    public List<ParsedSample> samples() {
        if (parsed == null) {
            ParsedSample[] all = new ParsedSample[count];
            for (int i = 0; i < count; i++) {
                all[i] = sample(i);
            }
            parsed = List.of(all);
        }
        return parsed;
    }

    /** Series {@code s}'s key as text, without the tenant: for logs and tests. */
    public String keyText(int s) {
        return new String(keys, seriesStart[s], seriesStart[s + 1] - seriesStart[s], StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return count + " samples of " + seriesCount + " series";
    }
}
