package io.caiman.core.wire.remotewrite;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.caiman.core.model.Labels;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.MetricFamilies;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.ParsedSample;
import io.caiman.core.wire.SampleLimits;
import io.caiman.schemas.oplog.MetricType;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The remote-write decoder as it was before it wrote into a {@code SampleBatch}: labels read into {@code String}s
 * (one per distinct string of a request), {@link Labels} and a {@link ParsedSample} per sample. Kept, unchanged but
 * for its name and the parts it shares with {@link RemoteWriteDecoder}, as the reference that
 * {@code RemoteWriteDecoderTest} holds the decoder to: the same samples and the same errors on any message.
 */
final class ReferenceRemoteWriteDecoder {

    public static final String FORMAT = "remote-write";
    public static final String V1_PROTO = "prometheus.WriteRequest";
    public static final String V2_PROTO = "io.prometheus.write.v2.Request";


    private static final int MAX_ERRORS = 100;
    private final SampleLimits limits;

    /** @param limits what one series may carry */
    ReferenceRemoteWriteDecoder(SampleLimits limits) {
        this.limits = limits;
    }

    /** Decodes an uncompressed message of {@code version}. */
    ParseResult decode(byte[] message, RemoteWriteDecoder.Version version) {
        ArrayList<ParsedSample> samples = new ArrayList<>();
        List<ParseError> errors = new ArrayList<>();
        try {
            if (version == RemoteWriteDecoder.Version.V1) {
                decodeV1(message, samples, errors);
            } else {
                decodeV2(message, samples, errors);
            }
        } catch (InvalidProtocolBufferException e) {
            samples.clear(); // the series read before the fault are not taken either: the message is refused whole
            errors.add(ParseError.binary(FORMAT, "the body is not a valid "
                    + (version == RemoteWriteDecoder.Version.V1 ? V1_PROTO : V2_PROTO) + " message: " + e.getMessage()));
        } catch (IOException e) {
            samples.clear();
            errors.add(ParseError.binary(FORMAT, "cannot read the message: " + e.getMessage()));
        }
        return new ParseResult(samples, errors);
    }

    /** One series as read, before its samples are typed. 1.0 reuses one for every series of a request. */
    private static final class Series {
        /** Label names and values, interleaved. */
        String[] labels = new String[16];
        int labelCount;
        /** The samples: a series from Prometheus nearly always carries one. */
        double[] values = new double[1];
        long[] timestamps = new long[1];
        int count;
        int histograms;
        MetricType type = MetricType.UNKNOWN;

        /** 2.0's labels_refs, resolved once the symbols are all read. */
        int[] refs = new int[0];
        int refCount;

        void ref(int symbol) {
            if (refCount == refs.length) {
                refs = java.util.Arrays.copyOf(refs, Math.max(8, refCount * 2));
            }
            refs[refCount++] = symbol;
        }

        void reset() {
            labelCount = 0;
            count = 0;
            histograms = 0;
            type = MetricType.UNKNOWN;
        }

        void label(String name, String value) {
            if (labelCount + 2 > labels.length) {
                labels = java.util.Arrays.copyOf(labels, labels.length * 2);
            }
            labels[labelCount++] = name;
            labels[labelCount++] = value;
        }

        void add(double value, long timestamp) {
            if (count == values.length) {
                values = java.util.Arrays.copyOf(values, count * 2);
                timestamps = java.util.Arrays.copyOf(timestamps, count * 2);
            }
            values[count] = value;
            timestamps[count] = timestamp;
            count++;
        }

        String labelsText() {
            return java.util.Arrays.asList(labels).subList(0, labelCount).toString();
        }
    }

    /**
     * One {@code String} for equal label names and values within one message: a remote-write request repeats
     * {@code __name__}, {@code job}, {@code instance} and many values in every series. Entries point into the
     * message itself, so a hit is a hash of a few bytes and one comparison of the bytes, with no new string and no
     * UTF-8 check (the first occurrence was checked). Direct-mapped: a collision replaces the slot. Written here
     * because protobuf-java builds a new string for every string field.
     */
    private static final class Strings {
        private static final int SLOTS = 512;
        private static final int LONGEST = 64;
        private final byte[] message;
        private final String[] text = new String[SLOTS];
        private final int[] at = new int[SLOTS];

