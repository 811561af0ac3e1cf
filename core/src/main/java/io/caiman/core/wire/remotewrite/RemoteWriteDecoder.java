package io.caiman.core.wire.remotewrite;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.caiman.core.model.Naming;
import io.caiman.core.wire.MetricFamilies;
import io.caiman.core.wire.ParseError;
import io.caiman.core.wire.ParseResult;
import io.caiman.core.wire.Bytes;
import io.caiman.core.wire.SampleBatch;
import io.caiman.core.wire.SampleLimits;
import io.caiman.core.wire.Utf8;
import io.caiman.schemas.oplog.MetricType;
import io.caiman.schemas.oplog.SampleKind;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.xerial.snappy.Snappy;

/**
 * Decodes Prometheus remote-write bodies: snappy (block format) around a protobuf
 * {@code prometheus.WriteRequest} (1.0) or {@code io.prometheus.write.v2.Request} (2.0).
 *
 * <p>The protobuf is walked field by field over the array ({@link Wire}) into a {@link SampleBatch}, rather than
 * through generated message classes: no protoc step in the build, and no object per sample or string on the
 * gateway's hottest path. Each label's name and value go to the batch as ranges of the message, checked (UTF-8,
 * names) where they lie, and the batch copies them into the series key once. Unknown fields are skipped, as
 * protobuf requires.
 *
 * <p>All or nothing, like the other formats: any invalid series makes the result carry errors (each
 * naming the series by its position), and the gateway writes nothing of the request. Native histograms
 * are refused (Caiman stores float samples); exemplars are not stored, which remote-write 2.0 senders see
 * in the {@code X-Prometheus-Remote-Write-Exemplars-Written} header.
 */
public final class RemoteWriteDecoder {

    public static final String FORMAT = "remote-write";
    public static final String V1_PROTO = "prometheus.WriteRequest";
    public static final String V2_PROTO = "io.prometheus.write.v2.Request";

    /** The two message versions. */
    public enum Version { V1, V2 }

    private static final int MAX_ERRORS = 100;
    /** A label whose value is plain ({@link Bytes#isPlain}): the batch copies it as it is. */
    private static final byte PLAIN = 1;
    /** A label named {@code __name__}: the metric name, not a label of the key. */
    private static final byte NAME_LABEL = 2;
    private final SampleLimits limits;

    /** @param limits what one series may carry */
    public RemoteWriteDecoder(SampleLimits limits) {
        this.limits = limits;
    }

    /**
     * The version a {@code Content-Type} asks for: 1.0 when it has no {@code proto} parameter (as 1.0
     * senders send it) or names {@value #V1_PROTO}; 2.0 for {@value #V2_PROTO}; {@code null} for anything
     * else (answer 415).
     */
    public static Version versionOf(String contentType) {
        if (contentType == null) {
            return Version.V1;
        }
        String[] parts = contentType.split(";");
        if (!parts[0].trim().equalsIgnoreCase("application/x-protobuf")) {
            return null;
        }
        for (int i = 1; i < parts.length; i++) {
            String[] kv = parts[i].trim().split("=", 2);
            if (kv.length == 2 && kv[0].trim().toLowerCase(Locale.ROOT).equals("proto")) {
                String proto = kv[1].trim().replace("\"", "");
                return proto.equals(V1_PROTO) ? Version.V1 : proto.equals(V2_PROTO) ? Version.V2 : null;
            }
        }
        return Version.V1;
    }

    /**
     * Uncompresses a snappy block-format body, refusing one that would exceed {@code maxBytes} before
     * decompressing it. The body is not checked in a pass of its own first: snappy's decompressor checks every
     * length and offset as it goes (its project fuzzes it with arbitrary input), and a first pass cost a third of the
     * decompression.
     *
     * @throws IOException with the reason, if the body is not valid snappy or too large once uncompressed
     */
    public static byte[] uncompress(byte[] body, long maxBytes) throws IOException {
        int length;
        try {
            length = Snappy.uncompressedLength(body);
        } catch (IOException | RuntimeException e) {
            throw notSnappy();
        }
        if (length > maxBytes) {
            // a body that is not snappy at all may begin with bytes that read as a large length
            throw Snappy.isValidCompressedBuffer(body) ? new SizeException(length, maxBytes) : notSnappy();
        }
        try {
            return Snappy.uncompress(body);
        } catch (IOException | RuntimeException e) {
            throw notSnappy();
        }
    }

