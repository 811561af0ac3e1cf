package io.caiman.core.wire.remotewrite;

import com.google.protobuf.CodedInputStream;
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
 * <p>The protobuf is walked field by field with protobuf-java's {@link CodedInputStream} into Caiman's
 * samples directly, rather than through generated message classes: no protoc step in the build, and no
 * intermediate objects per sample on the gateway's hottest path. Unknown fields are skipped, as protobuf
 * requires.
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
     * decompressing it.
     *
     * @throws IOException with the reason, if the body is not valid snappy or too large once uncompressed
     */
    public static byte[] uncompress(byte[] body, long maxBytes) throws IOException {
        if (!Snappy.isValidCompressedBuffer(body)) {
            throw new IOException("the body is not snappy-compressed (block format); remote write requires "
                    + "Content-Encoding: snappy");
        }
        int length = Snappy.uncompressedLength(body);
        if (length > maxBytes) {
            throw new SizeException(length, maxBytes);
        }
        return Snappy.uncompress(body);
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
        List<ParsedSample> samples = new ArrayList<>();
        List<ParseError> errors = new ArrayList<>();
        try {
            if (version == Version.V1) {
                decodeV1(message, samples, errors);
            } else {
                decodeV2(message, samples, errors);
            }
        } catch (InvalidProtocolBufferException e) {
            errors.add(ParseError.binary(FORMAT, "the body is not a valid "
                    + (version == Version.V1 ? V1_PROTO : V2_PROTO) + " message: " + e.getMessage()));
        } catch (IOException e) {
            errors.add(ParseError.binary(FORMAT, "cannot read the message: " + e.getMessage()));
        }
        return new ParseResult(samples, errors);
    }

    /** One series as read, before its samples are typed. */
    private static final class Series {
        final List<String> labels = new ArrayList<>();
        final List<double[]> values = new ArrayList<>();
        final List<Long> timestamps = new ArrayList<>();
        int histograms;
        MetricType type = MetricType.UNKNOWN;
    }

    // ---- 1.0: WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }

    private void decodeV1(byte[] message, List<ParsedSample> samples, List<ParseError> errors) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(message);
        List<Series> series = new ArrayList<>();
        Map<String, MetricType> types = new HashMap<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1:
                    series.add(embedded(in, tag, this::readSeriesV1));
                    break;
                case 3:
                    embedded(in, tag, m -> readMetadataV1(m, types));
                    break;
                default:
                    in.skipField(tag);
            }
        }
        for (int i = 0; i < series.size(); i++) {
            emit(series.get(i), i + 1, types, samples, errors);
        }
    }

    private Series readSeriesV1(CodedInputStream in) throws IOException {
        Series s = new Series();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1:
                    embedded(in, tag, m -> {
                        String name = "";
                        String value = "";
                        while (!m.isAtEnd()) {
                            int t = m.readTag();
                            switch (WireFormat.getTagFieldNumber(t)) {
                                case 1: name = string(m, t); break;
                                case 2: value = string(m, t); break;
                                default: m.skipField(t);
                            }
                        }
                        s.labels.add(name);
                        s.labels.add(value);
                        return null;
                    });
                    break;
                case 2:
                    embedded(in, tag, m -> readSample(m, s));
                    break;
                case 4:
                    s.histograms++;
                    in.skipField(tag);
                    break;
                default:
                    in.skipField(tag); // exemplars (3) and anything newer
            }
        }
        return s;
    }

    private static Void readMetadataV1(CodedInputStream in, Map<String, MetricType> types) throws IOException {
        int type = 0;
        String family = "";
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1: type = varint(in, tag); break;
                case 2: family = string(in, tag); break;
                default: in.skipField(tag);
            }
        }
        if (!family.isEmpty()) {
            types.put(family, metricType(type));
        }
        return null;
    }

    // ---- 2.0: Request { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }

    private void decodeV2(byte[] message, List<ParsedSample> samples, List<ParseError> errors) throws IOException {
        CodedInputStream in = CodedInputStream.newInstance(message);
        List<String> symbols = new ArrayList<>();
        List<int[]> refs = new ArrayList<>();
        List<Series> series = new ArrayList<>();
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 4:
                    symbols.add(string(in, tag));
                    break;
                case 5:
                    Series s = new Series();
                    List<Integer> labelRefs = new ArrayList<>();
                    embedded(in, tag, m -> readSeriesV2(m, s, labelRefs));
                    refs.add(labelRefs.stream().mapToInt(Integer::intValue).toArray());
                    series.add(s);
                    break;
                default:
                    in.skipField(tag);
            }
        }
        if (!symbols.isEmpty() && !symbols.get(0).isEmpty()) {
            errors.add(ParseError.binary(FORMAT, "symbols must start with the empty string (remote write 2.0)"));
            return;
        }
        for (int i = 0; i < series.size(); i++) {
            int[] r = refs.get(i);
            if (r.length % 2 != 0) {
                addError(errors, "timeseries " + (i + 1) + ": labels_refs has an odd length (" + r.length + ")");
                continue;
            }
            boolean ok = true;
            for (int ref : r) {
                if (ref < 0 || ref >= symbols.size()) {
                    addError(errors, "timeseries " + (i + 1) + ": labels_refs points to symbol " + ref + " but there are "
                            + symbols.size());
                    ok = false;
                    break;
                }
                series.get(i).labels.add(symbols.get(ref));
            }
            if (ok) {
                emit(series.get(i), i + 1, Map.of(), samples, errors);
            }
        }
    }

    private static Void readSeriesV2(CodedInputStream in, Series s, List<Integer> labelRefs) throws IOException {
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1:
                    if (WireFormat.getTagWireType(tag) == WireFormat.WIRETYPE_LENGTH_DELIMITED) {
                        int limit = in.pushLimit(in.readRawVarint32());
                        while (!in.isAtEnd()) {
                            labelRefs.add(in.readUInt32());
                        }
                        in.popLimit(limit);
                    } else {
                        labelRefs.add(varint(in, tag));
                    }
                    break;
                case 2:
                    embedded(in, tag, m -> readSample(m, s));
                    break;
                case 3:
                    s.histograms++;
                    in.skipField(tag);
                    break;
                case 5:
                    embedded(in, tag, m -> {
                        while (!m.isAtEnd()) {
                            int t = m.readTag();
                            if (WireFormat.getTagFieldNumber(t) == 1) {
                                s.type = metricType(varint(m, t));
                            } else {
                                m.skipField(t);
                            }
                        }
                        return null;
                    });
                    break;
                default:
                    in.skipField(tag); // exemplars (4), created_timestamp (6), anything newer
            }
        }
        return null;
    }

    // ---- shared

    private static Void readSample(CodedInputStream in, Series s) throws IOException {
        double value = 0;
        long timestamp = 0;
        while (!in.isAtEnd()) {
            int tag = in.readTag();
            switch (WireFormat.getTagFieldNumber(tag)) {
                case 1:
                    expect(tag, WireFormat.WIRETYPE_FIXED64);
                    value = in.readDouble();
                    break;
                case 2:
                    expect(tag, WireFormat.WIRETYPE_VARINT);
                    timestamp = in.readInt64();
                    break;
                default:
                    in.skipField(tag);
            }
        }
        s.values.add(new double[] {value});
        s.timestamps.add(timestamp);
        return null;
    }

    /** Checks one series and turns its samples into {@link ParsedSample}s. */
    private void emit(Series s, int index, Map<String, MetricType> familyTypes, List<ParsedSample> samples,
            List<ParseError> errors) {
        String where = "timeseries " + index;
        if (s.histograms > 0) {
            addError(errors, where + ": native histograms are not supported; send classic histograms "
                    + "(send_native_histograms: false)");
            return;
        }
        String name = null;
        List<String> rest = new ArrayList<>(s.labels.size());
        for (int i = 0; i < s.labels.size(); i += 2) {
            String label = s.labels.get(i);
            if (label.equals("__name__")) {
                name = s.labels.get(i + 1);
                continue;
            }
            String problem = Naming.validateLabelName(label);
            if (problem != null) {
                addError(errors, where + ": " + problem);
                return;
            }
            rest.add(label);
            rest.add(s.labels.get(i + 1));
        }
        if (name == null || name.isEmpty()) {
            addError(errors, where + ": no __name__ label (labels " + s.labels + ")");
            return;
        }
        String problem = Naming.validateMetricName(name);
        if (problem != null) {
            addError(errors, where + ": " + problem);
            return;
        }
        Labels labels;
        try {
            labels = Labels.of(rest.toArray(new String[0]));
        } catch (IllegalArgumentException e) {
            addError(errors, where + " (" + name + "): " + e.getMessage());
            return;
        }
        String limit = limits.check(name, labels);
        if (limit != null) {
            addError(errors, where + ": " + limit);
            return;
        }
        MetricType type = s.type != MetricType.UNKNOWN ? s.type : MetricFamilies.typeOf(name, familyTypes);
        for (int i = 0; i < s.values.size(); i++) {
            samples.add(new ParsedSample(name, labels, s.values.get(i)[0], s.timestamps.get(i), type, index));
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

    @FunctionalInterface
    private interface Reader<T> {
        T read(CodedInputStream in) throws IOException;
    }

    /** Reads a length-delimited embedded message with {@code reader}, within its limit. */
    private static <T> T embedded(CodedInputStream in, int tag, Reader<T> reader) throws IOException {
        expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        int limit = in.pushLimit(in.readRawVarint32());
        T value = reader.read(in);
        in.popLimit(limit);
        return value;
    }

    private static String string(CodedInputStream in, int tag) throws IOException {
        expect(tag, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        return in.readStringRequireUtf8();
    }

    private static int varint(CodedInputStream in, int tag) throws IOException {
        expect(tag, WireFormat.WIRETYPE_VARINT);
        return in.readInt32();
    }

    private static void expect(int tag, int wireType) throws InvalidProtocolBufferException {
        if (WireFormat.getTagWireType(tag) != wireType) {
            throw new InvalidProtocolBufferException("field " + WireFormat.getTagFieldNumber(tag) + " has wire type "
                    + WireFormat.getTagWireType(tag) + ", expected " + wireType);
        }
    }
}