        Strings(byte[] message) {
            this.message = message;
        }

        /** The UTF-8 string of {@code length} bytes at {@code from}, refusing invalid UTF-8. */
        String read(int from, int length) throws IOException {
            if (length == 0) {
                return "";
            }
            byte[] m = message;
            int slot = -1;
            if (length <= LONGEST) {
                int h = length * 0x9E3779B1 + m[from] * 31 + m[from + length - 1] * 961 + m[from + (length >> 1)] * 29791;
                slot = (h ^ (h >>> 15)) & (SLOTS - 1);
                String hit = text[slot];
                if (hit != null && hit.length() == length
                        && java.util.Arrays.equals(m, at[slot], at[slot] + length, m, from, from + length)) {
                    return hit;
                }
            }
            boolean ascii = true;
            for (int i = from; i < from + length; i++) {
                if (m[i] < 0) {
                    ascii = false;
                    break;
                }
            }
            String made = ascii ? new String(m, from, length, StandardCharsets.ISO_8859_1) : utf8(m, from, length);
            if (ascii && slot >= 0) { // only ASCII is kept: its length in bytes is its length in characters
                text[slot] = made;
                at[slot] = from;
            }
            return made;
        }

        private static String utf8(byte[] m, int from, int length) throws InvalidProtocolBufferException {
            try {
                return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(m, from, length)).toString();
            } catch (CharacterCodingException e) {
                throw new InvalidProtocolBufferException("Protocol message had invalid UTF-8.");
            }
        }
    }

    // ---- 1.0: WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }

    private void decodeV1(byte[] message, ArrayList<ParsedSample> samples, List<ParseError> errors) throws IOException {
        Map<String, MetricType> types = metadataV1(message);
        Wire in = new Wire(message);
        Strings strings = new Strings(message);
        Series series = new Series();
        Checked checked = new Checked();
        int index = 0;
        int end = message.length;
        while (in.pos < end) {
            int tag = in.tag(end);
            if (WireFormat.getTagFieldNumber(tag) == 1) {
                int seriesEnd = in.embedded(tag, end);
                series.reset();
                readSeriesV1(in, seriesEnd, strings, series);
                emit(series, ++index, types, checked, samples, errors);
            } else {
                in.skip(tag, end); // metadata (3), read before; anything newer
            }
        }
    }

    /**
     * The metric types a 1.0 request's metadata gives, by family. 1.0 may send the metadata after the series, so a
     * first walk over the top level finds it (skipping each series whole), and the series are then read once and
     * turned into samples at once, with no copy of them held.
     */
    private static Map<String, MetricType> metadataV1(byte[] message) throws IOException {
        Wire in = new Wire(message);
        Map<String, MetricType> types = null;
        while (in.pos < message.length) {
            int tag = in.tag(message.length);
            if (WireFormat.getTagFieldNumber(tag) == 3) {
                int end = in.embedded(tag, message.length);
                if (types == null) {
                    types = new HashMap<>();
                }
                readMetadataV1(in, end, new Strings(message), types);
            } else {
                in.skip(tag, message.length);
            }
        }
        return types == null ? Map.of() : types;
    }

    private static void readSeriesV1(Wire in, int end, Strings strings, Series s) throws IOException {
        while (in.pos < end) {
            int tag = in.tag(end);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1: { // Label { string name = 1; string value = 2; }
                    int labelEnd = in.embedded(tag, end);
                    String name = "";
                    String value = "";
                    while (in.pos < labelEnd) {
                        int t = in.tag(labelEnd);
                        int field = WireFormat.getTagFieldNumber(t);
                        if (field == 1) {
                            name = in.string(t, labelEnd, strings);
                        } else if (field == 2) {
                            value = in.string(t, labelEnd, strings);
                        } else {
                            in.skip(t, labelEnd);
                        }
                    }
                    s.label(name, value);
                    break;
                }
                case 2:
                    readSample(in, in.embedded(tag, end), s);
                    break;
                case 4:
                    s.histograms++;
                    in.skip(tag, end);
                    break;
                default:
                    in.skip(tag, end); // exemplars (3) and anything newer
            }
        }
    }

    /**
     * A protobuf walk over one array, the gateway's hottest path: each embedded message's end is an index the caller
     * holds, where protobuf-java's {@code CodedInputStream} keeps a stack of limits and recomputes its buffer at each
     * one, about a third of the decoder's time. The same wire format and the same refusals: a field that runs
     * past its message, a varint longer than ten bytes, a tag of zero or of an unknown wire type. Unknown fields,
     * groups included, are skipped. Written here because protobuf-java has no cheaper reader of its own.
     */
    private static final class Wire {
        private static final int MAX_GROUP_DEPTH = 100;
        final byte[] b;
        int pos;

        Wire(byte[] b) {
            this.b = b;
        }

        int tag(int end) throws InvalidProtocolBufferException {
            long tag = varint(end);
            if (tag <= 0 || tag > Integer.MAX_VALUE || WireFormat.getTagFieldNumber((int) tag) == 0) {
                throw new InvalidProtocolBufferException("Protocol message contained an invalid tag (" + tag + ").");
            }
            return (int) tag;
        }

        long varint(int end) throws InvalidProtocolBufferException {
            if (pos < end && b[pos] >= 0) {
                return b[pos++]; // one byte: nearly every tag and length
            }
            long result = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw truncated();
                }
                byte x = b[pos++];
                result |= (long) (x & 0x7F) << shift;
                if (x >= 0) {
                    return result;
                }
            }
            throw new InvalidProtocolBufferException("a varint runs over ten bytes");
        }

        /** A varint field read as protobuf's int32 (and enums): the low 32 bits. */
        int int32(int tag, int end) throws InvalidProtocolBufferException {
            expect(tag, WireFormat.WIRETYPE_VARINT);
            return (int) varint(end);
        }

        /** A string field, strict UTF-8. */
        String string(int tag, int end, Strings strings) throws IOException {
            int stop = embedded(tag, end);
            String text = strings.read(pos, stop - pos);
            pos = stop;
            return text;
        }

        long fixed64(int end) throws InvalidProtocolBufferException {
            if (end - pos < 8) {
                throw truncated();
            }
            long v = 0;
            for (int i = 7; i >= 0; i--) {
                v = (v << 8) | (b[pos + i] & 0xFFL);
            }
            pos += 8;
            return v;
        }

        /** Reads the length of a length-delimited field and returns where it ends, within {@code end}. */
        int embedded(int tag, int end) throws InvalidProtocolBufferException {
            expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
            long length = varint(end);
            if (length < 0 || length > end - pos) {
                throw truncated();
            }
            return pos + (int) length;
        }

        void skip(int tag, int end) throws InvalidProtocolBufferException {
            skip(tag, end, 0);
        }

        private void skip(int tag, int end, int depth) throws InvalidProtocolBufferException {
            switch (WireFormat.getTagWireType(tag)) {
                case WireFormat.WIRETYPE_VARINT:
                    varint(end);
                    return;
                case WireFormat.WIRETYPE_FIXED64:
                    advance(8, end);
                    return;
                case WireFormat.WIRETYPE_LENGTH_DELIMITED:
                    pos = embedded(tag, end);
                    return;
                case WireFormat.WIRETYPE_FIXED32:
                    advance(4, end);
                    return;
                case WireFormat.WIRETYPE_START_GROUP:
                    if (depth >= MAX_GROUP_DEPTH) {
                        throw new InvalidProtocolBufferException("groups nested more than " + MAX_GROUP_DEPTH + " deep");
                    }
                    int endGroup = (WireFormat.getTagFieldNumber(tag) << 3) | WireFormat.WIRETYPE_END_GROUP;
                    while (true) {
                        if (pos >= end) {
                            throw truncated();
                        }
                        int t = tag(end);
                        if (t == endGroup) {
                            return;
                        }
                        skip(t, end, depth + 1);
                    }
                default:
                    throw new InvalidProtocolBufferException("Protocol message tag had invalid wire type.");
            }
        }

        private void advance(int bytes, int end) throws InvalidProtocolBufferException {
            if (end - pos < bytes) {
                throw truncated();
            }
            pos += bytes;
        }

        private static InvalidProtocolBufferException truncated() {
            return new InvalidProtocolBufferException("While parsing a protocol message, the input ended unexpectedly "
                    + "in the middle of a field. This could mean either that the input has been truncated or that an "
                    + "embedded message misreported its own length.");
        }
    }

    /** MetricMetadata { MetricType type = 1; string metric_family_name = 2; … } */
    private static void readMetadataV1(Wire in, int end, Strings strings, Map<String, MetricType> types)
            throws IOException {
        int type = 0;
        String family = "";
        while (in.pos < end) {
            int tag = in.tag(end);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1:
                    type = in.int32(tag, end);
                    break;
                case 2:
                    family = in.string(tag, end, strings);
                    break;
                default:
                    in.skip(tag, end);
            }
        }
        if (!family.isEmpty()) {
            types.put(family, metricType(type));
        }
    }

    // ---- 2.0: Request { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }

    private void decodeV2(byte[] message, List<ParsedSample> samples, List<ParseError> errors) throws IOException {
        Wire in = new Wire(message);
        Strings strings = new Strings(message);
        List<String> symbols = new ArrayList<>();
        List<Series> series = new ArrayList<>();
        Checked checked = new Checked();
        int end = message.length;
        while (in.pos < end) {
            int tag = in.tag(end);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 4:
                    symbols.add(in.string(tag, end, strings));
                    break;
                case 5:
                    Series s = new Series();
                    readSeriesV2(in, in.embedded(tag, end), s);
                    series.add(s);
                    break;
                default:
                    in.skip(tag, end);
            }
        }
        if (!symbols.isEmpty() && !symbols.get(0).isEmpty()) {
            errors.add(ParseError.binary(FORMAT, "symbols must start with the empty string (remote write 2.0)"));
            return;
        }
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            if (s.refCount % 2 != 0) {
                addError(errors, "timeseries " + (i + 1) + ": labels_refs has an odd length (" + s.refCount + ")");
                continue;
            }
            boolean ok = true;
            for (int k = 0; k < s.refCount; k++) {
                int ref = s.refs[k];
                if (ref < 0 || ref >= symbols.size()) {
                    addError(errors, "timeseries " + (i + 1) + ": labels_refs points to symbol " + ref + " but there are "
                            + symbols.size());
                    ok = false;
                    break;
                }
            }
            if (ok) {
                for (int k = 0; k < s.refCount; k += 2) {
                    s.label(symbols.get(s.refs[k]), symbols.get(s.refs[k + 1]));
                }
                emit(s, i + 1, Map.of(), checked, samples, errors);
            }
        }
    }

    private static void readSeriesV2(Wire in, int end, Series s) throws IOException {
        while (in.pos < end) {
            int tag = in.tag(end);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1: // labels_refs, packed or not
                    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int packedEnd = in.embedded(tag, end);
                        while (in.pos < packedEnd) {
                            s.ref((int) in.varint(packedEnd));
                        }
                    } else {
                        s.ref(in.int32(tag, end));
                    }
                    break;
                case 2:
                    readSample(in, in.embedded(tag, end), s);
                    break;
                case 3:
                    s.histograms++;
                    in.skip(tag, end);
                    break;
                case 5: { // Metadata { MetricType type = 1; … }
                    int metadataEnd = in.embedded(tag, end);
                    while (in.pos < metadataEnd) {
                        int t = in.tag(metadataEnd);
                        if (WireFormat.getTagFieldNumber(t) == 1) {
                            s.type = metricType(in.int32(t, metadataEnd));
                        } else {
                            in.skip(t, metadataEnd);
                        }
                    }
                    break;
                }
                default:
                    in.skip(tag, end); // exemplars (4), created_timestamp (6), anything newer
            }
        }
    }

    // ---- shared

    /** Sample { double value = 1; int64 timestamp = 2; }, the same in both versions. */
    private static void readSample(Wire in, int end, Series s) throws IOException {
        double value = 0;
        long timestamp = 0;
        while (in.pos < end) {
            int tag = in.tag(end);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1:
                    expect(tag, WireFormat.WIRETYPE_FIXED64);
                    value = Double.longBitsToDouble(in.fixed64(end));
                    break;
                case 2:
                    expect(tag, WireFormat.WIRETYPE_VARINT);
                    timestamp = in.varint(end);
                    break;
                default:
                    in.skip(tag, end);
            }
        }
        s.add(value, timestamp);
    }

    /**
     * The names one request has shown valid, by identity: the message's strings are shared ({@link Strings}; 2.0's
     * symbols), so a name is checked once per request, not once per series.
     */
    private static final class Checked {
        final Seen labelNames = new Seen();
        final Seen metricNames = new Seen();

        /** Direct-mapped by the string's hash, which a string computes once; a collision replaces the slot. */
        static final class Seen {
            private final String[] slots = new String[128];

            /** Why {@code s} is no valid metric ({@code metric}) or label name, or {@code null}: checked once per string. */
            String problem(String s, boolean metric) {
                int slot = s.hashCode() & 127;
                if (slots[slot] == s) {
                    return null;
                }
                String problem = metric ? Naming.validateMetricName(s) : Naming.validateLabelName(s);
                if (problem == null) {
                    slots[slot] = s;
                }
                return problem;
            }
        }
    }

    /** Checks one series and turns its samples into {@link ParsedSample}s. */
    private void emit(Series s, int index, Map<String, MetricType> familyTypes, Checked checked,
            List<ParsedSample> samples, List<ParseError> errors) {
        if (s.histograms > 0) {
            addError(errors, "timeseries " + index + ": native histograms are not supported; send classic histograms "
                    + "(send_native_histograms: false)");
            return;
        }
        String name = null;
        String[] rest = new String[Math.max(0, s.labelCount - 2)]; // every label but __name__
        int kept = 0;
        for (int i = 0; i < s.labelCount; i += 2) {
            String label = s.labels[i];
            if (label.equals("__name__")) {
                name = s.labels[i + 1];
                continue;
            }
            if (kept == rest.length) {
                break; // no room left means no __name__ among the labels: refused below
            }
            String problem = checked.labelNames.problem(label, false);
            if (problem != null) {
                addError(errors, "timeseries " + index + ": " + problem);
                return;
            }
            rest[kept++] = label;
            rest[kept++] = s.labels[i + 1];
        }
        if (name == null || name.isEmpty()) {
            addError(errors, "timeseries " + index + ": no __name__ label (labels " + s.labelsText() + ")");
            return;
        }
        String problem = checked.metricNames.problem(name, true);
        if (problem != null) {
            addError(errors, "timeseries " + index + ": " + problem);
            return;
        }
        Labels labels;
        try {
            labels = Labels.ofPairs(kept == rest.length ? rest : java.util.Arrays.copyOf(rest, kept));
        } catch (IllegalArgumentException e) {
            addError(errors, "timeseries " + index + " (" + name + "): " + e.getMessage());
            return;
        }
        String limit = limits.check(name, labels);
        if (limit != null) {
            addError(errors, "timeseries " + index + ": " + limit);
            return;
        }
        MetricType type = s.type != MetricType.UNKNOWN ? s.type : MetricFamilies.typeOf(name, familyTypes);
        for (int i = 0; i < s.count; i++) {
            samples.add(new ParsedSample(name, labels, s.values[i], s.timestamps[i], type, index));
        }
    }

    private static void addError(List<ParseError> errors, String reason) {
        if (errors.size() < MAX_ERRORS) {
            errors.add(ParseError.binary(FORMAT, reason));
        }
    }

    private static MetricType metricType(int protoType) {
        // 1.0 and 2.0 number the types alike: 0 unknown/unspecified, 1 counter … 7 stateset
        MetricType[] byNumber = {MetricType.UNKNOWN, MetricType.COUNTER, MetricType.GAUGE, MetricType.HISTOGRAM,
            MetricType.GAUGE_HISTOGRAM, MetricType.SUMMARY, MetricType.INFO, MetricType.STATESET};
        return protoType >= 0 && protoType < byNumber.length ? byNumber[protoType] : MetricType.UNKNOWN;
    }

    private static void expect(int tag, int wireType) throws InvalidProtocolBufferException {
        if (WireFormat.getTagWireType(tag) != wireType) {
            throw new InvalidProtocolBufferException("field " + WireFormat.getTagFieldNumber(tag) + " has wire type "
                    + WireFormat.getTagWireType(tag) + ", expected " + wireType);
        }
    }
}