    private static IOException notSnappy() {
        return new IOException("the body is not snappy-compressed (block format); remote write requires "
                + "Content-Encoding: snappy");
    }

    /** The uncompressed body would be over the size limit. */
    public static final class SizeException extends IOException {
        public SizeException(long length, long max) {
            super("the uncompressed body is " + length + " bytes, more than the limit of " + max
                    + " bytes (gateway.max_request_bytes); send smaller batches (queue_config.max_samples_per_send)");
        }
    }

    /** Decodes an uncompressed message of {@code version}. */
    public ParseResult decode(byte[] message, Version version) {
        List<ParseError> errors = new ArrayList<>();
        SampleBatch batch;
        try {
            batch = version == Version.V1 ? decodeV1(message, errors) : decodeV2(message, errors);
        } catch (InvalidProtocolBufferException e) {
            // the series read before the fault are not taken either: the message is refused whole
            errors.add(ParseError.binary(FORMAT, "the body is not a valid "
                    + (version == Version.V1 ? V1_PROTO : V2_PROTO) + " message: " + e.getMessage()));
            return new ParseResult(new SampleBatch(64, 4, 4), errors);
        } catch (IOException e) {
            errors.add(ParseError.binary(FORMAT, "cannot read the message: " + e.getMessage()));
            return new ParseResult(new SampleBatch(64, 4, 4), errors);
        }
        return new ParseResult(batch, errors);
    }

    /** One series as read, before its samples are typed. 1.0 reuses one for every series of a request. */
    private static final class Series {
        /** Per label, where its name and value lie in the message: name start, name end, value start, value end. */
        int[] labels = new int[32];
        int labelCount;
        /** Per label, {@link #PLAIN} and {@link #NAME_LABEL}, as {@link #emit} found it. */
        private byte[] kinds = new byte[8];
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

        void label(int nameFrom, int nameTo, int valueFrom, int valueTo) {
            int at = 4 * labelCount;
            if (at + 4 > labels.length) {
                labels = java.util.Arrays.copyOf(labels, labels.length * 2);
            }
            labels[at] = nameFrom;
            labels[at + 1] = nameTo;
            labels[at + 2] = valueFrom;
            labels[at + 3] = valueTo;
            labelCount++;
        }

        byte[] kinds(int labels) {
            if (kinds.length < labels) {
                kinds = new byte[Math.max(labels, 2 * kinds.length)];
            }
            return kinds;
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

        /** The labels as the sender gave them, names and values in turn, for an error. */
        String labelsText(byte[] m) {
            List<String> text = new ArrayList<>();
            for (int i = 0; i < 4 * labelCount; i += 2) {
                text.add(string(m, labels[i], labels[i + 1]));
            }
            return text.toString();
        }
    }

    /** {@code m[from, to)}, which the decoder has checked is UTF-8. */
    private static String string(byte[] m, int from, int to) {
        return new String(m, from, to - from, StandardCharsets.UTF_8);
    }

    /**
     * Where a string field {@code m[from, to)} stops being UTF-8, as protobuf requires strings to be; -1 if it is.
     * Nearly always ASCII, which is checked eight bytes at a time.
     */
    private static int notUtf8(byte[] m, int from, int to) {
        return Bytes.isAscii(m, from, to) ? -1 : Utf8.invalidAt(m, from, to);
    }

    /**
     * The error for a string field that is not UTF-8 at {@code bad} ({@link #notUtf8}), made only then.
     *
     * @param what the field: {@code timeseries 3, the value of label "job"}
     */
    private static InvalidProtocolBufferException notUtf8(String what, byte[] m, int from, int bad, int to) {
        return new InvalidProtocolBufferException(what + " is " + Utf8.describe(m, bad, to) + " (its byte "
                + (bad - from) + ")");
    }

    // ---- 1.0: WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }

    private SampleBatch decodeV1(byte[] message, List<ParseError> errors) throws IOException {
        TopLevel top = topLevelV1(message);
        Map<String, MetricType> types = top.types;
        // a series' key takes about its labels' bytes, and a series from Prometheus carries one sample
        SampleBatch batch = new SampleBatch(message.length, top.series, 6 * top.series);
        Wire in = new Wire(message);
        Series series = new Series();
        int index = 0;
        int end = message.length;
        while (in.pos < end) {
            int tag = in.tag(end);
            if (WireFormat.getTagFieldNumber(tag) != 1) {
                in.skip(tag, end); // metadata (3), read before; anything newer
                continue;
            }
            int seriesEnd = in.embedded(tag, end);
            series.reset();
            readSeriesV1(in, seriesEnd, series);
            emit(message, series, ++index, types, batch, errors);
        }
        return batch;
    }

    /** What a first walk over a 1.0 message's top level finds: the metric types of its metadata, and its series. */
    private record TopLevel(Map<String, MetricType> types, int series) {}

    /**
     * The metric types a 1.0 request's metadata gives, by family, and how many series it has. 1.0 may send the
     * metadata after the series, so a first walk over the top level finds it (skipping each series whole), and the
     * series are then read once and turned into samples at once, with no copy of them held.
     */
    private static TopLevel topLevelV1(byte[] message) throws IOException {
        Wire in = new Wire(message);
        Map<String, MetricType> types = null;
        int series = 0;
        while (in.pos < message.length) {
            int tag = in.tag(message.length);
            int field = WireFormat.getTagFieldNumber(tag);
            if (field == 3) {
                int end = in.embedded(tag, message.length);
                if (types == null) {
                    types = new HashMap<>();
                }
                readMetadataV1(in, end, types);
            } else {
                series += field == 1 ? 1 : 0;
                in.skip(tag, message.length);
            }
        }
        return new TopLevel(types == null ? Map.of() : types, series);
    }

    /**
     * Reads a 1.0 series: where each label's name and value lie, and its samples.
     */
    private static void readSeriesV1(Wire in, int end, Series s) throws IOException {
        // the labels first, each a field 1 (tag 0x0A) shorter than 128 bytes, as senders write them: its tag and
        // length read without a varint read; anything else is left to the general walk below
        byte[] b = in.b;
        int p = in.pos;
        while (p + 1 < end && b[p] == 0x0A && b[p + 1] >= 2 && p + 2 + b[p + 1] <= end) {
            int to = p + 2 + b[p + 1];
            // as senders write a label: its name (tag 0x0A, a one-byte length), then its value (0x12, the same)
            int name = p + 4;
            int value = name + b[p + 3] + 2;
            if (b[p + 2] == 0x0A && b[p + 3] >= 0 && value <= to && b[value - 2] == 0x12 && b[value - 1] >= 0
                    && value + b[value - 1] == to) {
                s.label(name, value - 2, value, to);
            } else {
                readLabelV1(in, p + 2, to, s);
            }
            p = to;
        }
        // then the samples, each written as senders write it: tag 0x12 and a one-byte length, the value (tag 0x09,
        // eight bytes), then the timestamp (tag 0x10, a varint) ending the sample; a sample written otherwise (a
        // value or a timestamp of 0 is left out) is left to the general walk
        while (p + 13 <= end && b[p] == 0x12 && b[p + 1] >= 11 && b[p + 2] == 0x09 && b[p + 11] == 0x10
                && p + 2 + b[p + 1] <= end) {
            int sampleEnd = p + 2 + b[p + 1];
            in.pos = p + 12;
            long timestamp = in.varint(sampleEnd); // a timestamp cut short is refused, as the general walk would
            if (in.pos != sampleEnd) {
                break; // more fields after the timestamp
            }
            s.add(Double.longBitsToDouble(Bytes.word(b, p + 3)), timestamp);
            p = sampleEnd;
        }
        in.pos = p;
        while (in.pos < end) {
            int tag = in.tag(end);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1: { // Label { string name = 1; string value = 2; }
                    int labelEnd = in.embedded(tag, end);
                    readLabelV1(in, in.pos, labelEnd, s);
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

    /** Reads a 1.0 label from {@code from} to {@code labelEnd}: Label { string name = 1; string value = 2; }. */
    private static void readLabelV1(Wire in, int from, int labelEnd, Series s) throws IOException {
        in.pos = from;
        int nameFrom = 0;
        int nameTo = 0;
        int valueFrom = 0;
        int valueTo = 0;
        while (in.pos < labelEnd) {
            int t = in.tag(labelEnd);
            int field = WireFormat.getTagFieldNumber(t);
            if (field == 1) {
                nameTo = in.bytes(t, labelEnd);
                nameFrom = in.stringStart;
            } else if (field == 2) {
                valueTo = in.bytes(t, labelEnd);
                valueFrom = in.stringStart;
            } else {
                in.skip(t, labelEnd);
            }
        }
        s.label(nameFrom, nameTo, valueFrom, valueTo);
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
            // two to eight bytes (a millisecond timestamp takes six): read as one word, which may reach past end (a
            // timestamp ends its sample) but not past the message
            if (b.length - pos >= 8) {
                long w = Bytes.word(b, pos);
                long stops = ~w & 0x8080808080808080L; // a byte whose high bit is clear is the last
                if (stops != 0) {
                    int bytes = (Long.numberOfTrailingZeros(stops) >>> 3) + 1;
                    if (pos + bytes > end) {
                        throw truncated();
                    }
                    long v = w & 0x7F7F7F7F7F7F7F7FL;
                    if (bytes < 8) {
                        v &= (1L << (bytes << 3)) - 1;
                    }
                    // the 7-bit groups, one per byte, packed together: pairs, then fours, then all eight
                    v = (v & 0x007F007F007F007FL) | ((v & 0x7F007F007F007F00L) >>> 1);
                    v = (v & 0x00003FFF00003FFFL) | ((v & 0x3FFF00003FFF0000L) >>> 2);
                    v = (v & 0x000000000FFFFFFFL) | ((v & 0x0FFFFFFF00000000L) >>> 4);
                    pos += bytes;
                    return v;
                }
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

        /** Where the last {@link #string} or {@link #bytes} starts. */
        int stringStart;

        /** A string field, checked to be UTF-8: where it ends; it starts at {@link #stringStart}. */
        int string(int tag, int end) throws IOException {
            int stop = bytes(tag, end);
            int bad = notUtf8(b, stringStart, stop);
            if (bad >= 0) {
                throw notUtf8("the string field " + WireFormat.getTagFieldNumber(tag) + " at byte " + stringStart
                        + " of the uncompressed message", b, stringStart, bad, stop);
            }
            return stop;
        }

        /**
         * A string field not checked yet (its reader checks it: {@link RemoteWriteDecoder#emit}): where it ends; it starts at
         * {@link #stringStart}.
         */
        int bytes(int tag, int end) throws IOException {
            int stop = embedded(tag, end);
            stringStart = pos;
            pos = stop;
            return stop;
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
    private static void readMetadataV1(Wire in, int end, Map<String, MetricType> types) throws IOException {
        int type = 0;
        String family = "";
        while (in.pos < end) {
            int tag = in.tag(end);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1:
                    type = in.int32(tag, end);
                    break;
                case 2:
                    int to = in.string(tag, end);
                    family = string(in.b, in.stringStart, to);
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

    private SampleBatch decodeV2(byte[] message, List<ParseError> errors) throws IOException {
        SampleBatch batch = new SampleBatch(message.length, message.length / 32, message.length / 8);
        Wire in = new Wire(message);
        int[] symbols = new int[64]; // start and end of each symbol
        int symbolCount = 0;
        List<Series> series = new ArrayList<>();
        int end = message.length;
        while (in.pos < end) {
            int tag = in.tag(end);
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 4:
                    int to = in.string(tag, end);
                    if (2 * symbolCount + 2 > symbols.length) {
                        symbols = java.util.Arrays.copyOf(symbols, symbols.length * 2);
                    }
                    symbols[2 * symbolCount] = in.stringStart;
                    symbols[2 * symbolCount + 1] = to;
                    symbolCount++;
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
        if (symbolCount > 0 && symbols[1] > symbols[0]) {
            errors.add(ParseError.binary(FORMAT, "symbols must start with the empty string (remote write 2.0)"));
            return batch;
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
                if (ref < 0 || ref >= symbolCount) {
                    addError(errors, "timeseries " + (i + 1) + ": labels_refs points to symbol " + ref + " but there are "
                            + symbolCount);
                    ok = false;
                    break;
                }
            }
            if (ok) {
                for (int k = 0; k < s.refCount; k += 2) {
                    int name = 2 * s.refs[k];
                    int value = 2 * s.refs[k + 1];
                    s.label(symbols[name], symbols[name + 1], symbols[value], symbols[value + 1]);
                }
                emit(message, s, i + 1, Map.of(), batch, errors);
            }
        }
        return batch;
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
     * Checks one series and adds it and its samples to the batch, or names what is wrong with it.
     *
     * <p>First every label string is checked to be UTF-8, as protobuf requires of strings, whether the series is
     * then refused or not, so that one string that is not UTF-8 refuses the whole message. A name that is a valid
     * label name (or {@code __name__}) is ASCII, so UTF-8. A value is checked for UTF-8 only when it is not plain
     * ({@link Bytes#isPlain}: nearly every value), and a plain value goes to the batch as it is, with nothing to
     * escape.
     *
     * @return whether the series was added
     * @throws InvalidProtocolBufferException if a string is not UTF-8
     */
    private boolean emit(byte[] m, Series s, int index, Map<String, MetricType> familyTypes, SampleBatch batch,
            List<ParseError> errors) throws InvalidProtocolBufferException {
        int[] at = s.labels;
        int n = 4 * s.labelCount;
        byte[] kinds = s.kinds(s.labelCount);
        int name = -1; // the (last) label that is __name__
        int bad = -1; // the first label whose name is not valid
        for (int i = 0; i < n; i += 4) {
            byte kind = 0;
            if (SampleBatch.isNameLabel(m, at[i], at[i + 1])) {
                kind = NAME_LABEL;
                name = i;
            } else if (!SampleBatch.isLabelName(m, at[i], at[i + 1])) {
                int at8 = notUtf8(m, at[i], at[i + 1]);
                if (at8 >= 0) {
                    throw notUtf8("timeseries " + index + ", the name of label " + ((i >> 2) + 1), m, at[i], at8,
                            at[i + 1]);
                }
                bad = bad < 0 ? i : bad;
            }
            if (Bytes.isPlain(m, at[i + 2], at[i + 3])) {
                kind |= PLAIN;
            } else {
                int at8 = notUtf8(m, at[i + 2], at[i + 3]);
                if (at8 >= 0) {
                    throw notUtf8("timeseries " + index + ", the value of label "
                            + io.caiman.core.wire.Json.quote(string(m, at[i], at[i + 1])), m, at[i + 2], at8,
                            at[i + 3]);
                }
            }
            kinds[i >> 2] = kind;
        }
        if (s.histograms > 0) {
            addError(errors, "timeseries " + index + ": native histograms are not supported; send classic histograms "
                    + "(send_native_histograms: false)");
            return false;
        }
        if (bad >= 0) {
            addError(errors, "timeseries " + index + ": " + Naming.validateLabelName(string(m, at[bad], at[bad + 1])));
            return false;
        }
        if (name < 0 || at[name + 3] == at[name + 2]) {
            addError(errors, "timeseries " + index + ": no __name__ label (labels " + s.labelsText(m) + ")");
            return false;
        }
        int nameFrom = at[name + 2];
        int nameTo = at[name + 3];
        if (!SampleBatch.isMetricName(m, nameFrom, nameTo)) {
            addError(errors, "timeseries " + index + ": " + Naming.validateMetricName(string(m, nameFrom, nameTo)));
            return false;
        }
        batch.series(m, nameFrom, nameTo);
        for (int i = 0; i < n; i += 4) {
            byte kind = kinds[i >> 2];
            if ((kind & NAME_LABEL) == 0) {
                batch.label(at[i], at[i + 1], at[i + 2], at[i + 3], (kind & PLAIN) != 0);
            }
        }
        String problem = batch.endSeries(limits);
        if (problem != null) {
            addError(errors, "timeseries " + index + ": " + problem);
            return false;
        }
        samples(s, familyTypes.isEmpty() ? null : string(m, nameFrom, nameTo), index, familyTypes, batch);
        return true;
    }

    /** Adds the samples of series {@code s}, just added to the batch, named {@code name} (needed with types only). */
    private static void samples(Series s, String name, int index, Map<String, MetricType> familyTypes,
            SampleBatch batch) {
        MetricType type = s.type != MetricType.UNKNOWN || familyTypes.isEmpty() ? s.type
                : MetricFamilies.typeOf(name, familyTypes);
        for (int i = 0; i < s.count; i++) {
            batch.sample(s.values[i], s.timestamps[i], true, type, SampleKind.VALUE, index);
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
